"""Validation stage 3b: the network files of a config, opened with the circuit reader.

For each ``networks.nodes``/``networks.edges`` entry: the files exist, the types CSV reads,
the HDF5 layout passes :mod:`validate_h5`, the populations named in the config are in the
file; then for each population: type ids missing from the types CSV, edges whose
``node_population`` or node ids name nothing in the network, and the model files the
populations refer to (:mod:`validate_models`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cantata.errors import CantataError
from cantata.sonata.circuit import EdgePopulation, H5Handle, NodePopulation
from cantata.sonata.config import SonataConfig
from cantata.sonata.types_table import read_types_csv
from cantata.sonata.validate_files import ConfigTree
from cantata.sonata.validate_h5 import H5Population, scan_h5
from cantata.sonata.validate_models import check_edge_models, check_node_models
from cantata.sonata.validate_problems import ProblemList, is_placeholder, one_of
from cantata.sonata.validate_settings import is_simulation, network_entries

MAX_LISTED = 10


@dataclass
class CircuitScan:
    """The populations that opened, for the node-set stage and the summary."""

    nodes: dict[str, NodePopulation] = field(default_factory=dict)
    edges: dict[str, EdgePopulation] = field(default_factory=dict)
    node_names: set[str] = field(default_factory=set)  # every node population seen in a file
    complete: bool = True  # every node file and population could be read
    handles: dict[Path, H5Handle] = field(default_factory=dict)  # one per HDF5 file

    def close(self) -> None:
        """Close every HDF5 file the populations opened."""
        for handle in self.handles.values():
            handle.close()


@dataclass
class _Entry:
    kind: str
    origin: Path  # config file declaring the entry
    where: str  # key path of the entry in that file
    h5: Path
    types_file: Path | None
    wanted: dict[str, Any]


def check_circuit(config: SonataConfig, tree: ConfigTree, problems: ProblemList) -> CircuitScan:
    """Open every enabled network entry and check its populations; see the module doc."""
    scan = CircuitScan()
    for kind in ("nodes", "edges"):
        with problems.guard(file=tree.origin("networks"), own_file=True):
            getattr(config, kind)  # reports the loader's complaints about the entries' shape
        entries = _entries(config, tree, kind, scan, problems)
        if kind == "nodes" and not network_entries(config, "nodes"):
            scan.complete = False  # no network: node-set names cannot be judged
            if is_simulation(config) and not tree.broken:
                problems.error("the config names no node files", file=tree.top, key="networks.nodes",
                               expected="a network (a 'network' circuit config or 'networks.nodes')",
                               found="no nodes entries")
        for entry in entries:
            opener = _open_nodes if kind == "nodes" else _open_edges
            opener(entry, config, tree.origin("components"), scan, problems)
    return scan


def _entries(config: SonataConfig, tree: ConfigTree, kind: str, scan: CircuitScan,
             problems: ProblemList) -> list[_Entry]:
    file_key, types_key = f"{kind}_file", f"{kind[:-1]}_types_file"
    out = []
    for index, raw in enumerate(network_entries(config, kind)):
        if raw.get("enabled", True) is not True:
            continue
        origin, local = tree.network_origin(kind, index)
        where = f"networks.{kind}[{local}]"
        h5, types = raw.get(file_key), raw.get(types_key)
        wanted = raw.get("populations") or {}
        if not isinstance(h5, str) or not h5 or not isinstance(types, (str, type(None))) \
                or not isinstance(wanted, dict):
            if kind == "nodes":
                scan.complete = False
            continue  # reported by the config's own checks
        if is_placeholder(h5) or is_placeholder(types) or not Path(h5).is_file():
            if kind == "nodes":
                scan.complete = False
            if not is_placeholder(h5) and not is_placeholder(types):  # else reported already
                problems.error("file not found", file=origin, key=f"{where}.{file_key}",
                               expected=f"an existing {kind} HDF5 file", found=h5)
            continue
        types_path = None
        if types:
            types_path = Path(types)
            if not types_path.is_file():
                problems.error("file not found", file=origin, key=f"{where}.{types_key}",
                               expected=f"an existing {kind[:-1]} types CSV", found=types)
        out.append(_Entry(kind, origin, where, Path(h5), types_path, wanted))
    return out


def _read_types(entry: _Entry, problems: ProblemList) -> tuple[pd.DataFrame | None, bool]:
    """(types table or None, whether the table is usable for type-id checks)."""
    if entry.types_file is None:
        return None, False
    if not entry.types_file.is_file():
        return None, False  # reported by _entries
    types = None
    with problems.guard(file=entry.types_file) as got:
        types = read_types_csv(entry.types_file, id_column=f"{entry.kind[:-1]}_type_id")
    return (types, True) if got.ok else (None, False)


def _populations(entry: _Entry, layout: dict[str, H5Population], scan: CircuitScan,
                 problems: ProblemList) -> list[str]:
    names = list(layout)
    if entry.wanted:
        absent = sorted(set(entry.wanted) - set(names))
        if absent:
            if entry.kind == "nodes":
                scan.complete = False
            problems.error("populations named in the config are not in the file", file=entry.origin,
                           key=f"{entry.where}.populations", expected=f"{one_of(names)} (in {entry.h5.name})",
                           found=absent)
        names = [n for n in names if n in entry.wanted]
    return names


def _open_nodes(entry: _Entry, config: SonataConfig, components_file: Path, scan: CircuitScan,
                problems: ProblemList) -> None:
    layout = scan_h5(entry.h5, "nodes", problems)
    types, types_ok = _read_types(entry, problems)
    if layout is None:
        scan.complete = False
        return
    handle = scan.handles.setdefault(entry.h5.resolve(), H5Handle(entry.h5))
    for name in _populations(entry, layout, scan, problems):
        if name in scan.node_names:
            problems.error("node population defined twice", file=entry.h5, key=f"/nodes/{name}",
                           expected="unique population names", found=f"also in {_file_of(scan.nodes.get(name))}")
            continue
        scan.node_names.add(name)
        if not layout[name].ok:
            scan.complete = False
            continue
        with problems.guard(file=entry.h5) as got:
            pop = NodePopulation(handle, name, types, config=entry.wanted.get(name),
                                 types_file=entry.types_file)
        if not got.ok:
            scan.complete = False
            continue
        scan.nodes[name] = pop
        if types_ok:
            _missing_types(pop, problems)
        with problems.guard(file=entry.h5):
            check_node_models(pop, layout[name], _properties(config, entry, name), components_file, problems)


def _open_edges(entry: _Entry, config: SonataConfig, components_file: Path, scan: CircuitScan,
                problems: ProblemList) -> None:
    layout = scan_h5(entry.h5, "edges", problems)
    types, types_ok = _read_types(entry, problems)
    if layout is None:
        return
    handle = scan.handles.setdefault(entry.h5.resolve(), H5Handle(entry.h5))
    for name in _populations(entry, layout, scan, problems):
        info = layout[name]
        if name in scan.edges:
            problems.error("edge population defined twice", file=entry.h5, key=f"/edges/{name}",
                           expected="unique population names", found=f"also in {_file_of(scan.edges[name])}")
            continue
        _check_node_population_names(entry, info, scan, problems)
        if not info.ok:
            continue
        with problems.guard(file=entry.h5) as got:
            pop = EdgePopulation(handle, name, types, config=entry.wanted.get(name), types_file=entry.types_file)
        if not got.ok:
            continue
        scan.edges[name] = pop
        if types_ok:
            _missing_types(pop, problems)
        with problems.guard(file=entry.h5):
            _check_edge_ids(pop, "source_node_id", pop.source, scan, problems)
            _check_edge_ids(pop, "target_node_id", pop.target, scan, problems)
        with problems.guard(file=entry.h5):
            check_edge_models(pop, info, _properties(config, entry, name), components_file, problems)


def _properties(config: SonataConfig, entry: _Entry, name: str) -> dict[str, Any]:
    """``components`` overlaid with the entry's ``populations[name]`` dict (BBP overrides)."""
    try:
        components = config.components
    except CantataError:
        components = {}  # reported by the components check
    own = entry.wanted.get(name)
    return {**components, **(own if isinstance(own, dict) else {})}


