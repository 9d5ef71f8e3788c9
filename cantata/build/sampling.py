"""Vectorised random sampling used by the connection rules.

Nothing here allocates anything of size sources x targets: work and memory grow with the
number of edges drawn (plus one entry per node).
"""

from __future__ import annotations

import numpy as np

#: Draws per batch in the geometric-skip sampler (bounds its working memory).
BATCH = 1 << 22
#: Above this fraction of the pool, a group is sampled by sorting random keys instead of
#: drawing and re-drawing duplicates.
DENSE_FRACTION = 0.25
#: Elements per chunk of random keys in the dense path.
DENSE_CHUNK = 1 << 23


def bernoulli_flat(rng: np.random.Generator, total: int, p: float) -> np.ndarray:
    """Sorted indices in ``[0, total)``, each included independently with probability ``p``.

    Geometric skipping: the gaps between successive hits are drawn directly, so the cost is
    proportional to the number of hits, not to ``total``.
    """
    if total <= 0 or p <= 0.0:
        return np.zeros(0, dtype=np.int64)
    if p >= 1.0:
        return np.arange(total, dtype=np.int64)
    out: list[np.ndarray] = []
    last = -1  # last index drawn so far
    while True:
        expected = (total - 1 - last) * p
        size = int(min(BATCH, expected + 6.0 * np.sqrt(expected) + 16))
        hits = np.cumsum(rng.geometric(p, size=size), dtype=np.int64)
        hits += last
        if hits[-1] < total:
            out.append(hits)
            last = int(hits[-1])
            continue
        out.append(hits[: np.searchsorted(hits, total)])
        break
    return np.concatenate(out) if len(out) > 1 else out[0]


def sample_without_replacement(rng: np.random.Generator, counts: np.ndarray, pool: np.ndarray,
                               exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For each group ``g`` draw ``counts[g]`` distinct values from ``range(pool[g])``.

    ``exclude[g] >= 0`` removes that one value from group ``g``'s pool (no autapse).
    Returns ``(group, value)`` arrays sorted by group, then value. Each group's values are
    a uniform random subset of its pool. Raises ``ValueError`` if a count exceeds its pool.
    """
    counts = np.asarray(counts, dtype=np.int64)
    pool = np.broadcast_to(np.asarray(pool, dtype=np.int64), counts.shape)
    if exclude is None:
        exclude = np.full(counts.shape, -1, dtype=np.int64)
    effective = pool - (exclude >= 0)
    if np.any(counts > effective):
        g = int(np.argmax(counts > effective))
        raise ValueError(f"cannot draw {int(counts[g])} distinct values from {int(effective[g])}")
    if counts.sum() == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    total_pool = int(effective[counts > 0].sum())
    if counts.sum() > DENSE_FRACTION * total_pool:
        groups, values = _dense(rng, counts, effective)
    else:
        groups, values = _sparse(rng, counts, effective)
    shift = exclude[groups]
    values += (shift >= 0) & (values >= shift)
    return groups, values


def _dense(rng: np.random.Generator, counts: np.ndarray, effective: np.ndarray):
    """Rank random keys per group; keep the ``counts[g]`` smallest. Chunked over groups."""
    width = int(effective.max())
    active = np.flatnonzero(counts > 0)
    step = max(1, DENSE_CHUNK // max(width, 1))
    groups, values = [], []
    columns = np.arange(width, dtype=np.int64)
    for start in range(0, active.size, step):
        rows = active[start:start + step]
        keys = rng.random((rows.size, width))
        keys[columns[None, :] >= effective[rows, None]] = np.inf
        order = np.argsort(keys, axis=1)
        keep = columns[None, :] < counts[rows, None]
        chosen = np.sort(np.where(keep, order, width), axis=1)
        mask = chosen < width
        groups.append(np.repeat(rows, counts[rows]))
        values.append(chosen[mask])
    return np.concatenate(groups), np.concatenate(values).astype(np.int64)


def _sparse(rng: np.random.Generator, counts: np.ndarray, effective: np.ndarray):
    """Draw with replacement, then re-draw the duplicates until every group is complete."""
    width = int(effective.max())
    group = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    keys = group * width + rng.integers(0, effective[group])
    base = np.unique(keys)
    missing = counts - np.bincount(base // width, minlength=counts.size)
    extra: list[np.ndarray] = []
    while missing.any():
        group = np.repeat(np.arange(counts.size, dtype=np.int64), missing)
        fresh = np.unique(group * width + rng.integers(0, effective[group]))
        fresh = fresh[~_contains(base, fresh)]
        for previous in extra:
            fresh = fresh[~_contains(previous, fresh)]
        extra.append(fresh)
        missing -= np.bincount(fresh // width, minlength=counts.size)
    if extra:
        base = np.sort(np.concatenate([base, *extra]))
    return base // width, base % width


def _contains(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Mask of ``keys`` present in the sorted array ``sorted_keys``."""
    if sorted_keys.size == 0:
        return np.zeros(keys.size, dtype=bool)
    pos = np.searchsorted(sorted_keys, keys)
    pos[pos == sorted_keys.size] = 0
    return sorted_keys[pos] == keys


def sample_pairs(rng: np.random.Generator, n: int, n_rows: int, n_cols: int,
                 forbidden: np.ndarray | None = None) -> np.ndarray:
    """``n`` distinct flat indices ``row * n_cols + col`` of an ``n_rows x n_cols`` grid.

    ``forbidden`` (sorted flat indices) are never drawn. Sorted result.
    """
    total = n_rows * n_cols
    allowed = total - (0 if forbidden is None else forbidden.size)
    if n > allowed:
        raise ValueError(f"cannot draw {n} distinct pairs from {allowed}")
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if forbidden is None or forbidden.size == 0:
        if n > DENSE_FRACTION * total and total <= DENSE_CHUNK:
            return np.sort(rng.choice(total, size=n, replace=False))
        _, values = _sparse(rng, np.array([n]), np.array([total]))
        return values
    # Draw among allowed positions: rank r maps to the r-th index not in ``forbidden``.
    if n > DENSE_FRACTION * allowed and allowed <= DENSE_CHUNK:
        ranks = np.sort(rng.choice(allowed, size=n, replace=False))
    else:
        _, ranks = _sparse(rng, np.array([n]), np.array([allowed]))
    return skip_forbidden(ranks, forbidden)


def skip_forbidden(ranks: np.ndarray, forbidden: np.ndarray) -> np.ndarray:
    """Map ranks among allowed positions to absolute positions (``forbidden`` sorted, unique)."""
    # position = rank + number of forbidden positions <= position; solve by searching
    # forbidden[k] - k (non-decreasing) for the rank.
    shifted = forbidden - np.arange(forbidden.size, dtype=np.int64)
    return ranks + np.searchsorted(shifted, ranks, side="right")
