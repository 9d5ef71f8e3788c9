"""NMODL mechanism libraries shipped with Cantata, and a cached ``nrnivmodl`` build.

``allen_mechanisms_dir()`` is the folder of Cantata's own Allen Cell Types channel library,
``gap_mechanisms_dir()`` that of its gap-junction mechanism (``CantataGap``).
``compile_mechanisms(src, build)`` compiles any folder of ``.mod`` files once per content:
the result lives in a sub-folder of ``build`` named by a hash of the ``.mod`` files (and of
the NEURON version), so an unchanged library is never rebuilt. ``load_mechanisms`` loads a
compiled folder into the running NEURON process (NEURON is imported only there).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from os import PathLike
from pathlib import Path

from cantata.errors import SimulationError

__all__ = [
    "allen_mechanisms_dir",
    "compile_mechanisms",
    "compiled_library",
    "default_build_dir",
    "gap_mechanisms_dir",
    "load_mechanisms",
    "mod_files",
]

_MARKER = ".cantata-build.json"
_LIBRARY_NAMES = ("libnrnmech.so", "libnrnmech.dylib", "nrnmech.dll")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_loaded: set[Path] = set()


def allen_mechanisms_dir() -> Path:
    """Folder of Cantata's Allen Cell Types channel library (``*.mod``)."""
    return Path(__file__).resolve().parent / "allen"


def gap_mechanisms_dir() -> Path:
    """Folder of Cantata's gap-junction mechanism (``CantataGap.mod``)."""
    return Path(__file__).resolve().parent / "gap"


