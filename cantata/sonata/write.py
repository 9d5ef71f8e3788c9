"""Interoperable SONATA node and edge writers.

Files written here are read by Cantata, BMTK, libsonata and bluepysnap alike (see
docs/writing.md for each layout choice). Everything is validated before the file is opened,
and the file is written under a temporary name and moved into place when complete.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd

from cantata.errors import BuildError
from cantata.sonata._io import atomic_path
from cantata.sonata.write_columns import (
    FilePath,
    check_compression,
    check_id_range,
    check_name,
    columns_dict,
    count_arg,
    create_dataset,
    id_array,
    write_columns,
)
from cantata.sonata.write_config import write_circuit_config
from cantata.sonata.write_csv import write_types_csv
from cantata.sonata.write_index import build_index, edge_order

__all__ = [
    "NodeTable",
    "EdgeTable",
    "write_nodes",
    "write_edges",
    "write_types_csv",
    "write_circuit_config",
    "write_root_attrs",
    "SONATA_MAGIC",
    "SONATA_VERSION",
]

SONATA_MAGIC = 0x0A7A
SONATA_VERSION = (0, 1)
SORT_KEYS = ("target", "source", None)


@dataclass
class NodeTable:
    """One node population.

    ``groups[k]`` holds the attribute columns of the nodes with ``group_id == k``, one row per
    such node in node-id order; ``group_id=None`` puts every node in group 0 (the usual case).
    ``dynamics_params[k]`` (optional) holds per-node model parameters of group ``k``.
    """

    node_type_id: np.ndarray
    groups: list[dict[str, np.ndarray]]
    group_id: np.ndarray | None = None
    dynamics_params: list[dict[str, np.ndarray]] | None = None


@dataclass
class EdgeTable:
    """One edge population: ids, type ids and group-0 attributes, one row per edge.

    ``n_source_nodes``/``n_target_nodes`` are the sizes of the source/target node populations
    (they bound the ids and size the index tables).
    """

    source: str
    target: str
    source_node_id: np.ndarray
    target_node_id: np.ndarray
    edge_type_id: np.ndarray
    attributes: dict[str, np.ndarray]
    n_source_nodes: int
    n_target_nodes: int
    dynamics_params: dict[str, np.ndarray] | None = None


# ----------------------------------------------------------------------------------- nodes


@dataclass
class _PreparedNodes:
    node_type_id: np.ndarray
    group_id: np.ndarray
    group_index: np.ndarray
    groups: list[dict[str, np.ndarray]]
    dynamics: list[dict[str, np.ndarray]]


def _prepare_nodes(name: str, table: NodeTable, file: FilePath) -> _PreparedNodes:
    where = f"nodes/{name}"
    if not isinstance(table, NodeTable):
        raise BuildError("population must be a NodeTable", file=file, key=where,
                         expected="NodeTable", found=type(table).__name__)
    type_ids = id_array(table.node_type_id, file=file, key=f"{where}/node_type_id")
    n_nodes = type_ids.size
    if table.groups is None:
        groups = []
    elif isinstance(table.groups, (Mapping, pd.DataFrame)):
        groups = [table.groups]  # a single group's columns given without the list
    else:
        groups = list(table.groups)
    if not groups:
        groups = [{}]
    if table.group_id is None:
        if len(groups) != 1:
            raise BuildError(f"{len(groups)} groups given but group_id is None", file=file,
                             key=f"{where}/node_group_id", expected="group_id (the group of each node)")
        group_id = np.zeros(n_nodes, dtype=np.int64)
    else:
        group_id = id_array(table.group_id, file=file, key=f"{where}/node_group_id", length=n_nodes)
        check_id_range(group_id, len(groups), file=file, key=f"{where}/node_group_id",
                       size_name="number of groups")
    sizes = np.bincount(group_id, minlength=len(groups))
    group_index = _rank_within_group(group_id, sizes)
    dynamics_in = table.dynamics_params
    if dynamics_in is not None and len(dynamics_in) != len(groups):
        raise BuildError("dynamics_params must have one entry per group", file=file,
                         key=f"{where}/dynamics_params", expected=f"{len(groups)} entries",
                         found=len(dynamics_in))
    prepared_groups, dynamics = [], []
    for k, columns in enumerate(groups):
        rows = int(sizes[k])
        prepared_groups.append(columns_dict(columns, rows=rows, file=file, where=f"{where}/{k}"))
        params = None if dynamics_in is None else dynamics_in[k]
        dynamics.append(columns_dict(params, rows=rows, file=file, where=f"{where}/{k}/dynamics_params"))
    return _PreparedNodes(type_ids, group_id, group_index, prepared_groups, dynamics)


def _rank_within_group(group_id: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Row of each node inside its group: nodes of a group are numbered in node-id order."""
    if sizes.size == 1:
        return np.arange(group_id.size, dtype=np.int64)
    order = np.argsort(group_id, kind="stable")
    first_row = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    index = np.empty(group_id.size, dtype=np.int64)
    index[order] = np.arange(group_id.size, dtype=np.int64) - first_row[group_id[order]]
    return index


