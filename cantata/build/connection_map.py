"""One ``add_edges`` call: its node selections, rule, edge-type properties and per-edge
properties, and the columnar edges it builds.

Row semantics follow BMTK: without ``add_properties`` each connected pair is one row with
an ``nsyns`` column; with per-edge properties every synapse is its own row (and there is
no ``nsyns`` column).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from cantata.build import pyrules
from cantata.build.nodes import NodePool
from cantata.build.properties import EdgeView, PropertyRule
from cantata.build.rules import ConnectionRule, RuleContext
from cantata.errors import BuildError

if TYPE_CHECKING:
    from cantata.build.network import NetworkBuilder

#: Column names that the edge file layout owns.
RESERVED_EDGE_COLUMNS = frozenset({"source_node_id", "target_node_id", "edge_type_id", "edge_group_id",
                                   "edge_group_index", "edge_id", "nsyns", "dynamics_params"})


@dataclass
class BuiltEdges:
    """Edges of one connection map, one row per pair (``nsyns`` set) or per synapse."""

    source_ids: np.ndarray
    target_ids: np.ndarray
    nsyns: np.ndarray | None
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    dynamics: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return int(self.source_ids.size)

    @property
    def n_synapses(self) -> int:
        return int(self.nsyns.sum()) if self.nsyns is not None else self.n_rows


@dataclass
class _PropertySpec:
    names: list[str]
    rule: Any
    params: dict[str, Any]
    dtypes: list[Any]


class ConnectionMap:
    """Returned by ``add_edges``; add per-edge properties with :meth:`add_properties`."""

    def __init__(self, network: NetworkBuilder, ordinal: int, source: NodePool, target: NodePool,
                 connection_rule: Any, connection_params: dict[str, Any] | None, iterator: str,
                 edge_type_properties: dict[str, Any]) -> None:
        self.network = network
        self.ordinal = ordinal
        self._source = source
        self._target = target
        self._rule = connection_rule
        self._rule_params = dict(connection_params or {})
        self._iterator = iterator
        self._edge_type_properties = edge_type_properties
        self._properties: list[_PropertySpec] = []
        self._where = f"{network.name}.add_edges"
        self._check_rule()

    # ------------------------------------------------------------------ BMTK accessors
    @property
    def source_nodes(self) -> NodePool:
        return self._source

    @property
    def target_nodes(self) -> NodePool:
        return self._target

    @property
    def source_network_name(self) -> str:
        return self._source.network_name

    @property
    def target_network_name(self) -> str:
        return self._target.network_name

    @property
    def connector(self) -> Any:
        return self._rule

    @property
    def connector_params(self) -> dict[str, Any]:
        return self._rule_params

    @property
    def iterator(self) -> str:
        return self._iterator

    @property
    def edge_type_properties(self) -> dict[str, Any]:
        return self._edge_type_properties

    @property
    def edge_type_id(self) -> int:
        return int(self._edge_type_properties["edge_type_id"])

    @property
    def property_names(self) -> list[str]:
        """Per-edge columns this map writes (``['nsyns']`` when it has no per-edge properties)."""
        names = [n for spec in self._properties for n in spec.names]
        return names or ["nsyns"]

    # ------------------------------------------------------------------ properties
    def add_properties(self, names: str | Sequence[str], rule: Any, rule_params: dict[str, Any] | None = None,
                       dtypes: Any = None) -> None:
        """Add per-edge (per-synapse) properties.

        ``rule`` is a constant, an array with one value per edge row, a vectorised
        :class:`~cantata.build.properties.PropertyRule`, or a BMTK-style function
        ``rule(source, target, **rule_params)`` called per synapse (returning a tuple when
        ``names`` is a list). ``dtypes`` is one dtype or one per name.
        """
        where = f"{self._where}(...).add_properties"
        name_list = [names] if isinstance(names, str) else list(names) if isinstance(names, (list, tuple)) else None
        if not name_list or not all(isinstance(n, str) and n and "/" not in n for n in name_list):
            raise BuildError("invalid property names", key=f"{where}(names)",
                             expected="a non-empty name or list of names", found=repr(names))
        taken = set(self.property_names) - {"nsyns"}
        for name in name_list:
            if name in RESERVED_EDGE_COLUMNS or name in taken or name_list.count(name) > 1:
                raise BuildError("property name already used or reserved", key=f"{where}(names)",
                                 expected="a new name, not one of " + ", ".join(sorted(RESERVED_EDGE_COLUMNS | taken)),
                                 found=name)
        if rule_params is not None and not isinstance(rule_params, dict):
            raise BuildError("rule_params must be a dict", key=f"{where}(rule_params)",
                             expected="dict of keyword arguments", found=type(rule_params).__name__)
        if isinstance(dtypes, dict):
            dtype_list = [dtypes.get(n) for n in name_list]
        elif isinstance(dtypes, (list, tuple)):
            if len(dtypes) != len(name_list):
                raise BuildError("one dtype per name needed", key=f"{where}(dtypes)",
                                 expected=f"{len(name_list)} dtypes", found=f"{len(dtypes)} dtypes")
            dtype_list = list(dtypes)
        else:
            dtype_list = [dtypes] * len(name_list)
        for dt in dtype_list:
            if dt is not None:
                try:
                    np.dtype(dt)
                except TypeError:
                    raise BuildError("invalid dtype", key=f"{where}(dtypes)", expected="a numpy dtype",
                                     found=repr(dt)) from None
        self.network._edges_changed()
        self._properties.append(_PropertySpec(name_list, rule, dict(rule_params or {}), dtype_list))

    # ------------------------------------------------------------------ checks
    def _check_rule(self) -> None:
        rule, where = self._rule, self._where
        if isinstance(rule, ConnectionRule):
            if self._iterator != "one_to_one":
                raise BuildError("iterator applies to Python rules only", key=f"{where}(iterator)",
                                 expected="the default for a Cantata rule object", found=repr(self._iterator))
            if self._rule_params:
                raise BuildError("connection_params apply to Python rules only",
                                 key=f"{where}(connection_params)",
                                 expected="None for a Cantata rule object (give the rule its arguments)",
                                 found=repr(self._rule_params))
            return
        if self._iterator not in pyrules.ITERATORS:
            raise pyrules.bad_iterator(self._iterator, where)
        constant = pyrules.as_constant_count(rule)
        if constant is not None:
            if constant < 0:
                raise BuildError("negative synapse count", key=f"{where}(connection_rule)",
                                 expected="an integer >= 0", found=constant)
            return
        if callable(rule) or isinstance(rule, (list, tuple, np.ndarray)):
            return
        raise BuildError("unsupported connection_rule", key=f"{where}(connection_rule)",
                         expected="an integer, a function, a list of counts or a cantata.build rule",
                         found=repr(rule))

    # ------------------------------------------------------------------ build
    def seed_sequence(self, builder_seed: int) -> np.random.SeedSequence:
        """Seed of this map's draws: builder seed, network name, rule seed or call position."""
        name_key = zlib.crc32(self.network.name.encode())
        rule_seed = getattr(self._rule, "seed", None)
        key = [builder_seed, name_key, 0, rule_seed] if rule_seed is not None else [
            builder_seed, name_key, 1, self.ordinal]
        return np.random.SeedSequence(key)

    def build(self, builder_seed: int) -> BuiltEdges:
        """Evaluate the rule and the per-edge properties; return the edge rows."""
        src_pool, trg_pool = self._source.node_ids, self._target.node_ids
        seeds = self.seed_sequence(builder_seed).spawn(1 + len(self._properties))
        src_pos, trg_pos, nsyns = self._pairs(src_pool, trg_pool, np.random.default_rng(seeds[0]))
        src_ids, trg_ids = src_pool[src_pos], trg_pool[trg_pos]
        del src_pos, trg_pos
        if self._properties:
            if nsyns.size and nsyns.max() > 1:
                rows = np.repeat(np.arange(nsyns.size, dtype=np.int64), nsyns)
                src_ids, trg_ids = src_ids[rows], trg_ids[rows]
                del rows
            edges = BuiltEdges(src_ids, trg_ids, None)
            for spec, seed in zip(self._properties, seeds[1:]):
                edges.columns.update(self._evaluate(spec, edges, np.random.default_rng(seed)))
        else:
            edges = BuiltEdges(src_ids, trg_ids, _compact(nsyns))
        dynamics = self._edge_type_properties.get("dynamics_params")
        if isinstance(dynamics, dict):
            edges.dynamics = {k: _broadcast(v, edges.n_rows, f"{self._where}(dynamics_params={{{k!r}: ...}})")
                              for k, v in dynamics.items()}
        return edges

    def _pairs(self, src_pool: np.ndarray, trg_pool: np.ndarray, rng: np.random.Generator):
        rule, where = self._rule, self._where
        if isinstance(rule, ConnectionRule):
            same = self._source.network is self._target.network
            ctx = RuleContext(rng, src_pool, trg_pool, self._source.network._store,
                              self._target.network._store, same, f"{where}(connection_rule={type(rule).__name__})")
            return rule.connect(ctx)
        constant = pyrules.as_constant_count(rule)
        if constant is not None:
            return pyrules.constant_pairs(constant, src_pool.size, trg_pool.size, where)
        if callable(rule):
            sources = self._source.network._store.node_objects()
            targets = self._target.network._store.node_objects()
            return pyrules.function_pairs(rule, self._rule_params, self._iterator,
                                          [sources[i] for i in src_pool.tolist()],
                                          [targets[i] for i in trg_pool.tolist()], where)
        return pyrules.list_pairs(rule, self._iterator, src_pool.size, trg_pool.size, where)

    def _evaluate(self, spec: _PropertySpec, edges: BuiltEdges, rng: np.random.Generator) -> dict[str, np.ndarray]:
        where = f"{self._where}(...).add_properties({spec.names[0] if len(spec.names) == 1 else spec.names})"
        n, rule = edges.n_rows, spec.rule
        if isinstance(rule, PropertyRule):
            view = EdgeView(edges.source_ids, edges.target_ids, self._source.network._store,
                            self._target.network._store, rng, where)
            result = rule.values(view, **spec.params)
            columns = result if len(spec.names) > 1 else (result,)
        elif callable(rule):
            columns = self._per_row(spec, edges, rule, where)
        elif isinstance(rule, (list, np.ndarray)) or (isinstance(rule, tuple) and len(spec.names) == 1):
            columns = (rule,) if len(spec.names) == 1 else rule
        else:  # a constant (or a tuple of constants for several names)
            values = rule if len(spec.names) > 1 else (rule,)
            if not isinstance(values, tuple) or len(values) != len(spec.names):
                raise BuildError("one constant per name needed", key=where,
                                 expected=f"{len(spec.names)} values", found=repr(rule))
            columns = tuple(np.full(n, v) for v in values)
        if not isinstance(columns, (tuple, list)) or len(columns) != len(spec.names):
            raise BuildError("rule returned the wrong number of columns", key=where,
                             expected=f"{len(spec.names)} columns (one per name)",
                             found=f"{len(columns) if isinstance(columns, (tuple, list)) else type(columns).__name__}")
        return {name: _column(values, n, dtype, f"{where}: {name}")
                for name, values, dtype in zip(spec.names, columns, spec.dtypes)}

    def _per_row(self, spec: _PropertySpec, edges: BuiltEdges, rule: Callable[..., Any], where: str):
        sources = self._source.network._store.node_objects()
        targets = self._target.network._store.node_objects()
        params = spec.params
        values = [rule(sources[s], targets[t], **params)
                  for s, t in zip(edges.source_ids.tolist(), edges.target_ids.tolist())]
        if len(spec.names) == 1:
            return (values,)
        if any(not isinstance(v, (tuple, list)) or len(v) != len(spec.names) for v in values):
            raise BuildError("rule must return one value per name", key=where,
                             expected=f"a tuple of {len(spec.names)} values", found="another shape")
        return tuple(list(col) for col in zip(*values)) if values else tuple([] for _ in spec.names)


