"""SONATA frame reports (soma and compartment reports): streaming writer and sliced reader.

Layout, one group per node population::

    /report/<pop>/data                    [T, V]  attrs units, variable
    /report/<pop>/mapping/node_ids        [N]     uint64
    /report/<pop>/mapping/index_pointers  [N+1]   uint64 (+ hard link ``index_pointer``, BMTK's name)
    /report/<pop>/mapping/element_ids     [V]     uint32
    /report/<pop>/mapping/element_pos     [V]     float32 (optional)
    /report/<pop>/mapping/time            [3]     float64 (tstart, tstop, dt), attr units "ms"

The columns of node ``node_ids[i]`` are ``index_pointers[i]:index_pointers[i + 1]``.
"""

from __future__ import annotations

import math
import os
import time as _time
from collections.abc import Iterable
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import Any

import h5py
import numpy as np
import pandas as pd

from cantata.errors import FormatError
from cantata.sonata._io import check_writable

__all__ = ["FrameReportWriter", "FrameReport", "FramePopulation", "partial_path", "n_frames"]

PathType = str | PathLike[str]

_CHUNK_BYTES = 1 << 20           # target size of one HDF5 chunk
_CHUNK_ROW_BYTES = 64 << 20      # cap on one row of chunks across all columns (bounds the cache)
_TIME_EPS = 1e-9                 # relative tolerance when turning times into frame indices


def partial_path(path: PathType) -> Path:
    """Where a report is written until it is complete: ``<stem>.partial<suffix>`` next to ``path``."""
    target = Path(path)
    suffix = target.suffix or ".h5"
    return target.with_name(f"{target.stem if target.suffix else target.name}.partial{suffix}")


def n_frames(tstart: float, tstop: float, dt: float) -> int:
    """Number of frames at ``tstart, tstart + dt, ...`` strictly before ``tstop``."""
    return max(0, math.ceil((tstop - tstart) / dt - _TIME_EPS))


# =========================================================================================
# Writer
# =========================================================================================

class _Stream:
    """Write state of one population: its dataset and how many rows are filled."""

    def __init__(self, name: str, dataset: h5py.Dataset, n_columns: int) -> None:
        self.name = name
        self.dataset = dataset
        self.n_columns = n_columns
        self.rows = 0


