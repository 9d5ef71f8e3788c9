"""The SONATA writer: exact HDF5 layout, edge order and indices, types CSV, circuit config,
input validation. Cross-tool reading (libsonata, bluepysnap, BMTK's pandas) is in
test_write_interop.py."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from cantata.errors import BuildError, FormatError
from cantata.sonata.write import (
    EdgeTable,
    NodeTable,
    write_circuit_config,
    write_edges,
    write_nodes,
    write_types_csv,
)
from cantata.sonata.write_index import build_index, edge_order, stable_argsort


def _edges(src, trg, n_src, n_trg, **attrs) -> EdgeTable:
    src, trg = np.asarray(src), np.asarray(trg)
    return EdgeTable("a", "b", src, trg, np.full(src.size, 5), attrs, n_src, n_trg)


def _brute_index(ids: np.ndarray, n_nodes: int) -> tuple[list, list]:
    """Reference index written with plain loops (what libsonata's writer produces)."""
    runs: dict[int, list] = {n: [] for n in range(n_nodes)}
    start = 0
    for i in range(1, ids.size + 1):
        if i == ids.size or ids[i] != ids[start]:
            runs[int(ids[start])].append([start, i])
            start = i
    node_rows, ranges = [], []
    for n in range(n_nodes):
        node_rows.append([len(ranges), len(ranges) + len(runs[n])])
        ranges.extend(runs[n])
    return node_rows, ranges


# ------------------------------------------------------------------------------- nodes


def test_nodes_layout(tmp_path: Path) -> None:
    n = 6
    table = NodeTable(
        node_type_id=np.array([100, 100, 101, 101, 101, 102]),
        groups=[{
            "x": np.linspace(0, 1, n),
            "positions": np.arange(3 * n, dtype=np.float32).reshape(n, 3),
            "model_name": np.array(["exc", "exc", "inh", "inh", "inh", "é"]),
            "flag": np.array([True, False, True, False, True, False]),
            "layer": pd.Series(["L2", "L4", "L4", "L5", "L5", "L6"], dtype="category"),
        }],
        dynamics_params=[{"tau_m": np.full(n, 10.0)}],
    )
    out = write_nodes(tmp_path / "nodes.h5", {"v1": table, "lgn": NodeTable(np.zeros(3, int), [{}])})
    assert out == tmp_path / "nodes.h5"
    with h5py.File(out, "r") as h5:
        assert h5.attrs["magic"] == 0x0A7A and h5.attrs["magic"].dtype == np.uint32
        assert h5.attrs["version"].tolist() == [0, 1] and h5.attrs["version"].dtype == np.uint32
        assert sorted(h5["nodes"]) == ["lgn", "v1"]
        pop = h5["nodes/v1"]
        assert pop["node_id"].dtype == np.uint64 and pop["node_id"][()].tolist() == list(range(n))
        assert pop["node_type_id"][()].tolist() == [100, 100, 101, 101, 101, 102]
        assert pop["node_group_id"][()].tolist() == [0] * n
        assert pop["node_group_index"][()].tolist() == list(range(n))
        grp = pop["0"]
        assert grp["positions"].shape == (n, 3) and grp["positions"].dtype == np.float32
        assert grp["flag"].dtype == np.int8 and grp["flag"][()].tolist() == [1, 0, 1, 0, 1, 0]
        assert h5py.check_string_dtype(grp["model_name"].dtype).encoding == "utf-8"
        assert h5py.check_string_dtype(grp["model_name"].dtype).length is None  # variable length
        assert grp["model_name"].asstr()[()].tolist() == ["exc", "exc", "inh", "inh", "inh", "é"]
        assert grp["layer"].asstr()[()].tolist() == ["L2", "L4", "L4", "L5", "L5", "L6"]
        assert grp["dynamics_params/tau_m"][()].tolist() == [10.0] * n
        assert grp["x"].compression is None and grp["x"].chunks is None  # no compression by default
        assert len(h5["nodes/lgn/0"]) == 0 and h5["nodes/lgn/node_id"].shape == (3,)


def test_nodes_several_groups(tmp_path: Path) -> None:
    group_id = np.array([1, 0, 1, 1, 0])
    table = NodeTable(
        node_type_id=np.arange(5),
        groups=[{"a": np.array([10, 11])}, {"b": np.array([0.5, 0.6, 0.7])}],
        group_id=group_id,
        dynamics_params=[None, {"g": np.array([1.0, 2.0, 3.0])}],
    )
    path = write_nodes(tmp_path / "n.h5", {"p": table})
    with h5py.File(path, "r") as h5:
        pop = h5["nodes/p"]
        assert pop["node_group_id"][()].tolist() == group_id.tolist()
        assert pop["node_group_index"][()].tolist() == [0, 0, 1, 2, 1]
        assert pop["0/a"][()].tolist() == [10, 11] and "dynamics_params" not in pop["0"]
        assert pop["1/b"][()].tolist() == [0.5, 0.6, 0.7]
        assert pop["1/dynamics_params/g"][()].tolist() == [1.0, 2.0, 3.0]


def test_nodes_single_group_without_list(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0], "name": ["a", "b"]})
    path = write_nodes(tmp_path / "n.h5", {"p": NodeTable(np.zeros(2, int), frame)})
    with h5py.File(path, "r") as h5:
        assert h5["nodes/p/0/x"][()].tolist() == [1.0, 2.0]
        assert h5["nodes/p/0/name"].asstr()[()].tolist() == ["a", "b"]


