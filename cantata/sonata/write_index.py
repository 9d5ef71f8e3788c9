"""Edge ordering and the SONATA edge index tables, vectorised (no loop per edge or node).

Index layout (one group per direction, e.g. ``indices/target_to_source``):

* ``range_to_edge_id`` [R, 2]: each row a half-open range ``[first, last)`` of consecutive
  edge ids that share the same node; rows are grouped by node id, ranges of one node in
  edge order.
* ``node_id_to_ranges`` [n_nodes, 2]: row ``n`` is the half-open range of rows of
  ``range_to_edge_id`` that belong to node ``n``; a node without edges gets ``[k, k]``
  where ``k`` is the number of ranges of the nodes before it (what libsonata writes).
"""

from __future__ import annotations

import numpy as np

_INT64_BITS = 63  # keys are packed into non-negative int64 values


def stable_argsort(keys: np.ndarray, bound: int) -> np.ndarray:
    """Stable argsort of non-negative integer ``keys`` (all ``< bound``); returns int64.

    When ``key`` and row position fit together in 63 bits, packs ``key << bits | position``
    and sorts the packed values with numpy's (SIMD) value sort, which is several times faster
    than an indirect stable sort; otherwise falls back to ``argsort(kind="stable")``.
    """
    n = keys.size
    if n < 2:
        return np.arange(n, dtype=np.int64)
    position_bits = (n - 1).bit_length()
    if max(bound - 1, 1).bit_length() + position_bits > _INT64_BITS:
        return np.argsort(keys, kind="stable").astype(np.int64, copy=False)
    packed = keys.astype(np.int64, copy=True)
    packed <<= position_bits
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    packed &= (1 << position_bits) - 1
    return packed


def edge_order(primary: np.ndarray, secondary: np.ndarray, n_primary: int,
               n_secondary: int) -> np.ndarray | None:
    """Stable permutation sorting edges by ``(primary, secondary)`` node ids.

    Returns ``None`` when the edges are already in that order (nothing to permute).
    """
    if primary.size < 2:
        return None
    n_secondary = max(n_secondary, 1)
    bound = max(n_primary, 1) * n_secondary
    if bound.bit_length() > _INT64_BITS:
        order = np.lexsort((secondary, primary))
        return None if np.array_equal(order, np.arange(primary.size)) else order
    key = primary.astype(np.int64, copy=True)
    key *= n_secondary
    key += secondary
    if bool(np.all(key[1:] >= key[:-1])):
        return None
    return stable_argsort(key, bound)


def build_index(node_ids: np.ndarray, n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Index tables ``(node_id_to_ranges [n_nodes, 2], range_to_edge_id [R, 2])`` as uint64.

    ``node_ids`` is the source (or target) node id of every edge in file order (int64,
    all in ``[0, n_nodes)``).
    """
    n_edges = node_ids.size
    if n_edges == 0:
        return np.zeros((n_nodes, 2), dtype=np.uint64), np.zeros((0, 2), dtype=np.uint64)
    change = np.flatnonzero(node_ids[1:] != node_ids[:-1])
    starts = np.empty(change.size + 1, dtype=np.int64)
    starts[0] = 0
    starts[1:] = change + 1
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:]
    ends[-1] = n_edges
    run_node = node_ids[starts]
    if not bool(np.all(run_node[1:] >= run_node[:-1])):
        order = stable_argsort(run_node, n_nodes)
        starts, ends = starts[order], ends[order]
    range_to_edge_id = np.empty((starts.size, 2), dtype=np.uint64)
    range_to_edge_id[:, 0] = starts
    range_to_edge_id[:, 1] = ends
    bounds = np.zeros(n_nodes + 1, dtype=np.uint64)
    np.cumsum(np.bincount(run_node, minlength=n_nodes), out=bounds[1:])
    node_id_to_ranges = np.empty((n_nodes, 2), dtype=np.uint64)
    node_id_to_ranges[:, 0] = bounds[:-1]
    node_id_to_ranges[:, 1] = bounds[1:]
    return node_id_to_ranges, range_to_edge_id
