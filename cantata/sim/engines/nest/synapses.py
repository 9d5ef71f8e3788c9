"""Connecting SONATA edge populations in NEST: one array ``nest.Connect`` per edge type.

* weight: ``syn_weight * nsyns`` (``nsyns`` 1 when absent); the sign is the weight's sign, as
  in BMTK's PointNet. A ``weight_function`` named in the edge types replaces this: it is called
  once per edge type with whole columns (see :func:`cantata.sim.synaptic_weight`).
* delay: the edges' ``delay``; where there is none, the ``delay`` of the synaptic
  ``dynamics_params`` file, else NEST's default for the synapse model (1 ms).
* synapse model: the edge ``model_template`` (``static_synapse``, ``nest:tsodyks2_synapse``,
  ``stdp_synapse`` ...; default ``static_synapse``). Model parameters from the synaptic
  ``dynamics_params`` file become a copy of the model (``nest.CopyModel``); ``receptor_type``
  and per-edge h5 ``dynamics_params`` are given per connection.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cantata.errors import SimulationError
from cantata.sim.registry import WEIGHT_FUNCTIONS

if TYPE_CHECKING:
    from cantata.sim.engines.nest.cells import PopulationCells
    from cantata.sim.simulation import Simulation
    from cantata.sonata.circuit import EdgePopulation

__all__ = ["connect_population"]

SYNAPSE_DIR = "synaptic_models_dir"
DEFAULT_SYNAPSE = "static_synapse"
_PER_CONNECTION = ("receptor_type",)
_DELAY_TOLERANCE = 1e-9


class _Columns:
    """Edge attributes of one population: per edge when stored in the h5 groups, else one value
    per edge type from the types table (never broadcast to a million-row array)."""

    def __init__(self, pop: EdgePopulation) -> None:
        self.pop = pop
        self.per_row = set(getattr(pop, "group_attribute_names", pop.attribute_names))
        table = pop.types
        id_column = pop.type_id_column
        self.types = table.set_index(id_column) if id_column in table.columns else table
        self._full: dict[str, np.ndarray] = {}

    def per_type(self, name: str, type_id: int) -> Any:
        """The types-table value of ``name`` for ``type_id``; None when absent or NULL."""
        if name not in self.types.columns or type_id not in self.types.index:
            return None
        value = self.types.at[type_id, name]
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return None
        return value.item() if isinstance(value, np.generic) else value

    def values(self, name: str, rows: np.ndarray, type_id: int) -> Any:
        """Per-edge values of ``rows`` (an array) if stored per edge, else the type's value."""
        if name in self.per_row:
            if name not in self._full:
                self._full[name] = self.pop.get_attribute(name)
            return self._full[name][rows]
        return self.per_type(name, type_id)

    def first(self, name: str, rows: np.ndarray, type_id: int) -> Any:
        """One value for a group whose rows share it."""
        value = self.values(name, rows[:1], type_id)
        if isinstance(value, np.ndarray):
            value = value[0] if value.size else None
            if isinstance(value, float) and np.isnan(value):
                return None
        return value


_GROUP_KEYS = ("model_template", "dynamics_params", "weight_function")
_FEW_TYPES = 32


def _groups(type_ids: np.ndarray, cols: _Columns) -> list[tuple[int, np.ndarray]]:
    """(edge type, rows) groups; edge types are split further only if a synapse-defining
    column is stored per edge in the h5 file and varies within the type."""
    types = pd.unique(type_ids)
    if types.size == 1:
        by_type = [(int(types[0]), np.arange(type_ids.size))]
    elif types.size <= _FEW_TYPES:
        by_type = [(int(t), np.flatnonzero(type_ids == t)) for t in np.sort(types)]
    else:
        order = np.argsort(type_ids, kind="stable")
        bounds = np.flatnonzero(np.diff(type_ids[order])) + 1
        by_type = [(int(type_ids[rows[0]]), rows) for rows in np.split(order, bounds)]
    keys = [k for k in _GROUP_KEYS if k in cols.per_row]
    if not keys:
        return by_type
    groups = []
    for type_id, rows in by_type:
        frame = pd.DataFrame({k: cols.values(k, rows, type_id) for k in keys})
        for part in frame.groupby(keys, sort=False, dropna=False).indices.values():
            groups.append((type_id, rows[np.sort(np.asarray(part))]))
    return groups


