"""Creating NEST nodes for SONATA node populations, one ``nest.Create`` per node type.

Per-type parameters come from the ``dynamics_params`` JSON (``components.point_neuron_models_dir``,
or inline); per-node values from the h5 ``dynamics_params`` group are set as arrays in the
same call. Virtual nodes become ``spike_train_injector`` nodes: spike sources that behave like
neurons (any synapse model, recordable), so an input spike at ``t`` reaches a target at
``t + delay`` as with BMTK's spike generators.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cantata.errors import SimulationError
from cantata.sim.engines.nest import glif

if TYPE_CHECKING:
    from cantata.sim.simulation import Simulation
    from cantata.sonata.circuit import NodePopulation

__all__ = ["NEURON_MODEL_TYPES", "VIRTUAL_MODEL", "PopulationCells", "build_population"]

VIRTUAL_MODEL = "spike_train_injector"
NEURON_MODEL_TYPES = ("point_neuron", "point_process", "point_soma")
MODELS_DIR = "point_neuron_models_dir"


@dataclass
class PopulationCells:
    """The NEST nodes of one SONATA population, in the population's node order."""

    name: str
    node_ids: np.ndarray  # int64
    nest_ids: np.ndarray  # int64, aligned with node_ids
    virtual: np.ndarray  # bool, aligned with node_ids
    models: np.ndarray  # object: NEST model of each node
    type_ids: np.ndarray  # node_type_id of each node
    _sorter: np.ndarray | None = field(default=None, repr=False)
    _identity: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        n = self.node_ids.size
        self._identity = bool(n == 0 or (self.node_ids[0] == 0 and self.node_ids[-1] == n - 1
                                         and (np.diff(self.node_ids) == 1).all()))
        if not self._identity:
            self._sorter = np.argsort(self.node_ids, kind="stable")

    def positions(self, ids: np.ndarray, *, where: str, file: Any = None) -> np.ndarray:
        """Row of each node id; SimulationError naming ids the population lacks."""
        ids = np.asarray(ids, dtype=np.int64)
        n = self.node_ids.size
        if self._identity:
            bad = (ids < 0) | (ids >= n)
            pos = ids
        else:
            assert self._sorter is not None
            sorted_ids = self.node_ids[self._sorter]
            idx = np.minimum(np.searchsorted(sorted_ids, ids), max(n - 1, 0))
            bad = sorted_ids[idx] != ids if n else np.ones(ids.size, dtype=bool)
            pos = self._sorter[idx]
        if bad.any():
            raise SimulationError(f"node ids that population {self.name!r} does not have", file=file, key=where,
                                  expected=f"ids of its {n} nodes", found=np.unique(ids[bad])[:10].tolist())
        return pos

    def nest_of(self, ids: np.ndarray, *, where: str, file: Any = None) -> np.ndarray:
        return self.nest_ids[self.positions(ids, where=where, file=file)]


def _column(pop: NodePopulation, name: str) -> np.ndarray | None:
    return pop.get_attribute(name) if pop.has_attribute(name) else None


def _type_label(pop: NodePopulation, type_ids: np.ndarray) -> str:
    ids = np.unique(type_ids).tolist()
    shown = ", ".join(map(str, ids[:5])) + (" ..." if len(ids) > 5 else "")
    return f"population {pop.name!r}, node_type_id {shown}"


def build_population(nest: ModuleType, sim: Simulation, pop: NodePopulation) -> PopulationCells:
    """Create the NEST nodes of ``pop``; every error names the node type and the file."""
    n = pop.size
    node_ids = np.asarray(pop.node_ids(), dtype=np.int64)
    type_ids = np.asarray(pop.node_type_ids(), dtype=np.int64)
    types_file = pop.types_file or pop.path
    model_type = _column(pop, "model_type")
    if model_type is None:
        raise SimulationError("nodes have no model_type", file=types_file, key=f"population {pop.name!r}",
                              expected="model_type point_neuron or virtual", found=None)
    frame = pd.DataFrame({"model_type": model_type, "model_template": _column(pop, "model_template"),
                          "dynamics_params": _column(pop, "dynamics_params")})
    nest_ids = np.zeros(n, dtype=np.int64)
    virtual = np.zeros(n, dtype=bool)
    models = np.empty(n, dtype=object)
    per_node = pop.dynamics_param_names
    groups = frame.groupby(["model_type", "model_template", "dynamics_params"], sort=False, dropna=False).indices
    for (mtype, template, dyn), rows in groups.items():
        rows = np.sort(np.asarray(rows))
        label = _type_label(pop, type_ids[rows])
        if mtype == "virtual":
            model, params = VIRTUAL_MODEL, {}
            virtual[rows] = True
        elif mtype in NEURON_MODEL_TYPES:
            model, params = _neuron_model(nest, sim, template, dyn, label, types_file)
        else:
            raise SimulationError(
                f"the nest engine cannot simulate model_type {mtype!r}", file=types_file, key=label,
                expected="point_neuron (model_template nest:<model>) or virtual", found=mtype,
            )
        if per_node and mtype != "virtual":
            params = {**params, **_per_node_params(nest, pop, node_ids[rows], model, label, types_file)}
        created = _create(nest, model, rows.size, params, label, types_file)
        nest_ids[rows] = created
        models[rows] = model
    return PopulationCells(pop.name, node_ids, nest_ids, virtual, models, type_ids)