class FrameReportWriter:
    """Streams a frame report to disk block by block, one or more populations per file.

    Memory stays flat: the ``[T, V]`` dataset is created chunked at full size up front and each
    :meth:`write_block` writes its rows at the population's current row offset.

    File policy: rows go to ``<stem>.partial.h5`` (see :func:`partial_path`), which is renamed to
    ``path`` by :meth:`close` once every population has all ``T`` rows. If the ``with`` block
    raises, or :meth:`close` finds rows missing, the partial file is closed cleanly and kept
    under its partial name, with attribute ``rows_written`` on each ``data`` dataset; rows never
    written read as NaN (the dataset fill value). A stale partial file is replaced.
    """

    def __init__(
        self,
        path: PathType,
        population: str | None = None,
        node_ids: Any = None,
        element_ids: Any = None,
        element_pos: Any = None,
        index_pointers: Any = None,
        *,
        tstart: float,
        tstop: float,
        dt: float,
        variable: str,
        units: str,
        dtype: Any = np.float32,
        overwrite: bool = False,
        flush_interval: float = 2.0,
    ) -> None:
        self.path = check_writable(path, overwrite)
        self.overwrite = overwrite
        tstart, tstop, dt = float(tstart), float(tstop), float(dt)
        if not (math.isfinite(tstart) and math.isfinite(tstop) and math.isfinite(dt)) or dt <= 0 or tstop < tstart:
            raise FormatError("invalid report time window", key="tstart/tstop/dt",
                              expected="finite values with dt > 0 and tstop >= tstart",
                              found=f"tstart={tstart}, tstop={tstop}, dt={dt}")
        self.tstart, self.tstop, self.dt = tstart, tstop, dt
        self.n_steps = n_frames(tstart, tstop, dt)
        self.variable, self.units = str(variable), str(units)
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise FormatError("report data type must be floating point", key="dtype",
                              expected="float32 or float64", found=str(self.dtype))
        self.flush_interval = float(flush_interval)
        self.partial = partial_path(self.path)
        self.partial.parent.mkdir(parents=True, exist_ok=True)
        self._streams: dict[str, _Stream] = {}
        self._closed = False
        self._last_flush = _time.monotonic()
        self._file = h5py.File(self.partial, "w", rdcc_nbytes=_CHUNK_ROW_BYTES + _CHUNK_BYTES, rdcc_nslots=100_003)
        self._file.attrs.create("version", np.array([0, 1], dtype=np.uint32))
        self._file.attrs.create("magic", np.uint32(0x0A7A))
        self._file.create_group("report")
        try:
            if population is not None:
                self.add_population(population, node_ids, element_ids, element_pos, index_pointers)
            elif node_ids is not None:
                raise FormatError("node_ids given without a population name", key="population",
                                  expected="a population name", found=None)
        except BaseException:
            # Nothing was written yet: leave no file behind.
            self._file.close()
            self._closed = True
            self.partial.unlink(missing_ok=True)
            raise

    # -- setup ----------------------------------------------------------------------------
    @property
    def populations(self) -> list[str]:
        """Population names added so far."""
        return list(self._streams)

    def add_population(
        self,
        population: str,
        node_ids: Any,
        element_ids: Any = None,
        element_pos: Any = None,
        index_pointers: Any = None,
    ) -> None:
        """Add a population: its node ids and, for compartment reports, its column layout.

        Without ``element_ids`` the report has one column per node (a soma report, element 0).
        With ``element_ids`` [V], ``index_pointers`` [N+1] gives each node's columns; it may be
        left out only when V == N.
        """
        self._check_open()
        name = str(population)
        if not name or "/" in name or name in (".", ".."):
            raise FormatError("invalid population name", key="population",
                              expected="a non-empty name without '/'", found=name)
        if name in self._streams:
            raise FormatError("population already in this report", file=self.partial, key=name)
        ids = _ids_array(node_ids, "node_ids", name)
        n = ids.size
        if element_ids is None:
            elements = np.zeros(n, dtype=np.uint32)
        else:
            elements = _ids_array(element_ids, "element_ids", name)
        v = elements.size
        if index_pointers is None:
            if v != n:
                raise FormatError("index_pointers needed when nodes have several columns", key=f"{name}/index_pointers",
                                  expected=f"{n + 1} pointers", found=None)
            pointers = np.arange(n + 1, dtype=np.int64)
        else:
            pointers = _ids_array(index_pointers, "index_pointers", name)
        _check_pointers(pointers, n, v, None, f"{name}/index_pointers")
        pos = None
        if element_pos is not None:
            pos = np.asarray(element_pos, dtype=np.float32)
            if pos.shape != (v,):
                raise FormatError("element_pos must have one value per column", key=f"{name}/element_pos",
                                  expected=f"shape ({v},)", found=f"shape {pos.shape}")

        group = self._file["report"].create_group(name)
        chunks = _chunk_shape(self.n_steps, v, self.dtype.itemsize)
        data = group.create_dataset(
            "data", shape=(self.n_steps, v), dtype=self.dtype, chunks=chunks, fillvalue=np.nan,
        )
        data.attrs["units"] = self.units
        data.attrs["variable"] = self.variable
        mapping = group.create_group("mapping")
        node_ds = mapping.create_dataset("node_ids", data=ids.astype(np.uint64))
        node_ds.attrs.create("sorted", np.uint8(bool(n < 2 or (ids[1:] > ids[:-1]).all())))
        mapping.create_dataset("index_pointers", data=pointers.astype(np.uint64))
        mapping["index_pointer"] = mapping["index_pointers"]          # hard link, BMTK's name
        wide = elements.size and int(elements.max()) > np.iinfo(np.uint32).max
        mapping.create_dataset("element_ids", data=elements.astype(np.uint64 if wide else np.uint32))
        if pos is not None:
            mapping.create_dataset("element_pos", data=pos)
        time_ds = mapping.create_dataset("time", data=np.array([self.tstart, self.tstop, self.dt]))
        time_ds.attrs["units"] = "ms"
        self._streams[name] = _Stream(name, data, v)

    # -- streaming ------------------------------------------------------------------------
    def write_block(self, data: Any, population: str | None = None) -> None:
        """Append ``data`` [n_steps, n_columns] (or one frame [n_columns]) to a population.

        ``population`` may be omitted when the report has exactly one.
        """
        self._check_open()
        stream = self._stream(population)
        block = np.asarray(data)
        if block.ndim == 1:
            block = block[None, :]
        if block.ndim != 2 or block.shape[1] != stream.n_columns:
            raise FormatError("block has the wrong shape", file=self.partial, key=f"{stream.name}/data",
                              expected=f"[n_steps, {stream.n_columns}]", found=f"shape {np.shape(data)}")
        end = stream.rows + block.shape[0]
        if end > self.n_steps:
            raise FormatError("more frames than the report holds", file=self.partial, key=f"{stream.name}/data",
                              expected=f"at most {self.n_steps} frames (tstart={self.tstart}, tstop={self.tstop}, "
                                       f"dt={self.dt})", found=f"{end} frames")
        if block.shape[0]:
            stream.dataset[stream.rows:end, :] = block.astype(self.dtype, copy=False)
        stream.rows = end
        now = _time.monotonic()
        if now - self._last_flush >= self.flush_interval:
            self._file.flush()
            self._last_flush = now

    def rows_written(self, population: str | None = None) -> int:
        """Frames written so far for a population."""
        return self._stream(population).rows

    @property
    def complete(self) -> bool:
        """True when every population has all its frames."""
        return bool(self._streams) and all(s.rows == self.n_steps for s in self._streams.values())

    # -- closing --------------------------------------------------------------------------
    def close(self) -> Path:
        """Finish the file: move it to ``path`` when complete, else keep it as partial and raise."""
        if self._closed:
            return self.path
        if not self._streams:
            self._keep_partial()
            raise FormatError("report has no population; partial file kept", file=self.partial)
        if not self.complete:
            missing = {s.name: f"{s.rows}/{self.n_steps}" for s in self._streams.values() if s.rows != self.n_steps}
            self._keep_partial()
            raise FormatError("report incomplete; partial file kept", file=self.partial,
                              expected=f"{self.n_steps} frames per population", found=f"frames written {missing}")
        self._file.close()
        self._closed = True
        try:
            check_writable(self.path, self.overwrite)
        except FormatError:
            raise FormatError("report target appeared while writing; result kept as partial file",
                              file=self.partial) from None
        os.replace(self.partial, self.path)
        return self.path

    def abort(self) -> Path:
        """Stop writing; keep what was written under the partial name and return that path."""
        if not self._closed:
            self._keep_partial()
        return self.partial

    def _keep_partial(self) -> None:
        for stream in self._streams.values():
            stream.dataset.attrs["rows_written"] = np.int64(stream.rows)
        self._file.close()
        self._closed = True

    def __enter__(self) -> FrameReportWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is not None:
            self.abort()
        else:
            self.close()

    # -- helpers --------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise FormatError("report writer is closed", file=self.path)

    def _stream(self, population: str | None) -> _Stream:
        if population is None:
            if len(self._streams) != 1:
                raise FormatError("name the population to write", file=self.partial, key="population",
                                  expected=f"one of {self.populations}", found=None)
            return next(iter(self._streams.values()))
        try:
            return self._streams[population]
        except KeyError:
            raise FormatError("population not in this report", file=self.partial, key=str(population),
                              expected=f"one of {self.populations}") from None


