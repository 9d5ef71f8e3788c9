"""Check values of a NetPyNE-style run (standard library only, for both interpreters):
spike counts per population, the total and the sum of the spike times."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def spike_check(spkid: Iterable[Any], spkt: Iterable[Any], pops: Mapping[str, Any]) -> dict[str, Any]:
    """``n_spikes``, ``n_spikes_<pop>`` for every population and ``spike_time_sum`` (ms).

    ``pops``: population label -> its gids (a list, or a dict with ``cellGids``).
    """
    owner = {}
    for label, pop in pops.items():
        gids = pop["cellGids"] if isinstance(pop, Mapping) else pop
        owner.update({int(g): label for g in gids})
    counts = dict.fromkeys(pops, 0)
    total_time, n = 0.0, 0
    for gid, t in zip(spkid, spkt):
        counts[owner[int(gid)]] += 1
        total_time += float(t)
        n += 1
    return {"n_spikes": n, **{f"n_spikes_{label}": c for label, c in counts.items()},
            "spike_time_sum": round(total_time, 6)}
