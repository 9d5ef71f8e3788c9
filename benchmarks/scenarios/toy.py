"""The harness's self-check: seconds-long pairs showing an ok, a missing and a failing side.

``python -m benchmarks toy --size tiny``. Not part of ``make bench``.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

from benchmarks.spec import Pair, Scenario, Side
from benchmarks.timing import Phases

MODULE = __name__
SIZES = {
    "tiny": {"n": 2_000, "seed": 1, "disagree": False},
    "tiny-disagree": {"n": 2_000, "seed": 1, "disagree": True},
    "full": {"n": 1_000_000, "seed": 1, "disagree": False},
}


def _values(params: dict[str, Any]) -> list[int]:
    rng = random.Random(params["seed"])
    return [rng.randrange(1 << 30) for _ in range(params["n"])]


def sort_listsort(params: dict[str, Any], workdir: Path) -> dict[str, Any]:
    values = _values(params)
    phases = Phases()
    with phases("sort"):
        values.sort()
    return phases.result({"n": len(values), "first": values[0], "last": values[-1]})


def sort_sorted(params: dict[str, Any], workdir: Path) -> dict[str, Any]:
    values = _values(params)
    phases = Phases()
    with phases("sort"):
        result = sorted(values)
    if params["disagree"]:
        result = result[1:]
    return phases.result({"n": len(result), "first": result[0], "last": result[-1]})


def broken(params: dict[str, Any], workdir: Path) -> dict[str, Any]:
    raise RuntimeError("this side always fails (toy)")


def sleeper(params: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Sleeps ``sleep_s`` seconds (to test the harness's time limit)."""
    time.sleep(params.get("sleep_s", 10.0))
    return {}


def pairs(params: dict[str, Any]) -> list[Pair]:
    return [
        Pair("sort", Side("list.sort", f"{MODULE}:sort_listsort"), Side("sorted", f"{MODULE}:sort_sorted"),
             phases=("sort",), description="in-place list.sort vs sorted()", min_throughput={"sort": 0.5}),
        Pair("missing", Side("list.sort", f"{MODULE}:sort_listsort",
                             available=lambda: "not implemented (toy)"), None),
        Pair("failing", Side("broken", f"{MODULE}:broken"), None),
    ]


SCENARIO = Scenario(name="toy", title="Toy (harness self-check)", sizes=SIZES, pairs=pairs,
                    timeout=60.0, default_size="tiny")