def _neuron_model(nest: ModuleType, sim: Simulation, template: Any, dyn: Any, label: str,
                  types_file: Any) -> tuple[str, dict[str, Any]]:
    if not isinstance(template, str) or not template.strip():
        raise SimulationError("point neurons need a model_template", file=types_file, key=label,
                              expected="nest:<model>, e.g. nest:iaf_psc_alpha", found=template)
    prefix, _, name = template.strip().partition(":")
    if not name or prefix.strip().lower() != "nest":
        raise SimulationError("not a NEST model template", file=types_file, key=f"{label}: model_template",
                              expected="nest:<model>, e.g. nest:iaf_psc_alpha", found=template)
    name = name.strip()
    model, level = glif.glif_target(name)
    if model not in nest.node_models:
        raise SimulationError(f"unknown NEST model {name!r}", file=types_file, key=f"{label}: model_template",
                              expected="a NEST neuron model (see nest.node_models), e.g. iaf_psc_alpha",
                              found=template)
    params: dict[str, Any] = {}
    if dyn is not None and not (isinstance(dyn, float) and np.isnan(dyn)):
        params = sim.component_json(dyn, MODELS_DIR, where=f"{label}: dynamics_params")
    defaults = nest.GetDefaults(model)
    if glif.is_allen_glif(params) or (level is not None and model.startswith("glif_")):
        try:
            params = glif.allen_to_nest(params, model, level, set(defaults))
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
            raise SimulationError(f"not a usable Allen GLIF parameter file ({type(exc).__name__}: {exc})",
                                  file=_dyn_file(sim, dyn), key=f"{label}: dynamics_params",
                                  expected="an Allen Cell Types GLIF neuron_config") from None
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise SimulationError(f"NEST model {model!r} has no parameter {unknown[0]!r}",
                              file=_dyn_file(sim, dyn), key=f"{label}: dynamics_params",
                              expected=f"parameters of {model}", found=unknown)
    return model, params


def _dyn_file(sim: Simulation, dyn: Any) -> Any:
    folder = sim.config.components.get(MODELS_DIR)
    if isinstance(dyn, str) and not dyn.strip().startswith("{") and folder:
        return f"{folder}/{dyn}"
    return sim.config.path


def _per_node_params(nest: ModuleType, pop: NodePopulation, ids: np.ndarray, model: str, label: str,
                     types_file: Any) -> dict[str, Any]:
    values = pop.dynamics_params(ids)
    known = set(nest.GetDefaults(model))
    unknown = sorted(set(values) - known)
    if unknown:
        raise SimulationError(f"NEST model {model!r} has no parameter {unknown[0]!r}", file=pop.path,
                              key=f"{label}: {pop.h5_path}/0/dynamics_params/{unknown[0]}",
                              expected=f"parameters of {model}", found=unknown)
    out = {}
    for key, column in values.items():
        column = np.asarray(column)
        if column.dtype.kind == "f" and np.isnan(column).any():
            if np.isnan(column).all():
                continue
            raise SimulationError("per-node parameter missing for some nodes", file=pop.path,
                                  key=f"{label}: dynamics_params/{key}", expected="a value for every node")
        out[key] = column.tolist() if column.ndim > 1 else column
    return out


def _create(nest: ModuleType, model: str, n: int, params: dict[str, Any], label: str, file: Any) -> np.ndarray:
    try:
        created = nest.Create(model, n, params=params or None)
    except Exception as exc:  # noqa: BLE001 - NEST raises its own exception types
        raise SimulationError(
            f"NEST rejected the parameters of {model}: {_culprit(nest, model, params)}{_nest_message(exc)}",
            file=file, key=label,
        ) from None
    first = int(created[0].global_id) if n else 0
    return np.arange(first, first + n, dtype=np.int64)


def _nest_message(exc: Exception) -> str:
    text = str(exc).strip()
    return text.split(": ", 1)[1] if text.startswith("Setting status") and ": " in text else text


def _culprit(nest: ModuleType, model: str, params: dict[str, Any]) -> str:
    """Find the parameter NEST rejects by trying them one at a time on a scratch node."""
    for key, value in params.items():
        try:
            single = value[0] if isinstance(value, np.ndarray) and value.ndim == 1 else value
            nest.Create(model, 1, params={key: single})
        except Exception:  # noqa: BLE001
            return f"parameter {key!r} = {_short(value)}: "
    return ""


def _short(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array of {value.size} values" if value.size > 3 else str(value.tolist())
    return repr(value)