def test_nodes_compression_passes_through(tmp_path: Path) -> None:
    table = NodeTable(np.zeros(100, int), [{"x": np.arange(100.0), "s": np.array(["a"] * 100)}])
    path = write_nodes(tmp_path / "n.h5", {"p": table}, compression="gzip")
    with h5py.File(path, "r") as h5:
        assert h5["nodes/p/0/x"].compression == "gzip"
        assert h5["nodes/p/node_type_id"].compression == "gzip"
        assert h5["nodes/p/0/s"].asstr()[0] == "a"


@pytest.mark.parametrize(
    ("table", "key", "fragment"),
    [
        (NodeTable(np.zeros((2, 2), int), [{}]), "nodes/p/node_type_id", "1-D"),
        (NodeTable(np.zeros(3), [{}]), "nodes/p/node_type_id", "integer"),
        (NodeTable(np.zeros(3, int), [{"x": np.zeros(4)}]), "nodes/p/0/x", "3 rows"),
        (NodeTable(np.zeros(3, int), [{"x": 1.0}]), "nodes/p/0/x", "found ()"),
        (NodeTable(np.zeros(3, int), [{"s": np.array(["a", None, "c"], dtype=object)}]),
         "nodes/p/0/s", "at row 1"),
        (NodeTable(np.zeros(2, int), [{"d": np.array(["2020-01-01"] * 2, dtype="datetime64[D]")}]),
         "nodes/p/0/d", "datetime64"),
        (NodeTable(np.zeros(3, int), [{"dynamics_params": np.zeros(3)}]), "nodes/p/0/dynamics_params",
         "reserved"),
        (NodeTable(np.zeros(3, int), [{}, {}]), "nodes/p/node_group_id", "2 groups"),
        (NodeTable(np.zeros(3, int), [{}, {}], group_id=np.array([0, 2, 1])), "nodes/p/node_group_id",
         "< 2"),
        (NodeTable(np.zeros(3, int), [{"x": np.zeros(2)}, {}], group_id=np.array([0, 1, 1])),
         "nodes/p/0/x", "1 rows"),
        (NodeTable(np.zeros(3, int), [{}], dynamics_params=[{}, {}]), "nodes/p/dynamics_params",
         "1 entries"),
        (NodeTable(np.zeros(3, int), [{}], dynamics_params=[{"t": np.zeros(2)}]),
         "nodes/p/0/dynamics_params/t", "3 rows"),
    ],
)
def test_nodes_bad_input(tmp_path: Path, table: NodeTable, key: str, fragment: str) -> None:
    path = tmp_path / "n.h5"
    with pytest.raises(BuildError) as info:
        write_nodes(path, {"p": table})
    assert info.value.key == key and info.value.file == str(path)
    assert fragment in str(info.value)
    assert not path.exists() and not list(tmp_path.iterdir())


@pytest.mark.parametrize("populations", [{}, {"": NodeTable(np.zeros(1, int), [{}])},
                                         {"a/b": NodeTable(np.zeros(1, int), [{}])}, {"p": "nodes"}])
def test_nodes_bad_population(tmp_path: Path, populations) -> None:
    with pytest.raises(BuildError):
        write_nodes(tmp_path / "n.h5", populations)


