"""Node sets: every expression form, errors, and agreement with libsonata on real files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cantata.errors import NodeSetError
from cantata.sonata.config import load_config
from cantata.sonata.nodesets import NodeSets


class ArrayPopulation:
    """The population protocol node sets use, over in-memory columns (ids = row numbers)."""

    def __init__(self, name: str, **columns: Any) -> None:
        self.name = name
        self.columns = {k: np.asarray(v) for k, v in columns.items()}
        self.size = len(next(iter(self.columns.values()))) if columns else 0
        self.reads: list[str] = []

    @property
    def attribute_names(self) -> set[str]:
        return set(self.columns)

    def node_ids(self) -> np.ndarray:
        return np.arange(self.size, dtype=np.int64)

    def has_attribute(self, name: str) -> bool:
        return name in self.columns

    def get_attribute(self, name: str, ids: np.ndarray | None = None) -> np.ndarray:
        self.reads.append(name)
        values = self.columns[name]
        return values if ids is None else values[ids]


class Circuit:
    def __init__(self, *pops: ArrayPopulation) -> None:
        self.nodes = {p.name: p for p in pops}


def ids(*values: int) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


@pytest.fixture
def circuit() -> Circuit:
    v1 = ArrayPopulation(
        "v1",
        model_type=np.array(["biophysical"] * 4 + ["point_process"] * 2, dtype=object),
        layer=np.array([2, 3, 4, 2, 5, 3], dtype=np.int32),
        x=np.array([0.0, 1.5, 3.0, 4.5, 6.0, np.nan]),
        mtype=np.array(["L2_PC", "L23_PC", "L4_SS", "L2_BC", "L5_TPC", "L23_MC"]),
        active=np.array([1, 0, 1, 1, 0, 1], dtype=np.int8),
        ei=np.array(["e", "e", None, "i", "e", "i"], dtype=object),
    )
    lgn = ArrayPopulation("lgn", model_type=np.array(["virtual"] * 3, dtype=object), layer=np.array([9, 9, 9]))
    return Circuit(v1, lgn)


def check(sets: NodeSets, expression: Any, circuit: Circuit, expected: dict[str, list[int]], **kw: Any) -> None:
    result = sets.resolve(expression, circuit, **kw)
    assert set(result) == set(expected)
    for pop, values in expected.items():
        assert result[pop].dtype == np.int64
        np.testing.assert_array_equal(result[pop], ids(*values))


# ---------------------------------------------------------------------------------------------
# forms


def test_attribute_values_lists_and_and(circuit: Circuit) -> None:
    sets = NodeSets({})
    check(sets, {"model_type": "biophysical"}, circuit, {"v1": [0, 1, 2, 3]})
    check(sets, {"layer": [2, 5]}, circuit, {"v1": [0, 3, 4]})
    check(sets, {"layer": [2, 3], "model_type": "biophysical"}, circuit, {"v1": [0, 1, 3]})
    check(sets, {"model_type": ["virtual", "point_process"]}, circuit, {"v1": [4, 5], "lgn": [0, 1, 2]})
    check(sets, {"layer": 2.0}, circuit, {"v1": [0, 3]})  # 2.0 equals integer 2
    check(sets, {"layer": 2.5}, circuit, {})
    check(sets, {"x": 1.5}, circuit, {"v1": [1]})
    check(sets, {"active": True}, circuit, {"v1": [0, 2, 3, 5]})  # booleans stored as int8
    check(sets, {"ei": "i"}, circuit, {"v1": [3, 5]})  # missing values never match
    check(sets, {"layer": []}, circuit, {})
    check(sets, {}, circuit, {"v1": [0, 1, 2, 3, 4, 5], "lgn": [0, 1, 2]})


def test_population_and_node_ids(circuit: Circuit) -> None:
    sets = NodeSets({})
    check(sets, {"population": "lgn"}, circuit, {"lgn": [0, 1, 2]})
    check(sets, {"population": ["lgn", "v1"], "layer": 9}, circuit, {"lgn": [0, 1, 2]})
    check(sets, {"population": "nope"}, circuit, {})
    check(sets, {"node_id": [2, 0, 1, 2, 40]}, circuit, {"v1": [0, 1, 2], "lgn": [0, 1, 2]})
    check(sets, {"population": "v1", "node_ids": [5, 4]}, circuit, {"v1": [4, 5]})  # BMTK spelling
    check(sets, {"node_id": 3}, circuit, {"v1": [3]})
    check(sets, {"node_id": []}, circuit, {})
    check(sets, [0, 4], circuit, {"v1": [0, 4], "lgn": [0]})  # BMTK cells: [0, 4]
    check(sets, {"population": "v1", "node_id": [1, 2, 3], "model_type": "biophysical", "layer": [3, 4]},
          circuit, {"v1": [1, 2]})


def test_operators(circuit: Circuit) -> None:
    sets = NodeSets({})
    check(sets, {"layer": {"$gt": 3}}, circuit, {"v1": [2, 4], "lgn": [0, 1, 2]})
    check(sets, {"layer": {"$gte": 3}, "population": "v1"}, circuit, {"v1": [1, 2, 4, 5]})
    check(sets, {"layer": {"$lt": 3}}, circuit, {"v1": [0, 3]})
    check(sets, {"layer": {"$lte": 3}}, circuit, {"v1": [0, 1, 3, 5]})
    check(sets, {"x": {"$gte": 1.5, "$lt": 6}}, circuit, {"v1": [1, 2, 3]})  # several operators: AND; NaN never
    check(sets, {"mtype": {"$regex": "L2"}}, circuit, {"v1": [0, 1, 3, 5]})  # search, like libsonata
    check(sets, {"mtype": {"$regex": "^L2_"}}, circuit, {"v1": [0, 3]})
    check(sets, {"mtype": {"$regex": "^L2.*C$"}}, circuit, {"v1": [0, 1, 3, 5]})
    check(sets, {"ei": {"$regex": "."}}, circuit, {"v1": [0, 1, 3, 4, 5]})


def test_named_compound_and_recursion(circuit: Circuit) -> None:
    sets = NodeSets({
        "bio": {"model_type": "biophysical"},
        "L5": {"layer": 5},
        "virt": {"population": "lgn"},
        "bio_or_L5": ["bio", "L5"],
        "all_three": ["bio_or_L5", "virt", "bio"],
        "empty": [],
    })
    check(sets, "bio", circuit, {"v1": [0, 1, 2, 3]})
    check(sets, "bio_or_L5", circuit, {"v1": [0, 1, 2, 3, 4]})
    check(sets, "all_three", circuit, {"v1": [0, 1, 2, 3, 4], "lgn": [0, 1, 2]})
    check(sets, ["L5", "virt"], circuit, {"v1": [4], "lgn": [0, 1, 2]})
    check(sets, "empty", circuit, {})
    check(sets, "lgn", circuit, {"lgn": [0, 1, 2]})  # BMTK: a population name is an implicit set
    assert sets.names == ["bio", "L5", "virt", "bio_or_L5", "all_three", "empty"]
    assert "bio" in sets and len(sets) == 6 and list(sets) == sets.names
    assert sets["bio"] == {"model_type": "biophysical"}


def test_defined_set_wins_over_population_name(circuit: Circuit) -> None:
    check(NodeSets({"lgn": {"node_id": [1]}}), "lgn", circuit, {"v1": [1], "lgn": [1]})


def test_attribute_missing_in_some_populations_matches_there_only() -> None:
    a = ArrayPopulation("a", mtype=np.array(["x", "y"]))
    b = ArrayPopulation("b", other=np.array([1, 2, 3]))
    sets = NodeSets({"x": {"mtype": "x"}})
    check(sets, "x", Circuit(a, b), {"a": [0]})
    check(sets, {"node_id": [1]}, Circuit(a, b), {"a": [1], "b": [1]})


def test_non_contiguous_node_ids_are_returned_sorted() -> None:
    pop = ArrayPopulation("p", layer=np.array([1, 2, 1, 2]))
    pop.node_ids = lambda: np.array([30, 10, 20, 40], dtype=np.uint64)  # type: ignore[method-assign]
    check(NodeSets({}), {"layer": 1}, Circuit(pop), {"p": [20, 30]})
    check(NodeSets({}), {"node_id": [10, 11]}, Circuit(pop), {"p": [10]})


def test_materialize_and_mapping_input(circuit: Circuit) -> None:
    sets = NodeSets({"bio": {"model_type": "biophysical"}, "virt": {"population": "lgn"}})
    np.testing.assert_array_equal(sets.materialize("bio", circuit.nodes["v1"]), ids(0, 1, 2, 3))
    assert sets.materialize("virt", circuit.nodes["v1"]).size == 0
    assert set(sets.resolve("bio", circuit.nodes)) == {"v1"}  # a plain mapping of populations works too


def test_columns_read_once_and_only_when_needed(circuit: Circuit) -> None:
    sets = NodeSets({"a": {"layer": 2}, "b": {"layer": 3}, "c": ["a", "b", "a"],
                     "lgn_only": {"population": "lgn", "mtype": "L2_PC"}})
    sets.resolve("c", circuit)
    assert circuit.nodes["v1"].reads == ["layer"]
    sets.resolve("lgn_only", circuit)
    assert "mtype" not in circuit.nodes["v1"].reads  # population excluded: no read


def test_updated_merges_later_over_earlier(circuit: Circuit) -> None:
    base = NodeSets({"a": {"layer": 2}, "b": {"layer": 3}}, source="circuit.json")
    merged = base.updated(NodeSets({"b": {"layer": 4}}, source="sim.json"))
    check(merged, "b", circuit, {"v1": [2]})
    assert merged._source_of("a") == "circuit.json" and merged._source_of("b") == "sim.json"
    check(base.updated({"c": {"layer": 5}}), "c", circuit, {"v1": [4]})


# ---------------------------------------------------------------------------------------------
# errors


def test_unknown_set_lists_known_names(circuit: Circuit) -> None:
    sets = NodeSets({"bio": {"model_type": "biophysical"}, "combo": ["bio", "typo"]}, source="ns.json")
    with pytest.raises(NodeSetError, match="unknown node set 'missing'") as err:
        sets.resolve("missing", circuit)
    assert "'bio'" in str(err.value) and "'combo'" in str(err.value) and "'lgn'" in str(err.value)
    with pytest.raises(NodeSetError, match=r"ns\.json: combo: unknown node set 'typo'"):
        sets.resolve("combo", circuit)
    with pytest.raises(NodeSetError, match="unknown node set"):
        sets["nope"]


def test_cycles_are_detected(circuit: Circuit) -> None:
    sets = NodeSets({"a": ["b"], "b": ["c", "bio"], "c": ["a"], "bio": {"layer": 2}, "self": ["self"]})
    with pytest.raises(NodeSetError, match="cycle: a -> b -> c -> a"):
        sets.resolve("a", circuit)
    with pytest.raises(NodeSetError, match="cycle: self -> self"):
        sets.resolve("self", circuit)


def test_unknown_attribute_names_attribute_and_populations(circuit: Circuit) -> None:
    sets = NodeSets({"failing": {"unknown_property": [0]}}, source="sets.json")
    with pytest.raises(NodeSetError, match=r"sets\.json: failing\.unknown_property: no population has attribute") as err:
        sets.resolve("failing", circuit)
    assert "'lgn'" in str(err.value) and "'v1'" in str(err.value)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ({"layer": None}, "null is not a valid value"),
        ({"layer": [2, None]}, "may hold only strings, numbers and booleans"),
        ({"layer": [[2]]}, "may hold only strings, numbers and booleans"),
        ({"layer": {"$foo": 1}}, "unknown operator '\\$foo'"),
        ({"layer": {}}, "needs at least one operator"),
        ({"layer": {"$gt": "3"}}, "\\$gt needs a number"),
        ({"layer": {"$gt": True}}, "\\$gt needs a number"),
        ({"mtype": {"$gt": 3}}, "\\$gt needs a numeric attribute"),
        ({"layer": {"$regex": "2"}}, "\\$regex needs a string attribute"),
        ({"mtype": {"$regex": 2}}, "\\$regex needs a string pattern"),
        ({"mtype": {"$regex": "("}}, "invalid regular expression"),
        ({"layer": "2"}, "attribute is numeric in population 'v1'"),
        ({"mtype": 2}, "attribute holds strings in population 'v1'"),
        ({"mtype": ["L2_PC", 2]}, "attribute holds strings"),
        ({"node_id": [1.5]}, "node ids must be a list of integers"),
        ({"node_id": [True]}, "node ids must be a list of integers"),
        ({"node_id": [-1]}, "must not be negative"),
        ({"population": 3}, "population must be a name or a list of names"),
        ({"layer": 2 + 3j}, "not a valid condition value"),
        (["bio", 1], "only node-set names or only node ids"),
        ([{"layer": 2}], "only node-set names or only node ids"),
        (None, "not a node-set expression"),
        (3, "not a node-set expression"),
        (True, "not a node-set expression"),
    ],
)
def test_bad_expressions(circuit: Circuit, expression: Any, message: str) -> None:
    with pytest.raises(NodeSetError, match=message):
        NodeSets({"bio": {"model_type": "biophysical"}}).resolve(expression, circuit)


def test_error_labels_inline_expressions(circuit: Circuit) -> None:
    with pytest.raises(NodeSetError, match=r"inputs\.stim\.node_set\.layer: null"):
        NodeSets({}).resolve({"layer": None}, circuit, where="inputs.stim.node_set")


def test_strict_rejects_unknown_population(circuit: Circuit) -> None:
    sets = NodeSets({"typo": {"population": "lng"}})
    assert sets.resolve("typo", circuit) == {}
    with pytest.raises(NodeSetError, match="typo.population: unknown population 'lng'") as err:
        sets.resolve("typo", circuit, strict=True)
    assert "'lgn'" in str(err.value)


def test_bad_definitions_and_files(tmp_path: Path) -> None:
    with pytest.raises(NodeSetError, match="must be a JSON object"):
        NodeSets([1, 2])  # type: ignore[arg-type]
    with pytest.raises(NodeSetError, match="non-empty strings"):
        NodeSets({"": {}})
    bad = tmp_path / "sets.json"
    bad.write_text('{"a": {"layer": 2,}}')
    with pytest.raises(NodeSetError, match=r"sets\.json: invalid JSON at line 1, column 19"):
        NodeSets.from_file(bad)
    with pytest.raises(NodeSetError, match="file not found"):
        NodeSets.from_file(tmp_path / "absent.json")
    with pytest.raises(TypeError, match="circuit must have .nodes"):
        NodeSets({}).resolve({}, 42)


def test_large_population_is_fast() -> None:
    n = 2_000_000
    rng = np.random.default_rng(0)
    pop = ArrayPopulation(
        "big",
        layer=rng.integers(1, 7, n),
        mtype=np.array(["L23_PC", "L4_SS", "L5_TPC", "L6_BC"], dtype=object)[rng.integers(0, 4, n)],
    )
    sets = NodeSets({"s": {"layer": [2, 3], "mtype": {"$regex": "PC$"}, "node_id": list(range(0, n, 3))}})
    result = sets.resolve("s", Circuit(pop))["big"]
    layer, mtype = pop.columns["layer"], pop.columns["mtype"]
    every = np.arange(n)
    expected = every[np.isin(layer, [2, 3]) & np.char.endswith(mtype.astype(str), "PC") & (every % 3 == 0)]
    np.testing.assert_array_equal(result, expected)


# ---------------------------------------------------------------------------------------------
# config integration


def test_from_config_uses_merged_sets_and_sources(testdata: Path) -> None:
    cfg = load_config(testdata / "format/bluepysnap_tests_data/data/simulation_config.json")
    sets = NodeSets.from_config(cfg)
    assert "only_exists_in_simulation" in sets and "Layer2" in sets
    pop = ArrayPopulation("default", layer=np.array([2, 3, 4]))
    check(sets, "Layer23", Circuit(pop), {"default": [0, 1]})
    with pytest.raises(NodeSetError, match=r"node_sets\.json: Node12_L6_Y\.mtype: no population"):
        sets.resolve("Node12_L6_Y", Circuit(pop))


def test_json_round_trip_of_definitions(tmp_path: Path, circuit: Circuit) -> None:
    path = tmp_path / "sets.json"
    path.write_text(json.dumps({"s": {"mtype": {"$regex": "^L2"}}, "t": ["s"]}))
    check(NodeSets.from_file(path), "t", circuit, {"v1": [0, 1, 3, 5]})


# ---------------------------------------------------------------------------------------------
# real files, checked against libsonata

SNAP = "format/bluepysnap_tests_data/data"
LIBSONATA = "format/libsonata_tests_data/data"


def _libsonata_or_error(libsonata: Any, sets_json: str, name: str, population: Any) -> list[int] | None:
    """libsonata's ids for ``name`` on ``population``, or None when libsonata raises."""
    try:
        return libsonata.NodeSets(sets_json).materialize(name, population).flatten().tolist()
    except libsonata.SonataError:
        return None


