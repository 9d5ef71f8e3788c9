"""``FilterEngine``: BMTK FilterNet's role. Every node is a linear-nonlinear-Poisson unit
evaluated on one movie; there is no time loop.

Fit to the block protocol: the rates of the whole movie are computed, and the Poisson spikes
drawn, in :meth:`prepare` (once inputs are attached); :meth:`advance` then hands out the spikes
block by block (spikes after ``tstop`` come with the last block, as BMTK keeps them).

FilterNet's spike-file keys (``spikes_h5``/``spikes_csv``/``spikes_nwb``, spikes sorted by node
id) are applied by the engine spec's ``outputs`` hook (:mod:`~cantata.sim.engines.filter.outputs`);
making the engine checks the ``conditions`` jitter keys (which, as in BMTK 1.2, change nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from cantata.errors import ConfigError, SimulationError
from cantata.sim.engine import Engine, Progress
from cantata.sim.engines.filter.cells import build_units
from cantata.sim.engines.filter.jitter import jitter_range
from cantata.sim.engines.filter.spikes import poisson_spikes
from cantata.sim.engines.filter.units import Evaluation, Unit, evaluate_units
from cantata.sim.runlog import log
from cantata.stimuli.movies import Movie

if TYPE_CHECKING:
    from cantata.sim.simulation import Simulation

__all__ = ["FilterEngine"]

DEFAULT_SEED = 0  # used when run.random_seed is not set, so a config always gives the same spikes


class FilterEngine(Engine):
    """The filternet engine; see docs/engines/filternet.md."""

    name = "filternet"

    def __init__(self, sim: Simulation) -> None:
        super().__init__(sim)
        seed = sim.settings.random_seed
        self.rng = np.random.default_rng(DEFAULT_SEED if seed is None else seed)
        self.units: dict[str, tuple[np.ndarray, list[Unit]]] = {}
        self.movie: Movie | None = None
        self.options = Evaluation()
        self._movie_where: str | None = None
        self.times: np.ndarray | None = None           # s
        self.rates: dict[str, np.ndarray] = {}          # population -> [times, nodes] Hz
        self._spikes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._recorded: Mapping[str, np.ndarray] | None = None
        self._released = 0.0   # spikes before this time (ms) were handed out
        self._until = 0.0
        self._check_conditions_jitter()

    def _check_conditions_jitter(self) -> None:
        conditions = self.sim.config.conditions
        try:
            jitter = jitter_range(conditions, "conditions")
        except ValueError as exc:
            raise ConfigError(str(exc).split(": ", 1)[1], file=self.sim.config.path, key="conditions.jitter_lower",
                              expected="0 <= jitter_lower <= jitter_upper",
                              found=[conditions.get("jitter_lower"), conditions.get("jitter_upper")]) from None
        if jitter is not None:
            log.warning("conditions.jitter_lower/jitter_upper change nothing (as in BMTK 1.2); give jitter_lower and "
                        "jitter_upper as node attributes to jitter the filters")

    # -- building ---------------------------------------------------------------------------
    def build(self) -> None:
        for name, pop in self.sim.circuit.nodes.items():
            self.units[name] = build_units(self.sim, pop, self.rng)
            log.info("Built %d LGN units of population %s", len(self.units[name][1]), name)

    def set_movie(self, movie: Movie, options: Mapping[str, Any], *, where: str) -> None:
        """The stimulus (one per simulation) and BMTK's ``evaluation_options``."""
        if self.movie is not None:
            raise SimulationError("the filternet engine takes one movie input", file=self.sim.config.path, key=where,
                                  expected="a single enabled movie block", found=f"also {self._movie_where}")
        self.options = evaluation_options(options, where=f"{where}.evaluation_options", file=self.sim.config.path)
        self.movie, self._movie_where = movie, where

    def prepare(self) -> None:
        if self.movie is None:
            raise SimulationError("the filternet engine needs a movie", file=self.sim.config.path, key="inputs",
                                  expected="an inputs block with input_type 'movie'", found=None)
        movie = self.movie
        log.info("Evaluating %d units on a %d-frame %dx%d movie at %g Hz", sum(len(u) for _, u in self.units.values()),
                 movie.n_frames, movie.data.shape[1], movie.data.shape[2], movie.frame_rate)
        for name, (node_ids, units) in self.units.items():
            if not units:
                continue
            times, rates = evaluate_units(units, movie, self.options)
            self.times, self.rates[name] = times, rates
            wanted = None if self._recorded is None else self._recorded.get(name)
            if self._recorded is not None and wanted is None:
                continue
            columns = np.arange(node_ids.size) if wanted is None else np.flatnonzero(np.isin(node_ids, wanted))
            cols, spike_times = poisson_spikes(times * 1000.0, rates[:, columns], self.rng)
            self._spikes[name] = (node_ids[columns][cols], spike_times)

    # -- time -------------------------------------------------------------------------------
    def advance(self, until: float, progress: Progress) -> None:
        self._until = until
        progress(until)

    def record_spikes(self, populations: Mapping[str, np.ndarray] | None) -> None:
        self._recorded = populations

    def collect_spikes(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        until = self._until
        last = until >= self.sim.settings.tstop
        out = {}
        for name, (ids, times) in self._spikes.items():
            mask = (times >= self._released) if last else (times >= self._released) & (times < until)
            out[name] = (ids[mask], times[mask])
        self._released = until
        return out

    def population_rates(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """population -> (node ids, rates [times, nodes] in Hz), after :meth:`prepare`."""
        return {name: (self.units[name][0], rates) for name, rates in self.rates.items()}


def evaluation_options(options: Mapping[str, Any], *, where: str, file: Any = None) -> Evaluation:
    """Check BMTK's ``evaluation_options`` (``downsample``, ``separable``, ``t_min``/``t_max`` in s)."""

    def error(message: str, key: str | None = None, **kw: Any) -> SimulationError:
        return SimulationError(message, file=file, key=f"{where}.{key}" if key else where, **kw)

    unknown = set(options) - {"downsample", "separable", "t_min", "t_max"}
    if unknown:
        raise error("unknown evaluation option", expected="downsample, separable, t_min, t_max", found=sorted(unknown))
    down = options.get("downsample", 1)
    if isinstance(down, bool) or not isinstance(down, int) or down < 1:
        raise error("downsample must be a positive integer", "downsample", found=down)
    separable = options.get("separable", False)
    if not isinstance(separable, bool):
        raise error("separable must be true or false", "separable", found=separable)
    bounds = {}
    for key in ("t_min", "t_max"):
        value = options.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise error(f"{key} must be a number (seconds)", key, found=value)
        bounds[key] = None if value is None else float(value)
    if bounds["t_min"] is not None and bounds["t_max"] is not None and bounds["t_max"] < bounds["t_min"]:
        raise error("t_max is before t_min", "t_max", expected=f">= {bounds['t_min']}", found=bounds["t_max"])
    if separable and (down != 1 or any(v is not None for v in bounds.values())):
        given = {k: v for k, v in {"downsample": down, **bounds}.items() if v is not None and not (
            k == "downsample" and v == 1)}
        raise error("separable evaluation takes every frame: no downsample, t_min or t_max (as in BMTK)",
                    next(iter(given)), expected="separable alone", found=given)
    return Evaluation(down, separable, bounds["t_min"], bounds["t_max"])