def _file_of(pop: Any) -> str:
    return str(pop.path) if pop is not None else "another file"


def _missing_types(pop: NodePopulation | EdgePopulation, problems: ProblemList) -> None:
    missing = pop.missing_type_ids()
    if missing.size:
        problems.error(
            f"{pop.type_id_column}s used in the h5 file are missing from the types CSV",
            file=pop.path, key=f"{pop.h5_path}/{pop.type_id_column}",
            expected=f"type ids listed in {pop.types_file}", found=missing[:MAX_LISTED].tolist(),
        )


def _check_node_population_names(entry: _Entry, info: H5Population, scan: CircuitScan,
                                  problems: ProblemList) -> None:
    for dataset, target in info.node_populations.items():
        if target not in scan.node_names and scan.complete:
            problems.error("node_population names a population that is not in the config's nodes",
                           file=entry.h5, key=f"/edges/{info.name}/{dataset}@node_population",
                           expected=one_of(scan.node_names), found=target)


def _check_edge_ids(pop: EdgePopulation, dataset: str, population: str, scan: CircuitScan,
                    problems: ProblemList) -> None:
    """Every id of ``dataset`` is a node of ``population``."""
    nodes = scan.nodes.get(population)
    if nodes is None:
        return  # population absent (reported) or unreadable
    ids = pop.source_node_ids() if dataset == "source_node_id" else pop.target_node_ids()
    if not ids.size:
        return
    try:
        known = nodes.node_ids()
    except CantataError as exc:
        problems.add_exception(exc)
        return
    if _is_range(known):
        bad = ids[(ids < 0) | (ids >= known.size)]
        expected = f"ids of the {known.size} nodes of {population!r} (0..{known.size - 1})"
    else:
        bad = ids[~np.isin(ids, known)]
        expected = f"ids of the {known.size} nodes of {population!r} (its node_id dataset)"
    if bad.size:
        unique = np.unique(bad)
        problems.error(f"{bad.size} edges reference node ids that do not exist", file=pop.path,
                       key=f"{pop.h5_path}/{dataset}", expected=expected,
                       found=unique[:MAX_LISTED].tolist() + (["..."] if unique.size > MAX_LISTED else []))


def _is_range(ids: np.ndarray) -> bool:
    return bool(ids.size == 0 or (ids[0] == 0 and ids[-1] == ids.size - 1 and (np.diff(ids) == 1).all()))