def _ids_array(values: Any, what: str, population: str) -> np.ndarray:
    if values is None:
        raise FormatError(f"{what} are required", key=f"{population}/{what}", expected="an integer array", found=None)
    raw = np.asarray(values)
    if raw.ndim != 1:
        raise FormatError(f"{what} must be one-dimensional", key=f"{population}/{what}",
                          expected="1-D array", found=f"shape {raw.shape}")
    if raw.size and raw.dtype.kind not in "iu":
        raise FormatError(f"{what} must be integers", key=f"{population}/{what}",
                          expected="integers", found=str(raw.dtype))
    ids = raw.astype(np.int64)
    if ids.size and ids.min() < 0:
        raise FormatError(f"negative value in {what}", key=f"{population}/{what}",
                          expected="values >= 0", found=int(ids.min()))
    return ids


def _check_pointers(pointers: np.ndarray, n: int, v: int, file: PathType | None, key: str) -> None:
    if pointers.shape != (n + 1,):
        raise FormatError("index_pointers must have one entry per node plus one", file=file, key=key,
                          expected=f"{n + 1} entries", found=f"{pointers.size} entries")
    if pointers[0] != 0 or pointers[-1] != v or (n and (pointers[1:] < pointers[:-1]).any()):
        raise FormatError("index_pointers must rise from 0 to the number of columns", file=file, key=key,
                          expected=f"non-decreasing values from 0 to {v}",
                          found=f"first {pointers[0]}, last {pointers[-1]}")


