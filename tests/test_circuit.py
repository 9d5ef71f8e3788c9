"""Circuit reader on small files made here with h5py, one per layout variant and error."""

from __future__ import annotations

import pickle
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from cantata.errors import FormatError
from cantata.sonata.circuit import Circuit, EdgePopulation, H5Handle, NodePopulation, UnknownPopulationError

STR = h5py.string_dtype()


def _write(path: Path, tree: dict) -> Path:
    """Write a nested dict as HDF5: dict = group, array = dataset, ``(array, attrs)`` = dataset with attrs."""

    def fill(group: h5py.Group, items: dict) -> None:
        for key, value in items.items():
            if isinstance(value, dict):
                fill(group.require_group(key), value)
                continue
            attrs = {}
            if isinstance(value, tuple):
                value, attrs = value
            array = np.asarray(value)
            dtype = STR if array.dtype.kind in "UO" else array.dtype
            ds = group.create_dataset(key, data=array.astype(object) if dtype is STR else array, dtype=dtype)
            ds.attrs.update(attrs)

    with h5py.File(path, "w") as h5:
        fill(h5, tree)
    return path


def _csv(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.fixture()
def bmtk_nodes(tmp_path: Path) -> tuple[Path, Path]:
    """Two populations; 'cortex' has two groups with different columns and a types CSV."""
    h5 = _write(tmp_path / "nodes.h5", {
        "nodes": {
            "cortex": {
                "node_id": np.arange(5, dtype=np.uint64),
                "node_type_id": np.array([100, 101, 100, 102, 101], dtype=np.uint16),
                "node_group_id": np.array([0, 1, 0, 1, 0], dtype=np.uint32),
                "node_group_index": np.array([0, 0, 1, 1, 2], dtype=np.uint64),
                "0": {
                    "x": np.array([1.0, 2.0, 3.0]),
                    "positions": np.arange(9, dtype=np.float64).reshape(3, 3),
                    "layer": np.array([4, 5, 6], dtype=np.int32),
                    "label": np.array(["a", "b", "c"]),
                    "dynamics_params": {"g": np.array([0.1, 0.2, 0.3])},
                },
                "1": {
                    "x": np.array([10.0, 20.0], dtype=np.float32),
                    "positions": np.ones((2, 3)),
                },
            },
            "lgn": {
                "node_type_id": np.array([200, 200, 200], dtype=np.int64),
                "0": {},
            },
        }
    })
    csv = _csv(tmp_path / "node_types.csv",
               "node_type_id model_type x ei tau\n"
               "100 biophysical 99.0 e 1.5\n"
               "101 point_process NULL i 2.5\n"
               "200 virtual NULL e NULL\n")
    return h5, csv


def _cortex(bmtk_nodes: tuple[Path, Path]) -> NodePopulation:
    return NodePopulation(bmtk_nodes[0], "cortex", bmtk_nodes[1])


# --------------------------------------------------------------------------- nodes
def test_multi_group_precedence_and_missing_values(bmtk_nodes: tuple[Path, Path]) -> None:
    pop = _cortex(bmtk_nodes)
    assert pop.size == len(pop) == 5
    assert pop.attribute_names == {"node_type_id", "x", "positions", "layer", "label", "model_type", "ei", "tau"}
    # h5 value wins over the CSV's 99.0 for type 100; every node here has an h5 x
    assert pop.get_attribute("x").tolist() == [1.0, 10.0, 2.0, 20.0, 3.0]
    # only in group 0, not in the CSV: ints promoted to float with NaN, strings None
    layer = pop.get_attribute("layer")
    assert layer.dtype == np.float64 and np.isnan(layer[[1, 3]]).all() and layer[[0, 2, 4]].tolist() == [4, 5, 6]
    assert pop.get_attribute("label").tolist() == ["a", None, "b", None, "c"]
    # only in the CSV; type 102 is absent from it
    assert pop.get_attribute("model_type").tolist() == [
        "biophysical", "point_process", "biophysical", None, "point_process"]
    tau = pop.get_attribute("tau")
    assert tau[:3].tolist() == [1.5, 2.5, 1.5] and np.isnan(tau[3])
    assert pop.node_type_ids().tolist() == [100, 101, 100, 102, 101]
    assert pop.node_type_ids().dtype == np.int64
    assert pop.missing_type_ids().tolist() == [102]


def test_multi_column_dataset(bmtk_nodes: tuple[Path, Path]) -> None:
    pop = _cortex(bmtk_nodes)
    positions = pop.get_attribute("positions")
    assert positions.shape == (5, 3)
    np.testing.assert_array_equal(positions[[0, 2, 4]], np.arange(9).reshape(3, 3))
    np.testing.assert_array_equal(pop.get_attribute("positions", [4, 1]), [[6, 7, 8], [1, 1, 1]])


def test_ids_selection_forms(bmtk_nodes: tuple[Path, Path]) -> None:
    pop = _cortex(bmtk_nodes)
    assert pop.get_attribute("x", [4, 0, 4]).tolist() == [3.0, 1.0, 3.0]
    assert pop.get_attribute("x", np.array([3], dtype=np.uint64)).tolist() == [20.0]
    assert pop.get_attribute("x", 2).tolist() == [2.0]
    assert pop.get_attribute("x", []).shape == (0,)
    assert pop.get_attribute("model_type", [3, 0]).tolist() == [None, "biophysical"]
    with pytest.raises(FormatError, match="out of range") as info:
        pop.get_attribute("x", [0, 7])
    assert info.value.found == [7] and info.value.file == str(pop.path)
    with pytest.raises(TypeError):
        pop.get_attribute("x", [0.5])


def test_dynamics_params_per_group(bmtk_nodes: tuple[Path, Path]) -> None:
    pop = _cortex(bmtk_nodes)
    assert pop.dynamics_param_names == {"g"}
    g = pop.dynamics_params()["g"]
    np.testing.assert_allclose(g[[0, 2, 4]], [0.1, 0.2, 0.3])
    assert np.isnan(g[[1, 3]]).all()
    assert pop.dynamics_params([2])["g"].tolist() == [0.2]


def test_dataframe_has_plain_dtypes(bmtk_nodes: tuple[Path, Path]) -> None:
    pop = _cortex(bmtk_nodes)
    frame = pop.to_dataframe()
    assert frame.index.name == "node_id" and frame.index.tolist() == [0, 1, 2, 3, 4]
    assert frame["model_type"].dtype == object and frame["label"].dtype == object
    assert frame["positions"].iloc[0].tolist() == [0.0, 1.0, 2.0]
    small = pop.to_dataframe([1, 3], ["x", "ei"])
    assert small.columns.tolist() == ["x", "ei"] and small.index.tolist() == [1, 3]
    assert pop.types["model_type"].dtype == object


def test_empty_group_takes_everything_from_csv(bmtk_nodes: tuple[Path, Path]) -> None:
    lgn = NodePopulation(bmtk_nodes[0], "lgn", bmtk_nodes[1])
    assert lgn.node_ids().tolist() == [0, 1, 2]
    assert lgn.get_attribute("model_type").tolist() == ["virtual"] * 3
    assert np.isnan(lgn.get_attribute("tau")).all()  # NULL in a numeric CSV column
    with pytest.raises(FormatError, match="unknown attribute 'layer'") as info:
        lgn.get_attribute("layer")
    assert "model_type" in info.value.expected and info.value.file == str(bmtk_nodes[0])


@pytest.fixture()
def bbp_nodes(tmp_path: Path) -> Path:
    """BBP style: no ids, no group datasets, @library enums, node_type_id -1, no CSV."""
    return _write(tmp_path / "bbp.h5", {
        "nodes": {
            "All": {
                "node_type_id": np.full(4, -1, dtype=np.int64),
                "0": {
                    "@library": {"mtype": np.array(["L4_MC", "L5_PC"]), "etype": np.array(["cADpyr"])},
                    "mtype": np.array([1, 0, 1, 1], dtype=np.uint32),
                    "etype": np.array([0, 0, 0, 0], dtype=np.uint32),
                    "fixed": np.array([b"ab", b"cd", b"ef", b"gh"], dtype="S2"),
                    "x": np.array([1, 2, 3, 4], dtype=np.float32),
                    "flag": np.array([True, False, True, False]),
                    "dynamics_params": {"holding_current": np.array([0.1, 0.2, 0.3, 0.4], dtype=np.float32)},
                },
            }
        }
    })


def test_bbp_layout_library_and_no_csv(bbp_nodes: Path) -> None:
    pop = NodePopulation(bbp_nodes, "All")
    assert pop.node_ids().tolist() == [0, 1, 2, 3]
    assert pop.attribute_names == {"node_type_id", "mtype", "etype", "fixed", "x", "flag"}
    assert pop.enumeration_names == {"mtype", "etype"}
    mtype = pop.get_attribute("mtype")
    assert mtype.dtype == object and mtype.tolist() == ["L5_PC", "L4_MC", "L5_PC", "L5_PC"]
    assert pop.get_attribute("mtype", [1, 3]).tolist() == ["L4_MC", "L5_PC"]
    assert pop.get_enumeration("mtype").tolist() == [1, 0, 1, 1]
    assert pop.enumeration_values("mtype").tolist() == ["L4_MC", "L5_PC"]
    assert pop.get_attribute("fixed").tolist() == ["ab", "cd", "ef", "gh"]
    assert pop.get_attribute("x").dtype == np.float32
    assert pop.get_attribute("flag").tolist() == [True, False, True, False]
    assert pop.missing_type_ids().size == 0  # -1 means "no type"
    assert len(pop.types) == 0
    with pytest.raises(FormatError, match="unknown enumeration"):
        pop.get_enumeration("x")


def test_bad_library_code(tmp_path: Path) -> None:
    path = _write(tmp_path / "n.h5", {"nodes": {"p": {
        "node_type_id": np.zeros(2, dtype=np.int64),
        "0": {"@library": {"m": np.array(["a"])}, "m": np.array([0, 3], dtype=np.uint32)},
    }}})
    pop = NodePopulation(path, "p")
    assert pop.get_attribute("m", [0]).tolist() == ["a"]
    with pytest.raises(FormatError, match="@library index out of range") as info:
        pop.get_attribute("m")
    assert info.value.key == "/nodes/p/0/m" and info.value.found == [3]


def test_hdf5_enum_column_resolved(tmp_path: Path) -> None:
    path = tmp_path / "enum.h5"
    with h5py.File(path, "w") as h5:
        grp = h5.create_group("nodes/p")
        grp["node_type_id"] = np.zeros(3, dtype=np.int64)
        colour = h5py.enum_dtype({"RED": 0, "GREEN": 1}, basetype="i4")
        grp.create_group("0").create_dataset("colour", data=np.array([1, 0, 1], dtype=np.int32), dtype=colour)
    pop = NodePopulation(path, "p")
    assert pop.get_attribute("colour").tolist() == ["GREEN", "RED", "GREEN"]
    assert pop.get_enumeration("colour").tolist() == [1, 0, 1]
    assert pop.enumeration_values("colour").tolist() == ["RED", "GREEN"]


def test_group_ids_without_index_and_uint_dtypes(tmp_path: Path) -> None:
    path = _write(tmp_path / "n.h5", {"nodes": {"p": {
        "node_type_id": np.array([1, 2, 1, 2], dtype=np.uint32),
        "node_group_id": np.array([1, 0, 1, 0], dtype=np.uint8),
        "0": {"v": np.array([10, 20], dtype=np.uint16)},
        "1": {"v": np.array([30, 40], dtype=np.int64)},
    }}})
    pop = NodePopulation(path, "p")
    assert pop.get_attribute("v").tolist() == [30, 10, 40, 20]  # row order within each group
    assert pop.node_type_ids().dtype == np.int64


def test_explicit_node_ids_are_mapped(tmp_path: Path) -> None:
    path = _write(tmp_path / "n.h5", {"nodes": {"p": {
        "node_id": np.array([10, 12, 11], dtype=np.uint64),
        "node_type_id": np.zeros(3, dtype=np.int64),
        "0": {"v": np.array([1.0, 2.0, 3.0])},
    }}})
    pop = NodePopulation(path, "p")
    assert pop.node_ids().tolist() == [10, 12, 11]
    assert pop.get_attribute("v", [11, 10]).tolist() == [3.0, 1.0]
    with pytest.raises(FormatError, match="not in population"):
        pop.get_attribute("v", [0])


def test_population_column_in_shared_csv(tmp_path: Path, bmtk_nodes: tuple[Path, Path]) -> None:
    csv = _csv(tmp_path / "shared.csv", "node_type_id population model_type\n100 cortex bio\n200 lgn virt\n")
    cortex = NodePopulation(bmtk_nodes[0], "cortex", csv)
    assert cortex.types["node_type_id"].tolist() == [100]
    assert "population" not in cortex.attribute_names
    assert NodePopulation(bmtk_nodes[0], "lgn", csv).get_attribute("model_type").tolist() == ["virt"] * 3


def test_types_given_as_dataframe(bmtk_nodes: tuple[Path, Path]) -> None:
    types = pd.DataFrame({"node_type_id": [200], "model_type": pd.array(["virtual"], dtype="string")})
    lgn = NodePopulation(bmtk_nodes[0], "lgn", types)
    values = lgn.get_attribute("model_type")
    assert values.dtype == object and values.tolist() == ["virtual"] * 3


# ------------------------------------------------------------------------ node errors
@pytest.mark.parametrize(
    ("tree", "key", "message"),
    [
        ({"0": {}}, "/nodes/p/node_type_id", "missing required dataset"),
        ({"node_type_id": np.zeros((2, 2))}, "/nodes/p/node_type_id", "one-dimensional"),
    ],
)
def test_structure_errors_at_open(tmp_path: Path, tree: dict, key: str, message: str) -> None:
    path = _write(tmp_path / "n.h5", {"nodes": {"p": tree}})
    with pytest.raises(FormatError, match=message) as info:
        NodePopulation(path, "p")
    assert info.value.file == str(path) and info.value.key == key


@pytest.mark.parametrize(
    ("tree", "key", "message"),
    [
        ({"node_type_id": np.zeros(3), "node_group_id": np.zeros(2), "0": {"v": np.zeros(3)}},
         "/nodes/p/node_group_id", "length differs from node_type_id"),
        ({"node_type_id": np.zeros(3), "node_group_id": np.array([0, 0, 4]), "0": {"v": np.zeros(3)}},
         "/nodes/p/node_group_id", "group id refers to no group"),
        ({"node_type_id": np.zeros(3), "node_group_id": np.zeros(3), "node_group_index": np.array([0, 1, 5]),
          "0": {"v": np.zeros(3)}}, "/nodes/p/0/v", "group index out of range"),
        ({"node_type_id": np.zeros(3), "0": {"v": np.zeros(2)}}, "/nodes/p/0/v", "shorter than the population"),
        ({"node_type_id": np.zeros(3), "0": {"v": np.zeros(3)}, "1": {"v": np.zeros(3)}},
         "/nodes/p/node_group_id", "several groups"),
    ],
)
def test_layout_errors_name_file_and_dataset(tmp_path: Path, tree: dict, key: str, message: str) -> None:
    path = _write(tmp_path / "n.h5", {"nodes": {"p": tree}})
    pop = NodePopulation(path, "p")  # opening is lazy: the layout is checked on first read
    with pytest.raises(FormatError, match=message) as info:
        pop.get_attribute("v")
    assert info.value.file == str(path) and info.value.key == key


def test_missing_population_root_and_files(tmp_path: Path, bmtk_nodes: tuple[Path, Path]) -> None:
    with pytest.raises(FormatError, match="no such population") as info:
        NodePopulation(bmtk_nodes[0], "v2")
    assert "cortex" in info.value.expected
    with pytest.raises(FormatError, match="no /edges group"):
        EdgePopulation(bmtk_nodes[0], "cortex")
    with pytest.raises(FormatError, match="file not found"):
        NodePopulation(tmp_path / "absent.h5", "p")
    text = _csv(tmp_path / "not.h5", "plain text")
    with pytest.raises(FormatError, match="cannot open as HDF5") as info:
        NodePopulation(text, "p")
    assert info.value.file == str(text)


# --------------------------------------------------------------------------- edges
def _edges_tree(index_name: str | None, population_attr=b"cortex") -> dict:
    src = np.array([0, 0, 1, 2, 2, 2], dtype=np.uint64)
    tgt = np.array([1, 2, 0, 0, 1, 1], dtype=np.uint64)
    tree = {
        "source_node_id": (src, {"node_population": population_attr}),
        "target_node_id": (tgt, {"node_population": "cortex"}),
        "edge_type_id": np.array([5, 5, 6, 6, 5, 7], dtype=np.uint32),
        "edge_group_id": np.array([0, 0, 0, 1, 1, 1], dtype=np.uint16),
        "edge_group_index": np.array([0, 1, 2, 0, 1, 2], dtype=np.uint32),
        "0": {"syn_weight": np.array([1.0, 2.0, 3.0]), "sec_id": np.array([1, 2, 3], dtype=np.int32),
              "dynamics_params": {"tau1": np.array([0.1, 0.2, 0.3])}},
        "1": {"syn_weight": np.array([4.0, 5.0, 6.0]),
              "dynamics_params": {"tau1": np.array([0.4, 0.5, 0.6])}},
    }
    if index_name:
        # target_to_source: node n -> ranges of edges; edges sorted by source, so ranges are scattered
        tree["indices"] = {
            "target_to_source": {
                index_name: np.array([[0, 1], [1, 3], [3, 5]], dtype=np.uint64),
                "range_to_edge_id": np.array([[2, 4], [0, 1], [4, 6], [1, 2], [5, 5]], dtype=np.uint64),
            },
            "source_to_target": {
                index_name: np.array([[0, 1], [1, 2], [2, 3]], dtype=np.uint64),
                "range_to_edge_id": np.array([[0, 2], [2, 3], [3, 6]], dtype=np.uint64),
            },
        }
    return tree


@pytest.mark.parametrize("index_name", ["node_id_to_ranges", "node_id_to_range", None])
def test_edges_read_and_index_variants(tmp_path: Path, index_name: str | None) -> None:
    path = _write(tmp_path / "e.h5", {"edges": {"c_to_c": _edges_tree(index_name)}})
    csv = _csv(tmp_path / "edge_types.csv", "edge_type_id delay syn_weight model\n5 2.0 9.0 Exp2Syn\n6 1.0 9.0 NULL\n")
    pop = EdgePopulation(path, "c_to_c", csv)
    assert (pop.name, pop.source, pop.target, pop.size) == ("c_to_c", "cortex", "cortex", 6)
    assert pop.has_index("target_to_source") == (index_name is not None)
    assert pop.source_node_ids().tolist() == [0, 0, 1, 2, 2, 2]
    assert pop.target_node_ids([5, 0]).tolist() == [1, 1]
    assert pop.source_node_ids().dtype == np.int64
    assert pop.edge_type_ids().tolist() == [5, 5, 6, 6, 5, 7]
    assert pop.get_attribute("syn_weight").tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]  # h5 beats CSV 9.0
    delay = pop.get_attribute("delay")  # CSV only; type 7 unknown
    assert delay[:5].tolist() == [2.0, 2.0, 1.0, 1.0, 2.0] and np.isnan(delay[5])
    assert pop.get_attribute("model").tolist() == ["Exp2Syn", "Exp2Syn", None, None, "Exp2Syn", None]
    assert pop.get_attribute("sec_id").tolist()[:3] == [1, 2, 3]
    np.testing.assert_allclose(pop.dynamics_params([3, 0])["tau1"], [0.4, 0.1])
    assert pop.afferent_edges([1]).tolist() == [0, 4, 5]
    assert pop.afferent_edges([0, 2]).tolist() == [1, 2, 3]
    assert pop.afferent_edges(np.array([1, 1], dtype=np.uint64)).tolist() == [0, 4, 5]
    assert pop.efferent_edges([2]).tolist() == [3, 4, 5]
    assert pop.efferent_edges([7]).tolist() == []  # a node past the table has no edges
    assert pop.afferent_edges([]).tolist() == []
    assert pop.connecting_edges([2], [1]).tolist() == [4, 5]
    assert pop.missing_type_ids().tolist() == [7]
    frame = pop.to_dataframe([4, 1])
    assert frame.index.name == "edge_id"
    assert frame["source_node_id"].tolist() == [2, 0] and frame["model"].tolist() == ["Exp2Syn", "Exp2Syn"]
    with pytest.raises(FormatError, match="non-negative"):
        pop.afferent_edges([-1])


