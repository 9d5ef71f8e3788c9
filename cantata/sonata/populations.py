"""Lazy, columnar node and edge populations (see docs/circuits.md for the rules)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from os import PathLike
from pathlib import Path
from typing import Any, Self

import h5py
import numpy as np
import pandas as pd

from cantata.errors import FormatError
from cantata.sonata.h5columns import (
    DYNAMICS,
    INDEX_EDGES,
    INDEX_GROUP,
    INDEX_RANGES,
    LIBRARY,
    H5Handle,
    IdsArg,
    PathArg,
    _assemble,
    _Column,
    _constant_dataset,
    _distinct,
    _expand_ranges,
    _identity_dataset,
    _is_identity,
    _Layout,
    _rank_within,
    _read_rows,
    _resolve_codes,
    _resolve_enum,
    _sample_agrees,
    _scan_columns,
    _series,
    _signed,
)
from cantata.sonata.types_table import (
    empty_types_table,
    lookup_column,
    normalize_types_table,
    read_types_csv,
)


class _Population:
    """Behaviour shared by node and edge populations."""

    _root = ""
    _prefix = ""
    _size_dataset = ""
    _required: tuple[str, ...] = ()

    def __init__(
        self,
        h5: PathArg | H5Handle,
        name: str,
        types: PathArg | pd.DataFrame | None = None,
        *,
        config: Mapping[str, Any] | None = None,
        types_file: PathArg | None = None,
    ) -> None:
        self._handle = h5 if isinstance(h5, H5Handle) else H5Handle(h5)
        self.name = str(name)
        self.types_file: Path | None = None if types_file is None else Path(types_file)
        if isinstance(types, (str, PathLike)):
            self.types_file = Path(types)
            types = read_types_csv(self.types_file, id_column=self.type_id_column, population=self.name)
        self.types = self._checked_types(types)
        self.config: dict[str, Any] = dict(config or {})
        self._reset_caches()
        self._check_structure()

    # ----------------------------------------------------------------- basics
    @property
    def type_id_column(self) -> str:
        return f"{self._prefix}_type_id"

    @property
    def path(self) -> Path:
        """The HDF5 file holding this population."""
        return self._handle.path

    @property
    def h5_path(self) -> str:
        """The population's group inside the HDF5 file."""
        return f"/{self._root}/{self.name}"

    @property
    def size(self) -> int:
        """Number of rows (nodes or edges)."""
        if self._size is None:
            self._size = int(self._group[self._size_dataset].shape[0])
        return self._size

    def __len__(self) -> int:
        return self.size

    def close(self) -> None:
        """Close the HDF5 file (shared with the other populations of that file)."""
        self._handle.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        return {
            "handle": self._handle, "name": self.name, "types": self.types,
            "types_file": self.types_file, "config": self.config,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._handle = state["handle"]
        self.name = state["name"]
        self.types = state["types"]
        self.types_file = state["types_file"]
        self.config = state["config"]
        self._reset_caches()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, size={self.size}, file={str(self.path)!r})"

    # ------------------------------------------------------------ attributes
    @property
    def attribute_names(self) -> set[str]:
        """Group datasets of every group, types-CSV columns and the type-id column."""
        names = {name for columns in self._columns.values() for name in columns}
        names.update(self.types.columns)
        names.add(self.type_id_column)
        return names

    @property
    def group_attribute_names(self) -> set[str]:
        """Attributes stored per row in the HDF5 groups (the others come from the types table only)."""
        return {name for columns in self._columns.values() for name in columns}

    @property
    def enumeration_names(self) -> set[str]:
        """Attributes stored as indices into an ``@library`` table or as an HDF5 enum."""
        return {
            name for columns in self._columns.values() for name, col in columns.items()
            if col.library is not None or col.enum is not None
        }

    @property
    def dynamics_param_names(self) -> set[str]:
        """Names of the datasets in the groups' ``dynamics_params`` subgroups."""
        return {name for columns in self._dynamics.values() for name in columns}

    def has_attribute(self, name: str) -> bool:
        return name in self.attribute_names

    def get_attribute(self, name: str, ids: IdsArg = None) -> np.ndarray:
        """Values of one attribute for ``ids`` (all rows if None), in the order of ``ids``.

        The HDF5 group value wins over the types-CSV value; rows with neither get NaN
        (numeric; integer columns are then promoted to float64) or None (object).
        ``@library`` and HDF5-enum columns come back resolved to ``str`` (object arrays).
        """
        if name == self.type_id_column:
            return self._type_ids(ids)
        in_csv = name in self.types.columns
        holders = {g: cols[name] for g, cols in self._columns.items() if name in cols}
        if not holders and not in_csv:
            raise self._unknown(name, self.attribute_names, "attribute")
        rows = self._rows(ids)
        n = self.size if rows is None else len(rows)
        parts, missing = self._gather(lambda g: holders.get(g), rows, resolve=True)
        if len(missing) and in_csv:
            missing_types = self._type_ids_rows(rows)[missing]
            values, found = lookup_column(self.types, self.type_id_column, name, missing_types)
            parts.append((missing[found], values[found]))
        dtypes = [col.out_dtype for col in holders.values()]
        if in_csv:
            dtypes.append(self.types[name].to_numpy().dtype)
        return _assemble(n, parts, dtypes, self._trailing_shape(holders.values()), self, name)

    def get_enumeration(self, name: str, ids: IdsArg = None) -> np.ndarray:
        """Raw integer codes of an ``@library``/enum attribute (no resolution)."""
        holders = {
            g: cols[name] for g, cols in self._columns.items()
            if name in cols and (cols[name].library is not None or cols[name].enum is not None)
        }
        if not holders:
            raise self._unknown(name, self.enumeration_names, "enumeration")
        rows = self._rows(ids)
        n = self.size if rows is None else len(rows)
        parts, _ = self._gather(lambda g: holders.get(g), rows, resolve=False)
        return _assemble(n, parts, [np.dtype(np.int64)], (), self, name)

    def enumeration_values(self, name: str) -> np.ndarray:
        """The ``@library`` strings (or enum names, ordered by code) of an enumeration."""
        tables = []
        for columns in self._columns.values():
            col = columns.get(name)
            if col is None:
                continue
            if col.library is not None:
                tables.append(self._library(col))
            elif col.enum is not None:
                tables.append(np.array(sorted(col.enum, key=col.enum.__getitem__), dtype=object))
        if not tables:
            raise self._unknown(name, self.enumeration_names, "enumeration")
        if any(len(t) != len(tables[0]) or (t != tables[0]).any() for t in tables[1:]):
            raise FormatError(
                "groups hold different enumeration tables; use get_attribute for resolved values",
                file=self.path, key=f"{self.h5_path}/*/{LIBRARY}/{name}",
            )
        return tables[0]

    def dynamics_params(self, ids: IdsArg = None) -> dict[str, np.ndarray]:
        """The HDF5 ``dynamics_params`` subgroup values, one array per parameter.

        Rows whose group lacks a parameter get NaN / None. Parameters named by a types-CSV
        ``dynamics_params`` JSON file are not merged here.
        """
        rows = self._rows(ids)
        n = self.size if rows is None else len(rows)
        out: dict[str, np.ndarray] = {}
        for name in sorted(self.dynamics_param_names):
            holders = {g: cols[name] for g, cols in self._dynamics.items() if name in cols}
            parts, _ = self._gather(holders.get, rows, resolve=True)
            dtypes = [col.out_dtype for col in holders.values()]
            out[name] = _assemble(n, parts, dtypes, self._trailing_shape(holders.values()), self, name)
        return out

    def missing_type_ids(self) -> np.ndarray:
        """Type ids used in the HDF5 file but absent from the types table (-1 is ignored)."""
        used = np.unique(self._type_ids(None))
        used = used[used != -1]
        known = self.types[self.type_id_column].to_numpy(dtype=np.int64)
        return used[~np.isin(used, known)]

    def to_dataframe(self, ids: IdsArg = None, attributes: Iterable[str] | None = None) -> pd.DataFrame:
        """A DataFrame indexed by id with one column per attribute (all by default).

        Columns keep the dtypes ``get_attribute`` returns (object for strings, never the pandas
        string dtype); multi-column datasets become object cells holding one row each.
        """
        names = sorted(self.attribute_names) if attributes is None else list(attributes)
        index = pd.Index(self._ids_for_frame(ids), name=self._id_label)
        columns: dict[str, pd.Series] = dict(self._frame_extra(ids, index))
        for name in names:
            columns[name] = _series(self.get_attribute(name, ids), index)
        return pd.DataFrame(columns, index=index)

    # -------------------------------------------------------------- internals
    _id_label = "id"

    def _frame_extra(self, ids: IdsArg, index: pd.Index) -> dict[str, pd.Series]:
        return {}

    def _ids_for_frame(self, ids: IdsArg) -> np.ndarray:
        if ids is None:
            return np.arange(self.size, dtype=np.int64)
        return np.atleast_1d(np.asarray(ids)).astype(np.int64)

    def _reset_caches(self) -> None:
        self._size: int | None = None
        self._layout_cache: _Layout | None = None
        self._scan: tuple[dict[int, dict[str, _Column]], dict[int, dict[str, _Column]]] | None = None
        self._libraries: dict[str, np.ndarray] = {}
        self._type_id_cache: np.ndarray | None = None
        self._extra_caches: dict[str, Any] = {}

    def _checked_types(self, types: pd.DataFrame | None) -> pd.DataFrame:
        if types is None:
            return empty_types_table(self.type_id_column)
        if not isinstance(types, pd.DataFrame):
            raise TypeError(f"types must be a path, a DataFrame or None, not {type(types).__name__}")
        return normalize_types_table(
            types, id_column=self.type_id_column, population=self.name, source=self.types_file
        )

    @property
    def _group(self) -> h5py.Group:
        return self._handle.file[self.h5_path]

    def _check_structure(self) -> None:
        file = self._handle.file
        root = file.get(self._root)
        if not isinstance(root, h5py.Group):
            raise FormatError(
                f"no /{self._root} group", file=self.path, key=f"/{self._root}",
                expected=f"a /{self._root} group", found=", ".join(file.keys()) or "empty file",
            )
        group = root.get(self.name)
        if not isinstance(group, h5py.Group):
            raise FormatError(
                "no such population", file=self.path, key=self.h5_path,
                expected="one of " + ", ".join(k for k in root if isinstance(root[k], h5py.Group)),
                found=self.name,
            )
        for dataset in self._required:
            obj = group.get(dataset)
            if not isinstance(obj, h5py.Dataset):
                raise FormatError(
                    "missing required dataset", file=self.path, key=f"{self.h5_path}/{dataset}",
                )
            if obj.shape is None or len(obj.shape) != 1:
                raise FormatError(
                    "dataset must be one-dimensional", file=self.path,
                    key=f"{self.h5_path}/{dataset}", expected="shape (N,)", found=str(obj.shape),
                )
        self._check_extra(group)

    def _check_extra(self, group: h5py.Group) -> None:
        pass

    def _unknown(self, name: str, available: Iterable[str], what: str) -> FormatError:
        listed = ", ".join(sorted(available)) or "none"
        return FormatError(
            f"unknown {what} {name!r}", file=self.path, key=self.h5_path,
            expected=f"one of: {listed}", found=name,
        )

    # ..... groups and columns
    @property
    def _columns(self) -> dict[int, dict[str, _Column]]:
        return self._scan_groups()[0]

    @property
    def _dynamics(self) -> dict[int, dict[str, _Column]]:
        return self._scan_groups()[1]

    def _scan_groups(self) -> tuple[dict[int, dict[str, _Column]], dict[int, dict[str, _Column]]]:
        if self._scan is None:
            columns: dict[int, dict[str, _Column]] = {}
            dynamics: dict[int, dict[str, _Column]] = {}
            # Names first: opening every top-level dataset just to skip it reads its header.
            for key in [k for k in self._group.keys() if k.isdigit()]:
                obj = self._group.get(key)
                if isinstance(obj, h5py.Group):
                    columns[int(key)] = _scan_columns(obj, obj.get(LIBRARY))
                    sub = obj.get(DYNAMICS)
                    dynamics[int(key)] = _scan_columns(sub, None) if isinstance(sub, h5py.Group) else {}
            self._scan = (columns, dynamics)
        return self._scan

    def _layout(self) -> _Layout:
        if self._layout_cache is None:
            self._layout_cache = self._compute_layout()
        return self._layout_cache

    def _compute_layout(self) -> _Layout:
        """Where each row's group values are.

        One group with one row per element: row i for element i once a sample of the group id
        and index columns agrees (as libsonata, which never reads them). Otherwise, or when the
        sample disagrees, the exact layout from every row of both columns.
        """
        groups = sorted(self._columns)
        group = self._group
        gid_name, gidx_name = f"{self._prefix}_group_id", f"{self._prefix}_group_index"
        has_gid, has_gidx = gid_name in group, gidx_name in group
        if len(groups) == 1 and self._sampled_single(groups[0], gid_name if has_gid else None,
                                                     gidx_name if has_gidx else None):
            return _Layout(single=groups[0])
        if not has_gid:
            if not groups:
                return _Layout(single=None)
            if len(groups) > 1:
                raise FormatError(
                    f"population has several groups but no {gid_name}", file=self.path,
                    key=f"{self.h5_path}/{gid_name}", found=f"groups {groups}",
                )
            if not has_gidx or self._top_is_identity(gidx_name):
                return _Layout(single=groups[0])
            return _Layout(None, np.full(self.size, groups[0], dtype=np.int64), self._read_top(gidx_name, None))
        only = _constant_dataset(self._top_dataset(gid_name), self.size, self.path)
        if only is not None:
            self._check_group_ids(np.array([only]), groups, gid_name)
            if not has_gidx or self._top_is_identity(gidx_name):
                return _Layout(single=only)
        # Group ids keep their file dtype (often uint32): only compared and indexed, never summed.
        group_ids = self._read_top(gid_name, None, native=True)
        present = _distinct(group_ids)
        self._check_group_ids(present, groups, gid_name)
        index = self._read_top(gidx_name, None) if has_gidx else _rank_within(group_ids)
        if not len(group_ids):
            return _Layout(single=groups[0] if groups else None)
        if present.size == 1 and _is_identity(index):
            return _Layout(single=int(present[0]))
        return _Layout(None, group_ids, index)

    def _sampled_single(self, gid: int, gid_name: str | None, gidx_name: str | None) -> bool:
        """True when group ``gid`` has one row per element and the group id / index columns
        (those present) hold ``gid`` / the row number at every sampled row."""
        columns = [*self._columns[gid].values(), *self._dynamics.get(gid, {}).values()]
        if any(col.shape[0] != self.size for col in columns):
            return False
        checks = ((gid_name, gid), (gidx_name, None))
        return all(name is None or _sample_agrees(self._top_dataset(name), self.size, value)
                   for name, value in checks)

    def _check_group_ids(self, present: np.ndarray, groups: list[int], gid_name: str) -> None:
        unknown = np.setdiff1d(present.astype(np.int64), np.asarray(groups, dtype=np.int64))
        if unknown.size:
            raise FormatError(
                "group id refers to no group", file=self.path, key=f"{self.h5_path}/{gid_name}",
                expected=f"one of {groups}", found=unknown.tolist()[:10],
            )

    def _top_is_identity(self, dataset: str) -> bool:
        return _identity_dataset(self._top_dataset(dataset), self.size, self.path)

    def _gather(
        self, column_of: Callable[[int], _Column | None], rows: np.ndarray | None, *, resolve: bool
    ) -> tuple[list[tuple[np.ndarray | None, np.ndarray]], np.ndarray]:
        """Read a column from every group holding selected rows.

        Returns ``(parts, missing)``: parts are ``(positions, values)`` (positions None = all),
        ``missing`` the positions whose group lacks the column.
        """
        layout = self._layout()
        n = self.size if rows is None else len(rows)
        if layout.group_ids is None:
            col = column_of(layout.single) if layout.single is not None else None
            if col is None:
                return [], np.arange(n, dtype=np.int64)
            count = self.size if rows is None else None
            return [(None, self._read_column(col, rows, count, resolve))], np.zeros(0, dtype=np.int64)
        group_ids = layout.group_ids if rows is None else layout.group_ids[rows]
        group_index = layout.group_index if rows is None else layout.group_index[rows]
        parts: list[tuple[np.ndarray | None, np.ndarray]] = []
        missing: list[np.ndarray] = []
        for gid in _distinct(group_ids):
            positions = np.flatnonzero(group_ids == gid)
            col = column_of(int(gid))
            if col is None:
                missing.append(positions)
            else:
                parts.append((positions, self._read_column(col, group_index[positions], None, resolve)))
        gaps = np.concatenate(missing) if missing else np.zeros(0, dtype=np.int64)
        return parts, np.sort(gaps)

    def _read_column(self, col: _Column, index: np.ndarray | None, count: int | None, resolve: bool) -> np.ndarray:
        values = _read_rows(self._handle.file[col.path], index, count, self.path)
        if col.library is not None:
            if not resolve:
                return values.astype(np.int64)
            return _resolve_codes(values, self._library(col), self.path, col.path)
        if col.enum is not None:
            if not resolve:
                return values.astype(np.int64)
            return _resolve_enum(values, col.enum, self.path, col.path)
        return values

    def _library(self, col: _Column) -> np.ndarray:
        assert col.library is not None
        if col.library not in self._libraries:
            self._libraries[col.library] = _read_rows(self._handle.file[col.library], None, None, self.path)
        return self._libraries[col.library]

    @staticmethod
    def _trailing_shape(columns: Iterable[_Column]) -> tuple[int, ...]:
        shapes = {col.shape[1:] for col in columns}
        return shapes.pop() if len(shapes) == 1 else ()

    # ..... top-level datasets and ids
    def _top_dataset(self, dataset: str) -> h5py.Dataset:
        """A top-level per-row dataset, checked to have ``size`` rows."""
        ds = self._group[dataset]
        length = ds.shape[0] if ds.shape else None
        if length != self.size:
            raise FormatError(
                f"length differs from {self._size_dataset}", file=self.path,
                key=f"{self.h5_path}/{dataset}", expected=self.size, found=length,
            )
        return ds

    def _read_top(self, dataset: str, rows: np.ndarray | None, *, native: bool = False) -> np.ndarray:
        """Read a top-level per-row dataset as int64, checking its length equals ``size``.

        uint64 columns (ids as the spec stores them) are viewed as int64, not converted: same
        bits for every id below 2**63, as ``astype`` would give, without a second pass.
        ``native``: keep any integer file dtype (other dtypes still become int64).
        """
        ds = self._top_dataset(dataset)
        values = _read_rows(ds, rows, self.size if rows is None else None, self.path)
        if values.dtype.kind in "iu" and values.dtype.isnative and (native or values.dtype.itemsize == 8):
            return _signed(values)
        return values.astype(np.int64, copy=False)

    def _type_ids(self, ids: IdsArg) -> np.ndarray:
        return self._type_ids_rows(self._rows(ids))

    def _type_ids_rows(self, rows: np.ndarray | None) -> np.ndarray:
        """Type ids of ``rows`` (all if None); all rows come as a read-only view of the cache."""
        if self._type_id_cache is None:
            cache = self._read_top(self.type_id_column, None)
            for array in (cache, cache.base):  # the base too, or a view could be made writeable
                if isinstance(array, np.ndarray):
                    array.flags.writeable = False
            self._type_id_cache = cache
        return self._type_id_cache.view() if rows is None else self._type_id_cache[rows]

    def _rows(self, ids: IdsArg) -> np.ndarray | None:
        """Row positions for ``ids`` (None = all rows)."""
        if ids is None:
            return None
        array = np.atleast_1d(np.asarray(ids))
        if array.size == 0:
            return np.zeros(0, dtype=np.int64)
        if array.dtype.kind not in "iu":
            raise TypeError(f"ids must be integers, got dtype {array.dtype}")
        if array.ndim != 1:
            raise TypeError(f"ids must be one-dimensional, got shape {array.shape}")
        array = array.astype(np.int64, copy=False)
        return self._rows_for_ids(array)

    def _rows_for_ids(self, ids: np.ndarray) -> np.ndarray:
        bad = ids[(ids < 0) | (ids >= self.size)]
        if bad.size:
            raise FormatError(
                f"{self._prefix} ids out of range", file=self.path, key=self.h5_path,
                expected=f"ids in 0..{self.size - 1}", found=np.unique(bad).tolist()[:10],
            )
        return ids


