"""Connection rules: statistics of the vectorised rules, BMTK-style Python rules, determinism."""

from __future__ import annotations

import time

import numpy as np
import pytest

from cantata.build import (
    AllToAll,
    ExponentialDistance,
    FixedInDegree,
    FixedOutDegree,
    FixedTotalNumber,
    GaussianDistance,
    NetworkBuilder,
    OneToOne,
    Poisson,
    Probability,
    UniformInt,
    positions_box,
)
from cantata.build.sampling import (
    bernoulli_flat,
    sample_pairs,
    sample_without_replacement,
)
from cantata.errors import BuildError


def _net(n: int = 200, name: str = "net", seed: int = 0) -> NetworkBuilder:
    net = NetworkBuilder(name, seed=seed)
    net.add_nodes(N=n // 2, ei="e")
    net.add_nodes(N=n - n // 2, ei="i")
    return net


def _edges(net: NetworkBuilder):
    frame = net.edges()
    return frame["source_node_id"].to_numpy(), frame["target_node_id"].to_numpy(), frame


def _pairs_unique(src, trg) -> bool:
    return np.unique(src * 10**7 + trg).size == src.size


# ---------------------------------------------------------------------- sampling helpers
def test_bernoulli_flat_counts_and_order():
    rng = np.random.default_rng(1)
    total, p = 10**9, 1e-4  # a 10^9-pair grid is never allocated
    hits = bernoulli_flat(rng, total, p)
    mean, sd = total * p, np.sqrt(total * p * (1 - p))
    assert abs(hits.size - mean) < 5 * sd
    assert np.all(np.diff(hits) > 0) and hits[-1] < total
    assert bernoulli_flat(rng, 10, 1.0).tolist() == list(range(10))
    assert bernoulli_flat(rng, 10, 0.0).size == 0


@pytest.mark.parametrize("k", [3, 40])  # sparse (re-draw) and dense (random keys) paths
def test_sample_without_replacement_exact_and_uniform(k):
    rng = np.random.default_rng(2)
    groups, values = sample_without_replacement(rng, np.full(4000, k), 50, np.full(4000, 7))
    assert np.bincount(groups).tolist() == [k] * 4000
    assert not np.any(values == 7) and values.max() < 50
    key = groups * 50 + values
    assert np.unique(key).size == key.size
    freq = np.bincount(values, minlength=50)[np.arange(50) != 7]
    expected = 4000 * k / 49
    assert np.all(np.abs(freq - expected) < 6 * np.sqrt(expected))


def test_sample_pairs_skips_forbidden():
    rng = np.random.default_rng(3)
    forbidden = np.array([0, 11, 22, 33])
    flat = sample_pairs(rng, 96, 10, 10, forbidden)  # every allowed pair
    assert flat.size == 96 and not np.isin(forbidden, flat).any()


# ---------------------------------------------------------------------- vectorised rules
def test_probability_count_within_5_sigma_no_autapses_no_duplicates():
    net = _net(400)
    net.add_edges(source=net.nodes(), target=net.nodes(), connection_rule=Probability(0.05))
    src, trg, frame = _edges(net)
    pairs, p = 400 * 399, 0.05
    assert abs(src.size - pairs * p) < 5 * np.sqrt(pairs * p * (1 - p))
    assert not np.any(src == trg) and _pairs_unique(src, trg)
    assert (frame["nsyns"] == 1).all()


def test_probability_large_grid_is_fast():
    net = NetworkBuilder("big")
    net.add_nodes(N=100_000)
    net.add_edges(source=net.nodes(), target=net.nodes(), connection_rule=Probability(2e-5))
    start = time.perf_counter()
    net.build()
    assert time.perf_counter() - start < 5.0  # 10^10 pairs: only the ~2e5 edges are drawn
    n = 100_000 * 99_999
    assert abs(net.nedges - n * 2e-5) < 5 * np.sqrt(n * 2e-5)


def test_probability_autapses_allowed():
    net = _net(30)
    net.add_edges(source=net.nodes(), target=net.nodes(), connection_rule=Probability(1.0, autapses=True))
    assert net.nedges == 0  # like BMTK: nothing counted before build()
    net.build()
    assert net.nedges == 900


def test_fixed_in_degree_exact():
    net = _net(300)
    net.add_edges(source={"ei": "e"}, target=net.nodes(), connection_rule=FixedInDegree(20))
    src, trg, _ = _edges(net)
    assert np.bincount(trg, minlength=300).tolist() == [20] * 300
    assert not np.any(src == trg) and _pairs_unique(src, trg) and src.max() < 150


def test_fixed_in_degree_dense_and_too_large():
    net = _net(40)
    net.add_edges(source=net.nodes(), target=net.nodes(), connection_rule=FixedInDegree(39))
    src, trg, _ = _edges(net)
    assert np.bincount(trg).tolist() == [39] * 40 and not np.any(src == trg)
    net2 = _net(40, "net2")
    net2.add_edges(source=net2.nodes(), target=net2.nodes(), connection_rule=FixedInDegree(40))
    with pytest.raises(BuildError, match="larger than the number of candidate"):
        net2.build()


def test_fixed_in_degree_multapses_merge_into_nsyns():
    net = _net(10)
    net.add_edges(source=net.nodes(), target=net.nodes(), connection_rule=FixedInDegree(50, multapses=True, nsyns=2))
    src, trg, frame = _edges(net)
    per_target = np.bincount(trg, weights=frame["nsyns"].to_numpy(), minlength=10)
    assert per_target.tolist() == [100.0] * 10 and _pairs_unique(src, trg)


def test_fixed_out_degree_exact():
    net = _net(300)
    net.add_edges(source=net.nodes(), target={"ei": "i"}, connection_rule=FixedOutDegree(15))
    src, trg, _ = _edges(net)
    assert np.bincount(src, minlength=300).tolist() == [15] * 300
    assert not np.any(src == trg) and _pairs_unique(src, trg) and trg.min() >= 150


def test_fixed_total_number_exact():
    net = _net(100)
    net.add_edges(source=net.nodes(), target=net.nodes(), connection_rule=FixedTotalNumber(2000))
    src, trg, _ = _edges(net)
    assert src.size == 2000 and not np.any(src == trg) and _pairs_unique(src, trg)
    full = _net(20, "full")
    full.add_edges(source=full.nodes(), target=full.nodes(), connection_rule=FixedTotalNumber(380))
    full.build()
    assert full.nedges == 380  # every non-self pair
    over = _net(20, "over")
    over.add_edges(source=over.nodes(), target=over.nodes(), connection_rule=FixedTotalNumber(381))
    with pytest.raises(BuildError, match="more connections asked"):
        over.build()


def test_one_to_one_and_all_to_all():
    net = _net(20)
    net.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=OneToOne(nsyns=3))
    net.add_edges(source={"ei": "e"}, target=net.nodes(), connection_rule=AllToAll())
    frame = net.edges()
    one = frame[frame["edge_type_id"] == net.get_connections()[0].edge_type_id]
    assert one["source_node_id"].tolist() == list(range(10))
    assert one["target_node_id"].tolist() == list(range(10, 20)) and (one["nsyns"] == 3).all()
    assert (frame["edge_type_id"] == net.get_connections()[1].edge_type_id).sum() == 10 * 20 - 10
    bad = _net(20, "bad")
    bad.add_edges(source={"ei": "e"}, target=bad.nodes(), connection_rule=OneToOne())
    with pytest.raises(BuildError, match="one-to-one needs as many sources as targets"):
        bad.build()


def test_synapse_count_distributions():
    net = _net(200)
    net.add_edges(source=net.nodes(), target=net.nodes(), connection_rule=Probability(0.2, nsyns=UniformInt(2, 4)))
    nsyns = net.edges()["nsyns"].to_numpy()
    assert set(np.unique(nsyns)) == {2, 3, 4}
    net2 = _net(200, "p")
    net2.add_edges(source=net2.nodes(), target=net2.nodes(), connection_rule=Probability(0.2, nsyns=Poisson(4.0)))
    nsyns = net2.edges()["nsyns"].to_numpy().astype(float)
    assert nsyns.min() >= 1 and abs(nsyns.mean() - 4.0) < 5 * np.sqrt(3.0 / nsyns.size)
    net3 = _net(50, "t")
    net3.add_edges(source=net3.nodes(), target=net3.nodes(), connection_rule=Probability(1.0, nsyns=(1, 2)))
    assert set(np.unique(net3.edges()["nsyns"])) == {1, 2}


def _positions_net(n: int, side: float, seed: int = 0, name: str = "space") -> NetworkBuilder:
    net = NetworkBuilder(name, seed=seed)
    net.add_nodes(N=n, positions=positions_box(n, (0, side), (0, side), (0, side), seed=seed))
    return net


def test_gaussian_distance_matches_profile_and_cutoff():
    net = _positions_net(3000, 300.0)
    rule = GaussianDistance(sigma=30.0, p0=0.8, cutoff=90.0)
    net.add_edges(source=net.nodes(), target=net.nodes(), connection_rule=rule)
    src, trg, _ = _edges(net)
    pos = net._store.column("positions")[0]
    d = np.linalg.norm(pos[src] - pos[trg], axis=1)
    assert d.max() <= 90.0 and not np.any(src == trg) and _pairs_unique(src, trg)
    # empirical probability per distance bin vs p0*exp(-d^2/2s^2), counting all candidate pairs
    from scipy.spatial import cKDTree
    cand = cKDTree(pos).query_pairs(90.0, output_type="ndarray")
    dc = np.linalg.norm(pos[cand[:, 0]] - pos[cand[:, 1]], axis=1)
    bins = np.array([0, 15, 30, 45, 60, 90])
    n_cand = 2 * np.histogram(dc, bins)[0]  # both directions
    n_conn = np.histogram(d, bins)[0]
    centres = 0.5 * (bins[1:] + bins[:-1])
    for k in range(len(centres)):
        lo, hi = rule.probability(np.array([bins[k + 1], bins[k]]))
        assert lo * n_cand[k] - 5 * np.sqrt(n_cand[k]) <= n_conn[k] <= hi * n_cand[k] + 5 * np.sqrt(n_cand[k])


def test_distance_rule_never_builds_n_by_n():
    net = _positions_net(50_000, 1000.0, name="space50k")
    net.add_edges(source=net.nodes(), target=net.nodes(), connection_rule=ExponentialDistance(length=8.0, p0=0.5))
    start = time.perf_counter()
    net.build()
    elapsed = time.perf_counter() - start
    assert net.nedges > 1000
    assert elapsed < 10.0  # an N x N distance matrix would need 2.5e9 entries (20 GB)


def test_distance_rule_needs_positions():
    net = _net(10)
    net.add_edges(source=net.nodes(), target=net.nodes(), connection_rule=GaussianDistance(sigma=10.0))
    with pytest.raises(BuildError, match="no position"):
        net.build()


# ---------------------------------------------------------------------- determinism
def _build_edges(seed: int, rule) -> np.ndarray:
    net = _net(300, seed=seed)
    net.add_edges(source=net.nodes(), target=net.nodes(), connection_rule=rule)
    src, trg, _ = _edges(net)
    return np.stack([src, trg])


@pytest.mark.parametrize("make", [lambda: Probability(0.05), lambda: FixedInDegree(5),
                                  lambda: FixedOutDegree(5), lambda: FixedTotalNumber(500)])
def test_same_seed_same_edges_other_seed_other_edges(make):
    a, b, c = _build_edges(1, make()), _build_edges(1, make()), _build_edges(2, make())
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_rule_seed_independent_of_call_position():
    one = _net(200, seed=4)
    one.add_edges(source=one.nodes(), target=one.nodes(), connection_rule=Probability(0.05, seed=9))
    two = _net(200, seed=4)
    two.add_edges(source=two.nodes(), target=two.nodes(), connection_rule=Probability(0.3))
    two.add_edges(source=two.nodes(), target=two.nodes(), connection_rule=Probability(0.05, seed=9))
    f1, f2 = one.edges(), two.edges()
    second = f2[f2["edge_type_id"] == two.get_connections()[1].edge_type_id]
    assert f1["source_node_id"].tolist() == second["source_node_id"].tolist()
    assert f1["target_node_id"].tolist() == second["target_node_id"].tolist()


# ---------------------------------------------------------------------- BMTK-style rules
def test_integer_rule_connects_every_pair_including_self():
    net = _net(6)
    net.add_edges(connection_rule=2)
    src, _trg, frame = _edges(net)  # edges() builds
    assert src.size == 36 and (frame["nsyns"] == 2).all()
    assert net.nedges == 72  # BMTK counts synapses


def test_python_rule_iterators_agree():
    def pair_rule(source, target, gap):
        return 0 if source.node_id == target.node_id else (source.node_id + target.node_id) % gap

    def to_all(source, targets, gap):
        return [pair_rule(source, t, gap) for t in targets]

    def to_one(sources, target, gap):
        return np.array([pair_rule(s, target, gap) for s in sources])

    results = []
    for rule, it in ((pair_rule, "one_to_one"), (to_all, "one_to_all"), (to_one, "all_to_one")):
        net = _net(30, name=f"it_{it}")
        net.add_edges(source={"ei": "e"}, target=net.nodes(), connection_rule=rule,
                      connection_params={"gap": 3}, iterator=it)
        frame = net.edges().sort_values(["source_node_id", "target_node_id"])
        results.append(frame[["source_node_id", "target_node_id", "nsyns"]].to_numpy())
    assert np.array_equal(results[0], results[1]) and np.array_equal(results[0], results[2])
    assert results[0].shape[0] > 0 and results[0][:, 2].min() >= 1


def test_python_rule_none_means_no_edge():
    net = _net(10)
    net.add_edges(connection_rule=lambda s, t: None if s.node_id != t.node_id else 1)
    src, trg, _ = _edges(net)
    assert np.array_equal(src, trg) and src.size == 10


def test_list_rules():
    net = _net(4)
    net.add_edges(connection_rule=[1, 0, 0, 2] * 4, iterator="one_to_one")  # S*T values
    net.add_edges(connection_rule=[0, 1, 0, 0], iterator="one_to_all")  # one per target, every source
    frame = net.edges()
    first = frame[frame["edge_type_id"] == net.get_connections()[0].edge_type_id]
    assert first["target_node_id"].tolist() == [0, 3] * 4
    second = frame[frame["edge_type_id"] == net.get_connections()[1].edge_type_id]
    assert second["target_node_id"].tolist() == [1] * 4 and second["source_node_id"].tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("rule, iterator, match", [
    (lambda s, ts: [1, 2], "one_to_all", "wrong shape"),
    (lambda s, t: -1, "one_to_one", "negative count"),
    (lambda s, t: 1.5, "one_to_one", "non-integer count"),
    (lambda s, t: "two", "one_to_one", "non-numeric"),
    ([1, 2, 3], "one_to_all", "wrong shape"),
])
def test_bad_rule_results(rule, iterator, match):
    net = _net(6)
    net.add_edges(connection_rule=rule, iterator=iterator)
    with pytest.raises(BuildError, match=match) as err:
        net.build()
    assert "net.add_edges(connection_rule)" in str(err.value)


@pytest.mark.parametrize("kwargs, match", [
    ({"connection_rule": -2}, r"add_edges\(connection_rule\)"),
    ({"connection_rule": "fancy"}, "unsupported connection_rule"),
    ({"connection_rule": 1, "iterator": "all_to_all"}, r"add_edges\(iterator\)"),
    ({"connection_rule": Probability(0.1), "iterator": "one_to_all"}, "iterator applies to Python rules"),
    ({"connection_rule": 1, "connection_params": [1]}, r"add_edges\(connection_params\)"),
])
def test_bad_add_edges_arguments(kwargs, match):
    net = _net(6)
    with pytest.raises(BuildError, match=match):
        net.add_edges(**kwargs)
    assert net.get_connections() == []


@pytest.mark.parametrize("make, match", [
    (lambda: Probability(1.5), r"Probability\(p\)"),
    (lambda: FixedInDegree(-1), r"FixedInDegree\(k\)"),
    (lambda: Probability(0.1, nsyns=0), r"Probability\(nsyns\)"),
    (lambda: GaussianDistance(sigma=0), r"GaussianDistance\(sigma\)"),
    (lambda: Probability(0.1, seed=-3), r"Probability\(seed\)"),
])
def test_bad_rule_arguments(make, match):
    with pytest.raises(BuildError, match=match):
        make()