def test_edges_without_groups_datasets_bbp_style(tmp_path: Path) -> None:
    path = _write(tmp_path / "e.h5", {"edges": {"a__b__chemical": {
        "source_node_id": (np.array([3, 1], dtype=np.uint64), {"node_population": "a"}),
        "target_node_id": (np.array([0, 0], dtype=np.uint64), {"node_population": np.bytes_(b"b")}),
        "edge_type_id": np.array([-1, -1], dtype=np.int8),
        "0": {"delay": np.array([0.5, 0.7], dtype=np.float32)},
    }}})
    pop = EdgePopulation(path, "a__b__chemical")
    assert (pop.source, pop.target) == ("a", "b")
    assert pop.get_attribute("delay").dtype == np.float32
    assert pop.afferent_edges([0]).tolist() == [0, 1]
    assert pop.efferent_edges([1, 3]).tolist() == [0, 1]


@pytest.mark.parametrize(
    ("change", "message", "key"),
    [
        ({"target_node_id": (np.zeros(6, dtype=np.uint64), {})}, "missing node_population", "/edges/e/target_node_id"),
        ({"edge_type_id": None}, "missing required dataset", "/edges/e/edge_type_id"),
    ],
)
def test_edge_structure_errors(tmp_path: Path, change: dict, message: str, key: str) -> None:
    tree = _edges_tree(None)
    for name, value in change.items():
        if value is None:
            del tree[name]
        else:
            tree[name] = value
    path = _write(tmp_path / "e.h5", {"edges": {"e": tree}})
    with pytest.raises(FormatError, match=message) as info:
        EdgePopulation(path, "e")
    assert info.value.key == key


