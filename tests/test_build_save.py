"""Saved networks: BMTK's file names and layouts, row semantics, types tables, interop with
Cantata's reader, libsonata and bluepysnap, overwrite rules and all-or-nothing saving."""

from __future__ import annotations

import os

import h5py
import numpy as np
import pytest

from cantata.build import (
    FixedInDegree,
    NetworkBuilder,
    Normal,
    Probability,
    positions_box,
)
from cantata.errors import BuildError
from cantata.sonata.circuit import Circuit
from cantata.sonata.types_table import read_types_csv
from cantata.sonata.write import write_circuit_config


def _cortex_thalamus(seed: int = 0):
    cortex = NetworkBuilder("cortex", seed=seed)
    cortex.add_nodes(N=40, pop_name="Scnn1a", ei="e", model_type="biophysical", model_template="ctdb:Biophys1.hoc",
                     model_processing="aibs_perisomatic", morphology="Scnn1a.swc", dynamics_params="472363762_fit.json",
                     positions=positions_box(40, seed=1), rotation_angle_yaxis=np.linspace(0, 1, 40))
    cortex.add_nodes(N=10, pop_name="PV", ei="i", model_type="point_process", model_template="nrn:IntFire1",
                     dynamics_params="IntFire1_inh.json", positions=positions_box(10, seed=2))
    thalamus = NetworkBuilder("thalamus", seed=seed)
    thalamus.add_nodes(N=20, pop_name="tON", model_type="virtual")
    # pair rows (nsyns), one edge type per call
    cortex.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=FixedInDegree(5, nsyns=3),
                     syn_weight=0.002, delay=2.0, dynamics_params="AMPA_ExcToInh.json", model_template="exp2syn")
    # per-synapse rows (add_properties)
    cm = cortex.add_edges(source={"ei": "i"}, target={"ei": "e"}, connection_rule=Probability(0.3, nsyns=2),
                          delay=1.0, dynamics_params="GABA_InhToExc.json", model_template="exp2syn",
                          target_sections=["somatic", "basal"], distance_range=[0.0, 50.0])
    cm.add_properties("syn_weight", rule=Normal(1e-3, 1e-4, low=0.0), dtypes=np.float64)
    thalamus.add_edges(source={"pop_name": "tON"}, target=cortex.nodes(ei="e"), connection_rule=5,
                       syn_weight=5e-5, delay=2.0, weight_function=None, target_sections=["basal", "apical"],
                       distance_range=[0.0, 150.0], dynamics_params="AMPA_ExcToExc.json", model_template="exp2syn")
    return cortex, thalamus


@pytest.fixture
def saved(tmp_path):
    cortex, thalamus = _cortex_thalamus()
    cortex.save(tmp_path)
    thalamus.save(tmp_path)
    return tmp_path, cortex, thalamus


def test_file_names_and_populations(saved):
    out, _, _ = saved
    assert sorted(p.name for p in out.iterdir()) == [
        "cortex_cortex_edge_types.csv", "cortex_cortex_edges.h5", "cortex_node_types.csv", "cortex_nodes.h5",
        "thalamus_cortex_edge_types.csv", "thalamus_cortex_edges.h5", "thalamus_node_types.csv",
        "thalamus_nodes.h5"]
    with h5py.File(out / "thalamus_cortex_edges.h5") as h5:
        pop = h5["edges/thalamus_to_cortex"]
        assert pop["source_node_id"].attrs["node_population"] == "thalamus"
        assert pop["target_node_id"].attrs["node_population"] == "cortex"
        assert pop["0/nsyns"][:].tolist() == [5] * (20 * 40)


def test_node_ids_contiguous_and_positions_as_xyz(saved):
    out, cortex, _ = saved
    with h5py.File(out / "cortex_nodes.h5") as h5:
        pop = h5["nodes/cortex"]
        assert pop["node_id"][:].tolist() == list(range(50))
        assert pop["node_group_index"][:].tolist() == list(range(50))
        assert set(pop["0"]) == {"x", "y", "z", "rotation_angle_yaxis"}
        assert np.allclose(pop["0/x"][:40], cortex._store.column("positions")[0][:40, 0])
        assert np.all(pop["0/rotation_angle_yaxis"][40:] == 0.0)  # missing rotation axis = 0
    with h5py.File(out / "thalamus_nodes.h5") as h5:
        assert h5["nodes/thalamus/node_id"][:].tolist() == list(range(20))
        assert len(h5["nodes/thalamus/0"]) == 0  # virtual: everything in the CSV


