"""BMTK-style connection rules: a constant, a list, or a Python function.

``connection_rule`` semantics follow BMTK's builder:

* an integer ``n``: every (source, target) pair gets ``n`` synapses (self-pairs included);
* a function with ``iterator='one_to_one'``: ``rule(source, target, **params)`` per pair
  returns a count (``None``/0 = not connected);
* ``iterator='one_to_all'``: ``rule(source, [targets], **params)`` per source returns one
  count per target; ``'all_to_one'``: ``rule([sources], target, **params)`` per target;
* a list of counts: ``S*T`` values (pairs in source-major order) for ``one_to_one``,
  ``T`` values repeated for every source for ``one_to_all``, ``S`` values for ``all_to_one``.

Only one row (one source or one target) of counts is held at a time, so memory follows the
number of edges, never sources x targets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from cantata.build.nodes import Node
from cantata.errors import BuildError

ITERATORS = ("one_to_one", "one_to_all", "all_to_one")
Triple = tuple[np.ndarray, np.ndarray, np.ndarray]


def as_constant_count(rule: Any) -> int | None:
    """The synapse count if ``rule`` is a plain number, else ``None``."""
    if isinstance(rule, (bool, np.bool_)):
        return None
    if isinstance(rule, (int, np.integer)):
        return int(rule)
    if isinstance(rule, (float, np.floating)) and float(rule).is_integer():
        return int(rule)
    return None


def constant_pairs(n: int, n_source: int, n_target: int, where: str) -> Triple:
    """Every pair with ``n`` synapses (BMTK's integer rule)."""
    if n < 0:
        raise BuildError("negative synapse count", key=f"{where}(connection_rule)",
                         expected="an integer >= 0", found=n)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    src = np.repeat(np.arange(n_source, dtype=np.int64), n_target)
    trg = np.tile(np.arange(n_target, dtype=np.int64), n_source)
    return src, trg, np.full(src.size, n, dtype=np.int64)


def function_pairs(rule: Callable[..., Any], params: dict[str, Any], iterator: str,
                   sources: list[Node], targets: list[Node], where: str) -> Triple:
    """Evaluate a Python rule over the selections in BMTK's iterator order."""
    out_src, out_trg, out_n = [], [], []
    if iterator == "one_to_one":
        for i, src in enumerate(sources):
            counts = _counts([rule(src, trg, **params) for trg in targets], len(targets), where,
                             f"source node {src.node_id}")
            _collect(out_src, out_trg, out_n, counts, fixed=i, fixed_is_source=True)
    elif iterator == "one_to_all":
        for i, src in enumerate(sources):
            counts = _counts(rule(src, targets, **params), len(targets), where,
                             f"source node {src.node_id}")
            _collect(out_src, out_trg, out_n, counts, fixed=i, fixed_is_source=True)
    elif iterator == "all_to_one":
        for j, trg in enumerate(targets):
            counts = _counts(rule(sources, trg, **params), len(sources), where,
                             f"target node {trg.node_id}")
            _collect(out_src, out_trg, out_n, counts, fixed=j, fixed_is_source=False)
    else:
        raise bad_iterator(iterator, where)
    return _join(out_src, out_trg, out_n)


def list_pairs(values: Any, iterator: str, n_source: int, n_target: int, where: str) -> Triple:
    """BMTK's list rule: counts given up front, laid out as the iterator says."""
    expected = {"one_to_one": n_source * n_target, "one_to_all": n_target, "all_to_one": n_source}
    if iterator not in expected:
        raise bad_iterator(iterator, where)
    counts = _counts(values, expected[iterator], where, "the list")
    if iterator == "one_to_one":
        flat = np.flatnonzero(counts)
        src, trg = np.divmod(flat, max(n_target, 1))
        return src, trg, counts[flat]
    hit = np.flatnonzero(counts)
    n_other = n_source if iterator == "one_to_all" else n_target
    fixed = np.repeat(np.arange(n_other, dtype=np.int64), hit.size)
    varying = np.tile(hit, n_other)
    nsyns = np.tile(counts[hit], n_other)
    if iterator == "one_to_all":
        return fixed, varying, nsyns
    return varying, fixed, nsyns


def bad_iterator(iterator: Any, where: str) -> BuildError:
    return BuildError("unknown iterator", key=f"{where}(iterator)",
                      expected=" or ".join(repr(i) for i in ITERATORS), found=repr(iterator))


def _counts(values: Any, n: int, where: str, who: str) -> np.ndarray:
    """Validate a rule's result: ``n`` non-negative integer counts (``None`` = 0)."""
    if values is None:
        values = [None] * n
    try:
        arr = np.asarray(values)
    except ValueError:
        arr = np.asarray(values, dtype=object)
    if arr.dtype == object:
        arr = np.asarray([0 if v is None else v for v in arr.ravel()]).reshape(arr.shape)
    if arr.shape != (n,):
        raise BuildError(f"connection_rule returned the wrong shape for {who}",
                         key=f"{where}(connection_rule)", expected=f"{n} counts",
                         found=f"shape {arr.shape}")
    kind = arr.dtype.kind
    if kind == "b":
        return arr.astype(np.int64)
    if kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if bad.any():
            raise BuildError(f"connection_rule returned a non-integer count for {who}",
                             key=f"{where}(connection_rule)", expected="integer synapse counts",
                             found=arr[bad][0].item())
        arr = arr.astype(np.int64)
    elif kind not in "iu":
        raise BuildError(f"connection_rule returned non-numeric counts for {who}",
                         key=f"{where}(connection_rule)", expected="integer synapse counts",
                         found=repr(arr.ravel()[:3].tolist()))
    if arr.size and arr.min() < 0:
        raise BuildError(f"connection_rule returned a negative count for {who}",
                         key=f"{where}(connection_rule)", expected="counts >= 0",
                         found=int(arr.min()))
    return arr.astype(np.int64, copy=False)


def _collect(out_src: list, out_trg: list, out_n: list, counts: np.ndarray, *, fixed: int,
             fixed_is_source: bool) -> None:
    hit = np.flatnonzero(counts)
    if not hit.size:
        return
    same = np.full(hit.size, fixed, dtype=np.int64)
    out_src.append(same if fixed_is_source else hit)
    out_trg.append(hit if fixed_is_source else same)
    out_n.append(counts[hit])


def _join(out_src: list, out_trg: list, out_n: list) -> Triple:
    if not out_src:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    return np.concatenate(out_src), np.concatenate(out_trg), np.concatenate(out_n)