def test_refuses_to_overwrite_unless_asked(tmp_path: Path) -> None:
    path = tmp_path / "n.h5"
    write_nodes(path, {"p": NodeTable(np.zeros(2, int), [{}])})
    with pytest.raises(FormatError, match="overwrite=True"):
        write_nodes(path, {"p": NodeTable(np.zeros(5, int), [{}])})
    with h5py.File(path, "r") as h5:
        assert h5["nodes/p/node_id"].shape == (2,)
    write_nodes(path, {"p": NodeTable(np.zeros(5, int), [{}])}, overwrite=True)
    with h5py.File(path, "r") as h5:
        assert h5["nodes/p/node_id"].shape == (5,)


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "n.h5"
    with pytest.raises(BuildError, match="compression"):
        write_nodes(path, {"p": NodeTable(np.zeros(2, int), [{"x": np.zeros(2)}])}, compression="zip9")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------- edges


def test_edges_layout_sorted_by_target(tmp_path: Path) -> None:
    src = np.array([2, 0, 1, 0, 2, 1, 0])
    trg = np.array([1, 3, 1, 1, 0, 3, 1])
    table = EdgeTable(
        "lgn", "v1", src, trg, np.array([7, 7, 7, 8, 8, 8, 9]),
        {"syn_weight": np.arange(7.0), "flag": np.arange(7) % 2 == 0, "tag": np.array(list("abcdefg"))},
        n_source_nodes=3, n_target_nodes=5,
        dynamics_params={"tau": np.arange(7.0) * 10},
    )
    path = write_edges(tmp_path / "e.h5", {"lgn_to_v1": table})
    with h5py.File(path, "r") as h5:
        assert h5.attrs["magic"] == 0x0A7A and h5.attrs["version"].tolist() == [0, 1]
        pop = h5["edges/lgn_to_v1"]
        order = [4, 3, 6, 2, 0, 1, 5]  # by target, then source, then input order
        assert pop["target_node_id"][()].tolist() == trg[order].tolist()
        assert pop["source_node_id"][()].tolist() == src[order].tolist()
        for name in ("source_node_id", "target_node_id", "edge_group_index"):
            assert pop[name].dtype == np.uint64
        assert pop["source_node_id"].attrs["node_population"] == "lgn"
        assert pop["target_node_id"].attrs["node_population"] == "v1"
        assert pop["edge_type_id"][()].tolist() == [8, 8, 9, 7, 7, 7, 8]
        assert pop["edge_group_id"][()].tolist() == [0] * 7
        assert pop["edge_group_index"][()].tolist() == list(range(7))
        assert pop["0/syn_weight"][()].tolist() == [float(i) for i in order]
        assert pop["0/flag"].dtype == np.int8 and pop["0/flag"][()].tolist() == [1, 0, 1, 1, 1, 0, 0]
        assert pop["0/tag"].asstr()[()].tolist() == [list("abcdefg")[i] for i in order]
        assert pop["0/dynamics_params/tau"][()].tolist() == [10.0 * i for i in order]
        t2s = pop["indices/target_to_source"]
        assert t2s["node_id_to_ranges"][()].tolist() == [[0, 1], [1, 2], [2, 2], [2, 3], [3, 3]]
        assert t2s["range_to_edge_id"][()].tolist() == [[0, 1], [1, 5], [5, 7]]
        s2t = pop["indices/source_to_target"]
        # sources in file order: 2 0 0 1 2 0 1 -> runs node 0: [1,3) [5,6); 1: [3,4) [6,7); 2: [0,1) [4,5)
        assert s2t["node_id_to_ranges"][()].tolist() == [[0, 2], [2, 4], [4, 6]]
        assert s2t["range_to_edge_id"][()].tolist() == [[1, 3], [5, 6], [3, 4], [6, 7], [0, 1], [4, 5]]
        for index in (t2s, s2t):
            assert index["node_id_to_ranges"].dtype == np.uint64
            assert index["range_to_edge_id"].dtype == np.uint64
            assert isinstance(index.get("node_id_to_range", getlink=True), h5py.HardLink)
            assert index["node_id_to_range"] == index["node_id_to_ranges"]  # same HDF5 object


