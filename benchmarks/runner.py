"""Run one side once in a fresh child process and collect its result and peak memory."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import peers
from benchmarks.spec import MAIN_ENV, REPO, Check, Side

#: Environment variables pinning the usual thread pools to the side's thread count.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


@dataclass
class RunResult:
    """One child run of one side."""

    ok: bool
    phases: dict[str, float]
    check: Check
    info: dict[str, Any]
    peak_rss_mb: float
    wall: float
    error: str | None = None
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per phase, when reported


def interpreter(env: str) -> Path:
    """The Python that runs a side of ``env``."""
    return Path(sys.executable) if env == MAIN_ENV else peers.peer_python()


def run_child(target: str, params: dict[str, Any], workdir: Path, *, env: str = MAIN_ENV,
              threads: int = 1, timeout: float = 300.0, extra_env: dict[str, str] | None = None,
              profile: Path | None = None) -> RunResult:
    """Run the function ``target`` in a fresh child process; collect its result and peak memory.

    ``profile`` (a file path): cProfile runs during the side's timed phases and the top entries
    are written there.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        params_file, result_file = Path(tmp) / "params.json", Path(tmp) / "result.json"
        params_file.write_text(json.dumps(params))
        command = [str(interpreter(env)), "-m", "benchmarks.child", target, str(params_file),
                   str(workdir), str(result_file)]
        more = dict(extra_env or {})
        if profile is not None:
            more["CANTATA_BENCH_PROFILE"] = str(profile)
        code, output, peak, wall = _spawn(command, env, threads, timeout, more)
        try:
            result = json.loads(result_file.read_text())
        except (OSError, ValueError):
            result = {}
    return _run_result(code, output, peak, wall, timeout, result)


def run_script(side: Side, params: dict[str, Any], workdir: Path, *, timeout: float = 300.0) -> RunResult:
    """Run a script side (``python -m <script> <args>``) and adapt the JSON it prints."""
    assert side.script is not None
    workdir.mkdir(parents=True, exist_ok=True)
    args = [a.format(workdir=workdir, **params) for a in side.args]
    command = [str(interpreter(side.env)), "-m", side.script, *args]
    code, output, peak, wall = _spawn(command, side.env, side.threads, timeout, side.extra_env)
    printed = _last_json(output)
    if code == 0 and printed is None:
        return _run_result(1, output, peak, wall, timeout, {"error": "the script printed no JSON result"})
    result: dict[str, Any] = {}
    if printed is not None:
        try:
            result = side.adapt(printed) if side.adapt else printed
        except (KeyError, TypeError, ValueError) as exc:
            result = {"error": f"unexpected result from {side.script}: {exc!r}: {printed}"}
    return _run_result(code, output, peak, wall, timeout, result)


def run_side(side: Side, params: dict[str, Any], workdir: Path, *, timeout: float = 300.0,
             profile: Path | None = None) -> RunResult:
    """Run one side once, as a function or as a script (after removing its ``clean`` paths)."""
    for name in side.clean:
        path = workdir / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    if side.script is not None:
        return run_script(side, params, workdir, timeout=timeout)
    return run_child(side.target, params, workdir, env=side.env, threads=side.threads,
                     timeout=timeout, extra_env=side.extra_env, profile=profile)


def _spawn(command: list[str], env: str, threads: int, timeout: float,
           extra_env: dict[str, str]) -> tuple[int, str, float, float]:
    """Run ``command`` in its own process group: (exit code, output, peak RSS MiB, wall s).

    Peak memory is the child's ``ru_maxrss`` as reported by ``wait4`` (the largest of the
    child and the processes it waited for, not their sum).
    """
    child_env = dict(os.environ, PYTHONHASHSEED="0", **extra_env)
    child_env.update({name: str(threads) for name in THREAD_VARIABLES})
    if env != MAIN_ENV:  # keep Cantata's environment out of the peers' interpreter
        child_env.pop("VIRTUAL_ENV", None)
        child_env.pop("PYTHONPATH", None)
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=REPO, env=child_env, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        timer = threading.Timer(timeout, _kill_group, args=(proc.pid,))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        log.seek(0)
        output = log.read().decode(errors="replace")
    return code, output, usage.ru_maxrss / 1024.0, wall


def _last_json(output: str) -> dict[str, Any] | None:
    for line in reversed(output.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    return None


def _run_result(code: int, output: str, peak: float, wall: float, timeout: float,
                result: dict[str, Any]) -> RunResult:
    if code != 0 or "error" in result:
        if code < 0 and wall >= timeout:
            reason = f"timed out after {timeout:.0f} s"
        else:
            reason = result.get("error") or f"exit code {code}"
        # The last line of a traceback names the error; a script's is in its output.
        lines = [ln for ln in (reason if "error" in result else output).strip().splitlines() if ln.strip()]
        headline = lines[-1] if lines else reason
        tail = "\n".join(output.strip().splitlines()[-12:])
        return RunResult(False, {}, {}, {}, peak, wall, f"{headline}\n{reason}\n{tail}".strip())
    return RunResult(True, {k: float(v) for k, v in result.get("phases", {}).items()},
                     result.get("check", {}), result.get("info", {}), peak, wall,
                     cpu={k: float(v) for k, v in result.get("cpu", {}).items()})


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
