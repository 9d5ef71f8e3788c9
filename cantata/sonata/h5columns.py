"""HDF5 access shared by the population readers: file handles and column reading helpers.

Columns are read with one contiguous h5py read per dataset (the span of the requested rows),
then indexed with numpy; ``@library`` codes and native HDF5 enums are resolved to strings.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd
from h5py import h5s

from cantata.errors import FormatError
from cantata.sonata.h5raw import RawExtent, raw_blocks, raw_extent, raw_points, read_raw

PathArg = str | PathLike[str]
IdsArg = int | Sequence[int] | np.ndarray | None

LIBRARY = "@library"
DYNAMICS = "dynamics_params"
INDEX_GROUP = "indices"
INDEX_RANGES = ("node_id_to_ranges", "node_id_to_range")  # spec / libsonata name, BMTK name
INDEX_EDGES = "range_to_edge_id"



class H5Handle:
    """One HDF5 file, opened read-only on first use and shared by its populations.

    ``close()`` releases the OS handle; any later read reopens the file. Pickling keeps only
    the path, so populations can be sent to other processes.
    """

    def __init__(self, path: PathArg) -> None:
        self.path = Path(path)
        self._file: h5py.File | None = None

    @property
    def file(self) -> h5py.File:
        """The open ``h5py.File`` (opened now if needed)."""
        if self._file is None or not self._file.id.valid:
            if not self.path.is_file():
                raise FormatError("file not found", file=self.path)
            try:
                self._file = h5py.File(self.path, "r")
            except OSError as exc:
                raise FormatError(f"cannot open as HDF5 ({exc})", file=self.path) from None
        return self._file

    def close(self) -> None:
        """Close the file if it is open."""
        if self._file is not None:
            try:
                self._file.close()
            finally:
                self._file = None

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.path = state["path"]
        self._file = None

    def __repr__(self) -> str:
        return f"H5Handle({str(self.path)!r}, open={self._file is not None})"


def population_names(path: PathArg | H5Handle, kind: str) -> list[str]:
    """Names of the populations under ``/nodes`` (kind ``"nodes"``) or ``/edges`` of a file."""
    handle = path if isinstance(path, H5Handle) else H5Handle(path)
    root = handle.file.get(kind)
    if not isinstance(root, h5py.Group):
        raise FormatError(
            f"no /{kind} group", file=handle.path, key=f"/{kind}",
            expected=f"a /{kind} group", found=", ".join(handle.file.keys()) or "empty file",
        )
    return [name for name, link in root.items() if isinstance(link, h5py.Group)]


@dataclass(frozen=True)
class _Column:
    """Metadata of one per-row dataset in a population group."""

    path: str
    shape: tuple[int, ...]
    dtype: np.dtype
    is_string: bool
    library: str | None  # path of the @library table when the column is an index into it
    enum: dict[str, int] | None  # native HDF5 enumeration mapping

    @property
    def out_dtype(self) -> np.dtype:
        resolved = self.is_string or self.library is not None or self.enum is not None
        return np.dtype(object) if resolved else self.dtype


@dataclass
class _Layout:
    """Where each row's group attributes live."""

    single: int | None  # every row is in this group at index == row
    group_ids: np.ndarray | None = None  # otherwise: per-row group id ...
    group_index: np.ndarray | None = None  # ... and row inside that group


def _scan_columns(group: h5py.Group, library: Any) -> dict[str, _Column]:
    """Per-row datasets of a group (null-dataspace and scalar datasets are skipped)."""
    libraries = library if isinstance(library, h5py.Group) else None
    columns: dict[str, _Column] = {}
    for key, obj in group.items():
        if not isinstance(obj, h5py.Dataset) or not obj.shape:
            continue
        is_string = h5py.check_string_dtype(obj.dtype) is not None
        enum = h5py.check_enum_dtype(obj.dtype)
        lib = None
        if libraries is not None and obj.dtype.kind in "iu" and isinstance(libraries.get(key), h5py.Dataset):
            lib = libraries[key].name
        columns[key] = _Column(
            path=obj.name, shape=tuple(obj.shape), dtype=obj.dtype, is_string=is_string,
            library=lib, enum=None if lib else (dict(enum) if enum else None),
        )
    return columns


