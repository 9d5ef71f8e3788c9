"""Reader for SONATA ``*_node_types.csv`` / ``*_edge_types.csv`` tables.

Dialect accepted: fields separated by one or more spaces (tabs too), ``"`` quotes around
values with spaces (``""`` inside quotes is a literal quote), CRLF or LF line ends, blank lines
ignored. ``NULL``, ``NONE``, ``None``, ``NaN``, ``nan`` and empty fields are missing values.

The table comes back as a pandas DataFrame built from plain numpy columns, whatever pandas'
string default is: the type-id column is ``int64``, numeric columns are ``int64``/``float64``/
``bool``, every other column is ``object`` holding ``str`` with ``None`` for missing values.
A numeric column with missing values is ``float64`` with NaN; a column with no value at all is
``object`` filled with ``None``.
"""

from __future__ import annotations

import csv
import math
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cantata.errors import FormatError

MISSING_TOKENS: tuple[str, ...] = ("NULL", "NONE", "None", "NaN", "nan", "")
TYPE_ID_COLUMNS: tuple[str, ...] = ("node_type_id", "edge_type_id")


def read_types_csv(
    path: str | PathLike[str], *, id_column: str | None = None, population: str | None = None
) -> pd.DataFrame:
    """Read a types CSV.

    ``id_column`` is ``"node_type_id"`` or ``"edge_type_id"``; ``None`` accepts whichever the
    header has. If the table has a ``population`` column and ``population`` is given, only the
    rows of that population (or with no population) are kept and the column is dropped.
    """
    source = Path(path)
    if not source.is_file():
        raise FormatError("types file not found", file=source)
    try:
        raw = pd.read_csv(
            source,
            sep=r"\s+",
            quotechar='"',
            doublequote=True,
            quoting=csv.QUOTE_MINIMAL,
            keep_default_na=False,
            na_values=list(MISSING_TOKENS),
            skip_blank_lines=True,
            engine="c",
        )
    except pd.errors.EmptyDataError:
        raise FormatError("types file is empty, expected a header row", file=source) from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise FormatError(f"cannot parse types table: {exc}", file=source) from None
    return normalize_types_table(raw, id_column=id_column, population=population, source=source)


def normalize_types_table(
    table: pd.DataFrame,
    *,
    id_column: str | None = None,
    population: str | None = None,
    source: str | PathLike[str] | None = None,
) -> pd.DataFrame:
    """Copy of ``table`` with plain numpy columns (see module doc) and checked type ids.

    ``source`` only names the origin in error messages.
    """
    key = _id_column(table, source, id_column)
    columns = {}
    for name in table.columns:
        values = _plain_column(table[name])
        columns[str(name)] = pd.Series(values, dtype=values.dtype, index=pd.RangeIndex(len(table)))
    columns[key] = pd.Series(_type_ids(table[key], source, key), index=pd.RangeIndex(len(table)))
    result = pd.DataFrame(columns, index=pd.RangeIndex(len(table)))
    if population is not None and "population" in result.columns:
        values = result["population"].to_numpy()
        keep = np.array([v is None or v == population for v in values], dtype=bool)
        result = result.loc[keep].drop(columns="population").reset_index(drop=True)
    return result


def empty_types_table(id_column: str) -> pd.DataFrame:
    """A types table with only the id column and no rows."""
    return pd.DataFrame({id_column: np.zeros(0, dtype=np.int64)})


def lookup_column(
    table: pd.DataFrame, id_column: str, column: str, type_ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Values of ``column`` for each entry of ``type_ids``.

    Returns ``(values, found)``: ``found[i]`` is false where ``type_ids[i]`` has no row in the
    table; ``values`` holds the column's value where found (an arbitrary filler elsewhere).
    Vectorised: one sort of the table ids and one ``searchsorted`` over ``type_ids``.
    """
    type_ids = np.asarray(type_ids, dtype=np.int64)
    table_ids = table[id_column].to_numpy(dtype=np.int64)
    column_values = table[column].to_numpy()
    if len(table_ids) == 0:
        filler = np.empty(len(type_ids), dtype=column_values.dtype)
        if filler.dtype == object:
            filler[:] = None
        return filler, np.zeros(len(type_ids), dtype=bool)
    order = np.argsort(table_ids, kind="stable")
    sorted_ids = table_ids[order]
    pos = np.searchsorted(sorted_ids, type_ids)
    pos_clipped = np.minimum(pos, len(sorted_ids) - 1)
    found = sorted_ids[pos_clipped] == type_ids
    return column_values[order[pos_clipped]], found


def is_missing_value(value: Any) -> bool:
    """True for one value that stands for "not given": None, NaN, or the text ``NULL``/``NONE``
    (any case) or an empty string, as types tables and BMTK write them."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.upper() in ("NONE", "NULL", "")


def is_missing(values: np.ndarray) -> np.ndarray:
    """Boolean mask of missing entries (``None`` or NaN) in an array of any dtype."""
    values = np.asarray(values)
    if values.dtype.kind == "f":
        return np.isnan(values)
    if values.dtype == object:
        return np.asarray(pd.isna(pd.Series(values, dtype=object)), dtype=bool)
    return np.zeros(values.shape, dtype=bool)


def _id_column(raw: pd.DataFrame, source: str | PathLike[str] | None, id_column: str | None) -> str:
    candidates = [id_column] if id_column else list(TYPE_ID_COLUMNS)
    for name in candidates:
        if name in raw.columns:
            return name
    raise FormatError(
        "types table has no type-id column",
        file=source,
        expected=" or ".join(candidates),
        found=", ".join(map(str, raw.columns)) or "no columns",
    )


def _plain_column(series: pd.Series) -> np.ndarray:
    """A pandas column as a plain numpy array (object+None for text, numeric otherwise)."""
    if len(series) and series.isna().all():
        return np.full(len(series), None, dtype=object)
    kind = series.dtype.kind if isinstance(series.dtype, np.dtype) else "O"
    if kind in "iufb":
        return series.to_numpy()
    values = series.astype(object).to_numpy(dtype=object, copy=True)
    values[pd.isna(series).to_numpy()] = None
    return values


def _type_ids(column: pd.Series, source: str | PathLike[str] | None, key: str) -> np.ndarray:
    values = _plain_column(column)
    if values.dtype.kind not in "iu" and len(values):
        bad = [v for v in values if not _is_int_like(v)]
        if bad or values.dtype.kind != "f":
            raise FormatError(
                "type ids must be integers", file=source, key=key, expected="integers",
                found=bad[:5] if bad else str(values.dtype),
            )
    ids = values.astype(np.int64)
    unique, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        raise FormatError(
            "duplicate type ids", file=source, key=key, expected="unique ids",
            found=unique[counts > 1].tolist()[:10],
        )
    return ids


def _is_int_like(value: object) -> bool:
    try:
        return value is not None and float(value) == int(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