@pytest.mark.parametrize("sets_file", ["node_sets.json", "node_sets_file.json", "node_sets_simple.json"])
def test_bluepysnap_node_sets_match_libsonata(testdata: Path, sets_file: str) -> None:
    libsonata = pytest.importorskip("libsonata")
    from cantata.sonata.circuit import Circuit

    folder = testdata / SNAP
    circuit = Circuit.from_config(load_config(folder / "circuit_config.json"))
    storage = libsonata.NodeStorage(str(folder / "nodes.h5"))
    text = (folder / sets_file).read_text()
    sets = NodeSets.from_file(folder / sets_file)
    compared = 0
    for name in sets.names:
        expected = {p: _libsonata_or_error(libsonata, text, name, storage.open_population(p))
                    for p in storage.population_names}
        if any(v is None for v in expected.values()):
            with pytest.raises(NodeSetError):  # e.g. "failing": an attribute no population has
                sets.resolve(name, circuit)
            continue
        result = sets.resolve(name, circuit)
        assert {p: result.get(p, np.empty(0)).tolist() for p in expected} == expected, name
        compared += 1
    assert compared >= len(sets.names) - 1


def test_libsonata_node_sets_fail_on_nodes1_as_libsonata_does(testdata: Path) -> None:
    libsonata = pytest.importorskip("libsonata")
    from cantata.sonata.circuit import Circuit

    folder = testdata / LIBSONATA
    circuit = Circuit.from_files(nodes=[{"nodes_file": folder / "nodes1.h5", "populations": {"nodes-A": {}}}])
    text = (folder / "node_sets.json").read_text()
    sets = NodeSets.from_file(folder / "node_sets.json")
    pop = libsonata.NodeStorage(str(folder / "nodes1.h5")).open_population("nodes-A")
    for name in sets.names:  # these sets use attributes nodes1.h5 does not have
        assert _libsonata_or_error(libsonata, text, name, pop) is None
        with pytest.raises(NodeSetError, match="no population has attribute"):
            sets.resolve(name, circuit)