def write_nodes(path: FilePath, populations: Mapping[str, NodeTable], *, overwrite: bool = False,
                compression: Any = None) -> Path:
    """Write node populations to a SONATA nodes file and return its path.

    Layout per population: ``/nodes/<pop>/{node_id, node_type_id, node_group_id,
    node_group_index}`` and ``/nodes/<pop>/<k>/<attr>`` (+ ``<k>/dynamics_params/<p>``).
    ``compression`` (e.g. ``"gzip"``) passes through to h5py.
    """
    check_compression(compression, file=path)
    prepared = {check_name(name, "population", file=path): _prepare_nodes(name, table, path)
                for name, table in _populations(populations, path).items()}
    with atomic_path(path, overwrite=overwrite) as tmp, h5py.File(tmp, "w") as h5:
        write_root_attrs(h5)
        root = h5.create_group("nodes")
        for name, prep in prepared.items():
            pop = root.create_group(name)
            n_nodes = prep.node_type_id.size
            create_dataset(pop, "node_id", np.arange(n_nodes, dtype=np.uint64), compression=compression)
            create_dataset(pop, "node_type_id", prep.node_type_id, compression=compression)
            create_dataset(pop, "node_group_id", prep.group_id, dtype=np.uint32, compression=compression)
            create_dataset(pop, "node_group_index", prep.group_index, dtype=np.uint64,
                           compression=compression)
            for k, (columns, dynamics) in enumerate(zip(prep.groups, prep.dynamics)):
                grp = pop.create_group(str(k))
                write_columns(grp, columns, compression=compression)
                if dynamics:
                    write_columns(grp.create_group("dynamics_params"), dynamics, compression=compression)
    return Path(path)


# ----------------------------------------------------------------------------------- edges


@dataclass
class _PreparedEdges:
    table: EdgeTable
    source_ids: np.ndarray
    target_ids: np.ndarray
    type_ids: np.ndarray
    attributes: dict[str, np.ndarray]
    dynamics: dict[str, np.ndarray]
    n_source: int
    n_target: int


def _prepare_edges(name: str, table: EdgeTable, file: FilePath) -> _PreparedEdges:
    where = f"edges/{name}"
    if not isinstance(table, EdgeTable):
        raise BuildError("population must be an EdgeTable", file=file, key=where,
                         expected="EdgeTable", found=type(table).__name__)
    check_name(table.source, "source node population", file=file)
    check_name(table.target, "target node population", file=file)
    n_source = count_arg(table.n_source_nodes, file=file, key=f"{where}/n_source_nodes")
    n_target = count_arg(table.n_target_nodes, file=file, key=f"{where}/n_target_nodes")
    source = id_array(table.source_node_id, file=file, key=f"{where}/source_node_id")
    n_edges = source.size
    target = id_array(table.target_node_id, file=file, key=f"{where}/target_node_id", length=n_edges)
    type_ids = id_array(table.edge_type_id, file=file, key=f"{where}/edge_type_id", length=n_edges)
    check_id_range(source, n_source, file=file, key=f"{where}/source_node_id", size_name="n_source_nodes")
    check_id_range(target, n_target, file=file, key=f"{where}/target_node_id", size_name="n_target_nodes")
    attributes = columns_dict(table.attributes, rows=n_edges, file=file, where=f"{where}/0")
    dynamics = columns_dict(table.dynamics_params, rows=n_edges, file=file,
                            where=f"{where}/0/dynamics_params")
    return _PreparedEdges(table, source, target, type_ids, attributes, dynamics, n_source, n_target)


