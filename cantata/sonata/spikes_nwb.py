"""Spike trains in NWB files: read a units table (or BMTK's legacy NWB 1 layout), write one.

NWB 2 (pynwb) files keep spikes in the ``/units`` table: one row per unit, a ragged
``spike_times`` column in seconds. Each unit becomes one node: its node id is the unit's
``node_id`` column when the table has one (files written by :func:`write_nwb_spikes`), a column
you name with ``node_id_column``, or else the unit id. A ``population`` column, when present,
splits the units into populations.

The legacy layout written by older BMTK/Allen tools (``/processing/<trial>/spike_train/
<node_id>/data``, times in ms) is read with h5py alone; pynwb cannot open such files.

Times are returned in ms. pynwb (the ``nwb`` extra) is imported only when an NWB 2 file is
read or written.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import uuid
import warnings
from collections.abc import Iterable, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from cantata.errors import FormatError
from cantata.sonata._io import atomic_path
from cantata.sonata.spikes import DEFAULT_POPULATION, SpikeTrains

__all__ = ["read_nwb_spikes", "write_nwb_spikes"]

PathType = str | PathLike[str]
_MS_PER_S = 1000.0
_LEGACY_UNITS = {"ms": 1.0, "msec": 1.0, "millisecond": 1.0, "milliseconds": 1.0,
                 "s": 1000.0, "sec": 1000.0, "second": 1000.0, "seconds": 1000.0}


# -- reading --------------------------------------------------------------------------------

def read_nwb_spikes(
    path: PathType,
    population: str | None = None,
    *,
    units: Iterable[int] | None = None,
    trials: int | str | Iterable[int | str] | None = None,
    time_window: Sequence[float] | None = None,
    relative_to_trial: bool = False,
    node_id_column: str | None = None,
    default_population: str = DEFAULT_POPULATION,
) -> SpikeTrains:
    """Spikes of an NWB file as :class:`SpikeTrains` (times in ms).

    ``population``: for a units table without a ``population`` column, the name given to all
    spikes (``default_population`` when None); with such a column, the one population to keep
    (all when None).
    ``units``: unit ids (the table's ``id`` column; the node-id group names in the legacy
    layout) to keep; unknown ids are an error.
    ``trials``: rows (0-based positions) of the ``trials`` table, or in the legacy layout trial
    group names (``"trial_0"``) or their positions; spikes outside every selected trial's
    ``[start_time, stop_time)`` are dropped. With ``relative_to_trial`` times are measured from
    the start of their trial (a spike inside two overlapping trials then appears once per trial).
    ``time_window``: ``(start, stop)`` in ms, half-open, applied to the returned times (so
    after the shift to trial time when ``relative_to_trial``).
    ``node_id_column``: units-table column holding node ids (default ``node_id`` when present,
    else the unit id).
    """
    path = Path(path)
    window = _check_window(time_window, path)
    if relative_to_trial and trials is None:
        raise FormatError("relative_to_trial needs trials", file=path, key="relative_to_trial",
                          expected="trials=<trial index or list>", found="trials=None")
    layout = _layout(path)
    if layout == "units":
        data = _read_units_table(path, population, units, trials, relative_to_trial,
                                 node_id_column, default_population)
    else:
        if node_id_column is not None:
            raise FormatError("the legacy NWB layout has no units table columns", file=path,
                              key="node_id_column", expected="None (node ids are the group names)",
                              found=node_id_column)
        if relative_to_trial:
            raise FormatError("the legacy NWB layout stores no trial start times", file=path,
                              key="relative_to_trial", expected="False", found=True)
        data = _read_legacy(path, population or default_population, units, trials)
    out = SpikeTrains(data)
    if window is not None:
        out = out.select(tstart=window[0], tstop=window[1])
    return out


def _layout(path: Path) -> str:
    """``"units"`` (NWB 2 units table) or ``"legacy"``; FormatError for anything else."""
    if not path.is_file():
        raise FormatError("NWB file not found", file=path)
    if not h5py.is_hdf5(path):
        raise FormatError("not an NWB file", file=path, expected="an HDF5-based NWB file",
                          found="not HDF5")
    try:
        h5 = h5py.File(path, "r")
    except OSError as exc:
        raise FormatError(f"cannot open HDF5 file ({exc})", file=path) from None
    with h5:
        if isinstance(h5.get("units"), h5py.Group):
            return "units"
        processing = h5.get("processing")
        if isinstance(processing, h5py.Group) and any(
            isinstance(g, h5py.Group) and isinstance(g.get("spike_train"), h5py.Group)
            for g in processing.values()
        ):
            return "legacy"
        version = h5.attrs.get("nwb_version")
        if isinstance(version, bytes):
            version = version.decode("utf-8", "replace")
        found = f"top-level entries {sorted(h5.keys())}"
        if version is not None:
            found += f", nwb_version {version}"
        if "spikes" in h5:
            found += " (this looks like a SONATA spike file: read it with SpikeTrains.read)"
        raise FormatError(
            "NWB file has no units table", file=path, key="/units",
            expected="an NWB units table (/units with spike_times) or the legacy layout "
                     "/processing/<trial>/spike_train/<node_id>/data",
            found=found,
        )


def _pynwb() -> Any:
    try:
        import pynwb
    except ImportError:
        raise FormatError("reading and writing NWB needs pynwb: pip install 'cantata[nwb]'",
                          expected="the pynwb package", found="not installed") from None
    return pynwb


def _read_units_table(
    path: Path, population: str | None, units: Iterable[int] | None,
    trials: int | str | Iterable[int | str] | None, relative: bool,
    node_id_column: str | None, default_population: str,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    pynwb = _pynwb()
    io = None
    try:
        io = pynwb.NWBHDF5IO(str(path), "r")
        nwbfile = io.read()
    except Exception as exc:  # noqa: BLE001 - pynwb and hdmf raise many types for files they cannot map
        if io is not None:
            io.close()
        raise FormatError(f"pynwb cannot read the file ({type(exc).__name__}: {exc})", file=path,
                          expected="an NWB 2 file") from None
    with io:
        table = nwbfile.units
        if table is None:
            raise FormatError("NWB file has no units table", file=path, key="/units",
                              expected="an NWB units table", found="none")
        columns = set(table.colnames)
        unit_ids = np.asarray(table.id.data[:], dtype=np.int64)
        if "spike_times" in columns:
            flat = np.asarray(table.spike_times.data[:], dtype=np.float64) * _MS_PER_S
            ends = np.asarray(table.spike_times_index.data[:], dtype=np.int64)
        elif unit_ids.size == 0:  # an empty table may lack every column
            flat, ends = np.zeros(0, np.float64), np.zeros(0, np.int64)
        else:
            raise FormatError("units table has no spike_times column", file=path,
                              key="/units/spike_times", expected="column spike_times",
                              found=f"columns {sorted(columns)}")
        node_ids = _node_ids(table, columns, unit_ids, node_id_column, path)
        pops = _column(table, "population", path).astype(str) if "population" in columns else None
        spans = _trial_spans(nwbfile, trials, path) if trials is not None else None
    counts = np.diff(ends, prepend=0)
    if counts.size != unit_ids.size or (counts < 0).any() or (ends[-1:] > flat.size).any():
        raise FormatError("spike_times_index does not fit spike_times", file=path,
                          key="/units/spike_times_index",
                          expected=f"{unit_ids.size} non-decreasing ends <= {flat.size}",
                          found=f"{counts.size} ends")
    keep_unit = _unit_mask(unit_ids, units, path)
    if pops is not None and pops.size and population is not None:
        present = np.unique(pops)
        if population not in present:
            raise FormatError("population not in the units table", file=path,
                              key="/units/population", expected=f"one of {present.tolist()}",
                              found=population)
        keep_unit &= pops == population
    unit_of_spike = np.repeat(np.arange(unit_ids.size), counts)
    times = flat[: unit_of_spike.size]
    keep = keep_unit[unit_of_spike]
    unit_of_spike, times = unit_of_spike[keep], times[keep]
    if spans is not None:
        unit_of_spike, times = _apply_trials(unit_of_spike, times, spans * _MS_PER_S, relative)
    ids = node_ids[unit_of_spike]
    if pops is None:
        return {population or default_population: (ids, times)}
    spike_pops = pops[unit_of_spike]
    names = [population] if population is not None else list(dict.fromkeys(pops[keep_unit]))
    return {name: (ids[spike_pops == name], times[spike_pops == name]) for name in names}


def _column(table: Any, name: str, path: Path) -> np.ndarray:
    from hdmf.common import VectorIndex

    column = table[name]
    if isinstance(column, VectorIndex):
        raise FormatError("units column holds lists, one value per unit is needed", file=path,
                          key=f"/units/{name}", expected="one value per unit", found="ragged column")
    values = np.asarray(column.data[:])
    if values.dtype.kind in "SO":
        values = np.array([v.decode("utf-8", "replace") if isinstance(v, bytes) else v
                           for v in values], dtype=object)
    return values


def _node_ids(table: Any, columns: set[str], unit_ids: np.ndarray, name: str | None,
              path: Path) -> np.ndarray:
    if name is None:
        name = "node_id" if "node_id" in columns else None
    elif name not in columns:
        raise FormatError("node id column not in the units table", file=path,
                          key=f"/units/{name}", expected=f"one of {sorted(columns)}", found=name)
    if name is None:
        values = unit_ids
    else:
        values = _column(table, name, path)
        if values.dtype.kind == "f" and np.all(np.isfinite(values)) and np.all(values == np.round(values)):
            values = values.astype(np.int64)
        if values.dtype.kind not in "iu":
            raise FormatError("node ids must be whole numbers", file=path, key=f"/units/{name}",
                              expected="an integer column", found=str(values.dtype))
    values = np.asarray(values, dtype=np.int64)
    if (values < 0).any():
        bad = int(values[values < 0][0])
        raise FormatError("node ids must not be negative", file=path,
                          key=f"/units/{name or 'id'}", expected="ids >= 0", found=bad)
    return values


def _unit_mask(unit_ids: np.ndarray, units: Iterable[int] | None, path: Path) -> np.ndarray:
    if units is None:
        return np.ones(unit_ids.size, dtype=bool)
    wanted = _int_list(units, path, "units")
    missing = np.setdiff1d(wanted, unit_ids)
    if missing.size:
        shown = missing[:10].tolist()
        raise FormatError("unknown unit ids", file=path, key="units",
                          expected=f"ids of the units table ({unit_ids.size} units, "
                                   f"ids {_id_range(unit_ids)})",
                          found=shown if missing.size <= 10 else f"{shown} and {missing.size - 10} more")
    return np.isin(unit_ids, wanted)


def _int_list(values: Any, path: Path, key: str) -> np.ndarray:
    items = [values] if isinstance(values, (int, np.integer)) else list(values)
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, np.integer)):
            raise FormatError("must be integers", file=path, key=key,
                              expected="a list of integer ids", found=item)
    return np.unique(np.asarray(items, dtype=np.int64))


def _id_range(ids: np.ndarray) -> str:
    return "none" if ids.size == 0 else f"{int(ids.min())}..{int(ids.max())}"


def _trial_spans(nwbfile: Any, trials: Any, path: Path) -> np.ndarray:
    """``[k, 2]`` array of (start, stop) in seconds for the selected trial rows."""
    table = nwbfile.trials
    if table is None:
        raise FormatError("NWB file has no trials table", file=path, key="/intervals/trials",
                          expected="a trials table to select trials from", found="none")
    starts = np.asarray(table.start_time.data[:], dtype=np.float64)
    stops = np.asarray(table.stop_time.data[:], dtype=np.float64)
    items = [trials] if isinstance(trials, (int, np.integer, str)) else list(trials)
    rows = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, np.integer)):
            raise FormatError("trials are selected by row index", file=path, key="trials",
                              expected=f"integers 0..{starts.size - 1}", found=item)
        if not 0 <= int(item) < starts.size:
            raise FormatError("trial index out of range", file=path, key="trials",
                              expected=f"0..{starts.size - 1} ({starts.size} trials)", found=int(item))
        rows.append(int(item))
    rows = sorted(set(rows))
    return np.column_stack([starts[rows], stops[rows]]) if rows else np.zeros((0, 2))


def _apply_trials(units: np.ndarray, times: np.ndarray, spans: np.ndarray,
                  relative: bool) -> tuple[np.ndarray, np.ndarray]:
    """Keep spikes inside the spans (ms); shift them to trial time when ``relative``."""
    if not relative:
        inside = np.zeros(times.size, dtype=bool)
        for start, stop in spans:  # one pass per selected trial, not per spike
            inside |= (times >= start) & (times < stop)
        return units[inside], times[inside]
    parts_u, parts_t = [], []
    for start, stop in spans:
        inside = (times >= start) & (times < stop)
        parts_u.append(units[inside])
        parts_t.append(times[inside] - start)
    if not parts_u:
        return units[:0], times[:0]
    return np.concatenate(parts_u), np.concatenate(parts_t)


def _check_window(window: Sequence[float] | None, path: Path) -> tuple[float, float] | None:
    if window is None:
        return None
    try:
        start, stop = (float(v) for v in window)
    except (TypeError, ValueError):
        raise FormatError("time_window must be (start, stop) in ms", file=path, key="time_window",
                          expected="two numbers", found=repr(window)) from None
    if not (math.isfinite(start) and math.isfinite(stop)) or start >= stop:
        raise FormatError("time_window must have start < stop", file=path, key="time_window",
                          expected="finite start < stop (ms)", found=f"({start}, {stop})")
    return start, stop


# -- legacy NWB 1 layout (BMTK) ----------------------------------------------------------------

def _natural_key(name: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def _read_legacy(path: Path, population: str, units: Iterable[int] | None,
                 trials: Any) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    with h5py.File(path, "r") as h5:
        processing = h5["processing"]
        names = sorted((n for n, g in processing.items()
                        if isinstance(g, h5py.Group) and isinstance(g.get("spike_train"), h5py.Group)),
                       key=_natural_key)
        chosen = names if trials is None else _legacy_trials(names, trials, path)
        wanted = None if units is None else _int_list(units, path, "units")
        id_parts: list[np.ndarray] = []
        time_parts: list[np.ndarray] = []
        seen: set[int] = set()
        for trial in chosen:
            group = processing[trial]["spike_train"]
            for name, member in group.items():  # the layout has one dataset per node
                key = f"/processing/{trial}/spike_train/{name}"
                if not name.isdigit():
                    raise FormatError("spike train group name is not a node id", file=path, key=key,
                                      expected="a non-negative integer name", found=name)
                data = member.get("data") if isinstance(member, h5py.Group) else None
                if not isinstance(data, h5py.Dataset):
                    raise FormatError("spike train lacks its data dataset", file=path, key=key,
                                      expected=f"{key}/data", found="missing")
                node = int(name)
                seen.add(node)
                if wanted is not None and node not in wanted:
                    continue
                times = np.asarray(data[()], dtype=np.float64).ravel() * _legacy_scale(data, path)
                id_parts.append(np.full(times.size, node, dtype=np.int64))
                time_parts.append(times)
    if wanted is not None:
        missing = np.setdiff1d(wanted, np.fromiter(seen, dtype=np.int64, count=len(seen)))
        if missing.size:
            raise FormatError("unknown unit ids", file=path, key="units",
                              expected=f"node ids of the spike_train groups of {chosen}",
                              found=missing[:10].tolist())
    if not id_parts:
        return {population: (np.zeros(0, np.int64), np.zeros(0, np.float64))}
    return {population: (np.concatenate(id_parts), np.concatenate(time_parts))}


def _legacy_trials(names: list[str], trials: Any, path: Path) -> list[str]:
    items = [trials] if isinstance(trials, (int, np.integer, str)) else list(trials)
    chosen = []
    for item in items:
        if isinstance(item, str) and item in names:
            chosen.append(item)
        elif isinstance(item, (int, np.integer)) and not isinstance(item, bool) and 0 <= item < len(names):
            chosen.append(names[int(item)])
        else:
            raise FormatError("unknown trial", file=path, key="trials",
                              expected=f"a trial name {names} or an index 0..{len(names) - 1}",
                              found=item)
    return list(dict.fromkeys(chosen))


def _legacy_scale(data: h5py.Dataset, path: Path) -> float:
    unit = data.attrs.get("unit", data.attrs.get("units"))
    if unit is None:
        return 1.0  # BMTK wrote milliseconds
    if isinstance(unit, bytes):
        unit = unit.decode("utf-8", "replace")
    scale = _LEGACY_UNITS.get(str(unit).strip().lower())
    if scale is None:
        raise FormatError("unknown time unit", file=path, key=f"{data.name}@unit",
                          expected="millisecond or second", found=str(unit))
    return scale


# -- writing --------------------------------------------------------------------------------

def write_nwb_spikes(
    spike_trains: SpikeTrains,
    path: PathType,
    *,
    overwrite: bool = False,
    session_description: str = "spikes simulated with Cantata",
    identifier: str | None = None,
    session_start_time: _dt.datetime | None = None,
) -> Path:
    """Write spikes as an NWB 2 units table: one unit per (population, node id) that spiked.

    Units are ordered by population (in ``spike_trains`` order) then node id, with unit ids
    ``0..n-1``; columns ``population`` (text) and ``node_id`` (int64) say which node each unit
    is, ``spike_times`` holds each unit's times in seconds, sorted. The file appears only when
    complete; an existing file is replaced only with ``overwrite``.
    """
    pynwb = _pynwb()
    from hdmf.common import ElementIdentifiers, VectorData, VectorIndex

    pop_parts, node_parts, count_parts, time_parts = [], [], [], []
    for name in spike_trains.populations:
        ids, times = spike_trains.population(name)
        order = np.lexsort((times, ids))
        ids, times = ids[order], times[order]
        nodes, counts = np.unique(ids, return_counts=True)
        pop_parts.append(np.full(nodes.size, name, dtype=object))
        node_parts.append(nodes)
        count_parts.append(counts)
        time_parts.append(times / _MS_PER_S)
    populations = np.concatenate(pop_parts) if pop_parts else np.zeros(0, dtype=object)
    nodes = np.concatenate(node_parts) if node_parts else np.zeros(0, np.int64)
    ends = np.cumsum(np.concatenate(count_parts)) if count_parts else np.zeros(0, np.int64)
    flat = np.concatenate(time_parts) if time_parts else np.zeros(0, np.float64)

    spike_times = VectorData(name="spike_times", description="spike times (s)", data=flat)
    table = pynwb.misc.Units(
        name="units",
        description="spikes of the simulated nodes; population and node_id identify each node",
        id=ElementIdentifiers(name="id", data=np.arange(nodes.size, dtype=np.int64)),
        columns=[
            spike_times,
            VectorIndex(name="spike_times_index", data=ends.astype(np.int64), target=spike_times),
            VectorData(name="population", description="SONATA node population", data=populations),
            VectorData(name="node_id", description="SONATA node id", data=nodes.astype(np.int64)),
        ],
    )
    nwbfile = pynwb.NWBFile(
        session_description=session_description,
        identifier=identifier or str(uuid.uuid4()),
        session_start_time=session_start_time or _dt.datetime.now(_dt.UTC),
    )
    nwbfile.units = table
    target = Path(path)
    with atomic_path(target, overwrite=overwrite) as tmp, warnings.catch_warnings():
        # the temporary name ends in .part; the final name is the caller's
        warnings.filterwarnings("ignore", message=".*does not end in '.nwb'")
        with pynwb.NWBHDF5IO(str(tmp), "w") as io:
            io.write(nwbfile)
    return target