@pytest.mark.parametrize("sort_by", ["target", "source", None])
def test_edge_order_options_and_index(tmp_path: Path, sort_by) -> None:
    rng = np.random.default_rng(3)
    n_src, n_trg, n = 7, 9, 200
    src, trg = rng.integers(0, n_src, n), rng.integers(0, n_trg, n)
    path = write_edges(tmp_path / "e.h5", {"e": _edges(src, trg, n_src, n_trg, row=np.arange(n))},
                       sort_by=sort_by)
    with h5py.File(path, "r") as h5:
        pop = h5["edges/e"]
        s, t, row = pop["source_node_id"][()], pop["target_node_id"][()], pop["0/row"][()]
        if sort_by is None:
            expected = np.arange(n)
        elif sort_by == "target":
            expected = np.lexsort((np.arange(n), src, trg))
        else:
            expected = np.lexsort((np.arange(n), trg, src))
        assert row.tolist() == expected.tolist()
        assert s.tolist() == src[expected].tolist() and t.tolist() == trg[expected].tolist()
        for direction, ids, count in (("source_to_target", s, n_src), ("target_to_source", t, n_trg)):
            node_rows, ranges = _brute_index(ids.astype(np.int64), count)
            assert pop[f"indices/{direction}/node_id_to_ranges"][()].tolist() == node_rows
            assert pop[f"indices/{direction}/range_to_edge_id"][()].tolist() == ranges


def test_edges_empty_population_and_several_populations(tmp_path: Path) -> None:
    empty = _edges(np.zeros(0, int), np.zeros(0, int), 2, 3, w=np.zeros(0))
    full = _edges([1, 0], [0, 0], 2, 3)
    path = write_edges(tmp_path / "e.h5", {"empty": empty, "full": full})
    with h5py.File(path, "r") as h5:
        assert sorted(h5["edges"]) == ["empty", "full"]
        pop = h5["edges/empty"]
        assert pop["source_node_id"].shape == (0,) and pop["0/w"].shape == (0,)
        assert pop["indices/target_to_source/node_id_to_ranges"][()].tolist() == [[0, 0]] * 3
        assert pop["indices/target_to_source/range_to_edge_id"].shape == (0, 2)
        assert h5["edges/full/source_node_id"][()].tolist() == [0, 1]


@pytest.mark.parametrize(
    ("change", "key", "fragment"),
    [
        ({"target_node_id": np.array([0, 1])}, "edges/e/target_node_id", "3 rows"),
        ({"target_node_id": np.array([0, 1, 4])}, "edges/e/target_node_id", "< 4 (n_target_nodes)"),
        ({"source_node_id": np.array([0, -1, 1])}, "edges/e/source_node_id", "negative"),
        ({"source_node_id": np.array([0, 1, 2])}, "edges/e/source_node_id", "< 2 (n_source_nodes)"),
        ({"source_node_id": np.zeros((3, 1), int)}, "edges/e/source_node_id", "1-D"),
        ({"source_node_id": np.array([0.0, 1.0, 1.0])}, "edges/e/source_node_id", "integer"),
        ({"edge_type_id": np.array([1, 1])}, "edges/e/edge_type_id", "3 rows"),
        ({"attributes": {"w": np.zeros(2)}}, "edges/e/0/w", "3 rows"),
        ({"attributes": {"w": np.zeros((3, 2, 2))}}, "edges/e/0/w", "2-D"),
        ({"dynamics_params": {"tau": np.zeros(4)}}, "edges/e/0/dynamics_params/tau", "3 rows"),
        ({"n_target_nodes": -1}, "edges/e/n_target_nodes", "non-negative"),
        ({"n_source_nodes": 2.5}, "edges/e/n_source_nodes", "non-negative"),
    ],
)
def test_edges_bad_input(tmp_path: Path, change: dict, key: str, fragment: str) -> None:
    table = _edges([0, 1, 1], [3, 2, 0], 2, 4, w=np.zeros(3))
    for name, value in change.items():
        setattr(table, name, value)
    path = tmp_path / "e.h5"
    with pytest.raises(BuildError) as info:
        write_edges(path, {"e": table})
    assert info.value.key == key and info.value.file == str(path)
    assert fragment in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_edges_bad_population_name_and_sort(tmp_path: Path) -> None:
    table = _edges([0], [0], 1, 1)
    with pytest.raises(BuildError, match="sort_by"):
        write_edges(tmp_path / "e.h5", {"e": table}, sort_by="time")
    table.target = ""
    with pytest.raises(BuildError, match="target node population"):
        write_edges(tmp_path / "e.h5", {"e": table})


