"""Base classes for the plug-ins made from ``inputs`` and ``reports`` config blocks.

A module is built from its block (``cls(name, params)``: parse and check the parameters,
nothing else), then, in order: ``outputs()`` (files it will write, for the overwrite check),
``setup(sim)`` (attach to the engine, before simulated time starts), ``block(sim, t)`` after
every block of ``nsteps_block`` steps, and ``finalize(sim)`` at the end or ``abort(sim)``
after an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from cantata.errors import ConfigError

if TYPE_CHECKING:
    from cantata.sim.simulation import Simulation

__all__ = ["InputModule", "ReportModule", "SimModule"]

_MISSING = object()


class SimModule:
    """Shared behaviour: parameter access with errors that name the config key."""

    section: ClassVar[str] = ""

    def __init__(self, name: str, params: dict[str, Any], *, config_file: Any = None) -> None:
        self.name = name
        self.params = dict(params)
        self.config_file = config_file

    def where(self, key: str | None = None) -> str:
        """``inputs.<name>.<key>``, for messages."""
        base = f"{self.section}.{self.name}"
        return f"{base}.{key}" if key else base

    def error(self, message: str, key: str | None = None, **kw: Any) -> ConfigError:
        return ConfigError(message, file=self.config_file, key=self.where(key), **kw)

    def param(self, key: str, default: Any = _MISSING, *, expected: str = "a value") -> Any:
        if key in self.params:
            return self.params[key]
        if default is _MISSING:
            raise self.error(f"missing {key}", key, expected=expected, found=None)
        return default

    # -- lifecycle (all optional) -----------------------------------------------------------
    def outputs(self) -> list[Path]:
        """Files this module will write (checked against ``overwrite_output_dir``)."""
        return []

    def setup(self, sim: Simulation) -> None:
        """Check against the network and attach to ``sim.engine``."""

    def block(self, sim: Simulation, t: float) -> None:
        """Called after each block; ``t`` is the simulated time reached (ms)."""

    def finalize(self, sim: Simulation) -> list[Path]:
        """Finish after the last block; returns the files written."""
        return []

    def abort(self, sim: Simulation) -> list[Path]:
        """Called after an error; keep whatever was flushed, return the files kept."""
        return []


class InputModule(SimModule):
    """An ``inputs`` block (spike trains, current clamps, ...)."""

    section = "inputs"


class ReportModule(SimModule):
    """A ``reports`` block (membrane potential, ...)."""

    section = "reports"