def _sorted(prep: _PreparedEdges, sort_by: str | None) -> _PreparedEdges:
    """Return ``prep`` with every per-edge column permuted into the requested order."""
    if sort_by is None:
        return prep
    if sort_by == "target":
        order = edge_order(prep.target_ids, prep.source_ids, prep.n_target, prep.n_source)
    else:
        order = edge_order(prep.source_ids, prep.target_ids, prep.n_source, prep.n_target)
    if order is None:
        return prep
    return _PreparedEdges(
        prep.table, prep.source_ids[order], prep.target_ids[order], prep.type_ids[order],
        {k: v[order] for k, v in prep.attributes.items()},
        {k: v[order] for k, v in prep.dynamics.items()},
        prep.n_source, prep.n_target,
    )


def write_edges(path: FilePath, populations: Mapping[str, EdgeTable], *, overwrite: bool = False,
                compression: Any = None, sort_by: str | None = "target") -> Path:
    """Write edge populations to a SONATA edges file and return its path.

    Edges are sorted by target node id (stable, then by source id) unless ``sort_by`` is
    ``"source"`` (source, then target) or ``None`` (kept as given); attributes follow.
    Both index directions are written, with ``node_id_to_range`` as a hard link to
    ``node_id_to_ranges`` for BMTK. ``compression`` passes through to h5py.
    """
    if sort_by not in SORT_KEYS:
        raise BuildError("invalid sort order", file=path, key="sort_by",
                         expected="'target', 'source' or None", found=sort_by)
    check_compression(compression, file=path)
    prepared = {check_name(name, "population", file=path): _prepare_edges(name, table, path)
                for name, table in _populations(populations, path).items()}
    with atomic_path(path, overwrite=overwrite) as tmp, h5py.File(tmp, "w") as h5:
        write_root_attrs(h5)
        root = h5.create_group("edges")
        for name in list(prepared):
            _write_edge_population(root.create_group(name), _sorted(prepared.pop(name), sort_by),
                                   compression)
    return Path(path)


def _write_edge_population(pop: h5py.Group, prep: _PreparedEdges, compression: Any) -> None:
    n_edges = prep.source_ids.size
    for column, ids, population in (("source_node_id", prep.source_ids, prep.table.source),
                                    ("target_node_id", prep.target_ids, prep.table.target)):
        dset = create_dataset(pop, column, ids, dtype=np.uint64, compression=compression)
        dset.attrs["node_population"] = population
    create_dataset(pop, "edge_type_id", prep.type_ids, compression=compression)
    create_dataset(pop, "edge_group_id", np.zeros(n_edges, dtype=np.uint32), compression=compression)
    create_dataset(pop, "edge_group_index", np.arange(n_edges, dtype=np.uint64), compression=compression)
    grp = pop.create_group("0")
    write_columns(grp, prep.attributes, compression=compression)
    if prep.dynamics:
        write_columns(grp.create_group("dynamics_params"), prep.dynamics, compression=compression)
    indices = pop.create_group("indices")
    for direction, ids, n_nodes in (("source_to_target", prep.source_ids, prep.n_source),
                                    ("target_to_source", prep.target_ids, prep.n_target)):
        node_to_ranges, range_to_edges = build_index(ids, n_nodes)
        index = indices.create_group(direction)
        dset = create_dataset(index, "node_id_to_ranges", node_to_ranges, compression=compression)
        create_dataset(index, "range_to_edge_id", range_to_edges, compression=compression)
        index["node_id_to_range"] = dset  # hard link: BMTK's (singular) name for the same data


# ---------------------------------------------------------------------------------- shared


def _populations(populations: Any, file: FilePath) -> Mapping[str, Any]:
    if not isinstance(populations, Mapping) or not populations:
        raise BuildError("nothing to write", file=file, key="populations",
                         expected="a non-empty dict name -> table",
                         found=repr(populations) if not isinstance(populations, Mapping) else "{}")
    return populations


def write_root_attrs(h5: h5py.File) -> None:
    """The root ``version`` and ``magic`` attributes every SONATA HDF5 file carries."""
    h5.attrs["version"] = np.asarray(SONATA_VERSION, dtype=np.uint32)
    h5.attrs["magic"] = np.uint32(SONATA_MAGIC)
