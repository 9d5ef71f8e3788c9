"""Phase timer used inside a benchmark side (standard library only)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: A ``cProfile.Profile`` set by ``benchmarks.child`` when profiling; it is enabled only while
#: a phase runs, so a profile shows the timed code and not the setup or the checks.
PROFILER: Any = None


class Phases:
    """Wall-clock and CPU seconds per named phase, in the order the phases ran.

    CPU time (user + system, this process) is kept beside wall time because it hardly moves
    when other processes compete for the cores, which wall time does on a shared machine.

    >>> phases = Phases()
    >>> with phases("read"):
    ...     pass
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu_seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        profiler = PROFILER
        if profiler is not None:
            profiler.enable()
        start, cpu_start = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start
            self.cpu_seconds[name] = self.cpu_seconds.get(name, 0.0) + time.process_time() - cpu_start
            if profiler is not None:
                profiler.disable()

    def add(self, name: str, seconds: float) -> None:
        """Record a phase timed elsewhere (e.g. reported by a script)."""
        self.seconds[name] = self.seconds.get(name, 0.0) + float(seconds)

    def total(self, name: str = "total") -> None:
        """Add a phase ``name`` holding the sum of the phases so far."""
        self.seconds[name] = sum(self.seconds.values())
        self.cpu_seconds[name] = sum(self.cpu_seconds.values())

    def result(self, check: dict[str, Any] | None = None, info: dict[str, Any] | None = None) -> dict[str, Any]:
        """What a side function returns to the harness."""
        return {"phases": dict(self.seconds), "cpu": dict(self.cpu_seconds),
                "check": check or {}, "info": info or {}}
