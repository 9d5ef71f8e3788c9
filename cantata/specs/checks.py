"""Checks shared by the compilers: every bad value raises naming its key, what is supported
and what was found."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

from cantata.errors import BuildError


class SpecWarning(UserWarning):
    """A NetPyNE option that does not change the model (an output or plot) is not honoured."""


def fail(message: str, key: str, *, expected: Any = None, found: Any = None) -> NoReturn:
    """Raise a :class:`BuildError` for a netParams/simConfig ``key``."""
    raise BuildError(message, key=key, expected=expected, found=found)


def warn(message: str) -> None:
    warnings.warn(message, SpecWarning, stacklevel=4)


def where(container: str, label: Any, *keys: Any) -> str:
    """How messages name a value: ``netParams.connParams['S->M'].weight``."""
    text = f"{container}[{label!r}]"
    return ".".join([text, *(str(k) for k in keys)])


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def number(value: Any, key: str, *, positive: bool = False, minimum: float | None = None) -> float:
    """``value`` as a float, or raise (a string names a string function where none is taken)."""
    if isinstance(value, str):
        fail("NetPyNE takes no string function for this key (or cantata.specs does not support one here)", key,
             expected="a number", found=value)
    if not is_number(value) or (positive and value <= 0) or (minimum is not None and value < minimum):
        expected = "a positive number" if positive else \
            f"a number >= {minimum}" if minimum is not None else "a number"
        fail("bad value", key, expected=expected, found=value)
    return float(value)


def integer(value: Any, key: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) \
            or value < minimum:
        fail("bad value", key, expected=f"a whole number >= {minimum}", found=value)
    return int(value)


def only_keys(params: Mapping[str, Any], allowed: Iterable[str], key: str, what: str) -> None:
    """Raise on the first key of ``params`` not in ``allowed``."""
    allowed = set(allowed)
    for name in params:
        if name not in allowed:
            fail(f"unsupported {what} key", f"{key}.{name}",
                 expected=f"keys among {sorted(allowed)}", found=name)


def mapping(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        fail("must be a dict", key, expected="a dict", found=type(value).__name__)
    return value
