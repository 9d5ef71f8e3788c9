"""``NetworkBuilder``: BMTK's network-building API on a columnar, vectorised core.

A BMTK build script runs after changing only its import::

    from cantata.build import NetworkBuilder

    net = NetworkBuilder("v1")
    net.add_nodes(N=100, pop_name="exc", model_type="point_neuron", positions=xyz)
    cm = net.add_edges(source={"pop_name": "exc"}, target=net.nodes(), connection_rule=my_rule,
                       syn_weight=1e-4, delay=2.0)
    net.build()
    net.save("network")
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cantata.build import export
from cantata.build.connection_map import BuiltEdges, ConnectionMap
from cantata.build.ids import EDGE_TYPE_IDS, NODE_TYPE_IDS
from cantata.build.nodes import BUILTIN_ATTRIBUTES, NodeBlock, NodePool, NodeStore
from cantata.errors import BuildError

PathArg = str | PathLike[str]


class NetworkBuilder:
    """Build one network (one SONATA node population) and the edges that start from its
    ``add_edges`` calls.

    ``seed`` seeds every Cantata rule and vectorised property rule of this builder (default
    0: the same script builds the same network). BMTK's ``adaptor_cls`` and other network
    keyword arguments are accepted and ignored.
    """

    def __init__(self, name: str, adaptor_cls: Any = None, *, seed: int = 0, **network_props: Any) -> None:
        if not isinstance(name, str) or not name or "/" in name or name.strip() != name:
            raise BuildError("invalid network name", key="NetworkBuilder(name)",
                             expected="a non-empty name without '/' or surrounding spaces", found=repr(name))
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise BuildError("invalid seed", key=f"NetworkBuilder({name!r}, seed)",
                             expected="a non-negative integer", found=repr(seed))
        self._name = name
        self.seed = int(seed)
        self.network_props = network_props
        self._store = NodeStore(name)
        self._maps: list[ConnectionMap] = []
        self._built: list[BuiltEdges] | None = None
        self._built_from: list[tuple[NodeStore, int]] = []  # node stores used, and their versions

    # ------------------------------------------------------------------ properties
    @property
    def name(self) -> str:
        return self._name

    @property
    def nnodes(self) -> int:
        return self._store.size

    @property
    def nedges(self) -> int:
        """Number of synapses built so far (BMTK counts synapses, not rows)."""
        return sum(b.n_synapses for b in self._built) if self._built else 0

    @property
    def nodes_built(self) -> bool:
        return True

    @property
    def edges_built(self) -> bool:
        return self._built is not None

    def __repr__(self) -> str:
        return f"<NetworkBuilder {self._name!r}: {self.nnodes} nodes, {len(self._maps)} edge types>"

    # ------------------------------------------------------------------ nodes
    def add_nodes(self, N: int = 1, **properties: Any) -> None:
        """Add ``N`` nodes of one new node type.

        Scalar values are shared properties of the node type (the types CSV); sequences of
        length ``N`` are per-node attributes (the nodes h5), including ``positions``
        (``[N, 3]``, saved as ``x``, ``y``, ``z``). ``dynamics_params`` given as a dict is
        saved per node in the h5 ``dynamics_params`` group; as a string it names a JSON file.
        """
        where = f"{self._name}.add_nodes"
        if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N < 0:
            raise BuildError("invalid number of nodes", key=f"{where}(N)", expected="an integer >= 0",
                             found=repr(N))
        n = int(N)
        shared: dict[str, Any] = {}
        columns: dict[str, np.ndarray] = {}
        dynamics: dict[str, np.ndarray] = {}
        type_id = None
        for key, value in properties.items():
            if key == "node_id":
                raise BuildError("node ids are assigned by the builder (0..N-1, contiguous)",
                                 key=f"{where}(node_id)", expected="no node_id argument", found="node_id")
            if key == "node_type_id":
                type_id = self._explicit_type_id(value, where)
            elif key == "dynamics_params" and isinstance(value, Mapping):
                dynamics = {k: _per_node(v, n, f"{where}(dynamics_params={{{k!r}: ...}})", broadcast=True)
                            for k, v in value.items()}
            elif _is_sequence(value):
                columns[key] = _per_node(value, n, f"{where}({key})")
            else:
                shared[key] = value
        _check_positions(columns, shared, where)
        if type_id is None:
            type_id = NODE_TYPE_IDS.new()
        start = self._store.size
        block = NodeBlock(ids=np.arange(start, start + n, dtype=np.int64),
                          type_ids=np.full(n, type_id, dtype=np.int64), columns=columns, dynamics=dynamics)
        self._store.add(block, {type_id: shared})
        self._edges_changed()

    def _explicit_type_id(self, value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise BuildError("node_type_id must be one non-negative integer", key=f"{where}(node_type_id)",
                             expected="an integer >= 0 (one per add_nodes call)", found=repr(value))
        if int(value) in self._store.types:
            raise BuildError("node_type_id already used in this network", key=f"{where}(node_type_id)",
                             expected="a new id", found=int(value))
        NODE_TYPE_IDS.claim(int(value))
        return int(value)

    def nodes(self, allow_empty: bool = False, **query: Any) -> NodePool:
        """Select nodes: ``key=value`` (equality), ``key=[...]`` (membership) or
        ``key=callable`` (predicate); no arguments selects every node.

        A query on an attribute no node has raises; so does an empty selection unless
        ``allow_empty=True``.
        """
        return NodePool(self, query, allow_empty=allow_empty, call=f"{self._name}.nodes")

    def nodes_iter(self, node_ids: Any = None):
        """Iterate over :class:`~cantata.build.nodes.Node` dicts (all, or the given ids)."""
        nodes = self._store.node_objects()
        if node_ids is None:
            return iter(nodes)
        return (nodes[int(i)] for i in node_ids)

    def node_attributes(self, *names: str) -> pd.DataFrame:
        """A table of node attributes (all when no names given), indexed by node id."""
        names = names or tuple(sorted(self._store.attribute_names() - set(BUILTIN_ATTRIBUTES)))
        data: dict[str, Any] = {"node_type_id": self._store.type_id_array()}
        for name in names:
            if not self._store.has_attribute(name):
                raise BuildError(f"no node has attribute '{name}'", key=f"{self._name}.node_attributes",
                                 expected="one of " + ", ".join(sorted(self._store.attribute_names())), found=name)
            values, present = self._store.column(name)
            if values.ndim > 1:
                values = list(values)
            column = pd.Series(values, dtype=object if present is not None else None)
            if present is not None:
                column[~present] = None
            data[name] = column
        return pd.DataFrame(data, index=pd.Index(np.arange(self.nnodes), name="node_id"))

    # ------------------------------------------------------------------ edges
    def add_edges(self, source: Any = None, target: Any = None, connection_rule: Any = 1,
                  connection_params: dict[str, Any] | None = None, iterator: str = "one_to_one",
                  allow_empty: bool = False, **edge_type_properties: Any) -> ConnectionMap:
        """Connect ``source`` nodes to ``target`` nodes (dict filters on this network, or
        ``net.nodes(...)`` of any network) with ``connection_rule``; the keyword arguments
        are edge-type properties (``syn_weight``, ``delay``, ``dynamics_params``, ...).
        """
        where = f"{self._name}.add_edges"
        src = self._pool(source, "source", allow_empty, where)
        trg = self._pool(target, "target", allow_empty, where)
        if src.network is not trg.network and src.network_name == trg.network_name:
            raise BuildError("two different networks share a name", key=f"{where}(source, target)",
                             expected="distinct network names (file and population names derive from them)",
                             found=src.network_name)
        if connection_params is not None and not isinstance(connection_params, dict):
            raise BuildError("connection_params must be a dict", key=f"{where}(connection_params)",
                             expected="dict of keyword arguments for the rule",
                             found=type(connection_params).__name__)
        props = dict(edge_type_properties)
        if "nsyns" in props:  # BMTK: nsyns given as a property is the rule
            connection_rule = props.pop("nsyns")
        for key in props:
            if "/" in key or key in ("source_query", "target_query"):
                raise BuildError("invalid edge type property name", key=f"{where}({key})",
                                 expected="a name without '/', not source_query/target_query", found=key)
        type_id = props.pop("edge_type_id", None)
        if type_id is None:
            type_id = EDGE_TYPE_IDS.new()
        else:
            if isinstance(type_id, bool) or not isinstance(type_id, (int, np.integer)) or type_id < 0:
                raise BuildError("invalid edge_type_id", key=f"{where}(edge_type_id)",
                                 expected="an integer >= 0", found=repr(type_id))
            if any(m.edge_type_id == type_id for m in self._maps):
                raise BuildError("edge_type_id already used in this network", key=f"{where}(edge_type_id)",
                                 expected="a new id", found=int(type_id))
            EDGE_TYPE_IDS.claim(int(type_id))
        type_props = {"edge_type_id": int(type_id), "target_query": trg.filter_str,
                      "source_query": src.filter_str, **props}
        cmap = ConnectionMap(self, len(self._maps), src, trg, connection_rule, connection_params, iterator,
                             type_props)
        self._maps.append(cmap)
        self._edges_changed()
        return cmap

    def add_gap_junctions(self, source: Any = None, target: Any = None, resistance: float = 1.0,
                          conductance: float | None = None, distance_range: Any = (0.0, 300.0),
                          target_sections: Any = ("somatic",), connection_rule: Any = 1,
                          iterator: str = "one_to_one", **edge_type_properties: Any) -> ConnectionMap:
        """Gap junctions (BMTK's call): ``add_edges`` with ``is_gap_junction=True`` and
        ``syn_weight`` = ``conductance`` (uS), else ``1 / resistance`` (MOhm). ``target_sections``
        and ``distance_range`` place both ends. ``save`` also writes BMTK BioNet's
        ``<network>_gap_juncs.h5`` id file; Cantata's NEURON engine does not need it."""
        if conductance is None:
            if isinstance(resistance, bool) or not isinstance(resistance, (int, float)) or not resistance > 0:
                raise BuildError("resistance must be a positive number (MOhm)",
                                 key=f"{self._name}.add_gap_junctions(resistance)", found=repr(resistance))
            conductance = 1.0 / resistance
        return self.add_edges(source=source, target=target, connection_rule=connection_rule, iterator=iterator,
                              syn_weight=conductance, is_gap_junction=True,
                              distance_range=None if distance_range is None else list(distance_range),
                              target_sections=None if target_sections is None else list(target_sections),
                              **edge_type_properties)

    def _pool(self, value: Any, role: str, allow_empty: bool, where: str) -> NodePool:
        if value is None or isinstance(value, Mapping):
            return NodePool(self, dict(value or {}), allow_empty=allow_empty, call=where, arg=role)
        if isinstance(value, NodePool):
            if value.network is not self and value.network.name == self._name:
                raise BuildError("two different networks share a name", key=f"{where}({role})",
                                 expected="distinct network names (file and population names derive from them)",
                                 found=self._name)
            if not allow_empty and not value.allow_empty:
                value.evaluate()  # nodes may have changed since nodes() was called
            return value
        raise BuildError(f"invalid {role} selection", key=f"{where}({role})",
                         expected="a dict filter, net.nodes(...) or None", found=type(value).__name__)

    def get_connections(self) -> list[ConnectionMap]:
        """The connection maps (one per ``add_edges`` call), in call order."""
        return list(self._maps)

    def _edges_changed(self) -> None:
        self._built = None

    # ------------------------------------------------------------------ build
    def build(self, force: bool = False) -> None:
        """Evaluate every connection rule and per-edge property (done by ``save`` if needed)."""
        if self._built is not None and not force and all(st.version == v for st, v in self._built_from):
            return
        self._check_names()
        stores = {id(n._store): n._store for m in self._maps for n in (m.source_nodes.network, m.target_nodes.network)}
        self._built = [cmap.build(self.seed) for cmap in self._maps]
        self._built_from = [(st, st.version) for st in stores.values()]

    def clear(self) -> None:
        """Forget the built edges (BMTK's ``clear``); nodes and ``add_edges`` calls stay."""
        self._built = None

    def edges(self) -> pd.DataFrame:
        """Built edges as a table: one row per edge row, with the populations and type ids."""
        self.build()
        frames = []
        for cmap, built in zip(self._maps, self._built or []):
            frame = pd.DataFrame({
                "source_population": cmap.source_network_name, "target_population": cmap.target_network_name,
                "source_node_id": built.source_ids, "target_node_id": built.target_ids,
                "edge_type_id": np.full(built.n_rows, cmap.edge_type_id, dtype=np.int64)})
            if built.nsyns is not None:
                frame["nsyns"] = built.nsyns
            for name, values in built.columns.items():
                frame[name] = values
            frames.append(frame)
        if not frames:
            return pd.DataFrame(columns=["source_population", "target_population", "source_node_id",
                                         "target_node_id", "edge_type_id"])
        return pd.concat(frames, ignore_index=True)

    def _check_names(self) -> None:
        seen: dict[str, NetworkBuilder] = {self._name: self}
        for cmap in self._maps:
            for net in (cmap.source_nodes.network, cmap.target_nodes.network):
                other = seen.setdefault(net.name, net)
                if other is not net:
                    raise BuildError("two different networks share a name",
                                     key=f"{self._name}.add_edges(...)",
                                     expected="distinct network names", found=net.name)

    def _connected_pairs(self) -> list[tuple[NetworkBuilder, NetworkBuilder]]:
        pairs: list[tuple[NetworkBuilder, NetworkBuilder]] = []
        for cmap in self._maps:
            pair = (cmap.source_nodes.network, cmap.target_nodes.network)
            if not any(p[0] is pair[0] and p[1] is pair[1] for p in pairs):
                pairs.append(pair)
        return pairs

    # ------------------------------------------------------------------ save
    def save(self, output_dir: PathArg = ".", overwrite: bool = False, compression: Any = None,
             force_overwrite: bool | None = None) -> list[Path]:
        """Write ``<net>_nodes.h5``, ``<net>_node_types.csv`` and, for every (source,
        target) network pair of this builder's edges, ``<src>_<trg>_edges.h5`` and
        ``<src>_<trg>_edge_types.csv`` into ``output_dir``; with gap junctions also BMTK
        BioNet's ``<net>_gap_juncs.h5`` id file.

        Existing files are an error unless ``overwrite=True`` (BMTK's ``force_overwrite``
        is accepted too). All files are written to a staging folder first and moved into
        place only when every one of them is complete. Returns the written paths.
        """
        overwrite = _overwrite(overwrite, force_overwrite)
        out = Path(output_dir)
        self._check_names()
        jobs = [export.node_job(self, out, None, None)]
        jobs += [export.edge_job(self, src, trg, out, None, None, None, "target")
                 for src, trg in self._connected_pairs()]
        jobs.append(export.gap_junction_job(self, out))
        return export.run_jobs(jobs, overwrite=overwrite, compression=_compression(compression),
                               where=f"{self._name}.save", prepare=self.build)

    def save_nodes(self, nodes_file_name: PathArg | None = None, node_types_file_name: PathArg | None = None,
                   output_dir: PathArg = ".", overwrite: bool = False, compression: Any = None,
                   force_overwrite: bool | None = None) -> list[Path]:
        """Write the nodes h5 and node types CSV (default names ``<net>_nodes.h5`` and
        ``<net>_node_types.csv`` in ``output_dir``)."""
        overwrite = _overwrite(overwrite, force_overwrite)
        out = Path(output_dir)
        job = export.node_job(self, out, nodes_file_name, node_types_file_name)
        return export.run_jobs([job], overwrite=overwrite, compression=_compression(compression),
                               where=f"{self._name}.save_nodes")

    def save_edges(self, edges_file_name: PathArg | None = None, edge_types_file_name: PathArg | None = None,
                   output_dir: PathArg = ".", src_network: str | None = None, trg_network: str | None = None,
                   name: str | None = None, overwrite: bool = False, compression: Any = None,
                   sort_by: str | None = "target", force_build: bool = True,
                   force_overwrite: bool | None = None, **_: Any) -> list[Path]:
        """Write the edges of this builder, one file pair per (source, target) network pair
        (filter with ``src_network``/``trg_network``; explicit file names and population
        ``name`` need exactly one pair)."""
        where = f"{self._name}.save_edges"
        overwrite = _overwrite(overwrite, force_overwrite)
        sort = _sort_key(sort_by, where)
        if self._built is None and not force_build:
            raise BuildError("edges are not built", key=f"{where}(force_build)",
                             expected="build() first or force_build=True", found=False)
        self._check_names()
        pairs = [(s, t) for s, t in self._connected_pairs()
                 if (src_network is None or s.name == src_network) and (trg_network is None or t.name == trg_network)]
        if not pairs:
            raise BuildError("no edges between these networks", key=f"{where}(src_network, trg_network)",
                             expected="networks connected by add_edges of this builder",
                             found=f"{src_network!r} -> {trg_network!r}")
        if (edges_file_name or edge_types_file_name or name) and len(pairs) > 1:
            raise BuildError("file or population names given for several network pairs",
                             key=f"{where}(edges_file_name)", expected="src_network/trg_network selecting one pair",
                             found=", ".join(f"{s.name}->{t.name}" for s, t in pairs))
        out = Path(output_dir)
        jobs = [export.edge_job(self, s, t, out, edges_file_name, edge_types_file_name, name, sort)
                for s, t in pairs]
        if any(s is self and t is self for s, t in pairs):
            jobs.append(export.gap_junction_job(self, out))
        return export.run_jobs(jobs, overwrite=overwrite, compression=_compression(compression), where=where,
                               prepare=self.build)

    # ------------------------------------------------------------------ loading
    def import_nodes(self, nodes_file_name: PathArg, node_types_file_name: PathArg | None = None,
                     population: str | None = None) -> None:
        """Load an existing SONATA node population into this (empty) builder (BMTK name)."""
        from cantata.build.load import import_nodes

        import_nodes(self, nodes_file_name, node_types_file_name, population)
        self._edges_changed()

    @classmethod
    def load(cls, nodes_file: PathArg, node_types_file: PathArg | None = None, population: str | None = None,
             *, name: str | None = None, seed: int = 0) -> NetworkBuilder:
        """A builder holding an existing SONATA node population (named after it unless
        ``name`` is given), ready for more nodes or edges."""
        from cantata.build.load import population_name

        net = cls(name or population_name(nodes_file, population), seed=seed)
        net.import_nodes(nodes_file, node_types_file, population)
        return net


# ---------------------------------------------------------------------- helpers
def _is_sequence(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.ndim > 0
    return isinstance(value, (list, range, types.GeneratorType, pd.Series))


def _per_node(value: Any, n: int, where: str, broadcast: bool = False) -> np.ndarray:
    if broadcast and not _is_sequence(value):
        return np.full(n, value) if not isinstance(value, str) else np.full(n, value, dtype=object)
    if isinstance(value, (range, types.GeneratorType)):
        value = list(value)
    try:
        arr = np.asarray(value)
    except ValueError:
        raise BuildError("per-node values have inconsistent shapes", key=where,
                         expected=f"{n} values of the same shape", found=type(value).__name__) from None
    if arr.ndim == 0 or arr.shape[0] != n:
        raise BuildError("per-node property has the wrong length", key=where,
                         expected=f"{n} values (one per node, N={n})",
                         found=f"{arr.shape[0] if arr.ndim else 0} values")
    if arr.dtype.kind == "U":
        arr = arr.astype(object)
    if arr.dtype.kind not in "biufO" or arr.ndim > 2:
        raise BuildError("unsupported per-node values", key=where, expected="numbers or strings, 1-D or [N, k]",
                         found=f"dtype {arr.dtype}, shape {arr.shape}")
    return arr


def _check_positions(columns: dict[str, np.ndarray], shared: dict[str, Any], where: str) -> None:
    if "positions" in shared:
        raise BuildError("positions must be given per node", key=f"{where}(positions)",
                         expected="an [N, 3] array", found=repr(shared["positions"]))
    pos = columns.get("positions")
    if pos is None:
        return
    if pos.ndim != 2 or pos.shape[1] != 3 or pos.dtype.kind not in "iuf":
        raise BuildError("positions must be an [N, 3] array of numbers", key=f"{where}(positions)",
                         expected="shape (N, 3)", found=f"shape {pos.shape}, dtype {pos.dtype}")
    both = [k for k in "xyz" if k in columns or k in shared]
    if both:
        raise BuildError("positions and x/y/z given together", key=f"{where}(positions)",
                         expected="either positions or x, y, z", found=f"positions and {', '.join(both)}")
    columns["positions"] = pos.astype(np.float64)


def _overwrite(overwrite: bool, force_overwrite: bool | None) -> bool:
    return bool(overwrite or force_overwrite)


def _compression(value: Any) -> Any:
    if value in (None, "none", False):
        return None
    if value in ("gzip", "lzf") or (isinstance(value, int) and 0 <= value <= 9):
        return value
    raise BuildError("unsupported compression", key="save(compression)",
                     expected="None, 'gzip', 'lzf', 'none' or a gzip level 0-9", found=repr(value))


def _sort_key(sort_by: Any, where: str) -> str | None:
    aliases = {"target": "target", "target_node_id": "target", "source": "source", "source_node_id": "source",
               None: None, "none": None}
    if sort_by not in aliases:
        raise BuildError("unsupported edge order", key=f"{where}(sort_by)",
                         expected="'target', 'source' or None", found=repr(sort_by))
    return aliases[sort_by]
