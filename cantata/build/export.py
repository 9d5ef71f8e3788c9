"""Turn a builder's columns into SONATA tables and write them, all files or none.

Node attributes go into one h5 group whenever every node can get every column exactly
(a missing per-node value is filled from the node's type value, NaN for float columns,
0 for rotation angles); otherwise nodes are split into groups by their column set, as BMTK
does. Edges always go into one group (libsonata reads single-group populations only):
``nsyns`` is 1 on per-synapse rows, and a per-edge column missing from one ``add_edges``
call is filled from that call's edge-type value (or NaN for float columns).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np
import pandas as pd

from cantata.build.nodes import NodeStore
from cantata.errors import BuildError
from cantata.sonata.write import (
    EdgeTable,
    NodeTable,
    write_edges,
    write_nodes,
    write_root_attrs,
    write_types_csv,
)

if TYPE_CHECKING:
    from cantata.build.connection_map import BuiltEdges, ConnectionMap
    from cantata.build.network import NetworkBuilder

#: Per-node columns whose missing value means 0 (SONATA: a missing rotation axis is 0).
ZERO_DEFAULT = frozenset({"rotation_angle_xaxis", "rotation_angle_yaxis", "rotation_angle_zaxis"})


@dataclass
class FileJob:
    """One file to write: its final path and a writer called with a staging path."""

    path: Path
    write: Callable[[Path, Any], None]


def _target(name: Any, output_dir: Path, default: str) -> Path:
    path = Path(name) if name is not None else Path(default)
    return path if path.is_absolute() else output_dir / path


# ---------------------------------------------------------------------- nodes
def node_job(net: NetworkBuilder, output_dir: Path, h5_name: Any, csv_name: Any) -> list[FileJob]:
    """Jobs writing ``<net>_nodes.h5`` and ``<net>_node_types.csv`` (or the given names)."""
    if net.nnodes == 0:
        raise BuildError("network has no nodes", key=f"{net.name}.save_nodes",
                         expected="add_nodes() before saving", found="0 nodes")
    h5 = _target(h5_name, output_dir, f"{net.name}_nodes.h5")
    csv = _target(csv_name, output_dir, f"{net.name}_node_types.csv")

    def write_h5(path: Path, compression: Any) -> None:
        write_nodes(path, {net.name: node_table(net._store)}, overwrite=True, compression=compression)

    def write_csv(path: Path, compression: Any) -> None:
        write_types_csv(path, node_types_frame(net._store), overwrite=True)

    return [FileJob(h5, write_h5), FileJob(csv, write_csv)]


def node_types_frame(store: NodeStore) -> pd.DataFrame:
    """The node types table: ``node_type_id`` then every shared property."""
    rows = [{"node_type_id": tid, **{k: csv_value(v) for k, v in props.items()}}
            for tid, props in store.types.items()]
    return _frame(rows, "node_type_id")


def node_table(store: NodeStore) -> NodeTable:
    """The writer's table: one group when every column can be filled exactly, else BMTK groups."""
    type_ids = store.type_id_array()
    names = _ordered_union(_h5_names(b.columns) for b in store.blocks)
    dyn_names = _ordered_union(list(b.dynamics) for b in store.blocks)
    columns = _exact_columns(store, names, _h5_column)
    dynamics = _exact_columns(store, dyn_names, _dynamics_column) if columns is not None else None
    if columns is not None and dynamics is not None:
        return NodeTable(type_ids, [columns], None, [dynamics] if dynamics else None)
    return _grouped_table(store, type_ids)


def _exact_columns(store: NodeStore, names: list[str], column_of: Any) -> dict[str, np.ndarray] | None:
    """Every named column filled for all nodes, or None when one cannot be filled exactly."""
    columns = {}
    for name in names:
        values, present = column_of(store, name)
        if present is not None:
            values = _filled(values, present, name)
            if values is None:
                return None
        columns[name] = values
    return columns


