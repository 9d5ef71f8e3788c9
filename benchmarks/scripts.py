"""Sides that are stand-alone benchmark scripts (``benchmarks/build_*.py``, ``nest_*.py``, ...).

Such a script runs as ``python -m benchmarks.<name> [args]`` and prints one JSON object on its
last output line, at least ``{"seconds": {phase: s, ...}}`` plus the counts the scenario
compares (``n_nodes``, ``n_edges``, ``n_spikes``, ...). Standard library only.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.spec import MAIN_ENV, REPO, Side


def script_missing(module: str) -> str | None:
    """None when ``benchmarks/<module>.py`` exists, else the reason it cannot run."""
    path = REPO.joinpath(*module.split(".")).with_suffix(".py")
    if not path.is_file():
        return f"{path.relative_to(REPO)} is not there yet"
    return None


def modules_missing(*modules: str) -> str | None:
    """None when every module can be found in the harness's environment, else which cannot."""
    for module in modules:
        try:
            if importlib.util.find_spec(module) is None:
                return f"{module} is not there yet"
        except ModuleNotFoundError:
            return f"{module} is not there yet"
    return None


def adapt(check_keys: Sequence[str]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Map a script's JSON (``seconds``, ``total_s``, counts) to the harness's result."""

    def convert(printed: dict[str, Any]) -> dict[str, Any]:
        phases = {name: float(s) for name, s in printed["seconds"].items()}
        if "total_s" in printed:
            phases["total"] = float(printed["total_s"])
        check = {key: printed[key] for key in check_keys if key in printed}
        info = {k: v for k, v in printed.items() if k not in ("seconds", "total_s", *check_keys)}
        return {"phases": phases, "check": check, "info": info}

    return convert


def script_side(label: str, module: str, *, env: str = MAIN_ENV, args: Sequence[str] = (),
                check_keys: Sequence[str] = (), threads: int = 1, requires: Sequence[str] = (),
                extra_check: Callable[[], str | None] | None = None, clean: Sequence[str] = ()) -> Side:
    """A side running ``python -m <module> <args>``; missing until the script exists.

    ``requires`` names modules of the harness's environment the side needs (e.g. the
    Cantata engine package), checked with ``find_spec`` without importing them;
    ``extra_check`` is any other availability test (None when fine, else the reason).
    """

    def available() -> str | None:
        return (script_missing(module) or (modules_missing(*requires) if requires else None)
                or (extra_check() if extra_check else None))

    return Side(label, env=env, script=module, args=tuple(args), adapt=adapt(check_keys),
                threads=threads, available=available, clean=tuple(clean))


def counts_within(tolerances: dict[str, float]) -> Callable[[dict, dict], str | None]:
    """Agreement rule: each named count equal within a relative tolerance (0 = exactly)."""

    def agree(a: dict[str, Any], b: dict[str, Any]) -> str | None:
        for key, tolerance in tolerances.items():
            if key not in a or key not in b:
                return f"{key}: not reported by both sides"
            x, y = float(a[key]), float(b[key])
            if abs(x - y) > tolerance * max(abs(x), abs(y)):
                return f"{key}: {a[key]} vs {b[key]} (allowed relative difference {tolerance:g})"
        return None

    return agree