def test_million_edges_write_quickly(tmp_path: Path) -> None:
    """A million edges with both indices: vectorised, so this takes a fraction of a second."""
    rng = np.random.default_rng(0)
    n, n_nodes = 1_000_000, 20_000
    src, trg = rng.integers(0, n_nodes, n), rng.integers(0, n_nodes, n)
    table = _edges(src, trg, n_nodes, n_nodes, syn_weight=rng.random(n))
    path = write_edges(tmp_path / "big.h5", {"e": table})
    with h5py.File(path, "r") as h5:
        pop = h5["edges/e"]
        t = pop["target_node_id"][()]
        assert np.all(np.diff(t.astype(np.int64)) >= 0)
        ranges = pop["indices/source_to_target/range_to_edge_id"][()]
        assert int((ranges[:, 1] - ranges[:, 0]).sum()) == n
        counts = np.diff(pop["indices/target_to_source/node_id_to_ranges"][()], axis=1).ravel()
        assert counts.sum() == np.unique(t).size


# ----------------------------------------------------------------------- index helpers


def test_stable_argsort_matches_numpy_both_paths() -> None:
    rng = np.random.default_rng(1)
    keys = rng.integers(0, 50, 5000)
    expected = np.argsort(keys, kind="stable")
    assert np.array_equal(stable_argsort(keys, 50), expected)
    assert np.array_equal(stable_argsort(keys, 2**60), expected)  # falls back to numpy


def test_edge_order_returns_none_when_sorted_and_handles_huge_populations() -> None:
    assert edge_order(np.array([0, 0, 1]), np.array([1, 2, 0]), 2, 3) is None
    primary, secondary = np.array([1, 0, 1]), np.array([0, 5, 0])
    assert edge_order(primary, secondary, 2**40, 2**40).tolist() == [1, 0, 2]  # lexsort path


def test_build_index_matches_bmtk_on_real_file(testdata: Path) -> None:
    """Same ranges as the index BMTK wrote for 300_intfire (BMTK leaves empty nodes at [0, 0])."""
    path = testdata / "sonata-examples/300_intfire/network/v1_v1_edges.h5"
    with h5py.File(path, "r") as h5:
        pop = h5["edges/v1_to_v1"]
        for direction, column in (("target_to_source", "target_node_id"),
                                  ("source_to_target", "source_node_id")):
            ids = pop[column][()].astype(np.int64)
            theirs_nodes = pop[f"indices/{direction}/node_id_to_range"][()]
            node_rows, ranges = build_index(ids, theirs_nodes.shape[0])
            assert np.array_equal(ranges, pop[f"indices/{direction}/range_to_edge_id"][()])
            non_empty = theirs_nodes[:, 1] > theirs_nodes[:, 0]
            assert np.array_equal(node_rows[non_empty], theirs_nodes[non_empty])
            assert np.all(node_rows[~non_empty, 0] == node_rows[~non_empty, 1])


# ---------------------------------------------------------------------------- types CSV


def test_types_csv_dialect(tmp_path: Path) -> None:
    table = pd.DataFrame({
        "model_type": ["biophysical", "point_process", None],
        "node_type_id": [100, 101, 102],
        "model_template": ["nml:Cell 1.nml", "nest:iaf_psc_alpha", None],
        "tau": [0.1, np.nan, 1e-5],
        "nsyns": [1, 2, 3],
        "distance_range": [[0.0, 150.0], (1, 2), None],
        "quote": ['say "hi"', "", "x"],
        "flag": [True, False, True],
    })
    path = write_types_csv(tmp_path / "node_types.csv", table)
    assert path.read_text().splitlines() == [
        "node_type_id model_type model_template tau nsyns distance_range quote flag",
        '100 biophysical "nml:Cell 1.nml" 0.1 1 "0.0 150.0" "say ""hi""" True',
        '101 point_process nest:iaf_psc_alpha NULL 2 "1 2" "" False',
        "102 NULL NULL 1e-05 3 NULL x True",
    ]


def test_types_csv_index_and_errors(tmp_path: Path) -> None:
    frame = pd.DataFrame({"edge_type_id": [3, 4], "delay": [1.0, 2.0]}).set_index("edge_type_id")
    path = write_types_csv(tmp_path / "e.csv", frame)
    assert path.read_text().splitlines()[0] == "edge_type_id delay"
    with pytest.raises(FormatError, match="overwrite"):
        write_types_csv(path, frame)
    bad = {
        "no id": pd.DataFrame({"a": [1]}),
        "two ids": pd.DataFrame({"node_type_id": [1], "edge_type_id": [1]}),
        "dup": pd.DataFrame({"node_type_id": [1, 1]}),
        "missing": pd.DataFrame({"node_type_id": [1.0, None]}),
        "fraction": pd.DataFrame({"node_type_id": [1.5]}),
        "text": pd.DataFrame({"node_type_id": ["a"]}),
        "object": pd.DataFrame({"node_type_id": [1], "x": [object()]}),
    }
    for label, frame in bad.items():
        with pytest.raises(BuildError):
            write_types_csv(tmp_path / f"{label}.csv", frame)
        assert not (tmp_path / f"{label}.csv").exists(), label


