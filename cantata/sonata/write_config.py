"""Writer of SONATA circuit configs that both the Allen (BMTK) and BBP (libsonata,
bluepysnap) toolchains load.

Each ``networks.nodes``/``networks.edges`` entry carries the Allen keys (``nodes_file``,
``node_types_file``, ...) and the BBP ``populations`` dict, without which libsonata sees
no population. Paths are written relative to the config's folder, either as
``$BASE_DIR/...`` with ``manifest: {"$BASE_DIR": "."}`` or as plain ``./...`` paths; Cantata,
libsonata and bluepysnap resolve both against the config's folder (libsonata substitutes only
``$VAR``, never ``${VAR}``), BMTK against the working directory.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from cantata.errors import BuildError, FormatError
from cantata.sonata._io import atomic_path, check_writable
from cantata.sonata.types_table import read_types_csv

FilePath = str | PathLike[str]
FilePair = tuple[FilePath, FilePath | None]

#: SONATA ``model_type`` -> BBP circuit-config population ``type``.
POPULATION_TYPE_BY_MODEL = {
    "virtual": "virtual",
    "biophysical": "biophysical",
    "point_neuron": "point_neuron",
    "point_process": "point_neuron",  # BMTK's name for point models
    "single_compartment": "single_compartment",
}
DEFAULT_EDGE_TYPE = "chemical"
BASE_DIR = "$BASE_DIR"


def write_circuit_config(
    path: FilePath,
    nodes: Sequence[FilePair | FilePath] = (),
    edges: Sequence[FilePair | FilePath] = (),
    components: Mapping[str, Any] | None = None,
    *,
    node_sets_file: FilePath | None = None,
    populations: Mapping[str, Mapping[str, Any]] | None = None,
    manifest: bool = True,
    target_simulator: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a circuit config naming the given ``(h5, types_csv)`` node and edge files.

    The files must exist: their population names (and, for nodes, ``model_type`` from the
    types CSV or the h5 group, giving the BBP population ``type``) are read from them.
    ``populations`` adds or overrides per-population entries (``{"v1": {"type":
    "point_neuron"}}``); ``components`` values that are paths are made relative like the
    network files. ``manifest=False`` writes plain relative paths instead of ``$BASE_DIR/...``.
    """
    target = Path(path)
    base = Path(os.path.abspath(target.parent))
    overrides = dict(populations or {})

    def rel(p: FilePath) -> str:
        return _relative(p, base, manifest)

    check_writable(target, overwrite)
    node_entries = []
    for h5_path, csv_path in _pairs(nodes, target, "nodes"):
        _population_names(h5_path, "nodes")
        pops = {n: {"type": t} if t else {} for n, t in _node_population_types(h5_path, csv_path).items()}
        node_entries.append(_entry("nodes", h5_path, csv_path, pops, overrides, rel))
    edge_entries = []
    for h5_path, csv_path in _pairs(edges, target, "edges"):
        pops = {n: {"type": DEFAULT_EDGE_TYPE} for n in _population_names(h5_path, "edges")}
        edge_entries.append(_entry("edges", h5_path, csv_path, pops, overrides, rel))

    config: dict[str, Any] = {}
    if manifest:
        config["manifest"] = {BASE_DIR: "."}
    if target_simulator is not None:
        config["target_simulator"] = target_simulator
    config["components"] = {k: _component(v, rel) for k, v in (components or {}).items()}
    if _lacks_biophysical_dirs(node_entries, config["components"]):
        config["metadata"] = {"status": "partial"}
    if node_sets_file is not None:
        config["node_sets_file"] = rel(node_sets_file)
    config["networks"] = {"nodes": node_entries, "edges": edge_entries}
    text = json.dumps(config, indent=2) + "\n"
    with atomic_path(target, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target


def _pairs(items: Any, config: Path, section: str) -> list[tuple[Path, Path | None]]:
    if isinstance(items, (str, PathLike)):
        items = [items]
    out = []
    for i, item in enumerate(items):
        if isinstance(item, (str, PathLike)):
            h5_path, csv_path = item, None
        elif isinstance(item, Sequence) and len(item) == 2:
            h5_path, csv_path = item
        else:
            raise BuildError("network entry must be a path or an (h5, csv) pair", file=config,
                             key=f"networks.{section}[{i}]", expected="(h5_path, csv_path_or_None)",
                             found=item)
        out.append((Path(h5_path), None if csv_path is None else Path(csv_path)))
    return out


def _relative(p: FilePath, base: Path, manifest: bool) -> str:
    rel = Path(os.path.relpath(os.path.abspath(p), base)).as_posix()
    if manifest:
        return f"{BASE_DIR}/{rel}" if rel != "." else BASE_DIR
    return rel if rel.startswith("..") else f"./{rel}" if rel != "." else "."


def _component(value: Any, rel: Any) -> Any:
    if isinstance(value, PathLike) or (isinstance(value, str) and "$" not in value):
        return rel(value)
    return value


def _entry(section: str, h5_path: Path, csv_path: Path | None, pops: dict[str, dict[str, Any]],
           overrides: Mapping[str, Mapping[str, Any]], rel: Any) -> dict[str, Any]:
    kind = section[:-1]  # "node" / "edge"
    merged = {name: {**props, **dict(overrides.get(name, {}))} for name, props in pops.items()}
    return {
        f"{section}_file": rel(h5_path),
        f"{kind}_types_file": None if csv_path is None else rel(csv_path),
        "populations": merged,
    }


def _lacks_biophysical_dirs(entries: list[dict[str, Any]], components: Mapping[str, Any]) -> bool:
    """True if a biophysical (or untyped, which BBP reads as biophysical) node population
    has no morphology or model folder: libsonata rejects such a config unless it is marked
    ``metadata.status = "partial"``."""
    for entry in entries:
        for props in entry["populations"].values():
            if props.get("type", "biophysical") != "biophysical":
                continue
            merged = {**components, **props}
            has_morph = bool(merged.get("morphologies_dir") or merged.get("alternate_morphologies"))
            if not (has_morph and merged.get("biophysical_neuron_models_dir")):
                return True
    return False


def _population_names(h5_path: Path, section: str) -> list[str]:
    if not h5_path.is_file():
        raise FormatError(f"{section} file not found (needed to list its populations)", file=h5_path,
                          key=f"networks.{section}", expected="an existing SONATA h5 file")
    try:
        h5 = h5py.File(h5_path, "r")
    except OSError as exc:
        raise FormatError(f"cannot open as HDF5: {exc}", file=h5_path, key=f"networks.{section}") from None
    with h5:
        if section not in h5 or not isinstance(h5[section], h5py.Group):
            raise FormatError(f"no /{section} group", file=h5_path, key=f"/{section}",
                              expected=f"a SONATA {section} file", found=", ".join(h5.keys()) or "empty file")
        return list(h5[section].keys())


def _node_population_types(h5_path: Path, csv_path: Path | None) -> dict[str, str | None]:
    """BBP population type of each node population, from its ``model_type`` values if unique."""
    table = None if csv_path is None else read_types_csv(csv_path, id_column="node_type_id")
    out: dict[str, str | None] = {}
    with h5py.File(h5_path, "r") as h5:
        for name, pop in h5["nodes"].items():
            models = set()
            for grp in pop.values():
                if isinstance(grp, h5py.Group) and "model_type" in grp and "@library" not in grp:
                    models.update(_text(v) for v in np.unique(grp["model_type"][()]))
            if table is not None and "model_type" in table.columns and "node_type_id" in pop:
                used = table["node_type_id"].isin(np.unique(pop["node_type_id"][()]))
                models.update(v for v in table.loc[used, "model_type"] if v is not None)
            types = {POPULATION_TYPE_BY_MODEL.get(m) for m in models}
            out[name] = types.pop() if len(types) == 1 else None
    return out


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
