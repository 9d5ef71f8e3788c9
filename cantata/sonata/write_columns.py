"""Turn user columns into arrays HDF5 can store the way SONATA readers expect.

Shared by the node and edge writers: validation of ids and attribute columns, dtype
normalisation (bool -> int8, text -> variable-length UTF-8) and dataset creation.
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from typing import Any

import h5py
import numpy as np
import pandas as pd

from cantata.errors import BuildError

#: Variable-length UTF-8 string type, what BMTK, libsonata and bluepysnap all read.
STRING_DTYPE = h5py.string_dtype("utf-8")

#: Names that are sub-groups or metadata inside a SONATA group, never attribute columns.
RESERVED_GROUP_NAMES = frozenset({"dynamics_params", "@library"})

FilePath = str | PathLike[str]


def check_name(name: Any, what: str, *, file: FilePath) -> str:
    """Validate a population, group or column name (a non-empty str usable as an HDF5 name)."""
    if not isinstance(name, str) or not name or "/" in name or name in {".", ".."}:
        raise BuildError(
            f"invalid {what} name", file=file, key=str(name),
            expected="a non-empty string without '/'", found=name,
        )
    return name


def id_array(values: Any, *, file: FilePath, key: str, length: int | None = None) -> np.ndarray:
    """Return ``values`` as a 1-D int64 array of non-negative ids (or type ids when allowed).

    ``length`` (when given) is the required number of rows.
    """
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise BuildError("ids must be a 1-D array", file=file, key=key,
                         expected="1-D array", found=f"an array of shape {arr.shape}")
    if arr.size == 0 and arr.dtype.kind not in "iu":
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise BuildError("ids must be integers", file=file, key=key,
                         expected="an integer array", found=arr.dtype)
    if length is not None and arr.shape[0] != length:
        raise BuildError("wrong number of rows", file=file, key=key,
                         expected=f"{length} rows", found=arr.shape[0])
    if arr.dtype == np.uint64 and arr.size and arr.max() > np.iinfo(np.int64).max:
        raise BuildError("id too large", file=file, key=key,
                         expected=f"<= {np.iinfo(np.int64).max}", found=int(arr.max()))
    return arr.astype(np.int64, copy=False)


def check_id_range(ids: np.ndarray, n_nodes: int, *, file: FilePath, key: str, size_name: str) -> None:
    """Raise unless every id is in ``[0, n_nodes)``."""
    if ids.size == 0:
        return
    low, high = int(ids.min()), int(ids.max())
    if low < 0:
        raise BuildError("negative node id", file=file, key=key, expected=">= 0", found=low)
    if high >= n_nodes:
        raise BuildError("node id out of range", file=file, key=key,
                         expected=f"< {n_nodes} ({size_name})", found=high)


def count_arg(value: Any, *, file: FilePath, key: str) -> int:
    """Validate a node count (non-negative integer)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 0:
        raise BuildError("invalid node count", file=file, key=key,
                         expected="a non-negative integer", found=value)
    return int(value)


def attribute_array(values: Any, *, rows: int, file: FilePath, key: str) -> np.ndarray:
    """Return one attribute column ready for ``create_dataset``.

    Accepts numpy arrays, lists and pandas Series/Categoricals with ``rows`` rows (1-D, or
    2-D for multi-column attributes such as positions). Booleans become int8 (SONATA's bool),
    text becomes an object array of ``str`` (stored as variable-length UTF-8).
    """
    arr = np.asarray(values)
    if arr.ndim not in (1, 2):
        raise BuildError("attribute must be a 1-D (or 2-D multi-column) array", file=file, key=key,
                         expected=f"shape ({rows},) or ({rows}, k)", found=arr.shape)
    if arr.shape[0] != rows:
        raise BuildError("attribute has the wrong number of rows", file=file, key=key,
                         expected=f"{rows} rows", found=arr.shape[0])
    kind = arr.dtype.kind
    if kind == "b":
        return arr.astype(np.int8)
    if kind in "iuf":
        return arr
    if kind == "U":
        return arr.astype(object)
    if kind == "S":
        return _decode_bytes(arr, file=file, key=key)
    if kind == "O":
        return _object_column(arr, rows=rows, file=file, key=key)
    raise BuildError("unsupported attribute dtype", file=file, key=key,
                     expected="bool, integer, float or string values", found=arr.dtype)


