"""Soma position generators: uniform in a box, a cylinder (column) or layers, with an
optional minimum distance between somata; plus BMTK's helper names.

Every function returns an ``[N, 3]`` float array (um) to pass as ``positions=`` to
``add_nodes``. ``seed`` is an int, a ``numpy.random.Generator``, or ``None`` to draw from
numpy's global state (so ``np.random.seed(...)`` in a BMTK script keeps working).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from cantata.errors import BuildError

Seed = int | np.random.Generator | None
Sampler = Callable[[np.random.Generator, int], np.ndarray]
AXES = {"x": 0, "y": 1, "z": 2}
#: Rounds of candidate draws before a minimum-distance placement gives up.
MAX_ROUNDS = 200


def make_rng(seed: Seed) -> np.random.Generator:
    """A generator from an int seed, a generator, or numpy's global state (``None``)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng(np.random.randint(0, 2**31 - 1, size=4))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise BuildError("invalid seed", key="positions(seed)", expected="a non-negative int, a Generator or None",
                         found=repr(seed))
    return np.random.default_rng(int(seed))


def positions_box(N: int, xlim: Sequence[float] = (0.0, 100.0), ylim: Sequence[float] = (0.0, 100.0),
                  zlim: Sequence[float] = (0.0, 100.0), *, min_dist: float | None = None,
                  seed: Seed = None) -> np.ndarray:
    """``N`` points uniform in the box ``xlim x ylim x zlim``."""
    low, high = _limits([xlim, ylim, zlim], "positions_box")

    def sample(rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(low, high, size=(n, 3))

    return _place(_count(N, "positions_box"), sample, min_dist, make_rng(seed), "positions_box")


def positions_cylinder(N: int, radius: float = 100.0, height: float = 100.0,
                       center: Sequence[float] = (0.0, 0.0, 0.0), *, axis: str = "y", min_radius: float = 0.0,
                       min_dist: float | None = None, seed: Seed = None) -> np.ndarray:
    """``N`` points uniform in a cylinder (a cortical column) around ``center``; its axis is
    ``axis`` and it spans ``height`` along it; ``min_radius > 0`` makes it a ring."""
    where = "positions_cylinder"
    _nonneg(min_radius, f"{where}(min_radius)")
    if not _finite_positive(radius) or radius < min_radius:
        raise BuildError("invalid radius", key=f"{where}(radius)", expected=f"a finite number > {min_radius}",
                         found=repr(radius))
    _nonneg(height, f"{where}(height)")
    c = _point(center, f"{where}(center)")
    along = _axis(axis, where)
    across = [a for a in range(3) if a != along]

    def sample(rng: np.random.Generator, n: int) -> np.ndarray:
        phi = rng.uniform(0.0, 2.0 * math.pi, size=n)
        r = np.sqrt(rng.uniform(min_radius**2, radius**2, size=n))
        out = np.empty((n, 3))
        out[:, across[0]] = c[across[0]] + r * np.cos(phi)
        out[:, across[1]] = c[across[1]] + r * np.sin(phi)
        out[:, along] = c[along] + height * (rng.random(n) - 0.5)
        return out

    return _place(_count(N, where), sample, min_dist, make_rng(seed), where)


def positions_layers(counts: Sequence[int], bounds: Sequence[Sequence[float]], *,
                     xlim: Sequence[float] = (0.0, 100.0), zlim: Sequence[float] = (0.0, 100.0),
                     radius: float | None = None, center: Sequence[float] = (0.0, 0.0, 0.0), axis: str = "y",
                     min_dist: float | None = None, seed: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """Points in stacked layers: ``counts[i]`` points with their ``axis`` coordinate in
    ``bounds[i] = (low, high)``, spread over ``xlim x zlim`` (the extents of the two other axes,
    in order: x and z for the default ``axis="y"``), or over a disc of ``radius`` around
    ``center`` when given. Returns ``(positions, layer_index)``; ``min_dist`` holds across layers.
    """
    where = "positions_layers"
    if len(counts) != len(bounds):
        raise BuildError("one (low, high) pair per layer needed", key=f"{where}(bounds)",
                         expected=f"{len(counts)} pairs", found=f"{len(bounds)} pairs")
    along = _axis(axis, where)
    rng = make_rng(seed)
    placed: list[np.ndarray] = []
    for i, (n, bound) in enumerate(zip(counts, bounds)):
        lo, hi = _limits([bound], f"{where}(bounds[{i}])")
        if radius is None:
            box: list[Sequence[float]] = [(0.0, 0.0)] * 3
            across = [a for a in range(3) if a != along]
            box[across[0]], box[across[1]], box[along] = xlim, zlim, (lo[0], hi[0])
            low, high = _limits(box, where)

            def sample(g: np.random.Generator, m: int, low=low, high=high) -> np.ndarray:
                return g.uniform(low, high, size=(m, 3))
        else:
            mid = list(_point(center, f"{where}(center)"))
            mid[along] = 0.5 * (lo[0] + hi[0])
            sample = _cylinder_sampler(radius, hi[0] - lo[0], mid, along)
        existing = np.concatenate(placed) if placed else None
        placed.append(_place(_count(n, f"{where}(counts[{i}])"), sample, min_dist, rng, where, existing))
    positions = np.concatenate(placed) if placed else np.zeros((0, 3))
    layer = np.repeat(np.arange(len(placed)), [p.shape[0] for p in placed])
    return positions, layer


def _cylinder_sampler(radius: float, height: float, center: Sequence[float], along: int) -> Sampler:
    across = [a for a in range(3) if a != along]

    def sample(rng: np.random.Generator, n: int) -> np.ndarray:
        phi = rng.uniform(0.0, 2.0 * math.pi, size=n)
        r = radius * np.sqrt(rng.random(n))
        out = np.empty((n, 3))
        out[:, across[0]] = center[across[0]] + r * np.cos(phi)
        out[:, across[1]] = center[across[1]] + r * np.sin(phi)
        out[:, along] = center[along] + height * (rng.random(n) - 0.5)
        return out

    return sample


# ---------------------------------------------------------------------- BMTK names
def positions_columinar(N: int = 1, center: Sequence[float] = (0.0, 50.0, 0.0), height: float = 100.0,
                        min_radius: float = 0.0, max_radius: float = 1.0, plot: bool = False,
                        seed: Seed = None) -> np.ndarray:
    """BMTK's cylinder (axis y, ``height`` around ``center[1]``), or ring if ``min_radius > 0``."""
    return positions_cylinder(N, radius=max_radius, height=height, center=center, axis="y",
                              min_radius=min_radius, seed=seed)


positions_columnar = positions_columinar


def positions_rect_prism(N: int = 1, center: Sequence[float] = (0.0, 50.0, 0.0), height: float = 20.0,
                         x_length: float = 100.0, z_length: float = 100.0, plot: bool = False,
                         seed: Seed = None) -> np.ndarray:
    """BMTK's prism: ``center +/- (x_length, height, z_length)`` (BMTK's lengths are half-widths)."""
    c = _point(center, "positions_rect_prism(center)")
    return positions_box(N, (c[0] - x_length, c[0] + x_length), (c[1] - height, c[1] + height),
                         (c[2] - z_length, c[2] + z_length), seed=seed)


def positions_cuboid(N: int = 1, center: Sequence[float] = (0.0, 0.0, 0.0), height: float = 100.0,
                     xside_length: float = 100.0, yside_length: float = 100.0, min_dist: float = 20.0,
                     plot: bool = False, seed: Seed = None) -> np.ndarray:
    """BMTK's cuboid: ``N`` distinct points of a lattice of spacing ``min_dist`` starting at
    ``center`` and reaching ``xside_length`` / ``yside_length`` / ``height`` (x, y, z)."""
    c = _point(center, "positions_cuboid(center)")
    if not _finite_positive(min_dist):
        raise BuildError("invalid lattice spacing", key="positions_cuboid(min_dist)", expected="> 0",
                         found=repr(min_dist))
    axes = [np.arange(c[0], xside_length + min_dist, min_dist), np.arange(c[1], yside_length + min_dist, min_dist),
            np.arange(c[2], height + min_dist, min_dist)]
    total = int(np.prod([a.size for a in axes]))
    n = _count(N, "positions_cuboid")
    if n > total:
        raise BuildError("more cells than lattice points", key="positions_cuboid(N)",
                         expected=f"N <= {total}", found=n)
    flat = make_rng(seed).choice(total, size=n, replace=False)
    ix, iy, iz = np.unravel_index(flat, [a.size for a in axes], order="F")
    return np.column_stack((axes[0][ix], axes[1][iy], axes[2][iz]))


def xiter_random(N: int = 1, min_x: float = 0.0, max_x: float = 1.0, seed: Seed = None) -> np.ndarray:
    """``N`` uniform values in ``[min_x, max_x)`` (BMTK's helper)."""
    return make_rng(seed).uniform(min_x, max_x, size=_count(N, "xiter_random"))


# ---------------------------------------------------------------------- placement
def _place(n: int, sample: Sampler, min_dist: float | None, rng: np.random.Generator, where: str,
           existing: np.ndarray | None = None) -> np.ndarray:
    """``n`` points from ``sample``; with ``min_dist``, no two closer than it (nor to ``existing``)."""
    if not min_dist:
        return sample(rng, n)
    if not _finite_positive(min_dist):
        raise BuildError("invalid minimum distance", key=f"{where}(min_dist)", expected="a positive number",
                         found=repr(min_dist))
    from scipy.spatial import cKDTree

    others = existing if existing is not None and existing.size else np.zeros((0, 3))
    accepted = np.zeros((0, 3))
    for _ in range(MAX_ROUNDS):
        need = n - accepted.shape[0]
        if need <= 0:
            return accepted
        cand = sample(rng, max(2 * need, 64))
        blockers = np.concatenate([others, accepted])
        if blockers.shape[0]:
            dist, _ = cKDTree(blockers).query(cand, k=1, distance_upper_bound=min_dist)
            cand = cand[dist >= min_dist]
        if cand.shape[0] > 1:
            pairs = cKDTree(cand).query_pairs(min_dist, output_type="ndarray")
            keep = np.ones(cand.shape[0], dtype=bool)
            keep[pairs.max(axis=1)] = False  # of each close pair keep the earlier point
            cand = cand[keep]
        accepted = np.concatenate([accepted, cand[:need]])
    if accepted.shape[0] >= n:
        return accepted[:n]
    raise BuildError("cannot place the cells that far apart", key=f"{where}(min_dist)",
                     expected=f"room for {n} cells at least {min_dist} um apart",
                     found=f"{accepted.shape[0]} placed after {MAX_ROUNDS} rounds")


def _count(n: Any, where: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise BuildError("invalid number of cells", key=where, expected="an integer >= 0", found=repr(n))
    return int(n)


def _limits(pairs: Sequence[Sequence[float]], where: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        arr = np.asarray(pairs, dtype=np.float64)
    except (TypeError, ValueError):
        arr = np.zeros(0)
    if arr.ndim != 2 or arr.shape[1] != 2 or not np.isfinite(arr).all() or (arr[:, 1] < arr[:, 0]).any():
        raise BuildError("invalid limits", key=where, expected="(low, high) pairs with low <= high",
                         found=repr(pairs))
    return arr[:, 0], arr[:, 1]


def _point(value: Any, where: str) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != (3,) or not np.isfinite(arr).all():
        raise BuildError("invalid point", key=where, expected="three finite coordinates", found=repr(value))
    return arr


def _axis(axis: str, where: str) -> int:
    if axis not in AXES:
        raise BuildError("invalid axis", key=f"{where}(axis)", expected="'x', 'y' or 'z'", found=repr(axis))
    return AXES[axis]


def _finite_positive(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float, np.number)) and math.isfinite(
        value) and value > 0


def _nonneg(value: Any, where: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not (
            math.isfinite(value) and value >= 0):
        raise BuildError("must be a non-negative number", key=where, expected=">= 0", found=repr(value))