def test_node_types_csv(saved):
    out, _cortex, _thalamus = saved
    text = (out / "cortex_node_types.csv").read_text().splitlines()
    assert text[0].split(" ")[:3] == ["node_type_id", "pop_name", "ei"]
    table = read_types_csv(out / "cortex_node_types.csv")
    assert table["model_processing"].tolist() == ["aibs_perisomatic", None]  # NULL for the point type
    assert table["model_template"].tolist() == ["ctdb:Biophys1.hoc", "nrn:IntFire1"]
    ids = set(table["node_type_id"]) | set(read_types_csv(out / "thalamus_node_types.csv")["node_type_id"])
    assert len(ids) == 3  # unique across networks


def test_edge_types_csv_columns(saved):
    out, cortex, _ = saved
    header = (out / "thalamus_cortex_edge_types.csv").read_text().splitlines()[0].split(" ")
    assert header[:3] == ["edge_type_id", "target_query", "source_query"]
    table = read_types_csv(out / "thalamus_cortex_edge_types.csv")
    row = table.iloc[0]
    assert row["source_query"] == "pop_name=='tON'" and row["target_query"] == "ei=='e'"
    assert row["target_sections"] == "['basal', 'apical']" and row["distance_range"] == "[0.0, 150.0]"
    assert row["weight_function"] is None and row["model_template"] == "exp2syn"
    assert row["syn_weight"] == 5e-5 and row["delay"] == 2.0
    cc = read_types_csv(out / "cortex_cortex_edge_types.csv")
    assert cc["edge_type_id"].tolist() == [m.edge_type_id for m in cortex.get_connections()]
    assert cc["dynamics_params"].tolist() == ["AMPA_ExcToInh.json", "GABA_InhToExc.json"]


def test_nsyns_rows_versus_synapse_rows(saved):
    out, cortex, _ = saved
    first, second = cortex.get_connections()
    with h5py.File(out / "cortex_cortex_edges.h5") as h5:
        pop = h5["edges/cortex_to_cortex"]
        type_ids = pop["edge_type_id"][:]
        nsyns = pop["0/nsyns"][:]
        weights = pop["0/syn_weight"][:]
        src, trg = pop["source_node_id"][:], pop["target_node_id"][:]
    pair_rows = type_ids == first.edge_type_id
    assert pair_rows.sum() == 10 * 5 and np.all(nsyns[pair_rows] == 3)  # one row per pair
    assert np.all(weights[pair_rows] == 0.002)  # edge-type value repeated for the one h5 group
    syn_rows = type_ids == second.edge_type_id
    assert np.all(nsyns[syn_rows] == 1)  # one row per synapse
    pairs = src[syn_rows] * 100 + trg[syn_rows]
    assert np.all(np.unique(pairs, return_counts=True)[1] == 2)  # each pair's 2 synapses are 2 rows
    assert np.all(weights[syn_rows] > 0) and np.unique(weights[syn_rows]).size == syn_rows.sum()
    assert np.all(np.diff(trg) >= 0)  # sorted by target, as BMTK writes


def test_only_synapse_rows_have_no_nsyns(tmp_path):
    net = NetworkBuilder("solo")
    net.add_nodes(N=5)
    cm = net.add_edges(connection_rule=lambda s, t: 2 if s.node_id < t.node_id else 0)
    cm.add_properties(["sec_id", "sec_x"], rule=lambda s, t: (s.node_id, 0.5), dtypes=[np.int32, np.float32])
    net.save(tmp_path)
    with h5py.File(tmp_path / "solo_solo_edges.h5") as h5:
        group = h5["edges/solo_to_solo/0"]
        assert set(group) == {"sec_id", "sec_x"}
        assert group["sec_id"].dtype == np.int32 and group["sec_x"].dtype == np.float32
        assert group["sec_id"].shape[0] == 2 * 10


def test_read_back_with_cantata_reader(saved):
    out, _cortex, thalamus = saved
    circuit = Circuit.from_files(
        nodes=[(out / "cortex_nodes.h5", out / "cortex_node_types.csv"),
               (out / "thalamus_nodes.h5", out / "thalamus_node_types.csv")],
        edges=[(out / "cortex_cortex_edges.h5", out / "cortex_cortex_edge_types.csv"),
               (out / "thalamus_cortex_edges.h5", out / "thalamus_cortex_edge_types.csv")])
    with circuit:
        nodes = circuit.nodes["cortex"]
        assert nodes.size == 50
        assert nodes.get_attribute("model_type").tolist() == ["biophysical"] * 40 + ["point_process"] * 10
        edges = circuit.edges["thalamus_to_cortex"]
        assert (edges.source, edges.target, edges.size) == ("thalamus", "cortex", 800)
        assert np.all(edges.get_attribute("syn_weight") == 5e-5)
        built = thalamus.edges()
        got = set(zip(edges.source_node_ids().tolist(), edges.target_node_ids().tolist()))
        assert got == set(zip(built["source_node_id"].tolist(), built["target_node_id"].tolist()))


