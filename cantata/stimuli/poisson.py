"""Poisson spike-train generation for virtual populations.

Spikes are drawn with numpy, all nodes of one ``add`` call at once:
- a constant rate: a Poisson count per node, then uniform times in the window;
- a rate given as an array over time bins: a Poisson count per node and bin, then uniform
  times within each bin (the rate is piecewise constant);
- a rate given as a function of time: thinning of a process at the function's maximum rate
  (exact for any rate function that is vectorised over a time array).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from os import PathLike
from pathlib import Path

import numpy as np

from cantata.errors import CantataError
from cantata.sonata.spikes import SpikeTrains

RateFunction = Callable[[np.ndarray], np.ndarray]
_TIME_SCALE = {"ms": 1.0, "s": 1000.0}


class PoissonSpikeGenerator:
    """Collects Poisson spike trains for node ids of one population.

    Args:
        population: population name written into the spike file.
        seed: seed of the random generator (same seed, same calls -> same spikes).
        time_units: units of the ``times`` given to :meth:`add`, ``"ms"`` (Cantata's default)
            or ``"s"`` (what BMTK's generator takes). Output spike times are always in ms.
        dt: if given (ms), every spike time is moved up to the next multiple of ``dt``: the
            step at whose end a time-grid simulator such as NEST delivers it. Use the run's
            ``dt`` for inputs to NEST, which refuses off-grid spike times unless
            ``run.allow_offgrid_spikes`` is set.
    """

    def __init__(
        self, population: str = "default", seed: int | None = None, time_units: str = "ms", dt: float | None = None
    ) -> None:
        if time_units not in _TIME_SCALE:
            raise CantataError(
                "unknown time unit", key="time_units", expected="'ms' or 's'", found=time_units
            )
        if dt is not None and not (np.isfinite(dt) and dt > 0):
            raise CantataError("the time step must be a positive number of ms", key="dt", found=dt)
        self.dt = dt
        self.population = population
        self.time_units = time_units
        self._rng = np.random.default_rng(seed)
        self._node_ids: list[np.ndarray] = []
        self._times: list[np.ndarray] = []

    def add(
        self,
        node_ids: Sequence[int] | np.ndarray | int,
        firing_rate: float | np.ndarray | RateFunction,
        times: tuple[float, float] | Sequence[float] | np.ndarray = (0.0, 1000.0),
    ) -> None:
        """Add spike trains for ``node_ids``.

        Args:
            node_ids: one id or a sequence of ids (non-negative integers).
            firing_rate: rate in Hz: a number; an array of rates, one per interval between
                consecutive ``times`` (``len(times) == len(rate) + 1``) or one per time point
                (``len(times) == len(rate)``, the last rate then holds to the last point's end
                and is dropped); or a function of time in ms returning rates for an array.
            times: the window ``(start, stop)`` or the bin edges for an array rate, in
                ``time_units``.
        """
        ids = self._check_ids(node_ids)
        edges = np.asarray(times, dtype=float).ravel() * _TIME_SCALE[self.time_units]
        if edges.size < 2 or not np.all(np.isfinite(edges)) or np.any(np.diff(edges) <= 0):
            raise CantataError(
                "times must be increasing finite values",
                key="add(times=)",
                expected="(start, stop) or increasing bin edges",
                found=list(np.asarray(times).ravel()[:6]),
            )
        self._warn_if_seconds_likely(edges)
        if callable(firing_rate):
            spikes = self._thinned(ids, firing_rate, edges[0], edges[-1])
        else:
            rates = np.asarray(firing_rate, dtype=float).ravel()
            if rates.size == 1:
                rates = np.repeat(rates, edges.size - 1) if edges.size > 2 else rates
            elif rates.size == edges.size:
                rates = rates[:-1]
            if rates.size != edges.size - 1:
                raise CantataError(
                    "firing_rate array does not fit the time bins",
                    key="add(firing_rate=)",
                    expected=f"{edges.size - 1} or {edges.size} values for {edges.size} times",
                    found=f"{rates.size} values",
                )
            self._check_rates(rates, "add(firing_rate=)")
            spikes = self._binned(ids, rates, edges)
        times = spikes[1]
        if self.dt is not None:  # next grid point; a time already on the grid stays (1e-9 slack)
            times = np.ceil(times / self.dt - 1e-9) * self.dt
        self._node_ids.append(spikes[0])
        self._times.append(times)

    # -- results ------------------------------------------------------------------------
    def to_spike_trains(self) -> SpikeTrains:
        """All spikes added so far, sorted by time."""
        if self._node_ids:
            ids = np.concatenate(self._node_ids)
            times = np.concatenate(self._times)
        else:
            ids, times = np.zeros(0, np.int64), np.zeros(0, float)
        return SpikeTrains.from_arrays(ids, times, population=self.population).sorted("time")

    @property
    def n_spikes(self) -> int:
        return int(sum(t.size for t in self._times))

    def to_dataframe(self):
        """Spikes as a dataframe with columns population, node_ids, timestamps."""
        return self.to_spike_trains().to_dataframe()

    def to_sonata(self, path: str | PathLike[str], *, sort_by: str = "time", overwrite: bool = False) -> Path:
        """Write the spikes as a SONATA spike file (h5)."""
        return self.to_spike_trains().write_h5(path, sort_by=sort_by, overwrite=overwrite)

    def to_csv(self, path: str | PathLike[str], *, sort_by: str = "time", overwrite: bool = False) -> Path:
        """Write the spikes as a BMTK-style space-separated csv."""
        return self.to_spike_trains().write_csv(path, sort_by=sort_by, overwrite=overwrite)

    # -- drawing ------------------------------------------------------------------------
    def _binned(self, ids: np.ndarray, rates: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        widths = np.diff(edges)
        expected = rates * widths / 1000.0  # Hz x ms -> mean count per bin
        counts = self._rng.poisson(np.broadcast_to(expected, (ids.size, expected.size)))
        node_of_spike = np.repeat(np.repeat(ids, expected.size), counts.ravel())
        bin_of_spike = np.repeat(np.tile(np.arange(expected.size), ids.size), counts.ravel())
        times = edges[bin_of_spike] + self._rng.random(bin_of_spike.size) * widths[bin_of_spike]
        return node_of_spike, times

    def _thinned(self, ids: np.ndarray, rate: RateFunction, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
        grid = np.linspace(t0, t1, max(2, int((t1 - t0) / 0.1) + 1))
        peak = float(np.max(self._rate_values(rate, grid)))
        if peak == 0.0:
            return np.zeros(0, np.int64), np.zeros(0, float)
        ids_c, times_c = self._binned(ids, np.array([peak]), np.array([t0, t1]))
        keep = self._rng.random(times_c.size) * peak < self._rate_values(rate, times_c)
        return ids_c[keep], times_c[keep]

    def _rate_values(self, rate: RateFunction, t: np.ndarray) -> np.ndarray:
        values = np.broadcast_to(np.asarray(rate(t), dtype=float), t.shape)
        self._check_rates(values, "add(firing_rate=<function>)")
        return values

    @staticmethod
    def _check_rates(rates: np.ndarray, key: str) -> None:
        bad = ~np.isfinite(rates) | (rates < 0)
        if bad.any():
            raise CantataError(
                "firing rates must be finite and non-negative",
                key=key,
                expected="rates >= 0 Hz",
                found=float(rates[bad][0]),
            )

    @staticmethod
    def _check_ids(node_ids: Sequence[int] | np.ndarray | int) -> np.ndarray:
        raw = np.atleast_1d(np.asarray(node_ids))
        if raw.size and (raw.dtype.kind not in "iu" or raw.min() < 0):
            raise CantataError(
                "node ids must be non-negative integers",
                key="add(node_ids=)",
                found=f"dtype {raw.dtype}" if raw.dtype.kind not in "iu" else int(raw.min()),
            )
        return raw.astype(np.int64).ravel()

    def _warn_if_seconds_likely(self, edges: np.ndarray) -> None:
        if self.time_units == "ms" and edges[-1] <= 10.0:
            warnings.warn(
                f"times end at {edges[-1]:g} ms; if you meant seconds (as BMTK's generator takes), "
                "create the generator with time_units='s'",
                stacklevel=3,
            )
