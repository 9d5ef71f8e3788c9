"""BMTK's names for :class:`cantata.sonata.spikes.SpikeTrains` (those of
``bmtk.utils.reports.spike_trains.SpikeTrains``), so BMTK analysis code runs with only its
import changed. Thin wrappers over SpikeTrains' own methods, mixed into that class.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np
import pandas as pd

from cantata.errors import FormatError

if TYPE_CHECKING:
    from cantata.sonata.spikes import PathType, SpikeTrains


class BmtkSpikeTrainsNames:
    """BMTK's method names, mixed into SpikeTrains (every method works through ``self``).

    Differences from BMTK: ``n_spikes`` stays a property (an int; BMTK's
    ``n_spikes(population)`` is ``st.population(name)[0].size``), times are always ms, and a
    SpikeTrains never changes (``add_spikes`` & co. raise; build with from_arrays/concat).
    """

    @classmethod
    def load(cls, path: PathType, file_type: str | None = None, **kwargs: Any) -> SpikeTrains:
        """BMTK's ``SpikeTrains.load``: a SONATA HDF5, CSV or NWB spike file.

        The format is found from the content; a ``file_type`` (``"h5"``/``"sonata"``,
        ``"csv"``, ``"nwb"``) must agree with it. Keywords: ``default_population`` (name of
        spikes stored without one), ``population``/``populations`` (keep only these), ``sep``
        (accepted; the CSV separator is detected).
        """
        unknown = sorted(set(kwargs) - {"default_population", "population", "populations", "sep"})
        if unknown:
            raise TypeError(f"SpikeTrains.load got unexpected keyword arguments {unknown}; "
                            "accepted: default_population, population, populations, sep")
        path = Path(path)
        if file_type is not None:
            _check_file_type(path, file_type)
        trains = cls.read(path, default_population=kwargs.get("default_population"))
        wanted = kwargs.get("population", kwargs.get("populations"))
        return trains if wanted is None else trains.select(wanted)

    @classmethod
    def from_sonata(cls, path: PathType, **kwargs: Any) -> SpikeTrains:
        """BMTK's ``SpikeTrains.from_sonata``: :meth:`load` of a SONATA HDF5 spike file."""
        return cls.load(path, "sonata", **kwargs)

    @classmethod
    def from_csv(cls, path: PathType, **kwargs: Any) -> SpikeTrains:
        """BMTK's ``SpikeTrains.from_csv``: :meth:`load` of a spike CSV."""
        return cls.load(path, "csv", **kwargs)

    @classmethod
    def from_nwb(cls, path: PathType, **kwargs: Any) -> SpikeTrains:
        """BMTK's ``SpikeTrains.from_nwb``: :meth:`load` of an NWB file's units table."""
        return cls.load(path, "nwb", **kwargs)

    def node_ids(self, population: str | None = None) -> np.ndarray:
        """Sorted unique ids of the nodes that spiked (``population`` may be left out when
        there is only one)."""
        ids, _ = self.population(self._bmtk_population(population))
        return np.unique(ids)

    def get_times(self, node_id: int, population: str | None = None,
                  time_window: tuple[float, float] | None = None, **kwargs: Any) -> np.ndarray:
        """Spike times (ms, stored order) of one node; ``time_window=(t0, t1)`` keeps
        ``t0 <= t <= t1``. A node without spikes gives an empty array."""
        ids, times = self.population(self._bmtk_population(population))
        keep = ids == int(node_id)
        if time_window is not None:
            t0, t1 = _window(time_window)
            keep &= (times >= t0) & (times <= t1)
        return times[keep]

    def time_range(self, populations: str | Iterable[str] | None = None) -> tuple[float, float]:
        """``(first, last)`` spike time of the populations (default: all); ``(inf, -inf)`` when
        there are no spikes, as in BMTK."""
        lows, highs = [np.inf], [-np.inf]
        for name in self._bmtk_names(populations):
            times = self._data[name][1]
            if times.size:
                lows.append(float(times.min()))
                highs.append(float(times.max()))
        return min(lows), max(highs)

    def units(self, population: str | None = None) -> str:
        """Unit of the timestamps: always ``"ms"`` (files in seconds are converted on reading)."""
        if population is not None:
            self.population(population)  # an unknown name is an error
        return "ms"

    def spikes(self, node_ids: Iterable[int] | None = None, populations: str | Iterable[str] | None = None,
               time_window: tuple[float, float] | None = None,
               sort_order: Any = None) -> Iterable[tuple[float, str, int]]:
        """BMTK's spike iterator: ``(timestamp, population, node_id)`` one spike at a time.

        Slow for many spikes (a Python tuple per spike); :meth:`to_dataframe` takes the same
        arguments and returns columns.
        """
        frame = self._bmtk_frame(populations, sort_order, True, node_ids, time_window)
        return zip(frame["timestamps"].tolist(), frame["population"].astype(str).tolist(),
                   frame["node_ids"].tolist(), strict=True)

    def to_sonata(self, path: PathType, mode: str | None = None, sort_order: Any = None,
                  compression: str | None = None, *, overwrite: bool = False) -> Path:
        """BMTK's ``to_sonata``: :meth:`write_h5`. An existing file is replaced only with
        ``mode="w"`` or ``overwrite=True``; ``sort_order`` defaults to by time. ``compression``
        is accepted and not applied (the datasets are written uncompressed)."""
        if compression not in (None, "gzip", "lzf", "none"):
            raise FormatError("unknown compression", key="compression",
                              expected="None, 'gzip' or 'lzf'", found=compression)
        return self.write_h5(path, sort_by=_bmtk_order(sort_order, "time"),
                             overwrite=_bmtk_overwrite(mode, overwrite, path))

    def to_csv(self, path: PathType, mode: str | None = None, sort_order: Any = None, *,
               overwrite: bool = False) -> Path:
        """BMTK's ``to_csv``: :meth:`write_csv` (replacing a file as :meth:`to_sonata` does)."""
        return self.write_csv(path, sort_by=_bmtk_order(sort_order, "time"),
                              overwrite=_bmtk_overwrite(mode, overwrite, path))

    def is_equal(self, other: SpikeTrains, populations: str | Iterable[str] | None = None,
                 err: float = 0.00001, time_window: tuple[float, float] | None = None) -> bool:
        """BMTK's ``is_equal``: the same spikes (any order), times within ``err`` ms.

        ``populations`` limits the comparison to those (a population in one and not in the
        other makes them unequal); ``time_window=(t0, t1)`` compares ``t0 <= t <= t1`` only.
        """
        if populations is None:
            names = None
        else:
            names = [populations] if isinstance(populations, str) else list(populations)
            if any((p in self) != (p in other) for p in names):
                return False
            names = [p for p in names if p in self]
        mine = self._bmtk_subset(names, None, time_window)
        theirs = other._bmtk_subset(names, None, time_window)
        return mine.is_close(theirs, atol=err)

    def flush(self) -> None:
        """BMTK's ``flush``: nothing to do (a SpikeTrains holds no open file)."""

    def close(self) -> None:
        """BMTK's ``close``: nothing to do (a SpikeTrains holds no open file)."""

    def add_spike(self, *args: Any, **kwargs: Any) -> None:
        """Not available: Cantata's SpikeTrains never change (see :func:`_immutable`)."""
        raise _immutable("add_spike")

    def add_spikes(self, *args: Any, **kwargs: Any) -> None:
        """Not available: Cantata's SpikeTrains never change (see :func:`_immutable`)."""
        raise _immutable("add_spikes")

    def import_spikes(self, *args: Any, **kwargs: Any) -> None:
        """Not available: Cantata's SpikeTrains never change (see :func:`_immutable`)."""
        raise _immutable("import_spikes")

    def merge(self, *args: Any, **kwargs: Any) -> None:
        """Not available: Cantata's SpikeTrains never change (see :func:`_immutable`)."""
        raise _immutable("merge")

    def _bmtk_population(self, population: str | None) -> str:
        """``population``, or the only one there is (BMTK's default population)."""
        if population is not None:
            return population
        if len(self._data) == 1:
            return next(iter(self._data))
        raise FormatError("several (or no) populations: name one with population=", key="population",
                          expected=f"one of {self.populations}", found=None)

    def _bmtk_names(self, populations: str | Iterable[str] | None) -> list[str]:
        if populations is None:
            return self.populations
        names = [populations] if isinstance(populations, str) else list(populations)
        for name in names:
            self.population(name)  # an unknown name is an error
        return names

    def _bmtk_subset(self, populations: str | Iterable[str] | None, node_ids: Iterable[int] | None,
                     time_window: tuple[float, float] | None) -> SpikeTrains:
        """The spikes of ``populations`` and ``node_ids`` with ``t0 <= t <= t1`` (BMTK's
        inclusive window)."""
        subset = self.select(self._bmtk_names(populations), node_ids)
        if time_window is None:
            return subset
        t0, t1 = _window(time_window)
        data = {}
        for name, (ids, times) in subset._data.items():
            keep = (times >= t0) & (times <= t1)
            data[name] = (ids[keep], times[keep])
        return type(self)._from_checked(data, subset._ascending)

    def _bmtk_frame(self, populations: str | Iterable[str] | None, sort_order: Any, with_population_col: bool,
                    node_ids: Iterable[int] | None, time_window: tuple[float, float] | None) -> pd.DataFrame:
        """BMTK's ``to_dataframe(populations, sort_order, with_population_col)`` (plus its
        ``node_ids``/``time_window`` filters): ``sort_order`` ``"by_time"``/``"by_id"`` sorts all
        rows (populations mixed), None/``"none"`` keeps the stored order, population by population."""
        order = _bmtk_order(sort_order, "none")
        frame = self._bmtk_subset(populations, node_ids, time_window).sorted(order).to_dataframe()
        if order != "none" and frame["population"].cat.categories.size > 1:
            frame = frame.sort_values("timestamps" if order == "time" else "node_ids", kind="stable",
                                      ignore_index=True)
        if not with_population_col:
            frame = frame.drop(columns="population")
        return frame


