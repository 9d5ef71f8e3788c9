"""Validation stage 3c: model files a population refers to.

* ``dynamics_params`` JSON files named by node types are looked up in
  ``point_neuron_models_dir`` (``point_process``/``point_neuron`` nodes),
  ``population_models_dir`` (PopNet ``population`` nodes) or
  ``biophysical_neuron_models_dir`` (other non-virtual nodes), those named by edge types in
  ``synaptic_models_dir``; a missing file is an error, as the engines refuse to build then.
* Biophysical nodes (other than ``hoc:`` and ``netpyne:`` templates, which build their own shape) need a
  morphology: ``<morphologies_dir>/<name>`` with or without ``.swc``, or the BBP
  ``alternate_morphologies`` folders (``.asc``, ``.h5``).

The checks run over the distinct (type id, attribute values) combinations, not per node.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cantata.sonata.circuit import EdgePopulation, NodePopulation
from cantata.sonata.validate_h5 import H5Population
from cantata.sonata.validate_problems import ProblemList, is_placeholder

POINT_TYPES = frozenset({"point_process", "point_neuron"})
MISSING_TOKENS = frozenset({"", "NONE", "NULL", "NAN"})
MORPHOLOGY_FOLDERS = (("morphologies_dir", ("", ".swc")),)
ALTERNATE_FOLDERS = (("neurolucida-asc", (".asc", "")), ("h5v1", (".h5", "")))
MAX_LISTED = 10


def check_node_models(pop: NodePopulation, layout: H5Population, props: dict[str, Any],
                      components_file: Path, problems: ProblemList) -> None:
    """dynamics_params files and morphologies of one node population; ``props`` = its components."""
    table = _distinct(pop, layout, ["model_type", "model_template", "dynamics_params", "morphology"])
    type_col = pop.type_id_column
    default_type = props.get("type")  # BBP population type, used when nodes have no model_type
    files: dict[str, list[tuple[int, str]]] = defaultdict(list)
    unshaped: list[int] = []
    morphologies: set[str] = set()
    for row in table.to_dict("records"):
        model_type = _text(row.get("model_type")) or _text(default_type)
        if model_type is None or model_type == "virtual":
            continue
        tid = int(row[type_col])
        dynamics = _text(row.get("dynamics_params"))
        if dynamics is not None and not dynamics.startswith("{"):
            folder = "point_neuron_models_dir" if model_type in POINT_TYPES else (
                "population_models_dir" if model_type == "population" else "biophysical_neuron_models_dir")
            files[folder].append((tid, dynamics))
        template = _text(row.get("model_template")) or ""
        if model_type == "biophysical" and not template.startswith(("hoc:", "netpyne:")):
            name = _text(row.get("morphology"))
            if name is None:
                unshaped.append(tid)
            else:
                morphologies.add(name)
    source = _source(pop, layout, "dynamics_params")
    for folder, uses in files.items():
        _check_files(uses, folder, props, source, type_col, components_file, problems)
    if unshaped:
        file, key = _source(pop, layout, "morphology")
        problems.error("biophysical nodes without a morphology", file=file,
                       key=key, expected="a morphology name for every biophysical node type",
                       found=f"none for {type_col} {sorted(set(unshaped))[:MAX_LISTED]}")
    if morphologies:
        _check_morphologies(sorted(morphologies), pop, layout, props, components_file, problems)


def check_edge_models(pop: EdgePopulation, layout: H5Population, props: dict[str, Any],
                      components_file: Path, problems: ProblemList) -> None:
    """dynamics_params files of one edge population, in ``synaptic_models_dir``."""
    table = _distinct(pop, layout, ["dynamics_params"])
    if "dynamics_params" not in table.columns:
        return
    uses = []
    for tid, value in zip(table[pop.type_id_column].to_numpy(), table["dynamics_params"].to_numpy()):
        text = _text(value)
        if text is not None and not text.startswith("{"):
            uses.append((int(tid), text))
    _check_files(uses, "synaptic_models_dir", props, _source(pop, layout, "dynamics_params"),
                 pop.type_id_column, components_file, problems)


# ----------------------------------------------------------------------------------------------


def _distinct(pop: NodePopulation | EdgePopulation, layout: H5Population, names: list[str]) -> pd.DataFrame:
    """Distinct (type id, attributes...) rows over the population's nodes or edges."""
    type_col = pop.type_id_column
    present = [n for n in names if pop.has_attribute(n)]
    type_ids = pop.get_attribute(type_col)
    if not any(n in layout.group_columns for n in present):
        used = np.unique(type_ids)  # attributes come from the types table only
        rows = pop.types[pop.types[type_col].isin(used)]
        return rows[[type_col, *present]].reset_index(drop=True)
    columns = {type_col: type_ids}
    for name in present:
        values = pop.get_attribute(name)
        if values.ndim == 1:
            columns[name] = values
    return pd.DataFrame(columns).drop_duplicates(ignore_index=True)


