"""Problems found by ``cantata validate`` and the list that collects them.

A :class:`Problem` reads like a :class:`cantata.errors.CantataError` message
(``file: key: message (expected ..., found ...)``) with a severity in front. Checks add
problems to a :class:`ProblemList`; :meth:`ProblemList.guard` turns a raised
``CantataError`` into a problem and skips the rest of the guarded block, so a failure stops
only the checks that depend on it.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from os import PathLike
from typing import Any

from cantata.errors import CantataError

ERROR = "error"
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)
#: Placeholder substituted for a manifest variable no file defines (already reported).
UNRESOLVED = "<unresolved:{}>"
UNRESOLVED_MARK = "<unresolved:"


@dataclass(frozen=True)
class Problem:
    """One problem: where (file, key or dataset), what, what was expected and what was found."""

    message: str
    file: str | None = None
    key: str | None = None
    expected: Any = None
    found: Any = None
    severity: str = ERROR

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def text(self) -> str:
        """The message without the severity, composed like a CantataError message."""
        return str(CantataError(self.message, file=self.file, key=self.key,
                                expected=self.expected, found=self.found))

    def __str__(self) -> str:
        return f"{self.severity}: {self.text}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (expected/found as text when they are not plain JSON values)."""
        return {
            "severity": self.severity, "file": self.file, "key": self.key, "message": self.message,
            "expected": _jsonable(self.expected), "found": _jsonable(self.found),
        }


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, (bool, int, float, str)) for v in value):
        return list(value)
    return str(value)


class ProblemList:
    """Problems in the order they were found."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self._seen: set[str] = set()

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def add(self, message: str, *, file: str | PathLike[str] | None = None, key: str | None = None,
            expected: Any = None, found: Any = None, severity: str = ERROR) -> None:
        problem = Problem(message, None if file is None else str(file), key, expected, found, severity)
        if problem.text not in self._seen:  # the same problem found again is listed once
            self._seen.add(problem.text)
            self.items.append(problem)

    def error(self, message: str, **where: Any) -> None:
        self.add(message, severity=ERROR, **where)

    def warning(self, message: str, **where: Any) -> None:
        self.add(message, severity=WARNING, **where)

    def add_exception(self, exc: CantataError, *, severity: str = ERROR,
                      file: str | PathLike[str] | None = None, key: str | None = None) -> None:
        """Record a raised error; ``file``/``key`` fill in what the error left out."""
        self.add(exc.detail, file=exc.file or file, key=exc.key or key, expected=exc.expected,
                 found=exc.found, severity=severity)

    @contextlib.contextmanager
    def guard(self, *, severity: str = ERROR, file: str | PathLike[str] | None = None,
              key: str | None = None, own_file: bool = False) -> Iterator[Outcome]:
        """Run a block; a ``CantataError`` or ``OSError`` becomes a problem and ends the block early.

        ``file``/``key`` fill in what the error leaves out; with ``own_file=True`` ``file``
        replaces the error's file (for errors of the merged config, which name the top file).
        """
        outcome = Outcome()
        try:
            yield outcome
        except CantataError as exc:
            outcome.ok = False
            if own_file and file is not None:
                exc.file = str(file)
            self.add_exception(exc, severity=severity, file=file, key=key)
        except OSError as exc:  # an unreadable file or a damaged HDF5 dataset
            outcome.ok = False
            self.add(f"cannot read ({exc})", file=file, key=key, severity=severity)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if not p.is_error]


class Outcome:
    """Whether a guarded block ran to its end."""

    def __init__(self) -> None:
        self.ok = True


def closest(name: str, known: Iterable[str], cutoff: float = 0.75) -> str | None:
    """The known name most like ``name`` (difflib ratio >= ``cutoff``), or None."""
    close = difflib.get_close_matches(name, [k for k in known if k != name], n=1, cutoff=cutoff)
    return close[0] if close else None


def suggestion(name: str, known: Iterable[str], cutoff: float = 0.75) -> str:
    """`` (did you mean 'x'?)`` for the closest known name, or an empty string."""
    close = closest(name, known, cutoff)
    return f" (did you mean {close!r}?)" if close else ""


def one_of(names: Iterable[str], limit: int = 20) -> str:
    """``one of 'a', 'b', ...`` listing at most ``limit`` names."""
    names = sorted(set(names))
    if not names:
        return "none defined"
    shown = ", ".join(repr(n) for n in names[:limit])
    more = f", ... ({len(names) - limit} more)" if len(names) > limit else ""
    return f"one of {shown}{more}"


def is_placeholder(value: Any) -> bool:
    """True if a resolved value holds an unresolved-variable placeholder."""
    return isinstance(value, str) and UNRESOLVED_MARK in value