def _read_rows(
    ds: h5py.Dataset, index: np.ndarray | None, count: int | None, file: Path, what: str = "group index"
) -> np.ndarray:
    """Rows of a dataset along axis 0: ``index`` (any order) or the first ``count`` (None = all).

    One h5py read of the span min(index)..max(index), then numpy fancy indexing.
    """
    view = ds.asstr() if h5py.check_string_dtype(ds.dtype) is not None else ds
    length = ds.shape[0]
    if index is None:
        stop = length if count is None else count
        if stop > length:
            raise FormatError(
                "dataset is shorter than the population", file=file, key=ds.name,
                expected=f"at least {stop} rows", found=length,
            )
        return _read_span(view, 0, stop, file, ds.name)
    if index.size == 0:
        dtype = object if view is not ds else ds.dtype
        return np.empty((0, *ds.shape[1:]), dtype=dtype)
    low, high = int(index.min()), int(index.max()) + 1
    if low < 0 or high > length:
        raise FormatError(
            f"{what} out of range", file=file, key=ds.name,
            expected=f"indices in 0..{length - 1}", found=high - 1 if high > length else low,
        )
    block = _read_span(view, low, high, file, ds.name)
    if index.size == high - low and index[0] == low and (np.diff(index) == 1).all():
        return block
    return block[index - low]


def _read_span(view: Any, start: int, stop: int, file: Path, key: str) -> np.ndarray:
    try:
        return np.asarray(view[start:stop])
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise FormatError(f"cannot read dataset ({exc})", file=file, key=key) from None


def _resolve_codes(codes: np.ndarray, library: np.ndarray, file: Path, key: str) -> np.ndarray:
    codes = codes.astype(np.int64, copy=False)
    bad = codes[(codes < 0) | (codes >= len(library))]
    if bad.size:
        raise FormatError(
            "@library index out of range", file=file, key=key,
            expected=f"codes in 0..{len(library) - 1}", found=np.unique(bad).tolist()[:10],
        )
    return library[codes]


def _resolve_enum(codes: np.ndarray, mapping: dict[str, int], file: Path, key: str) -> np.ndarray:
    names = np.array(list(mapping), dtype=object)
    values = np.array([mapping[n] for n in names], dtype=np.int64)
    order = np.argsort(values)
    values, names = values[order], names[order]
    codes = codes.astype(np.int64, copy=False)
    pos = np.minimum(np.searchsorted(values, codes), len(values) - 1)
    bad = codes[values[pos] != codes]
    if bad.size:
        raise FormatError(
            "value not in the HDF5 enumeration", file=file, key=key,
            expected=f"one of {dict(mapping)}", found=np.unique(bad).tolist()[:10],
        )
    return names[pos]


def _assemble(
    n: int,
    parts: list[tuple[np.ndarray | None, np.ndarray]],
    dtypes: list[np.dtype],
    trailing: tuple[int, ...],
    population: Any,  # the population being read, for error messages
    name: str,
) -> np.ndarray:
    """Put per-group values into one array of length ``n``; uncovered rows are missing."""
    if len(parts) == 1 and parts[0][0] is None:
        return parts[0][1]
    shapes = {values.shape[1:] for _, values in parts}
    if len(shapes) > 1:
        raise FormatError(
            "groups store the attribute with different shapes", file=population.path,
            key=f"{population.h5_path}/*/{name}", found=sorted(shapes),
        )
    if shapes:
        trailing = shapes.pop()
    all_dtypes = [values.dtype for _, values in parts] or list(dtypes)
    covered = sum(len(values) for _, values in parts)
    if any(dt == object or dt.kind in "SUO" for dt in all_dtypes):
        dtype = np.dtype(object)
    else:
        dtype = np.result_type(*all_dtypes) if all_dtypes else np.dtype(object)
        if covered < n and dtype.kind in "iub":
            dtype = np.dtype(np.float64)
    out = np.empty((n, *trailing), dtype=dtype)
    if covered < n:
        out[...] = None if dtype == object else np.nan
    for positions, values in parts:
        out[slice(None) if positions is None else positions] = values
    return out


def _series(values: np.ndarray, index: pd.Index) -> pd.Series:
    if values.ndim > 1:
        cells = np.empty(len(values), dtype=object)
        cells[:] = list(values)
        values = cells
    return pd.Series(values, index=index, dtype=values.dtype, copy=False)


_BLOCK_ROWS = 1 << 18  # rows per block when a column is scanned block by block
_RAW_BLOCK_ROWS = 1 << 16  # the same for plain contiguous columns read raw


def _is_identity(values: np.ndarray) -> bool:
    """True when ``values`` is 0, 1, ..., len - 1 (checked block by block: no full-size temporaries)."""
    n = len(values)
    if n == 0:
        return True
    if values[0] != 0 or values[n - 1] != n - 1:
        return False
    scratch = np.empty(min(_BLOCK_ROWS, n), dtype=bool)
    return all(
        _is_range(values[start:start + _BLOCK_ROWS], start, scratch) for start in range(0, n, _BLOCK_ROWS)
    )


