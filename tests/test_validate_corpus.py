"""Corpus of broken inputs for `cantata validate`: a small valid network, then one mutation per
case, each with the text its problem must contain (file, key and message)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from cantata.sonata.spikes import SpikeTrains
from cantata.sonata.validate import validate_config
from cantata.sonata.write import (
    EdgeTable,
    NodeTable,
    write_edges,
    write_nodes,
    write_types_csv,
)

N_CORTEX = 6
CORTEX_TYPES = np.array([100, 100, 100, 100, 101, 101])


def build_network(folder: Path) -> Path:
    """A valid split config (config.json -> circuit + simulation) with two node files, one edges
    file holding two populations, components, node sets and a spike input; returns config.json."""
    net, comp = folder / "network", folder / "components"
    for sub in ("point_neuron_models", "biophysical_neuron_models", "synaptic_models", "morphologies",
                "mechanisms"):
        (comp / sub).mkdir(parents=True)
    net.mkdir()
    (folder / "inputs").mkdir()
    _json(comp / "point_neuron_models" / "exc.json", {"tau_m": 10.0})
    _json(comp / "biophysical_neuron_models" / "bio.json", {"genome": []})
    _json(comp / "synaptic_models" / "syn.json", {"tau1": 0.5, "tau2": 2.0})
    (comp / "morphologies" / "cell_a.swc").write_text("1 1 0 0 0 5 -1\n")

    write_nodes(net / "cortex_nodes.h5", {"cortex": NodeTable(
        CORTEX_TYPES, [{"x": np.arange(N_CORTEX, dtype=float), "y": np.zeros(N_CORTEX)}])})
    write_types_csv(net / "cortex_node_types.csv", pd.DataFrame({
        "node_type_id": [100, 101], "model_type": ["point_process", "biophysical"],
        "model_template": ["nrn:IntFire1", "ctdb:Biophys1.hoc"], "dynamics_params": ["exc.json", "bio.json"],
        "morphology": [None, "cell_a"],
    }))
    write_nodes(net / "input_nodes.h5", {"input": NodeTable(np.full(3, 200), [{}])})
    write_types_csv(net / "input_node_types.csv", pd.DataFrame({"node_type_id": [200], "model_type": ["virtual"]}))
    write_edges(net / "edges.h5", {
        "cortex_to_cortex": EdgeTable("cortex", "cortex", np.array([0, 1, 2, 3, 4, 5, 0, 1]),
                                      np.array([1, 2, 3, 4, 5, 0, 4, 5]), np.full(8, 300),
                                      {"syn_weight": np.ones(8)}, N_CORTEX, N_CORTEX),
        "input_to_cortex": EdgeTable("input", "cortex", np.array([0, 1, 2, 0, 1, 2]),
                                     np.array([0, 1, 2, 3, 4, 5]), np.full(6, 301), {}, 3, N_CORTEX),
    })
    write_types_csv(net / "edge_types.csv", pd.DataFrame({
        "edge_type_id": [300, 301], "dynamics_params": ["syn.json", "syn.json"], "delay": [1.0, 2.0]}))
    SpikeTrains.from_arrays(np.array([0, 1, 2]), np.array([5.0, 6.0, 7.0]), population="input").write_h5(
        folder / "inputs" / "spikes.h5")

    _json(folder / "circuit_config.json", {
        "manifest": {"$NETWORK_DIR": "./network", "$COMPONENTS": "./components"},
        "components": {
            "morphologies_dir": "$COMPONENTS/morphologies",
            "point_neuron_models_dir": "$COMPONENTS/point_neuron_models",
            "biophysical_neuron_models_dir": "$COMPONENTS/biophysical_neuron_models",
            "synaptic_models_dir": "$COMPONENTS/synaptic_models",
            "mechanisms_dir": "$COMPONENTS/mechanisms",
        },
        "networks": {
            "nodes": [
                {"nodes_file": "$NETWORK_DIR/cortex_nodes.h5", "node_types_file": "$NETWORK_DIR/cortex_node_types.csv"},
                {"nodes_file": "$NETWORK_DIR/input_nodes.h5", "node_types_file": "$NETWORK_DIR/input_node_types.csv"},
            ],
            "edges": [{"edges_file": "$NETWORK_DIR/edges.h5", "edge_types_file": "$NETWORK_DIR/edge_types.csv"}],
        },
    })
    _json(folder / "simulation_config.json", {
        "manifest": {"$BASE_DIR": "."},
        "run": {"tstop": 100.0, "dt": 0.1},
        "target_simulator": "NEURON",
        "conditions": {"celsius": 34.0},
        "node_sets_file": "$BASE_DIR/node_sets.json",
        "inputs": {
            "stim": {"input_type": "spikes", "module": "h5", "input_file": "$BASE_DIR/inputs/spikes.h5",
                     "node_set": "input"},
            "clamp": {"input_type": "current_clamp", "module": "IClamp", "node_set": "exc_cells",
                      "amp": 0.1, "delay": 10.0, "duration": 50.0},
        },
        "reports": {"v": {"cells": "bio_cells", "variable_name": "v", "module": "membrane_report",
                          "sections": "soma"}},
        "output": {"output_dir": "$BASE_DIR/output", "spikes_file": "spikes.h5", "spikes_sort_order": "time"},
    })
    _json(folder / "node_sets.json", {
        "exc_cells": {"model_type": "point_process"},
        "bio_cells": {"model_type": "biophysical"},
        "cortex_cells": ["exc_cells", "bio_cells"],
    })
    return _json(folder / "config.json", {"network": "./circuit_config.json", "simulation": "./simulation_config.json"})


def _json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, indent=2))
    return path


def edit(name: str, change: Callable[[dict], None]) -> Callable[[Path], None]:
    """A mutation that loads JSON file ``name``, applies ``change`` and writes it back."""
    def mutate(folder: Path) -> None:
        data = json.loads((folder / name).read_text())
        change(data)
        _json(folder / name, data)
    return mutate


def text(name: str, content: str) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        (folder / name).write_text(content)
    return mutate


def delete(name: str) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        target = folder / name
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    return mutate


def h5(name: str, change: Callable[[h5py.File], None]) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        with h5py.File(folder / "network" / name, "r+") as f:
            change(f)
    return mutate


def replace(path: str, data: np.ndarray) -> Callable[[h5py.File], None]:
    def change(f: h5py.File) -> None:
        attrs = dict(f[path].attrs)
        del f[path]
        f[path] = data
        f[path].attrs.update(attrs)
    return change


def csv(name: str, frame: dict) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        (folder / "network" / name).unlink()
        write_types_csv(folder / "network" / name, pd.DataFrame(frame))
    return mutate


def setitem(*keys_and_value):
    *keys, value = keys_and_value

    def change(data: dict) -> None:
        for key in keys[:-1]:
            data = data[key]
        data[keys[-1]] = value
    return change


def pop(*keys):
    def change(data: dict) -> None:
        for key in keys[:-1]:
            data = data[key]
        del data[keys[-1]]
    return change


def rename(old: str, new: str):
    def change(data: dict) -> None:
        data[new] = data.pop(old)
    return change


CIRCUIT, SIM, NODE_SETS = "circuit_config.json", "simulation_config.json", "node_sets.json"
PT = "components.point_neuron_models_dir"

# (id, mutation, text the problem must contain, severity)
CASES = [
    # JSON, sections, manifests, includes
    ("json-syntax-top", text("config.json", '{"network": "./circuit_config.json",\n  "simulation" "x"}'),
     "config.json: invalid JSON at line 2, column 16: Expecting ':' delimiter", "error"),
    ("json-syntax-circuit", text(CIRCUIT, '{\n  "networks": {,}\n}'),
     "circuit_config.json: invalid JSON at line 2, column 16", "error"),
    ("json-syntax-node-sets", text(NODE_SETS, '{"exc_cells": {"model_type": "point_process"}'),
     "node_sets.json: invalid JSON at line 1, column 46", "error"),
    ("top-not-object", text("config.json", "[1, 2]"),
     "config.json: a config must be a JSON object (expected {...}, found 'list')", "error"),
    ("misspelled-section", edit(SIM, rename("reports", "reprots")),
     "simulation_config.json: reprots: unknown section (did you mean 'reports'?)", "error"),
    ("unknown-section", edit("config.json", setitem("my_notes", {"a": 1})),
     "config.json: my_notes: unknown section (ignored)", "warning"),
    ("unresolved-variable", edit(CIRCUIT, lambda d: d["networks"]["nodes"][0].update(
        nodes_file="$NETWORK_DIRR/cortex_nodes.h5")),
     ("circuit_config.json: networks.nodes[0].nodes_file: unknown manifest variable $NETWORK_DIRR "
     "(did you mean $NETWORK_DIR?) (expected a manifest variable ($COMPONENTS, $NETWORK_DIR)"), "error"),
    ("manifest-cycle", edit(SIM, setitem("manifest", {"$BASE_DIR": "$OUT/..", "$OUT": "$BASE_DIR/output"})),
     "simulation_config.json: manifest.$BASE_DIR: manifest variables form a cycle: $BASE_DIR -> $OUT -> $BASE_DIR",
     "error"),
    ("missing-include", edit("config.json", setitem("simulation", "./sim.json")),
     "config.json: simulation: file not found", "error"),
    ("include-cycle", edit(SIM, setitem("network", "./config.json")),
     "simulation_config.json: network: configs include each other in a cycle", "error"),
    ("bad-node-sets-block", edit(SIM, setitem("node_sets", [1])),
     "simulation_config.json: node_sets: must be an object of node sets", "error"),
    # files named by the config
    ("missing-nodes-file", delete("network/cortex_nodes.h5"),
     "circuit_config.json: networks.nodes[0].nodes_file: file not found (expected an existing nodes HDF5 file",
     "error"),
    ("missing-node-types", delete("network/input_node_types.csv"),
     "circuit_config.json: networks.nodes[1].node_types_file: file not found", "error"),
    ("missing-edges-file", delete("network/edges.h5"),
     "circuit_config.json: networks.edges[0].edges_file: file not found", "error"),
    ("missing-node-sets-file", delete(NODE_SETS), "simulation_config.json: node_sets_file: file not found", "error"),
    ("missing-input-file", delete("inputs/spikes.h5"),
     "simulation_config.json: inputs.stim.input_file: file not found (expected an existing file", "error"),
    ("missing-components-dir", delete("components/synaptic_models"),
     "circuit_config.json: components.synaptic_models_dir: folder not found", "error"),
    ("missing-mechanisms-dir", delete("components/mechanisms"),
     "circuit_config.json: components.mechanisms_dir: folder not found (needed only by NEURON runs", "warning"),
    ("nodes-not-hdf5", text("network/cortex_nodes.h5", "not hdf5"),
     "cortex_nodes.h5: cannot open as HDF5 (expected a SONATA nodes file (HDF5)", "error"),
    ("populations-not-in-file", edit(CIRCUIT, lambda d: d["networks"]["nodes"][0].update(populations={"cortx": {}})),
     ("circuit_config.json: networks.nodes[0].populations: populations named in the config are not in the file "
     "(expected one of 'cortex' (in cortex_nodes.h5), found ['cortx'])"), "error"),
    # run, inputs, output
    ("missing-tstop", edit(SIM, pop("run", "tstop")), "simulation_config.json: run.tstop: missing run.tstop", "error"),
    ("negative-dt", edit(SIM, setitem("run", "dt", -0.1)),
     "simulation_config.json: run.dt: must be positive (expected a number > 0, found -0.1)", "error"),
    ("tstop-not-number", edit(SIM, setitem("run", "tstop", "100")),
     "simulation_config.json: run.tstop: must be a number (expected a number of ms, found '100')", "error"),
    ("tstart-after-tstop", edit(SIM, setitem("run", "tstart", 200.0)),
     "run.tstart: run.tstart must be before run.tstop", "error"),
    ("tstop-off-grid", edit(SIM, setitem("run", "tstop", 100.05)),
     "run.tstop: run.tstop is not a whole number of dt steps", "error"),
    ("input-without-type", edit(SIM, pop("inputs", "clamp", "input_type")),
     "simulation_config.json: inputs.clamp.input_type: missing input_type", "error"),
    ("spikes-without-file", edit(SIM, pop("inputs", "stim", "input_file")),
     "simulation_config.json: inputs.stim.input_file: spikes input without a spike file", "error"),
    ("enabled-not-bool", edit(SIM, setitem("inputs", "clamp", "enabled", "yes")),
     "simulation_config.json: inputs.clamp.enabled: must be true or false", "error"),
    ("bad-sort-order", edit(SIM, setitem("output", "spikes_sort_order", "by_colour")),
     "simulation_config.json: output.spikes_sort_order: unknown spike sort order", "error"),
    # h5 layout and dtypes
    ("float-type-ids", h5("cortex_nodes.h5", replace("nodes/cortex/node_type_id", CORTEX_TYPES.astype(float))),
     ("cortex_nodes.h5: /nodes/cortex/node_type_id: wrong dtype (expected an integer dtype (uint64 or int64), "
     "found 'float64')"), "error"),
    ("short-target-ids", h5("edges.h5", replace("edges/cortex_to_cortex/target_node_id", np.arange(7, dtype=np.uint64))),
     ("edges.h5: /edges/cortex_to_cortex/target_node_id: length differs from source_node_id "
     "(expected 8 rows, found '7 rows')"), "error"),
    ("missing-edge-type-ids", h5("edges.h5", lambda f: f.__delitem__("edges/cortex_to_cortex/edge_type_id")),
     "edges.h5: /edges/cortex_to_cortex/edge_type_id: missing required dataset", "error"),
    ("2d-node-type-ids", h5("input_nodes.h5", replace("nodes/input/node_type_id", np.full((3, 1), 200))),
     "input_nodes.h5: /nodes/input/node_type_id: must be one-dimensional (expected shape (N,), found 'shape (3, 1)')",
     "error"),
    ("short-group-column", h5("cortex_nodes.h5", replace("nodes/cortex/0/x", np.zeros(5))),
     "cortex_nodes.h5: /nodes/cortex/0/x: length differs from the number of nodes in group 0", "error"),
    ("group-index-out-of-range",
     h5("cortex_nodes.h5", replace("nodes/cortex/node_group_index", np.array([0, 1, 2, 3, 4, 9], np.uint64))),
     ("cortex_nodes.h5: /nodes/cortex/node_group_index: group index out of range for group 0 "
     "(expected values in 0..5 (group 0 has 6 rows), found '[9] at rows [5]')"), "error"),
    ("group-index-not-identity",
     h5("edges.h5", replace("edges/cortex_to_cortex/edge_group_index", np.arange(8, dtype=np.uint64)[::-1].copy())),
     ("edges.h5: /edges/cortex_to_cortex/edge_group_index: group index of a one-group population is not 0..N-1: "
     "libsonata and bluepysnap ignore the index"), "warning"),
    ("duplicate-node-ids", h5("cortex_nodes.h5", replace("nodes/cortex/node_id", np.array([0, 1, 1, 3, 4, 5], np.uint64))),
     "cortex_nodes.h5: /nodes/cortex/node_id: duplicate node ids (expected unique ids, found [1])", "error"),
    ("node-population-not-text",
     h5("edges.h5", lambda f: f["edges/input_to_cortex/target_node_id"].attrs.__setitem__("node_population", 5)),
     ("edges.h5: /edges/input_to_cortex/target_node_id: missing node_population attribute (expected an attribute "
     "node_population naming a node population, found '5')"), "error"),
    ("no-node-population-attr",
     h5("edges.h5", lambda f: f["edges/input_to_cortex/source_node_id"].attrs.__delitem__("node_population")),
     "edges.h5: /edges/input_to_cortex/source_node_id: missing node_population attribute", "error"),
    # references between files
    ("node-type-not-in-csv", csv("cortex_node_types.csv", {"node_type_id": [100], "model_type": ["point_process"]}),
     ("cortex_nodes.h5: /nodes/cortex/node_type_id: node_type_ids used in the h5 file are missing from the "
     "types CSV"), "error"),
    ("edge-type-not-in-csv", csv("edge_types.csv", {"edge_type_id": [300], "dynamics_params": ["syn.json"]}),
     ("edges.h5: /edges/input_to_cortex/edge_type_id: edge_type_ids used in the h5 file are missing from the "
     "types CSV (expected type ids listed in"), "error"),
    ("duplicate-type-ids", text("network/input_node_types.csv", "node_type_id model_type\n200 virtual\n200 virtual\n"),
     "input_node_types.csv: node_type_id: duplicate type ids", "error"),
    ("edge-ids-out-of-range", h5("edges.h5", lambda f: f["edges/cortex_to_cortex/target_node_id"].__setitem__(0, 9)),
     ("edges.h5: /edges/cortex_to_cortex/target_node_id: 1 edges reference node ids that do not exist "
     "(expected ids of the 6 nodes of 'cortex' (0..5), found [9])"), "error"),
    ("edge-unknown-node-population",
     h5("edges.h5", lambda f: f["edges/input_to_cortex/source_node_id"].attrs.__setitem__("node_population", "thalamus")),
     ("edges.h5: /edges/input_to_cortex/source_node_id@node_population: node_population names a population that "
     "is not in the config's nodes (expected one of 'cortex', 'input', found 'thalamus')"), "error"),
    # node sets
    ("unknown-input-node-set", edit(SIM, setitem("inputs", "clamp", "node_set", "exc_cellz")),
     "simulation_config.json: inputs.clamp.node_set: unknown node set 'exc_cellz' (did you mean 'exc_cells'?)",
     "error"),
    ("unknown-report-cells", edit(SIM, setitem("reports", "v", "cells", "bio_cell")),
     "simulation_config.json: reports.v.cells: unknown node set 'bio_cell' (did you mean 'bio_cells'?)", "error"),
    ("unknown-compound-member", edit(NODE_SETS, setitem("cortex_cells", ["exc_cells", "bio_cellz"])),
     "node_sets.json: cortex_cells[1]: unknown node set 'bio_cellz'", "error"),
    ("node-set-unknown-attribute", edit(NODE_SETS, setitem("exc_cells", {"model_typ": "point_process"})),
     "node_sets.json: exc_cells.model_typ: no population has attribute 'model_typ'", "error"),
    ("inline-node-set-bad-population", edit(SIM, setitem("inputs", "clamp", "node_set", {"population": "cortx"})),
     ("simulation_config.json: inputs.clamp.node_set.population: unknown population 'cortx' "
     "(expected one of 'cortex', 'input')"), "error"),
    ("node-set-not-an-expression", edit(SIM, setitem("inputs", "clamp", "node_set", 5)),
     "simulation_config.json: inputs.clamp.node_set: not a node-set expression", "error"),
    # model files
    ("missing-point-dynamics", delete("components/point_neuron_models/exc.json"),
     ("cortex_node_types.csv: dynamics_params of node_type_id 100: dynamics_params file not found in "
     "components.point_neuron_models_dir (expected exc.json in"), "error"),
    ("missing-synapse-dynamics", csv("edge_types.csv", {"edge_type_id": [300, 301],
                                                         "dynamics_params": ["syn.json", "nmda.json"]}),
     ("edge_types.csv: dynamics_params of edge_type_id 301: dynamics_params file not found in "
     "components.synaptic_models_dir"), "error"),
    ("models-dir-not-set", edit(CIRCUIT, pop("components", "point_neuron_models_dir")),
     f"circuit_config.json: {PT}: {PT} is not set, but node_type_ids [100] name dynamics_params files", "error"),
    ("missing-morphology", delete("components/morphologies/cell_a.swc"),
     ("cortex_node_types.csv: morphology: 1 of 1 morphologies of biophysical nodes not found "
     "(expected <name> or <name>.swc in"), "error"),
    ("missing-morphology-in-h5",
     h5("cortex_nodes.h5", lambda f: f.create_dataset(
         "nodes/cortex/0/morphology", data=["", "", "", "", "cell_a", "cell_b"], dtype=h5py.string_dtype())),
     ("cortex_nodes.h5: /nodes/cortex/*/morphology: 1 of 2 morphologies of biophysical nodes not found "
     "(expected <name> or <name>.swc in"), "error"),
    ("morphologies-dir-not-set", edit(CIRCUIT, pop("components", "morphologies_dir")),
     ("circuit_config.json: components.morphologies_dir: biophysical nodes of population 'cortex' need a "
     "morphologies folder"), "error"),
]


@pytest.fixture(scope="module")
def valid_network(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_network(tmp_path_factory.mktemp("valid"))


def test_corpus_size() -> None:
    assert len(CASES) >= 25
    assert len({c[0] for c in CASES}) == len(CASES)


def test_valid_network_has_no_problem(valid_network: Path) -> None:
    assert [str(p) for p in validate_config(valid_network)] == []


@pytest.mark.parametrize(("mutation", "message", "severity"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_broken_input(valid_network: Path, tmp_path: Path, mutation, message: str, severity: str) -> None:
    folder = tmp_path / "net"
    shutil.copytree(valid_network.parent, folder)
    mutation(folder)
    problems = validate_config(folder / "config.json")
    texts = [str(p) for p in problems]
    matching = [p for p in problems if message in p.text]
    assert matching, f"no problem contains {message!r}; got:\n" + "\n".join(texts)
    assert matching[0].severity == severity
    assert all(p.file for p in problems), texts  # every problem names its file
    if severity == "warning":
        assert not [p for p in problems if p.is_error], texts