# ------------------------------------------------------------------------ circuit config


def _small_network(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "nodes": write_nodes(folder / "nodes.h5", {
            "v1": NodeTable(np.array([1, 1, 2]), [{"x": np.zeros(3)}]),
            "lgn": NodeTable(np.array([3, 3]), [{}]),
        }),
        "node_types": write_types_csv(folder / "node_types.csv", pd.DataFrame({
            "node_type_id": [1, 2, 3], "model_type": ["point_process", "point_neuron", "virtual"],
        })),
        "edges": write_edges(folder / "edges.h5", {"lgn_to_v1": _edges([0, 1], [2, 0], 2, 3)}),
        "edge_types": write_types_csv(folder / "edge_types.csv", pd.DataFrame({"edge_type_id": [5]})),
    }
    return files


def test_circuit_config_keys_and_paths(tmp_path: Path) -> None:
    files = _small_network(tmp_path / "network")
    (tmp_path / "components" / "morph").mkdir(parents=True)
    path = write_circuit_config(
        tmp_path / "circuit_config.json",
        nodes=[(files["nodes"], files["node_types"])],
        edges=[(files["edges"], files["edge_types"])],
        components={"morphologies_dir": tmp_path / "components" / "morph", "templates": {"a": 1}},
        node_sets_file=tmp_path / "node_sets.json",
        target_simulator="NEST",
    )
    config = json.loads(path.read_text())
    assert config["manifest"] == {"$BASE_DIR": "."}
    assert config["target_simulator"] == "NEST"
    assert config["components"] == {"morphologies_dir": "$BASE_DIR/components/morph", "templates": {"a": 1}}
    assert config["node_sets_file"] == "$BASE_DIR/node_sets.json"
    assert config["networks"]["nodes"] == [{
        "nodes_file": "$BASE_DIR/network/nodes.h5",
        "node_types_file": "$BASE_DIR/network/node_types.csv",
        "populations": {"v1": {"type": "point_neuron"}, "lgn": {"type": "virtual"}},
    }]
    assert config["networks"]["edges"] == [{
        "edges_file": "$BASE_DIR/network/edges.h5",
        "edge_types_file": "$BASE_DIR/network/edge_types.csv",
        "populations": {"lgn_to_v1": {"type": "chemical"}},
    }]
    assert "metadata" not in config  # no biophysical population


def test_circuit_config_plain_paths_overrides_and_partial_status(tmp_path: Path) -> None:
    files = _small_network(tmp_path / "network")
    path = write_circuit_config(
        tmp_path / "configs" / "circuit.json",
        nodes=[(files["nodes"], None)],
        edges=[files["edges"]],
        populations={"v1": {"type": "biophysical", "morphologies_dir": "morph"}},
        manifest=False,
    )
    config = json.loads(path.read_text())
    assert "manifest" not in config
    entry = config["networks"]["nodes"][0]
    assert entry["nodes_file"] == "../network/nodes.h5" and entry["node_types_file"] is None
    assert entry["populations"]["v1"] == {"type": "biophysical", "morphologies_dir": "morph"}
    assert entry["populations"]["lgn"] == {}  # no types file, no model_type in the h5: untyped
    assert config["networks"]["edges"][0]["edge_types_file"] is None
    # a biophysical population without biophysical_neuron_models_dir: libsonata needs "partial"
    assert config["metadata"] == {"status": "partial"}


def test_circuit_config_errors(tmp_path: Path) -> None:
    files = _small_network(tmp_path)
    with pytest.raises(FormatError, match="not found"):
        write_circuit_config(tmp_path / "c.json", nodes=[(tmp_path / "missing.h5", None)])
    with pytest.raises(FormatError, match="/nodes"):
        write_circuit_config(tmp_path / "c.json", nodes=[(files["edges"], None)])
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(FormatError, match="HDF5"):
        write_circuit_config(tmp_path / "c.json", nodes=[(tmp_path / "text.h5", None)])
    with pytest.raises(BuildError, match="pair"):
        write_circuit_config(tmp_path / "c.json", nodes=[(files["nodes"], None, None)])
    write_circuit_config(tmp_path / "c.json", nodes=[files["nodes"]])
    with pytest.raises(FormatError, match="overwrite"):
        write_circuit_config(tmp_path / "c.json", nodes=[files["nodes"]])
