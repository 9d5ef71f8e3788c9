"""Spike trains of NetStim and VecStim sources, computed before the run.

With ``noise`` 0 the trains are the ones NEURON's ``NetStim`` (and NetPyNE's ``VecStim``
interval form) produce, to the last bit: the same additions in the same order. With ``noise``
> 0 the intervals follow NetStim's rule (a fixed part ``(1 - noise) * interval`` plus an
exponential part of mean ``noise * interval``) but are drawn from Cantata's generator, seeded
from ``simConfig.seeds['stim']`` and the source's label, not from NetPyNE's Random123 streams.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from cantata.specs.checks import fail, is_number, number

#: NEURON's NetStim defaults (NetPyNE sets ``number`` to 1e9 when it is not given).
NETSTIM_DEFAULTS = {"interval": 10.0, "number": 1e9, "start": 50.0, "noise": 0.0}


def interval_of(params: Mapping[str, Any], key: str, default: float | None = None, *,
                inverse_rate: bool = False) -> float:
    """``interval`` (ms) from ``rate`` (Hz) or ``interval``. NetPyNE computes a population's
    interval as ``1000 / rate`` and a stimulation source's as ``rate ** -1 * 1e3``
    (``inverse_rate``); the two can differ in the last bit, so both are kept."""
    if "rate" in params:
        rate = number(params["rate"], f"{key}.rate", positive=True)
        return rate ** -1 * 1e3 if inverse_rate else 1000.0 / rate
    if "interval" in params:
        return number(params["interval"], f"{key}.interval", positive=True)
    if default is None:
        fail("needs a rate or an interval", f"{key}.rate", expected="a rate (Hz) or interval (ms)")
    return default


def netstim_times(interval: float, count: float, start: float, noise: float, tstop: float,
                  rng: np.random.Generator) -> np.ndarray:
    """Spike times (ms, up to ``tstop``) of one NEURON ``NetStim``: the first at
    ``start + invl - interval * (1 - noise)`` (not before 0), then one every ``invl``, where
    ``invl = (1 - noise) * interval + noise * interval * Exp(1)``; at most ``count`` spikes."""
    noise = min(max(noise, 0.0), 1.0)
    if start < 0 or count <= 0:
        return np.zeros(0)
    mean = interval if interval > 0 else 0.01  # NetStim's guard against a zero interval
    fixed = (1.0 - noise) * mean
    if noise == 0:
        first = max(start + mean - mean * (1.0 - noise), 0.0)
        n = int(min(count, max(math.floor((tstop - first) / mean) + 2, 1)))
        steps = np.full(n - 1, mean)
    else:
        first = max(start + (fixed + noise * mean * rng.exponential()) - fixed, 0.0)
        steps = np.zeros(0)
        while steps.size + 1 < count and first + steps.sum() <= tstop:
            chunk = int(min(count - 1 - steps.size, max((tstop - first) / mean, 0) + 16))
            steps = np.concatenate([steps, fixed + noise * mean * rng.exponential(size=chunk)])
    times = np.cumsum(np.concatenate([[first], steps]))
    return times[times <= tstop]


def vecstim_interval_times(interval: float, start: float, noise: float, duration: float,
                           rng: np.random.Generator) -> np.ndarray:
    """NetPyNE's VecStim ``rate``/``interval`` form (its formula, before its clipping)."""
    count = int((1 + 1.5 * noise) * duration / interval)
    fixed = np.full(count, (1.0 - noise) * interval)
    if noise == 0:
        return np.cumsum(fixed) + (start - interval)
    return np.cumsum(fixed + rng.exponential(noise * interval, size=count)) + (start - interval * (1 - noise))


def clip(times: np.ndarray, duration: float) -> np.ndarray:
    """NetPyNE's VecStim rule: negative times become 0, sorted, only times <= duration."""
    times = np.sort(np.maximum(np.asarray(times, dtype=float), 0.0))
    return times[times <= duration]


def population_spikes(model: str, params: Mapping[str, Any], size: int, duration: float, key: str,
                      rng: np.random.Generator) -> list[np.ndarray]:
    """Spike times of each cell of a ``NetStim`` or ``VecStim`` population."""
    if model == "NetStim":
        interval = interval_of(params, key, NETSTIM_DEFAULTS["interval"])
        count = params.get("number", NETSTIM_DEFAULTS["number"])
        count = number(count, f"{key}.number", minimum=0)
        start = number(params.get("start", NETSTIM_DEFAULTS["start"]), f"{key}.start")
        noise = number(params.get("noise", 0.0), f"{key}.noise", minimum=0)
        return [netstim_times(interval, count, start, noise, duration, rng) for _ in range(size)]
    if "spkTimes" in params:
        for other in ("rate", "interval", "noise", "start"):
            if other in params:
                fail("give spkTimes or rate/interval, not both", f"{key}.{other}", expected="spkTimes alone")
        return _given_times(params["spkTimes"], size, duration, key)
    interval = interval_of(params, key)
    start = number(params.get("start", 0.0), f"{key}.start")
    noise = number(params.get("noise", 0.0), f"{key}.noise", minimum=0)
    return [clip(vecstim_interval_times(interval, start, noise, duration, rng), duration) for _ in range(size)]


def _given_times(value: Any, size: int, duration: float, key: str) -> list[np.ndarray]:
    if not isinstance(value, (list, tuple, np.ndarray)) or len(value) == 0:
        fail("spkTimes is a list of times, or one list per cell", f"{key}.spkTimes",
             expected="[t0, t1, ...] or [[...], [...], ...]", found=value)
    if all(isinstance(v, (list, tuple, np.ndarray)) for v in value):
        if len(value) != size:
            fail("one spike-time list per cell", f"{key}.spkTimes", expected=f"{size} lists", found=len(value))
        trains = [list(v) for v in value]
    else:
        trains = [list(value)] * size
    out = []
    for train in trains:
        if not all(is_number(t) for t in train):
            fail("spike times must be numbers (ms)", f"{key}.spkTimes", found=train)
        out.append(clip(np.asarray(train, dtype=float), duration))
    return out


