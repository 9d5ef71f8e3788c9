"""Files from cantata.sonata.write read back by other tools: libsonata, bluepysnap and
BMTK's way of reading types CSVs (pandas, single-space separator)."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from cantata.sonata.types_table import read_types_csv
from cantata.sonata.write import (
    EdgeTable,
    NodeTable,
    write_circuit_config,
    write_edges,
    write_nodes,
    write_types_csv,
)

libsonata = pytest.importorskip("libsonata")
bluepysnap = pytest.importorskip("bluepysnap")

N_V1, N_LGN = 40, 12


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A small two-population network written with the Cantata writer, plus what went in."""
    root = tmp_path_factory.mktemp("interop")
    net = root / "network"
    rng = np.random.default_rng(11)
    v1 = {
        "x": rng.normal(size=N_V1), "y": rng.normal(size=N_V1), "z": rng.normal(size=N_V1),
        "pop_name": np.where(np.arange(N_V1) < 30, "exc", "inh"),
        "label": np.array([f"cell {i} é" for i in range(N_V1)]),
        "tuned": np.arange(N_V1) % 3 == 0,
    }
    v1_dynamics = {"tau_m": np.linspace(10, 20, N_V1)}
    v1_types = np.where(np.arange(N_V1) < 30, 100, 101)
    write_nodes(net / "nodes.h5", {
        "v1": NodeTable(v1_types, [v1], dynamics_params=[v1_dynamics]),
        "lgn": NodeTable(np.full(N_LGN, 200), [{}]),
    })
    write_types_csv(net / "node_types.csv", pd.DataFrame({
        "node_type_id": [100, 101, 200],
        "model_type": ["point_process", "point_process", "virtual"],
        "model_template": ["nest:iaf_psc_alpha", "nest:iaf_psc_alpha", None],
        "dynamics_params": ["exc.json", "inh.json", None],
        "ei": ["e", "i", None],
    }))
    edges = {}
    for name, source, n_source, n_edges in (("v1_to_v1", "v1", N_V1, 500), ("lgn_to_v1", "lgn", N_LGN, 150)):
        src = rng.integers(0, n_source, n_edges)
        trg = rng.integers(0, N_V1 - 3, n_edges)  # the last three v1 cells get no input
        attrs = {"syn_weight": rng.random(n_edges), "delay": rng.uniform(1, 2, n_edges),
                 "row": np.arange(n_edges)}
        edges[name] = EdgeTable(source, "v1", src, trg, np.full(n_edges, 300), attrs, n_source, N_V1)
    write_edges(net / "edges.h5", edges)
    write_types_csv(net / "edge_types.csv", pd.DataFrame({
        "edge_type_id": [300], "model_template": ["static_synapse"], "distance_range": [[0.0, 150.0]],
    }))
    node_sets = root / "node_sets.json"
    node_sets.write_text(json.dumps({"exc": {"pop_name": "exc"}, "tuned": {"tuned": 1},
                                     "lgn_cells": {"population": "lgn"}}))
    config = write_circuit_config(
        root / "circuit_config.json",
        nodes=[(net / "nodes.h5", net / "node_types.csv")],
        edges=[(net / "edges.h5", net / "edge_types.csv")],
        components={"point_neuron_models_dir": root / "components" / "point"},
        node_sets_file=node_sets,
    )
    return {"root": root, "config": config, "v1": v1, "v1_types": v1_types,
            "v1_dynamics": v1_dynamics, "edges": edges}


def _all(n: int):
    return libsonata.Selection([[0, n]])


def _written_order(table: EdgeTable) -> np.ndarray:
    return np.lexsort((np.arange(table.source_node_id.size), table.source_node_id, table.target_node_id))


def test_libsonata_reads_nodes(network: dict) -> None:
    storage = libsonata.NodeStorage(str(network["root"] / "network/nodes.h5"))
    assert storage.population_names == {"v1", "lgn"}
    pop = storage.open_population("v1")
    assert pop.size == N_V1
    assert pop.attribute_names == set(network["v1"])
    for name, values in network["v1"].items():
        got = pop.get_attribute(name, _all(N_V1))
        expected = values.astype(np.int8) if values.dtype == bool else values
        assert np.array_equal(np.asarray(got), expected), name
    assert pop.dynamics_attribute_names == {"tau_m"}
    assert np.allclose(pop.get_dynamics_attribute("tau_m", _all(N_V1)), network["v1_dynamics"]["tau_m"])
    assert storage.open_population("lgn").size == N_LGN