def _decode_bytes(arr: np.ndarray, *, file: FilePath, key: str) -> np.ndarray:
    try:
        return np.char.decode(arr, "utf-8").astype(object)
    except UnicodeDecodeError as exc:
        raise BuildError("byte strings are not valid UTF-8", file=file, key=key,
                         expected="UTF-8 text", found=str(exc)) from None


def _object_column(arr: np.ndarray, *, rows: int, file: FilePath, key: str) -> np.ndarray:
    inferred = pd.api.types.infer_dtype(arr.ravel(), skipna=False) if arr.size else "string"
    if inferred == "string":
        return arr
    if inferred == "bytes":
        return _decode_bytes(arr.astype(bytes), file=file, key=key)
    if inferred in {"integer", "floating", "mixed-integer-float", "boolean", "decimal"}:
        return attribute_array(np.array(arr.tolist()), rows=rows, file=file, key=key)
    flat = arr.ravel()
    bad = next((i for i, v in enumerate(flat) if not isinstance(v, str)), 0)  # error path only
    row = bad // max(1, flat.size // max(rows, 1))
    raise BuildError(f"text column has a non-string value at row {row}", file=file, key=key,
                     expected="str values only (no None/NaN in text columns)", found=flat[bad])


def columns_dict(columns: Any, *, rows: int, file: FilePath, where: str) -> dict[str, np.ndarray]:
    """Validate a mapping ``name -> column`` (dict or DataFrame) of ``rows`` rows each."""
    if columns is None:
        return {}
    if isinstance(columns, pd.DataFrame):
        columns = {str(name): columns[name] for name in columns.columns}
    if not isinstance(columns, Mapping):
        raise BuildError("columns must be a mapping of name -> array", file=file, key=where,
                         expected="dict[str, array] or DataFrame", found=type(columns).__name__)
    out: dict[str, np.ndarray] = {}
    for name, values in columns.items():
        check_name(name, "column", file=file)
        if name in RESERVED_GROUP_NAMES:
            raise BuildError("reserved name used as a column", file=file, key=f"{where}/{name}",
                             expected="a name other than " + " and ".join(sorted(RESERVED_GROUP_NAMES)),
                             found=name)
        out[name] = attribute_array(values, rows=rows, file=file, key=f"{where}/{name}")
    return out


def check_compression(compression: Any, *, file: FilePath) -> Any:
    """Validate an h5py ``compression`` argument (None, a filter name, a gzip level 0-9 or an
    available HDF5 filter id) so that a bad value fails before the file is created."""
    if compression is None or compression in ("gzip", "lzf", "szip"):
        return compression
    if isinstance(compression, (int, np.integer)) and not isinstance(compression, bool):
        if 0 <= compression <= 9 or h5py.h5z.filter_avail(int(compression)):
            return compression
    raise BuildError("unknown compression", file=file, key="compression",
                     expected="None, 'gzip', 'lzf', 'szip', a gzip level 0-9 or an HDF5 filter id",
                     found=compression)


def create_dataset(group: h5py.Group, name: str, data: np.ndarray, *, dtype: Any = None,
                   compression: Any = None) -> h5py.Dataset:
    """Create ``group[name]`` from ``data``; text columns as variable-length UTF-8 strings.

    ``compression`` passes through to h5py (skipped for empty datasets, which cannot be chunked).
    """
    if dtype is None and data.dtype.kind == "O":
        dtype = STRING_DTYPE
    kwargs: dict[str, Any] = {}
    if compression is not None and data.size:
        kwargs["compression"] = compression
    return group.create_dataset(name, data=data, dtype=dtype, **kwargs)


def write_columns(group: h5py.Group, columns: Mapping[str, np.ndarray], *, compression: Any = None) -> None:
    """Write attribute columns into ``group`` (created by the caller)."""
    for name, data in columns.items():
        create_dataset(group, name, data, compression=compression)