def connect_population(nest: ModuleType, sim: Simulation, pop: EdgePopulation,
                       cells: dict[str, PopulationCells], frames: dict[str, pd.DataFrame]) -> int:
    """Create every edge of ``pop``; returns the number of connections made."""
    types_file = pop.types_file or pop.path
    for side, name in (("source", pop.source), ("target", pop.target)):
        if name not in cells:
            raise SimulationError(f"the edges' {side} population {name!r} is not in the network",
                                  file=pop.path, key=f"{pop.h5_path}/{side}_node_id",
                                  expected=f"one of {sorted(cells)}", found=name)
    src_cells, trg_cells = cells[pop.source], cells[pop.target]
    where = f"edge population {pop.name!r}"
    src_pos = src_cells.positions(pop.source_node_ids(), where=f"{where} source_node_id", file=pop.path)
    trg_pos = trg_cells.positions(pop.target_node_ids(), where=f"{where} target_node_id", file=pop.path)
    if trg_cells.virtual[trg_pos].any():
        bad = np.unique(trg_cells.node_ids[trg_pos[trg_cells.virtual[trg_pos]]])
        raise SimulationError(f"edges onto virtual nodes of population {pop.target!r}", file=pop.path, key=where,
                              expected="targets that are neurons", found=bad[:10].tolist())
    type_ids = np.asarray(pop.edge_type_ids(), dtype=np.int64)
    cols = _Columns(pop)
    per_edge_dyn = sorted(pop.dynamics_param_names)
    total = 0
    for type_id, rows in _groups(type_ids, cols):
        label = f"{where}, edge_type_id {type_id}"
        spec = _synapse_spec(nest, sim, pop, cols, rows, type_id, label, types_file)
        spec["weight"] = _weights(sim, pop, cols, rows, type_id, spec.pop("_weight", None), label, types_file,
                                  src_cells, src_pos, trg_cells, trg_pos, frames)
        delay = _delays(nest, sim, cols, rows, type_id, spec, label, types_file)
        if delay is not None:
            spec["delay"] = delay
        if per_edge_dyn:
            spec.update(_per_edge_params(nest, pop, rows, spec["synapse_model"], label))
        sources = src_cells.nest_ids[src_pos[rows]]
        targets = trg_cells.nest_ids[trg_pos[rows]]
        try:
            nest.Connect(sources, targets, "one_to_one", syn_spec=spec)
        except Exception as exc:  # noqa: BLE001 - NEST's own exception types
            raise SimulationError(f"NEST could not connect these edges: {exc}", file=types_file, key=label,
                                  found=f"synapse model {spec['synapse_model']}") from None
        total += rows.size
    return total


