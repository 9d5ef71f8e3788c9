"""``Dict`` and ``ODict``: dicts whose keys also read and write as attributes (``a.b.c = 1``).

As in NetPyNE, nested plain dicts given to the constructor or assigned become ``Dict`` too, so
``netParams.cellParams.PYR.secs.soma.geom.L = 16`` works after ``cellParams['PYR'] = {...}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Dict(dict):  # type: ignore[type-arg]
    """A dict with attribute access to its keys (missing keys raise ``AttributeError``)."""

    __slots__ = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.update(*args, **kwargs)

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, dotify(value))

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value

    def __delattr__(self, key: str) -> None:
        try:
            del self[key]
        except KeyError:
            raise AttributeError(key) from None

    def todict(self) -> dict[str, Any]:
        """A plain (nested) dict copy."""
        return undotify(self)


class ODict(Dict):
    """NetPyNE's ordered ``ODict``; Python dicts keep insertion order, so it is a ``Dict``."""

    __slots__ = ()


def dotify(value: Any) -> Any:
    """Plain dicts (also inside lists) as ``Dict``; other values unchanged."""
    if isinstance(value, Mapping) and not isinstance(value, Dict):
        return Dict(value)
    if isinstance(value, list):
        return [dotify(v) for v in value]
    return value


def undotify(value: Any) -> Any:
    """``Dict`` (also nested, also in lists and tuples) as plain dicts."""
    if isinstance(value, Mapping):
        return {k: undotify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [undotify(v) for v in value]
    if isinstance(value, tuple):
        return tuple(undotify(v) for v in value)
    return value
