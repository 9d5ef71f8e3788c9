"""The NEURON engine: multi-compartment cells, NEURON artificial cells and virtual cells.

Plugs into :class:`cantata.sim.Simulation` through the :class:`cantata.sim.engine.Engine`
protocol. Under ``mpirun -n N`` each rank builds its share of the cells (round-robin) and the
synapses onto them; spikes and report frames are gathered on rank 0, the only rank whose
results are returned (:attr:`NeuronEngine.is_output_rank`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cantata.errors import ConfigError, SimulationError
from cantata.sim.engine import CurrentSteps, Engine, Probe, ProbeRequest, Progress
from cantata.sim.engines.neuron import clamps
from cantata.sim.engines.neuron.ecp import ExtracellularRecorder
from cantata.sim.engines.neuron.hoc import abort_ranks, hoc, parallel_context
from cantata.sim.engines.neuron.mechanisms import load_mechanisms_dir
from cantata.sim.engines.neuron.network import NetworkSettings, NeuronNetwork
from cantata.sim.engines.neuron.recording import (
    NeuronProbe,
    SpikeRecorder,
    gather,
    synapse_columns,
)
from cantata.sim.engines.neuron.synapse_file import write_synapse_file

log = logging.getLogger("cantata")

DEFAULTS = {"dL": 20.0, "spike_threshold": -15.0, "celsius": 34.0, "v_init": -80.0}
_PROGRESS_MS = 100.0  # simulated time between progress callbacks


class NeuronEngine(Engine):
    """Runs a SONATA network on NEURON (BMTK's BioNet role)."""

    name = "neuron"
    current_units = "nA"

    def __init__(self, sim: Any) -> None:
        super().__init__(sim)
        self.network: NeuronNetwork | None = None
        self.spikes: SpikeRecorder | None = None
        self.probes: list[NeuronProbe] = []
        self.recorders: list[ExtracellularRecorder] = []
        self._objects: list[Any] = []  # clamps and vectors kept alive
        self._v_init_handler: Any = None
        self.celsius = DEFAULTS["celsius"]
        self.v_init = DEFAULTS["v_init"]

    # ------------------------------------------------------------------------- lifecycle
    @property
    def is_output_rank(self) -> bool:
        """True on the rank that receives gathered spikes and frames (rank 0)."""
        return int(parallel_context().id()) == 0

    def build(self) -> None:
        config = self.sim.config
        h = hoc()
        pc = parallel_context()
        pc.gid_clear()
        components = {k: Path(v) for k, v in config.components.items() if isinstance(v, str)}
        load_mechanisms_dir(components.get("mechanisms_dir"))
        settings = NetworkSettings(
            dL=self._run_number("dL", DEFAULTS["dL"], positive=True),
            spike_threshold=self.sim.settings.spike_threshold
            if self.sim.settings.spike_threshold is not None else DEFAULTS["spike_threshold"],
            seed=self.sim.settings.random_seed or 0,
            components=components,
        )
        selection = None
        if config.get("node_set") is not None:
            selection = self.sim.resolve_nodes(config["node_set"], where="node_set")
        h.dt = self.sim.settings.dt
        h.tstop = self.sim.settings.tstop
        self.network = NeuronNetwork(self.sim.circuit, settings, self._json, selection)
        self.network.build_cells()
        self.network.connect()
        self._conditions()
        local = len(self.network.cells)
        log.info("NEURON rank %d/%d: %d cells, %d connections", self.network.rank,
                 self.network.size, local, self.network.n_connections)

    def _json(self, reference: str, components_key: str, where: str) -> dict[str, Any]:
        return self.sim.component_json(reference, components_key, where=where)

    def _run_number(self, key: str, default: float, positive: bool = False) -> float:
        value = self.sim.config.run.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                not math.isfinite(value) or (positive and value <= 0):
            raise ConfigError("must be a positive number" if positive else "must be a number",
                              file=self.sim.config.path, key=f"run.{key}", found=value)
        return float(value)

    def _conditions(self) -> None:
        """``celsius``: config ``conditions``, else the value all cells' fit files agree on,
        else 34. ``v_init``: a node's own attribute, else the config, else the cell's fit file,
        else -80."""
        assert self.network is not None
        given = self.sim.config.conditions
        for key in ("celsius", "v_init"):
            value = given.get(key)
            if key in given and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise ConfigError("must be a number", file=self.sim.config.path, key=f"conditions.{key}",
                                  found=value)
        self.v_init = float(given.get("v_init", DEFAULTS["v_init"]))
        if "celsius" in given:
            self.celsius = float(given["celsius"])
        else:
            local = sorted(self.network.conditions().get("celsius", set()))
            parts = parallel_context().py_allgather(local) if self.network.size > 1 else [local]
            found = sorted({v for part in parts for v in part})
            if len(found) > 1:
                raise SimulationError("the cells' fit files ask for different temperatures; set "
                                      "conditions.celsius", file=self.sim.config.path,
                                      key="conditions.celsius", found=found)
            self.celsius = found[0] if found else DEFAULTS["celsius"]
        if "v_init" not in given:
            for cell in self.network.cells.values():
                own = getattr(cell, "extra", {}).get("conditions", {}).get("v_init")
                if own is not None and getattr(cell, "v_init", None) is None:
                    cell.v_init = float(own)

    def prepare(self) -> None:
        assert self.network is not None
        h = hoc()
        pc = parallel_context()
        self.network.start_pattern()
        h.celsius = self.celsius
        self._per_cell_v_init()
        pc.set_maxstep(10)
        h.finitialize(self.v_init)
        for recorder in self.recorders:
            recorder.start()

    def _per_cell_v_init(self) -> None:
        """Nodes with their own ``v_init`` attribute start there (set before INITIAL blocks)."""
        assert self.network is not None
        starts = [(c, v) for c in self.network.cells.values()
                  if (v := getattr(c, "v_init", None)) is not None]
        if not starts:
            return

        def set_v() -> None:
            for cell, v in starts:
                for sec in cell.sections:
                    for seg in sec:
                        seg.v = v

        self._v_init_handler = hoc().FInitializeHandler(0, set_v)

    def advance(self, until: float, progress: Progress) -> None:
        h = hoc()
        pc = parallel_context()
        half_step = 0.5 * h.dt  # psolve stops within half a step of its target
        while h.t < until - half_step:
            pc.psolve(min(until, h.t + _PROGRESS_MS))
            progress(float(h.t))
        for probe in [*self.probes, *self.recorders]:
            probe.advance_to(until)

    def finalize(self) -> None:
        if getattr(self.sim, "_state", None) == "failed":
            abort_ranks()  # MPI only: the other ranks cannot finish without this one

    # ---------------------------------------------------------------------------- inputs
    def _local_cells(self, population: str, node_ids: np.ndarray) -> list[Any]:
        assert self.network is not None
        if population not in self.network.offsets:
            raise SimulationError("unknown node population", key=population)
        mine = np.intersect1d(np.asarray(node_ids, dtype=np.int64),
                              self.network.local_ids.get(population, np.zeros(0, np.int64)))
        gids = self.network.gids(population, mine)
        return [self.network.cells[g] for g in gids.tolist()]

    def add_spike_trains(self, population: str, node_ids: np.ndarray, timestamps: np.ndarray,
                         *, where: str) -> None:
        assert self.network is not None
        node_ids = np.asarray(node_ids, dtype=np.int64)
        virtual = self.network.virtual_ids.get(population, np.zeros(0, np.int64))
        real = ~np.isin(node_ids, virtual)
        if real.any():
            raise SimulationError(
                f"spike inputs drive virtual nodes only; population {population!r} node "
                f"{int(node_ids[real][0])} is not virtual", key=where,
                expected="a node set of virtual nodes", found=f"{int(real.sum())} spikes")
        self.network.play_spikes(self.network.gids(population, node_ids), timestamps)

    def add_current_clamp(self, population: str, node_ids: np.ndarray, steps: CurrentSteps,
                          *, where: str, options: Mapping[str, Any]) -> None:
        for cell in self._clamp_targets(population, node_ids):
            site = clamps.electrode_site(cell, options, where)
            self._objects.extend(clamps.current_steps(site, steps.amp, steps.delay,
                                                      steps.duration))

    def add_current_waveform(self, population: str, node_ids: np.ndarray, times: np.ndarray,
                             amps: np.ndarray, *, where: str, options: Mapping[str, Any]) -> None:
        """Inject a current following ``amps`` (nA) at ``times`` (ms), interpolated."""
        for cell in self._clamp_targets(population, node_ids):
            site = clamps.electrode_site(cell, options, where)
            self._objects.extend(clamps.current_waveform(site, times, amps))

    def add_voltage_clamp(self, population: str, node_ids: np.ndarray, amps: list[float],
                          durations: list[float], rs: float | None, *, where: str,
                          options: Mapping[str, Any]) -> None:
        """Hold the membrane at ``amps`` (mV) for ``durations`` (ms) with an SEClamp."""
        for cell in self._clamp_targets(population, node_ids):
            site = clamps.electrode_site(cell, options, where)
            self._objects.extend(clamps.voltage_steps(site, amps, durations, rs))

    def _clamp_targets(self, population: str, node_ids: np.ndarray) -> list[Any]:
        assert self.network is not None
        virtual = self.network.virtual_ids.get(population, np.zeros(0, np.int64))
        return self._local_cells(population, np.setdiff1d(node_ids, virtual))

    # --------------------------------------------------------------------------- outputs
    def record_spikes(self, populations: Mapping[str, np.ndarray] | None) -> None:
        assert self.network is not None
        if self.spikes is None:
            self.spikes = SpikeRecorder(self.network)
        self.spikes.wanted = None if populations is None else dict(populations)

    def collect_spikes(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        if self.spikes is None:
            raise self.unsupported("collecting spikes before record_spikes")
        return self.spikes.take()

    def add_probe(self, request: ProbeRequest, *, where: str) -> Probe:
        assert self.network is not None
        columns = None
        if request.options.get("probe") == "synapses":
            syn_type = request.options.get("syn_type")
            columns = synapse_columns(request.variable, None if syn_type is None else str(syn_type), where)
        probe = NeuronProbe(self.network, request, dt=self.sim.settings.dt, where=where,
                            columns=columns)
        self.probes.append(probe)
        return probe

    def add_extracellular(self, path: Path, electrodes: np.ndarray, channels: np.ndarray,
                          nodes: Mapping[str, np.ndarray] | None, *, sigma: float,
                          minimum_distance: float | str | None, where: str,
                          contributions_dir: Path | None = None,
                          overwrite: bool = True) -> ExtracellularRecorder:
        """Record the extracellular potential at ``electrodes`` [C, 3] (um) into ``path``
        (and each cell's own part into ``contributions_dir/<gid>.h5``)."""
        assert self.network is not None
        recorder = ExtracellularRecorder(
            self.network, path, electrodes, channels, nodes, sigma=sigma,
            minimum_distance=minimum_distance, dt=self.sim.settings.dt,
            tstart=self.sim.settings.tstart, tstop=self.sim.settings.tstop,
            output=self.is_output_rank, contributions_dir=contributions_dir,
            overwrite=overwrite, where=where)
        self.recorders.append(recorder)
        return recorder

    def synapse_table(self) -> pd.DataFrame | None:
        """Every synapse of every rank (on rank 0; None elsewhere): edge, section, weight."""
        assert self.network is not None
        parts = gather(parallel_context(), self.network.synapse_table())
        if parts is None:
            return None
        return pd.concat(parts, ignore_index=True)

    def write_synapses(self, path: Path) -> Path | None:
        """Write the placed synapses as a SONATA edge file (rank 0); return its path."""
        table = self.synapse_table()
        if table is None or not self.is_output_rank:
            return None
        return write_synapse_file(path, table, self.sim.circuit)
