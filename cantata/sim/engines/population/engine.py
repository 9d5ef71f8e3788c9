"""``PopulationEngine``: BMTK PopNet's role (DiPDE population density models).

Time units follow BMTK PopNet: ``run.tstop`` is in ms (BMTK divides it by 1000) and
``run.dt`` is in **seconds** (BMTK hands it to DiPDE unchanged). The core's blocks (ms) only
decide when rates are stepped; the engine steps its own ``dt`` and, like DiPDE, keeps stepping
while ``t < tstop`` (so a ``tstop`` that is not a whole number of steps ends one step later).

The rates of the internal populations are written to ``output.rates_file`` at the end of the
run (``<stem>.partial<suffix>`` after an error, with what was computed).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cantata.errors import SimulationError
from cantata.sim.engine import Engine, Progress
from cantata.sim.engines.population.network import Group, PopulationNetwork, read_network
from cantata.sim.engines.population.rates import PiecewiseRate, write_rates_file
from cantata.sim.engines.population.solver import DensityNetwork, InternalPopulation
from cantata.sim.outputs import check_outputs
from cantata.sim.runlog import log
from cantata.sim.settings import rebase
from cantata.sonata.config import OUTPUT_OFF
from cantata.sonata.reports import partial_path

if TYPE_CHECKING:
    from cantata.sim.simulation import Simulation

__all__ = ["PopulationEngine"]

COARSE_DT = 0.01  # s; a larger run.dt is almost surely meant in ms


class PopulationEngine(Engine):
    """The popnet engine; see docs/engines/popnet.md."""

    name = "popnet"

    def __init__(self, sim: Simulation) -> None:
        super().__init__(sim)
        self.dt = float(sim.settings.dt)                 # s (BMTK PopNet's reading of run.dt)
        self.tstop = float(sim.settings.tstop) / 1000.0  # s
        self.n_steps = max(1, math.ceil(self.tstop / self.dt - 1e-9))
        self.network: PopulationNetwork | None = None
        self.solver: DensityNetwork | None = None
        self.rates_file: Path | None = None
        self.files: list[Path] = []
        self._finished = False

    # -- building ---------------------------------------------------------------------------
    def build(self) -> None:
        if self.dt > COARSE_DT:
            log.warning("run.dt is read in seconds by the popnet engine (as BMTK PopNet does): %g s steps are "
                        "coarse; for 0.1 ms steps write 0.0001", self.dt)
        log.info("PopNet: %d steps of %g s (run.dt is in seconds for PopNet) to %g s", self.n_steps, self.dt,
                 self.n_steps * self.dt)
        self.rates_file = self._rates_path()
        if self.rates_file is not None:
            check_outputs(self.sim.outputs, [self.rates_file], config_file=self.sim.config.path)
        self.network = read_network(self.sim)
        internal = self.network.internal
        if not internal:
            raise SimulationError("the network has no dipde:Internal population to simulate",
                                  file=self.sim.config.path, key="networks.nodes",
                                  expected="nodes with model_template dipde:Internal", found="none")
        keys = [self.network.groups[i].node_type_id for i in internal]
        if len(set(keys)) != len(keys):
            raise SimulationError("two internal populations share a node_type_id; the rates file names "
                                  "populations by node_type_id", file=self.sim.config.path, key="node_type_id",
                                  found=[self.network.groups[i].label for i in internal])
        log.info("Built %d internal and %d external populations, %d connections", len(internal),
                 len(self.network.groups) - len(internal), len(self.network.connections))

    def _rates_path(self) -> Path | None:
        value = self.sim.config.output.get("rates_file")
        if value is None or value is False or (isinstance(value, str) and value.strip().lower() in OUTPUT_OFF):
            return None
        if not isinstance(value, str):
            raise SimulationError("must be a file name", file=self.sim.config.path, key="output.rates_file",
                                  found=value)
        return rebase(self.sim.config.output_path("rates_file"), self.sim.config.output_dir,
                      self.sim.outputs.output_dir)

    # -- inputs -----------------------------------------------------------------------------
    def _external_groups(self, population: str, node_ids: np.ndarray, where: str) -> list[int]:
        assert self.network is not None
        if not self.network.has_population(population):
            raise SimulationError("unknown node population", file=self.sim.config.path, key=where, found=population)
        groups = np.unique(self.network.group_index(population, np.asarray(node_ids, dtype=np.int64)))
        internal = [self.network.groups[g].label for g in groups.tolist() if self.network.groups[g].internal]
        if internal:
            raise SimulationError("rate inputs drive external populations, not internal ones",
                                  file=self.sim.config.path, key=where,
                                  expected="a node set of dipde:External or virtual nodes", found=internal)
        return groups.tolist()

    def set_external_rates(self, population: str, node_ids: np.ndarray, rates: Mapping[int, PiecewiseRate],
                           *, where: str, source: object = None) -> None:
        """Give the external populations of ``node_ids`` their rates, keyed by node_type_id."""
        assert self.network is not None
        for g in self._external_groups(population, node_ids, where):
            group = self.network.groups[g]
            if group.node_type_id not in rates:
                raise SimulationError("the rates file has no rate for an external population of the node set",
                                      file=source, key=where, expected=f"a row with gid {group.node_type_id}",
                                      found=f"gids {sorted(rates)}")
            group.rate, group.rate_source = rates[group.node_type_id], where

    def add_spike_trains(self, population: str, node_ids: np.ndarray, timestamps: np.ndarray,
                         *, where: str) -> None:
        """Spike inputs set an external population's rate to its mean over the run: spikes of
        its nodes / (number of its nodes x tstop), as BMTK PopNet reduces spike trains to one rate."""
        assert self.network is not None
        pop = self.sim.circuit.nodes[population]
        ids = np.asarray(node_ids, dtype=np.int64)
        counted = self.network.group_index(population, ids) if ids.size else np.zeros(0, dtype=np.int64)
        everyone = self.network.group_index(population, np.asarray(pop.node_ids(), dtype=np.int64))
        for g in self._external_groups(population, ids, where) if ids.size else []:
            group = self.network.groups[g]
            rate = np.count_nonzero(counted == g) / (np.count_nonzero(everyone == g) * self.tstop)
            group.rate, group.rate_source = PiecewiseRate.constant(rate), where
            log.info("%s: %s gets a constant rate of %.4g Hz from its spikes", where, group.label, rate)

    # -- running ----------------------------------------------------------------------------
    def prepare(self) -> None:
        assert self.network is not None
        externals = {}
        used = {c.source for c in self.network.connections}
        for i, group in enumerate(self.network.groups):
            if group.internal:
                continue
            if group.rate is None:
                if i not in used:
                    continue
                raise SimulationError("an external population has no firing rate", file=self.sim.config.path,
                                      key=group.label,
                                      expected="an inputs block (pop_rates csv or spikes) for its nodes, or a "
                                               "firing_rate attribute", found=None)
            externals[i] = group.rate
        internals = []
        for i in self.network.internal:
            group = self.network.groups[i]
            assert group.params is not None
            internals.append(InternalPopulation(key=i, grid=group.params.grid, tau_m=group.params.tau_m,
                                                initial_rate=group.params.initial_rate, tol=group.params.tol))
        self.solver = DensityNetwork(internals, externals, self.network.connections, self.dt, self.n_steps)

    def advance(self, until: float, progress: Progress) -> None:
        assert self.solver is not None
        last = until >= self.sim.settings.tstop - 1e-9
        target = self.n_steps if last else min(int(math.floor(until / 1000.0 / self.dt + 1e-9)), self.n_steps)
        self.solver.advance(target)
        if self.solver.step >= self.n_steps:
            self._finished = True
        progress(until)

    def record_spikes(self, populations: Mapping[str, np.ndarray] | None) -> None:
        """Populations have rates, not spikes: nothing to record."""

    def collect_spikes(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return {}

    def written_files(self) -> list[Path]:
        return list(self.files)

    def population_rates(self) -> tuple[list[int], np.ndarray, np.ndarray]:
        """(node_type_id of each internal population, times in s, rates [times, populations] in Hz)."""
        assert self.network is not None and self.solver is not None
        keys = [self.network.groups[p.key].node_type_id for p in self.solver.internals]
        return keys, self.solver.times, self.solver.rates[: self.solver.step + 1]

    def finalize(self) -> None:
        """Write the rates file (complete, or ``.partial`` after an error). Safe to call twice."""
        if self.solver is None or self.network is None or self.rates_file is None or self.files:
            return
        if not self._finished and self.solver.step == 0:
            return
        keys, times, rates = self.population_rates()
        recorded = [j for j, p in enumerate(self.solver.internals) if _records(self.network.groups[p.key])]
        path = self.rates_file if self._finished else partial_path(self.rates_file)
        self.files.append(write_rates_file(path, [keys[j] for j in recorded], times, rates[:, recorded]))
        log.info("Wrote %s", path)


def _records(group: Group) -> bool:
    return group.params is None or group.params.record
