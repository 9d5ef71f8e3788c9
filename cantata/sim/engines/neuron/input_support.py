"""What the NEURON-only input modules share: the engine's network, this rank's cells of a node
selection, and spare gids for event sources that are not nodes.

Event sources that are not cells (replayed spike trains, spontaneous synaptic events) get gids
above every node's gid; their events are played by the network's ``PatternStim`` into the
NetCons that ``ParallelContext.gid_connect`` made from those gids, like virtual nodes.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from cantata.errors import SimulationError
from cantata.sim.engines.neuron import cells as cellmod

if TYPE_CHECKING:
    from cantata.sim.engines.neuron.network import NeuronNetwork
    from cantata.sim.simulation import Simulation

_NEXT_FREE: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


def network_of(sim: Simulation, where: str) -> NeuronNetwork:
    """The NEURON network of ``sim`` (built)."""
    network = getattr(sim.engine, "network", None)
    if network is None:  # pragma: no cover - these modules are registered for NEURON only
        raise SimulationError("this input needs the NEURON engine", key=where)
    return network


def local_cells(network: NeuronNetwork, targets: Mapping[str, np.ndarray]) -> list[cellmod.Cell]:
    """This rank's cells among ``targets`` (population -> node ids); virtual nodes have none."""
    found = []
    for population, ids in targets.items():
        mine = np.intersect1d(np.asarray(ids, np.int64), network.local_ids.get(population, np.zeros(0, np.int64)))
        for gid in network.gids(population, mine).tolist():
            cell = network.cells.get(gid)
            if cell is not None:
                found.append(cell)
    return found


def reserve_gids(network: NeuronNetwork, count: int) -> int:
    """First of ``count`` consecutive gids that no node and no earlier reservation uses.

    Every rank makes the same reservations in the same order (inputs are set up in config
    order), so a gid means the same source on all ranks."""
    first = _NEXT_FREE.get(network)
    if first is None:
        first = sum(int(pop.size) for pop in network.circuit.nodes.values())
    _NEXT_FREE[network] = first + int(count)
    return first
