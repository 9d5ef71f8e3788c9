"""Load an existing SONATA node population into a builder (BMTK's ``import_nodes``).

Reading goes through :mod:`cantata.sonata.circuit`. Node ids are kept (0..N-1), node type
ids and their shared properties come from the types CSV, per-node attributes and
``dynamics_params`` from the h5 groups. Nodes whose h5 group lacks a text attribute are kept
in a separate block so the attribute is never invented for them.
"""

from __future__ import annotations

import math
from os import PathLike
from typing import TYPE_CHECKING, Any

import numpy as np

from cantata.build.ids import NODE_TYPE_IDS
from cantata.build.nodes import NodeBlock
from cantata.errors import BuildError, FormatError
from cantata.sonata.circuit import Circuit, NodePopulation, population_names

if TYPE_CHECKING:
    from cantata.build.network import NetworkBuilder

PathArg = str | PathLike[str]


def population_name(nodes_file: PathArg, population: str | None) -> str:
    """The population to load: ``population`` if given, else the file's only one."""
    try:
        names = population_names(nodes_file, "nodes")
    except (FormatError, OSError) as exc:
        raise BuildError(f"cannot read nodes file: {exc}", file=nodes_file, key="nodes_file",
                         expected="a SONATA nodes file", found=type(exc).__name__) from exc
    if population is not None:
        if population not in names:
            raise BuildError("population not in nodes file", file=nodes_file, key="population",
                             expected="one of " + (", ".join(names) or "none"), found=population)
        return population
    if len(names) != 1:
        raise BuildError("nodes file holds several populations; name one", file=nodes_file, key="population",
                         expected="population=" + " or ".join(names), found=None)
    return names[0]


def import_nodes(net: NetworkBuilder, nodes_file: PathArg, node_types_file: PathArg | None,
                 population: str | None) -> None:
    """Fill the empty builder ``net`` with the nodes of one population of ``nodes_file``."""
    where = f"{net.name}.import_nodes"
    if net.nnodes:
        raise BuildError("import_nodes needs an empty builder", key=where,
                         expected="no nodes added before", found=f"{net.nnodes} nodes")
    name = population_name(nodes_file, population)
    try:
        circuit = Circuit.from_files(nodes=[{"nodes_file": nodes_file, "node_types_file": node_types_file,
                                             "populations": {name: {}}}])
    except FormatError as exc:
        raise BuildError(f"cannot import nodes: {exc.detail}", file=exc.file or nodes_file, key=exc.key,
                         expected=exc.expected, found=exc.found) from exc
    try:
        pop = circuit.nodes[name]
        types = _types(pop, where)
        ids = pop.node_ids()
        if not np.array_equal(ids, np.arange(pop.size)):
            raise BuildError("node ids are not 0..N-1", file=nodes_file, key=f"/nodes/{name}/node_id",
                             expected="contiguous ids from 0", found=f"ids {ids[:5].tolist()}...")
        type_ids = pop.node_type_ids().astype(np.int64)
        unknown = np.setdiff1d(np.unique(type_ids), np.fromiter(types, dtype=np.int64, count=len(types)))
        for tid in unknown.tolist():  # node types used in the h5 but absent from the CSV
            types[int(tid)] = {}
        columns = _per_node_columns(pop, types, type_ids)
        dynamics = pop.dynamics_params()
    except FormatError as exc:
        raise BuildError(f"cannot import nodes: {exc.detail}", file=exc.file or nodes_file, key=exc.key,
                         expected=exc.expected, found=exc.found) from exc
    finally:
        circuit.close()
    for tid in types:
        NODE_TYPE_IDS.claim(tid)
    for i, block in enumerate(_blocks(ids, type_ids, columns, dynamics)):
        net._store.add(block, types if i == 0 else {})


def _types(pop: NodePopulation, where: str) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    frame = pop.types
    for row in frame.to_dict(orient="records"):
        tid = int(row.pop("node_type_id"))
        out[tid] = {k: _plain(v) for k, v in row.items() if not _missing(v)}
    return out


def _per_node_columns(pop: NodePopulation, types: dict[int, dict[str, Any]],
                      type_ids: np.ndarray) -> dict[str, np.ndarray]:
    """H5 attributes; a name also in the CSV counts only where it differs from the type value."""
    csv_names = set(pop.types.columns)
    out: dict[str, np.ndarray] = {}
    for name in sorted(pop.attribute_names - {"node_type_id"}):
        values = pop.get_attribute(name)
        if name in csv_names and _same_as_types(values, types, type_ids, name):
            continue
        out[name] = values
    return out


def _same_as_types(values: np.ndarray, types: dict[int, dict[str, Any]], type_ids: np.ndarray, name: str) -> bool:
    uniq, inverse = np.unique(type_ids, return_inverse=True)
    per_type = [types.get(int(t), {}).get(name) for t in uniq]
    expected = np.empty(len(per_type), dtype=object)
    expected[:] = per_type
    expected = expected[inverse]
    try:
        return bool(all(_equal(a, b) for a, b in zip(values.tolist(), expected.tolist())))
    except (TypeError, ValueError):
        return False


def _equal(a: Any, b: Any) -> bool:
    if _missing(a) and _missing(b):
        return True
    return bool(a == b)


def _blocks(ids: np.ndarray, type_ids: np.ndarray, columns: dict[str, np.ndarray],
            dynamics: dict[str, np.ndarray]) -> list[NodeBlock]:
    """One block per pattern of present text attributes (multi-group files), else one block."""
    text = [name for name, values in columns.items() if values.dtype == object]
    if not text:
        return [NodeBlock(ids, type_ids, dict(columns), dict(dynamics))]
    present = np.column_stack([np.array([v is not None for v in columns[name]]) for name in text])
    patterns, which = np.unique(present, axis=0, return_inverse=True)
    blocks = []
    for k, pattern in enumerate(patterns):
        rows = np.flatnonzero(which.ravel() == k)
        keep = {name: values[rows] for name, values in columns.items()
                if name not in text or pattern[text.index(name)]}
        blocks.append(NodeBlock(ids[rows], type_ids[rows], keep, {n: v[rows] for n, v in dynamics.items()}))
    return blocks


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
