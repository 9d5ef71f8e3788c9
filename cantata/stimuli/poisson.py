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
from typing import Any, Self

import numpy as np

from cantata.errors import CantataError
from cantata.sonata.spikes import SpikeTrains

RateFunction = Callable[[np.ndarray], np.ndarray]
_TIME_SCALE = {"ms": 1.0, "s": 1000.0}


class SpikeCount(int):
    """A spike count that can also be called, as BMTK's ``n_spikes(population=None)`` is."""

    _per_population: dict[str, int]

    def __new__(cls, per_population: dict[str, int]) -> Self:
        count = super().__new__(cls, sum(per_population.values()))
        count._per_population = per_population
        return count

    def __call__(self, population: str | None = None) -> int:
        return int(self) if population is None else self._per_population.get(population, 0)


class PoissonSpikeGenerator:
    """Collects Poisson spike trains for node ids of a population (or of several, see ``add``).

    Args:
        population: population name written into the spike file (``add`` may name another).
        seed: seed of the random generator (same seed, same calls -> same spikes). ``None``
            draws from numpy's global random state, so ``np.random.seed(...)`` before a BMTK
            script makes its spikes repeat, as it does in BMTK.
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
        # numpy's global functions (seed None) have the same poisson/random calls as a Generator
        self._rng: Any = np.random.default_rng(seed) if seed is not None else np.random
        self._node_ids: list[np.ndarray] = []
        self._times: list[np.ndarray] = []
        self._populations: list[str] = []

    def add(
        self,
        node_ids: Sequence[int] | np.ndarray | int | str | PathLike[str],
        firing_rate: float | np.ndarray | RateFunction,
        times: tuple[float, float] | Sequence[float] | np.ndarray = (0.0, 1000.0),
        population: str | None = None,
    ) -> None:
        """Add spike trains for ``node_ids`` (of ``population``, default the generator's).

        Args:
            node_ids: one id or a sequence of ids (non-negative integers); or, as in BMTK, the
                path of a SONATA nodes file, meaning every node of the population.
            firing_rate: rate in Hz: a number; an array of rates, one per interval between
                consecutive ``times`` (``len(times) == len(rate) + 1``) or one per time point
                (``len(times) == len(rate)``, the last rate then holds to the last point's end
                and is dropped); or a function of time in ms returning rates for an array.
            times: the window ``(start, stop)`` or the bin edges for an array rate, in
                ``time_units``.
        """
        if population is not None and (not isinstance(population, str) or not population):
            raise CantataError("population must be a non-empty name", key="add(population=)", found=population)
        if isinstance(node_ids, (str, PathLike)):  # BMTK: a nodes file stands for all its node ids
            node_ids = _file_node_ids(node_ids, population or self.population)
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
        self._populations.append(population or self.population)

    # -- results ------------------------------------------------------------------------
    def to_spike_trains(self) -> SpikeTrains:
        """All spikes added so far, sorted by time."""
        if not self._node_ids:
            return SpikeTrains.from_arrays(np.zeros(0, np.int64), np.zeros(0, float), population=self.population)
        trains = []
        for name in self.populations:
            parts = [i for i, pop in enumerate(self._populations) if pop == name]
            trains.append(SpikeTrains.from_arrays(np.concatenate([self._node_ids[i] for i in parts]),
                                                  np.concatenate([self._times[i] for i in parts]),
                                                  population=name))
        return SpikeTrains.concat(trains).sorted("time", canonical=True)

    @property
    def populations(self) -> list[str]:
        """Populations spikes were added for (the generator's own when none yet)."""
        return list(dict.fromkeys(self._populations)) or [self.population]

    @property
    def n_spikes(self) -> SpikeCount:
        """Number of spikes: ``gen.n_spikes`` or, as in BMTK, ``gen.n_spikes(population=None)``."""
        per_population: dict[str, int] = {}
        for name, times in zip(self._populations, self._times):
            per_population[name] = per_population.get(name, 0) + int(times.size)
        return SpikeCount(per_population)

    def __len__(self) -> int:
        return int(self.n_spikes)

    def units(self) -> str:
        """Unit of the generated spike times: always ``"ms"`` (BMTK's ``units()``)."""
        return "ms"

    def to_dataframe(self):
        """Spikes as a dataframe with columns population, node_ids, timestamps."""
        return self.to_spike_trains().to_dataframe()

    def to_sonata(self, path: str | PathLike[str], *, sort_by: str = "time", overwrite: bool = False,
                  mode: str | None = None, sort_order: str | None = None) -> Path:
        """Write the spikes as a SONATA spike file (h5).

        An existing file is replaced only with ``overwrite=True`` (or BMTK's ``mode="w"``);
        ``sort_order`` is BMTK's name for ``sort_by``."""
        return self.to_spike_trains().write_h5(path, sort_by=_sort(sort_by, sort_order),
                                               overwrite=_overwrite(overwrite, mode))

    def to_csv(self, path: str | PathLike[str], *, sort_by: str = "time", overwrite: bool = False,
               mode: str | None = None, sort_order: str | None = None) -> Path:
        """Write the spikes as a BMTK-style space-separated csv (options as :meth:`to_sonata`)."""
        return self.to_spike_trains().write_csv(path, sort_by=_sort(sort_by, sort_order),
                                                overwrite=_overwrite(overwrite, mode))

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


def _overwrite(overwrite: bool, mode: str | None) -> bool:
    """``overwrite``, or True for BMTK's ``mode="w"``."""
    if mode is None:
        return overwrite
    if mode not in ("w", "a"):
        raise CantataError("unknown file mode", key="mode", expected="'w' (replace) or 'a'", found=mode)
    return overwrite or mode == "w"


def _sort(sort_by: str, sort_order: Any) -> str:
    """``sort_by``, unless BMTK's ``sort_order`` (a name or an enum member with ``.name``) is given."""
    if sort_order is None:
        return sort_by
    return str(getattr(sort_order, "name", sort_order))


def _file_node_ids(path: str | PathLike[str], population: str) -> np.ndarray:
    """Every node id of ``population`` in the SONATA nodes file ``path``."""
    from cantata.sonata.circuit import Circuit

    with Circuit.from_files(nodes=[(path, None)]) as circuit:
        if population not in circuit.nodes:
            raise CantataError("the nodes file has no such population", file=path, key="add(node_ids=)",
                               expected=f"one of {sorted(circuit.nodes)}", found=population)
        return circuit.nodes[population].node_ids()