@pytest.mark.parametrize(
    "expression",
    [
        {"attr-Y": [21, 23, 26]},
        {"attr-Y": 22.0},
        {"attr-X": {"$gt": 11.5}},
        {"attr-X": {"$lte": 12.0}},
        {"attr-Y": {"$gte": 24}},
        {"attr-Y": {"$lt": 23}},
        {"attr-Z": "bb"},
        {"attr-Z": ["aa", "cc", "zz"]},
        {"attr-Z": {"$regex": "a"}},
        {"attr-Z": {"$regex": "^[b-d]"}},
        {"attr-Z": {"$regex": "^(aa|ff)$"}},
        {"attr-Z": {"$regex": ""}},
        {"E-mapping-good": "C"},
        {"E-mapping-good": {"$regex": "^[AC]"}},
        {"node_id": [4, 0, 2, 100]},
        {"population": "nodes-A", "attr-Y": {"$lte": 23}, "node_id": [1, 2, 5]},
        {"population": ["nodes-B"], "attr-Y": 21},
    ],
)
def test_inline_sets_on_nodes1_match_libsonata(testdata: Path, expression: dict[str, Any]) -> None:
    libsonata = pytest.importorskip("libsonata")
    from cantata.sonata.circuit import Circuit

    path = testdata / LIBSONATA / "nodes1.h5"
    population = Circuit.from_files(nodes=[{"nodes_file": path, "populations": {"nodes-A": {}}}]).nodes["nodes-A"]
    pop = libsonata.NodeStorage(str(path)).open_population("nodes-A")
    expected = _libsonata_or_error(libsonata, json.dumps({"s": expression}), "s", pop)
    assert expected is not None
    assert NodeSets({"s": expression}).materialize("s", population).tolist() == expected


