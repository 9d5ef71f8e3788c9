"""Random jitter of LGN filter parameters (BMTK FilterNet's ``jitter_lower``/``jitter_upper``).

Per node: when a population has both node attributes ``jitter_lower`` and ``jitter_upper``
(node file or node-types table), each of the node's temporal-filter parameters ``v`` (both
weights, both kpeaks, both delays; for two-subfield types those of both subfields, and
``sf_sep``) is replaced by a draw from the uniform distribution between ``v * jitter_lower``
and ``v * jitter_upper``, as BMTK does. Delays are truncated to whole ms after the draw.

Cantata draws from the simulation's seeded generator (``run.random_seed``, default 0), so a
config always builds the same units; BMTK draws from numpy's unseeded global state, so its
units differ from run to run (same distribution, different values).

In the ``conditions`` block, ``jitter_lower``/``jitter_upper`` are checked (both or neither,
lower <= upper) but change nothing: BMTK 1.2 validates them and then never applies them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Jitter", "jitter_range"]


@dataclass(frozen=True)
class Jitter:
    """Multipliers ``lower <= upper`` of a uniform jitter."""

    lower: float
    upper: float

    def apply(self, values: Any, rng: np.random.Generator) -> np.ndarray:
        """``values`` each drawn uniformly between ``v * lower`` and ``v * upper`` (one draw per value,
        in order). With ``lower == upper`` this is exactly ``v * lower``."""
        v = np.asarray(values, dtype=float)
        lo, hi = v * self.lower, v * self.upper
        return lo + (hi - lo) * rng.random(v.shape)


def jitter_range(values: Mapping[str, Any], where: str) -> Jitter | None:
    """The jitter given by ``values["jitter_lower"]``/``values["jitter_upper"]`` (None when
    neither is there). ``ValueError`` naming ``where`` for one without the other, a value
    that is not a finite number, a negative lower bound or lower > upper."""
    lower, upper = values.get("jitter_lower"), values.get("jitter_upper")
    if lower is None and upper is None:
        return None
    if lower is None or upper is None:
        missing = "jitter_lower" if lower is None else "jitter_upper"
        raise ValueError(f"{where}: jitter_lower and jitter_upper go together; {missing} is missing")
    bounds = []
    for name, value in (("jitter_lower", lower), ("jitter_upper", upper)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not math.isfinite(float(value)):
            raise ValueError(f"{where}: {name} must be a finite number, found {value!r}")
        bounds.append(float(value))
    if bounds[0] < 0 or bounds[0] > bounds[1]:
        raise ValueError(f"{where}: the jitter range needs 0 <= jitter_lower <= jitter_upper, "
                         f"found [{bounds[0]}, {bounds[1]}]")
    return Jitter(bounds[0], bounds[1])