def _text(value: Any) -> str | None:
    """A string attribute value, or None when missing (None, NaN, NULL, NONE, empty)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return None if text.upper() in MISSING_TOKENS else text


def _source(pop: NodePopulation | EdgePopulation, layout: H5Population, attribute: str) -> tuple[Path, str]:
    """File and key an attribute's values come from: the h5 groups when stored there, else the types CSV."""
    if attribute in layout.group_columns or pop.types_file is None:
        return pop.path, f"{pop.h5_path}/*/{attribute}"
    return pop.types_file, attribute


def _check_files(uses: list[tuple[int, str]], folder_key: str, props: dict[str, Any], source: tuple[Path, str],
                 type_col: str, components_file: Path, problems: ProblemList) -> None:
    """Each (type id, file name) names an existing file in ``props[folder_key]``."""
    if not uses:
        return
    folder = props.get(folder_key)
    by_file: dict[str, list[int]] = defaultdict(list)
    for tid, name in uses:
        by_file[name].append(tid)
    if not isinstance(folder, str) or not folder:
        relative = {n: t for n, t in by_file.items() if not Path(n).is_absolute()}
        if relative:
            tids = sorted({t for ts in relative.values() for t in ts})
            problems.error(f"components.{folder_key} is not set, but {type_col}s {tids[:MAX_LISTED]} "
                           f"name dynamics_params files", file=components_file,
                           key=f"components.{folder_key}", expected=f"the folder of {min(relative)!r}",
                           found="not set")
        by_file = {n: t for n, t in by_file.items() if Path(n).is_absolute()}
        folder = ""
    elif is_placeholder(folder) or not Path(folder).is_dir():
        return  # the folder itself is reported by the components check
    for name, tids in sorted(by_file.items()):
        path = Path(folder) / name
        if not path.is_file():
            listed = ", ".join(map(str, sorted(set(tids))[:MAX_LISTED]))
            problems.error(f"dynamics_params file not found in components.{folder_key}", file=source[0],
                           key=f"{source[1]} of {type_col} {listed}",
                           expected=f"{name} in {folder}" if folder else "an existing file", found=str(path))


def _check_morphologies(names: list[str], pop: NodePopulation, layout: H5Population, props: dict[str, Any],
                        components_file: Path, problems: ProblemList) -> None:
    folders: list[tuple[Path, tuple[str, ...]]] = []
    for key, suffixes in MORPHOLOGY_FOLDERS:
        if isinstance(props.get(key), str) and props[key]:
            folders.append((Path(props[key]), suffixes))
    alternate = props.get("alternate_morphologies")
    if isinstance(alternate, dict):
        for key, suffixes in ALTERNATE_FOLDERS:
            if isinstance(alternate.get(key), str) and alternate[key]:
                folders.append((Path(alternate[key]), suffixes))
    if not folders:
        problems.error(f"biophysical nodes of population {pop.name!r} need a morphologies folder",
                       file=components_file, key="components.morphologies_dir",
                       expected="a folder of morphology files", found="not set")
        return
    if any(is_placeholder(str(f)) for f, _ in folders) or not any(f.is_dir() for f, _ in folders):
        return  # the folders themselves are reported by the components check
    missing = [name for name in names if not any((f / f"{name}{s}").is_file() for f, suffixes in folders
                                                 for s in suffixes)]
    if missing:
        where = ", ".join(str(f) for f, _ in folders)
        file, key = _source(pop, layout, "morphology")
        problems.error(f"{len(missing)} of {len(names)} morphologies of biophysical nodes not found",
                       file=file, key=key,
                       expected=f"<name> or <name>.swc in {where}", found=missing[:MAX_LISTED])