def _is_range(block: np.ndarray, start: int, scratch: np.ndarray) -> bool:
    """True when ``block`` is start, start + 1, ..., start + len - 1.

    Integers that rise strictly from ``start`` to ``start + len - 1`` can only be that range,
    so one comparison of neighbours suffices (no ``arange`` to compare with).
    """
    k = block.size
    if block.dtype.kind not in "iu":
        return bool(np.array_equal(block, np.arange(start, start + k)))
    values = _signed(block)
    if values[0] != start or values[k - 1] != start + k - 1:
        return False
    return k < 2 or bool(np.greater(values[1:], values[:-1], out=scratch[:k - 1]).all())


def _signed(values: np.ndarray) -> np.ndarray:
    """uint64 values viewed as int64 (no copy: values of 2**63 and above turn negative)."""
    return values.view(np.int64) if values.dtype == np.uint64 else values


def _dataset_blocks(
    ds: h5py.Dataset, stop: int, dtype: np.dtype, file: Path, out: np.ndarray | None = None
) -> Iterator[np.ndarray]:
    """Rows ``0..stop`` of a 1-D dataset as consecutive blocks of ``dtype``.

    Without ``out`` every block is read into one reused buffer (a column is checked without
    being held whole: each block is overwritten by the next); with ``out`` (a C-contiguous
    array of ``stop`` rows) the blocks are its consecutive slices, so a caller can check each
    block while it is still in the CPU cache. Blocks are whole chunks of a chunked dataset,
    so no chunk is decompressed twice; plain contiguous datasets are read without HDF5's
    per-call overhead (:mod:`cantata.sonata.h5raw`).
    """
    rows = _BLOCK_ROWS
    if ds.chunks:
        rows = max(1, rows // ds.chunks[0]) * ds.chunks[0]
    rows = max(1, min(rows, stop))
    extent = raw_extent(ds, dtype, stop)
    if extent is not None:  # plain contiguous bytes: one system call per block
        yield from _raw_dataset_blocks(extent, stop, dtype, file, ds.name, out)
        return
    buffer = np.empty(rows, dtype=dtype) if out is None else out
    dsid = ds.id
    file_space = dsid.get_space()
    memory_space = h5s.create_simple((rows,))
    for start in range(0, stop, rows):
        k = min(rows, stop - start)
        if k != rows:
            memory_space = h5s.create_simple((k,))
        file_space.select_hyperslab((start,), (k,))
        block = buffer[:k] if out is None else out[start:start + k]
        try:
            dsid.read(memory_space, file_space, block)
        except (OSError, ValueError, TypeError) as exc:
            raise FormatError(f"cannot read dataset ({exc})", file=file, key=ds.name) from None
        yield block


def _raw_dataset_blocks(
    extent: RawExtent, stop: int, dtype: np.dtype, file: Path, key: str, out: np.ndarray | None = None,
    rows: int | None = None,
) -> Iterator[np.ndarray]:
    """:func:`_dataset_blocks` of a plain contiguous dataset. Raw reads cost little per call,
    so the blocks are smaller by default: a block and its checks stay in the core's cache."""
    rows = max(1, min(rows or _RAW_BLOCK_ROWS, stop))
    try:
        yield from raw_blocks(extent, stop, rows, dtype, out)
    except OSError as exc:
        raise FormatError(f"cannot read dataset ({exc})", file=file, key=key) from None


_OVERLAP_ROWS = 1 << 20  # rows per block when checks run beside the reading


def _read_columns_checked(
    columns: Sequence[tuple[h5py.Dataset, np.ndarray, Callable[[np.ndarray], bool]]], file: Path
) -> bool:
    """Fill each ``out`` (C-contiguous, one row per dataset row) with its dataset, calling its
    ``check`` on every block, in order; False as soon as a check fails.

    When every column is plain contiguous bytes and there are at least two large blocks, the
    calling thread reads while one worker thread runs the checks on the blocks already read
    (numpy releases the GIL): the checks cost almost no time beside the reading. Page faults
    stay in the reading thread; two threads faulting in new memory at once can be slow.
    """
    extents = [raw_extent(ds, out.dtype, out.size) for ds, out, _ in columns]
    if sum(out.size for _, out, _ in columns) < 2 * _OVERLAP_ROWS or None in extents:
        return all(check(block) for ds, out, check in columns
                   for block in _dataset_blocks(ds, out.size, out.dtype, file, out=out))
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: deque[Future[bool]] = deque()
        for (ds, out, check), extent in zip(columns, extents):
            for block in _raw_dataset_blocks(extent, out.size, out.dtype, file, ds.name, out, _OVERLAP_ROWS):
                pending.append(pool.submit(check, block))
                while pending and pending[0].done():
                    if not pending.popleft().result():
                        pool.shutdown(cancel_futures=True)
                        return False
        return all(job.result() for job in pending)


def _integer_dataset(ds: h5py.Dataset) -> bool:
    return ds.dtype.kind in "iu" and len(ds.shape or ()) == 1


def _constant_dataset(ds: h5py.Dataset, n: int, file: Path) -> int | None:
    """The value shared by rows ``0..n`` of a 1-D integer dataset; None if they differ or n == 0."""
    if n == 0 or not _integer_dataset(ds):
        return None
    value = None
    for block in _dataset_blocks(ds, n, ds.dtype.newbyteorder("="), file):
        low, high = block.min(), block.max()
        if low != high or (value is not None and low != value):
            return None
        value = low
    return int(value)


def _identity_dataset(ds: h5py.Dataset, n: int, file: Path) -> bool:
    """True when rows ``0..n`` of a 1-D integer dataset hold 0..n-1 (read block by block)."""
    if n == 0:
        return True
    if not _integer_dataset(ds):
        return _is_identity(_read_rows(ds, None, n, file))
    # uint64 is read as is and compared as int64; smaller or signed types are widened by HDF5.
    dtype = np.dtype(np.uint64 if ds.dtype.kind == "u" and ds.dtype.itemsize == 8 else np.int64)
    scratch = np.empty(min(_BLOCK_ROWS, n), dtype=bool)
    start = 0
    for block in _dataset_blocks(ds, n, dtype, file):
        if scratch.size < block.size:  # blocks of whole chunks may exceed _BLOCK_ROWS
            scratch = np.empty(block.size, dtype=bool)
        if not _is_range(block, start, scratch):
            return False
        start += block.size
    return True


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an integer array (like ``np.unique``).

    Counts instead of sorting when the values are small non-negative integers (group ids are).
    """
    if values.size == 0 or values.dtype.kind not in "iu":
        return np.unique(values)
    low, high = values.min(), values.max()
    if low == high:
        return values[:1].copy()
    if low >= 0 and high < 4 * values.size + 1024:
        present = np.flatnonzero(np.bincount(_signed(values), minlength=int(high) + 1))
        return present.astype(values.dtype)
    return np.unique(values)


def _rank_within(group_ids: np.ndarray) -> np.ndarray:
    """Position of each row among the rows of its group (for files without a group index)."""
    order = np.argsort(group_ids, kind="stable")
    sorted_ids = group_ids[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]]) if len(order) else order
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(len(order)) - run_start
    return ranks


def _expand_ranges(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(start, stop)`` over all pairs, vectorised."""
    starts = np.asarray(starts, dtype=np.int64)
    lengths = np.asarray(stops, dtype=np.int64) - starts
    keep = lengths > 0
    starts, lengths = starts[keep], lengths[keep]
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(total, dtype=np.int64)


_SAMPLE_ENDS = 1024  # rows read at each end of a column by the sampled check
_SAMPLE_SPREAD = 64  # evenly spaced rows read in between (each strided point costs a few µs)


def _sample_slices(n: int) -> list[slice]:
    """The rows the sampled check reads: the first and last ``_SAMPLE_ENDS`` rows and about
    ``_SAMPLE_SPREAD`` evenly spaced rows in between (all rows when ``n`` is small)."""
    if n <= 2 * _SAMPLE_ENDS + _SAMPLE_SPREAD:
        return [slice(0, n, 1)]
    inner = n - 2 * _SAMPLE_ENDS
    step = max(1, inner // _SAMPLE_SPREAD)
    return [
        slice(0, _SAMPLE_ENDS, 1),
        slice(_SAMPLE_ENDS + step // 2, n - _SAMPLE_ENDS, step),
        slice(n - _SAMPLE_ENDS, n, 1),
    ]


def _sample_agrees(ds: h5py.Dataset, n: int, value: int | None) -> bool:
    """Spot check of the first ``n`` rows of a 1-D integer dataset, in time independent of ``n``.

    True when every sampled row holds ``value``, or its own row number when ``value`` is None.
    False when a row differs, the dataset is not a 1-D integer dataset or cannot be read
    (callers then take their exact path, which reads every row and reports bad data).
    """
    if not _integer_dataset(ds) or ds.shape[0] < n:
        return False
    extent = raw_extent(ds, ds.dtype, n)
    for rows in _sample_slices(n):
        try:
            if extent is None:
                got = _signed(np.asarray(ds[rows]))
            elif rows.step > 1:
                got = _signed(raw_points(extent, np.arange(rows.start, rows.stop, rows.step), ds.dtype))
            else:
                got = np.empty(rows.stop - rows.start, dtype=ds.dtype)
                read_raw(extent, rows.start, got)
                got = _signed(got)
        except (OSError, ValueError, TypeError):
            return False
        expected = np.arange(rows.start, rows.stop, rows.step) if value is None else value
        if not (got == expected).all():
            return False
    return True
