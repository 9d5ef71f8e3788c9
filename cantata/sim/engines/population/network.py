"""From a SONATA circuit to populations and connections, as BMTK PopNet reads one.

Nodes are grouped into populations by ``node_type_id`` within each node population.
``model_template`` ``dipde:Internal`` (or ``model_type`` ``population`` without a template)
makes an internal population, described by its ``dynamics_params`` (a JSON file in
``components.population_models_dir``, inline JSON, or the HDF5 ``dynamics_params`` group);
``dipde:External`` or ``model_type`` ``virtual`` makes an external population, whose rate comes
from an input or from a ``firing_rate`` attribute / ``dynamics_params`` key.

Edges carry ``syn_weight`` (voltage jump, V), ``nsyns`` and ``delay`` (s, default 0). The
edges from one group to another with the same weight and delay form one connection whose
in-degree is their summed ``nsyns`` divided by the number of nodes of the target group (for
population-level networks, one node per population, that is the edge's ``nsyns``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cantata.errors import SimulationError
from cantata.sim.engines.population.params import InternalParams
from cantata.sim.engines.population.rates import PiecewiseRate
from cantata.sim.engines.population.solver import Connection

if TYPE_CHECKING:
    from cantata.sim.simulation import Simulation
    from cantata.sonata.populations import EdgePopulation, NodePopulation

__all__ = ["Group", "PopulationNetwork", "read_network"]

INTERNAL, EXTERNAL = "dipde:internal", "dipde:external"
MODELS_DIR = "population_models_dir"


@dataclass
class Group:
    """The nodes of one node type in one node population, simulated as one population."""

    population: str
    node_type_id: int
    node_ids: np.ndarray
    internal: bool
    params: InternalParams | None = None
    rate: PiecewiseRate | None = None
    rate_source: str | None = None

    @property
    def label(self) -> str:
        return f"population {self.population!r} node_type_id {self.node_type_id}"


@dataclass
class PopulationNetwork:
    """Groups (internal and external) and the connections between them (keys: group index)."""

    groups: list[Group]
    connections: list[Connection] = field(default_factory=list)
    _rows: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    def has_population(self, population: str) -> bool:
        return population in self._rows

    def group_index(self, population: str, node_ids: np.ndarray) -> np.ndarray:
        """Group index of each node id of ``population``."""
        order, sorted_ids, groups = self._rows[population]
        pos = np.minimum(np.searchsorted(sorted_ids, node_ids), max(sorted_ids.size - 1, 0))
        bad = sorted_ids[pos] != node_ids if sorted_ids.size else np.ones(node_ids.size, dtype=bool)
        if bad.any():
            raise SimulationError("node ids not in the population", key=population,
                                  found=np.unique(node_ids[bad])[:10].tolist())
        return groups[order[pos]]

    @property
    def internal(self) -> list[int]:
        return [i for i, g in enumerate(self.groups) if g.internal]


def read_network(sim: Simulation) -> PopulationNetwork:
    """Groups and connections of ``sim.circuit``; errors name the file and attribute."""
    net = PopulationNetwork(groups=[])
    for name, pop in sim.circuit.nodes.items():
        _add_groups(sim, net, name, pop)
    for name, edges in sim.circuit.edges.items():
        _add_connections(sim, net, name, edges)
    return net


def _strings(pop: NodePopulation, name: str) -> np.ndarray:
    if not pop.has_attribute(name):
        return np.full(pop.size, "", dtype=object)
    values = pd.Series(pop.get_attribute(name), dtype=object)
    return values.where(values.notna(), "").astype(str).str.strip().to_numpy(dtype=object)


def _kind(model_type: str, template: str, pop: NodePopulation, type_id: int) -> bool:
    """True for an internal population, False for an external one."""
    lowered = template.lower()
    if lowered == INTERNAL:
        return True
    if lowered == EXTERNAL:
        return False
    if not template:
        if model_type == "virtual":
            return False
        if model_type == "population":
            return True
    raise SimulationError(
        "the popnet engine runs DiPDE populations only", file=pop.path, key=f"node_type_id {type_id}.model_template",
        expected="model_template dipde:Internal or dipde:External (or model_type population / virtual)",
        found=f"model_type={model_type!r}, model_template={template!r}")


def _add_groups(sim: Simulation, net: PopulationNetwork, name: str, pop: NodePopulation) -> None:
    ids = np.asarray(pop.node_ids(), dtype=np.int64)
    type_ids = np.asarray(pop.node_type_ids(), dtype=np.int64)
    kinds = pd.DataFrame({"type": type_ids, "model_type": _strings(pop, "model_type"),
                          "template": _strings(pop, "model_template")}).drop_duplicates()
    clash = kinds["type"].duplicated(keep=False)
    if clash.any():
        rows = kinds[clash].head(4).to_dict("records")
        raise SimulationError("nodes of one node type must all be internal or all external", file=pop.path,
                              key="model_type/model_template", found=rows)
    unique, first = np.unique(type_ids, return_index=True)
    group_of_row = np.empty(ids.size, dtype=np.int64)
    for type_id in unique[np.argsort(first)].tolist():
        row = kinds[kinds["type"] == type_id].iloc[0]
        internal = _kind(row["model_type"], row["template"], pop, type_id)
        members = np.flatnonzero(type_ids == type_id)
        group = Group(population=name, node_type_id=int(type_id), node_ids=ids[members], internal=internal)
        params = _dynamics_params(sim, pop, group)
        if internal:
            if params is None:
                raise SimulationError("a dipde:Internal population needs dynamics_params", file=pop.path,
                                      key=f"node_type_id {type_id}.dynamics_params",
                                      expected="a JSON file name (components.population_models_dir) or object",
                                      found=None)
            group.params = InternalParams.parse(params, file=sim.config.path,
                                                key=f"{group.label}: dynamics_params")
        else:
            group.rate, group.rate_source = _default_rate(pop, group, params)
        group_of_row[members] = len(net.groups)
        net.groups.append(group)
    order = np.argsort(ids, kind="stable")
    net._rows[name] = (order, ids[order], group_of_row)


def _dynamics_params(sim: Simulation, pop: NodePopulation, group: Group) -> dict[str, Any] | None:
    """The group's dynamics_params: its first node's JSON reference, overlaid by HDF5 values."""
    first = group.node_ids[:1]
    params: dict[str, Any] | None = None
    if pop.has_attribute("dynamics_params"):
        reference = pop.get_attribute("dynamics_params", first)[0]
        if not _missing(reference):
            params = sim.component_json(reference, MODELS_DIR, where=f"{group.label}: dynamics_params")
    h5 = {k: v[0] for k, v in pop.dynamics_params(first).items()}
    h5 = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in h5.items()}
    h5 = {k: v for k, v in h5.items() if not _missing(v)}
    if h5:
        params = {**(params or {}), **h5}
    return params


def _missing(value: Any) -> bool:
    """A value a node does not have: None, NaN or an empty string."""
    return value is None or (isinstance(value, float) and np.isnan(value)) or (isinstance(value, str) and not value)


def _default_rate(pop: NodePopulation, group: Group,
                  params: dict[str, Any] | None) -> tuple[PiecewiseRate | None, str | None]:
    """An external population's own ``firing_rate`` (attribute or dynamics_params key), if any."""
    value = None
    where = None
    if pop.has_attribute("firing_rate"):
        value = pop.get_attribute("firing_rate", group.node_ids[:1])[0]
        where = f"{group.label}: firing_rate"
    if _missing(value) and params and "firing_rate" in params:
        value, where = params["firing_rate"], f"{group.label}: dynamics_params.firing_rate"
    if _missing(value):
        return None, None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0:
        raise SimulationError("firing_rate must be a number >= 0 (Hz)", file=pop.path, key=where, found=value)
    return PiecewiseRate.constant(float(value)), where


