"""BMTK's per-pair connection helpers (``bmtk.builder.auxi.edge_connectors``).

These are Python per-pair rules kept for old scripts; for large networks use the vectorised
rules of :mod:`cantata.build.rules` (e.g. ``DistanceProbability``), which do the same work
on whole arrays.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np


def _position(node: Any) -> np.ndarray:
    if "positions" in node:
        return np.asarray(node["positions"], dtype=float)
    return np.array([node.get("x", 0.0), node.get("y", 0.0), node.get("z", 0.0)], dtype=float)


def distance_connector(source: Any, target: Any, d_weight_min: float, d_weight_max: float, d_max: float,
                       nsyn_min: int, nsyn_max: int) -> int | None:
    """Connect with a probability falling linearly from ``d_weight_max`` (distance 0) to
    ``d_weight_min`` (distance ``d_max``), zero beyond; ``nsyn_min..nsyn_max`` synapses.
    Never connects a node to itself."""
    if source.node_id == target.node_id:
        return None
    r = float(np.linalg.norm(_position(source) - _position(target)))
    if r > d_max:
        return None
    frac = r / d_max
    p = d_weight_max * (1.0 - frac) + d_weight_min * frac
    if p <= 0 or random.random() > p:
        return None
    return random.randint(nsyn_min, nsyn_max)


def connect_random(source: Any, target: Any, nsyn_min: int = 0, nsyn_max: int = 10,
                   distribution: Any = None) -> int:
    """A uniform random synapse count in ``[nsyn_min, nsyn_max)`` (numpy's global generator)."""
    return int(np.random.randint(nsyn_min, nsyn_max))
