"""Spike trains: columnar storage, SONATA HDF5 (current and legacy layouts) and CSV files.

A :class:`SpikeTrains` holds, per population, two parallel arrays: node ids (``int64``) and
spike times (``float64``, ms). Every operation works on whole arrays; nothing loops per spike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from os import PathLike
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd

from cantata.errors import FormatError
from cantata.sonata._io import atomic_path
from cantata.sonata.h5columns import _read_columns_checked, _signed
from cantata.sonata.spikes_bmtk import BmtkSpikeTrainsNames

__all__ = ["SpikeTrains", "SORTING_ENUM", "normalise_sort_order"]

#: HDF5 enum the spec (and libsonata) use for the ``sorting`` attribute of a population group.
SORTING_ENUM: dict[str, int] = {"none": 0, "by_id": 1, "by_time": 2}
_SORTING_DTYPE = h5py.enum_dtype(SORTING_ENUM, basetype=np.uint8)

# Every spelling of a sort order seen in files and configs, mapped to "time" | "id" | "none".
_SORT_ALIASES: dict[str, str] = {
    "time": "time", "by_time": "time", "timestamps": "time",
    "id": "id", "by_id": "id", "node_id": "id", "node_ids": "id", "gid": "id", "by_gid": "id",
    "none": "none", "unsorted": "none", "": "none",
}
_MS_UNITS = {"ms", "msec", "millisecond", "milliseconds"}
_S_UNITS = {"s", "sec", "second", "seconds"}
_ID_COLUMNS = ("node_ids", "node_id", "gids", "gid")
_TIME_COLUMNS = ("timestamps", "timestamp", "times", "time")
DEFAULT_POPULATION = "default"

PathType = str | PathLike[str]


def normalise_sort_order(value: Any, *, file: PathType | None = None, key: str = "sort_by") -> str:
    """Map a sort-order spelling (``"by_time"``, ``"time"``, ``"by_id"``, ``"gid"``, None, ...)
    to one of ``"time"``, ``"id"``, ``"none"``."""
    if value is None:
        return "none"
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).strip().lower()
    if text not in _SORT_ALIASES:
        raise FormatError(
            "unknown spike sort order", file=file, key=key,
            expected="'time'/'by_time', 'id'/'by_id' or 'none'", found=value,
        )
    return _SORT_ALIASES[text]


class SpikeTrains(BmtkSpikeTrainsNames):
    """Spikes of one or more node populations, kept as columnar numpy arrays.

    Build with :meth:`from_arrays`, :meth:`from_dataframe`, :meth:`read` or :meth:`concat`.
    Instances are treated as immutable: methods return new objects and never modify arrays.
    """

    def __init__(self, data: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None) -> None:
        self._data: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        # Populations whose times are known never to decrease (found while validating them).
        self._ascending: set[str] = set()
        for name, (ids, times) in (data or {}).items():
            ids, times, ascending = _check_arrays(ids, times, key=str(name))
            self._data[str(name)] = (ids, times)
            if ascending:
                self._ascending.add(str(name))

    @classmethod
    def _from_checked(
        cls, data: dict[str, tuple[np.ndarray, np.ndarray]], ascending: Iterable[str] = ()
    ) -> SpikeTrains:
        """Wrap arrays already validated as (int64 ids >= 0, finite float64 times);
        ``ascending``: the populations whose times are known never to decrease."""
        out = cls()
        out._data = data
        out._ascending = set(ascending) & set(data)
        return out

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_arrays(
        cls, node_ids: Any, timestamps: Any, population: str | Iterable[str] = DEFAULT_POPULATION
    ) -> SpikeTrains:
        """Spikes from parallel arrays of node ids and times (ms).

        ``population`` is one name for all spikes, or an array of names, one per spike.
        """
        if isinstance(population, str):
            return cls({population: (node_ids, timestamps)})
        ids, times, ascending = _check_arrays(node_ids, timestamps, key="node_ids")
        pops = np.asarray(population if not isinstance(population, pd.Series) else population.to_numpy())
        if pops.shape != ids.shape:
            raise FormatError(
                "population must be one name or one name per spike", key="population",
                expected=f"{ids.size} names", found=f"{pops.size} names",
            )
        data = _split_by_population(pops, ids, times)  # keeps the spike order within each
        return cls._from_checked(data, data if ascending else ())

    @classmethod
    def from_dataframe(cls, frame: pd.DataFrame, *, default_population: str = DEFAULT_POPULATION) -> SpikeTrains:
        """Spikes from a dataframe with columns ``node_ids``, ``timestamps`` and optionally ``population``."""
        missing = [c for c in ("node_ids", "timestamps") if c not in frame.columns]
        if missing:
            raise FormatError(
                "spike table lacks columns", key=", ".join(missing),
                expected="columns node_ids, timestamps [, population]", found=list(map(str, frame.columns)),
            )
        ids = frame["node_ids"].to_numpy()
        times = frame["timestamps"].to_numpy()
        if "population" not in frame.columns:
            return cls.from_arrays(ids, times, default_population)
        return cls.from_arrays(ids, times, frame["population"].astype(str).to_numpy(dtype=object))

    @classmethod
    def concat(cls, trains: Iterable[SpikeTrains]) -> SpikeTrains:
        """All spikes of ``trains``; spikes of a population named in several are appended in order."""
        trains = list(trains)
        parts: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        for train in trains:
            for name, arrays in train._data.items():
                parts.setdefault(name, []).append(arrays)
        merged = {}
        for name, chunks in parts.items():
            if len(chunks) == 1:
                merged[name] = chunks[0]
            else:
                merged[name] = (np.concatenate([c[0] for c in chunks]), np.concatenate([c[1] for c in chunks]))
        single = {name for train in trains for name in train._ascending if len(parts[name]) == 1}
        return cls._from_checked(merged, single)

    @classmethod
    def read(cls, path: PathType, *, default_population: str | None = None) -> SpikeTrains:
        """Read a SONATA spike file: HDF5 (``/spikes/<pop>`` or legacy ``/spikes/gids``) or CSV.

        The format is found from the content, not the suffix. Spikes with no population in the
        file (legacy HDF5, CSV without a population column) go to ``default_population``
        (``"default"`` when not given). Times are returned in ms, in file order.
        NWB files (suffix ``.nwb``, or HDF5 with NWB marks and no ``/spikes``) are read by
        :func:`cantata.sonata.spikes_nwb.read_nwb_spikes`.
        """
        path = Path(path)
        if not path.is_file():
            raise FormatError("spike file not found", file=path)
        default = default_population or DEFAULT_POPULATION
        if path.suffix.lower() != ".nwb":
            if not h5py.is_hdf5(path):
                return cls._from_checked(*_read_csv(path, default))
            read = _read_h5(path, default)  # one open; None when the file is NWB-like
            if read is not None:
                return cls._from_checked(*read)
        # imported here: pynwb is loaded only when an NWB file is read
        from cantata.sonata.spikes_nwb import read_nwb_spikes

        return read_nwb_spikes(path, default_population=default)

    # -- views ----------------------------------------------------------------------------
    @property
    def populations(self) -> list[str]:
        """Population names, in file / insertion order."""
        return list(self._data)

    @property
    def n_spikes(self) -> int:
        """Total number of spikes over all populations."""
        return int(sum(ids.size for ids, _ in self._data.values()))

    def __len__(self) -> int:
        return self.n_spikes

    def __contains__(self, population: object) -> bool:
        return population in self._data

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}: {ids.size}" for name, (ids, _) in self._data.items())
        return f"SpikeTrains({sizes})"

    def population(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(node_ids, timestamps)`` of one population (read-only views)."""
        try:
            ids, times = self._data[name]
        except KeyError:
            raise FormatError(
                "no spikes for this population", key=str(name), expected=f"one of {self.populations}"
            ) from None
        return _readonly(ids), _readonly(times)

    def to_dataframe(self, populations: str | Iterable[str] | None = None, sort_order: Any = None,
                     with_population_col: bool = True, *, node_ids: Iterable[int] | None = None,
                     time_window: tuple[float, float] | None = None) -> pd.DataFrame:
        """Columns ``population`` (categorical), ``node_ids`` (int64), ``timestamps`` (float64, ms).

        Called without arguments: every spike, population by population, in stored order. The
        optional arguments are BMTK's: ``populations`` (a name or names), ``sort_order``
        (``"by_time"``/``"by_id"`` sort all rows, populations mixed; None keeps the stored
        order), ``with_population_col=False`` drops that column, ``node_ids`` and
        ``time_window=(t0, t1)`` (both ends included) keep only those spikes.
        """
        if populations is not None or sort_order is not None or not with_population_col \
                or node_ids is not None or time_window is not None:
            return self._bmtk_frame(populations, sort_order, with_population_col, node_ids, time_window)
        names = self.populations
        sizes = np.array([self._data[n][0].size for n in names], dtype=np.int64)
        codes = np.repeat(np.arange(len(names), dtype=np.int32), sizes)
        ids = np.concatenate([self._data[n][0] for n in names]) if names else np.zeros(0, np.int64)
        times = np.concatenate([self._data[n][1] for n in names]) if names else np.zeros(0, np.float64)
        population = pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=object)) if names \
            else pd.Categorical([])
        return pd.DataFrame({"population": population, "node_ids": ids, "timestamps": times})

    def spike_counts(self) -> pd.DataFrame:
        """Number of spikes per node: columns ``population``, ``node_ids``, ``count`` (nodes with spikes only)."""
        frames = []
        for name, (ids, _) in self._data.items():
            uniq, counts = np.unique(ids, return_counts=True)
            frames.append(pd.DataFrame({"population": name, "node_ids": uniq, "count": counts.astype(np.int64)}))
        if not frames:
            return pd.DataFrame({"population": pd.Series([], dtype=object),
                                 "node_ids": np.zeros(0, np.int64), "count": np.zeros(0, np.int64)})
        return pd.concat(frames, ignore_index=True)

    # -- transformations ------------------------------------------------------------------
    def sorted(self, by: str | None = "time", *, canonical: bool = False) -> SpikeTrains:
        """Spikes of each population sorted by ``"time"``, ``"id"`` (ties by time) or ``"none"``.

        ``"time"`` is the SONATA ``by_time`` order: times never decrease. Spikes already in that
        order are kept as they are; others are sorted with equal times ordered by node id.
        ``canonical=True`` orders equal times by node id in every case (one byte-exact order
        for the same set of spikes, whatever order they came in).
        """
        order = normalise_sort_order(by, key="by")
        if order == "none":
            return self
        data = {}
        for name, (ids, times) in self._data.items():
            known = order == "time" and not canonical and name in self._ascending
            data[name] = (ids, times) if known else _sort(ids, times, order, strict=canonical or order == "id")
        return SpikeTrains._from_checked(data, data if order == "time" else ())

    def select(
        self,
        population: str | Iterable[str] | None = None,
        node_ids: Iterable[int] | None = None,
        tstart: float | None = None,
        tstop: float | None = None,
    ) -> SpikeTrains:
        """Spikes of the given populations and node ids with ``tstart <= t < tstop`` (None = no limit)."""
        if population is None:
            names = self.populations
        else:
            names = [population] if isinstance(population, str) else list(population)
        wanted = None
        if node_ids is not None:
            listed = node_ids if isinstance(node_ids, np.ndarray) else list(node_ids)
            wanted = np.unique(np.asarray(listed, dtype=np.int64))
        out = SpikeTrains()
        for name in names:
            ids, times = self.population(name)
            keep = np.ones(ids.size, dtype=bool)
            if wanted is not None:
                keep &= np.isin(ids, wanted)
            if tstart is not None:
                keep &= times >= tstart
            if tstop is not None:
                keep &= times < tstop
            out._data[name] = (ids[keep], times[keep])
        out._ascending = self._ascending & set(out._data)  # a mask keeps the order
        return out

    def difference(self, other: SpikeTrains, atol: float = 1e-9) -> str | None:
        """Describe the first difference from ``other`` (times compared within ``atol`` ms), or None."""
        if sorted(self.populations) != sorted(other.populations):
            return f"populations differ: {sorted(self.populations)} vs {sorted(other.populations)}"
        for name in self.populations:
            ids_a, times_a = _sort(*self._data[name], "id", strict=True)
            ids_b, times_b = _sort(*other._data[name], "id", strict=True)
            if ids_a.size != ids_b.size:
                return f"population {name!r}: {ids_a.size} spikes vs {ids_b.size}"
            bad = np.flatnonzero(ids_a != ids_b)
            if bad.size:
                i = bad[0]
                return f"population {name!r}: spike {i} (sorted by id) is node {int(ids_a[i])} vs node {int(ids_b[i])}"
            diff = np.abs(times_a - times_b)
            bad = np.flatnonzero(~(diff <= atol))
            if bad.size:
                i = bad[0]
                return (f"population {name!r}: node {int(ids_a[i])} spikes at {float(times_a[i])!r} "
                        f"vs {float(times_b[i])!r} ms (max difference {diff.max():.3g} ms > atol {atol:g})")
        return None

    def is_close(self, other: SpikeTrains, atol: float = 1e-9) -> bool:
        """True when both hold the same populations, node ids and spike counts, times within ``atol`` ms."""
        return self.difference(other, atol) is None

    # -- writing --------------------------------------------------------------------------
    def write_h5(self, path: PathType, *, sort_by: str | None = "time", overwrite: bool = False) -> Path:
        """Write SONATA HDF5: ``/spikes/<pop>/{timestamps (float64, ms), node_ids (uint64)}``.

        The group attribute ``sorting`` is the spec's HDF5 enum (readable by libsonata); root
        attributes ``version=[0, 1]`` and ``magic=0x0A7A``. The file appears only when complete.
        """
        order = normalise_sort_order(sort_by)
        data = self.sorted(order)._data
        target = Path(path)
        with atomic_path(target, overwrite=overwrite) as tmp:
            with h5py.File(tmp, "w") as h5:
                h5.attrs.create("version", np.array([0, 1], dtype=np.uint32))
                h5.attrs.create("magic", np.uint32(0x0A7A))
                root = h5.create_group("spikes")
                for name, (ids, times) in data.items():
                    if not name or "/" in name or name in (".", ".."):
                        raise FormatError("invalid population name for HDF5", file=target, key="population",
                                          expected="a non-empty name without '/'", found=name)
                    group = root.create_group(name)
                    group.attrs.create("sorting", SORTING_ENUM[_ENUM_NAME[order]], dtype=_SORTING_DTYPE)
                    ts = group.create_dataset("timestamps", data=times.astype(np.float64, copy=False))
                    ts.attrs["units"] = "ms"
                    group.create_dataset("node_ids", data=_as_uint64(ids))
        return target

    def write_csv(self, path: PathType, *, sort_by: str | None = "time", overwrite: bool = False) -> Path:
        """Write BMTK's CSV: header ``timestamps population node_ids``, single-space separated."""
        order = normalise_sort_order(sort_by)
        frame = self.sorted(order).to_dataframe()[["timestamps", "population", "node_ids"]]
        target = Path(path)
        with atomic_path(target, overwrite=overwrite) as tmp:
            frame.to_csv(tmp, sep=" ", index=False, lineterminator="\n")
        return target


