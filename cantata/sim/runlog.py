"""Logging during a run, as BMTK users know it, and the progress line.

Messages go to the ``cantata`` logger. For the duration of a run, :class:`RunLog` attaches a
file handler (``output.log_file``, appended to, never truncated) and a console handler
(``log_to_console``, standard output), at ``log_level`` with ``log_format``; both are removed
when the run ends.
"""

from __future__ import annotations

import logging
import sys
import time
from types import TracebackType
from typing import TYPE_CHECKING, Self, TextIO

if TYPE_CHECKING:
    from cantata.sim.settings import LogSettings

__all__ = ["Progress", "RunLog", "log"]

log = logging.getLogger("cantata")


class RunLog:
    """Context manager that routes the ``cantata`` logger to the configured file and console."""

    def __init__(self, settings: LogSettings) -> None:
        self.settings = settings
        self._handlers: list[logging.Handler] = []
        self._old_level = log.level
        self._held: _Held | None = None

    def hold(self) -> None:
        """Keep what is logged from now until :meth:`open` (warnings about the config, given
        before the log file may be created) and write it there and then."""
        if self._held is None and not self._handlers:
            self._held = _Held()
            log.addHandler(self._held)

    def release(self) -> None:
        """Stop holding; held records go to Python's last-resort handler (stderr), as they would
        have without :meth:`hold`. Called when the run stops before :meth:`open`."""
        held, self._held = self._held, None
        if held is not None:
            log.removeHandler(held)
            for record in held.records:
                if logging.lastResort is not None and record.levelno >= logging.lastResort.level:
                    logging.lastResort.handle(record)

    def open(self) -> Self:
        if self._handlers:
            return self
        held, self._held = self._held, None
        if held is not None:
            log.removeHandler(held)
        formatter = logging.Formatter(self.settings.format)
        if self.settings.file is not None:
            self.settings.file.parent.mkdir(parents=True, exist_ok=True)
            handler: logging.Handler = logging.FileHandler(self.settings.file, mode="a", encoding="utf-8")
            handler.setFormatter(formatter)
            self._handlers.append(handler)
        if self.settings.to_console:
            console = logging.StreamHandler(sys.stdout)
            console.setFormatter(formatter)
            self._handlers.append(console)
        for handler in self._handlers:
            handler.setLevel(self.settings.level)
            log.addHandler(handler)
        self._old_level = log.level
        log.setLevel(min(logging.getLevelName(self.settings.level), log.level or logging.WARNING))
        for record in held.records if held is not None else []:
            for handler in self._handlers:
                if record.levelno >= handler.level:
                    handler.handle(record)
        return self

    def close(self) -> None:
        for handler in self._handlers:
            log.removeHandler(handler)
            handler.close()
        self._handlers.clear()
        log.setLevel(self._old_level)

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class _Held(logging.Handler):
    """Collects records until the run's handlers exist."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class Progress:
    """Simulated time and speed, shown only for runs that last more than ``after`` seconds.

    On a terminal the line is redrawn in place (standard error); otherwise a log line is
    written at most every ``every`` seconds.
    """

    def __init__(self, tstop: float, *, after: float = 3.0, every: float = 10.0,
                 stream: TextIO | None = None, enabled: bool = True) -> None:
        self.tstop = tstop
        self.after = after
        self.every = every
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.start = time.perf_counter()
        self._last = self.start
        self._shown = False
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, t: float) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        elapsed = now - self.start
        if elapsed < self.after:
            return
        if self._tty:
            if now - self._last < 0.25 and t < self.tstop:
                return
            self.stream.write("\r" + self.line(t, elapsed))
            self.stream.flush()
            self._shown = True
        elif now - self._last >= self.every or (t >= self.tstop and not self._shown):
            log.info(self.line(t, elapsed))
            self._shown = True
        self._last = now

    def line(self, t: float, elapsed: float) -> str:
        speed = t / 1000.0 / elapsed if elapsed > 0 else 0.0
        left = (self.tstop - t) / (t / elapsed) if t > 0 else float("nan")
        pct = 100.0 * t / self.tstop if self.tstop else 100.0
        return (f"t = {t:.1f} / {self.tstop:.1f} ms ({pct:5.1f}%), {elapsed:.1f} s elapsed, "
                f"{speed:.3g} s simulated per s, ~{left:.0f} s left")

    def done(self) -> float:
        """End the line; returns the wall time since start."""
        elapsed = time.perf_counter() - self.start
        if self._tty and self._shown:
            self.stream.write("\n")
            self.stream.flush()
        return elapsed
