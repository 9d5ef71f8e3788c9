"""Firing-rate files written by the rate engines, read into one table.

* PopNet ``rates_file``: space-separated, no header, ``node_type_id time_s rate_Hz``.
* FilterNet ``rates_csv``: space-separated with the header ``node_id population timestamps
  firing_rates`` (timestamps in s).
* FilterNet ``rates_h5``: ``/firing_rates/<population>/{node_id, times (s), firing_rates_Hz [T, N]}``.

:func:`read_rates` gives every layout as the same long table: ``population`` (PopNet: ``""``,
its files do not name node populations), ``node_id`` (PopNet: the population's
``node_type_id``), ``time`` (ms) and ``rate`` (Hz).
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from cantata.errors import FormatError
from cantata.sonata.config import OUTPUT_OFF, SonataConfig

__all__ = ["RATE_OUTPUT_KEYS", "is_rates_file", "rates_output", "read_rates"]

#: ``output`` keys of rate files, in the order they are looked for.
RATE_OUTPUT_KEYS = ("rates_file", "rates_csv", "rates_h5")
_FILTERNET_HEADER = ["node_id", "population", "timestamps", "firing_rates"]
_COLUMNS = ["population", "node_id", "time", "rate"]


def rates_output(config: SonataConfig) -> Path | None:
    """The rate file a config's ``output`` names (PopNet's, else FilterNet's), or None."""
    for key in RATE_OUTPUT_KEYS:
        value = config.output.get(key)
        if isinstance(value, str) and value.strip().lower() not in OUTPUT_OFF:
            return Path(config.output_path(value))
    return None


def is_rates_file(path: str | PathLike[str]) -> bool:
    """True for a FilterNet rates h5 or a PopNet/FilterNet rates csv (judged by content)."""
    path = Path(path)
    if not path.is_file():
        return False
    if h5py.is_hdf5(path):
        with h5py.File(path, "r") as h5:
            return isinstance(h5.get("firing_rates"), h5py.Group)
    with open(path, encoding="utf-8", errors="replace") as f:
        first = f.readline().split()
    if first == _FILTERNET_HEADER:
        return True
    try:
        return len(first) == 3 and all(np.isfinite(float(v)) for v in first)
    except ValueError:
        return False


def read_rates(path: str | PathLike[str]) -> pd.DataFrame:
    """The rates of ``path`` (any layout above) as ``population, node_id, time (ms), rate (Hz)``."""
    path = Path(path)
    if not path.is_file():
        raise FormatError("rates file not found; has the simulation been run?", file=path)
    if h5py.is_hdf5(path):
        return _read_h5(path)
    with open(path, encoding="utf-8", errors="replace") as f:
        first = f.readline().split()
    if first == _FILTERNET_HEADER:
        table = pd.read_csv(path, sep=r"\s+", dtype={"population": str})
        out = pd.DataFrame({"population": table["population"], "node_id": table["node_id"].astype(np.int64),
                            "time": table["timestamps"].to_numpy(float) * 1000.0,
                            "rate": table["firing_rates"].to_numpy(float)})
        return out
    try:
        values = np.loadtxt(path, ndmin=2)
    except ValueError as exc:
        raise FormatError("not a rates file", file=path, key="columns",
                          expected="PopNet's 'node_type_id time rate' rows or FilterNet's "
                                   "'node_id population timestamps firing_rates' table",
                          found=str(exc).splitlines()[0]) from None
    if values.shape[1] != 3:
        raise FormatError("not a rates file", file=path, key="columns",
                          expected="3 columns (node_type_id, time in s, rate in Hz)",
                          found=f"{values.shape[1]} columns")
    return pd.DataFrame({"population": pd.Series([""] * len(values), dtype=object),
                         "node_id": values[:, 0].astype(np.int64), "time": values[:, 1] * 1000.0,
                         "rate": values[:, 2]})


def _read_h5(path: Path) -> pd.DataFrame:
    frames = []
    with h5py.File(path, "r") as h5:
        root = h5.get("firing_rates")
        if not isinstance(root, h5py.Group):
            raise FormatError("not a rates file", file=path, key="/firing_rates",
                              expected="FilterNet's /firing_rates/<population> groups", found=sorted(h5))
        for population, group in root.items():
            try:
                ids = group["node_id"][()].astype(np.int64)
                times = group["times"][()].astype(float) * 1000.0
                rates = group["firing_rates_Hz"][()]
            except KeyError as exc:
                raise FormatError("rates group lacks a dataset", file=path, key=f"/firing_rates/{population}",
                                  expected="node_id, times, firing_rates_Hz", found=str(exc)) from None
            if rates.shape != (times.size, ids.size):
                raise FormatError("firing_rates_Hz has the wrong shape", file=path,
                                  key=f"/firing_rates/{population}/firing_rates_Hz",
                                  expected=f"[{times.size}, {ids.size}] (times x nodes)", found=list(rates.shape))
            frames.append(pd.DataFrame({"population": population, "node_id": np.repeat(ids, times.size),
                                        "time": np.tile(times, ids.size), "rate": rates.T.ravel()}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=_COLUMNS)
