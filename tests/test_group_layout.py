"""Where each element's attribute row is (``*_group_id`` / ``*_group_index``), read from real
small HDF5 files: the sampled one-group fast path, the exact path, and `cantata validate`'s
full check of the group index."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from cantata.errors import FormatError
from cantata.sonata.circuit import EdgePopulation, NodePopulation
from cantata.sonata.h5columns import _sample_slices
from cantata.sonata.validate_h5 import scan_h5
from cantata.sonata.validate_problems import ProblemList

N = 20_000  # more rows than the sample covers, so some rows are never sampled


def write_edges(path: Path, n: int, groups: dict[int, dict[str, np.ndarray]],
                group_id: np.ndarray | None = None, group_index: np.ndarray | None = None) -> Path:
    """An edges file with population ``p`` of ``n`` edges (node populations ``a`` -> ``a``)."""
    with h5py.File(path, "w") as f:
        pop = f.create_group("edges/p")
        for name in ("source_node_id", "target_node_id"):
            pop[name] = np.zeros(n, dtype=np.uint64)
            pop[name].attrs["node_population"] = "a"
        pop["edge_type_id"] = np.full(n, 7, dtype=np.int64)
        if group_id is not None:
            pop["edge_group_id"] = np.asarray(group_id, dtype=np.uint32)
        if group_index is not None:
            pop["edge_group_index"] = np.asarray(group_index, dtype=np.uint64)
        for gid, columns in groups.items():
            sub = pop.create_group(str(gid))
            for name, values in columns.items():
                sub[name] = values
    return path


def write_nodes(path: Path, n: int, values: np.ndarray, group_index: np.ndarray | None) -> Path:
    """A nodes file with population ``a``: one group ``0`` holding column ``x``."""
    with h5py.File(path, "w") as f:
        pop = f.create_group("nodes/a")
        pop["node_type_id"] = np.full(n, 1, dtype=np.int64)
        pop["node_group_id"] = np.zeros(n, dtype=np.uint32)
        if group_index is not None:
            pop["node_group_index"] = group_index.astype(np.uint64)
        pop["0/x"] = values
    return path


def unsampled_rows(n: int) -> np.ndarray:
    sampled = np.zeros(n, dtype=bool)
    for rows in _sample_slices(n):
        sampled[rows] = True
    return np.flatnonzero(~sampled)


def scan(path: Path, kind: str = "edges") -> ProblemList:
    problems = ProblemList()
    scan_h5(path, kind, problems)
    return problems


WEIGHTS = np.arange(N, dtype=np.float64) * 0.5


# (a) one group, identity index
def test_identity_index_reads_row_i(tmp_path: Path) -> None:
    path = write_edges(tmp_path / "e.h5", N, {0: {"syn_weight": WEIGHTS}}, np.zeros(N), np.arange(N))
    pop = EdgePopulation(path, "p")
    assert np.array_equal(pop.get_attribute("syn_weight"), WEIGHTS)
    assert np.array_equal(pop.get_attribute("syn_weight", [5, N - 1, 9000]), WEIGHTS[[5, N - 1, 9000]])
    assert list(scan(path)) == []


def test_fast_path_reads_only_the_sample(tmp_path: Path) -> None:
    """Two swapped rows that the sample never reads go unseen: the reader takes row i for
    element i, as libsonata and bluepysnap do (accepted). `cantata validate` reads every row
    and warns."""
    a, b = unsampled_rows(N)[[0, -1]]
    index = np.arange(N)
    index[[a, b]] = index[[b, a]]
    path = write_edges(tmp_path / "e.h5", N, {0: {"syn_weight": WEIGHTS}}, np.zeros(N), index)
    values = EdgePopulation(path, "p").get_attribute("syn_weight")
    assert np.array_equal(values, WEIGHTS)  # not WEIGHTS[index]: the full column was not read
    [problem] = scan(path)
    assert problem.severity == "warning"
    assert problem.key == "/edges/p/edge_group_index"
    assert "libsonata and bluepysnap ignore the index" in problem.message
    assert f"row {a} holds {b}" in problem.text


def test_small_population_is_checked_in_full(tmp_path: Path) -> None:
    n = 50  # the sample covers every row: any swap is seen
    index = np.arange(n)
    index[[20, 21]] = [21, 20]
    path = write_nodes(tmp_path / "n.h5", n, np.arange(n, dtype=float), index)
    assert np.array_equal(NodePopulation(path, "a").get_attribute("x"), index.astype(float))


# (b) a reversed index in a single group
def test_reversed_index_is_followed(tmp_path: Path) -> None:
    reverse = np.arange(N)[::-1]
    path = write_edges(tmp_path / "e.h5", N, {0: {"syn_weight": WEIGHTS}}, np.zeros(N), reverse)
    pop = EdgePopulation(path, "p")
    assert np.array_equal(pop.get_attribute("syn_weight"), WEIGHTS[::-1])
    assert np.array_equal(pop.get_attribute("syn_weight", [0, 3]), WEIGHTS[[N - 1, N - 4]])
    assert [p.severity for p in scan(path)] == ["warning"]


def test_reversed_index_without_group_id(tmp_path: Path) -> None:
    reverse = np.arange(N)[::-1]
    path = write_edges(tmp_path / "e.h5", N, {0: {"syn_weight": WEIGHTS}}, None, reverse)
    assert np.array_equal(EdgePopulation(path, "p").get_attribute("syn_weight"), WEIGHTS[::-1])


def test_reversed_node_index(tmp_path: Path) -> None:
    reverse = np.arange(N)[::-1]
    path = write_nodes(tmp_path / "n.h5", N, WEIGHTS, reverse)
    assert np.array_equal(NodePopulation(path, "a").get_attribute("x"), WEIGHTS[::-1])


# (c) one group with fewer rows than elements
def test_group_shorter_than_population(tmp_path: Path) -> None:
    shared = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    index = np.arange(N) % 5
    path = write_edges(tmp_path / "e.h5", N, {0: {"syn_weight": shared}}, np.zeros(N), index)
    pop = EdgePopulation(path, "p")
    assert np.array_equal(pop.get_attribute("syn_weight"), shared[index])
    # `cantata validate` asks for one row per member (an existing rule), and gives no index warning
    assert [p.message for p in scan(path)] == ["length differs from the number of edges in group 0"]


# (d) several groups
def test_multi_group(tmp_path: Path) -> None:
    gids = np.arange(N) % 2
    index = np.arange(N) // 2
    even, odd = WEIGHTS[0::2], WEIGHTS[1::2]
    path = write_edges(tmp_path / "e.h5", N, {0: {"syn_weight": even, "delay": even + 1},
                                              1: {"syn_weight": odd}}, gids, index)
    pop = EdgePopulation(path, "p")
    assert np.array_equal(pop.get_attribute("syn_weight"), WEIGHTS)
    delay = pop.get_attribute("delay")
    assert np.array_equal(delay[0::2], even + 1) and np.isnan(delay[1::2]).all()
    assert list(scan(path)) == []


def test_multi_group_without_index(tmp_path: Path) -> None:
    gids = np.arange(N) % 2  # index = position among the rows of the group
    path = write_edges(tmp_path / "e.h5", N, {0: {"syn_weight": WEIGHTS[0::2]}, 1: {"syn_weight": WEIGHTS[1::2]}},
                       gids, None)
    assert np.array_equal(EdgePopulation(path, "p").get_attribute("syn_weight"), WEIGHTS)


# (e) a group id naming no group
def test_sampled_bad_group_id_is_an_error(tmp_path: Path) -> None:
    gids = np.zeros(N)
    gids[N - 1] = 3  # the last rows are always sampled
    path = write_edges(tmp_path / "e.h5", N, {0: {"syn_weight": WEIGHTS}}, gids, np.arange(N))
    with pytest.raises(FormatError, match="group id refers to no group") as info:
        EdgePopulation(path, "p").get_attribute("syn_weight")
    assert "/edges/p/edge_group_id" in str(info.value) and "found [3]" in str(info.value)


def test_group_index_past_the_group_is_an_error(tmp_path: Path) -> None:
    index = np.arange(N)
    index[0] = N + 5
    path = write_edges(tmp_path / "e.h5", N, {0: {"syn_weight": WEIGHTS}}, np.zeros(N), index)
    with pytest.raises(FormatError, match="group index out of range"):
        EdgePopulation(path, "p").get_attribute("syn_weight")


# (f) cantata validate
def test_validate_index_out_of_range(tmp_path: Path) -> None:
    gids = np.arange(N) % 2
    index = np.arange(N) // 2
    index[[7, 9]] = [N, N + 1]  # rows of group 1, which has N // 2 rows
    path = write_edges(tmp_path / "e.h5", N, {0: {"w": WEIGHTS[0::2]}, 1: {"w": WEIGHTS[1::2]}}, gids, index)
    [problem] = scan(path)
    assert problem.is_error
    assert problem.text == (
        f"{path}: /edges/p/edge_group_index: group index out of range for group 1 "
        f"(expected values in 0..{N // 2 - 1} (group 1 has {N // 2} rows), found '[{N}, {N + 1}] at rows [7, 9]')"
    )


def test_validate_unsampled_index_out_of_range(tmp_path: Path) -> None:
    row = unsampled_rows(N)[0]
    index = np.arange(N)
    index[row] = N
    path = write_edges(tmp_path / "e.h5", N, {0: {"w": WEIGHTS}}, np.zeros(N), index)
    problems = scan(path)
    assert [p.severity for p in problems] == ["error"]  # an error, not also the warning
    assert f"at rows [{row}]" in problems.items[0].text


def test_validate_negative_index_without_group_id(tmp_path: Path) -> None:
    with h5py.File(tmp_path / "n.h5", "w") as f:
        f["nodes/a/node_type_id"] = np.ones(4, dtype=np.int64)
        f["nodes/a/node_group_index"] = np.array([0, 1, -2, 3])
        f["nodes/a/0/x"] = np.zeros(4)
    [problem] = scan(tmp_path / "n.h5", "nodes")
    assert problem.is_error and problem.key == "/nodes/a/node_group_index"
    assert "found '[-2] at rows [2]'" in problem.text


def test_validate_virtual_group_index_not_range_checked(tmp_path: Path) -> None:
    """A group with no datasets holds no rows to point into: nothing to check."""
    path = write_edges(tmp_path / "e.h5", 10, {0: {}}, np.zeros(10), np.full(10, 99))
    assert list(scan(path)) == []
