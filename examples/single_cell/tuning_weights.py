"""The example's custom weight function, ``gaussian_tuning``.

Each thalamic cell and the target cell have a preferred orientation (``tuning_angle``, degrees).
An edge's weight is its ``syn_weight`` scaled by a Gaussian of the circular difference between
the two angles, with width ``tuning_width`` (degrees, an edge-type column):

    w = syn_weight * exp(-d**2 / (2 * tuning_width**2)),   d = angle difference in [0, 180]

Registered with ``@cantata.sim.synaptic_weight``, so importing this module (or
``cantata run --plugin tuning_weights.py``) makes ``weight_function: gaussian_tuning`` usable.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cantata.sim import synaptic_weight


def tuning_factor(source_angle: np.ndarray, target_angle: np.ndarray, width: np.ndarray) -> np.ndarray:
    """exp(-d^2 / (2 width^2)) with d the circular angle difference in degrees (0-180)."""
    d = np.abs((np.asarray(source_angle, float) - np.asarray(target_angle, float) + 180.0) % 360.0 - 180.0)
    return np.exp(-(d**2) / (2.0 * np.asarray(width, float) ** 2))


@synaptic_weight("gaussian_tuning")
def gaussian_tuning(edges: pd.DataFrame, sources: pd.DataFrame, targets: pd.DataFrame) -> np.ndarray:
    """Weight of every edge: ``syn_weight`` x the tuning factor of its source and target."""
    factor = tuning_factor(sources["tuning_angle"].to_numpy(), targets["tuning_angle"].to_numpy(),
                           edges["tuning_width"].to_numpy())
    return edges["syn_weight"].to_numpy(dtype=float) * factor
