"""Vectorised connection rules (Cantata's own) and synapse-count distributions.

A rule picks connected (source, target) pairs among two node selections and the number of
synapses of each pair. Every rule works on whole arrays, is seeded, and never builds a
sources x targets matrix::

    net.add_edges(source={"ei": "e"}, target={"ei": "i"},
                  connection_rule=Probability(0.1, nsyns=UniformInt(1, 3)), syn_weight=2.0)

Random draws come from a generator seeded by the builder seed and the rule's ``seed`` (or
the position of the ``add_edges`` call when the rule has no seed), so the same script builds
the same network.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from cantata.build.sampling import (
    bernoulli_flat,
    sample_pairs,
    sample_without_replacement,
    skip_forbidden,
)
from cantata.errors import BuildError

if TYPE_CHECKING:
    from cantata.build.nodes import NodeStore

#: Distance-rule cut-off, when not given, is where the profile falls to this fraction of p0.
DEFAULT_CUTOFF_FRACTION = 1e-3
#: Candidate pairs examined per chunk by the distance rules (bounds their working memory).
DISTANCE_CHUNK_PAIRS = 1 << 22


# --------------------------------------------------------------------------- synapse counts
class SynapseCount(ABC):
    """Distribution of the number of synapses of a connected pair."""

    @abstractmethod
    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` non-negative integer counts (a pair drawn with 0 synapses is dropped)."""


@dataclass(frozen=True)
class Fixed(SynapseCount):
    """The same number of synapses for every pair."""

    n: int = 1

    def __post_init__(self) -> None:
        _check_count(self.n, "nsyns", minimum=1)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.n, dtype=np.int64)


@dataclass(frozen=True)
class UniformInt(SynapseCount):
    """Uniform integer between ``low`` and ``high`` inclusive."""

    low: int
    high: int

    def __post_init__(self) -> None:
        _check_count(self.low, "UniformInt(low)", minimum=0)
        _check_count(self.high, "UniformInt(high)", minimum=max(1, int(self.low)))

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.integers(self.low, self.high + 1, size=n, dtype=np.int64)


@dataclass(frozen=True)
class Poisson(SynapseCount):
    """``minimum`` plus a Poisson count, with overall mean ``mean``."""

    mean: float
    minimum: int = 1

    def __post_init__(self) -> None:
        _check_count(self.minimum, "Poisson(minimum)", minimum=0)
        if not (math.isfinite(self.mean) and self.mean >= self.minimum):
            raise BuildError("invalid synapse-count mean", key="Poisson(mean)",
                             expected=f"a finite number >= minimum ({self.minimum})", found=self.mean)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.minimum + rng.poisson(self.mean - self.minimum, size=n).astype(np.int64)


def synapse_count(spec: Any, where: str = "nsyns") -> SynapseCount:
    """Normalise an ``nsyns`` argument: an int, a ``(low, high)`` pair or a :class:`SynapseCount`."""
    if isinstance(spec, SynapseCount):
        return spec
    if isinstance(spec, tuple) and len(spec) == 2:
        return UniformInt(*spec)
    _check_count(spec, where, minimum=1)
    return Fixed(int(spec))


def _check_count(value: Any, where: str, minimum: int) -> None:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise BuildError("invalid count", key=where, expected=f"an integer >= {minimum}", found=repr(value))


# --------------------------------------------------------------------------- rule context
class RuleContext:
    """What a rule sees: the two selections, the random generator and position lookups."""

    def __init__(self, rng: np.random.Generator, source_ids: np.ndarray, target_ids: np.ndarray,
                 source_store: NodeStore, target_store: NodeStore, same_population: bool,
                 where: str) -> None:
        self.rng = rng
        self.source_ids = source_ids
        self.target_ids = target_ids
        self.source_store = source_store
        self.target_store = target_store
        self.same_population = same_population
        self.where = where

    @property
    def n_source(self) -> int:
        return int(self.source_ids.size)

    @property
    def n_target(self) -> int:
        return int(self.target_ids.size)

    @cached_property
    def source_in_target(self) -> np.ndarray:
        """For each source position, the position of the same node among the targets (or -1)."""
        return _position_in(self.source_ids, self.target_ids, self.same_population)

    @cached_property
    def target_in_source(self) -> np.ndarray:
        """For each target position, the position of the same node among the sources (or -1)."""
        return _position_in(self.target_ids, self.source_ids, self.same_population)

    def source_positions(self) -> np.ndarray:
        return self.source_store.positions(self.source_ids, self.where)

    def target_positions(self) -> np.ndarray:
        return self.target_store.positions(self.target_ids, self.where)

    def fail(self, message: str, *, expected: Any = None, found: Any = None) -> BuildError:
        return BuildError(message, key=self.where, expected=expected, found=found)


