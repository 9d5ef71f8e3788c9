"""Error types. Every error names where the problem is, what was expected and what was found."""

from __future__ import annotations

from os import PathLike
from typing import Any


class CantataError(Exception):
    """Base class of every error Cantata raises on bad input.

    The message is built from optional parts so that all errors read alike::

        <file>: <key>: <message> (expected <expected>, found <found>)
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | PathLike[str] | None = None,
        key: str | None = None,
        expected: Any = None,
        found: Any = None,
    ) -> None:
        self.file = None if file is None else str(file)
        self.key = key
        self.expected = expected
        self.found = found
        self.detail = message
        super().__init__(self._compose())

    def _compose(self) -> str:
        parts = [p for p in (self.file, self.key) if p]
        text = ": ".join([*parts, self.detail])
        extra = []
        if self.expected is not None:
            extra.append(f"expected {self.expected}")
        if self.found is not None:
            extra.append(f"found {self.found!r}" if isinstance(self.found, str) else f"found {self.found}")
        if extra:
            text += " (" + ", ".join(extra) + ")"
        return text


class ConfigError(CantataError):
    """A SONATA config file (JSON, manifest, sections) is malformed or incomplete."""


class NodeSetError(CantataError):
    """A node-set expression is malformed, names an unknown set or an unknown attribute."""


class FormatError(CantataError):
    """A SONATA data file (HDF5, CSV) does not have the layout or types the format requires."""


class BuildError(CantataError):
    """A network-building call got arguments it cannot use."""


class SimulationError(CantataError):
    """A simulation cannot be set up or run with the given config and network."""