def _compact(nsyns: np.ndarray) -> np.ndarray:
    """``nsyns`` in the smallest unsigned type that holds it (BMTK writes uint16)."""
    if nsyns.size == 0 or nsyns.max() < np.iinfo(np.uint16).max:
        return nsyns.astype(np.uint16)
    return nsyns.astype(np.uint32)


def _column(values: Any, n: int, dtype: Any, where: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise BuildError(f"property values do not fit the dtype: {exc}", key=where,
                         expected=f"values convertible to {dtype}", found=type(values).__name__) from None
    if arr.ndim == 0:
        arr = np.full(n, arr.item(), dtype=arr.dtype)
    if arr.shape != (n,):
        raise BuildError("property array has the wrong length", key=where,
                         expected=f"{n} values (one per edge row)", found=f"shape {arr.shape}")
    if arr.dtype.kind == "U":
        arr = arr.astype(object)
    if arr.dtype.kind not in "biufO":
        raise BuildError("unsupported property type", key=where, expected="numbers or strings",
                         found=f"dtype {arr.dtype}")
    return arr


def _broadcast(value: Any, n: int, where: str) -> np.ndarray:
    arr = np.asarray(value)
    if arr.ndim == 0:
        return np.full(n, arr.item())
    if arr.shape != (n,):
        raise BuildError("dynamics_params value must be a scalar or one value per edge row", key=where,
                         expected=f"a scalar or {n} values", found=f"shape {arr.shape}")
    return arr
