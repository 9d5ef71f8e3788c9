"""Per-edge properties (ConnectionMap.add_properties) and position helpers."""

from __future__ import annotations

import numpy as np
import pytest

from cantata.build import (
    LogNormal,
    NetworkBuilder,
    Normal,
    Probability,
    Uniform,
    positions_box,
    positions_columinar,
    positions_cuboid,
    positions_cylinder,
    positions_layers,
    positions_rect_prism,
    vectorized,
    xiter_random,
)
from cantata.errors import BuildError


def _net(name: str = "props") -> NetworkBuilder:
    net = NetworkBuilder(name)
    net.add_nodes(N=20, ei="e", positions=positions_box(20, seed=3))
    net.add_nodes(N=10, ei="i", positions=positions_box(10, seed=4))
    return net


def test_bmtk_function_rule_per_synapse_with_params_and_tuple():
    net = _net()
    cm = net.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=2)
    cm.add_properties("syn_weight", rule=lambda s, t, scale: scale * s.node_id, rule_params={"scale": 0.5},
                      dtypes=float)
    cm.add_properties(["sec_id", "sec_x"], rule=lambda s, t: (t.node_id - 20, 0.25), dtypes=[np.int32, float])
    frame = net.edges()
    assert len(frame) == 20 * 10 * 2 and "nsyns" not in frame
    assert np.allclose(frame["syn_weight"], 0.5 * frame["source_node_id"])
    assert frame["sec_id"].tolist() == (frame["target_node_id"] - 20).tolist()
    assert cm.property_names == ["syn_weight", "sec_id", "sec_x"]


def test_vectorised_rules_seeded_and_in_range():
    def weights():
        net = _net()
        cm = net.add_edges(source=net.nodes(), target=net.nodes(), connection_rule=Probability(0.5))
        cm.add_properties("syn_weight", rule=Normal(2.0, 1.0, low=0.0, high=3.0))
        cm.add_properties("delay", rule=Uniform(1.0, 2.0))
        cm.add_properties("gain", rule=LogNormal(0.0, 0.1))
        cm.add_properties("dist", rule=vectorized(lambda e, k: k * e.distance()), rule_params={"k": 2.0})
        cm.add_properties("src_ei", rule=vectorized(lambda e: e.source["ei"]))
        return net.edges().drop(columns="edge_type_id")  # type ids are unique per process

    a, b = weights(), weights()
    assert a.equals(b)
    assert a["syn_weight"].between(0.0, 3.0).all() and a["delay"].between(1.0, 2.0).all()
    assert (a["gain"] > 0).all()
    assert set(a["src_ei"]) == {"e", "i"}
    net = _net()
    pos = net._store.column("positions")[0]
    expected = 2.0 * np.linalg.norm(pos[a["source_node_id"]] - pos[a["target_node_id"]], axis=1)
    assert np.allclose(a["dist"], expected)


def test_constant_and_array_values():
    net = _net()
    cm = net.add_edges(source={"ei": "i"}, target={"ei": "i"}, connection_rule=lambda s, t: int(s.node_id == t.node_id))
    cm.add_properties("syn_weight", rule=3.5)
    cm.add_properties("label", rule=np.array(["x"] * 10))
    frame = net.edges()
    assert (frame["syn_weight"] == 3.5).all() and (frame["label"] == "x").all()


@pytest.mark.parametrize("names, rule, kwargs, match", [
    ("w", np.ones(3), {}, "wrong length"),
    ("w", vectorized(lambda e: np.ones(2)), {}, "wrong length"),
    (["a", "b"], lambda s, t: 1.0, {}, "one value per name"),
    ("nsyns", 1.0, {}, "reserved"),
    ("w", 1.0, {"dtypes": [float, int]}, "one dtype per name"),
    ("w", 1.0, {"rule_params": [1]}, "rule_params must be a dict"),
])
def test_bad_properties(names, rule, kwargs, match):
    net = _net()
    cm = net.add_edges(source={"ei": "i"}, target={"ei": "i"}, connection_rule=1)
    with pytest.raises(BuildError, match=match):
        cm.add_properties(names, rule=rule, **kwargs)
        net.build()


def test_duplicate_property_name():
    net = _net()
    cm = net.add_edges(connection_rule=1)
    cm.add_properties("w", rule=1.0)
    with pytest.raises(BuildError, match="already used"):
        cm.add_properties("w", rule=2.0)


# ---------------------------------------------------------------------- positions
def test_box_and_cylinder_bounds():
    box = positions_box(500, (0, 10), (5, 6), (-1, 1), seed=1)
    assert box.shape == (500, 3) and box[:, 0].min() >= 0 and box[:, 1].max() <= 6 and box[:, 2].min() >= -1
    cyl = positions_cylinder(500, radius=50.0, height=20.0, center=(1, 2, 3), axis="z", min_radius=10.0, seed=1)
    r = np.hypot(cyl[:, 0] - 1, cyl[:, 1] - 2)
    assert r.min() >= 10.0 and r.max() <= 50.0 and np.abs(cyl[:, 2] - 3).max() <= 10.0
    assert np.array_equal(positions_box(10, seed=5), positions_box(10, seed=5))


def test_min_distance_is_respected():
    from scipy.spatial import cKDTree

    pts = positions_box(400, (0, 100), (0, 100), (0, 100), min_dist=8.0, seed=2)
    assert pts.shape == (400, 3)
    assert not cKDTree(pts).query_pairs(8.0)
    with pytest.raises(BuildError, match="cannot place the cells that far apart"):
        positions_box(50, (0, 1), (0, 1), (0, 1), min_dist=5.0, seed=2)


def test_layers():
    pos, layer = positions_layers([30, 20], [(0, 100), (100, 250)], xlim=(0, 50), zlim=(0, 50), min_dist=3.0, seed=1)
    assert pos.shape == (50, 3) and np.bincount(layer).tolist() == [30, 20]
    assert pos[layer == 0, 1].max() <= 100 and pos[layer == 1, 1].min() >= 100
    disc, _ = positions_layers([10], [(0, 10)], radius=5.0, center=(0, 0, 0), seed=1)
    assert np.hypot(disc[:, 0], disc[:, 2]).max() <= 5.0
    with pytest.raises(BuildError, match="one \\(low, high\\) pair per layer"):
        positions_layers([1, 2], [(0, 1)])


def test_bmtk_helper_names():
    np.random.seed(11)
    a = positions_columinar(N=50, center=[0, 50, 0], height=100, max_radius=30)
    np.random.seed(11)
    b = positions_columinar(N=50, center=[0, 50, 0], height=100, max_radius=30)
    assert np.array_equal(a, b)  # numpy's global seed drives the default
    assert np.hypot(a[:, 0], a[:, 2]).max() <= 30 and a[:, 1].min() >= 0 and a[:, 1].max() <= 100
    prism = positions_rect_prism(N=20, center=[0, 0, 0], height=5, x_length=10, z_length=10, seed=1)
    assert np.abs(prism[:, 1]).max() <= 5
    cube = positions_cuboid(N=30, center=[0, 0, 0], height=100, xside_length=100, yside_length=100, min_dist=20, seed=1)
    assert np.unique(cube, axis=0).shape[0] == 30 and np.all(cube % 20 == 0)
    assert xiter_random(N=5, min_x=2, max_x=3, seed=1).min() >= 2