def _position_in(ids: np.ndarray, pool: np.ndarray, same: bool) -> np.ndarray:
    out = np.full(ids.size, -1, dtype=np.int64)
    if not same or pool.size == 0:
        return out
    pos = np.searchsorted(pool, ids)
    inside = pos < pool.size
    hit = np.zeros(ids.size, dtype=bool)
    hit[inside] = pool[pos[inside]] == ids[inside]
    out[hit] = pos[hit]
    return out


# --------------------------------------------------------------------------- rules
class ConnectionRule(ABC):
    """Base of the vectorised rules: pick pairs, then draw each pair's synapse count."""

    def __init__(self, *, nsyns: Any = 1, seed: int | None = None) -> None:
        self.nsyns = synapse_count(nsyns, f"{type(self).__name__}(nsyns)")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
            raise BuildError("invalid rule seed", key=f"{type(self).__name__}(seed)",
                             expected="a non-negative integer or None", found=repr(seed))
        self.seed = seed

    @abstractmethod
    def pairs(self, ctx: RuleContext) -> tuple[np.ndarray, np.ndarray]:
        """Positions (into the source and target selections) of the connected pairs."""

    def connect(self, ctx: RuleContext) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(source_pos, target_pos, nsyns)``; pairs drawn with zero synapses are dropped."""
        src, trg = self.pairs(ctx)
        nsyns = self.nsyns.draw(ctx.rng, src.size)
        return _drop_empty(src, trg, nsyns)

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


def _drop_empty(src: np.ndarray, trg: np.ndarray, nsyns: np.ndarray):
    if nsyns.size and nsyns.min() <= 0:
        keep = nsyns > 0
        return src[keep], trg[keep], nsyns[keep]
    return src, trg, nsyns


def _probability(p: Any, where: str) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)) or not 0.0 <= p <= 1.0:
        raise BuildError("invalid connection probability", key=where, expected="a number in [0, 1]",
                         found=repr(p))
    return float(p)


class Probability(ConnectionRule):
    """Each (source, target) pair is connected independently with probability ``p``.

    Drawn by geometric skipping over the pairs, so the cost follows the number of edges.
    ``autapses=False`` (default) never connects a node to itself.
    """

    def __init__(self, p: float, *, nsyns: Any = 1, autapses: bool = False, seed: int | None = None) -> None:
        super().__init__(nsyns=nsyns, seed=seed)
        self.p = _probability(p, "Probability(p)")
        self.autapses = autapses

    def pairs(self, ctx: RuleContext) -> tuple[np.ndarray, np.ndarray]:
        flat = bernoulli_flat(ctx.rng, ctx.n_source * ctx.n_target, self.p)
        src, trg = np.divmod(flat, max(ctx.n_target, 1))
        del flat
        if not self.autapses and ctx.same_population:
            keep = ctx.source_in_target[src] != trg
            src, trg = src[keep], trg[keep]
        return src, trg


class FixedInDegree(ConnectionRule):
    """Every target gets exactly ``k`` distinct sources (``multapses=True``: ``k`` draws
    with replacement, repeated pairs merged into one pair with more synapses)."""

    def __init__(self, k: int, *, nsyns: Any = 1, autapses: bool = False, multapses: bool = False,
                 seed: int | None = None) -> None:
        super().__init__(nsyns=nsyns, seed=seed)
        _check_count(k, "FixedInDegree(k)", minimum=0)
        self.k, self.autapses, self.multapses = int(k), autapses, multapses

    def pairs(self, ctx: RuleContext) -> tuple[np.ndarray, np.ndarray]:
        trg, src = _fixed_degree(ctx, self.k, ctx.n_target, ctx.n_source,
                                 None if self.autapses else ctx.target_in_source, self.multapses, "in")
        return src, trg

    def connect(self, ctx: RuleContext):
        if not self.multapses:
            return super().connect(ctx)
        return _merge_repeats(ctx, *self.pairs(ctx), self.nsyns)


class FixedOutDegree(ConnectionRule):
    """Every source connects to exactly ``k`` distinct targets (see :class:`FixedInDegree`)."""

    def __init__(self, k: int, *, nsyns: Any = 1, autapses: bool = False, multapses: bool = False,
                 seed: int | None = None) -> None:
        super().__init__(nsyns=nsyns, seed=seed)
        _check_count(k, "FixedOutDegree(k)", minimum=0)
        self.k, self.autapses, self.multapses = int(k), autapses, multapses

    def pairs(self, ctx: RuleContext) -> tuple[np.ndarray, np.ndarray]:
        return _fixed_degree(ctx, self.k, ctx.n_source, ctx.n_target,
                             None if self.autapses else ctx.source_in_target, self.multapses, "out")

    def connect(self, ctx: RuleContext):
        if not self.multapses:
            return super().connect(ctx)
        return _merge_repeats(ctx, *self.pairs(ctx), self.nsyns)


def _fixed_degree(ctx: RuleContext, k: int, n_groups: int, n_pool: int, self_pos: np.ndarray | None,
                  multapses: bool, direction: str) -> tuple[np.ndarray, np.ndarray]:
    """``(group, member)`` positions: ``k`` members for every group."""
    exclude = self_pos if self_pos is not None else np.full(n_groups, -1, dtype=np.int64)
    effective = n_pool - (exclude >= 0)
    if multapses:
        if k and effective.min(initial=1) < 1:
            raise ctx.fail(f"fixed {direction}-degree: a node has no possible partner",
                           expected="at least one candidate partner per node", found="none")
        group = np.repeat(np.arange(n_groups, dtype=np.int64), k)
        member = ctx.rng.integers(0, effective[group]) if group.size else np.zeros(0, dtype=np.int64)
        member += (exclude[group] >= 0) & (member >= exclude[group])
        return group, member
    try:
        return sample_without_replacement(ctx.rng, np.full(n_groups, k), n_pool, exclude)
    except ValueError:
        raise ctx.fail(f"fixed {direction}-degree {k} is larger than the number of candidate partners",
                       expected=f"k <= {int(effective.min(initial=0))} (or multapses=True)", found=k) from None


def _merge_repeats(ctx: RuleContext, src: np.ndarray, trg: np.ndarray, counts: SynapseCount):
    """Merge repeated pairs; a pair drawn m times gets the sum of m synapse-count draws."""
    nsyns = counts.draw(ctx.rng, src.size)
    key = src * max(ctx.n_target, 1) + trg
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if key.size else np.zeros(0, dtype=np.int64)
    total = np.add.reduceat(nsyns[order], starts) if key.size else nsyns
    first = key[starts]
    return _drop_empty(first // max(ctx.n_target, 1), first % max(ctx.n_target, 1), total)


class FixedTotalNumber(ConnectionRule):
    """Exactly ``n`` distinct pairs, uniformly among all allowed pairs
    (``multapses=True``: ``n`` draws with replacement, repeats merged)."""

    def __init__(self, n: int, *, nsyns: Any = 1, autapses: bool = False, multapses: bool = False,
                 seed: int | None = None) -> None:
        super().__init__(nsyns=nsyns, seed=seed)
        _check_count(n, "FixedTotalNumber(n)", minimum=0)
        self.n, self.autapses, self.multapses = int(n), autapses, multapses

    def pairs(self, ctx: RuleContext) -> tuple[np.ndarray, np.ndarray]:
        n_src, n_trg = ctx.n_source, ctx.n_target
        forbidden = None
        if not self.autapses and ctx.same_population:
            rows = np.flatnonzero(ctx.source_in_target >= 0)
            forbidden = rows * n_trg + ctx.source_in_target[rows]
        allowed = n_src * n_trg - (0 if forbidden is None else forbidden.size)
        if self.multapses:
            if self.n and allowed < 1:
                raise ctx.fail("no allowed pair to connect", expected="at least one pair", found=0)
            ranks = np.sort(ctx.rng.integers(0, allowed, size=self.n)) if self.n else np.zeros(0, np.int64)
            flat = ranks if forbidden is None else skip_forbidden(ranks, forbidden)
        else:
            try:
                flat = sample_pairs(ctx.rng, self.n, n_src, n_trg, forbidden)
            except ValueError:
                raise ctx.fail("more connections asked than there are distinct pairs",
                               expected=f"n <= {allowed} (or multapses=True)", found=self.n) from None
        return np.divmod(flat, max(n_trg, 1))

    def connect(self, ctx: RuleContext):
        if not self.multapses:
            return super().connect(ctx)
        return _merge_repeats(ctx, *self.pairs(ctx), self.nsyns)


class OneToOne(ConnectionRule):
    """The i-th source connects to the i-th target (both selections the same size)."""

    def __init__(self, *, nsyns: Any = 1, seed: int | None = None) -> None:
        super().__init__(nsyns=nsyns, seed=seed)

    def pairs(self, ctx: RuleContext) -> tuple[np.ndarray, np.ndarray]:
        if ctx.n_source != ctx.n_target:
            raise ctx.fail("one-to-one needs as many sources as targets",
                           expected=f"{ctx.n_source} targets", found=f"{ctx.n_target} targets")
        idx = np.arange(ctx.n_source, dtype=np.int64)
        return idx, idx.copy()


class AllToAll(ConnectionRule):
    """Every source connects to every target (``autapses=False``: except itself)."""

    def __init__(self, *, nsyns: Any = 1, autapses: bool = False, seed: int | None = None) -> None:
        super().__init__(nsyns=nsyns, seed=seed)
        self.autapses = autapses

    def pairs(self, ctx: RuleContext) -> tuple[np.ndarray, np.ndarray]:
        src = np.repeat(np.arange(ctx.n_source, dtype=np.int64), ctx.n_target)
        trg = np.tile(np.arange(ctx.n_target, dtype=np.int64), ctx.n_source)
        if not self.autapses and ctx.same_population:
            keep = ctx.source_in_target[src] != trg
            src, trg = src[keep], trg[keep]
        return src, trg


class DistanceProbability(ConnectionRule):
    """Connect with a probability that depends on the 3-D soma distance.

    ``probability(d)`` takes an array of distances (um) and returns probabilities; pairs
    farther than ``cutoff`` are never connected and never examined: candidate pairs come
    from a k-d tree (scipy ``cKDTree``), a chunk of sources at a time.
    """

    def __init__(self, probability: Callable[[np.ndarray], np.ndarray], cutoff: float, *,
                 nsyns: Any = 1, autapses: bool = False, seed: int | None = None) -> None:
        super().__init__(nsyns=nsyns, seed=seed)
        if not callable(probability):
            raise BuildError("probability must be a function of distance", key=f"{type(self).__name__}(probability)",
                             expected="callable(d) -> p", found=repr(probability))
        if isinstance(cutoff, bool) or not isinstance(cutoff, (int, float, np.number)) or not (
                math.isfinite(cutoff) and cutoff > 0):
            raise BuildError("invalid cut-off distance", key=f"{type(self).__name__}(cutoff)",
                             expected="a positive finite distance (um)", found=repr(cutoff))
        self.probability = probability
        self.cutoff = float(cutoff)
        self.autapses = autapses

    def pairs(self, ctx: RuleContext) -> tuple[np.ndarray, np.ndarray]:
        from scipy.spatial import cKDTree

        if ctx.n_source == 0 or ctx.n_target == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        src_pos = ctx.source_positions()
        tree = cKDTree(ctx.target_positions())
        order = _spatial_order(src_pos, self.cutoff)
        out_src, out_trg = [], []
        start, chunk = 0, 256
        while start < order.size:
            rows = order[start:start + chunk]
            found = cKDTree(src_pos[rows]).sparse_distance_matrix(tree, self.cutoff, output_type="ndarray")
            src = rows[found["i"]]
            trg = found["j"].astype(np.int64)
            prob = self._checked(found["v"], ctx)
            keep = ctx.rng.random(prob.size) < prob
            if not self.autapses and ctx.same_population:
                keep &= ctx.source_in_target[src] != trg
            out_src.append(src[keep])
            out_trg.append(trg[keep])
            start += rows.size
            per_source = max(1.0, found.size / rows.size)
            chunk = int(min(65536, max(1, DISTANCE_CHUNK_PAIRS // per_source)))
        return np.concatenate(out_src), np.concatenate(out_trg)

    def _checked(self, dist: np.ndarray, ctx: RuleContext) -> np.ndarray:
        prob = np.asarray(self.probability(dist), dtype=np.float64)
        if prob.shape != dist.shape:
            raise ctx.fail("distance probability returned the wrong shape",
                           expected=f"shape {dist.shape}", found=f"shape {prob.shape}")
        if prob.size and (np.isnan(prob).any() or prob.min() < 0 or prob.max() > 1):
            raise ctx.fail("distance probability outside [0, 1]", expected="values in [0, 1]",
                           found=f"range [{np.nanmin(prob)}, {np.nanmax(prob)}]")
        return prob


def _spatial_order(points: np.ndarray, cell: float) -> np.ndarray:
    """Order points cell by cell (cells of side ``cell``) so that chunks are compact in space."""
    cells = np.floor((points - points.min(axis=0)) / cell).astype(np.int64)
    return np.lexsort((cells[:, 2], cells[:, 1], cells[:, 0])).astype(np.int64)


class GaussianDistance(DistanceProbability):
    """``p(d) = p0 * exp(-d^2 / (2 sigma^2))``; cut-off by default where ``p`` falls to
    ``p0 / 1000`` (about 3.7 sigma)."""

    def __init__(self, sigma: float, p0: float = 1.0, *, cutoff: float | None = None, nsyns: Any = 1,
                 autapses: bool = False, seed: int | None = None) -> None:
        _positive(sigma, "GaussianDistance(sigma)")
        self.sigma, self.p0 = float(sigma), _probability(p0, "GaussianDistance(p0)")
        if cutoff is None:
            cutoff = self.sigma * math.sqrt(-2.0 * math.log(DEFAULT_CUTOFF_FRACTION))
        super().__init__(self._profile, cutoff, nsyns=nsyns, autapses=autapses, seed=seed)

    def _profile(self, d: np.ndarray) -> np.ndarray:
        return self.p0 * np.exp(-0.5 * (d / self.sigma) ** 2)


class ExponentialDistance(DistanceProbability):
    """``p(d) = p0 * exp(-d / length)``; cut-off by default where ``p`` falls to ``p0 / 1000``
    (about 6.9 lengths)."""

    def __init__(self, length: float, p0: float = 1.0, *, cutoff: float | None = None, nsyns: Any = 1,
                 autapses: bool = False, seed: int | None = None) -> None:
        _positive(length, "ExponentialDistance(length)")
        self.length, self.p0 = float(length), _probability(p0, "ExponentialDistance(p0)")
        if cutoff is None:
            cutoff = -self.length * math.log(DEFAULT_CUTOFF_FRACTION)
        super().__init__(self._profile, cutoff, nsyns=nsyns, autapses=autapses, seed=seed)

    def _profile(self, d: np.ndarray) -> np.ndarray:
        return self.p0 * np.exp(-d / self.length)


def _positive(value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not (
            math.isfinite(value) and value > 0):
        raise BuildError("must be a positive number", key=where, expected="a positive finite number (um)",
                         found=repr(value))
