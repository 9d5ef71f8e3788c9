"""Inhomogeneous Poisson spikes from sampled rates, as BMTK FilterNet draws them.

Rate ``r[k]`` (Hz) holds on ``[t[k], t[k+1])``; the interval is split into the fewest equal bins
whose spike probability ``r * dt / n`` is at most 0.1; each bin spikes with that probability,
at a uniform time inside it. The last sample starts no interval.
"""

from __future__ import annotations

import numpy as np

__all__ = ["poisson_spikes"]

P_SPIKE_MAX = 0.1


def poisson_spikes(t_ms: np.ndarray, rates: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Spikes of every column of ``rates [times, cells]``: (column index, time in ms), by column."""
    t_ms = np.asarray(t_ms, dtype=float)
    if t_ms.size < 2 or rates.shape[1] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    start, width = t_ms[:-1], np.diff(t_ms)
    expected = rates[:-1].T * (width / 1000.0)                     # [cells, intervals]
    n_bins = np.where(expected > P_SPIKE_MAX, np.ceil(expected / P_SPIKE_MAX), 1).astype(np.int64)
    n_bins[expected <= 0] = 0
    flat_bins = n_bins.ravel()
    total = int(flat_bins.sum())
    interval = np.repeat(np.arange(flat_bins.size), flat_bins)
    first = np.repeat(np.cumsum(flat_bins) - flat_bins, flat_bins)
    which = np.arange(total) - first                                # bin number inside its interval
    cell, k = np.divmod(interval, start.size)
    bin_w = width[k] / flat_bins[interval]
    p = expected.ravel()[interval] / flat_bins[interval]
    hit = rng.random(total) < p
    times = start[k[hit]] + which[hit] * bin_w[hit] + rng.random(int(hit.sum())) * bin_w[hit]
    return cell[hit].astype(np.int64), times