def test_edge_length_mismatch_reported_on_read(tmp_path: Path) -> None:
    tree = _edges_tree(None)
    tree["target_node_id"] = (np.zeros(5, dtype=np.uint64), {"node_population": "cortex"})
    path = _write(tmp_path / "e.h5", {"edges": {"e": tree}})
    pop = EdgePopulation(path, "e")
    with pytest.raises(FormatError, match="length differs from source_node_id") as info:
        pop.target_node_ids()
    assert info.value.key == "/edges/e/target_node_id" and info.value.expected == 6 and info.value.found == 5
    assert pop.get_attribute("syn_weight").size == 6


def test_index_pointing_past_the_edges(tmp_path: Path) -> None:
    tree = _edges_tree("node_id_to_ranges")
    tree["indices"]["target_to_source"]["range_to_edge_id"][0] = [2, 40]  # node 0's range
    path = _write(tmp_path / "e.h5", {"edges": {"e": tree}})
    with pytest.raises(FormatError, match="past the last edge") as info:
        EdgePopulation(path, "e").afferent_edges([0])
    assert info.value.key == "/edges/e/indices/target_to_source/range_to_edge_id"


def test_computed_afferent_on_many_edges(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    n_edges, n_nodes = 1_000_000, 5000
    src = rng.integers(0, n_nodes, n_edges).astype(np.uint64)
    tgt = rng.integers(0, n_nodes, n_edges).astype(np.uint64)
    path = _write(tmp_path / "big.h5", {"edges": {"big": {
        "source_node_id": (src, {"node_population": "n"}),
        "target_node_id": (tgt, {"node_population": "n"}),
        "edge_type_id": np.zeros(n_edges, dtype=np.int64),
    }}})
    pop = EdgePopulation(path, "big")
    for node in (0, 17, 4999):
        np.testing.assert_array_equal(pop.afferent_edges([node]), np.flatnonzero(tgt == node))
    wanted = np.arange(100, 200)
    np.testing.assert_array_equal(pop.efferent_edges(wanted), np.flatnonzero(np.isin(src, wanted)))


def test_opening_reads_no_data(tmp_path: Path) -> None:
    """Datasets stored in an absent external file: any data read would fail, metadata works."""
    path = tmp_path / "huge.h5"
    n = 10_000_000
    with h5py.File(path, "w") as h5:
        grp = h5.create_group("edges/huge")
        for offset, (name, dtype) in enumerate(
            [("source_node_id", "u8"), ("target_node_id", "u8"), ("edge_type_id", "i8")]
        ):
            ds = grp.create_dataset(name, shape=(n,), dtype=dtype, external=[(f"missing{offset}.bin", 0, 8 * n)])
            if "node_id" in name:
                ds.attrs["node_population"] = "cells"
        grp.create_group("0").create_dataset("syn_weight", shape=(n,), dtype="f4",
                                             external=[("missing_w.bin", 0, 4 * n)])
    with Circuit.from_files(edges=[path]) as circuit:
        pop = circuit.edges["huge"]
        assert (pop.size, pop.source, pop.target) == (n, "cells", "cells")
        assert pop.attribute_names == {"syn_weight", "edge_type_id"}
        with pytest.raises(FormatError, match="cannot read dataset") as info:
            pop.get_attribute("syn_weight", [5])
        assert info.value.key == "/edges/huge/0/syn_weight"


# ------------------------------------------------------------------- handles, pickling
def test_close_reopen_and_pickle(bmtk_nodes: tuple[Path, Path]) -> None:
    circuit = Circuit.from_files(nodes=[bmtk_nodes])
    cortex = circuit.nodes["cortex"]
    assert cortex._handle is circuit.nodes["lgn"]._handle  # one handle per file
    circuit.close()
    assert cortex.get_attribute("x", [0]).tolist() == [1.0]  # reopened on demand
    clone = pickle.loads(pickle.dumps(circuit))
    assert clone.nodes["cortex"].get_attribute("model_type", [1]).tolist() == ["point_process"]
    assert clone.nodes["cortex"]._handle is clone.nodes["lgn"]._handle
    with pytest.raises(KeyError):
        clone.nodes["nope"]
    circuit.close()
    handle = H5Handle(bmtk_nodes[0])
    state = pickle.loads(pickle.dumps(handle))
    assert state.path == handle.path
    with NodePopulation(bmtk_nodes[0], "lgn") as pop:
        assert pop.size == 3
    assert pop._handle._file is None


# --------------------------------------------------------------------------- circuit
def test_from_files_entry_forms_and_population_filter(bmtk_nodes: tuple[Path, Path], tmp_path: Path) -> None:
    edges = _write(tmp_path / "e.h5", {"edges": {"c_to_c": _edges_tree(None)}})
    circuit = Circuit.from_files(
        nodes=[{"nodes_file": str(bmtk_nodes[0]), "node_types_file": str(bmtk_nodes[1]),
                "populations": {"cortex": {"type": "biophysical"}}}],
        edges=[edges],
    )
    assert list(circuit.nodes) == ["cortex"] and list(circuit.edges) == ["c_to_c"]
    assert circuit.nodes["cortex"].config == {"type": "biophysical"}
    assert circuit.nodes["cortex"].types_file == bmtk_nodes[1]
    with pytest.raises(UnknownPopulationError, match="unknown node population") as info:
        circuit.nodes["v1"]
    assert isinstance(info.value, KeyError) and "cortex" in info.value.expected
    assert circuit.nodes.get("v1") is None
    circuit.close()


def test_from_files_errors(bmtk_nodes: tuple[Path, Path]) -> None:
    with pytest.raises(FormatError, match="defined twice"):
        Circuit.from_files(nodes=[bmtk_nodes, bmtk_nodes[0]])
    with pytest.raises(FormatError, match="not in the file") as info:
        Circuit.from_files(nodes=[{"nodes_file": bmtk_nodes[0], "populations": {"v9": {}}}])
    assert info.value.found == ["v9"]
    with pytest.raises(TypeError):
        Circuit.from_files(nodes=[42])


def test_from_config(bmtk_nodes: tuple[Path, Path], tmp_path: Path) -> None:
    config_module = pytest.importorskip("cantata.sonata.config")
    config = config_module.SonataConfig.from_dict(
        {"networks": {"nodes": [{"nodes_file": bmtk_nodes[0].name, "node_types_file": bmtk_nodes[1].name}]}},
        base_dir=tmp_path,
    )
    with Circuit.from_config(config) as circuit:
        assert set(circuit.nodes) == {"cortex", "lgn"}
        assert circuit.nodes["lgn"].get_attribute("model_type", [0]).tolist() == ["virtual"]


def test_computed_lookup_with_sparse_node_ids(tmp_path: Path) -> None:
    src = np.array([7_000_000_000, 3, 7_000_000_000], dtype=np.uint64)
    tgt = np.array([1, 5_000_000_000, 1], dtype=np.uint64)
    path = _write(tmp_path / "sparse.h5", {"edges": {"s": {
        "source_node_id": (src, {"node_population": "n"}),
        "target_node_id": (tgt, {"node_population": "n"}),
        "edge_type_id": np.zeros(3, dtype=np.int64),
    }}})
    pop = EdgePopulation(path, "s")
    assert pop.efferent_edges([7_000_000_000]).tolist() == [0, 2]
    assert pop.afferent_edges([5_000_000_000, 1, 2]).tolist() == [0, 1, 2]
    assert pop.afferent_edges([4]).tolist() == []


def test_from_config_path(bmtk_nodes: tuple[Path, Path], tmp_path: Path) -> None:
    pytest.importorskip("cantata.sonata.config")
    config = tmp_path / "circuit_config.json"
    config.write_text(
        '{"networks": {"nodes": [{"nodes_file": "./nodes.h5", "node_types_file": "./node_types.csv",'
        ' "populations": {"lgn": {"type": "virtual"}}}]}}'
    )
    with Circuit.from_config(config) as circuit:
        assert list(circuit.nodes) == ["lgn"] and circuit.nodes["lgn"].config == {"type": "virtual"}