def test_read_back_with_libsonata_and_bluepysnap(saved):
    libsonata = pytest.importorskip("libsonata")
    bluepysnap = pytest.importorskip("bluepysnap")
    out, _cortex, _ = saved
    edges = libsonata.EdgeStorage(str(out / "cortex_cortex_edges.h5")).open_population("cortex_to_cortex")
    assert edges.source == "cortex" and {"nsyns", "syn_weight"} <= set(edges.attribute_names)
    target = 45  # an inhibitory cell with 5 sources
    afferent = edges.afferent_edges([target])
    nsyns = np.asarray(edges.get_attribute("nsyns", afferent))
    assert afferent.flat_size == 5 and np.all(nsyns == 3)  # its 5 excitatory pair rows
    assert set(np.asarray(edges.source_nodes(afferent)).tolist()) <= set(range(40))
    nodes = libsonata.NodeStorage(str(out / "cortex_nodes.h5")).open_population("cortex")
    assert nodes.size == 50 and {"x", "y", "z"} <= set(nodes.attribute_names)
    config = write_circuit_config(
        out / "circuit_config.json",
        nodes=[(out / "cortex_nodes.h5", out / "cortex_node_types.csv"),
               (out / "thalamus_nodes.h5", out / "thalamus_node_types.csv")],
        edges=[(out / "cortex_cortex_edges.h5", out / "cortex_cortex_edge_types.csv"),
               (out / "thalamus_cortex_edges.h5", out / "thalamus_cortex_edge_types.csv")])
    circuit = bluepysnap.Circuit(str(config))
    assert set(circuit.nodes.population_names) == {"cortex", "thalamus"}
    frame = circuit.edges["thalamus_to_cortex"].get(list(range(5)), properties=["nsyns", "@source_node"])
    assert frame["nsyns"].tolist() == [5] * 5  # (edge-type values live in the CSV, which bluepysnap ignores)
    weights = circuit.edges["cortex_to_cortex"].get(list(range(10)), properties=["syn_weight"])["syn_weight"]
    assert np.all(weights > 0)
    assert len(circuit.edges["cortex_to_cortex"].afferent_edges(target)) >= 5


def test_existing_files_error_and_nothing_changes(saved):
    out, cortex, _ = saved
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    with pytest.raises(BuildError) as err:
        cortex.save(out)
    text = str(err.value)
    assert "cortex.save(overwrite)" in text and "cortex_nodes.h5" in text
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    cortex.save(out, overwrite=True)
    cortex.save(out, force_overwrite=True)  # BMTK's name
    assert sorted(p.name for p in out.iterdir()) == sorted(before)  # no staging leftovers


def test_failed_save_writes_nothing(tmp_path):
    net = NetworkBuilder("half")
    net.add_nodes(N=4)
    cm1 = net.add_edges(connection_rule=1)
    cm1.add_properties("tag", rule="text")
    cm2 = net.add_edges(connection_rule=1)
    cm2.add_properties("tag", rule=1.5)
    with pytest.raises(BuildError, match="text in one add_edges call and numeric"):
        net.save(tmp_path / "out")
    assert not any((tmp_path / "out").iterdir())  # the nodes file was staged, then removed


def test_unfillable_node_columns_use_bmtk_groups(tmp_path):
    net = NetworkBuilder("groups")
    net.add_nodes(N=3, model_type="biophysical", morphology=["a.swc", "b.swc", "c.swc"])
    net.add_nodes(N=2, model_type="point_process", tau=np.array([1, 2]))
    net.save(tmp_path)
    with h5py.File(tmp_path / "groups_nodes.h5") as h5:
        pop = h5["nodes/groups"]
        assert pop["node_group_id"][:].tolist() == [0, 0, 0, 1, 1]
        assert pop["node_group_index"][:].tolist() == [0, 1, 2, 0, 1]
        assert set(pop["0"]) == {"morphology"} and set(pop["1"]) == {"tau"}
    with Circuit.from_files(nodes=[(tmp_path / "groups_nodes.h5", tmp_path / "groups_node_types.csv")]) as c:
        assert c.nodes["groups"].get_attribute("morphology", [0, 2]).tolist() == ["a.swc", "c.swc"]


