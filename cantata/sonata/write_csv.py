"""Writer of SONATA node/edge types tables (``*_types.csv``).

Dialect: one space between fields, header first, the type-id column first, ``NULL`` for a
missing value, double quotes around a value containing whitespace or quotes (quotes doubled)
and around empty text, lists written as one quoted, space-separated value. This is what
``pandas.read_csv(path, sep=" ")`` (BMTK's reader) and Cantata's reader both parse.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from os import PathLike, fspath
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cantata.errors import BuildError
from cantata.sonata._io import atomic_path

NULL = "NULL"
TYPE_ID_COLUMNS = ("node_type_id", "edge_type_id")
_NEEDS_QUOTES = (" ", "\t", "\n", "\r", '"')

FilePath = str | PathLike[str]


def write_types_csv(path: FilePath, table: pd.DataFrame | Mapping[str, Any], *,
                    overwrite: bool = False) -> Path:
    """Write a node or edge types table and return its path.

    ``table`` must have a ``node_type_id`` or ``edge_type_id`` column (or index) of unique
    integers; it is written first, the other columns in their order.
    """
    frame = _as_frame(table, path)
    id_column = _id_column(frame, path)
    columns = [id_column, *(c for c in frame.columns if c != id_column)]
    lines = [" ".join(_quote(str(c)) for c in columns)]
    for row in frame[columns].itertuples(index=False, name=None):
        lines.append(" ".join(_cell(value, path, column) for value, column in zip(row, columns)))
    text = "\n".join(lines) + "\n"
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")
    return Path(path)


def _as_frame(table: Any, path: FilePath) -> pd.DataFrame:
    if isinstance(table, Mapping):
        table = pd.DataFrame(dict(table))
    if not isinstance(table, pd.DataFrame):
        raise BuildError("types table must be a pandas DataFrame", file=path, key="table",
                         expected="DataFrame", found=type(table).__name__)
    if table.index.name in TYPE_ID_COLUMNS and table.index.name not in table.columns:
        table = table.reset_index()
    names = [c for c in table.columns if not isinstance(c, str) or not c]
    if names:
        raise BuildError("column names must be non-empty strings", file=path, key="columns",
                         expected="str names", found=names[0])
    if table.columns.has_duplicates:
        dup = table.columns[table.columns.duplicated()][0]
        raise BuildError("duplicate column", file=path, key=dup, expected="unique column names", found=dup)
    return table


def _id_column(frame: pd.DataFrame, path: FilePath) -> str:
    present = [c for c in TYPE_ID_COLUMNS if c in frame.columns]
    if len(present) != 1:
        raise BuildError("types table needs exactly one type-id column", file=path, key="columns",
                         expected="node_type_id or edge_type_id",
                         found=", ".join(map(str, frame.columns)) or "no columns")
    column = present[0]
    ids = frame[column]
    if ids.isna().any() or not pd.api.types.is_numeric_dtype(ids) or pd.api.types.is_bool_dtype(ids):
        raise BuildError("type ids must be integers without missing values", file=path, key=column,
                         expected="integers", found=ids.dtype)
    values = ids.to_numpy()
    if values.dtype.kind == "f" and not np.all(values == np.round(values)):
        raise BuildError("type ids must be integers", file=path, key=column,
                         expected="integers", found=float(values[values != np.round(values)][0]))
    if ids.duplicated().any():
        raise BuildError("duplicate type id", file=path, key=column, expected="unique ids",
                         found=int(ids[ids.duplicated()].iloc[0]))
    return column


def _quote(text: str) -> str:
    if text == "" or any(ch in text for ch in _NEEDS_QUOTES):
        return '"' + text.replace('"', '""') + '"'
    return text


def _cell(value: Any, path: FilePath, column: str) -> str:
    if isinstance(value, (list, tuple, np.ndarray)):
        items = np.asarray(value, dtype=object).ravel() if isinstance(value, np.ndarray) else value
        return _quote(" ".join(_scalar(v, path, column) for v in items))
    return _quote(_scalar(value, path, column))


def _scalar(value: Any, path: FilePath, column: str) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return NULL
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return NULL if math.isnan(value) else str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, PathLike):
        return fspath(value)
    raise BuildError("unsupported value in types table", file=path, key=column,
                     expected="number, bool, str, path or a list of those", found=value)
