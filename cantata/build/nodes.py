"""Columnar node storage of one network, node queries, and BMTK-style node objects.

Nodes are kept as blocks (one per ``add_nodes`` call or imported population): node ids,
node type ids and per-node columns as numpy arrays. Shared (node type) properties live once
per type. Queries are evaluated column-wise; a BMTK ``Node`` dict is only made when a
per-pair Python rule asks for one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from cantata.errors import BuildError

if TYPE_CHECKING:
    from cantata.build.network import NetworkBuilder

#: Query keys every node has, whatever its properties.
BUILTIN_ATTRIBUTES = ("node_id", "node_type_id")
_SET_TYPES = (list, tuple, set, frozenset, range, np.ndarray)


@dataclass
class NodeBlock:
    """Nodes added together: ids, type ids and per-node columns (first axis = node)."""

    ids: np.ndarray
    type_ids: np.ndarray
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    dynamics: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return int(self.ids.size)


class Node(dict):
    """One node as BMTK's rules see it: a dict of its properties plus ``node_id``."""

    __slots__ = ("_network", "_node_id", "_node_type_id")

    def __init__(self, values: Mapping[str, Any], node_id: int, node_type_id: int, network: str) -> None:
        super().__init__(values)
        self._node_id = node_id
        self._node_type_id = node_type_id
        self._network = network

    @property
    def node_id(self) -> int:
        return self._node_id

    @property
    def node_type_id(self) -> int:
        return self._node_type_id

    @property
    def network(self) -> str:
        return self._network

    def __hash__(self) -> int:  # usable in sets, like BMTK's nodes
        return hash((self._network, self._node_id))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Node):
            return self._network == other._network and self._node_id == other._node_id
        return dict.__eq__(self, other)


class NodeStore:
    """All nodes of one network, column-wise, with cached assembled columns."""

    def __init__(self, network: str) -> None:
        self.network = network
        self.types: dict[int, dict[str, Any]] = {}
        self.blocks: list[NodeBlock] = []
        self.size = 0
        self.version = 0
        self._columns: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
        self._node_objects: list[Node] | None = None

    # ------------------------------------------------------------------ changes
    def add(self, block: NodeBlock, types: Mapping[int, dict[str, Any]]) -> None:
        """Append a block and the node types it introduces (all blocks together hold ids 0..size-1)."""
        self.types.update(types)
        self.blocks.append(block)
        self.size += block.size
        self._changed()

    def _changed(self) -> None:
        self.version += 1
        self._columns.clear()
        self._node_objects = None

    # ------------------------------------------------------------------ columns
    def type_id_array(self) -> np.ndarray:
        """Node type id of every node, in node-id order."""
        return self.column("node_type_id")[0]

    def attribute_names(self) -> set[str]:
        names = set(BUILTIN_ATTRIBUTES)
        for props in self.types.values():
            names.update(props)
        for block in self.blocks:
            names.update(block.columns)
        return names

    def has_attribute(self, name: str) -> bool:
        return name in BUILTIN_ATTRIBUTES or any(name in b.columns for b in self.blocks) or any(
            name in props for props in self.types.values())

    def column(self, name: str) -> tuple[np.ndarray, np.ndarray | None]:
        """Values of ``name`` for every node in id order and a mask of nodes that have it.

        The mask is ``None`` when every node has the attribute. Per-node values win over
        node-type values, as in SONATA.
        """
        cached = self._columns.get(name)
        if cached is None:
            cached = self._assemble(name)
            self._columns[name] = cached
        return cached

    def _assemble(self, name: str) -> tuple[np.ndarray, np.ndarray | None]:
        if name == "node_id":
            return np.arange(self.size, dtype=np.int64), None
        pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]] = []
        for block in self.blocks:
            if name == "node_type_id":
                pieces.append((block.ids, block.type_ids, None))
            elif name in block.columns:
                pieces.append((block.ids, block.columns[name], None))
            else:
                piece = self._type_values(block, name)
                if piece is not None:
                    pieces.append(piece)
        return _scatter(pieces, self.size)

    def _type_values(self, block: NodeBlock, name: str):
        uniq, inverse = np.unique(block.type_ids, return_inverse=True)
        has = np.array([name in self.types[int(t)] for t in uniq], dtype=bool)
        if not has.any():
            return None
        values = values_array([self.types[int(t)].get(name) for t in uniq])
        present = None if has.all() else has[inverse]
        return block.ids, values[inverse], present

    # ------------------------------------------------------------------ queries
    def select(self, query: Mapping[str, Any], label: Callable[[str], str]) -> np.ndarray:
        """Sorted ids of the nodes matching every ``key=condition`` of ``query``.

        ``label(key)`` names the call and argument in error messages.
        """
        mask = np.ones(self.size, dtype=bool)
        for key, cond in query.items():
            if not self.has_attribute(key):
                raise BuildError(
                    f"no node of network '{self.network}' has attribute '{key}'", key=label(key),
                    expected="one of " + ", ".join(sorted(self.attribute_names())), found=key)
            values, present = self.column(key)
            mask &= match(values, present, cond, where=label(key))
        return np.flatnonzero(mask).astype(np.int64)

    def positions(self, ids: np.ndarray, where: str) -> np.ndarray:
        """Soma positions ``[len(ids), 3]`` from ``positions`` or ``x``/``y``/``z`` (z=0 if absent)."""
        if self.has_attribute("positions"):
            values, present = self.column("positions")
            if values.ndim != 2 or values.shape[1] != 3 or (present is not None and not present[ids].all()):
                raise BuildError("'positions' must be given for every node as an [N, 3] array",
                                 key=f"{where}: network '{self.network}'", expected="[N, 3] floats",
                                 found=f"shape {values.shape}")
            return np.asarray(values[ids], dtype=np.float64)
        out = np.zeros((ids.size, 3), dtype=np.float64)
        for axis, name in enumerate("xyz"):
            if not self.has_attribute(name):
                if name == "z":
                    continue
                raise BuildError(f"nodes have no position (attribute '{name}' missing)",
                                 key=f"{where}: network '{self.network}'",
                                 expected="'positions' or 'x', 'y' (and 'z') node attributes",
                                 found=", ".join(sorted(self.attribute_names())))
            values, present = self.column(name)
            if present is not None and not present[ids].all():
                raise BuildError(f"some nodes have no '{name}'", key=f"{where}: network '{self.network}'",
                                 expected=f"'{name}' on every selected node", found="missing values")
            out[:, axis] = values[ids]
        return out

    # ------------------------------------------------------------------ node objects
    def node_objects(self) -> list[Node]:
        """Every node as a BMTK-style :class:`Node` (built once, on first request)."""
        if self._node_objects is None:
            self._node_objects = self._make_nodes()
        return self._node_objects

    def _make_nodes(self) -> list[Node]:
        names = sorted(self.attribute_names())
        lists, holes = [], []
        for name in names:
            values, present = self.column(name)
            lists.append(values.tolist() if values.ndim == 1 and values.dtype != object else list(values))
            if present is not None:
                holes.append((name, np.flatnonzero(~present)))
        ids = self.column("node_id")[0].tolist()
        type_ids = self.column("node_type_id")[0].tolist()
        nodes = [Node(zip(names, row), nid, tid, self.network)
                 for row, nid, tid in zip(zip(*lists), ids, type_ids)]
        for name, missing in holes:
            for i in missing.tolist():
                del nodes[i][name]
        return nodes


