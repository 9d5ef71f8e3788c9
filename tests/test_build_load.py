"""Loading SONATA networks built by BMTK into a builder, then adding to them."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from cantata.build import FixedInDegree, NetworkBuilder, Probability
from cantata.errors import BuildError
from cantata.sonata.circuit import Circuit
from cantata.sonata.types_table import read_types_csv


@pytest.fixture
def intfire(testdata):
    return testdata / "sonata-examples" / "300_intfire" / "network"


def test_load_bmtk_network_keeps_ids_types_and_attributes(intfire):
    v1 = NetworkBuilder.load(intfire / "v1_nodes.h5", intfire / "v1_node_types.csv")
    assert v1.name == "v1" and v1.nnodes == 300
    with Circuit.from_files(nodes=[(intfire / "v1_nodes.h5", intfire / "v1_node_types.csv")]) as c:
        pop = c.nodes["v1"]
        assert np.array_equal(v1._store.type_id_array(), pop.node_type_ids())
        assert v1.node_attributes("model_name")["model_name"].tolist() == pop.get_attribute("model_name").tolist()
    assert len(v1.nodes(ei="i")) == 60 and len(v1.nodes(model_name="LIF_exc")) == 240


def test_add_virtual_population_and_edges_to_loaded_network(intfire, tmp_path):
    v1 = NetworkBuilder.load(intfire / "v1_nodes.h5", intfire / "v1_node_types.csv")
    extra = NetworkBuilder("extra")
    extra.add_nodes(N=30, model_type="virtual", pop_name="noise")
    extra.add_edges(source=extra.nodes(), target=v1.nodes(ei="e"), connection_rule=FixedInDegree(4, nsyns=2),
                    syn_weight=0.01, delay=2.0, dynamics_params="instanteneousExc.json")
    v1.add_edges(source=v1.nodes(ei="i"), target=v1.nodes(ei="e"), connection_rule=Probability(0.1),
                 syn_weight=-0.02, delay=2.0, dynamics_params="instanteneousInh.json")
    extra.save(tmp_path)
    v1.save(tmp_path)
    with Circuit.from_files(
            nodes=[(tmp_path / "v1_nodes.h5", tmp_path / "v1_node_types.csv")],
            edges=[(tmp_path / "extra_v1_edges.h5", tmp_path / "extra_v1_edge_types.csv")]) as c:
        edges = c.edges["extra_to_v1"]
        targets = edges.target_node_ids()
        assert np.all(np.bincount(targets, minlength=300)[:240] == 4)  # v1's exc cells are 0..239
        assert c.nodes["v1"].get_attribute("model_template")[0] == "nrn:IntFire1"
    # the re-saved node types keep the original ids and columns
    original = read_types_csv(intfire / "v1_node_types.csv")
    resaved = read_types_csv(tmp_path / "v1_node_types.csv")
    assert resaved["node_type_id"].tolist() == original["node_type_id"].tolist()
    assert set(original.columns) <= set(resaved.columns)


def test_new_types_do_not_reuse_loaded_type_ids(intfire):
    lgn = NetworkBuilder.load(intfire / "lgn_nodes.h5", intfire / "lgn_node_types.csv")
    loaded = set(lgn._store.types)
    lgn.add_nodes(N=5, model_type="virtual", model_name="new")
    assert len(set(lgn._store.types) - loaded) == 1 and lgn.nnodes == 95


def test_load_biophysical_positions_round_trip(testdata, tmp_path):
    net_dir = testdata / "sonata-examples" / "5_cells_iclamp" / "network"
    net = NetworkBuilder.load(net_dir / "biophysical_nodes.h5", net_dir / "biophysical_node_types.csv")
    net.save(tmp_path)
    with h5py.File(net_dir / "biophysical_nodes.h5") as a, h5py.File(tmp_path / "biophysical_nodes.h5") as b:
        for axis in "xyz":
            assert np.array_equal(a[f"nodes/biophysical/0/{axis}"][:], b[f"nodes/biophysical/0/{axis}"][:])


def test_load_bmtk_multi_group_file(testdata, tmp_path):
    """BMTK file with two h5 groups and 2-D ``positions``: loads, and saves as one group."""
    folder = testdata / "format" / "pysonata_tests_data" / "circuit" / "examples"
    net = NetworkBuilder.load(folder / "v1_nodes.h5", folder / "v1_node_types.csv")
    assert net.nnodes == 449
    with h5py.File(folder / "v1_nodes.h5") as h5:
        group_id = h5["nodes/v1/node_group_id"][:]
        group_index = h5["nodes/v1/node_group_index"][:]
        pos1 = h5["nodes/v1/1/positions"][:]
        angles0 = h5["nodes/v1/0/tuning_angle"][:]
    positions = net._store.column("positions")[0]
    assert np.array_equal(positions[group_id == 1], pos1[group_index[group_id == 1]])
    assert len(net.nodes(pop_name="LIF_exc")) > 0
    net.save(tmp_path)
    with h5py.File(tmp_path / "v1_nodes.h5") as h5:
        pop = h5["nodes/v1"]
        assert "1" not in pop and {"x", "y", "z", "tuning_angle"} <= set(pop["0"])
        assert np.array_equal(pop["0/y"][:][group_id == 1], pos1[group_index[group_id == 1], 1])
        tuning = pop["0/tuning_angle"][:]
        assert np.array_equal(tuning[group_id == 0], angles0[group_index[group_id == 0]])
        assert np.isnan(tuning[group_id == 1]).all()  # point cells never had one


def test_import_into_non_empty_builder_is_an_error(intfire):
    net = NetworkBuilder("v1")
    net.add_nodes(N=1)
    with pytest.raises(BuildError, match="needs an empty builder"):
        net.import_nodes(intfire / "v1_nodes.h5", intfire / "v1_node_types.csv")


def test_load_unknown_population(intfire):
    with pytest.raises(BuildError, match="population not in nodes file"):
        NetworkBuilder.load(intfire / "v1_nodes.h5", population="nope")
