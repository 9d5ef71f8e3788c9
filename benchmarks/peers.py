"""The peers' environment, ``.venv-peers``: BMTK from PyPI with the engines it drives.

BMTK needs pandas < 3, while Cantata's own environment has pandas 3, so the peers live in a
separate virtual environment. It is created only when a scenario needs a peer, with the
ordinary ``venv`` and ``pip`` clients, and reused while its requirements are unchanged (a
stamp file in the environment records the requirement list it was installed with).

Run ``python -m benchmarks.peers`` to create it (or to see that it is ready).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PEERS_DIR = REPO / ".venv-peers"
#: What the peers' environment holds. BMTK's PyPI name is ``bmtk``; BMTK breaks on pandas 3.
#: NetPyNE is the reference for the declarative specs (``cantata.specs``).
REQUIREMENTS: tuple[str, ...] = ("bmtk", "pandas>=2.3,<3", "neuron", "nest-simulator", "netpyne")
STAMP_NAME = ".cantata-peers.json"


def peer_python(root: Path = PEERS_DIR) -> Path:
    """The interpreter of the peers' environment (it may not exist yet)."""
    return root / "bin" / "python"


def status(root: Path = PEERS_DIR) -> str | None:
    """None when the environment is ready, else the reason it is not."""
    stamp = root / STAMP_NAME
    if not peer_python(root).exists():
        return f"{root} does not exist (create it with `python -m benchmarks.peers`)"
    if not stamp.is_file():
        return f"{root} was not completely installed (no {STAMP_NAME})"
    try:
        recorded = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return f"{stamp} is unreadable"
    if recorded.get("requirements") != list(REQUIREMENTS):
        return f"{root} was installed with other requirements: {recorded.get('requirements')}"
    return None


def ensure(root: Path = PEERS_DIR, *, quiet: bool = True) -> Path:
    """Create or update the peers' environment when needed; return its interpreter.

    Raises ``RuntimeError`` naming the failing command when venv or pip fails.
    """
    if status(root) is None:
        return peer_python(root)
    started = time.perf_counter()
    if not peer_python(root).exists():
        _run([sys.executable, "-m", "venv", str(root)])
    pip = [str(peer_python(root)), "-m", "pip", "install", "--disable-pip-version-check"]
    if quiet:
        pip.append("--quiet")
    _run([*pip, "--upgrade", "pip"])
    _run([*pip, *REQUIREMENTS])
    seconds = time.perf_counter() - started
    versions = installed_versions(root)
    stamp = {"requirements": list(REQUIREMENTS), "install_seconds": round(seconds, 1),
             "versions": versions, "created": time.strftime("%Y-%m-%d %H:%M:%S")}
    (root / STAMP_NAME).write_text(json.dumps(stamp, indent=2) + "\n")
    return peer_python(root)


def installed_versions(root: Path = PEERS_DIR) -> dict[str, str]:
    """Versions of the peer packages in the environment (empty if it does not exist)."""
    if not peer_python(root).exists():
        return {}
    code = (
        "import importlib.metadata as m, json\n"
        "out = {}\n"
        "for name in ('bmtk', 'netpyne', 'pandas', 'numpy', 'h5py', 'neuron', 'nest-simulator'):\n"
        "    try: out[name] = m.version(name)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run([str(peer_python(root)), "-c", code], capture_output=True, text=True)
    return json.loads(done.stdout) if done.returncode == 0 else {}


def install_record(root: Path = PEERS_DIR) -> dict:
    """The stamp written after the last successful install (empty if none)."""
    try:
        return json.loads((root / STAMP_NAME).read_text())
    except (OSError, ValueError):
        return {}


def _run(command: list[str]) -> None:
    env = dict(os.environ, PIP_NO_INPUT="1")
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-15:]
        raise RuntimeError(f"`{' '.join(command)}` failed (exit {done.returncode}):\n" + "\n".join(tail))


def main() -> int:
    """Create the peers' environment and print what it holds."""
    reason = status()
    if reason is not None:
        print(f"creating {PEERS_DIR}: {reason}", flush=True)
        try:
            ensure(quiet=False)
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 1
    record = install_record()
    print(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
