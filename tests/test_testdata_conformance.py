"""The circuit reader against real SONATA files written by other tools.

* every node/edge file in the shared test data opens and every attribute reads;
* the BBP use cases agree with the ``*.h5.txt`` dumps shipped beside them (parsed here);
* values agree with libsonata wherever libsonata reads the population;
* the Allen examples come back with their types-CSV attributes merged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from cantata.errors import FormatError
from cantata.sonata.circuit import Circuit, EdgePopulation, NodePopulation, population_names

TESTDATA = Path(__file__).resolve().parents[1].parent / "shared" / "testdata"
USECASES = TESTDATA / "format" / "bbp_sonata_usecases" / "usecases"

# Deliberately malformed fixtures of libsonata's own test suite, and the error each must give.
KNOWN_BAD_POPULATIONS = {
    ("libsonata_tests_data/data/nodes1.h5", "nodes-B"): "/nodes/nodes-B/node_type_id",
    ("libsonata_tests_data/data/edges1.h5", "edges-AC"): "/edges/edges-AC/source_node_id",
}
KNOWN_BAD_ATTRIBUTES = {
    # HDF5 enum column with 2 rows for 6 edges/nodes; @library codes -1 and 3 for a 3-entry library
    "A-enum": "shorter than the population",
    "E-mapping-bad": "@library index out of range",
}
# bluepysnap's edges_single_pop.h5 has 0 source/target ids but a 1-row edge_type_id.
KNOWN_BAD_TYPE_IDS = {"bluepysnap_tests_data/data/edges_single_pop.h5"}


def _circuit_files() -> list[tuple[Path, str]]:
    found = []
    for path in sorted([*(TESTDATA / "format").rglob("*.h5"), *(TESTDATA / "sonata-examples").rglob("*.h5")]):
        if not h5py.is_hdf5(path):
            continue
        with h5py.File(path, "r") as h5:
            found.extend((path, kind) for kind in ("nodes", "edges") if kind in h5)
    return found


CIRCUIT_FILES = _circuit_files()


def _label(path: Path) -> str:
    return str(path.relative_to(TESTDATA / "format" if "format" in path.parts else TESTDATA))


def _open(path: Path, kind: str, name: str) -> NodePopulation | EdgePopulation:
    cls = NodePopulation if kind == "nodes" else EdgePopulation
    return cls(path, name)


# ----------------------------------------------------------------------------- all files
def test_testdata_has_circuit_files() -> None:
    assert len(CIRCUIT_FILES) >= 40


@pytest.mark.parametrize(("path", "kind"), CIRCUIT_FILES, ids=[f"{_label(p)}:{k}" for p, k in CIRCUIT_FILES])
def test_every_population_opens_and_reads(path: Path, kind: str) -> None:
    label = _label(path)
    for name in population_names(path, kind):
        bad_key = KNOWN_BAD_POPULATIONS.get((label, name))
        if bad_key:
            with pytest.raises(FormatError, match="missing required dataset") as info:
                _open(path, kind, name)
            assert info.value.file == str(path) and info.value.key == bad_key
            continue
        with _open(path, kind, name) as pop:
            assert pop.size == len(pop)
            for attribute in sorted(pop.attribute_names):
                if attribute in KNOWN_BAD_ATTRIBUTES:
                    with pytest.raises(FormatError, match=KNOWN_BAD_ATTRIBUTES[attribute]) as info:
                        pop.get_attribute(attribute)
                    assert attribute in info.value.key
                    continue
                if attribute == pop.type_id_column and label in KNOWN_BAD_TYPE_IDS:
                    with pytest.raises(FormatError, match="length differs"):
                        pop.get_attribute(attribute)
                    continue
                values = pop.get_attribute(attribute)
                assert len(values) == pop.size, attribute
                assert values.dtype.kind in "biufO", (attribute, values.dtype)
            for param, values in pop.dynamics_params().items():
                assert len(values) == pop.size, param
            if kind == "nodes":
                ids = pop.node_ids()
                assert ids.dtype == np.int64 and len(ids) == pop.size
            else:
                src, tgt = pop.source_node_ids(), pop.target_node_ids()
                assert src.dtype == tgt.dtype == np.int64
                _check_afferent_efferent(pop, src, tgt)


def _check_afferent_efferent(pop: EdgePopulation, src: np.ndarray, tgt: np.ndarray) -> None:
    """Index-based (when present) and computed lookups agree with the source/target columns."""
    nodes = np.unique(np.concatenate([src, tgt, [0]]))[:50]
    for node in nodes:
        np.testing.assert_array_equal(pop.afferent_edges([node]), np.flatnonzero(tgt == node))
        np.testing.assert_array_equal(pop.efferent_edges([node]), np.flatnonzero(src == node))
    np.testing.assert_array_equal(pop.afferent_edges(nodes), np.flatnonzero(np.isin(tgt, nodes)))


# ------------------------------------------------------------------------ h5dump dumps
@dataclass
class DumpedDataset:
    type: str
    shape: tuple[int, ...] | None
    values: list = field(default_factory=list)
    attrs: dict[str, DumpedDataset] = field(default_factory=dict)

    def array(self) -> np.ndarray:
        if self.type.startswith("H5T_STRING"):
            data = np.array(self.values, dtype=object)
        elif "IEEE" in self.type:
            data = np.array(self.values, dtype=np.float64)
        else:
            data = np.array(self.values, dtype=np.int64)
        return data.reshape(self.shape) if self.shape else data


def parse_h5dump(text: str) -> dict[str, DumpedDataset]:
    """Datasets of an ``h5dump`` text dump keyed by their HDF5 path."""
    lines = [line.strip() for line in text.splitlines()]
    out: dict[str, DumpedDataset] = {}

    def quoted(line: str) -> str:
        return line.split('"')[1]

    def parse_object(i: int) -> tuple[DumpedDataset, int]:
        entry = DumpedDataset(type="", shape=None)
        while True:
            line = lines[i]
            if line.startswith("DATATYPE"):
                entry.type = line.split()[1]
                if line.endswith("{"):
                    while lines[i] != "}":
                        i += 1
            elif line.startswith("DATASPACE"):
                if "SCALAR" in line:
                    entry.shape = ()
                elif "SIMPLE" in line:
                    dims = line.split("(")[1].split(")")[0]
                    entry.shape = tuple(int(d) for d in dims.split(","))
            elif line.startswith("DATA {"):
                i += 1
                chunk = []
                while lines[i] != "}":
                    chunk.append(lines[i])
                    i += 1
                body = " ".join(chunk)
                if entry.type.startswith("H5T_STRING"):
                    entry.values = re.findall(r'"((?:[^"\\]|\\.)*)"', body)
                else:
                    entry.values = [float(v) for v in re.split(r"[,\s]+", body) if v]
            elif line.startswith('ATTRIBUTE "'):
                attr, i = parse_object(i + 1)
                entry.attrs[quoted(line)] = attr
                continue
            elif line == "}":
                return entry, i + 1
            i += 1

    def parse_group(i: int, path: str) -> int:
        while i < len(lines):
            line = lines[i]
            if line.startswith('GROUP "'):
                name = quoted(line)
                i = parse_group(i + 1, "" if name == "/" else f"{path}/{name}")
            elif line.startswith('DATASET "'):
                entry, i = parse_object(i + 1)
                out[f"{path}/{quoted(line)}"] = entry
            elif line.startswith('ATTRIBUTE "'):
                _, i = parse_object(i + 1)
            elif line == "}":
                return i + 1
            else:
                i += 1
        return i

    parse_group(0, "")
    return out


def test_parse_h5dump_reads_shapes_strings_and_attributes() -> None:
    dump = parse_h5dump((USECASES / "usecase1" / "edges.h5.txt").read_text())
    src = dump["/edges/nodeA__nodeA__chemical/source_node_id"]
    assert src.array().tolist() == [0, 0, 1, 1]
    assert src.attrs["node_population"].values == ["nodeA"]
    ranges = dump["/edges/nodeA__nodeA__chemical/indices/target_to_source/range_to_edge_id"]
    assert ranges.array().tolist() == [[2, 4], [0, 2]]


CIRCUIT_PATHS = {path for path, _ in CIRCUIT_FILES}
USECASE_DUMPS = sorted(p for p in USECASES.rglob("*.h5.txt") if p.with_suffix("") in CIRCUIT_PATHS)


def _assert_values(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    assert actual.shape == expected.shape, what
    if expected.dtype == object:
        assert actual.tolist() == expected.tolist(), what
    else:
        np.testing.assert_allclose(actual.astype(np.float64), expected, rtol=2e-5, atol=1e-6, err_msg=what)


def _split_dump(dump: dict[str, DumpedDataset], root: str) -> dict[str, dict[str, DumpedDataset]]:
    pops: dict[str, dict[str, DumpedDataset]] = {}
    for path, entry in dump.items():
        parts = path.split("/")
        if len(parts) > 3 and parts[1] == root:
            pops.setdefault(parts[2], {})["/".join(parts[3:])] = entry
    return pops


@pytest.mark.parametrize("dump_path", USECASE_DUMPS, ids=[str(p.relative_to(USECASES)) for p in USECASE_DUMPS])
def test_usecase_matches_h5dump(dump_path: Path) -> None:
    h5_path = dump_path.with_suffix("")
    dump = parse_h5dump(dump_path.read_text())
    checked = 0
    for root, cls in (("nodes", NodePopulation), ("edges", EdgePopulation)):
        for name, datasets in _split_dump(dump, root).items():
            with cls(h5_path, name) as pop:
                checked += _compare_population(pop, datasets)
    assert checked > 0


def _compare_population(pop: NodePopulation | EdgePopulation, datasets: dict[str, DumpedDataset]) -> int:
    prefix = pop.type_id_column.split("_")[0]
    type_ids = datasets[pop.type_id_column].array()
    assert pop.size == len(type_ids)
    np.testing.assert_array_equal(pop.get_attribute(pop.type_id_column), type_ids)
    if isinstance(pop, NodePopulation):
        expected_ids = datasets["node_id"].array() if "node_id" in datasets else np.arange(pop.size)
        np.testing.assert_array_equal(pop.node_ids(), expected_ids)
    else:
        for side, dataset in (("source", "source_node_id"), ("target", "target_node_id")):
            assert getattr(pop, side) == datasets[dataset].attrs["node_population"].values[0]
        src = datasets["source_node_id"].array()
        tgt = datasets["target_node_id"].array()
        np.testing.assert_array_equal(pop.source_node_ids(), src)
        np.testing.assert_array_equal(pop.target_node_ids(), tgt)
        _compare_index(pop, datasets, src, tgt)
    columns = {k[2:]: v for k, v in datasets.items() if k.startswith("0/") and k.count("/") == 1}
    library = {k[len("0/@library/"):]: v for k, v in datasets.items() if k.startswith("0/@library/")}
    dynamics = {k[len("0/dynamics_params/"):]: v for k, v in datasets.items() if k.startswith("0/dynamics_params/")}
    assert pop.attribute_names == set(columns) | {f"{prefix}_type_id"}
    assert pop.enumeration_names == set(library) & set(columns)
    reversed_ids = np.arange(pop.size)[::-1]
    for name, entry in columns.items():
        expected = entry.array()
        if name in library:
            codes = expected.astype(np.int64)
            np.testing.assert_array_equal(pop.get_enumeration(name), codes)
            assert pop.enumeration_values(name).tolist() == library[name].values
            expected = library[name].array()[codes]
        _assert_values(pop.get_attribute(name), expected, name)
        _assert_values(pop.get_attribute(name, reversed_ids), expected[reversed_ids], name)
    params = pop.dynamics_params()
    assert set(params) == set(dynamics)
    for name, entry in dynamics.items():
        _assert_values(params[name], entry.array(), f"dynamics_params/{name}")
    return 1


def _compare_index(pop: EdgePopulation, datasets: dict[str, DumpedDataset], src: np.ndarray, tgt: np.ndarray) -> None:
    for direction, method, keys in (
        ("target_to_source", pop.afferent_edges, tgt),
        ("source_to_target", pop.efferent_edges, src),
    ):
        ranges_key = f"indices/{direction}/node_id_to_ranges"
        if ranges_key not in datasets:
            continue
        assert pop.has_index(direction)
        node_ranges = datasets[ranges_key].array()
        edge_ranges = datasets[f"indices/{direction}/range_to_edge_id"].array()
        for node, (start, stop) in enumerate(node_ranges):
            expected = sorted(e for a, b in edge_ranges[start:stop] for e in range(a, b))
            assert method([node]).tolist() == expected
            assert expected == np.flatnonzero(keys == node).tolist()


# ---------------------------------------------------------------------------- libsonata
try:
    import libsonata
except ImportError:  # pragma: no cover - libsonata is part of the dev environment
    libsonata = None
needs_libsonata = pytest.mark.skipif(libsonata is None, reason="libsonata not installed")


def _libsonata_population(path: Path, kind: str, name: str):
    storage = (libsonata.NodeStorage if kind == "nodes" else libsonata.EdgeStorage)(str(path))
    try:
        return storage.open_population(name)
    except libsonata.SonataError:
        return None  # e.g. multi-group populations, which libsonata refuses


def _h5_shape(path: Path, dataset: str):
    with h5py.File(path, "r") as h5:
        return h5[dataset].shape


@needs_libsonata
@pytest.mark.parametrize(("path", "kind"), CIRCUIT_FILES, ids=[f"{_label(p)}:{k}" for p, k in CIRCUIT_FILES])
def test_values_agree_with_libsonata(path: Path, kind: str) -> None:
    compared = 0
    for name in population_names(path, kind):
        theirs = _libsonata_population(path, kind, name)
        if theirs is None or (_label(path), name) in KNOWN_BAD_POPULATIONS:
            continue
        compared += 1
        if _label(path) in KNOWN_BAD_TYPE_IDS:
            # libsonata sizes it by edge_type_id (1 row), we by source_node_id (0 rows)
            with _open(path, kind, name) as ours:
                assert (ours.size, theirs.size) == (0, 1)
            continue
        with _open(path, kind, name) as ours:
            assert ours.size == theirs.size
            everything = theirs.select_all()
            for attribute in sorted(theirs.attribute_names):
                if attribute not in ours.attribute_names:
                    # only datasets that hold no per-row values are left out
                    assert not _h5_shape(path, f"{ours.h5_path}/0/{attribute}")
                    continue
                try:
                    expected = np.asarray(theirs.get_attribute(attribute, everything))
                except (libsonata.SonataError, RuntimeError):
                    if attribute in KNOWN_BAD_ATTRIBUTES:
                        with pytest.raises(FormatError):
                            ours.get_attribute(attribute)
                    else:  # libsonata reads one-dimensional datasets only
                        assert ours.get_attribute(attribute).ndim > 1
                    continue
                actual = ours.get_attribute(attribute)
                if expected.dtype.kind in "OUS":
                    assert actual.tolist() == expected.tolist(), attribute
                else:
                    np.testing.assert_array_equal(actual, expected, err_msg=attribute)
            for attribute in theirs.enumeration_names:
                assert attribute in ours.enumeration_names
                assert ours.enumeration_values(attribute).tolist() == list(theirs.enumeration_values(attribute))
                np.testing.assert_array_equal(ours.get_enumeration(attribute), theirs.get_enumeration(attribute, everything))
            ours_params = ours.dynamics_params()
            for param in theirs.dynamics_attribute_names:
                expected = np.asarray(theirs.get_dynamics_attribute(param, everything))
                assert ours_params[param].tolist() == expected.tolist(), param
            if kind == "edges":
                _compare_edges_with_libsonata(ours, theirs, everything)
    if compared == 0:
        pytest.skip("libsonata reads no population of this file")


def _compare_edges_with_libsonata(ours: EdgePopulation, theirs, everything) -> None:
    assert (ours.source, ours.target) == (theirs.source, theirs.target)
    np.testing.assert_array_equal(ours.source_node_ids(), theirs.source_nodes(everything))
    np.testing.assert_array_equal(ours.target_node_ids(), theirs.target_nodes(everything))
    nodes = np.unique(np.concatenate([ours.source_node_ids(), ours.target_node_ids()]))[:20].tolist()
    for node in nodes:
        try:
            afferent = theirs.afferent_edges([node]).flatten()
            efferent = theirs.efferent_edges([node]).flatten()
        except (libsonata.SonataError, RuntimeError):
            return  # BMTK index names (node_id_to_range) are unknown to libsonata
        np.testing.assert_array_equal(ours.afferent_edges([node]), np.sort(afferent))
        np.testing.assert_array_equal(ours.efferent_edges([node]), np.sort(efferent))


@needs_libsonata
def test_libsonata_refuses_what_we_read() -> None:
    """Multi-group populations (pysonata v1) are read here although libsonata cannot."""
    path = TESTDATA / "format" / "pysonata_tests_data" / "circuit" / "examples" / "v1_nodes.h5"
    assert _libsonata_population(path, "nodes", "v1") is None
    with NodePopulation(path, "v1") as pop:
        assert pop.get_attribute("positions").shape == (449, 3)


# -------------------------------------------------------------------- Allen examples (CSV)
EXAMPLES = TESTDATA / "sonata-examples"


def _expected_from_csv(h5: Path, population: str, csv: Path, column: str) -> list:
    table = pd.read_csv(csv, sep=r"\s+", dtype=str, keep_default_na=False)
    id_column = table.columns[0]
    by_type = dict(zip(table[id_column].astype(int), table[column]))
    with h5py.File(h5, "r") as f:
        type_ids = f[f"/nodes/{population}/node_type_id"][()]
    return [by_type[int(t)] for t in type_ids]


def test_300_intfire_merges_node_types() -> None:
    net = EXAMPLES / "300_intfire" / "network"
    circuit = Circuit.from_files(
        nodes=[(net / f"{p}_nodes.h5", net / f"{p}_node_types.csv") for p in ("v1", "lgn", "tw")],
        edges=[(net / f"{p}_edges.h5", net / f"{p}_edge_types.csv") for p in ("v1_v1", "lgn_v1", "tw_v1")],
    )
    with circuit:
        assert set(circuit.nodes) == {"v1", "lgn", "tw"}
        v1 = circuit.nodes["v1"]
        assert v1.size == 300
        for column in ("model_type", "model_template", "dynamics_params", "ei", "model_name"):
            expected = _expected_from_csv(net / "v1_nodes.h5", "v1", net / "v1_node_types.csv", column)
            assert v1.get_attribute(column).tolist() == expected, column
        assert (v1.get_attribute("model_template") == "nrn:IntFire1").all()
        assert set(v1.get_attribute("dynamics_params")) == {"IntFire1_exc_1.json", "IntFire1_inh_1.json"}
        assert (circuit.nodes["lgn"].get_attribute("model_type") == "virtual").all()
        lgn_x = circuit.nodes["lgn"].get_attribute("x")
        assert lgn_x.dtype == np.float64 and len(lgn_x) == 90
        assert v1.missing_type_ids().size == 0
        assert (v1.get_attribute("ei") == "e").sum() == 240
        edges = circuit.edges["v1_to_v1"]
        assert (edges.source, edges.target, edges.size) == ("v1", "v1", 61560)
        weights = edges.get_attribute("syn_weight")
        assert weights.dtype == np.float64 and set(np.unique(weights)) <= {0.01, 0.15, 0.3, 0.002}
        assert set(edges.get_attribute("dynamics_params")) <= {"instanteneousExc.json", "instanteneousInh.json"}
        assert circuit.edges["lgn_to_v1"].get_attribute("nsyns").sum() > 0
        assert circuit.edges["tw_to_v1"].source == "tw"
        frame = v1.to_dataframe()
        assert frame.index.name == "node_id" and frame["model_type"].dtype == object


def test_5_cells_merges_node_types() -> None:
    net = EXAMPLES / "5_cells_iclamp" / "network"
    h5, csv = net / "biophysical_nodes.h5", net / "biophysical_node_types.csv"
    with Circuit.from_files(nodes=[(h5, csv)]) as circuit:
        cells = circuit.nodes["biophysical"]
        assert cells.size == 5
        for column in ("model_template", "morphology", "model_processing", "model_name", "model_type"):
            assert cells.get_attribute(column).tolist() == _expected_from_csv(h5, "biophysical", csv, column)
        assert cells.get_attribute("model_template")[0].startswith("nml:")
        assert cells.get_attribute("x").dtype == np.float64


def test_300_intfire_from_config() -> None:
    config_module = pytest.importorskip("cantata.sonata.config")
    config = config_module.load_config(EXAMPLES / "300_intfire" / "circuit_config.json")
    with Circuit.from_config(config) as circuit:
        assert set(circuit.nodes) == {"v1", "lgn", "tw"}
        assert set(circuit.edges) == {"v1_to_v1", "lgn_to_v1", "tw_to_v1"}
        assert (circuit.nodes["v1"].get_attribute("model_type") == "point_process").all()


def test_bluepysnap_config_populations() -> None:
    config_module = pytest.importorskip("cantata.sonata.config")
    config = config_module.load_config(TESTDATA / "format" / "bluepysnap_tests_data" / "data" / "circuit_config.json")
    with Circuit.from_config(config) as circuit:
        assert set(circuit.nodes) == {"default", "default2"}
        assert circuit.nodes["default"].config.get("type") == "biophysical"
        assert circuit.edges["default2"].config.get("spatial_synapse_index_dir")