_ENUM_NAME = {"time": "by_time", "id": "by_id", "none": "none"}


def _as_uint64(ids: np.ndarray) -> np.ndarray:
    """The ids as uint64 for the file: a view of the validated (non-negative) int64 ids, the
    same values ``astype(np.uint64)`` gives without copying 8 bytes per spike."""
    return ids.view(np.uint64) if ids.dtype == np.int64 else ids.astype(np.uint64)


# -- validation / sorting helpers ---------------------------------------------------------

def _readonly(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


def _check_arrays(
    node_ids: Any, timestamps: Any, *, file: PathType | None = None, key: str = ""
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Validate and convert to (int64 ids, float64 times): same length, ids >= 0, times finite.

    Returns ``(ids, times, ascending)``, ``ascending`` telling whether the times never
    decrease: one block-by-block pass over both columns finds that and checks the values.
    """
    where = f"{key}/" if key else ""
    raw_ids = np.asarray(node_ids)
    times = np.asarray(timestamps)
    if raw_ids.ndim != 1 or times.ndim != 1:
        raise FormatError("spike arrays must be one-dimensional", file=file, key=key,
                          expected="1-D arrays", found=f"shapes {raw_ids.shape} and {times.shape}")
    if raw_ids.size != times.size:
        raise FormatError(
            "timestamps and node_ids differ in length", file=file, key=key,
            expected="one node id per timestamp", found=f"{times.size} timestamps, {raw_ids.size} node_ids",
        )
    ids = _as_ids(raw_ids, file=file, key=f"{where}node_ids")
    if times.dtype.kind not in "fiu":
        raise FormatError("spike times must be numbers", file=file, key=f"{where}timestamps",
                          expected="float", found=str(times.dtype))
    times = np.ascontiguousarray(times, dtype=np.float64)
    scan = _TimeScan()
    ids_ok, times_ok = _check_columns(ids, times, scan)
    if not ids_ok:
        raise _id_error(raw_ids, file=file, key=f"{where}node_ids")
    if not times_ok:
        raise _time_error(times, file=file, key=f"{where}timestamps")
    return ids, times, scan.ascending


_SCAN_BLOCK = 1 << 17  # spikes per block of the validation pass (both blocks stay in cache)
_OVERLAP_SPIKES = 1 << 21  # from this many spikes, the ids are checked on a second thread


def _check_columns(ids: np.ndarray, times: np.ndarray, scan: _TimeScan) -> tuple[bool, bool]:
    """``(ids in range, times finite)``, ``scan`` recording whether the times rise.

    Both passes are bound by memory speed; for large columns the ids are checked on a worker
    thread while this one scans the times (numpy releases the GIL; only existing memory is
    read, so the threads do not contend for page faults).
    """
    blocks = range(0, times.size, _SCAN_BLOCK)
    if ids.size < _OVERLAP_SPIKES:
        for start in blocks:
            if not _ids_in_range(ids[start:start + _SCAN_BLOCK]):
                return False, True
            if not scan.finite(times[start:start + _SCAN_BLOCK]):
                return True, False
        return True, True
    with ThreadPoolExecutor(max_workers=1) as pool:
        ids_job = pool.submit(_ids_in_range, ids)
        times_ok = all(scan.finite(times[start:start + _SCAN_BLOCK]) for start in blocks)
        return ids_job.result(), times_ok


def _ids_in_range(block: np.ndarray) -> bool:
    """int64 ids (or uint64 ids viewed as int64) are all >= 0 (below 2**63 for uint64)."""
    return block.size == 0 or bool(_signed(block).min() >= 0)


class _TimeScan:
    """Checks a timestamps column fed block by block, in order: every time finite; and
    ``ascending``, whether no time is below the one before it.

    While the times rise, a block is finite when its first and last values are (NaN fails
    the order test), so one comparison of neighbours answers both questions.
    """

    def __init__(self) -> None:
        self.ascending = True
        self._last = -np.inf
        self._scratch = np.empty(0, dtype=bool)

    def finite(self, block: np.ndarray) -> bool:
        """False when the block holds a time that is NaN or infinite."""
        k = block.size
        if k == 0:
            return True
        if self.ascending:
            if self._scratch.size < k:
                self._scratch = np.empty(k, dtype=bool)
            if block[0] >= self._last and np.greater_equal(block[1:], block[:-1], out=self._scratch[:k - 1]).all():
                self._last = block[k - 1]
                return bool(np.isfinite(block[0]) and np.isfinite(block[k - 1]))
            self.ascending = False
        return bool(np.isfinite(block).all())


def _id_error(raw: np.ndarray, *, file: PathType | None, key: str) -> FormatError:
    """The error for the first id out of range (negative, or 2**63 and above for uint64)."""
    if raw.dtype.kind == "u":
        i = int(np.argmax(raw >= np.uint64(2**63)))
        return FormatError("node id out of range", file=file, key=key,
                           expected="ids below 2**63", found=f"{raw[i]} at position {i}")
    i = int(np.argmax(raw < 0))
    return FormatError("negative node id", file=file, key=key,
                       expected="ids >= 0", found=f"{_plain(raw[i])} at position {i}")


def _time_error(times: np.ndarray, *, file: PathType | None, key: str) -> FormatError:
    i = int(np.flatnonzero(~np.isfinite(times))[0])
    return FormatError("spike time is not finite", file=file, key=key,
                       expected="finite times", found=f"{times[i]} at position {i}")


def _plain(value: Any) -> Any:
    """An id as the user wrote it (integral floats without '.0')."""
    return int(value) if float(value).is_integer() else value


def _as_ids(raw: np.ndarray, *, file: PathType | None, key: str) -> np.ndarray:
    """Node ids as int64 (64-bit integer ids are viewed, not copied); the range is checked by
    the caller's pass (uint64 ids of 2**63 and above turn negative in the int64 view)."""
    if raw.dtype == np.int64 or raw.dtype == np.uint64:
        return raw.view(np.int64)
    if raw.dtype.kind in "iu":  # narrower, or another byte order (uint64 >= 2**63 wraps negative)
        return raw.astype(np.int64)
    if raw.dtype.kind == "f" or raw.size == 0:
        values = raw.astype(np.float64)
        bad = ~(np.isfinite(values) & (values == np.round(values)))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise FormatError("node id is not an integer", file=file, key=key,
                              expected="integer ids", found=f"{raw[i]} at position {i}")
        return values.astype(np.int64)
    raise FormatError("node ids must be integers", file=file, key=key,
                      expected="integer ids", found=str(raw.dtype))


def _sort(ids: np.ndarray, times: np.ndarray, order: str, *, strict: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Sort by (time, id) or (id, time); returns the inputs unchanged when already in order.

    ``strict=False`` with ``order="time"``: times that never decrease are in order, whatever
    the order of ids at equal times (the SONATA ``by_time``).
    """
    if ids.size < 2 or order == "none":
        return ids, times
    if _in_order(ids, times, order) if strict or order == "id" else _times_rise(times):
        return ids, times
    index = _sort_index(ids, times, order)
    return ids[index], times[index]


def _times_rise(times: np.ndarray) -> bool:
    """True when no time is below the one before it (block by block, stopping at the first fall)."""
    scan = _TimeScan()
    for start in range(0, times.size, _SCAN_BLOCK):
        scan.finite(times[start:start + _SCAN_BLOCK])
        if not scan.ascending:
            return False
    return True


_ORDER_BLOCK = 1 << 16  # spikes per block of the order check (the block's arrays stay in cache)


def _in_order(ids: np.ndarray, times: np.ndarray, order: str) -> bool:
    """True when the spikes are sorted by (time, id) (``order="time"``) or by (id, time).

    Checked block by block, each pair of neighbours in one expression
    ``next > prev or (next == prev and next_secondary >= prev_secondary)``, into reused
    buffers: no temporaries the size of the spike arrays, and an early exit when out of order.
    """
    primary, secondary = (times, ids) if order == "time" else (ids, times)
    n = primary.size
    if n < 2:
        return True
    size = min(_ORDER_BLOCK, n - 1)
    result, scratch = np.empty(size, dtype=bool), np.empty(size, dtype=bool)
    for start in range(0, n - 1, size):
        stop = min(start + size, n - 1)
        k = stop - start
        ok, tmp = result[:k], scratch[:k]
        prev, nxt = primary[start:stop], primary[start + 1:stop + 1]
        np.greater_equal(secondary[start + 1:stop + 1], secondary[start:stop], out=ok)
        ok &= np.equal(nxt, prev, out=tmp)
        ok |= np.greater(nxt, prev, out=tmp)
        if not ok.all():
            return False
    return True


_INT64_MAX = np.iinfo(np.int64).max


def _sort_index(ids: np.ndarray, times: np.ndarray, order: str) -> np.ndarray:
    """Permutation sorting by (time, id) or (id, time).

    Two quicksorts on single int64 keys beat ``np.lexsort`` about twofold on 10M spikes; the
    composite keys fall back to ``lexsort`` when they could overflow.
    """
    n = ids.size
    max_id = int(ids.max())
    by_time = np.argsort(times)
    if order == "id":
        # Rank by time (ties in any order: equal (id, time) pairs are identical spikes).
        if max_id * n + n >= _INT64_MAX:
            return np.lexsort((times, ids))
        rank = np.empty(n, dtype=np.int64)
        rank[by_time] = np.arange(n, dtype=np.int64)
        return np.argsort(ids * n + rank)
    sorted_times = times[by_time]
    new_value = np.empty(n, dtype=bool)
    new_value[0] = True
    np.not_equal(sorted_times[1:], sorted_times[:-1], out=new_value[1:])
    if new_value.all():
        return by_time
    run = np.cumsum(new_value, dtype=np.int64) - 1
    if int(run[-1]) * (max_id + 1) + max_id >= _INT64_MAX:
        return np.lexsort((ids, times))
    return by_time[np.argsort(run * (max_id + 1) + ids[by_time])]


def _split_by_population(
    pops: np.ndarray, ids: np.ndarray, times: np.ndarray
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Group parallel arrays by population name, keeping first-appearance order and spike order."""
    codes, names = pd.factorize(pd.Series(pops, dtype=object).astype(str), sort=False)
    if len(names) == 1:
        return {str(names[0]): (ids, times)}
    index = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[index], np.arange(len(names) + 1))
    out = {}
    for k, name in enumerate(names):
        part = index[bounds[k]:bounds[k + 1]]
        out[str(name)] = (ids[part], times[part])
    return out


# -- HDF5 reading -------------------------------------------------------------------------

def _looks_like_nwb(h5: h5py.File) -> bool:
    """An HDF5 file without ``/spikes`` but with NWB's marks (read by cantata.sonata.spikes_nwb)."""
    return "spikes" not in h5 and ("nwb_version" in h5.attrs or "units" in h5 or "processing" in h5)


def _nwb_error(path: Path) -> FormatError:
    return FormatError(
        "HDF5 file looks like NWB but has no units table (/units) and no /spikes group",
        file=path, expected="SONATA spike file (HDF5 with /spikes, or CSV) or NWB with a units table",
        found="NWB-like file",
    )


def _time_scale(dataset: h5py.Dataset, path: Path) -> float:
    units = dataset.attrs.get("units")
    if units is None:
        return 1.0
    if isinstance(units, bytes):
        units = units.decode("utf-8", "replace")
    text = str(units).strip().lower()
    if text in _MS_UNITS or text == "":
        return 1.0
    if text in _S_UNITS:
        return 1000.0
    raise FormatError("unknown time units", file=path, key=f"{dataset.name}@units",
                      expected="'ms' or 's'", found=str(units))


def _read_sorting(group: h5py.Group, path: Path) -> str | None:
    """The declared sort order of a group (enum, string or int attribute), or None when absent."""
    if "sorting" not in group.attrs:
        return None
    value = group.attrs["sorting"]
    key = f"{group.name}@sorting"
    enum = h5py.check_enum_dtype(group.attrs.get_id("sorting").dtype)
    if enum is not None:
        names = {v: k for k, v in enum.items()}
        value = names.get(int(value), int(value))
    if isinstance(value, np.ndarray):
        value = value.item() if value.size == 1 else value
    if isinstance(value, (int, np.integer)):
        by_value = {v: k for k, v in SORTING_ENUM.items()}
        if int(value) not in by_value:
            raise FormatError("unknown spike sort order", file=path, key=key,
                              expected="0 (none), 1 (by_id) or 2 (by_time)", found=int(value))
        value = by_value[int(value)]
    return normalise_sort_order(value, file=path, key=key)


def _read_pair(ids_ds: Any, times_ds: Any, path: Path, key: str) -> tuple[np.ndarray, np.ndarray, bool]:
    """``(ids, times in ms, ascending)`` of one population's two datasets, checked."""
    for ds, what in ((ids_ds, "node ids"), (times_ds, "timestamps")):
        if not isinstance(ds, h5py.Dataset):
            raise FormatError(f"{what} must be a dataset", file=path, key=key, found=type(ds).__name__)
    checked = _read_checked(ids_ds, times_ds, path)
    if checked is None:  # not the plain layout, or a bad value: the full check names the problem
        checked = _check_arrays(ids_ds[()], times_ds[()], file=path, key=key)
    ids, times, ascending = checked
    scale = _time_scale(times_ds, path)
    if scale != 1.0:
        times = times * scale  # a positive factor keeps the order
    return ids, times, ascending


def _read_checked(
    ids_ds: h5py.Dataset, times_ds: h5py.Dataset, path: Path
) -> tuple[np.ndarray, np.ndarray, bool] | None:
    """Both columns of the usual layout (1-D, integer ids of 8 bytes, float64 times), each
    block checked as it is read (:func:`_read_columns_checked`); None for any other layout or
    when a block fails a check (ids must fit in int64 and be >= 0, times must be finite)."""
    n = ids_ds.shape[0] if ids_ds.shape else -1
    if (ids_ds.shape != (n,) or times_ds.shape != (n,) or ids_ds.dtype.kind not in "iu"
            or ids_ds.dtype.itemsize != 8 or times_ds.dtype != np.dtype(np.float64)):
        return None
    ids = np.empty(n, dtype=np.uint64 if ids_ds.dtype.kind == "u" else np.int64)
    times = np.empty(n, dtype=np.float64)
    scan = _TimeScan()
    if not _read_columns_checked([(ids_ds, ids, _ids_in_range), (times_ds, times, scan.finite)], path):
        return None
    return _signed(ids), times, scan.ascending


def _read_h5(
    path: Path, default_population: str
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], set[str]] | None:
    """The populations of a SONATA spike file and those whose times never decrease; None for
    an NWB-like file (no ``/spikes``)."""
    try:
        h5 = h5py.File(path, "r")
    except OSError as exc:
        raise FormatError(f"cannot open HDF5 file ({exc})", file=path) from None
    with h5:
        if _looks_like_nwb(h5):
            return None
        if "spikes" not in h5:
            if "processing" in h5 or "nwb_version" in h5.attrs or "acquisition" in h5:
                raise _nwb_error(path)
            raise FormatError("no spikes group", file=path, key="/spikes",
                              expected="group /spikes", found=sorted(h5.keys()))
        root = h5["spikes"]
        if not isinstance(root, h5py.Group):
            raise FormatError("/spikes must be a group", file=path, key="/spikes", found="dataset")
        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        ascending: set[str] = set()
        legacy_ids = next((k for k in ("gids", "node_ids") if isinstance(root.get(k), h5py.Dataset)), None)
        if legacy_ids is not None or isinstance(root.get("timestamps"), h5py.Dataset):
            # Pre-population layout: /spikes/gids + /spikes/timestamps, no population name.
            if legacy_ids is None or "timestamps" not in root:
                raise FormatError("legacy spike layout needs both datasets", file=path, key="/spikes",
                                  expected="/spikes/gids and /spikes/timestamps", found=sorted(root.keys()))
            _read_sorting(root, path)
            ids, times, rising = _read_pair(root[legacy_ids], root["timestamps"], path, "/spikes")
            out[default_population] = (ids, times)
            if rising:
                ascending.add(default_population)
        for name, member in list(root.items()):  # a list: h5py locks while iterating
            if name in ("gids", "node_ids", "timestamps") and isinstance(member, h5py.Dataset):
                continue
            key = f"/spikes/{name}"
            if not isinstance(member, h5py.Group):
                raise FormatError("unexpected dataset under /spikes", file=path, key=key,
                                  expected="population groups /spikes/<population>", found="dataset")
            missing = [d for d in ("node_ids", "timestamps") if d not in member]
            if missing:
                raise FormatError("spike population lacks datasets", file=path, key=key,
                                  expected="node_ids and timestamps", found=sorted(member.keys()))
            _read_sorting(member, path)
            if name in out:
                raise FormatError("population appears twice", file=path, key=key)
            ids, times, rising = _read_pair(member["node_ids"], member["timestamps"], path, key)
            out[name] = (ids, times)
            if rising:
                ascending.add(name)
        return out, ascending


# -- CSV reading --------------------------------------------------------------------------

def _read_csv(path: Path, default_population: str) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], set[str]]:
    """The populations of a spike CSV and those whose times never decrease."""
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if b"\x00" in head:
        raise FormatError("not a spike file", file=path,
                          expected="SONATA spike file (HDF5 or CSV text)", found="binary data")
    try:
        text_head = head.decode("utf-8")
    except UnicodeDecodeError:
        # A cut multi-byte character at the end of the sample is fine; anything else is not text.
        try:
            text_head = head[:-4].decode("utf-8")
        except UnicodeDecodeError:
            raise FormatError("not a spike file", file=path,
                              expected="SONATA spike file (HDF5 or CSV text)", found="non-text data") from None
    lines = [ln for ln in text_head.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise FormatError("spike CSV is empty", file=path,
                          expected="header 'timestamps population node_ids' and rows", found="no rows")
    first = lines[0]
    sep = "," if "," in first else r"\s+"
    tokens = [t.strip().strip('"') for t in (first.split(",") if sep == "," else first.split())]
    header = not _is_number(tokens[0])   # data rows start with a time; a header with a name
    try:
        frame = pd.read_csv(
            path, sep=sep, header=0 if header else None, comment="#", skip_blank_lines=True,
            dtype={"population": str} if header else None, engine="c",
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise FormatError(f"cannot parse spike CSV ({exc})", file=path) from None
    if header:
        frame.columns = [str(c).strip() for c in frame.columns]
        id_col = next((c for c in _ID_COLUMNS if c in frame.columns), None)
        time_col = next((c for c in _TIME_COLUMNS if c in frame.columns), None)
        if id_col is None or time_col is None:
            raise FormatError(
                "spike CSV header lacks columns", file=path, key="header",
                expected="columns timestamps, node_ids [, population]", found=list(frame.columns),
            )
        pop_col = "population" if "population" in frame.columns else None
    else:
        if frame.shape[1] == 2:
            time_col, id_col, pop_col = 0, 1, None
        elif frame.shape[1] == 3:
            time_col, pop_col, id_col = 0, 1, 2
        else:
            raise FormatError("spike CSV without header has an unexpected number of columns", file=path,
                              expected="2 (timestamps node_ids) or 3 (timestamps population node_ids)",
                              found=frame.shape[1])
    times = _numeric_column(frame[time_col], path, "timestamps")
    ids = _numeric_column(frame[id_col], path, "node_ids")
    ids, times, rising = _check_arrays(ids, times, file=path, key="")
    if pop_col is None:
        data = {default_population: (ids, times)}
    else:
        pops = frame[pop_col]
        if pops.isna().any():
            row = int(np.flatnonzero(pops.isna().to_numpy())[0])
            raise FormatError("missing population name", file=path, key="population",
                              expected="a name on every row", found=f"empty at data row {row}")
        data = _split_by_population(pops.astype(str).to_numpy(dtype=object), ids, times)
    return data, set(data) if rising else set()


def _numeric_column(column: pd.Series, path: Path, name: str) -> np.ndarray:
    values = pd.to_numeric(column, errors="coerce")
    bad = values.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise FormatError(f"{name} column holds a value that is not a number", file=path, key=name,
                          expected="numbers", found=f"{column.iloc[row]!r} at data row {row}")
    return values.to_numpy()


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True

