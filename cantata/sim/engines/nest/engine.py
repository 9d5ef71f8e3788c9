"""``NestEngine``: builds a SONATA network in NEST and runs it block by block.

NEST has one kernel per process: building a second simulation resets the first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from cantata.errors import SimulationError
from cantata.sim.engine import CurrentSteps, Engine, ProbeRequest, Progress
from cantata.sim.engines.nest.cells import PopulationCells, build_population
from cantata.sim.engines.nest.kernel import reset_kernel
from cantata.sim.engines.nest.recording import (
    MultimeterProbe,
    NestIdMap,
    SpikeRecording,
)
from cantata.sim.engines.nest.synapses import connect_population
from cantata.sim.runlog import log

if TYPE_CHECKING:
    from types import ModuleType

    from cantata.sim.simulation import Simulation

__all__ = ["NestEngine"]

_GRID_TOLERANCE = 1e-6  # in time steps
_PROGRESS_CHUNKS = 50   # at most this many nest.Run calls per run, for the progress line


class NestEngine(Engine):
    """The NEST engine; see docs/engines/nest.md."""

    name = "nest"
    current_units = "pA"

    def __init__(self, sim: Simulation) -> None:
        super().__init__(sim)
        self.nest: ModuleType | None = None
        self.cells: dict[str, PopulationCells] = {}
        self.id_map: NestIdMap | None = None
        self.n_connections = 0
        self._spike_inputs: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        self._recorder: SpikeRecording | None = None
        self._probes: list[MultimeterProbe] = []
        self._step = 0
        self._flushed = False

    # -- building ---------------------------------------------------------------------------
    def build(self) -> None:
        run = self.sim.settings
        self.nest = reset_kernel(dt=run.dt, threads=run.threads, seed=run.random_seed,
                                 quiet=self.sim.outputs.log.quiet_simulator)
        nest = self.nest
        unused = [f"conditions.{k}" for k in ("v_init", "celsius") if k in self.sim.config.conditions]
        if run.spike_threshold is not None:
            unused.append("run.spike_threshold")
        if unused:
            log.info("Not used by NEST point neurons (as in BMTK's PointNet): %s", ", ".join(unused))
        for name, pop in self.sim.circuit.nodes.items():
            cells = build_population(nest, self.sim, pop)
            self.cells[name] = cells
            log.info("Created %d nodes of population %s (%d virtual)", cells.node_ids.size, name,
                     int(cells.virtual.sum()))
        self.id_map = NestIdMap({n: (c.nest_ids, c.node_ids) for n, c in self.cells.items()})
        frames: dict[str, Any] = {}
        for name, pop in self.sim.circuit.edges.items():
            count = connect_population(nest, self.sim, pop, self.cells, frames)
            self.n_connections += count
            log.info("Connected %d edges of population %s (%s -> %s)", count, name, pop.source, pop.target)

    def nest_ids(self, population: str, node_ids: Any = None) -> np.ndarray:
        """NEST node ids of a population's nodes (all when ``node_ids`` is None)."""
        cells = self._population(population, "nest_ids")
        if node_ids is None:
            return cells.nest_ids.copy()
        return cells.nest_of(np.atleast_1d(np.asarray(node_ids)), where=f"population {population!r}")

    def node_collection(self, population: str, node_ids: Any = None) -> Any:
        """A ``nest.NodeCollection`` of a population's nodes, for inspection in notebooks."""
        assert self.nest is not None
        return self.nest.NodeCollection(np.unique(self.nest_ids(population, node_ids)).tolist())

    def _population(self, population: str, where: str) -> PopulationCells:
        if population not in self.cells:
            raise SimulationError(f"population {population!r} is not in the network", key=where,
                                  expected=f"one of {sorted(self.cells)}", found=population)
        return self.cells[population]

    # -- inputs -----------------------------------------------------------------------------
    def add_spike_trains(self, population: str, node_ids: np.ndarray, timestamps: np.ndarray,
                         *, where: str) -> None:
        cells = self._population(population, where)
        pos = cells.positions(node_ids, where=where)
        not_virtual = ~cells.virtual[pos]
        if not_virtual.any():
            raise SimulationError(
                f"spike inputs drive virtual nodes only, but population {population!r} has neurons among them",
                file=self.sim.config.path, key=where, expected="a node set of virtual nodes",
                found=f"node ids {np.unique(node_ids[not_virtual])[:10].tolist()}",
            )
        run = self.sim.settings
        steps = np.asarray(timestamps, dtype=np.float64) / run.dt
        grid = np.rint(steps)
        off = np.abs(steps - grid) > _GRID_TOLERANCE
        if off.any():
            if not run.allow_offgrid_spikes:
                first = int(np.flatnonzero(off)[0])
                raise SimulationError(
                    "input spike times are finer than the time step dt", file=self.sim.config.path, key=where,
                    expected=f"multiples of dt = {run.dt} ms (or set run.allow_offgrid_spikes to true to deliver "
                             "each spike at the end of its time step)",
                    found=f"{int(off.sum())} of {off.size} spikes, e.g. node {int(node_ids[first])} at "
                          f"{float(timestamps[first])!r} ms",
                )
            grid = np.where(off, np.ceil(steps - _GRID_TOLERANCE), grid)
        if (grid < 1).any():
            first = int(np.flatnonzero(grid < 1)[0])
            raise SimulationError("NEST cannot deliver an input spike at time 0", file=self.sim.config.path, key=where,
                                  expected="spike times > 0",
                                  found=f"node {int(node_ids[first])} at {float(timestamps[first])!r} ms")
        keep = grid <= run.n_steps
        self._spike_inputs.setdefault(population, []).append((pos[keep], grid[keep].astype(np.int64)))

    def _apply_spike_inputs(self) -> None:
        assert self.nest is not None
        dt = self.sim.settings.dt
        for population, chunks in self._spike_inputs.items():
            cells = self.cells[population]
            pos = np.concatenate([c[0] for c in chunks])
            steps = np.concatenate([c[1] for c in chunks])
            nest_ids = cells.nest_ids[pos]
            order = np.lexsort((steps, nest_ids))
            nest_ids, steps = nest_ids[order], steps[order]
            targets, starts = np.unique(nest_ids, return_index=True)
            trains = np.split(steps * dt, starts[1:])
            if targets.size:
                self.nest.NodeCollection(targets.tolist()).set([{"spike_times": t} for t in trains])
            log.info("Population %s: %d input spikes on %d virtual nodes", population, steps.size, targets.size)
        self._spike_inputs.clear()

    def add_current_clamp(self, population: str, node_ids: np.ndarray, steps: CurrentSteps,
                          *, where: str, options: Mapping[str, Any]) -> None:
        assert self.nest is not None
        cells = self._population(population, where)
        pos = cells.positions(node_ids, where=where)
        if cells.virtual[pos].any():
            raise SimulationError("current clamps need neurons, not virtual nodes", file=self.sim.config.path,
                                  key=where, found=f"node ids {np.unique(node_ids[cells.virtual[pos]])[:10].tolist()}")
        dt = self.sim.settings.dt
        times, amps = steps.breakpoints()
        ratio = times / dt
        if (np.abs(ratio - np.rint(ratio)) > _GRID_TOLERANCE).any():
            raise SimulationError("current clamp delay and duration must be multiples of dt",
                                  file=self.sim.config.path, key=where, expected=f"multiples of {dt} ms",
                                  found={"times": times.tolist()})
        times = np.rint(ratio) * dt
        if (times <= 0).any():
            log.warning("%s: NEST cannot change a current at time 0; the clamp starts at t = dt = %g ms", where, dt)
            times = np.maximum(times, dt)
            last = np.append(np.flatnonzero(np.diff(times) > 0), times.size - 1)
            times, amps = times[last], amps[last]
        generator = self.nest.Create("step_current_generator", params={
            "amplitude_times": times.tolist(), "amplitude_values": amps.tolist()})
        targets = self.nest.NodeCollection(np.unique(cells.nest_ids[pos]).tolist())
        self.nest.Connect(generator, targets, syn_spec={"delay": dt})

    # -- recording --------------------------------------------------------------------------
    def record_spikes(self, populations: Mapping[str, np.ndarray] | None) -> None:
        assert self.nest is not None and self.id_map is not None
        if populations is None:
            ids = [c.nest_ids[~c.virtual] for c in self.cells.values()]
        else:
            ids = [self._population(p, "spikes").nest_of(v, where=f"population {p!r}") for p, v in populations.items()]
        nest_ids = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
        self._recorder = SpikeRecording(self.nest, nest_ids, self.id_map, self.sim.settings.tstop)

    def collect_spikes(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return {} if self._recorder is None else self._recorder.collect()

    def add_probe(self, request: ProbeRequest, *, where: str) -> MultimeterProbe:
        assert self.nest is not None
        if request.sections not in ("soma", "all"):
            raise SimulationError("point neurons have only a soma", key=f"{where.rsplit('.', 1)[0]}.sections",
                                  expected="soma", found=request.sections)
        nest_ids = {}
        for population, ids in request.nodes.items():
            cells = self._population(population, where)
            pos = cells.positions(ids, where=where)
            if cells.virtual[pos].any():
                raise SimulationError(f"cannot record {request.variable!r} from virtual nodes",
                                      file=self.sim.config.path, key=where,
                                      found=f"population {population!r}, node ids "
                                            f"{np.asarray(ids)[cells.virtual[pos]][:10].tolist()}")
            for model in np.unique(cells.models[pos]).tolist():
                recordables = [str(r) for r in self.nest.GetDefaults(model).get("recordables", [])]
                if request.variable not in recordables:
                    types = np.unique(cells.type_ids[pos][cells.models[pos] == model]).tolist()
                    raise SimulationError(
                        f"NEST model {model} cannot record {request.variable!r}", file=self.sim.config.path,
                        key=where, expected=f"one of {recordables}",
                        found=f"{request.variable!r} (population {population!r}, node_type_id {types})")
            nest_ids[population] = cells.nest_ids[pos]
        probe = MultimeterProbe(self.nest, request.variable, request.nodes, nest_ids, start=request.start,
                                stop=request.stop, interval=request.dt, dt=self.sim.settings.dt)
        self._probes.append(probe)
        return probe

    # -- running ----------------------------------------------------------------------------
    def prepare(self) -> None:
        self._apply_spike_inputs()

    def advance(self, until: float, progress: Progress) -> None:
        assert self.nest is not None
        nest = self.nest
        run = self.sim.settings
        target = round(until / run.dt)
        chunk = max(1, min(run.nsteps_block, math.ceil(run.n_steps / _PROGRESS_CHUNKS)))
        if target > self._step:
            with nest.RunManager():
                while self._step < target:
                    n = min(chunk, target - self._step)
                    nest.Run(round(n * run.dt, 12))
                    self._step += n
                    progress(self._step * run.dt)
        if target >= run.n_steps and self._probes and not self._flushed:
            # NEST hands recorded samples over one min_delay late: run on a little so the
            # last samples before tstop reach the multimeters (spikes after tstop are dropped)
            extra = max(1, math.ceil(float(nest.GetKernelStatus("min_delay")) / run.dt - 1e-9))
            nest.Simulate(round(extra * run.dt, 12))
            self._flushed = True

    def finalize(self) -> None:
        self._probes = []
