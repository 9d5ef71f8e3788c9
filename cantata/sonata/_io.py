"""Small file helpers shared by the writers: atomic replacement and overwrite checks."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from os import PathLike
from pathlib import Path

from cantata.errors import FormatError


def check_writable(path: str | PathLike[str], overwrite: bool) -> Path:
    """Return ``path`` as a Path; raise if it exists and ``overwrite`` is false."""
    target = Path(path)
    if target.exists() and not overwrite:
        raise FormatError(
            "file exists; pass overwrite=True to replace it", file=target
        )
    if target.is_dir():
        raise FormatError("is a directory, expected a file path", file=target)
    return target


@contextlib.contextmanager
def atomic_path(path: str | PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it onto ``path`` only if the block succeeds.

    A crash inside the block leaves ``path`` untouched (or absent) and removes the partial file.
    """
    target = check_writable(path, overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A fresh name, not a created file: the writer creates it with the usual permissions.
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.part")
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
