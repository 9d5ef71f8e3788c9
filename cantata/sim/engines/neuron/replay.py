"""Replay recorded spikes through edges that are not part of the simulated network.

BMTK's ``{"input_type": "replay_spikes", "module": "replay"}`` block: rerun a network without
some of its edges (e.g. the recurrent ones, left out of ``networks.edges``) while those edges'
synapses receive the spikes their sources fired in an earlier run. Keys:

* ``spikes_file``: the recorded spikes (SONATA h5, csv or nwb);
* ``edges``: ``{"edges_file": ..., "edge_types_file": ...}`` (or a list of them): the edges to
  rebuild; their populations must connect node populations of the network;
* ``source_node_set``, ``target_node_set`` (default ``"all"``): only edges from a source in the
  first onto a target in the second are rebuilt.

Each such edge gets its synapses exactly as a network edge would (preset or random placement,
weights, delays, synapse models); its NetCon is fed by the source node's spikes in
``spikes_file``, not by the source cell of this run (which may not even be simulated). Spikes of
a file population go to the source population of the same name; a file with a single
population feeds whichever source population the edges name.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cantata.errors import FormatError, SimulationError
from cantata.sim.engines.neuron.gap_junctions import chemical_edges
from cantata.sim.engines.neuron.input_support import network_of, reserve_gids
from cantata.sim.engines.neuron.network import SynapseRecord, _EdgeTable
from cantata.sim.modules import InputModule
from cantata.sim.registry import input_module
from cantata.sim.runlog import log
from cantata.sonata.circuit import Circuit
from cantata.sonata.spikes import SpikeTrains

if TYPE_CHECKING:
    from cantata.sim.engines.neuron.network import NeuronNetwork
    from cantata.sim.simulation import Simulation

__all__ = ["ReplayInput"]

_KEYS = frozenset({"input_type", "module", "enabled", "spikes_file", "edges", "source_node_set",
                   "target_node_set", "node_set"})


@input_module("replay_spikes", ["replay"], engine="neuron")
@input_module("replay", ["replay"], engine="neuron")
@input_module("spikes", ["replay"], engine="neuron")
class ReplayInput(InputModule):
    """Rebuild the edges of ``edges`` fed by the recorded spikes of ``spikes_file``."""

    def __init__(self, name: str, params: dict[str, Any], *, config_file: Any = None) -> None:
        super().__init__(name, params, config_file=config_file)
        spikes = self.param("spikes_file", expected="the path of a spike file (h5, csv or nwb)")
        if not isinstance(spikes, str) or not spikes:
            raise self.error("must be a file path", "spikes_file", found=spikes)
        self.spikes_file = Path(spikes)
        self.edge_files = self._edge_files(self.param("edges", expected='{"edges_file": ..., '
                                                      '"edge_types_file": ...}'))
        unknown = sorted(set(params) - _KEYS)
        if unknown:
            log.warning("%s: ignoring unknown key(s) %s", self.where(), ", ".join(unknown))
        self.n_synapses = 0

    def _edge_files(self, value: Any) -> list[tuple[Path, Path | None]]:
        entries = value if isinstance(value, list) else [value]
        found = []
        for i, entry in enumerate(entries):
            key = "edges" if not isinstance(value, list) else f"edges[{i}]"
            if not isinstance(entry, dict) or not isinstance(entry.get("edges_file"), str):
                raise self.error("must name an edges_file (and its edge_types_file)", key,
                                 expected='{"edges_file": ..., "edge_types_file": ...}', found=entry)
            types = entry.get("edge_types_file")
            if types is not None and not isinstance(types, str):
                raise self.error("must be a file path", f"{key}.edge_types_file", found=types)
            found.append((Path(entry["edges_file"]), None if types is None else Path(types)))
        if not found:
            raise self.error("names no edges file", "edges", found=value)
        return found

    def setup(self, sim: Simulation) -> None:
        network = network_of(sim, self.where())
        sources = sim.resolve_nodes(self.params.get("source_node_set", "all"), where=self.where("source_node_set"))
        targets = sim.resolve_nodes(self.params.get("target_node_set", "all"), where=self.where("target_node_set"))
        trains = self._spikes()
        for i, (h5, csv) in enumerate(self.edge_files):
            key = self.where("edges" if len(self.edge_files) == 1 else f"edges[{i}]")
            for path, what in ((h5, "edges_file"), (csv, "edge_types_file")):
                if path is not None and not path.is_file():
                    raise SimulationError(f"replay {what} not found", file=path, key=f"{key}.{what}")
            with Circuit.from_files(edges=[(h5, csv)]) as circuit:
                for edges in circuit.edges.values():
                    self._replay(network, edges, sources, targets, trains)
        log.info("%s: %d replayed synapses on rank %d", self.where(), self.n_synapses, network.rank)

    def _spikes(self) -> SpikeTrains:
        if not self.spikes_file.is_file():
            raise SimulationError("replay spikes file not found", file=self.spikes_file, key=self.where("spikes_file"))
        return SpikeTrains.read(self.spikes_file)

    def _replay(self, network: NeuronNetwork, edges: Any, sources: dict[str, np.ndarray],
                targets: dict[str, np.ndarray], trains: SpikeTrains) -> None:
        for end, population in (("source", edges.source), ("target", edges.target)):
            if population not in network.offsets:
                raise FormatError(f"replay edges' {end} population is not in the network", file=edges.path,
                                  key=f"{edges.h5_path}/{end}_node_id", expected=f"one of {list(network.offsets)}",
                                  found=population)
        if edges.source not in sources or edges.target not in targets:
            return
        local = np.intersect1d(targets[edges.target], network.local_ids.get(edges.target, np.zeros(0, np.int64)))
        edge_ids = chemical_edges(edges, edges.afferent_edges(local)) if local.size else np.zeros(0, np.int64)
        if edge_ids.size:
            edge_ids = edge_ids[np.isin(edges.source_node_ids(edge_ids), sources[edges.source])]
        # every rank reserves the same block, whatever its share of the edges
        first = reserve_gids(network, network.circuit.nodes[edges.source].size)
        if edge_ids.size == 0:
            return
        table = _EdgeTable.read(edges, edge_ids, network)
        self.n_synapses += network.connect_table(edges, table, first + table.source,
                                                 SynapseRecord(f"replay:{edges.name}"))
        used = np.unique(table.source)
        ids, times = trains.population(self._train_population(trains, edges.source))
        keep = np.isin(ids, used)
        ids, times = ids[keep], times[keep]
        if times.size and (~np.isfinite(times) | (times < 0)).any():
            raise SimulationError("spike times must be finite and not negative", file=self.spikes_file,
                                  key=self.where("spikes_file"), found=times[~(times >= 0)][:5].tolist())
        network.play_spikes(first + ids, times)

    def _train_population(self, trains: SpikeTrains, population: str) -> str:
        if population in trains.populations:
            return population
        if len(trains.populations) == 1:
            return trains.populations[0]
        raise SimulationError(f"the spike file has no population {population!r} (the replayed edges' source)",
                              file=self.spikes_file, key=self.where("spikes_file"),
                              expected=f"one of {trains.populations}", found=population)

