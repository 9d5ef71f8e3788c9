"""Time stepping of coupled population densities.

All internal populations are stacked into one sparse linear system ``dx/dt = A(t) x``: the
probability mass of every population's voltage bins, plus one counter per population that
accumulates the mass crossing threshold. ``A`` is the sum of the leak operators and of each
jump operator times its input rate (presynaptic rate x in-degree). Input rates are held
constant over a step, so a step is ``x <- exp(A dt) x``, computed by uniformisation: with
``L >= max |A_ii|`` and ``P = I + A / L`` (a non-negative matrix),
``exp(A dt) x = sum_k Poisson(k; L dt) P^k x``. Every term is non-negative, so the result keeps
probability mass exactly and never goes negative; the series is cut when the Poisson tail is
below ``tol``. The counter at the end of a step is the number of spikes per neuron in the
step, so the reported rate of a step is its mean rate.

Coupling is explicit: a step from ``t[n-1]`` to ``t[n]`` sees each source's mean rate over
``(t[n-1] - delay, t[n] - delay]``, with ``delay`` rounded to whole steps and a zero delay
acting as one step. Units: seconds, volts, Hz.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import gammaln

from cantata.sim.engines.population.density import Grid, Operator
from cantata.sim.engines.population.rates import PiecewiseRate

__all__ = ["Connection", "DensityNetwork", "InternalPopulation"]


@dataclass(frozen=True)
class InternalPopulation:
    """A leaky integrate-and-fire population (DiPDE's ``InternalPopulation``)."""

    key: Hashable
    grid: Grid
    tau_m: float
    initial_rate: float = 0.0
    tol: float = 1e-12


@dataclass(frozen=True)
class Connection:
    """Input to ``target`` from ``source`` (internal key or external key): each neuron of the
    target gets ``nsyn`` inputs firing at the source's rate, each a jump of ``weight`` V."""

    source: Hashable
    target: Hashable
    weight: float
    nsyn: float
    delay: float = 0.0


class DensityNetwork:
    """Internal populations, external rates and connections, stepped with a fixed ``dt`` (s)."""

    def __init__(self, internals: Sequence[InternalPopulation], externals: dict[Hashable, PiecewiseRate],
                 connections: Sequence[Connection], dt: float, n_steps: int) -> None:
        self.internals = list(internals)
        self.dt = float(dt)
        self.n_steps = int(n_steps)
        self.step = 0
        index = {p.key: i for i, p in enumerate(self.internals)}
        sizes = np.array([p.grid.n_bins for p in self.internals], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(sizes)])
        n_bins = int(self.offsets[-1])
        self.counters = n_bins + np.arange(len(self.internals))
        size = n_bins + len(self.internals)

        # operators: 0 is the (constant) leak of every population, then one per (target, weight)
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, int]] = []
        for i, pop in enumerate(self.internals):
            op = pop.grid.leak(pop.tau_m)
            parts.append((op.rows + self.offsets[i], op.cols + self.offsets[i], op.values, 0))
        op_of: dict[tuple[int, float], int] = {}
        conn_op, conn_nsyn, conn_delay, conn_src, conn_external = [], [], [], [], []
        self._ext_rates: list[PiecewiseRate] = []
        for conn in connections:
            if conn.nsyn == 0 or conn.weight == 0:
                continue
            target = index[conn.target]
            key = (target, float(conn.weight))
            if key not in op_of:
                op_of[key] = len(op_of) + 1
                op = self.internals[target].grid.jump(conn.weight)
                parts.append(self._placed(op, target, op_of[key]))
            conn_op.append(op_of[key])
            conn_nsyn.append(float(conn.nsyn))
            conn_delay.append(int(round(conn.delay / self.dt)))
            if conn.source in index:
                conn_src.append(index[conn.source])
                conn_external.append(False)
            else:
                conn_src.append(len(self._ext_rates))
                conn_external.append(True)
                self._ext_rates.append(externals[conn.source])
        self.n_ops = len(op_of) + 1
        self._conn_op = np.array(conn_op, dtype=np.int64)
        self._conn_nsyn = np.array(conn_nsyn, dtype=float)
        self._conn_delay = np.array(conn_delay, dtype=np.int64)
        self._conn_src = np.array(conn_src, dtype=np.int64)
        self._conn_external = np.array(conn_external, dtype=bool)

        # one sparse pattern for the sum of all operators; per step only its values change
        rows = np.concatenate([p[0] for p in parts])
        cols = np.concatenate([p[1] for p in parts])
        self._values = np.concatenate([p[2] for p in parts])
        self._op_id = np.concatenate([np.full(p[0].size, p[3], dtype=np.int64) for p in parts])
        flat = rows.astype(np.int64) * size + cols
        diag = np.arange(size, dtype=np.int64) * (size + 1)
        pattern, self._pos = np.unique(np.concatenate([flat, diag]), return_inverse=True)
        self._pos = self._pos[: flat.size]
        self._diag_pos = np.searchsorted(pattern, diag)
        p_rows, p_cols = np.divmod(pattern, size)
        indptr = np.concatenate([[0], np.cumsum(np.bincount(p_rows, minlength=size))])
        self._matrix = sp.csr_matrix((np.zeros(pattern.size), p_cols, indptr), shape=(size, size))
        self.tol = min((p.tol for p in self.internals), default=1e-12)

        self.state = np.zeros(size)
        for i, pop in enumerate(self.internals):
            self.state[self.offsets[i]:self.offsets[i + 1]] = pop.grid.initial_mass()
        self.rates = np.zeros((self.n_steps + 1, len(self.internals)))
        self.rates[0] = [p.initial_rate for p in self.internals]

    def _placed(self, op: Operator, target: int, op_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """``op`` moved to ``target``'s block, with its threshold crossings counted."""
        assert op.fired is not None
        firing = np.flatnonzero(op.fired)
        base = self.offsets[target]
        rows = np.concatenate([op.rows + base, np.full(firing.size, self.counters[target])])
        cols = np.concatenate([op.cols + base, firing + base])
        return rows, cols, np.concatenate([op.values, op.fired[firing]]), op_id

    @property
    def times(self) -> np.ndarray:
        """Times (s) of the recorded rates so far: 0, dt, ..., step * dt."""
        return np.arange(self.step + 1) * self.dt

    def _external_inputs(self, first: int, last: int) -> np.ndarray:
        """Mean rate of each external connection's source over steps ``first..last``
        (``[n_connections, steps]``), shifted by the connection's delay."""
        ends = np.arange(first, last + 1) * self.dt
        out = np.zeros((self._conn_op.size, ends.size))
        for j in np.flatnonzero(self._conn_external):
            t1 = ends - self._conn_delay[j] * self.dt
            out[j] = self._ext_rates[self._conn_src[j]].mean(t1 - self.dt, t1)
        return out

    def advance(self, n_end: int) -> None:
        """Step until ``n_end`` steps are done (at most ``n_steps``)."""
        n_end = min(int(n_end), self.n_steps)
        if n_end <= self.step:
            return
        matrix = self._matrix
        internal = ~self._conn_external
        lag = np.maximum(self._conn_delay[internal], 1)   # a zero delay acts as one step
        sources = self._conn_src[internal]
        external = self._external_inputs(self.step + 1, n_end)
        for col, n in enumerate(range(self.step + 1, n_end + 1)):
            lam = external[:, col]
            lam[internal] = self.rates[np.maximum(n - lag, 0), sources]
            coef = np.bincount(self._conn_op, weights=lam * self._conn_nsyn, minlength=self.n_ops)
            coef[0] = 1.0
            matrix.data[:] = np.bincount(self._pos, weights=self._values * coef[self._op_id],
                                         minlength=matrix.data.size)
            self.state[self.counters] = 0.0
            self.state = self._expm_step(matrix, self.state)
            self.rates[n] = self.state[self.counters] / self.dt
            self.step = n

    def _expm_step(self, matrix: sp.csr_matrix, x: np.ndarray) -> np.ndarray:
        """``exp(matrix * dt) @ x`` by uniformisation."""
        diag = matrix.data[self._diag_pos]
        rate = float(-diag.min()) if diag.size else 0.0
        if rate <= 0.0:
            return x
        weights = _poisson_weights(rate * self.dt, self.tol)
        # P = I + A / rate (the matrix's values are rebuilt from the operators every step)
        matrix.data[self._diag_pos] += rate
        matrix.data *= 1.0 / rate
        total = weights[0] * x
        term = x
        for w in weights[1:].tolist():
            term = matrix @ term
            total += w * term
        return total


def _poisson_weights(mean: float, tol: float) -> np.ndarray:
    """Poisson probabilities ``P(k; mean)`` for ``k = 0..K``, ``K`` the first whose upper tail
    is below ``tol``, renormalised to sum to 1 (so probability mass is kept exactly)."""
    k_max = int(mean + 12.0 * np.sqrt(mean) + 30)
    k = np.arange(k_max + 1)
    weights = np.exp(-mean + k * np.log(mean) - gammaln(k + 1))
    tail = 1.0 - np.cumsum(weights)
    last = int(np.argmax(tail < tol)) if (tail < tol).any() else k_max
    weights = weights[: last + 1]
    return weights / weights.sum()