def test_dynamics_params_in_h5_and_compression(tmp_path):
    net = NetworkBuilder("dyn")
    net.add_nodes(N=3, model_type="point_neuron", model_template="nest:iaf_psc_alpha",
                  dynamics_params={"V_th": [-50.0, -52.0, -54.0]})
    net.add_edges(connection_rule=1, dynamics_params={"tau": 2.0}, syn_weight=1.0)
    net.save(tmp_path, compression="gzip")
    with h5py.File(tmp_path / "dyn_nodes.h5") as h5:
        assert h5["nodes/dyn/0/dynamics_params/V_th"][:].tolist() == [-50.0, -52.0, -54.0]
    with h5py.File(tmp_path / "dyn_dyn_edges.h5") as h5:
        data = h5["edges/dyn_to_dyn/0/dynamics_params/tau"]
        assert data.compression == "gzip" and data[:].tolist() == [2.0] * 9
    assert "dynamics_params" not in read_types_csv(tmp_path / "dyn_dyn_edge_types.csv").columns


def test_save_nodes_and_save_edges_names(tmp_path):
    cortex, thalamus = _cortex_thalamus()
    cortex.save_nodes(nodes_file_name="c.h5", node_types_file_name="c.csv", output_dir=tmp_path)
    thalamus.save_edges(edges_file_name="t2c.h5", edge_types_file_name="t2c.csv", output_dir=tmp_path,
                        name="lgn_input")
    assert {p.name for p in tmp_path.iterdir()} == {"c.h5", "c.csv", "t2c.h5", "t2c.csv"}
    with h5py.File(tmp_path / "t2c.h5") as h5:
        assert list(h5["edges"]) == ["lgn_input"]
    with pytest.raises(BuildError, match="no edges between these networks"):
        thalamus.save_edges(output_dir=tmp_path, trg_network="elsewhere")


def test_empty_selection_allowed_saves_no_edges(tmp_path):
    net = NetworkBuilder("sparse")
    net.add_nodes(N=3, kind="a")
    net.add_edges(source={"kind": "b"}, target={}, connection_rule=1, allow_empty=True)
    net.save(tmp_path)
    with h5py.File(tmp_path / "sparse_sparse_edges.h5") as h5:
        assert h5["edges/sparse_to_sparse/source_node_id"].shape == (0,)


def test_duplicate_network_names_rejected(tmp_path):
    first, second = NetworkBuilder("dup"), NetworkBuilder("dup")
    first.add_nodes(N=2)
    second.add_nodes(N=2)
    with pytest.raises(BuildError, match="two different networks share a name"):
        first.add_edges(source=second.nodes(), target=first.nodes())
    hub = NetworkBuilder("hub")
    hub.add_nodes(N=1)
    with pytest.raises(BuildError, match="two different networks share a name"):
        hub.add_edges(source=first.nodes(), target=second.nodes())


def test_same_seed_same_files(tmp_path):
    for k in (1, 2):
        cortex, _thalamus = _cortex_thalamus(seed=7)
        cortex.save(tmp_path / str(k))
    with h5py.File(tmp_path / "1" / "cortex_cortex_edges.h5") as a, \
            h5py.File(tmp_path / "2" / "cortex_cortex_edges.h5") as b:
        for name in ("source_node_id", "target_node_id", "0/nsyns", "0/syn_weight"):
            assert np.array_equal(a["edges/cortex_to_cortex"][name][:], b["edges/cortex_to_cortex"][name][:])


def test_output_paths_are_files_not_folders(tmp_path):
    net = NetworkBuilder("clash")
    net.add_nodes(N=1)
    os.makedirs(tmp_path / "clash_nodes.h5")
    with pytest.raises(BuildError, match="is a directory"):
        net.save_nodes(output_dir=tmp_path, overwrite=True)


def test_edges_rebuilt_when_target_network_grows(tmp_path):
    cortex, thalamus = _cortex_thalamus()
    thalamus.build()
    before = thalamus.nedges
    cortex.add_nodes(N=4, pop_name="Scnn1a", ei="e", model_type="biophysical", positions=positions_box(4, seed=9))
    thalamus.save(tmp_path)  # sees the 4 new excitatory targets
    assert thalamus.nedges == before + 20 * 4 * 5