def _grouped_table(store: NodeStore, type_ids: np.ndarray) -> NodeTable:
    keys: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    group_id = np.zeros(store.size, dtype=np.int64)
    for block in store.blocks:
        key = (tuple(sorted(_h5_names(block.columns))), tuple(sorted(block.dynamics)))
        if key not in keys:
            keys.append(key)
        group_id[block.ids] = keys.index(key)
    groups, dynamics = [], []
    for g, (names, dyn_names) in enumerate(keys):
        rows = np.flatnonzero(group_id == g)
        groups.append({name: _h5_column(store, name)[0][rows] for name in names})
        dynamics.append({name: _dynamics_column(store, name)[0][rows] for name in dyn_names})
    return NodeTable(type_ids, groups, group_id, dynamics if any(dynamics) else None)


def _h5_names(columns: dict[str, np.ndarray]) -> list[str]:
    """Per-node column names as written: ``positions`` becomes ``x``, ``y``, ``z``."""
    out: list[str] = []
    for name in columns:
        out.extend(("x", "y", "z") if name == "positions" else (name,))
    return out


def _h5_column(store: NodeStore, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    if name not in "xyz" or not store.has_attribute("positions"):
        return store.column(name)
    axis = "xyz".index(name)
    pos, pos_present = store.column("positions")
    out = np.zeros(store.size, dtype=np.float64)
    present = np.zeros(store.size, dtype=bool)
    if store.has_attribute(name):
        values, has = store.column(name)
        mask = np.ones(store.size, dtype=bool) if has is None else has
        out[mask] = values[mask]
        present |= mask
    mask = np.ones(store.size, dtype=bool) if pos_present is None else pos_present
    out[mask] = pos[mask, axis]
    present |= mask
    return out, (None if present.all() else present)


def _dynamics_column(store: NodeStore, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    pieces = [(b.ids, b.dynamics[name]) for b in store.blocks if name in b.dynamics]
    arrays = [p[1] for p in pieces]
    numeric = all(a.dtype.kind in "biuf" for a in arrays)
    out = np.zeros(store.size, dtype=np.result_type(*arrays)) if numeric else np.empty(store.size, dtype=object)
    present = np.zeros(store.size, dtype=bool)
    for ids, values in pieces:
        out[ids] = values
        present[ids] = True
    return out, (None if present.all() else present)


def _filled(values: np.ndarray, present: np.ndarray, name: str) -> np.ndarray | None:
    """``values`` with the missing rows filled, or None when no exact fill exists."""
    if name in ZERO_DEFAULT and values.dtype.kind in "iuf":
        out = values.astype(np.float64)
        out[~present] = 0.0
        return out
    if values.dtype.kind == "f" and values.ndim == 1:
        out = values.copy()
        out[~present] = np.nan
        return out
    return None


# ---------------------------------------------------------------------- edges
def edge_job(net: NetworkBuilder, src: NetworkBuilder, trg: NetworkBuilder, output_dir: Path,
             h5_name: Any, csv_name: Any, population: str | None, sort: str | None) -> list[FileJob]:
    """Jobs writing ``<src>_<trg>_edges.h5`` and ``<src>_<trg>_edge_types.csv``."""
    h5 = _target(h5_name, output_dir, f"{src.name}_{trg.name}_edges.h5")
    csv = _target(csv_name, output_dir, f"{src.name}_{trg.name}_edge_types.csv")
    pop = population or f"{src.name}_to_{trg.name}"

    def maps() -> list[tuple[ConnectionMap, BuiltEdges]]:
        net.build()
        return [(m, b) for m, b in zip(net._maps, net._built or [])
                if m.source_nodes.network is src and m.target_nodes.network is trg]

    def write_h5(path: Path, compression: Any) -> None:
        table = edge_table(maps(), src, trg, f"{net.name}.save_edges")
        write_edges(path, {pop: table}, overwrite=True, compression=compression, sort_by=sort)

    def write_csv(path: Path, compression: Any) -> None:
        write_types_csv(path, edge_types_frame([m for m, _ in maps()]), overwrite=True)

    return [FileJob(h5, write_h5), FileJob(csv, write_csv)]


def is_gap_junction_map(cmap: ConnectionMap) -> bool:
    """True for connection maps made with ``is_gap_junction=True`` (``add_gap_junctions``)."""
    flag = cmap.edge_type_properties.get("is_gap_junction", False)
    return str(flag).strip().lower() in ("true", "1") if isinstance(flag, str) else bool(flag)


def gap_junction_job(net: NetworkBuilder, output_dir: Path) -> list[FileJob]:
    """BMTK BioNet's gap-junction id file ``<net>_gap_juncs.h5`` (datasets ``source_ids``,
    ``target_ids``, ``src_gap_ids``, ``trg_gap_ids``; one row per edge, as a junction is one per
    edge whatever its ``nsyns``; ids 0, 1, 2, ... in pairs), written when the builder has
    gap-junction edges among its own nodes; else no job. BioNet needs it (listed under
    ``networks.gap_juncs``); Cantata's engine does not."""
    gap_maps = [m for m in net._maps if is_gap_junction_map(m)]
    if not gap_maps:
        return []
    for cmap in gap_maps:
        if cmap.source_nodes.network is not net or cmap.target_nodes.network is not net:
            raise BuildError("gap junctions must join two nodes of the same network", key=f"{net.name}.save",
                             expected=f"source and target in {net.name!r}",
                             found=f"{cmap.source_nodes.network.name} -> {cmap.target_nodes.network.name}")

    def write(path: Path, compression: Any) -> None:
        net.build()
        built = [b for m, b in zip(net._maps, net._built or []) if is_gap_junction_map(m)]
        source = _concat([b.source_ids for b in built], np.int64)
        target = _concat([b.target_ids for b in built], np.int64)
        ids = np.arange(2 * source.size, dtype=np.int64)
        with h5py.File(path, "w") as h5:
            write_root_attrs(h5)
            for name, values in (("source_ids", source), ("target_ids", target), ("src_gap_ids", ids[0::2]),
                                 ("trg_gap_ids", ids[1::2])):
                h5.create_dataset(name, data=values, compression=compression)

    return [FileJob(output_dir / f"{net.name}_gap_juncs.h5", write)]


def edge_types_frame(cmaps: list[ConnectionMap]) -> pd.DataFrame:
    """Edge types table: ``edge_type_id target_query source_query`` then the properties."""
    rows = []
    for cmap in cmaps:
        props = cmap.edge_type_properties
        rows.append({k: csv_value(v) for k, v in props.items()
                     if not (k == "dynamics_params" and isinstance(v, dict))})
    return _frame(rows, "edge_type_id")


def edge_table(maps: list[tuple[ConnectionMap, BuiltEdges]], src: NetworkBuilder, trg: NetworkBuilder,
               where: str) -> EdgeTable:
    """One-group edge table of the given connection maps (in call order)."""
    names = _ordered_union(["nsyns"] if b.nsyns is not None else list(b.columns) for _, b in maps)
    dyn_names = _ordered_union(list(b.dynamics) for _, b in maps)
    attributes = {name: _edge_column(maps, name, where, dynamics=False) for name in names}
    dynamics = {name: _edge_column(maps, name, where, dynamics=True) for name in dyn_names}
    return EdgeTable(
        source=src.name, target=trg.name,
        source_node_id=_concat([b.source_ids for _, b in maps], np.int64),
        target_node_id=_concat([b.target_ids for _, b in maps], np.int64),
        edge_type_id=_concat([np.full(b.n_rows, m.edge_type_id, dtype=np.int64) for m, b in maps], np.int64),
        attributes=attributes, n_source_nodes=src.nnodes, n_target_nodes=trg.nnodes,
        dynamics_params=dynamics or None)


def _edge_column(maps: list[tuple[ConnectionMap, BuiltEdges]], name: str, where: str, dynamics: bool) -> np.ndarray:
    def own(built: BuiltEdges) -> np.ndarray | None:
        if dynamics:
            return built.dynamics.get(name)
        if name == "nsyns":
            return built.nsyns if built.nsyns is not None else np.ones(built.n_rows, dtype=np.uint16)
        return built.columns.get(name)

    given = [own(b) for _, b in maps]
    kinds = {a.dtype.kind for a in given if a is not None}
    if "O" in kinds and kinds - {"O"}:
        raise BuildError(f"edge column '{name}' is text in one add_edges call and numeric in another",
                         key=where, expected="one type per column", found=", ".join(sorted(kinds)))
    pieces = []
    for (cmap, built), values in zip(maps, given):
        if values is None:
            values = _edge_fill(cmap, built.n_rows, name, kinds, where, dynamics)
        pieces.append(values)
    return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)


def _edge_fill(cmap: ConnectionMap, n: int, name: str, kinds: set[str], where: str, dynamics: bool) -> np.ndarray:
    props = cmap.edge_type_properties
    value = props.get("dynamics_params", {}).get(name) if dynamics and isinstance(
        props.get("dynamics_params"), dict) else (None if dynamics else props.get(name))
    if isinstance(value, (bool, int, float, str, np.number)):
        return np.full(n, value, dtype=object if isinstance(value, str) else None)
    if kinds <= {"f"}:
        return np.full(n, np.nan)
    raise BuildError(
        f"edge column '{name}' is set per edge by some add_edges calls between "
        f"'{cmap.source_network_name}' and '{cmap.target_network_name}' but not by edge type "
        f"{cmap.edge_type_id}", key=where,
        expected=f"'{name}' in add_properties or as an edge-type value of every call (one h5 group)",
        found=f"no value for edge type {cmap.edge_type_id}")


# ---------------------------------------------------------------------- shared
def csv_value(value: Any) -> Any:
    """A types-table cell: scalars as they are, containers as BMTK writes them (their repr)."""
    if isinstance(value, np.ndarray):
        return str(value.tolist())
    if isinstance(value, (list, tuple, dict, set)):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _frame(rows: list[dict[str, Any]], id_column: str) -> pd.DataFrame:
    columns = _ordered_union(list(r) for r in rows)
    data = {c: [r.get(c) for r in rows] for c in columns}
    frame = pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in data.items()}, columns=columns)
    frame[id_column] = frame[id_column].astype(np.int64)
    return frame