def _chunk_shape(n_rows: int, n_cols: int, itemsize: int) -> tuple[int, int] | None:
    """About 1 MiB chunks; a row of chunks across all columns stays under 64 MiB (the cache size)."""
    if n_rows == 0 or n_cols == 0:
        return None
    cols = min(n_cols, 4096)
    rows = max(1, _CHUNK_BYTES // (cols * itemsize))
    rows = min(rows, max(1, _CHUNK_ROW_BYTES // (n_cols * itemsize)), n_rows)
    return rows, cols


# =========================================================================================
# Reader
# =========================================================================================

class FrameReport:
    """A frame report file opened for reading; populations are read lazily.

    Use as a context manager or call :meth:`close`. Reads BMTK files (``index_pointer``,
    float64, attribute ``variable``) and BBP/libsonata files (``index_pointers``, float32,
    attribute ``units``).
    """

    def __init__(self, path: PathType) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FormatError("report file not found", file=self.path)
        if not h5py.is_hdf5(self.path):
            size = self.path.stat().st_size
            raise FormatError("not an HDF5 file", file=self.path, expected="SONATA frame report (HDF5)",
                              found="an empty file" if size == 0 else f"{size} bytes of other data")
        self._file = h5py.File(self.path, "r")
        report = self._file.get("report")
        if not isinstance(report, h5py.Group):
            found = sorted(self._file.keys())
            self._file.close()
            raise FormatError("no report group", file=self.path, key="/report",
                              expected="group /report/<population>", found=found)
        self._report = report
        self._populations: dict[str, FramePopulation] = {}

    @classmethod
    def open(cls, path: PathType) -> FrameReport:
        """Open a report file."""
        return cls(path)

    @property
    def populations(self) -> list[str]:
        """Population groups under ``/report`` (some test files hold empty placeholder groups)."""
        return [k for k, v in self._report.items() if isinstance(v, h5py.Group)]

    def __getitem__(self, population: str) -> FramePopulation:
        if population not in self._populations:
            group = self._report.get(population)
            if not isinstance(group, h5py.Group):
                raise FormatError("population not in report", file=self.path, key=f"/report/{population}",
                                  expected=f"one of {self.populations}")
            self._populations[population] = FramePopulation(group, self.path)
        return self._populations[population]

    def __iter__(self):
        return iter(self.populations)

    def __len__(self) -> int:
        return len(self.populations)

    def __contains__(self, population: object) -> bool:
        return population in self.populations

    def close(self) -> None:
        """Close the HDF5 file; populations read from it can no longer read data."""
        self._file.close()

    def __enter__(self) -> FrameReport:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"FrameReport({str(self.path)!r}, populations={self.populations})"


class FramePopulation:
    """One population of a frame report: mapping arrays in memory, data read on demand."""

    def __init__(self, group: h5py.Group, path: Path) -> None:
        self.name = group.name.rsplit("/", 1)[-1]
        self.path = path
        where = group.name
        data = group.get("data")
        mapping = group.get("mapping")
        if not isinstance(data, h5py.Dataset) or not isinstance(mapping, h5py.Group):
            raise FormatError("report population lacks data or mapping", file=path, key=where,
                              expected="datasets data and mapping/*", found=sorted(group.keys()))
        if data.ndim != 2:
            raise FormatError("report data must be two-dimensional", file=path, key=f"{where}/data",
                              expected="[frames, columns]", found=f"shape {data.shape}")
        self._data = data
        n_rows, n_cols = data.shape

        self.node_ids = _read_ints(mapping, "node_ids", path, where)
        pointer_name = next((k for k in ("index_pointers", "index_pointer") if k in mapping), None)
        if pointer_name is None:
            raise FormatError("report mapping lacks index pointers", file=path, key=f"{where}/mapping",
                              expected="index_pointers (or BMTK's index_pointer)", found=sorted(mapping.keys()))
        pointers = _read_ints(mapping, pointer_name, path, where)
        if pointers.size == self.node_ids.size:
            # The spec text gives index_pointers N entries (no closing one); some files follow it.
            pointers = np.append(pointers, n_cols)
        _check_pointers(pointers, self.node_ids.size, n_cols, path, f"{where}/mapping/{pointer_name}")
        self.index_pointers = pointers
        if "element_ids" in mapping:
            self.element_ids = _read_ints(mapping, "element_ids", path, where)
            if self.element_ids.size != n_cols:
                raise FormatError("element_ids must have one entry per data column", file=path,
                                  key=f"{where}/mapping/element_ids", expected=f"{n_cols} entries",
                                  found=f"{self.element_ids.size} entries")
        else:
            self.element_ids = np.zeros(n_cols, dtype=np.int64)
        self.element_pos = mapping["element_pos"][()] if isinstance(mapping.get("element_pos"), h5py.Dataset) else None

        time_ds = mapping.get("time")
        if not isinstance(time_ds, h5py.Dataset) or time_ds.shape != (3,):
            raise FormatError("report mapping lacks its time triple", file=path, key=f"{where}/mapping/time",
                              expected="[tstart, tstop, dt]",
                              found=None if time_ds is None else f"shape {getattr(time_ds, 'shape', None)}")
        self.tstart, self.tstop, self.dt = (float(x) for x in time_ds[()])
        if not self.dt > 0:
            raise FormatError("report time step must be positive", file=path, key=f"{where}/mapping/time",
                              expected="dt > 0", found=self.dt)
        self.time_units = _text_attr(time_ds, "units") or "ms"
        self.units = _text_attr(data, "units")
        self.variable = _text_attr(data, "variable")
        self.times = self.tstart + np.arange(n_rows, dtype=np.float64) * self.dt
        self.rows_written = int(data.attrs["rows_written"]) if "rows_written" in data.attrs else n_rows
        order = np.argsort(self.node_ids, kind="stable")
        self._sorted_ids = self.node_ids[order]
        self._sorted_pos = order

    # -- metadata -------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        """(frames, columns) of the whole data array."""
        return tuple(self._data.shape)  # type: ignore[return-value]

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    def __repr__(self) -> str:
        return (f"FramePopulation({self.name!r}, nodes={self.node_ids.size}, frames={self.shape[0]}, "
                f"columns={self.shape[1]}, variable={self.variable!r}, units={self.units!r})")

    def columns(self, node_id: int) -> slice:
        """Columns of ``node_id`` in the full data array."""
        i = self._positions([node_id])[0]
        return slice(int(self.index_pointers[i]), int(self.index_pointers[i + 1]))

    def time_slice(self, tstart: float | None = None, tstop: float | None = None) -> slice:
        """Rows with ``tstart <= t <= tstop`` (both ends inclusive, like libsonata)."""
        n_rows = self._data.shape[0]
        first = 0 if tstart is None else math.ceil((tstart - self.tstart) / self.dt - _TIME_EPS)
        last = n_rows - 1 if tstop is None else math.floor((tstop - self.tstart) / self.dt + _TIME_EPS)
        first = min(max(first, 0), n_rows)
        last = min(max(last, -1), n_rows - 1)
        return slice(first, max(first, last + 1))

    def column_labels(self, node_ids: Iterable[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(node id, element id) of each column :meth:`data` returns for ``node_ids``."""
        cols = self._column_index(node_ids)
        counts = np.diff(self.index_pointers)
        owner = np.repeat(self.node_ids, counts)
        if cols is None:
            return owner, self.element_ids
        return owner[cols], self.element_ids[cols]

    # -- data -----------------------------------------------------------------------------
    def data(self, node_ids: Iterable[int] | None = None, tstart: float | None = None,
             tstop: float | None = None) -> np.ndarray:
        """Frames with ``tstart <= t <= tstop`` for ``node_ids`` (all when None), as [T, columns].

        Columns come node by node in the order of ``node_ids``, each node's columns in file
        order (see :meth:`column_labels`). Only the selected rows and columns are read.
        """
        rows = self.time_slice(tstart, tstop)
        cols = self._column_index(node_ids)
        if cols is None:
            return self._data[rows, :]
        n_rows = rows.stop - rows.start
        if cols.size == 0 or n_rows == 0:
            return np.zeros((n_rows, cols.size), dtype=self._data.dtype)
        return _gather_columns(self._data, rows, cols)

    def to_dataframe(self, node_ids: Iterable[int] | None = None, tstart: float | None = None,
                     tstop: float | None = None) -> pd.DataFrame:
        """:meth:`data` as a dataframe indexed by time, columns (node_ids, element_ids)."""
        rows = self.time_slice(tstart, tstop)
        nodes, elements = self.column_labels(node_ids)
        columns = pd.MultiIndex.from_arrays([nodes, elements], names=["node_ids", "element_ids"])
        index = pd.Index(self.times[rows], name="time")
        return pd.DataFrame(self.data(node_ids, tstart, tstop), index=index, columns=columns)

    # -- helpers --------------------------------------------------------------------------
    def _positions(self, node_ids: Iterable[int]) -> np.ndarray:
        wanted = np.asarray(list(node_ids) if not isinstance(node_ids, np.ndarray) else node_ids)
        if wanted.size and wanted.dtype.kind not in "iu":
            raise FormatError("node ids must be integers", file=self.path, key=f"/report/{self.name}",
                              expected="integer node ids", found=str(wanted.dtype))
        wanted = wanted.astype(np.int64).ravel()
        at = np.searchsorted(self._sorted_ids, wanted)
        at_clipped = np.minimum(at, max(self._sorted_ids.size - 1, 0))
        found = (at < self._sorted_ids.size) & (self._sorted_ids[at_clipped] == wanted) if self._sorted_ids.size \
            else np.zeros(wanted.size, dtype=bool)
        if not found.all():
            missing = wanted[~found]
            raise FormatError("node ids not in report", file=self.path, key=f"/report/{self.name}/mapping/node_ids",
                              expected="ids listed in mapping/node_ids", found=missing[:10].tolist())
        return self._sorted_pos[at_clipped]

    def _column_index(self, node_ids: Iterable[int] | None) -> np.ndarray | None:
        """Column indices for the nodes, in request order; None means every column."""
        if node_ids is None:
            return None
        pos = self._positions(node_ids)
        starts = self.index_pointers[pos]
        counts = self.index_pointers[pos + 1] - starts
        total = int(counts.sum())
        # Column k of the result is starts[node] + (k - offset of node in the result).
        offsets = np.repeat(np.cumsum(counts) - counts, counts)
        return np.repeat(starts, counts) + (np.arange(total, dtype=np.int64) - offsets)


def _gather_columns(dataset: h5py.Dataset, rows: slice, cols: np.ndarray) -> np.ndarray:
    """Read ``dataset[rows][:, cols]`` touching only the needed column runs.

    Adjacent selected columns are merged into runs read with one slice each; when the
    selection covers most of its span, the whole span is read once instead.
    """
    unique = np.unique(cols)
    lo, hi = int(unique[0]), int(unique[-1]) + 1
    if unique.size * 2 >= hi - lo or unique.size > 100_000:
        block = dataset[rows, lo:hi]
        return block[:, cols - lo]
    breaks = np.flatnonzero(np.diff(unique) > 1) + 1
    run_starts = unique[np.r_[0, breaks]]
    run_stops = unique[np.r_[breaks - 1, unique.size - 1]] + 1
    parts = [dataset[rows, int(a):int(b)] for a, b in zip(run_starts, run_stops)]
    block = np.concatenate(parts, axis=1)
    return block[:, np.searchsorted(unique, cols)]


def _read_ints(mapping: h5py.Group, name: str, path: Path, where: str) -> np.ndarray:
    ds = mapping.get(name)
    if not isinstance(ds, h5py.Dataset):
        raise FormatError("report mapping lacks a dataset", file=path, key=f"{where}/mapping/{name}",
                          expected="a 1-D integer dataset", found=sorted(mapping.keys()))
    values = ds[()]
    if values.ndim != 1 or (values.size and values.dtype.kind not in "iu"):
        raise FormatError("mapping dataset must be a 1-D integer array", file=path, key=f"{where}/mapping/{name}",
                          expected="1-D integers", found=f"{values.dtype} shape {values.shape}")
    return values.astype(np.int64)


def _text_attr(obj: h5py.HLObject, name: str) -> str:
    value = obj.attrs.get(name)
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        value = value.item() if value.size == 1 else value
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace")
    return str(value)

