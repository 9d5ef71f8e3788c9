"""Plain PyNEST building blocks of the direct-NEST benchmark sides (``nest_*_pynest.py``,
``nest_brunel_native.py``): the floor Cantata's overhead is measured against, so no Cantata here.

The SONATA files are read with h5py and the csv module as a PyNEST user would: a network of
one cell population ``<cells>`` and one virtual population ``<inputs>`` playing
``inputs/<inputs>_spikes.h5``, with the file names of the benchmark networks
(``<cells>_nodes.h5``, ``<inputs>_<cells>_edges.h5``, ``<name>_edge_types.csv``, ...).
Connections are made with one array ``nest.Connect`` per edge type (NEST's ``connect_arrays``).

Import this module inside the timed load phase: it imports numpy and h5py, and
:func:`import_nest` imports NEST.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np


def import_nest() -> Any:
    """The ``nest`` module, imported quietly."""
    os.environ.setdefault("PYNEST_QUIET", "1")
    import nest

    return nest


def types_table(path: Path) -> dict[int, dict[str, str]]:
    """A SONATA types csv as ``{type id: row}``."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter=" "))
    key = next(k for k in rows[0] if k.endswith("_type_id"))
    return {int(r[key]): r for r in rows}


@dataclass
class Edges:
    """One edge population: ids, type ids, ``nsyns`` and its edge-types table."""

    source: np.ndarray
    target: np.ndarray
    type_id: np.ndarray
    nsyns: np.ndarray
    types: dict[int, dict[str, str]]


@dataclass
class Network:
    """What the direct side reads of a benchmark network's files."""

    cell_types: np.ndarray  # node_type_id of every cell
    node_types: dict[int, dict[str, str]]
    params: dict[int, dict[str, Any]]  # NEST parameters by node type
    n_inputs: int
    recurrent: Edges
    input: Edges
    input_ids: np.ndarray
    input_times: np.ndarray

    @property
    def n_edges(self) -> int:
        return int(self.recurrent.source.size + self.input.source.size)


def _edges(net: Path, source: str, target: str) -> Edges:
    name = f"{source}_{target}"
    with h5py.File(net / f"{name}_edges.h5") as f:
        g = f[f"edges/{source}_to_{target}"]
        arrays = (g["source_node_id"][:].astype(np.int64), g["target_node_id"][:].astype(np.int64),
                  g["edge_type_id"][:], g["0/nsyns"][:])
    return Edges(*arrays, types_table(net / f"{name}_edge_types.csv"))


def read_network(work: Path, cells: str, inputs: str) -> Network:
    """Read the network, point-neuron parameters and input spikes of the folder ``work``."""
    net, comps = work / "network", work / "components"
    with h5py.File(net / f"{cells}_nodes.h5") as f:
        cell_types = f[f"nodes/{cells}/node_type_id"][:]
    node_types = types_table(net / f"{cells}_node_types.csv")
    params = {tid: json.loads((comps / "point_neuron_models" / row["dynamics_params"]).read_text())
              for tid, row in node_types.items()}
    with h5py.File(net / f"{inputs}_nodes.h5") as f:
        n_inputs = f[f"nodes/{inputs}/node_type_id"].shape[0]
    recurrent, input_edges = _edges(net, cells, cells), _edges(net, inputs, cells)
    with h5py.File(work / "inputs" / f"{inputs}_spikes.h5") as f:
        input_ids = f[f"spikes/{inputs}/node_ids"][:].astype(np.int64)
        input_times = f[f"spikes/{inputs}/timestamps"][:]
    return Network(cell_types, node_types, params, n_inputs, recurrent, input_edges, input_ids, input_times)


def reset_kernel(nest: Any, threads: int, dt: float = 0.1, seed: int | None = None) -> None:
    """A fresh, quiet NEST kernel with the resolution, thread count and (if given) seed."""
    nest.ResetKernel()
    nest.verbosity = nest.VerbosityLevel.ERROR
    status: dict[str, Any] = {"resolution": dt, "local_num_threads": threads}
    if seed is not None:
        status["rng_seed"] = seed
    nest.SetKernelStatus(status)


def create_cells(nest: Any, network: Network) -> np.ndarray:
    """One ``nest.Create`` per node type; the NEST id of every cell, in node-id order."""
    gids = np.zeros(network.cell_types.size, dtype=np.int64)
    for tid, p in network.params.items():
        rows = np.flatnonzero(network.cell_types == tid)
        model = network.node_types[tid]["model_template"].split(":")[1]
        first = nest.Create(model, rows.size, params=p)[0].global_id
        gids[rows] = np.arange(first, first + rows.size)
    return gids


def create_inputs(nest: Any, network: Network, model: str) -> np.ndarray:
    """One ``model`` device (``spike_generator``, ``spike_train_injector``) per virtual cell,
    playing its spike train; their NEST ids in node-id order."""
    devices = nest.Create(model, network.n_inputs)
    ids, times = network.input_ids, network.input_times
    order = np.lexsort((times, ids))
    trains = np.split(times[order], np.searchsorted(ids[order], np.arange(1, network.n_inputs)))
    devices.set([{"spike_times": train} for train in trains])
    return np.asarray(devices.tolist(), dtype=np.int64)


def connect(nest: Any, edges: Edges, sources: np.ndarray, targets: np.ndarray) -> None:
    """One array ``nest.Connect`` per edge type, in type-id order: weight ``syn_weight`` x
    ``nsyns``, the type's delay."""
    for tid in sorted(edges.types):
        sel = edges.type_id == tid
        row = edges.types[tid]
        nest.Connect(sources[edges.source[sel]], targets[edges.target[sel]], "one_to_one", syn_spec={
            "synapse_model": row["model_template"], "weight": float(row["syn_weight"]) * edges.nsyns[sel],
            "delay": np.full(int(sel.sum()), float(row["delay"]))})  # arrays: NEST's connect_arrays


def instantiate(nest: Any, network: Network, threads: int, input_model: str) -> tuple[np.ndarray, Any]:
    """Kernel, cells, input devices, connections and a spike recorder on every cell:
    ``(cell NEST ids, recorder)``."""
    reset_kernel(nest, threads)
    cells = create_cells(nest, network)
    inputs = create_inputs(nest, network, input_model)
    connect(nest, network.recurrent, cells, cells)
    connect(nest, network.input, inputs, cells)
    recorder = nest.Create("spike_recorder")
    nest.Connect(nest.NodeCollection(cells.tolist()), recorder)
    return cells, recorder


def recorded_spikes(recorder: Any, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(node ids, times)`` of the recorder's events, NEST ids mapped back to node ids."""
    events = recorder.get("events")
    node_of = np.zeros(cells.max() + 1, dtype=np.int64)
    node_of[cells] = np.arange(cells.size)
    return node_of[np.asarray(events["senders"], dtype=np.int64)], np.asarray(events["times"])


def write_spikes(folder: Path, population: str, ids: np.ndarray, times: np.ndarray) -> None:
    """``folder/spikes.h5`` (SONATA spikes, sorted by time then node id)."""
    order = np.lexsort((ids, times))
    folder.mkdir(exist_ok=True)
    with h5py.File(folder / "spikes.h5", "w") as f:
        g = f.create_group(f"spikes/{population}")
        g.create_dataset("timestamps", data=times[order]).attrs["units"] = "ms"
        g.create_dataset("node_ids", data=ids[order].astype(np.uint64))
