"""The population-density model of one leaky integrate-and-fire population, as sparse operators.

The membrane potential axis from ``v_min`` to ``v_max`` (threshold) is cut into bins of width
``dv``; the state is the probability mass in each bin. Rest and reset are at ``v = 0``. Mass
moves by two kinds of flow, each written as a generator (a matrix whose columns sum to zero):

* **leak**, towards 0 with time constant ``tau_m``: mass leaves a bin towards its neighbour
  nearer to 0 at rate ``|v_c| / (tau_m dv)``, ``v_c`` the bin centre (the reciprocal of the
  time the leak takes to cross the bin); the bins touching 0 do not leak;
* **jumps** of size ``w`` at unit rate: a bin's mass moves by ``w``, split between the two
  bins the shifted bin overlaps (``w`` need not be a multiple of ``dv``). Mass pushed past
  ``v_max`` fires: it is re-inserted at the reset potential 0 and counted; mass pushed below
  ``v_min`` stays in the lowest bin (as NEST's ``V_min``).

Each operator is returned in coordinate form (rows, cols, values) so the solver can stack the
operators of many populations into one sparse system. Voltages in volts, times in seconds
(DiPDE's units).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Grid", "Operator"]

_SNAP = 1e-9  # w/dv closer than this to a whole number counts as whole


@dataclass(frozen=True)
class Operator:
    """A generator in coordinate form; ``fired[i]`` is the fraction of bin ``i``'s mass that
    crosses threshold per unit rate (only jump operators have one)."""

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    fired: np.ndarray | None = None


@dataclass(frozen=True)
class Grid:
    """The voltage bins of one population: ``n_bins`` bins of width ``dv`` from ``v_min``."""

    v_min: float
    v_max: float
    dv: float

    @property
    def n_bins(self) -> int:
        return int(round((self.v_max - self.v_min) / self.dv))

    @property
    def edges(self) -> np.ndarray:
        return self.v_min + self.dv * np.arange(self.n_bins + 1)

    @property
    def centres(self) -> np.ndarray:
        return self.v_min + self.dv * (np.arange(self.n_bins) + 0.5)

    def reset_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """Bins and weights that hold a unit mass at ``v = 0`` (split linearly between the two
        nearest bin centres; half and half when 0 is a bin edge)."""
        x = (0.0 - self.v_min) / self.dv - 0.5
        if abs(x - round(x)) < _SNAP:
            x = float(round(x))
        low = int(np.floor(x))
        frac = x - low
        if low < 0:
            return np.array([0]), np.array([1.0])
        if low >= self.n_bins - 1:
            return np.array([self.n_bins - 1]), np.array([1.0])
        if frac == 0.0:
            return np.array([low]), np.array([1.0])
        return np.array([low, low + 1]), np.array([1.0 - frac, frac])

    def initial_mass(self) -> np.ndarray:
        """Every neuron at rest (``v = 0``)."""
        mass = np.zeros(self.n_bins)
        bins, weights = self.reset_weights()
        mass[bins] = weights
        return mass

    def leak(self, tau_m: float) -> Operator:
        """Leak towards 0 with time constant ``tau_m`` (s)."""
        edges = self.edges
        lower, upper = edges[:-1], edges[1:]
        centres = self.centres
        index = np.arange(self.n_bins)
        down = lower > 0.0   # bins above rest flow down; the bins touching 0 are sinks
        up = upper < 0.0     # bins below rest flow up
        rate = np.abs(centres) / (tau_m * self.dv)
        src = np.concatenate([index[down], index[up]])
        dst = np.concatenate([index[down] - 1, index[up] + 1])
        r = np.concatenate([rate[down], rate[up]])
        return Operator(rows=np.concatenate([src, dst]), cols=np.concatenate([src, src]),
                        values=np.concatenate([-r, r]))

    def jump(self, w: float) -> Operator:
        """Jumps of size ``w`` (V) at unit rate, with threshold crossing and reset."""
        n = self.n_bins
        shift = w / self.dv
        if abs(shift - round(shift)) < _SNAP:
            shift = float(round(shift))
        whole = int(np.floor(shift))
        frac = shift - whole
        src = np.arange(n)
        rows, cols, values = [src], [src], [-np.ones(n)]
        fired = np.zeros(n)
        for offset, weight in ((whole, 1.0 - frac), (whole + 1, frac)):
            if weight <= 0.0:
                continue
            dst = src + offset
            over = dst >= n
            fired[over] += weight
            inside = ~over
            rows.append(np.maximum(dst[inside], 0))  # below v_min: stays in the lowest bin
            cols.append(src[inside])
            values.append(np.full(int(inside.sum()), weight))
        bins, weights = self.reset_weights()
        firing = np.flatnonzero(fired)
        for b, wt in zip(bins.tolist(), weights.tolist()):
            rows.append(np.full(firing.size, b))
            cols.append(firing)
            values.append(fired[firing] * wt)
        return Operator(rows=np.concatenate(rows), cols=np.concatenate(cols), values=np.concatenate(values),
                        fired=fired)