def _synapse_spec(nest: ModuleType, sim: Simulation, pop: EdgePopulation, cols: _Columns, rows: np.ndarray,
                  type_id: int, label: str, types_file: Any) -> dict[str, Any]:
    template = cols.first("model_template", rows, type_id)
    base = DEFAULT_SYNAPSE
    if template is not None:
        text = str(template).strip()
        base = text.split(":", 1)[1].strip() if text.lower().startswith("nest:") else text
    if base not in nest.synapse_models:
        raise SimulationError(f"unknown NEST synapse model {base!r}", file=types_file, key=f"{label}: model_template",
                              expected="a NEST synapse model (see nest.synapse_models), e.g. static_synapse",
                              found=template)
    dyn_ref = cols.first("dynamics_params", rows, type_id)
    params = {} if dyn_ref is None else sim.component_json(dyn_ref, SYNAPSE_DIR, where=f"{label}: dynamics_params")
    spec: dict[str, Any] = {"synapse_model": base}
    if "delay" in params:
        spec["_delay"] = params.pop("delay")
    if "weight" in params:
        spec["_weight"] = params.pop("weight")
    for key in _PER_CONNECTION:
        if key in params:
            spec[key] = np.full(rows.size, params.pop(key), dtype=np.int64 if key == "receptor_type" else float)
    params.pop("model", None)  # BMTK-era files may repeat the model name
    params.pop("synapse_model", None)
    defaults = nest.GetDefaults(base)
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise SimulationError(f"NEST synapse model {base!r} has no parameter {unknown[0]!r}",
                              file=_dyn_file(sim, dyn_ref), key=f"{label}: dynamics_params",
                              expected=f"parameters of {base}", found=unknown)
    if params:
        name = f"cantata__{pop.name}__{type_id}__{len(nest.synapse_models)}"
        try:
            nest.CopyModel(base, name, params)
        except Exception as exc:  # noqa: BLE001
            raise SimulationError(f"NEST rejected the parameters of {base}: {exc}", file=_dyn_file(sim, dyn_ref),
                                  key=f"{label}: dynamics_params", found=params) from None
        spec["synapse_model"] = name
    return spec


def _dyn_file(sim: Simulation, ref: Any) -> Any:
    folder = sim.config.components.get(SYNAPSE_DIR)
    if isinstance(ref, str) and not ref.strip().startswith("{") and folder:
        return f"{folder}/{ref}"
    return sim.config.path


def _weights(sim: Simulation, pop: EdgePopulation, cols: _Columns, rows: np.ndarray, type_id: int, fallback: Any,
             label: str, types_file: Any, src_cells: PopulationCells, src_pos: np.ndarray,
             trg_cells: PopulationCells, trg_pos: np.ndarray, frames: dict[str, pd.DataFrame]) -> np.ndarray:
    func_name = cols.first("weight_function", rows, type_id)
    if func_name is not None and str(func_name).strip():
        func = WEIGHT_FUNCTIONS.find(str(func_name), engine="nest")
        if func is None:
            raise SimulationError(f"weight function {func_name!r} is not registered", file=types_file,
                                  key=f"{label}: weight_function",
                                  expected=f"one of {WEIGHT_FUNCTIONS.describe(engine='nest')} "
                                           "(register with @cantata.sim.synaptic_weight)", found=func_name)
        edges = pop.to_dataframe(rows)
        sources = _node_frame(sim, frames, pop.source, src_cells.node_ids[src_pos[rows]])
        targets = _node_frame(sim, frames, pop.target, trg_cells.node_ids[trg_pos[rows]])
        try:
            result = func(edges, sources, targets)
        except Exception as exc:
            raise SimulationError(f"weight function {func_name!r} failed: {type(exc).__name__}: {exc}",
                                  file=types_file, key=f"{label}: weight_function") from exc
        weights = np.asarray(result, dtype=np.float64).reshape(-1) if np.ndim(result) else \
            np.full(rows.size, float(result))
        if weights.size != rows.size:
            raise SimulationError(f"weight function {func_name!r} returned the wrong number of weights",
                                  file=types_file, key=f"{label}: weight_function",
                                  expected=f"{rows.size} values", found=weights.size)
    else:
        syn_weight = cols.values("syn_weight", rows, type_id)
        if syn_weight is None:
            syn_weight = fallback
        if syn_weight is None:
            raise SimulationError("edges have no syn_weight", file=types_file, key=f"{label}: syn_weight",
                                  expected="a syn_weight column in the edges file or the edge types")
        nsyns = cols.values("nsyns", rows, type_id)
        weights = _scaled_weights(syn_weight, fallback, nsyns, rows.size, label, types_file)
    if not np.isfinite(weights).all():
        raise SimulationError("some edges have no usable weight (missing syn_weight or not finite)",
                              file=types_file, key=f"{label}: syn_weight", expected="finite numbers",
                              found=f"{int((~np.isfinite(weights)).sum())} edges without one")
    return weights