def _check_file_type(path: Path, file_type: str) -> None:
    """Raise when BMTK's ``file_type`` does not match what the file holds."""
    kind = str(file_type).strip().lower()
    if kind not in ("h5", "hdf5", "sonata", "csv", "nwb"):
        raise FormatError("unknown spike file type", file=path, key="file_type",
                          expected="'h5'/'sonata', 'csv' or 'nwb'", found=file_type)
    if not path.is_file():
        raise FormatError("spike file not found", file=path)
    is_h5 = h5py.is_hdf5(path)
    if is_h5 != (kind != "csv"):
        raise FormatError("file content does not match file_type", file=path, key="file_type",
                          expected=f"a {kind} file", found="HDF5" if is_h5 else "text")


def _window(time_window: Any) -> tuple[float, float]:
    """BMTK's ``time_window`` as two floats ``(t0, t1)``."""
    try:
        t0, t1 = (float(t) for t in time_window)
    except (TypeError, ValueError):
        raise FormatError("time_window must be two times", key="time_window",
                          expected="(t0, t1) in ms", found=repr(time_window)) from None
    return t0, t1


def _bmtk_order(value: Any, default: str) -> str:
    """BMTK's ``sort_order`` (a name or its ``SortOrder`` enum; ``"unknown"`` = as stored)."""
    if value is None:
        return default
    if not isinstance(value, (str, bytes)) and hasattr(value, "value"):
        value = value.value  # BMTK's SortOrder.by_time and the like
    if isinstance(value, str) and value.strip().lower() == "unknown":
        return "none"
    from cantata.sonata.spikes import normalise_sort_order  # the module that mixes this class in

    return normalise_sort_order(value, key="sort_order")


def _bmtk_overwrite(mode: str | None, overwrite: bool, path: PathType) -> bool:
    """``overwrite``, or True for BMTK's ``mode="w"``; appending (``"a"``) is not supported."""
    if mode is None or mode == "w":
        return overwrite or mode == "w"
    raise FormatError("cannot append to a spike file; join the trains with SpikeTrains.concat and write once",
                      file=path, key="mode", expected="'w' (replace) or None", found=mode)


def _immutable(name: str) -> NotImplementedError:
    return NotImplementedError(
        f"SpikeTrains.{name} (BMTK) is not available: Cantata's SpikeTrains never change. Build them with "
        "SpikeTrains.from_arrays(node_ids, timestamps, population) and join several with "
        "SpikeTrains.concat([a, b])")
