"""Wall and CPU time of a benchmark script's consecutive phases (standard library only, so the
peers' interpreter can use it too).

>>> clock = PhaseClock(START)      # START = time.perf_counter() at the top of the script
>>> clock.skip()                   # untimed preparation since START (or since the last mark)
>>> ...; clock.mark("build")
>>> ...; clock.mark("simulate")
>>> clock.record()                 # {"seconds": ..., "cpu_seconds": ..., "total_s": ...}

CPU time is ``time.process_time()``: user + system time of this process (all its threads),
counted from the process's start, so the CPU total includes the interpreter's start-up.
"""

from __future__ import annotations

import time
from typing import Any


def now() -> tuple[float, float]:
    """(wall, CPU) seconds now."""
    return time.perf_counter(), time.process_time()


class PhaseClock:
    """Phases measured between marks; skipped stretches count in neither the phases nor the total."""

    def __init__(self, start: float) -> None:
        self.start_wall = start
        self.last = (start, 0.0)
        self.skipped = (0.0, 0.0)
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def skip(self, until: tuple[float, float] | None = None) -> None:
        """Leave the time since the last mark out of everything."""
        wall, cpu = until or now()
        self.skipped = (self.skipped[0] + wall - self.last[0], self.skipped[1] + cpu - self.last[1])
        self.last = (wall, cpu)

    def mark(self, name: str, at: tuple[float, float] | None = None) -> None:
        """The phase ``name`` ran from the last mark to ``at`` (default: now)."""
        wall, cpu = at or now()
        self.wall[name] = self.wall.get(name, 0.0) + wall - self.last[0]
        self.cpu[name] = self.cpu.get(name, 0.0) + cpu - self.last[1]
        self.last = (wall, cpu)

    def record(self) -> dict[str, Any]:
        """``seconds`` and ``cpu_seconds`` per phase (CPU with ``total``) and ``total_s`` (wall)
        from the start to the last mark, skipped stretches left out."""
        total_wall = self.last[0] - self.start_wall - self.skipped[0]
        total_cpu = self.last[1] - self.skipped[1]
        return {"seconds": {k: round(v, 4) for k, v in self.wall.items()},
                "cpu_seconds": {**{k: round(v, 4) for k, v in self.cpu.items()}, "total": round(total_cpu, 4)},
                "total_s": round(total_wall, 4)}