def _scaled_weights(syn_weight: Any, fallback: Any, nsyns: Any, n: int, label: str, types_file: Any) -> np.ndarray:
    """``syn_weight`` (a column or one number; NaN rows take ``fallback``) times ``nsyns`` (a
    column, one number or None; NaN rows count 1), with one new array where the column types
    allow: an integer ``nsyns`` column cannot hold NaN, and a column without NaN needs no
    replacement pass (each pass over a 12M-edge type allocates 100 MB)."""
    counts: Any = None
    if isinstance(nsyns, np.ndarray):
        counts = nsyns if nsyns.dtype.kind in "iub" else nsyns.astype(np.float64, copy=False)
        if counts.dtype.kind == "f" and np.isnan(counts).any():
            counts = np.where(np.isnan(counts), 1.0, counts)
    elif nsyns is not None:
        counts = _number(nsyns, "nsyns", label, types_file)
    if isinstance(syn_weight, np.ndarray):
        weights = syn_weight.astype(np.float64, copy=False)
        if fallback is not None and np.isnan(weights).any():
            weights = np.where(np.isnan(weights), float(fallback), weights)
        return weights if counts is None else np.multiply(weights, counts, dtype=np.float64)
    weight = _number(syn_weight, "syn_weight", label, types_file)
    if isinstance(counts, np.ndarray):
        return np.multiply(counts, weight, dtype=np.float64)
    return np.full(n, weight if counts is None else weight * counts)


def _number(value: Any, column: str, label: str, types_file: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SimulationError("not a number", file=types_file, key=f"{label}: {column}", found=value) from None


def _node_frame(sim: Simulation, frames: dict[str, pd.DataFrame], population: str, ids: np.ndarray) -> pd.DataFrame:
    if population not in frames:
        frames[population] = sim.circuit.nodes[population].to_dataframe()
    frame = frames[population]
    return frame.loc[ids].reset_index()


def _delays(nest: ModuleType, sim: Simulation, cols: _Columns, rows: np.ndarray, type_id: int,
            spec: dict[str, Any], label: str, types_file: Any) -> np.ndarray | None:
    """Per-edge delays; None leaves NEST's default of the synapse model (1 ms)."""
    fallback = spec.pop("_delay", None)
    column = cols.values("delay", rows, type_id)
    nest_default = float(nest.GetDefaults(spec["synapse_model"])["delay"])
    default = nest_default if fallback is None else _number(fallback, "delay", label, types_file)
    if isinstance(column, np.ndarray):
        delays = np.where(np.isnan(column.astype(np.float64)), default, column.astype(np.float64))
        check = delays
    elif column is not None or fallback is not None:
        value = default if column is None else _number(column, "delay", label, types_file)
        delays = np.full(rows.size, value)
        check = delays[:1]
    else:
        delays = None
        check = np.array([nest_default])
    dt = sim.settings.dt
    short = check < dt * (1 - _DELAY_TOLERANCE)
    if short.any():
        raise SimulationError("synaptic delays must be at least one time step", file=types_file,
                              key=f"{label}: delay", expected=f"delays >= dt = {dt} ms",
                              found=f"{int(short.sum())} delays, e.g. {float(check[short][0])} ms")
    return delays


def _per_edge_params(nest: ModuleType, pop: EdgePopulation, rows: np.ndarray, model: str,
                     label: str) -> dict[str, np.ndarray]:
    values = pop.dynamics_params(rows)
    known = set(nest.GetDefaults(model))
    out = {}
    for key, column in values.items():
        if key not in known:
            raise SimulationError(f"NEST synapse model {model!r} has no parameter {key!r}", file=pop.path,
                                  key=f"{label}: dynamics_params/{key}", expected=f"parameters of {model}")
        column = np.asarray(column, dtype=np.float64)
        if np.isnan(column).all():
            continue
        out[key] = column
    return out