class NodePopulation(_Population):
    """One node population: ``/nodes/<name>`` of a nodes file plus its node-types table."""

    _root = "nodes"
    _prefix = "node"
    _size_dataset = "node_type_id"
    _required = ("node_type_id",)
    _id_label = "node_id"

    def node_ids(self) -> np.ndarray:
        """All node ids (int64): the file's ``node_id`` dataset, or 0..N-1 if absent."""
        if "node_id" in self._group:
            return self._read_top("node_id", None)
        return np.arange(self.size, dtype=np.int64)

    def node_type_ids(self, ids: IdsArg = None) -> np.ndarray:
        """``node_type_id`` of each node (int64)."""
        return self._type_ids(ids)

    def _ids_for_frame(self, ids: IdsArg) -> np.ndarray:
        return self.node_ids() if ids is None else super()._ids_for_frame(ids)

    def _rows_for_ids(self, ids: np.ndarray) -> np.ndarray:
        mapping = self._node_id_map()
        if mapping is None:
            return super()._rows_for_ids(ids)
        order, sorted_ids = mapping
        pos = np.minimum(np.searchsorted(sorted_ids, ids), max(len(sorted_ids) - 1, 0))
        found = sorted_ids[pos] == ids if len(sorted_ids) else np.zeros(len(ids), dtype=bool)
        if not found.all():
            raise FormatError(
                "node ids not in population", file=self.path, key=f"{self.h5_path}/node_id",
                found=np.unique(ids[~found]).tolist()[:10],
            )
        return order[pos]

    def _node_id_map(self) -> tuple[np.ndarray, np.ndarray] | None:
        """None when node ids are the row numbers, else (order, sorted ids) for lookups."""
        if "node_id_map" not in self._extra_caches:
            mapping = None
            if "node_id" in self._group:
                node_ids = self._read_top("node_id", None)
                if not _is_identity(node_ids):
                    order = np.argsort(node_ids, kind="stable")
                    sorted_ids = node_ids[order]
                    duplicated = sorted_ids[1:][sorted_ids[1:] == sorted_ids[:-1]]
                    if duplicated.size:
                        raise FormatError(
                            "duplicate node ids", file=self.path, key=f"{self.h5_path}/node_id",
                            expected="unique ids", found=np.unique(duplicated).tolist()[:10],
                        )
                    mapping = (order, sorted_ids)
            self._extra_caches["node_id_map"] = mapping
        return self._extra_caches["node_id_map"]