def test_libsonata_reads_edges_and_indices(network: dict) -> None:
    storage = libsonata.EdgeStorage(str(network["root"] / "network/edges.h5"))
    assert storage.population_names == {"v1_to_v1", "lgn_to_v1"}
    for name, table in network["edges"].items():
        pop = storage.open_population(name)
        n = table.source_node_id.size
        assert (pop.size, pop.source, pop.target) == (n, table.source, "v1")
        order = _written_order(table)
        src = np.asarray(pop.source_nodes(_all(n)))
        trg = np.asarray(pop.target_nodes(_all(n)))
        assert np.array_equal(src, table.source_node_id[order])
        assert np.array_equal(trg, table.target_node_id[order])
        assert np.array_equal(pop.get_attribute("row", _all(n)), order)
        assert np.allclose(pop.get_attribute("syn_weight", _all(n)), table.attributes["syn_weight"][order])
        for node in range(N_V1):
            assert np.array_equal(pop.afferent_edges([node]).flatten(), np.flatnonzero(trg == node)), node
        for node in range(table.n_source_nodes):
            assert np.array_equal(pop.efferent_edges([node]).flatten(), np.flatnonzero(src == node)), node
        many = [0, 5, N_V1 - 1, 7]
        assert np.array_equal(pop.afferent_edges(many).flatten(), np.flatnonzero(np.isin(trg, many)))


def test_libsonata_circuit_config(network: dict) -> None:
    config = libsonata.CircuitConfig.from_file(str(network["config"]))
    assert config.node_populations == {"v1", "lgn"}
    assert config.edge_populations == {"v1_to_v1", "lgn_to_v1"}
    assert config.node_population_properties("v1").type == "point_neuron"
    assert config.node_population_properties("lgn").type == "virtual"
    assert config.edge_population_properties("lgn_to_v1").type == "chemical"
    assert config.node_sets_path == str(network["root"] / "node_sets.json")
    assert config.node_population("v1").size == N_V1


def test_bluepysnap_circuit(network: dict) -> None:
    circuit = bluepysnap.Circuit(str(network["config"]))
    assert set(circuit.nodes.population_names) == {"v1", "lgn"}
    v1 = circuit.nodes["v1"]
    assert v1.size == N_V1
    frame = v1.get(properties=["x", "pop_name", "label", "tuned"])
    assert np.allclose(frame["x"].to_numpy(), network["v1"]["x"])
    assert frame["pop_name"].tolist() == network["v1"]["pop_name"].tolist()
    assert frame["label"].tolist() == network["v1"]["label"].tolist()
    assert frame["tuned"].to_numpy().tolist() == network["v1"]["tuned"].astype(int).tolist()
    exc = circuit.nodes.ids("exc")
    assert exc.get_ids().tolist() == list(range(30))
    assert circuit.nodes.ids("tuned").get_ids().tolist() == list(range(0, N_V1, 3))
    assert circuit.nodes.ids("lgn_cells").get_ids().tolist() == list(range(N_LGN))

    table = network["edges"]["lgn_to_v1"]
    edges = circuit.edges["lgn_to_v1"]
    assert (edges.source.name, edges.target.name) == ("lgn", "v1")
    order = _written_order(table)
    trg = table.target_node_id[order]
    for node in (0, 3, N_V1 - 1):
        assert np.asarray(edges.afferent_edges(node)).tolist() == np.flatnonzero(trg == node).tolist()
    props = edges.get(edges.afferent_edges(3), properties=["syn_weight", "@source_node"])
    expected = order[trg == 3]
    assert np.allclose(props["syn_weight"].to_numpy(), table.attributes["syn_weight"][expected])
    assert props["@source_node"].tolist() == table.source_node_id[expected].tolist()


def test_types_csv_read_the_bmtk_way_and_by_cantata(network: dict) -> None:
    path = network["root"] / "network/edge_types.csv"
    bmtk_style = pd.read_csv(path, sep=" ", na_values="NONE")  # how BMTK reads types tables
    assert bmtk_style.columns.tolist() == ["edge_type_id", "model_template", "distance_range"]
    assert bmtk_style.iloc[0].tolist() == [300, "static_synapse", "0.0 150.0"]
    node_types = network["root"] / "network/node_types.csv"
    bmtk_nodes = pd.read_csv(node_types, sep=" ", na_values="NONE")
    assert bmtk_nodes["node_type_id"].tolist() == [100, 101, 200]
    assert bmtk_nodes["model_template"].isna().tolist() == [False, False, True]
    ours = read_types_csv(node_types)
    assert ours["model_type"].tolist() == ["point_process", "point_process", "virtual"]
    assert ours["dynamics_params"].tolist() == ["exc.json", "inh.json", None]


def test_tricky_csv_values_round_trip(tmp_path: Path) -> None:
    table = pd.DataFrame({
        "node_type_id": [1, 2, 3],
        "template": ["nml:My Cell.nml", 'q"uote', "plain"],
        "weight": [0.1, np.nan, -2.5e-7],
        "range": [[0, 150], [1.5, 2.5], None],
        "empty_ok": ["a", "b", "c"],
    })
    path = write_types_csv(tmp_path / "t.csv", table)
    for frame in (pd.read_csv(path, sep=" ", na_values="NONE"), read_types_csv(path)):
        assert frame["node_type_id"].tolist() == [1, 2, 3]
        assert frame["template"].tolist() == ["nml:My Cell.nml", 'q"uote', "plain"]
        assert frame["weight"].iloc[0] == 0.1 and np.isnan(frame["weight"].iloc[1])
        assert frame["weight"].iloc[2] == -2.5e-7
        assert frame["range"].iloc[:2].tolist() == ["0 150", "1.5 2.5"]


