"""Script sides that also report CPU time per phase (standard library only).

A script prints ``"cpu_seconds": {phase: s}`` beside ``"seconds"`` (``time.process_time()``
differences: user + system time of the script's process, all its threads); the harness then
shows a **CPU C/P** column for it, which other work on the machine disturbs far less than wall
time. Otherwise the same as :func:`benchmarks.scripts.script_side`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.scripts import adapt, script_side
from benchmarks.spec import Side


def adapt_with_cpu(check_keys: Sequence[str]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """:func:`benchmarks.scripts.adapt`, plus ``cpu_seconds`` as the result's ``cpu``."""
    plain = adapt(check_keys)

    def convert(printed: dict[str, Any]) -> dict[str, Any]:
        result = plain(printed)
        cpu = result["info"].pop("cpu_seconds", None) or {}
        result["cpu"] = {name: float(s) for name, s in cpu.items()}
        return result

    return convert


def cpu_script_side(label: str, module: str, *, check_keys: Sequence[str] = (), **options: Any) -> Side:
    """A script side (:func:`benchmarks.scripts.script_side` options) whose CPU times are kept."""
    side = script_side(label, module, check_keys=check_keys, **options)
    return dataclasses.replace(side, adapt=adapt_with_cpu(check_keys))
