"""Spontaneous synaptic activity: the synapses of chosen recurrent edges fire at given times.

BMTK's ``{"input_type": "syn_activity"}`` block. Keys:

* ``precell_filter``: which source nodes' synapses fire; a node-set object (``{"pop_name":
  "Scnn1a"}``, ``{"population": "cortex", "ei": ["e", "i"]}``: a list matches any of its
  values) or a node-set name;
* ``postcell_filter`` (default ``{}``: every cell): which target cells;
* ``timestamps``: a time or a list of times (ms).

What it does, as BMTK's BioNet: every synapse (NetCon) of an edge between two simulated nodes
(a non-virtual source) onto a cell of this run is rewired.

* Edge matches both filters: the synapse no longer hears its source cell; it is activated at
  each timestamp, after the edge's ``delay``, with the edge's weight.
* Any other such edge: its weight becomes 0 (the source's spikes still arrive, with no effect).

Edges from virtual nodes (spike inputs) and replayed edges are untouched. Only one
``syn_activity`` block per simulation (as in BMTK).
"""

from __future__ import annotations

import math
import weakref
from typing import TYPE_CHECKING, Any

import numpy as np

from cantata.sim.engines.neuron import cells as cellmod
from cantata.sim.engines.neuron.hoc import hoc
from cantata.sim.engines.neuron.input_support import network_of, reserve_gids
from cantata.sim.modules import InputModule
from cantata.sim.registry import input_module
from cantata.sim.runlog import log

if TYPE_CHECKING:
    from cantata.sim.engines.neuron.network import NeuronNetwork
    from cantata.sim.simulation import Simulation

__all__ = ["SpontaneousSynapses"]

_KEYS = frozenset({"input_type", "module", "enabled", "precell_filter", "postcell_filter", "timestamps",
                   "node_set"})
_APPLIED: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


@input_module("syn_activity", None, engine="neuron")
class SpontaneousSynapses(InputModule):
    """Synapses of recurrent edges from ``precell_filter`` onto ``postcell_filter`` fire at
    ``timestamps``; the other recurrent edges are silenced."""

    def __init__(self, name: str, params: dict[str, Any], *, config_file: Any = None) -> None:
        super().__init__(name, params, config_file=config_file)
        self.pre = self.param("precell_filter", expected='a node-set object, e.g. {"pop_name": "Scnn1a"}')
        self.post = params.get("postcell_filter", {})
        for key, value in (("precell_filter", self.pre), ("postcell_filter", self.post)):
            if not isinstance(value, (dict, str)):
                raise self.error("must be a node-set object or a node-set name", key,
                                 expected='e.g. {"pop_name": "Scnn1a"}', found=value)
        self.timestamps = self._timestamps()
        unknown = sorted(set(params) - _KEYS)
        if unknown:
            log.warning("%s: ignoring unknown key(s) %s", self.where(), ", ".join(unknown))
        self.counts = (0, 0)
        self._objects: list[Any] = []

    def _timestamps(self) -> np.ndarray:
        raw = self.param("timestamps", expected="a time or a list of times (ms)")
        values = raw if isinstance(raw, list) else [raw]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0
                   for v in values):
            raise self.error("must be a time or a list of times >= 0 (ms)", "timestamps", found=raw)
        return np.sort(np.asarray(values, dtype=np.float64))

    def setup(self, sim: Simulation) -> None:
        network = network_of(sim, self.where())
        earlier = _APPLIED.get(network)
        if earlier is not None:
            raise self.error(f"only one syn_activity input per simulation; {earlier} is one already", None)
        _APPLIED[network] = self.where()
        pre = _gids(network, sim.resolve_nodes(self.pre, where=self.where("precell_filter")))
        post = _gids(network, sim.resolve_nodes(self.post, where=self.where("postcell_filter")))
        source = reserve_gids(network, 1)
        netcons, sources, targets = recurrent_netcons(network)
        match = np.isin(sources, pre) & np.isin(targets, post)
        pc = network.pc
        for nc, fires in zip(netcons, match.tolist(), strict=True):
            slots = range(int(nc.wcnt()))  # the edge's weight may sit in another slot than 0
            if fires:
                spont = pc.gid_connect(source, nc.syn())
                for k in slots:
                    spont.weight[k] = nc.weight[k]
                spont.delay = nc.delay
                nc.active(False)
                self._objects.append(spont)
            else:
                for k in slots:
                    nc.weight[k] = 0.0
        if match.any():
            network.play_spikes(np.full(self.timestamps.size, source), self.timestamps)
        self.counts = (int(match.sum()), int((~match).sum()))
        log.info("%s: %d synapses fire at %d times, %d recurrent synapses silenced (rank %d)", self.where(),
                 self.counts[0], self.timestamps.size, self.counts[1], network.rank)


def _gids(network: NeuronNetwork, selection: dict[str, np.ndarray]) -> np.ndarray:
    parts = [network.gids(p, ids) for p, ids in selection.items()]
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def recurrent_netcons(network: NeuronNetwork) -> tuple[list[Any], np.ndarray, np.ndarray]:
    """The NetCons onto this rank's cells whose source is a non-virtual node: the NetCons, their
    source gids and their target cells' gids."""
    owner: dict[Any, int] = {}
    for gid, cell in network.cells.items():
        if isinstance(cell, cellmod.BiophysicalCell):
            for syn, _sid, _x in cell.synapses:
                owner[syn] = gid
        target = cell.synapse_target()  # artificial cells (also inside a section)
        if target is not None:
            owner[target] = gid
    n_nodes = sum(int(pop.size) for pop in network.circuit.nodes.values())
    virtual = _gids(network, network.virtual_ids)
    found, sources, targets = [], [], []
    for nc in hoc().List("NetCon"):
        src = int(nc.srcgid())
        if not 0 <= src < n_nodes:
            continue
        target = nc.syn()
        gid = owner.get(target) if target is not None else None
        if gid is not None:
            found.append(nc)
            sources.append(src)
            targets.append(gid)
    src_arr = np.asarray(sources, dtype=np.int64)
    real = ~np.isin(src_arr, virtual)
    return ([nc for nc, r in zip(found, real.tolist(), strict=True) if r], src_arr[real],
            np.asarray(targets, dtype=np.int64)[real])
