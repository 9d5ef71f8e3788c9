"""Firing-rate files in BMTK FilterNet's layouts (times in seconds, rates in Hz).

* h5: ``/firing_rates/<population>/{node_id [N] uint64, times [T] s, firing_rates_Hz [T, N]}``
* csv: space-delimited ``node_id population timestamps firing_rates``, one row per node and
  time, sorted by population, node id, time.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import h5py
import numpy as np

from cantata.sonata._io import atomic_path

__all__ = ["write_rates_csv", "write_rates_h5"]

RatesTable = Mapping[str, tuple[np.ndarray, np.ndarray]]  # population -> (node_ids [N], rates [T, N])


def _sorted(node_ids: np.ndarray, rates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(node_ids, kind="stable")
    return node_ids[order], rates[:, order]


def write_rates_h5(path: Path, times: np.ndarray, table: RatesTable, *, compression: str | None = "gzip") -> Path:
    """Write the rates of every population to ``path`` (replacing it atomically)."""
    with atomic_path(path, overwrite=True) as tmp, h5py.File(tmp, "w") as h5:
        root = h5.create_group("firing_rates")
        for population, (node_ids, rates) in table.items():
            ids, values = _sorted(np.asarray(node_ids), np.asarray(rates))
            group = root.create_group(population)
            group.create_dataset("node_id", data=ids.astype(np.uint64), compression=compression)
            group.create_dataset("times", data=np.asarray(times, dtype=float), compression=compression)
            group.create_dataset("firing_rates_Hz", data=values, compression=compression)
    return Path(path)


def write_rates_csv(path: Path, times: np.ndarray, table: RatesTable) -> Path:
    """Write the rates as BMTK's space-delimited csv (one row per node and time)."""
    with atomic_path(path, overwrite=True) as tmp, open(tmp, "w", encoding="utf-8") as out:
        out.write("node_id population timestamps firing_rates\n")
        time_text = [repr(float(t)) for t in times]
        for population, (node_ids, rates) in table.items():
            ids, values = _sorted(np.asarray(node_ids), np.asarray(rates))
            for column, node_id in enumerate(ids.tolist()):
                prefix = f"{node_id} {population} "
                out.writelines(f"{prefix}{t} {float(r)!r}\n" for t, r in zip(time_text, values[:, column].tolist()))
    return Path(path)