def _ordered_union(lists) -> list[str]:
    out: dict[str, None] = {}
    for names in lists:
        for name in names:
            out.setdefault(name, None)
    return list(out)


def _concat(arrays: list[np.ndarray], dtype: Any) -> np.ndarray:
    if len(arrays) == 1:
        return arrays[0].astype(dtype, copy=False)
    if not arrays:
        return np.zeros(0, dtype=dtype)
    return np.concatenate(arrays).astype(dtype, copy=False)


def run_jobs(jobs: list[list[FileJob]], *, overwrite: bool, compression: Any, where: str,
             prepare: Callable[[], None] | None = None) -> list[Path]:
    """Write every file to a staging name next to its target, then move all into place.

    Existing targets are an error (before anything is built or written) unless
    ``overwrite``; if any file fails, every staged file is removed and no target changes.
    """
    files = [f for job in jobs for f in job]
    seen: set[Path] = set()
    for f in files:
        resolved = f.path.resolve()
        if resolved in seen:
            raise BuildError("two outputs would be written to the same file", file=f.path, key=where,
                             expected="distinct file names", found=str(f.path))
        seen.add(resolved)
        if f.path.is_dir():
            raise BuildError("output path is a directory", file=f.path, key=where,
                             expected="a file path", found="directory")
        if f.path.exists() and not overwrite:
            raise BuildError("file exists", file=f.path, key=f"{where}(overwrite)",
                             expected="overwrite=True to replace it", found="an existing file")
    if prepare is not None:
        prepare()
    staged: list[tuple[Path, Path]] = []
    try:
        for f in files:
            f.path.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{f.path.name}.", suffix=".staged", dir=f.path.parent)
            os.close(fd)
            staged.append((Path(name), f.path))
            f.write(Path(name), compression)
        for tmp, final in staged:
            os.replace(tmp, final)
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    return [f.path for f in files]