def _scatter(pieces, size: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Place ``(ids, values, present)`` pieces into one column of ``size`` rows."""
    if not pieces:
        return np.zeros(size), np.zeros(size, dtype=bool)
    arrays = [p[1] for p in pieces]
    numeric = all(a.dtype.kind in "biuf" for a in arrays)
    shapes = {a.shape[1:] for a in arrays}
    if numeric and len(shapes) == 1:
        out = np.zeros((size, *arrays[0].shape[1:]), dtype=np.result_type(*arrays))
    else:
        out = np.empty(size, dtype=object)
        arrays = [a if a.ndim == 1 else _rows(a) for a in arrays]
    present = np.zeros(size, dtype=bool)
    for (ids, _, mask), values in zip(pieces, arrays):
        out[ids] = values
        present[ids] = True if mask is None else mask
    return out, (None if present.all() else present)


def _rows(array: np.ndarray) -> np.ndarray:
    out = np.empty(array.shape[0], dtype=object)
    for i, row in enumerate(array):
        out[i] = row
    return out


def values_array(values: list[Any]) -> np.ndarray:
    """A 1-D array of arbitrary Python values (numbers stay numeric, anything else object)."""
    if values and all(isinstance(v, (bool, int, float, np.number, np.bool_)) for v in values):
        return np.asarray(values)
    out = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        out[i] = value
    return out


# ---------------------------------------------------------------------- matching
def match(values: np.ndarray, present: np.ndarray | None, cond: Any, *, where: str) -> np.ndarray:
    """Boolean mask of the rows whose value satisfies ``cond``.

    ``cond`` is a value (equality), a list/tuple/set/array (membership) or a callable
    predicate called with one value (BMTK's three forms). Rows without the attribute never match.
    """
    rows = np.flatnonzero(present) if present is not None else None
    sub = values if rows is None else values[rows]
    if sub.ndim != 1:
        sub = _rows(sub)
    if callable(cond) and not isinstance(cond, type):
        hit = _per_unique(sub, lambda v: bool(cond(v)), where)
    elif isinstance(cond, _SET_TYPES):
        hit = _membership(sub, cond, where)
    else:
        hit = _equal(sub, cond, where)
    if rows is None:
        return hit
    mask = np.zeros(values.shape[0], dtype=bool)
    mask[rows] = hit
    return mask


def _equal(sub: np.ndarray, cond: Any, where: str) -> np.ndarray:
    if sub.dtype != object:
        with np.errstate(all="ignore"):
            res = sub == cond
        if isinstance(res, np.ndarray) and res.shape == sub.shape:
            return res.astype(bool, copy=False)
    return _per_unique(sub, lambda v: bool(np.all(v == cond)) if isinstance(v, np.ndarray) else v == cond,
                       where)


def _membership(sub: np.ndarray, cond: Any, where: str) -> np.ndarray:
    choices = list(np.asarray(cond).tolist()) if isinstance(cond, np.ndarray) else list(cond)
    if sub.dtype.kind in "biuf" and all(isinstance(c, (int, float, np.number)) for c in choices):
        return np.isin(sub, np.asarray(choices))
    try:
        pool = set(choices)
        return _per_unique(sub, lambda v: v in pool, where)
    except TypeError:  # unhashable choices
        return _per_unique(sub, lambda v: v in choices, where)


def _per_unique(sub: np.ndarray, test: Callable[[Any], bool], where: str) -> np.ndarray:
    """Evaluate ``test`` once per distinct value (once per row if values are not sortable)."""
    try:
        uniq, inverse = np.unique(sub, return_inverse=True)
    except TypeError:
        uniq, inverse = sub, np.arange(sub.size)
    items = uniq.tolist() if uniq.dtype != object else list(uniq)
    try:
        hits = np.fromiter((bool(test(v)) for v in items), dtype=bool, count=len(items))
    except Exception as exc:  # a user predicate failed
        raise BuildError(f"query condition failed: {type(exc).__name__}: {exc}", key=where,
                         expected="a condition that accepts every value of the attribute",
                         found=f"{len(items)} distinct values") from exc
    return hits[inverse]


def query_string(query: Mapping[str, Any]) -> str:
    """BMTK's ``source_query``/``target_query`` text for a node filter (``*`` for all nodes)."""
    if not query:
        return "*"
    parts = []
    for key, cond in query.items():
        if callable(cond) and not isinstance(cond, type):
            parts.append(f"{key}=={getattr(cond, '__name__', 'function')}")
        elif isinstance(cond, str):
            parts.append(f"{key}=='{cond}'")
        elif isinstance(cond, _SET_TYPES):
            items = np.asarray(cond).tolist() if isinstance(cond, np.ndarray) else list(cond)
            parts.append(f"{key} in {items!r}")
        else:
            parts.append(f"{key}=={cond!r}")
    return "&".join(parts)


class NodePool:
    """A selection of nodes of one network (what ``nodes(**query)`` returns).

    Iterating yields BMTK-style :class:`Node` dicts; :attr:`node_ids` gives the ids as an
    array. The selection is re-evaluated if nodes are added to the network later.
    """

    def __init__(self, network: NetworkBuilder, query: Mapping[str, Any] | None = None, *,
                 allow_empty: bool = False, call: str | None = None, arg: str | None = None) -> None:
        self.network = network
        self.query = dict(query or {})
        self.allow_empty = allow_empty
        self._call = call or f"{network.name}.nodes"
        self._arg = arg  # None: the query is the call's keyword arguments (nodes(...))
        self._ids: np.ndarray | None = None
        self._version = -1
        self.evaluate()  # bad queries fail at the call that made them

    def _label(self, key: str | None = None) -> str:
        """``v1.nodes(key=...)`` or ``v1.add_edges(source={'key': ...})`` for error messages."""
        if key is not None:
            inner = f"{key}=..." if self._arg is None else f"{self._arg}={{{key!r}: ...}}"
        elif self._arg is None:
            inner = ", ".join(f"{k}={v!r}" for k, v in self.query.items())
        elif not self.query:
            inner = f"{self._arg}=<all nodes>"
        else:
            inner = f"{self._arg}={{" + ", ".join(f"{k!r}: {v!r}" for k, v in self.query.items()) + "}"
        return f"{self._call}({inner})"

    def evaluate(self) -> np.ndarray:
        """Evaluate the query now (raises on an unknown attribute or an empty selection)."""
        return self.node_ids

    @property
    def network_name(self) -> str:
        return self.network.name

    @property
    def filter_str(self) -> str:
        return query_string(self.query)

    @property
    def node_ids(self) -> np.ndarray:
        """Sorted int64 ids of the selected nodes."""
        store = self.network._store
        if self._ids is None or self._version != store.version:
            ids = store.select(self.query, self._label)
            if ids.size == 0 and not self.allow_empty:
                raise BuildError(
                    f"selection matches no node of network '{self.network.name}'", key=self._label(),
                    expected="at least one matching node (or allow_empty=True)",
                    found=f"0 of {store.size} nodes")
            self._ids, self._version = ids, store.version
        return self._ids

    def __len__(self) -> int:
        return int(self.node_ids.size)

    def __iter__(self) -> Iterator[Node]:
        nodes = self.network._store.node_objects()
        return (nodes[i] for i in self.node_ids.tolist())

    def __repr__(self) -> str:
        return f"<NodePool {self.network.name}[{self.filter_str}]: {len(self)} nodes>"
