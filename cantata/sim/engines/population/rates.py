"""PopNet's rate files: the ``pop_rates`` input csv and the ``rates_file`` output.

* input (BMTK's ``pop_rates``): whitespace- or comma-separated with a header; columns ``gid``
  (the population's ``node_type_id``; ``node_type_id`` is accepted as the column name too) and
  ``firing_rate`` (Hz). Cantata also reads an optional ``timestamps`` column (s): then each row
  sets the rate of its population from that time on (a piecewise-constant rate).
* output (BMTK's ``rates_file``): space-separated, no header, one line per population and time:
  ``<node_type_id> <time in s> <rate in Hz>``, populations in network order, times rising.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cantata.errors import FormatError
from cantata.sonata._io import atomic_path

__all__ = ["PiecewiseRate", "read_pop_rates", "write_rates_file"]


@dataclass(frozen=True)
class PiecewiseRate:
    """A firing rate (Hz) that is ``values[k]`` from ``times[k]`` (s) on (``values[0]`` before)."""

    times: np.ndarray
    values: np.ndarray

    @classmethod
    def constant(cls, rate: float) -> PiecewiseRate:
        return cls(np.zeros(1), np.array([float(rate)]))

    def _integral(self, t: np.ndarray) -> np.ndarray:
        """Integral of the rate from ``times[0]`` to ``t`` (negative before ``times[0]``)."""
        knots = np.asarray(self.times, dtype=float)
        vals = np.asarray(self.values, dtype=float)
        cum = np.concatenate([[0.0], np.cumsum(vals[:-1] * np.diff(knots))])
        k = np.clip(np.searchsorted(knots, t, side="right") - 1, 0, knots.size - 1)
        return cum[k] + vals[k] * (t - knots[k])

    def mean(self, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
        """Mean rate over each interval ``(t0, t1]``."""
        t0, t1 = np.asarray(t0, dtype=float), np.asarray(t1, dtype=float)
        return (self._integral(t1) - self._integral(t0)) / (t1 - t0)


_ID_COLUMNS = ("gid", "node_type_id")


def read_pop_rates(path: str | Path, *, key: str | None = None) -> dict[int, PiecewiseRate]:
    """The rate of each population (``node_type_id`` -> rate) in a ``pop_rates`` csv."""
    path = Path(path)
    if not path.is_file():
        raise FormatError("rates file not found", file=path, key=key)
    try:
        table = pd.read_csv(path, sep=r"[\s,]+", engine="python")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise FormatError(f"cannot read the rates csv: {exc}", file=path, key=key) from None
    id_column = next((c for c in _ID_COLUMNS if c in table.columns), None)
    missing = [name for name, present in (("gid", id_column), ("firing_rate", "firing_rate" in table.columns))
               if not present]
    if missing:
        raise FormatError("rates csv lacks required columns", file=path, key=key,
                          expected="columns gid (or node_type_id) and firing_rate, optional timestamps (s)",
                          found=f"missing {', '.join(missing)}; columns {list(table.columns)}")
    ids = _numbers(table[id_column], path, key, id_column)
    if (ids != np.round(ids)).any():
        raise FormatError("population ids must be whole numbers", file=path, key=key,
                          found=ids[ids != np.round(ids)][:5].tolist())
    rates = _numbers(table["firing_rate"], path, key, "firing_rate")
    if (rates < 0).any():
        raise FormatError("firing rates cannot be negative", file=path, key=key, found=rates[rates < 0][:5].tolist())
    ids = ids.astype(np.int64)
    if "timestamps" not in table.columns:
        unique, counts = np.unique(ids, return_counts=True)
        if (counts > 1).any():
            raise FormatError("a population has more than one rate and no timestamps column", file=path, key=key,
                              expected="one row per gid, or a timestamps column", found=unique[counts > 1].tolist())
        return {int(i): PiecewiseRate.constant(r) for i, r in zip(ids.tolist(), rates.tolist())}
    times = _numbers(table["timestamps"], path, key, "timestamps")
    out = {}
    for gid in np.unique(ids).tolist():
        rows = np.flatnonzero(ids == gid)
        t = times[rows]
        if (np.diff(t) <= 0).any():
            raise FormatError("timestamps of a population must rise", file=path, key=key,
                              expected="increasing times (s) for each gid", found=f"gid {gid}: {t[:10].tolist()}")
        out[int(gid)] = PiecewiseRate(t, rates[rows])
    return out


def _numbers(column: pd.Series, path: Path, key: str | None, name: str) -> np.ndarray:
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        raise FormatError(f"column {name} must hold finite numbers", file=path, key=key,
                          found=column[bad].head(5).tolist())
    return values


def write_rates_file(path: Path, keys: Sequence[Any], times: np.ndarray, rates: np.ndarray) -> Path:
    """Write ``rates[:, i]`` (Hz) of population ``keys[i]`` at ``times`` (s) in BMTK's layout."""
    time_text = [repr(float(t)) for t in times]
    with atomic_path(path, overwrite=True) as tmp, open(tmp, "w", encoding="utf-8") as out:
        for column, key in enumerate(keys):
            prefix = f"{key} "
            out.writelines(f"{prefix}{t} {r!r}\n" for t, r in zip(time_text, rates[:, column].tolist()))
    return Path(path)
