"""Child-process entry: run one benchmark side and write its result as JSON.

``python -m benchmarks.child MODULE:FUNCTION PARAMS_JSON WORKDIR RESULT_JSON``

The function is called as ``function(params: dict, workdir: pathlib.Path) -> dict`` and returns
``{"phases": {name: seconds}, "check": {...}, "info": {...}}`` (all keys optional). Standard
library only, so it runs under Cantata's interpreter and the peers' one alike. With the
environment variable ``CANTATA_BENCH_PROFILE=FILE`` cProfile runs during the side's timed
phases (``benchmarks.timing.Phases``) and the top entries go to FILE.
"""

from __future__ import annotations

import cProfile
import importlib
import io
import json
import os
import pstats
import resource
import sys
import traceback
from pathlib import Path


def load(target: str):
    """The callable named ``package.module:function``."""
    module_name, _, function_name = target.partition(":")
    if not function_name:
        raise ValueError(f"side target must be 'module:function', got {target!r}")
    return getattr(importlib.import_module(module_name), function_name)


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    target, params_file, workdir, result_file = argv
    params = json.loads(Path(params_file).read_text())
    function = load(target)
    profile_file = os.environ.get("CANTATA_BENCH_PROFILE")
    try:
        if profile_file:
            result = _profiled(function, params, Path(workdir), Path(profile_file))
        else:
            result = function(params, Path(workdir)) or {}
        status = 0
    except BaseException:  # reported to the harness, which marks the side as failed
        result = {"error": traceback.format_exc(limit=8)}
        status = 1
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["self_maxrss_kb"] = usage.ru_maxrss
    Path(result_file).write_text(json.dumps(result, default=_jsonable))
    return status


def _profiled(function, params: dict, workdir: Path, out: Path) -> dict:
    """Call ``function`` with cProfile on during its timed phases; write the top entries."""
    from benchmarks import timing

    profiler = cProfile.Profile()
    timing.PROFILER = profiler
    try:
        result = function(params, workdir) or {}
    finally:
        timing.PROFILER = None
    text = io.StringIO()
    text.write(f"profile of {function.__module__}.{function.__name__}, timed phases only\n")
    stats = pstats.Stats(profiler, stream=text)
    for order in ("cumulative", "tottime"):
        text.write(f"==== sorted by {order}\n")
        stats.sort_stats(order).print_stats(25)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text.getvalue())
    return result


def _jsonable(value):
    """numpy scalars and arrays, paths: turned into plain JSON values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
