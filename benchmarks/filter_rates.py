"""Check values of a FilterNet rates file and the S6 agreement rule (numpy and h5py only, so both
Cantata's and the peers' interpreter can use it).

A side reports the count of units and samples, two fingerprints of the whole table (the sum of
the rates and a sum weighted by fixed positive pseudo-random weights) and the path of its rates
file. Two sides agree when the counts are equal and every sample of the two files is equal to
``RTOL`` relative (plus ``ATOL`` Hz, for samples near zero): the rule of
tests/test_filternet_reference.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

RTOL = 1e-9
ATOL = 1e-9  # Hz
POPULATION = "lgn"


def read_rates(path: Path, population: str = POPULATION) -> tuple[Any, Any, Any]:
    """``(node_ids, times s, rates [times, nodes] Hz)`` of one population of a rates h5 file."""
    import h5py

    with h5py.File(path, "r") as h5:
        group = h5[f"firing_rates/{population}"]
        return group["node_id"][()], group["times"][()], group["firing_rates_Hz"][()]


def rates_check(path: Path) -> dict[str, Any]:
    """The check values of one side (see the module doc)."""
    import numpy as np

    ids, times, rates = read_rates(path)
    weights = np.random.default_rng(7).uniform(0.5, 1.5, rates.shape)
    return {"n_units": int(ids.size), "n_times": int(times.size), "rates_sum": float(rates.sum()),
            "rates_weighted": float((rates * weights).sum()), "rates_h5": str(path)}


def compare_rates(a: dict[str, Any], b: dict[str, Any]) -> str | None:
    """None when two sides' rates agree (counts, fingerprints, then every sample), else why not."""
    import math

    for key in ("n_units", "n_times"):
        if a.get(key) != b.get(key):
            return f"{key}: {a.get(key)!r} vs {b.get(key)!r}"
    for key in ("rates_sum", "rates_weighted"):
        if not math.isclose(a[key], b[key], rel_tol=RTOL):
            return f"{key}: {a[key]!r} vs {b[key]!r} (allowed relative difference {RTOL:g})"
    import numpy as np

    try:
        ids_a, times_a, rates_a = read_rates(Path(a["rates_h5"]))
        ids_b, times_b, rates_b = read_rates(Path(b["rates_h5"]))
    except (OSError, KeyError) as exc:
        return f"cannot read the rates files for the sample-by-sample comparison: {exc}"
    if not np.array_equal(ids_a, ids_b):
        return "node_id columns differ"
    if not np.allclose(times_a, times_b, rtol=0.0, atol=1e-12):
        return "times differ"
    bad = ~np.isclose(rates_a, rates_b, rtol=RTOL, atol=ATOL)
    if bad.any():
        k, n = np.argwhere(bad)[0]
        return (f"{int(bad.sum())} of {bad.size} rate samples differ by more than {RTOL:g} relative, first at "
                f"time {times_a[k]} s, node {ids_a[n]}: {rates_a[k, n]!r} vs {rates_b[k, n]!r}")
    return None


def largest_difference(a: Path, b: Path) -> dict[str, float]:
    """Largest absolute (Hz) and per-sample relative difference of two rates files."""
    import numpy as np

    ra, rb = read_rates(a)[2], read_rates(b)[2]
    diff = np.abs(ra - rb)
    scale = np.maximum(np.abs(rb), 1e-300)
    return {"max_abs_hz": float(diff.max()), "max_rel": float((diff / scale)[rb != 0].max(initial=0.0)),
            "max_rate_hz": float(np.abs(rb).max())}