def default_build_dir() -> Path:
    """Cache folder for compiled mechanisms.

    ``$CANTATA_MECHANISMS_CACHE`` if set, else ``$XDG_CACHE_HOME/cantata/mechanisms``
    (``~/.cache/cantata/mechanisms`` when XDG_CACHE_HOME is unset).
    """
    explicit = os.environ.get("CANTATA_MECHANISMS_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "cantata" / "mechanisms"


def mod_files(src_dir: str | PathLike[str]) -> list[Path]:
    """The ``.mod`` files directly inside ``src_dir``, sorted by name."""
    src = Path(src_dir)
    if not src.is_dir():
        raise SimulationError(
            "mechanisms folder not found", file=src, expected="a folder of .mod files",
            found="missing" if not src.exists() else "not a folder",
        )
    files = sorted(p for p in src.iterdir() if p.suffix == ".mod" and p.is_file())
    if not files:
        raise SimulationError(
            "no NMODL files to compile", file=src, expected="at least one *.mod file", found="none"
        )
    return files


def _neuron_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("neuron")
    except metadata.PackageNotFoundError:
        return "unknown"


def _content_hash(files: list[Path]) -> str:
    digest = hashlib.sha256()
    digest.update(f"neuron={_neuron_version()};machine={platform.machine()}\n".encode())
    for path in files:
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def compiled_library(folder: str | PathLike[str]) -> Path | None:
    """Path of the shared library ``nrnivmodl`` built in ``folder``, or None."""
    root = Path(folder)
    for name in _LIBRARY_NAMES:
        hits = sorted(root.glob(f"*/{name}")) + sorted(root.glob(f"*/.libs/{name}"))
        if hits:
            return hits[0]
    return None


def _find_nrnivmodl() -> Path:
    beside = Path(sys.executable).parent / "nrnivmodl"
    if beside.is_file():
        return beside
    found = shutil.which("nrnivmodl")
    if found:
        return Path(found)
    raise SimulationError(
        "cannot compile mechanisms: nrnivmodl not found (install NEURON: pip install neuron)",
        expected=f"nrnivmodl beside {sys.executable} or on PATH", found="none",
    )


def _failing_mods(output: str, stems: set[str]) -> list[str]:
    """Names of the .mod files that an nrnivmodl log blames for its errors."""
    blamed: list[str] = []
    for line in output.splitlines():
        if "error" not in line.lower():
            continue
        for stem in re.findall(r"([\w.-]+)\.(?:mod|cpp|c|o)\b", line):
            stem = Path(stem).name
            if stem in stems and f"{stem}.mod" not in blamed:
                blamed.append(f"{stem}.mod")
    return blamed


def _log_excerpt(output: str, max_lines: int = 40) -> str:
    """The useful tail of an nrnivmodl log: no colour codes, no Python traceback."""
    lines = _ANSI.sub("", output).splitlines()
    if "Traceback (most recent call last):" in lines:
        lines = lines[: lines.index("Traceback (most recent call last):")]
    lines = [line for line in lines if line.strip()]
    return "\n".join(lines[-max_lines:])


def _run_nrnivmodl(work: Path, files: list[Path], src: Path, timeout: float) -> None:
    exe = _find_nrnivmodl()
    try:
        proc = subprocess.run(
            [str(exe), "."], cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, errors="replace", timeout=timeout, check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise SimulationError(
            f"nrnivmodl did not finish within {timeout:.0f} s", file=src
        ) from exc
    output = (proc.stdout or "").replace(str(work), "<build>")
    if proc.returncode == 0 and compiled_library(work) is not None:
        return
    blamed = _failing_mods(output, {p.stem for p in files})
    where = src / blamed[0] if len(blamed) == 1 else src
    names = ", ".join(blamed) if blamed else "unknown (see the log below)"
    raise SimulationError(
        f"nrnivmodl failed (exit code {proc.returncode}); failing .mod file(s): {names}\n"
        f"--- nrnivmodl output ---\n{_log_excerpt(output)}",
        file=where,
    )


def compile_mechanisms(
    src_dir: str | PathLike[str],
    build_dir: str | PathLike[str] | None = None,
    *,
    timeout: float = 900.0,
) -> Path:
    """Compile the ``.mod`` files of ``src_dir`` with ``nrnivmodl`` and return the build folder.

    The build folder is ``build_dir/<src name>-<hash>``, keyed by the content of the ``.mod``
    files and the NEURON version; an existing complete build is reused without running
    ``nrnivmodl``. The returned folder is what ``neuron.load_mechanisms`` (or
    :func:`load_mechanisms`) expects. A failed build raises :class:`SimulationError` naming
    the failing ``.mod`` file and quoting nrnivmodl's messages; nothing half-built is left
    under the final name.
    """
    src = Path(src_dir).resolve()
    files = mod_files(src)
    digest = _content_hash(files)
    root = Path(build_dir) if build_dir is not None else default_build_dir()
    target = root / f"{src.name}-{digest[:16]}"
    if (target / _MARKER).is_file() and compiled_library(target) is not None:
        return target
    try:
        root.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=root))
        work.chmod(0o755)
    except OSError as exc:
        raise SimulationError(
            f"cannot create the mechanism build folder: {exc.strerror}", file=root
        ) from exc
    try:
        for path in files:
            shutil.copy2(path, work / path.name)
        _run_nrnivmodl(work, files, src, timeout)
        marker = {"source": str(src), "sha256": digest, "neuron": _neuron_version(),
                  "mod_files": [p.name for p in files]}
        (work / _MARKER).write_text(json.dumps(marker, indent=1) + "\n")
        try:
            os.replace(work, target)
        except OSError:
            # another process finished the same build first: keep theirs
            if not ((target / _MARKER).is_file() and compiled_library(target) is not None):
                shutil.rmtree(target, ignore_errors=True)
                os.replace(work, target)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return target


def load_mechanisms(folder: str | PathLike[str]) -> None:
    """Load a folder built by :func:`compile_mechanisms` into this NEURON process (once)."""
    path = Path(folder).resolve()
    if path in _loaded:
        return
    library = compiled_library(path)
    if library is None:
        raise SimulationError(
            "no compiled mechanism library in folder", file=path,
            expected="a folder returned by compile_mechanisms (with <arch>/libnrnmech.so)",
            found="none",
        )
    import neuron

    if not neuron.load_mechanisms(str(path), warn_if_already_loaded=False):
        raise SimulationError("NEURON could not load the mechanism library", file=library)
    _loaded.add(path)
