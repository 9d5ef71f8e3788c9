"""What the shims say about BMTK names they do not have, and BMTK's ``io`` logging object."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, NoReturn

from cantata.errors import SimulationError

__all__ = ["IOLog", "missing_attribute", "unsupported"]

log = logging.getLogger("cantata")
GUIDE = "see docs/bmtk-migration.md"


def unsupported(qualname: str, instead: str) -> Callable[..., NoReturn]:
    """A stand-in for BMTK's ``qualname`` that raises NotImplementedError saying what to use
    instead (importing it works, so the error appears where the script uses it)."""

    def stub(*args: Any, **kwargs: Any) -> NoReturn:
        raise NotImplementedError(f"BMTK's {qualname} is not supported by cantata.compat: {instead} ({GUIDE})")

    stub.__name__ = qualname.rsplit(".", 1)[-1]
    stub.__qualname__ = stub.__name__
    stub.__doc__ = f"Not supported: {instead}."
    return stub


def missing_attribute(owner: str, name: str, supported: str) -> AttributeError:
    """The error for a BMTK name the shim does not know at all."""
    return AttributeError(
        f"{owner} has no attribute {name!r}: BMTK's {owner.rsplit('.', 1)[-1]}.{name} has no Cantata "
        f"counterpart here. Supported: {supported}. For anything else run the config with "
        f"cantata.sim.Simulation.from_config(path).run() ({GUIDE})")


class IOLog:
    """BMTK's ``io`` object: its ``log_*`` methods write to the ``cantata`` logger, which a
    run routes to the console and ``output.log_file`` (between building and the end of the run)."""

    def log_info(self, message: str, all_ranks: bool = False) -> None:
        log.info(message)

    def log_warning(self, message: str, all_ranks: bool = False, display_once: bool = False) -> None:
        log.warning(message)

    def log_error(self, message: str) -> None:
        log.error(message)

    def log_debug(self, message: str, all_ranks: bool = False) -> None:
        log.debug(message)

    def log_exception(self, message: str, raise_exception: bool = True) -> None:
        """Log ``message`` as an error and, as BMTK does, raise it (a SimulationError)."""
        log.error(message)
        if raise_exception:
            raise SimulationError(message)

    def barrier(self) -> None:
        """Nothing to wait for: Cantata synchronises MPI ranks itself."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise missing_attribute("io", name, "log_info, log_warning, log_error, log_debug, log_exception, barrier")