def test_300_intfire_node_sets_with_csv_attributes(testdata: Path) -> None:
    from cantata.sonata.circuit import Circuit

    cfg = load_config(testdata / "sonata-examples/300_intfire/config.json")
    circuit = Circuit.from_config(cfg)
    sets = NodeSets.from_config(cfg)
    sizes = {name: pop.size for name, pop in circuit.nodes.items()}
    lgn = sets.resolve("LGN", circuit)
    assert list(lgn) == ["lgn"] and lgn["lgn"].tolist() == list(range(sizes["lgn"]))
    assert {k: len(v) for k, v in sets.resolve("TW", circuit).items()} == {"tw": sizes["tw"]}
    # the inputs name populations ("lgn", "tw"), which BMTK treats as node sets
    for name, block in cfg.inputs.items():
        (pop,) = sets.resolve(block["node_set"], circuit, where=f"inputs.{name}.node_set")
        assert pop == block["node_set"]
    # model_type and ei live only in the node-types CSVs
    assert {k: len(v) for k, v in sets.resolve({"model_type": "virtual"}, circuit).items()} == {
        "lgn": sizes["lgn"], "tw": sizes["tw"]}
    inhibitory = sets.resolve({"population": "v1", "ei": "i"}, circuit)
    assert len(inhibitory["v1"]) == 60
    assert len(sets.resolve({"model_type": "point_process", "ei": "e"}, circuit)["v1"]) == 240
    assert len(sets.resolve({"location": {"$regex": "^Vis"}}, circuit)["v1"]) == 300


def test_5_cells_biophysical_set(testdata: Path) -> None:
    from cantata.sonata.circuit import Circuit

    cfg = load_config(testdata / "sonata-examples/5_cells_iclamp/config.json")
    circuit = Circuit.from_config(cfg)
    result = NodeSets.from_config(cfg).resolve("biophys_cells", circuit)
    ((name, found),) = result.items()
    assert found.tolist() == list(range(circuit.nodes[name].size)) and len(found) == 5