def test_rewritten_bmtk_file_gets_a_libsonata_index(testdata: Path, tmp_path: Path) -> None:
    """BMTK names its index node_id_to_range, so libsonata cannot use it; the same edges
    written by Cantata carry both names and libsonata's afferent_edges works."""
    original = testdata / "sonata-examples/300_intfire/network/v1_v1_edges.h5"
    bmtk_pop = libsonata.EdgeStorage(str(original)).open_population("v1_to_v1")
    with pytest.raises(RuntimeError, match="node_id_to_ranges"):
        bmtk_pop.afferent_edges([1])
    with h5py.File(original, "r") as h5:
        pop = h5["edges/v1_to_v1"]
        src, trg = pop["source_node_id"][()], pop["target_node_id"][()]
        table = EdgeTable("v1", "v1", src, trg, pop["edge_type_id"][()], {"nsyns": pop["0/nsyns"][()]},
                          n_source_nodes=300, n_target_nodes=300)
    path = write_edges(tmp_path / "v1_v1_edges.h5", {"v1_to_v1": table})
    ours = libsonata.EdgeStorage(str(path)).open_population("v1_to_v1")
    written_trg = np.asarray(ours.target_nodes(_all(ours.size)))
    for node in (0, 1, 150, 299):
        assert np.array_equal(ours.afferent_edges([node]).flatten(), np.flatnonzero(written_trg == node))
    with h5py.File(path, "r") as h5:  # BMTK's index name resolves to the same data
        index = h5["edges/v1_to_v1/indices/target_to_source"]
        assert np.array_equal(index["node_id_to_range"][()], index["node_id_to_ranges"][()])


# ------------------------------------------------------------- round trip through our reader


def test_round_trip_through_cantata_reader(network: dict) -> None:
    from cantata.sonata.circuit import Circuit

    with Circuit.from_config(network["config"]) as circuit:
        assert set(circuit.nodes) == {"v1", "lgn"} and set(circuit.edges) == {"v1_to_v1", "lgn_to_v1"}
        v1 = circuit.nodes["v1"]
        assert v1.size == N_V1 and v1.node_ids().tolist() == list(range(N_V1))
        assert np.array_equal(v1.node_type_ids(), network["v1_types"])
        for name, values in network["v1"].items():
            got = v1.get_attribute(name)
            assert np.array_equal(got.astype(values.dtype) if values.dtype == bool else got, values), name
        assert v1.get_attribute("model_type").tolist() == ["point_process"] * N_V1  # from the CSV
        assert np.allclose(v1.dynamics_params()["tau_m"], network["v1_dynamics"]["tau_m"])
        assert circuit.nodes["lgn"].get_attribute("model_type").tolist() == ["virtual"] * N_LGN
        for name, table in network["edges"].items():
            edges = circuit.edges[name]
            assert (edges.source, edges.target, edges.size) == (table.source, "v1", table.source_node_id.size)
            assert edges.has_index("target_to_source") and edges.has_index("source_to_target")
            order = _written_order(table)
            assert np.array_equal(edges.get_attribute("row"), order)
            trg, src = edges.target_node_ids(), edges.source_node_ids()
            assert np.array_equal(trg, table.target_node_id[order])
            for node in (0, 4, N_V1 - 1):
                assert np.array_equal(np.sort(edges.afferent_edges([node])), np.flatnonzero(trg == node))
            for node in (0, 2):
                assert np.array_equal(np.sort(edges.efferent_edges([node])), np.flatnonzero(src == node))
            assert edges.get_attribute("model_template").tolist() == ["static_synapse"] * edges.size


def test_round_trip_groups_and_multi_column(tmp_path: Path) -> None:
    """BMTK-style content libsonata cannot read (several groups, 2-D columns) still round-trips."""
    from cantata.sonata.circuit import Circuit

    positions = np.arange(12.0).reshape(4, 3)
    table = NodeTable(
        node_type_id=np.array([1, 2, 1, 2]),
        groups=[{"positions": positions[[0, 2]], "name": np.array(["a", "c"])},
                {"tau": np.array([5.0, 6.0])}],
        group_id=np.array([0, 1, 0, 1]),
    )
    path = write_nodes(tmp_path / "nodes.h5", {"mixed": table})
    with Circuit.from_files(nodes=[(path, None)]) as circuit:
        pop = circuit.nodes["mixed"]
        assert pop.get_attribute("positions", [0, 2]).tolist() == positions[[0, 2]].tolist()
        assert pop.get_attribute("tau", [1, 3]).tolist() == [5.0, 6.0]
        assert pop.get_attribute("name", [2]).tolist() == ["c"]