class EdgePopulation(_Population):
    """One edge population: ``/edges/<name>`` of an edges file plus its edge-types table.

    Edge ids are row numbers 0..E-1 (an ``edge_id`` dataset, if any, is ignored).
    """

    _root = "edges"
    _prefix = "edge"
    _size_dataset = "source_node_id"
    _required = ("source_node_id", "target_node_id", "edge_type_id")
    _id_label = "edge_id"
    source: str  # node population of the source ids (``node_population`` attribute)
    target: str  # node population of the target ids

    def _check_extra(self, group: h5py.Group) -> None:
        self.source = self._node_population(group, "source_node_id")
        self.target = self._node_population(group, "target_node_id")

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self.source = state["source"]
        self.target = state["target"]

    def __getstate__(self) -> dict[str, Any]:
        return {**super().__getstate__(), "source": self.source, "target": self.target}

    def _node_population(self, group: h5py.Group, dataset: str) -> str:
        value = group[dataset].attrs.get("node_population")
        if isinstance(value, np.ndarray) and value.size == 1:
            value = value.reshape(-1)[0]
        if isinstance(value, (bytes, np.bytes_)):
            value = value.decode("utf-8")
        if not isinstance(value, str) or not value:
            raise FormatError(
                "missing node_population attribute", file=self.path,
                key=f"{self.h5_path}/{dataset}", expected="a node population name (string)",
                found=None if value is None else repr(value),
            )
        return value

    def source_node_ids(self, edge_ids: IdsArg = None) -> np.ndarray:
        """Source node id of each edge (int64)."""
        return self._read_top("source_node_id", self._rows(edge_ids))

    def target_node_ids(self, edge_ids: IdsArg = None) -> np.ndarray:
        """Target node id of each edge (int64)."""
        return self._read_top("target_node_id", self._rows(edge_ids))

    def edge_type_ids(self, edge_ids: IdsArg = None) -> np.ndarray:
        """``edge_type_id`` of each edge (int64)."""
        return self._type_ids(edge_ids)

    def afferent_edges(self, node_ids: IdsArg) -> np.ndarray:
        """Sorted ids of the edges whose target is one of ``node_ids``."""
        return self._edges_of("target_to_source", "target_node_id", node_ids)

    def efferent_edges(self, node_ids: IdsArg) -> np.ndarray:
        """Sorted ids of the edges whose source is one of ``node_ids``."""
        return self._edges_of("source_to_target", "source_node_id", node_ids)

    def connecting_edges(self, source_ids: IdsArg, target_ids: IdsArg) -> np.ndarray:
        """Sorted ids of the edges from one of ``source_ids`` to one of ``target_ids``."""
        return np.intersect1d(self.efferent_edges(source_ids), self.afferent_edges(target_ids))

    def has_index(self, direction: str) -> bool:
        """True if the file has a usable ``indices/<direction>`` table."""
        return self._index_paths(direction) is not None

    def _frame_extra(self, ids: IdsArg, index: pd.Index) -> dict[str, pd.Series]:
        return {
            "source_node_id": _series(self.source_node_ids(ids), index),
            "target_node_id": _series(self.target_node_ids(ids), index),
        }

    # ..... afferent / efferent
    def _edges_of(self, direction: str, dataset: str, node_ids: IdsArg) -> np.ndarray:
        nodes = np.atleast_1d(np.asarray(node_ids))
        if nodes.size == 0:
            return np.zeros(0, dtype=np.int64)
        if nodes.dtype.kind not in "iu" or nodes.ndim != 1:
            raise TypeError(f"node ids must be a 1-D array of integers, got {nodes.dtype} {nodes.shape}")
        nodes = nodes.astype(np.int64, copy=False)
        if nodes.min() < 0:
            raise FormatError(
                "node ids must be non-negative", file=self.path, key=self.h5_path,
                found=np.unique(nodes[nodes < 0]).tolist()[:10],
            )
        paths = self._index_paths(direction)
        if paths is None:
            starts, stops, order = self._computed_ranges(dataset, nodes)
            return np.unique(order[_expand_ranges(starts, stops)])
        return self._indexed_edges(paths, nodes)

    def _index_paths(self, direction: str) -> tuple[str, str] | None:
        key = f"index:{direction}"
        if key not in self._extra_caches:
            found = None
            group = self._group.get(f"{INDEX_GROUP}/{direction}")
            if isinstance(group, h5py.Group) and isinstance(group.get(INDEX_EDGES), h5py.Dataset):
                for name in INDEX_RANGES:
                    ds = group.get(name)
                    if isinstance(ds, h5py.Dataset):
                        found = (ds.name, group[INDEX_EDGES].name)
                        for path in found:
                            shape = self._handle.file[path].shape
                            if shape is None or len(shape) != 2 or shape[1] != 2:
                                raise FormatError(
                                    "index table must have shape (n, 2)", file=self.path, key=path,
                                    found=str(shape),
                                )
                        break
            self._extra_caches[key] = found
        return self._extra_caches[key]

    def _indexed_edges(self, paths: tuple[str, str], nodes: np.ndarray) -> np.ndarray:
        ranges_path, edges_path = paths
        cache_key = f"ranges:{ranges_path}"
        if cache_key not in self._extra_caches:
            ranges = _read_rows(self._handle.file[ranges_path], None, None, self.path)
            self._extra_caches[cache_key] = ranges.astype(np.int64)
        node_ranges = self._extra_caches[cache_key]
        nodes = nodes[nodes < len(node_ranges)]
        range_rows = _expand_ranges(node_ranges[nodes, 0], node_ranges[nodes, 1])
        if range_rows.size == 0:
            return np.zeros(0, dtype=np.int64)
        edge_ranges = _read_rows(
            self._handle.file[edges_path], range_rows, None, self.path, "index range row"
        ).astype(np.int64)
        edges = _expand_ranges(edge_ranges[:, 0], edge_ranges[:, 1])
        if edges.size and (edges.min() < 0 or edges.max() >= self.size):
            raise FormatError(
                "index points past the last edge", file=self.path, key=edges_path,
                expected=f"edge ids below {self.size}", found=int(edges.max()),
            )
        return np.unique(edges)

    def _computed_ranges(self, dataset: str, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``[start, stop)`` of each node in a stable argsort of the node-id column (cached)."""
        key = f"sorted:{dataset}"
        if key not in self._extra_caches:
            keys = self._read_top(dataset, None)
            if keys.size and keys.min() < 0:
                raise FormatError(
                    "negative node ids", file=self.path, key=f"{self.h5_path}/{dataset}",
                    found=np.unique(keys[keys < 0]).tolist()[:10],
                )
            order = np.argsort(keys, kind="stable")
            top = int(keys.max()) + 1 if keys.size else 0
            if top <= 4 * keys.size + 1_000_000:  # dense ids: one offset per node
                offsets = np.zeros(top + 1, dtype=np.int64)
                np.cumsum(np.bincount(keys, minlength=top), out=offsets[1:])
                self._extra_caches[key] = (order, offsets, None)
            else:  # sparse ids: binary search in the sorted column
                self._extra_caches[key] = (order, None, keys[order])
        order, offsets, sorted_keys = self._extra_caches[key]
        if offsets is not None:
            nodes = nodes[nodes < len(offsets) - 1]
            return offsets[nodes], offsets[nodes + 1], order
        starts = np.searchsorted(sorted_keys, nodes, side="left")
        return starts, np.searchsorted(sorted_keys, nodes, side="right"), order
