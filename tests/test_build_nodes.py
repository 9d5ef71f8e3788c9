"""NetworkBuilder nodes: add_nodes semantics, queries, node objects, node type ids."""

from __future__ import annotations

import numpy as np
import pytest

from cantata.build import NetworkBuilder, Node, NodePool
from cantata.errors import BuildError


def _net(name: str = "v1") -> NetworkBuilder:
    net = NetworkBuilder(name)
    net.add_nodes(N=6, pop_name="exc", ei="e", model_type="point_neuron",
                  positions=np.arange(18, dtype=float).reshape(6, 3), layer=np.array([1, 1, 2, 2, 4, 4]))
    net.add_nodes(N=4, pop_name="inh", ei="i", model_type="point_neuron", layer=3,
                  x=np.zeros(4), y=np.ones(4), z=np.full(4, 2.0))
    return net


def test_ids_contiguous_and_scalar_vs_per_node():
    net = _net()
    assert net.nnodes == 10
    assert net.nodes().node_ids.tolist() == list(range(10))
    table = net.node_attributes("pop_name", "layer", "x")
    assert table["pop_name"].tolist() == ["exc"] * 6 + ["inh"] * 4
    assert table["layer"].tolist() == [1, 1, 2, 2, 4, 4, 3, 3, 3, 3]  # per-node first, type value after
    assert table["x"].iloc[6:].tolist() == [0.0] * 4
    types = net._store.types
    assert len(types) == 2
    assert all("pop_name" in props for props in types.values())


def test_query_equality_membership_and_callable():
    net = _net()
    assert net.nodes(pop_name="inh").node_ids.tolist() == [6, 7, 8, 9]
    assert net.nodes(layer=[2, 3]).node_ids.tolist() == [2, 3, 6, 7, 8, 9]
    assert net.nodes(layer=lambda v: v >= 4).node_ids.tolist() == [4, 5]
    assert net.nodes(ei="e", layer=1).node_ids.tolist() == [0, 1]
    assert net.nodes(node_id=[0, 9]).node_ids.tolist() == [0, 9]
    pool = net.nodes(ei="i")
    assert isinstance(pool, NodePool) and len(pool) == 4
    assert pool.filter_str == "ei=='i'"
    assert net.nodes().filter_str == "*"


def test_node_objects_are_bmtk_like():
    net = _net()
    nodes = list(net.nodes(pop_name="exc"))
    assert all(isinstance(n, Node) for n in nodes)
    first = nodes[0]
    assert first.node_id == 0 and first["pop_name"] == "exc" and first["model_type"] == "point_neuron"
    assert np.allclose(first["positions"], [0, 1, 2])
    assert "x" not in first  # positions given as one array stay one property in memory
    inh = next(iter(net.nodes(pop_name="inh")))
    assert inh["x"] == 0.0 and inh["layer"] == 3 and inh.node_type_id != first.node_type_id


def test_pool_follows_later_add_nodes():
    net = _net()
    pool = net.nodes(ei="i")
    net.add_nodes(N=2, pop_name="inh2", ei="i")
    assert pool.node_ids.tolist() == [6, 7, 8, 9, 10, 11]


def test_node_type_ids_unique_across_networks():
    a, b = _net("net_a"), _net("net_b")
    ids_a, ids_b = set(a._store.types), set(b._store.types)
    assert ids_a and ids_b and not ids_a & ids_b
    c = NetworkBuilder("net_c")
    c.add_nodes(N=1, node_type_id=5000)
    with pytest.raises(BuildError, match="node_type_id already used"):
        c.add_nodes(N=1, node_type_id=5000)


def test_dynamics_params_dict_goes_per_node():
    net = NetworkBuilder("dyn")
    net.add_nodes(N=3, model_type="point_neuron", dynamics_params={"V_th": [-50.0, -51.0, -52.0], "C_m": 250.0})
    block = net._store.blocks[0]
    assert block.dynamics["V_th"].tolist() == [-50.0, -51.0, -52.0]
    assert block.dynamics["C_m"].tolist() == [250.0] * 3
    assert "dynamics_params" not in net._store.types[int(block.type_ids[0])]


def test_generators_and_ranges_are_per_node():
    net = NetworkBuilder("gen")
    net.add_nodes(N=3, idx=range(3), sq=(i * i for i in range(3)))
    assert net.node_attributes("idx", "sq")["sq"].tolist() == [0, 1, 4]


# ---------------------------------------------------------------------------- bad input
def test_unknown_attribute_names_call_and_argument():
    net = _net()
    with pytest.raises(BuildError) as err:
        net.nodes(pop_nam="exc")
    text = str(err.value)
    assert "v1.nodes(pop_nam=...)" in text and "pop_name" in text
    with pytest.raises(BuildError, match=r"v1\.add_edges\(target=\{'pop_nam': \.\.\.\}\)"):
        net.add_edges(source={}, target={"pop_nam": "exc"})


def test_empty_selection_errors_unless_allowed():
    net = _net()
    with pytest.raises(BuildError, match="matches no node"):
        net.nodes(pop_name="nope")
    assert len(net.nodes(pop_name="nope", allow_empty=True)) == 0
    with pytest.raises(BuildError, match=r"v1\.add_edges\(source=\{'pop_name': 'nope'\}\)"):
        net.add_edges(source={"pop_name": "nope"}, target={}, connection_rule=1)


@pytest.mark.parametrize("kwargs, match", [
    ({"N": 3, "x": [1.0, 2.0]}, r"add_nodes\(x\).*expected 3 values"),
    ({"N": -1}, r"add_nodes\(N\)"),
    ({"N": 2, "node_id": [0, 1]}, r"add_nodes\(node_id\)"),
    ({"N": 2, "positions": np.zeros((2, 2))}, r"add_nodes\(positions\)"),
    ({"N": 2, "positions": np.zeros((2, 3)), "x": [0.0, 1.0]}, "positions and x/y/z"),
    ({"N": 2, "node_type_id": 1.5}, r"add_nodes\(node_type_id\)"),
])
def test_add_nodes_bad_input(kwargs, match):
    net = NetworkBuilder("bad")
    with pytest.raises(BuildError, match=match):
        net.add_nodes(**kwargs)
    assert net.nnodes == 0  # nothing half-added


@pytest.mark.parametrize("name", ["", "a/b", " v1", 3])
def test_bad_network_name(name):
    with pytest.raises(BuildError, match=r"NetworkBuilder\(name\)"):
        NetworkBuilder(name)


def test_failing_predicate_is_reported():
    net = _net()
    with pytest.raises(BuildError, match="query condition failed"):
        net.nodes(pop_name=lambda v: v.missing_method())
