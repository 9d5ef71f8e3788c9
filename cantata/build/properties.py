"""Vectorised per-edge property rules for ``ConnectionMap.add_properties``.

A BMTK-style function ``rule(source, target, **params)`` is still accepted (called once per
edge row); the rules here fill a whole column at once instead::

    cm = net.add_edges(..., connection_rule=Probability(0.1, nsyns=3))
    cm.add_properties("syn_weight", rule=Normal(2.0, 0.5, low=0.0), dtypes=float)
    cm.add_properties("delay", rule=vectorized(lambda e: 1.0 + e.distance() / 300.0))
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from cantata.errors import BuildError

if TYPE_CHECKING:
    from cantata.build.nodes import NodeStore


class _Side:
    """Attribute lookup for one end of every edge row: ``edges.source["pop_name"]``."""

    def __init__(self, store: NodeStore, ids: np.ndarray, where: str) -> None:
        self._store, self.node_ids, self._where = store, ids, where

    def __getitem__(self, name: str) -> np.ndarray:
        if not self._store.has_attribute(name):
            raise BuildError(f"no node of network '{self._store.network}' has attribute '{name}'",
                             key=self._where, expected="one of " + ", ".join(sorted(self._store.attribute_names())),
                             found=name)
        values, present = self._store.column(name)
        if present is not None and not present[self.node_ids].all():
            raise BuildError(f"some nodes have no '{name}'", key=self._where,
                             expected=f"'{name}' on every node of the edges", found="missing values")
        return values[self.node_ids]

    def positions(self) -> np.ndarray:
        return self._store.positions(self.node_ids, self._where)


class EdgeView:
    """The edge rows a vectorised property rule fills (one row per edge row of the map).

    ``source_ids``/``target_ids`` are node ids; ``source[name]``/``target[name]`` give a
    node attribute for every row; :meth:`distance` the soma distance (um); ``rng`` the
    seeded generator of this property.
    """

    def __init__(self, source_ids: np.ndarray, target_ids: np.ndarray, source_store: NodeStore,
                 target_store: NodeStore, rng: np.random.Generator, where: str) -> None:
        self.source_ids = source_ids
        self.target_ids = target_ids
        self.rng = rng
        self.source = _Side(source_store, source_ids, where)
        self.target = _Side(target_store, target_ids, where)

    def __len__(self) -> int:
        return int(self.source_ids.size)

    @property
    def n(self) -> int:
        return len(self)

    def distance(self) -> np.ndarray:
        """3-D distance between the somata of each row's source and target."""
        return np.linalg.norm(self.source.positions() - self.target.positions(), axis=1)


class PropertyRule(ABC):
    """A rule that returns a whole column (or a tuple of columns) for the given edge rows."""

    @abstractmethod
    def values(self, edges: EdgeView, **params: Any) -> Any:
        """One value per row of ``edges`` (a tuple of such arrays for several names)."""


class Constant(PropertyRule):
    """The same value on every row."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def values(self, edges: EdgeView, **params: Any) -> np.ndarray:
        return np.full(len(edges), self.value)


class Uniform(PropertyRule):
    """Uniform real numbers in ``[low, high)``."""

    def __init__(self, low: float, high: float) -> None:
        _finite(low, "Uniform(low)")
        _finite(high, "Uniform(high)")
        if high < low:
            raise BuildError("high below low", key="Uniform(high)", expected=f">= {low}", found=high)
        self.low, self.high = float(low), float(high)

    def values(self, edges: EdgeView, **params: Any) -> np.ndarray:
        return edges.rng.uniform(self.low, self.high, size=len(edges))


class Normal(PropertyRule):
    """Normal values, optionally truncated to ``[low, high]`` (values outside are re-drawn)."""

    def __init__(self, mean: float, std: float, *, low: float | None = None, high: float | None = None) -> None:
        _finite(mean, "Normal(mean)")
        _finite(std, "Normal(std)")
        if std < 0:
            raise BuildError("negative standard deviation", key="Normal(std)", expected=">= 0", found=std)
        if low is not None and high is not None and high < low:
            raise BuildError("high below low", key="Normal(high)", expected=f">= {low}", found=high)
        self.mean, self.std, self.low, self.high = float(mean), float(std), low, high

    def values(self, edges: EdgeView, **params: Any) -> np.ndarray:
        out = edges.rng.normal(self.mean, self.std, size=len(edges))
        for _ in range(1000):
            bad = np.zeros(out.size, dtype=bool)
            if self.low is not None:
                bad |= out < self.low
            if self.high is not None:
                bad |= out > self.high
            if not bad.any():
                return out
            out[bad] = edges.rng.normal(self.mean, self.std, size=int(bad.sum()))
        raise BuildError("truncated normal: bounds too far in the tail", key="Normal(low, high)",
                         expected="bounds that keep a reasonable part of the distribution",
                         found=f"[{self.low}, {self.high}] around mean {self.mean}")


class LogNormal(PropertyRule):
    """Log-normal values; ``mean`` and ``sigma`` are those of the underlying normal."""

    def __init__(self, mean: float, sigma: float) -> None:
        _finite(mean, "LogNormal(mean)")
        _finite(sigma, "LogNormal(sigma)")
        self.mean, self.sigma = float(mean), float(sigma)

    def values(self, edges: EdgeView, **params: Any) -> np.ndarray:
        return edges.rng.lognormal(self.mean, self.sigma, size=len(edges))


class Vectorized(PropertyRule):
    """Wrap ``func(edges, **params)`` that returns a whole column (see :class:`EdgeView`)."""

    def __init__(self, func: Callable[..., Any]) -> None:
        if not callable(func):
            raise BuildError("vectorized() needs a function", key="vectorized(func)",
                             expected="callable(edges, **params)", found=repr(func))
        self.func = func

    def values(self, edges: EdgeView, **params: Any) -> Any:
        return self.func(edges, **params)


def vectorized(func: Callable[..., Any]) -> Vectorized:
    """Mark ``func(edges, **params)`` as a column-at-once property rule (usable as a decorator)."""
    return Vectorized(func)


def _finite(value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not math.isfinite(value):
        raise BuildError("must be a finite number", key=where, expected="a finite number", found=repr(value))
