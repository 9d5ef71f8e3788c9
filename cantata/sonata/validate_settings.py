"""Validation stage 2: the resolved config's settings (run, components, inputs, reports, output).

These checks need the resolved config but not the network files.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from cantata.errors import CantataError
from cantata.sonata.config import SonataConfig, is_path_key
from cantata.sonata.spikes import normalise_sort_order
from cantata.sonata.validate_files import ConfigTree
from cantata.sonata.validate_problems import (
    ERROR,
    WARNING,
    ProblemList,
    is_placeholder,
    suggestion,
)

#: Sections that make a config a simulation config (and so require run.tstop and run.dt).
SIMULATION_SECTIONS = ("run", "inputs", "reports", "output", "conditions")
#: ``components`` keys of the Allen and BBP forms.
COMPONENT_KEYS = frozenset({
    "morphologies_dir", "synaptic_models_dir", "point_neuron_models_dir", "mechanisms_dir",
    "biophysical_neuron_models_dir", "templates_dir", "filter_models_dir", "population_models_dir",
    "custom_neuron_models", "alternate_morphologies", "spatial_segment_index_dir",
    "spatial_synapse_index_dir", "spine_morphologies_dir", "vasculature_file", "vasculature_mesh",
    "endfeet_meshes_file", "microdomains_file", "provenance",
})
#: Folders only some runs need: missing ones are warnings.
OPTIONAL_DIRS = {"mechanisms_dir": "needed only by NEURON runs with custom mechanisms"}
#: Report keys that name something the run writes (not checked for existence).
REPORT_OUTPUT_KEYS = frozenset({"file_name", "contributions_dir"})
#: Input keys that name the spike file of a spikes input (Allen, BBP).
SPIKE_FILE_KEYS = ("input_file", "spike_file")


def is_simulation(config: SonataConfig) -> bool:
    """True if the config has any simulation section (a circuit config alone has none)."""
    return any(key in config for key in SIMULATION_SECTIONS)


def check_settings(config: SonataConfig, tree: ConfigTree, problems: ProblemList) -> None:
    """Run every settings check; each block's failure stops only that block's checks."""
    if is_simulation(config):
        check_run(config, tree, problems)
    check_components(config, tree, problems)
    check_inputs(config, tree, problems)
    check_reports(config, tree, problems)
    check_output(config, tree, problems)


# ----------------------------------------------------------------------------------------------
# run


def check_run(config: SonataConfig, tree: ConfigTree, problems: ProblemList) -> None:
    """run.tstop and run.dt present and positive, tstart before tstop, tstop on the dt grid."""
    file = tree.origin("run")
    run: dict[str, Any] = {}
    with problems.guard(file=file, own_file=True) as got:
        run = config.run
    if not got.ok:
        return
    tstop_key = "duration" if "tstop" not in run and "duration" in run else "tstop"  # PointNet's name
    tstop = _time(run, tstop_key, file, problems, required=True, positive=True)
    dt = _time(run, "dt", file, problems, required=True, positive=True)
    tstart = _time(run, "tstart", file, problems, required=False, positive=False)
    if tstart is not None and tstop is not None and tstart >= tstop:
        problems.error("run.tstart must be before run.tstop", file=file, key="run.tstart",
                       expected=f"a time < {tstop:g} ms", found=tstart)
    if tstop is not None and dt is not None:
        steps = tstop / dt
        if abs(steps - round(steps)) > 1e-6 * max(1.0, steps):
            problems.error("run.tstop is not a whole number of dt steps", file=file, key=f"run.{tstop_key}",
                           expected=f"a multiple of dt={dt:g}", found=tstop)
    for key in ("nsteps_block", "random_seed"):
        value = run.get(key)
        minimum = 1 if key == "nsteps_block" else 0
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or value != int(value) or value < minimum):
            problems.error("must be a whole number", file=file, key=f"run.{key}",
                           expected=f"an integer >= {minimum}", found=value)


def _time(run: dict[str, Any], key: str, file: Path, problems: ProblemList, *, required: bool,
          positive: bool) -> float | None:
    value = run.get(key)
    if value is None:
        if required:
            problems.error(f"missing run.{key}", file=file, key=f"run.{key}",
                           expected="a positive number of ms", found="no value")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        problems.error("must be a number", file=file, key=f"run.{key}", expected="a number of ms", found=value)
        return None
    if positive and value <= 0:
        problems.error("must be positive", file=file, key=f"run.{key}", expected="a number > 0", found=value)
        return None
    if not positive and value < 0:
        problems.error("must not be negative", file=file, key=f"run.{key}", expected="a number >= 0",
                       found=value)
        return None
    return float(value)


# ----------------------------------------------------------------------------------------------
# components


def check_components(config: SonataConfig, tree: ConfigTree, problems: ProblemList) -> None:
    """Every folder and file named in ``components`` (and BBP per-population overrides) exists."""
    file = tree.origin("components")
    with problems.guard(file=file, own_file=True):
        components = config.components
        for key, value in components.items():
            if key not in COMPONENT_KEYS:
                hint = suggestion(key, COMPONENT_KEYS, cutoff=0.8)
                if hint:
                    problems.warning(f"unknown components key{hint}", file=file, key=f"components.{key}",
                                     expected="a SONATA components key", found=key)
            check_paths(value, key, f"components.{key}", file, problems)
    for kind in ("nodes", "edges"):
        for index, entry in enumerate(network_entries(config, kind)):
            populations = entry.get("populations")
            if not isinstance(populations, dict):
                continue
            origin, local = tree.network_origin(kind, index)
            for name, props in populations.items():
                if isinstance(props, dict):
                    for key, value in props.items():
                        check_paths(value, key, f"networks.{kind}[{local}].populations.{name}.{key}",
                                    origin, problems)


def check_paths(value: Any, key: str, where: str, file: Path, problems: ProblemList) -> None:
    """A path-keyed value (or a dict of them, as ``alternate_morphologies``) must exist."""
    if isinstance(value, dict):
        for sub, item in value.items():
            check_paths(item, sub, f"{where}.{sub}", file, problems)
        return
    if not is_path_key(key) or not isinstance(value, str) or not value or is_placeholder(value):
        return
    path = Path(value)
    wants_dir = key.endswith("_dir") or key in ("h5v1", "neurolucida-asc")
    if path.exists():
        if wants_dir and not path.is_dir():
            problems.error("not a folder", file=file, key=where, expected="a folder", found=value)
        return
    reason = OPTIONAL_DIRS.get(key)
    severity = WARNING if reason else ERROR
    message = "folder not found" if wants_dir else "file not found"
    problems.add(f"{message} ({reason})" if reason else message, file=file, key=where,
                 expected="an existing folder" if wants_dir else "an existing file", found=value,
                 severity=severity)


def network_entries(config: SonataConfig, kind: str) -> list[dict[str, Any]]:
    """The merged ``networks[kind]`` list as written (disabled entries included, so indices match)."""
    networks = config.get("networks")
    entries = networks.get(kind) if isinstance(networks, dict) else None
    return [e if isinstance(e, dict) else {} for e in entries] if isinstance(entries, list) else []


# ----------------------------------------------------------------------------------------------
# inputs, reports, output


def check_inputs(config: SonataConfig, tree: ConfigTree, problems: ProblemList) -> None:
    """Each enabled input has an input_type and its files (input_file, ...) exist."""
    with problems.guard(file=tree.origin("inputs"), own_file=True):
        for name, block in config.inputs.items():
            file = tree.origin("inputs", name)
            where = f"inputs.{name}"
            if not block.get("input_type"):
                problems.error("missing input_type", file=file, key=f"{where}.input_type",
                               expected="an input type such as 'spikes' or 'current_clamp'", found=None)
            if block.get("input_type") == "spikes" and not any(block.get(k) for k in SPIKE_FILE_KEYS):
                problems.error("spikes input without a spike file", file=file, key=f"{where}.input_file",
                               expected="the path of an h5, csv or nwb spike file", found="no value")
            for key, value in block.items():
                check_paths(value, key, f"{where}.{key}", file, problems)


def check_reports(config: SonataConfig, tree: ConfigTree, problems: ProblemList) -> None:
    """Files a report reads (electrode positions, ...) exist; ``file_name`` and BMTK's
    ``contributions_dir`` are outputs."""
    with problems.guard(file=tree.origin("reports"), own_file=True):
        for name, block in config.reports.items():
            file = tree.origin("reports", name)
            for key, value in block.items():
                if key not in REPORT_OUTPUT_KEYS:
                    check_paths(value, key, f"reports.{name}.{key}", file, problems)


def check_output(config: SonataConfig, tree: ConfigTree, problems: ProblemList) -> None:
    """output_dir is not a file; spikes_sort_order is a known order."""
    file = tree.origin("output")
    with problems.guard(file=file, own_file=True):
        output = config.output
        out_dir = output.get("output_dir")
        if isinstance(out_dir, str) and Path(out_dir).is_file():
            problems.error("output_dir is a file", file=file, key="output.output_dir",
                           expected="a folder (created if missing)", found=out_dir)
        order = output.get("spikes_sort_order")
        if order is not None:
            try:
                normalise_sort_order(order, file=file, key="output.spikes_sort_order")
            except CantataError as exc:
                problems.add_exception(exc)
