"""Synaptic weight functions named by an edge type's ``weight_function`` column.

Functions come from the core registry (``@cantata.sim.synaptic_weight``): for all edges of one
population that use it, a function gets three frames aligned row by row (the edges' attributes
with ``syn_weight``, their source nodes', their target nodes') and returns the weights.
``wmax`` (BMTK's default) and an empty column mean "use ``syn_weight`` as is".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cantata.errors import CantataError, SimulationError
from cantata.sim.registry import WEIGHT_FUNCTIONS

IDENTITY = frozenset({"wmax", "", "none", "null", "nan"})
CALL_FORM = ("f(edges, sources, targets) called once with whole pandas columns, returning one weight per "
             "edge; a BioNet-style f(edge_props, source, target) for one edge registers with "
             "cantata.sim.add_weight_function")


def edge_weights(edges: Any, edge_ids: np.ndarray, syn_weight: np.ndarray, circuit: Any
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``syn_weight`` with each edge type's ``weight_function`` applied, and a mask of the
    edges whose weight came from a function (final: no ``nsyns`` or sign applied on top)."""
    applied = np.zeros(edge_ids.size, dtype=bool)
    if "weight_function" not in edges.attribute_names:
        return syn_weight, applied
    names = pd.Series(edges.get_attribute("weight_function", edge_ids)).fillna("").astype(str)
    out = syn_weight.copy()
    for name in names.unique():
        if name.strip().lower() in IDENTITY:
            continue
        fn = WEIGHT_FUNCTIONS.find(name, engine="neuron")
        if fn is None:
            raise SimulationError(
                f"unknown weight_function {name!r} in edge population {edges.name}",
                file=edges.types_file or edges.path, key="weight_function",
                expected=f"wmax or one of {WEIGHT_FUNCTIONS.describe(engine='neuron')}", found=name,
            )
        rows = np.flatnonzero((names == name).to_numpy())
        ids = edge_ids[rows]
        frame = edges.to_dataframe(ids)
        frame["syn_weight"] = syn_weight[rows]
        src = _node_frame(circuit, edges.source, frame["source_node_id"].to_numpy())
        trg = _node_frame(circuit, edges.target, frame["target_node_id"].to_numpy())
        where = edges.types_file or edges.path
        try:
            values = np.asarray(fn(frame.reset_index(drop=True), src, trg), dtype=float)
        except CantataError:
            raise
        except Exception as exc:  # the user's function: say how it is called
            raise SimulationError(
                f"weight_function {name!r} failed: {type(exc).__name__}: {exc}", file=where,
                key="weight_function", expected=CALL_FORM) from exc
        if values.ndim == 0:  # one number for every edge
            values = np.full(rows.size, float(values))
        if values.shape != rows.shape:
            raise SimulationError(f"weight_function {name!r} returned the wrong number of weights", file=where,
                                  key="weight_function", expected=f"{rows.size} values (one per edge)",
                                  found=f"shape {values.shape}")
        out[rows] = values
        applied[rows] = True
    return out, applied


def _node_frame(circuit: Any, population: str, node_ids: np.ndarray) -> pd.DataFrame:
    pop = circuit.nodes[population]
    unique, inverse = np.unique(node_ids, return_inverse=True)
    frame = pop.to_dataframe(unique)
    return frame.iloc[inverse].reset_index(drop=True)