def _edge_column(edges: EdgePopulation, name: str, default: float | None) -> np.ndarray:
    if not edges.has_attribute(name):
        if default is None:
            raise SimulationError(f"PopNet edges need {name}", file=edges.path, key=f"{edges.name}.{name}",
                                  expected=f"a {name} column in the edges file or the edge types",
                                  found=f"columns {sorted(edges.attribute_names)}")
        return np.full(edges.size, default)
    values = pd.to_numeric(pd.Series(edges.get_attribute(name)), errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        raise SimulationError(f"{name} must be a finite number on every edge", file=edges.path,
                              key=f"{edges.name}.{name}", found=f"{int(bad.sum())} edges without one")
    return values


def _add_connections(sim: Simulation, net: PopulationNetwork, name: str, edges: EdgePopulation) -> None:
    if edges.size == 0:
        return
    for side in (edges.source, edges.target):
        if not net.has_population(side):
            raise SimulationError("edges name a node population the network does not have", file=edges.path,
                                  key=name, expected=f"one of {sorted(sim.circuit.nodes)}", found=side)
    src = net.group_index(edges.source, np.asarray(edges.source_node_ids(), dtype=np.int64))
    tgt = net.group_index(edges.target, np.asarray(edges.target_node_ids(), dtype=np.int64))
    external_target = ~np.array([g.internal for g in net.groups], dtype=bool)[tgt]
    if external_target.any():
        bad = net.groups[int(tgt[external_target][0])]
        raise SimulationError("edges cannot end on an external population", file=edges.path, key=name,
                              expected="targets with model_template dipde:Internal", found=bad.label)
    weight = _edge_column(edges, "syn_weight", None)
    nsyns = _edge_column(edges, "nsyns", None)
    delay = _edge_column(edges, "delay", 0.0)
    if (nsyns < 0).any() or (delay < 0).any():
        which = "nsyns" if (nsyns < 0).any() else "delay"
        raise SimulationError(f"{which} cannot be negative", file=edges.path, key=f"{name}.{which}")
    keys = np.column_stack([src, tgt, weight, delay])
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    total = np.bincount(inverse.ravel(), weights=nsyns, minlength=unique.shape[0])
    for (s, t, w, d), n in zip(unique.tolist(), total.tolist()):
        target = net.groups[int(t)]
        net.connections.append(Connection(source=int(s), target=int(t), weight=w,
                                          nsyn=n / target.node_ids.size, delay=d))
