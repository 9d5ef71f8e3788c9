"""Validation stage 3a: the HDF5 layout of node and edge files, read directly with h5py.

The circuit reader opens lazily and stops at the first bad dataset; these checks look at
every population's datasets (presence, dtype, shape, length) up front so that every layout
problem of a file is listed, and only populations that pass are opened with the reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from cantata.sonata.h5columns import _is_identity
from cantata.sonata.validate_problems import ProblemList

LIBRARY = "@library"
DYNAMICS = "dynamics_params"
INDEX_RANGES = ("node_id_to_ranges", "node_id_to_range")
INDEX_EDGES = "range_to_edge_id"
INTEGER = "an integer dtype (uint64 or int64)"


@dataclass
class H5Population:
    """What the layout check learnt about one population."""

    name: str
    size: int | None = None
    ok: bool = True  # the reader can open it
    group_columns: set[str] = field(default_factory=set)  # attribute datasets in the h5 groups
    node_populations: dict[str, str] = field(default_factory=dict)  # edges: dataset -> node_population


def scan_h5(path: Path, kind: str, problems: ProblemList) -> dict[str, H5Population] | None:
    """Check every population under ``/<kind>`` (``"nodes"`` or ``"edges"``) of an existing file.

    Returns the populations by name, or None when the file cannot be used at all.
    """
    try:
        h5 = h5py.File(path, "r")
    except OSError as exc:
        problems.error("cannot open as HDF5", file=path, expected=f"a SONATA {kind} file (HDF5)",
                       found=str(exc))
        return None
    with h5:
        root = h5.get(kind)
        if not isinstance(root, h5py.Group):
            problems.error(f"no /{kind} group", file=path, key=f"/{kind}", expected=f"a /{kind} group",
                           found=", ".join(f"/{k}" for k in h5) or "an empty file")
            return None
        check = _check_nodes if kind == "nodes" else _check_edges
        found = {}
        for name, obj in root.items():
            if isinstance(obj, h5py.Group):
                try:
                    found[name] = check(path, obj, problems)
                except (OSError, KeyError) as exc:  # damaged file
                    problems.error(f"cannot read ({exc})", file=path, key=obj.name)
                    found[name] = H5Population(name, ok=False)
        if not found:
            problems.warning(f"no {kind[:-1]} population", file=path, key=f"/{kind}",
                             expected=f"/{kind}/<population> groups", found="an empty group")
        return found


def _check_nodes(path: Path, group: h5py.Group, problems: ProblemList) -> H5Population:
    pop = H5Population(group.name.rsplit("/", 1)[-1])
    n = _id_dataset(path, group, "node_type_id", problems, required=True)
    if n is None or n is False:
        pop.ok = False
        return pop
    pop.size = n
    for name in ("node_id", "node_group_id", "node_group_index"):
        if _id_dataset(path, group, name, problems, length=n, reference="node_type_id") is False:
            pop.ok = False
    if pop.ok and isinstance(group.get("node_id"), h5py.Dataset):
        ids = group["node_id"][()]
        unique = np.unique(ids)
        if unique.size != ids.size:
            dup = unique[np.bincount(np.searchsorted(unique, ids), minlength=unique.size) > 1]
            problems.error("duplicate node ids", file=path, key=f"{group.name}/node_id",
                           expected="unique ids", found=dup[:10].tolist())
            pop.ok = False
    _check_groups(path, group, "node", n, pop, problems)
    return pop


def _check_edges(path: Path, group: h5py.Group, problems: ProblemList) -> H5Population:
    pop = H5Population(group.name.rsplit("/", 1)[-1])
    n = _id_dataset(path, group, "source_node_id", problems, required=True)
    if n is None or n is False:
        pop.ok = False
        n = None
    for name in ("target_node_id", "edge_type_id"):
        length = _id_dataset(path, group, name, problems, required=True, length=n, reference="source_node_id")
        if length is None or length is False:
            pop.ok = False
    for name in ("edge_group_id", "edge_group_index"):
        if _id_dataset(path, group, name, problems, length=n, reference="source_node_id") is False:
            pop.ok = False
    for name in ("source_node_id", "target_node_id"):
        ds = group.get(name)
        if not isinstance(ds, h5py.Dataset):
            continue
        value = ds.attrs.get("node_population")
        if isinstance(value, np.ndarray) and value.size == 1:
            value = value.reshape(-1)[0]
        if isinstance(value, (bytes, np.bytes_)):
            value = value.decode("utf-8", "replace")
        elif isinstance(value, np.generic):
            value = value.item()
        if not isinstance(value, str) or not value:
            problems.error("missing node_population attribute", file=path, key=f"{group.name}/{name}",
                           expected="an attribute node_population naming a node population",
                           found="no attribute" if value is None else repr(value))
            pop.ok = False
        else:
            pop.node_populations[name] = value
    if n is None:
        return pop
    pop.size = n
    _check_groups(path, group, "edge", n, pop, problems)
    _check_indices(path, group, n, pop, problems)
    return pop


def _id_dataset(path: Path, group: h5py.Group, name: str, problems: ProblemList, *, required: bool = False,
                length: int | None = None, reference: str = "") -> int | None | bool:
    """Length of a 1-D integer dataset; None if absent, False if present but wrong."""
    key = f"{group.name}/{name}"
    obj = group.get(name)
    if obj is None:
        if required:
            problems.error("missing required dataset", file=path, key=key,
                           expected=f"a 1-D dataset of {INTEGER}", found="no such dataset")
        return None
    if not isinstance(obj, h5py.Dataset):
        problems.error("must be a dataset", file=path, key=key, expected=f"a 1-D dataset of {INTEGER}",
                       found="a group")
        return False
    ok = True
    if obj.shape is None or len(obj.shape) != 1:
        problems.error("must be one-dimensional", file=path, key=key, expected="shape (N,)",
                       found=f"shape {obj.shape}")
        ok = False
    if obj.dtype.kind not in "iu":
        problems.error("wrong dtype", file=path, key=key, expected=INTEGER, found=str(obj.dtype))
        ok = False
    if ok and length is not None and obj.shape[0] != length:
        problems.error(f"length differs from {reference}", file=path, key=key,
                       expected=f"{length} rows", found=f"{obj.shape[0]} rows")
        ok = False
    return obj.shape[0] if ok else False


def _check_groups(path: Path, group: h5py.Group, prefix: str, n: int, pop: H5Population,
                  problems: ProblemList) -> None:
    """Each attribute dataset of group ``k`` has one row per member of group ``k``."""
    groups = {int(k): obj for k, obj in group.items() if k.isdigit() and isinstance(obj, h5py.Group)}
    gid_name = f"{prefix}_group_id"
    gid_ds = group.get(gid_name)
    gids = None
    if not pop.ok:
        sizes = None
    elif isinstance(gid_ds, h5py.Dataset):
        gids = gid_ds[()].astype(np.int64)
        unknown = np.setdiff1d(np.unique(gids), np.fromiter(groups, dtype=np.int64, count=len(groups)))
        if unknown.size:
            problems.error("group id refers to no group", file=path, key=f"{group.name}/{gid_name}",
                           expected=f"one of the groups {sorted(groups)}", found=unknown[:10].tolist())
            pop.ok = False
            sizes = None
        else:
            sizes = {g: int(np.count_nonzero(gids == g)) for g in groups}
    elif len(groups) > 1:
        problems.error(f"several groups but no {gid_name}", file=path, key=f"{group.name}/{gid_name}",
                       expected=f"a {gid_name} dataset", found=f"groups {sorted(groups)}")
        pop.ok = False
        sizes = None
    else:
        sizes = dict.fromkeys(groups, n)
    for gid, sub in groups.items():
        pop.group_columns.update(_group_datasets(sub))
        if sizes is None:
            continue
        for where, datasets in (("", _group_datasets(sub)), (f"{DYNAMICS}/", _dynamics_datasets(sub))):
            for name, ds in datasets.items():
                if ds.shape and ds.shape[0] != sizes[gid]:
                    problems.error(f"length differs from the number of {prefix}s in group {gid}",
                                   file=path, key=f"{sub.name}/{where}{name}",
                                   expected=f"{sizes[gid]} rows", found=f"{ds.shape[0]} rows")
                    pop.ok = False
    if sizes is not None:
        _check_group_index(path, group, prefix, n, groups, gids, pop, problems)


def _group_rows(group: h5py.Group) -> int | None:
    """Rows every dataset of a group (and of its ``dynamics_params``) has; None if it has none."""
    lengths = [ds.shape[0] for ds in (*_group_datasets(group).values(), *_dynamics_datasets(group).values())]
    return min(lengths) if lengths else None


def _check_group_index(path: Path, group: h5py.Group, prefix: str, n: int, groups: dict[int, h5py.Group],
                       gids: np.ndarray | None, pop: H5Population, problems: ProblemList) -> None:
    """Every ``*_group_index`` value is a row of the group it points into (rows of groups without
    datasets are not checked). A one-group population whose index is not 0..N-1 gets a warning:
    readers differ on such files."""
    name = f"{prefix}_group_index"
    ds = group.get(name)
    if not isinstance(ds, h5py.Dataset) or ds.dtype.kind not in "iu" or ds.shape != (n,):
        return  # absent, or its dtype or shape is already reported
    key = f"{group.name}/{name}"
    raw = ds[()]
    index = raw.astype(np.int64)  # uint64 values of 2**63 and above turn negative: still out of range
    rows_of = {gid: _group_rows(sub) for gid, sub in groups.items()}
    in_range = True
    for gid, rows in rows_of.items():
        if rows is None:
            continue
        bad = (index < 0) | (index >= rows)
        if gids is not None:
            bad &= gids == gid
        where = np.flatnonzero(bad)
        if where.size:
            more = f" ({where.size} rows in all)" if where.size > 5 else ""
            problems.error(f"group index out of range for group {gid}", file=path, key=key,
                           expected=f"values in 0..{rows - 1} (group {gid} has {rows} rows)",
                           found=f"{raw[where[:5]].tolist()} at rows {where[:5].tolist()}{more}")
            pop.ok = in_range = False
    if not in_range or len(groups) != 1 or n == 0:
        return
    (gid, rows), = rows_of.items()
    if rows == n and not _is_identity(index):
        first = int(np.flatnonzero(index != np.arange(n))[0])
        problems.warning(
            "group index of a one-group population is not 0..N-1: libsonata and bluepysnap ignore the index "
            "and read row i of the group for element i, and Cantata follows the index only when its sampled "
            "check catches the difference; rewrite the file with 0..N-1 (or drop the index)",
            file=path, key=key, expected=f"0..{n - 1} (row i of group {gid} for element i)",
            found=f"row {first} holds {raw[first]}")


def _group_datasets(group: h5py.Group) -> dict[str, h5py.Dataset]:
    return {k: v for k, v in group.items() if isinstance(v, h5py.Dataset) and v.shape}


def _dynamics_datasets(group: h5py.Group) -> dict[str, h5py.Dataset]:
    sub = group.get(DYNAMICS)
    return _group_datasets(sub) if isinstance(sub, h5py.Group) else {}


def _check_indices(path: Path, group: h5py.Group, n: int, pop: H5Population, problems: ProblemList) -> None:
    """Index tables, when present: integer ``(m, 2)`` arrays whose edge ranges stay below ``n``."""
    indices = group.get("indices")
    if not isinstance(indices, h5py.Group):
        return
    for sub in indices.values():
        if not isinstance(sub, h5py.Group):
            continue
        for name in (*INDEX_RANGES, INDEX_EDGES):
            ds = sub.get(name)
            if not isinstance(ds, h5py.Dataset):
                continue
            key = f"{sub.name}/{name}"
            if ds.dtype.kind not in "iu" or ds.ndim != 2 or ds.shape[1] != 2:
                problems.error("index table has the wrong shape or dtype", file=path, key=key,
                               expected=f"shape (m, 2) of {INTEGER}", found=f"shape {ds.shape}, {ds.dtype}")
                pop.ok = False
            elif name == INDEX_EDGES and ds.shape[0] and int(ds[()].max()) > n:
                problems.error("index points past the last edge", file=path, key=key,
                               expected=f"edge ranges within 0..{n}", found=int(ds[()].max()))
                pop.ok = False
