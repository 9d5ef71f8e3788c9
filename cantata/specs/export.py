"""Write a compiled model as a SONATA circuit and simulation config.

Layout of ``out_dir``::

    network/nodes.h5, node_types.csv        one node population per NetPyNE population
    network/edges.h5, edge_types.csv        one edge population per (pre, post) population pair
    components/cells/<cellType>.json        cell rules (model_template netpyne:<cellType>)
    components/point_neurons/<pop>.json     IntFire parameters (time constants in s, BMTK's unit)
    components/synapses/<synMech>.json      synapse parameters (BMTK names: erev for e)
    inputs/<population>_spikes.h5           spike trains of NetStim/VecStim sources
    node_sets.json, circuit_config.json
    config.json                             simulation config: run, conditions, inputs, reports
    output/                                 where the run writes spikes.h5 and reports
"""

from __future__ import annotations

import json
import re
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cantata.errors import FormatError
from cantata.mechanisms import compiled_library
from cantata.sim.engines.neuron.rule_cells import TEMPLATE
from cantata.sonata._io import atomic_path
from cantata.sonata.spikes import SpikeTrains
from cantata.sonata.write import (
    EdgeTable,
    NodeTable,
    write_circuit_config,
    write_edges,
    write_nodes,
    write_types_csv,
)
from cantata.specs.compile import compile_model
from cantata.specs.model import COMPARTMENT, POINT, VIRTUAL, Model
from cantata.specs.params import NetParams, SimConfig

CONFIG = "config.json"
COMPONENTS = {"biophysical_neuron_models_dir": "components/cells",
              "point_neuron_models_dir": "components/point_neurons",
              "synaptic_models_dir": "components/synapses"}
SECONDS = {"IntFire1": ("tau", "refrac"), "IntFire2": ("taum", "taus"),
           "IntFire4": ("taue", "taui1", "taui2", "taum")}
_NODE_TYPE0, _EDGE_TYPE0 = 100, 100


def to_sonata(netParams: NetParams, simConfig: SimConfig, out_dir: str | PathLike[str], *,  # noqa: N803
              overwrite: bool = False, mechanisms_dir: str | PathLike[str] | bool | None = None) -> Path:
    """Compile ``netParams``/``simConfig`` and write them as SONATA into ``out_dir``; return the
    path of the simulation config (``cantata run <out_dir>/config.json`` runs it).

    ``mechanisms_dir``: a folder of your ``.mod`` files (or of an ``nrnivmodl`` build), written
    as the config's ``components.mechanisms_dir`` (compiled and loaded when the run starts).
    By default, as NEURON does for NetPyNE scripts, the current folder when it holds an
    ``nrnivmodl`` build (``x86_64/``); ``False``: none."""
    return write_model(compile_model(netParams, simConfig), out_dir, overwrite=overwrite,
                       mechanisms_dir=mechanisms_dir)


def mechanisms_folder(value: str | PathLike[str] | bool | None) -> Path | None:
    """The mechanisms folder to write: the one given, else the current folder if it holds an
    ``nrnivmodl`` build; checked to exist."""
    if value is False:
        return None
    if value is None or value is True:
        here = Path.cwd()
        return here if compiled_library(here) is not None else None
    folder = Path(value).expanduser().resolve()
    if not folder.is_dir():
        raise FormatError("mechanisms folder not found", file=folder, key="mechanisms_dir",
                          expected="a folder of .mod files or an nrnivmodl build")
    return folder


def write_model(model: Model, out_dir: str | PathLike[str], *, overwrite: bool = False,
                mechanisms_dir: str | PathLike[str] | bool | None = None) -> Path:
    """Write an already compiled model (see :func:`to_sonata`)."""
    root = Path(out_dir)
    mechanisms = mechanisms_folder(mechanisms_dir)
    if (root / CONFIG).exists() and not overwrite:
        raise FormatError("a circuit was already written here; pass overwrite=True to replace it",
                          file=root / CONFIG)
    for sub in ("network", *COMPONENTS.values(), "inputs"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    names = _FileNames()
    nodes = _write_nodes(model, root, overwrite, names)
    edges = _write_edges(model, root, overwrite, names)
    sets, inputs, reports = _simulation_blocks(model, root, overwrite, names)
    _write_json(root / "node_sets.json", sets, overwrite)
    write_circuit_config(root / "circuit_config.json", nodes=[nodes], edges=[edges] if edges else [],
                         components={**{k: root / v for k, v in COMPONENTS.items()},
                                     **({"mechanisms_dir": mechanisms} if mechanisms else {})},
                         node_sets_file=root / "node_sets.json", target_simulator="NEURON",
                         overwrite=overwrite)
    config = {
        "manifest": {"$BASE_DIR": "."},
        "target_simulator": "NEURON",
        "network": "$BASE_DIR/circuit_config.json",
        "run": {**model.run, "random_seed": model.seeds["cell"]},
        "conditions": dict(model.conditions),
        "inputs": inputs,
        "reports": reports,
        "output": {"output_dir": "$BASE_DIR/output", "spikes_file": "spikes.h5", "log_file": "log.txt",
                   "overwrite_output_dir": True},
    }
    _write_json(root / "netpyne.json", {
        "description": "cantata.specs: NetPyNE gid of node 0 of each population (-1: stimulation sources)",
        "populations": {p.label: {"first_gid": p.first_gid, "size": p.size, "kind": p.kind}
                        for p in model.populations.values()},
        "seeds": model.seeds,
    }, overwrite)
    path = root / CONFIG
    _write_json(path, config, overwrite)
    return path


def _write_json(path: Path, data: Any, overwrite: bool) -> None:
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def safe_name(text: str) -> str:
    """``text`` usable as a file name."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)


class _FileNames:
    """File-name stems from labels, unique per kind (two labels never share a file)."""

    def __init__(self) -> None:
        self.given: dict[tuple[str, str], str] = {}

    def __call__(self, kind: str, label: str) -> str:
        if (kind, label) not in self.given:
            stem, n = safe_name(label), 1
            taken = {v for (k, _), v in self.given.items() if k == kind}
            while (stem if n == 1 else f"{stem}_{n}") in taken:
                n += 1
            self.given[(kind, label)] = stem if n == 1 else f"{stem}_{n}"
        return self.given[(kind, label)]


def _write_nodes(model: Model, root: Path, overwrite: bool, names: _FileNames) -> tuple[Path, Path]:
    tables: dict[str, NodeTable] = {}
    types = []
    for k, pop in enumerate(model.populations.values()):
        type_id = _NODE_TYPE0 + k
        row: dict[str, Any] = {"node_type_id": type_id, "pop_name": pop.label, "cellType": pop.cell_type,
                               "cellModel": pop.cell_model}
        if pop.kind == COMPARTMENT:
            assert pop.rule is not None
            rule = str(pop.rule_label or pop.cell_type)
            name = f"{names('cell', rule)}.json"
            _write_json(root / COMPONENTS["biophysical_neuron_models_dir"] / name, pop.rule, True)
            row.update(model_type="biophysical", model_template=f"{TEMPLATE}:{rule}",
                       dynamics_params=name, spike_threshold=pop.threshold, recenter=0,
                       rotation_angle_zaxis=shape_rotation(pop.rule))
        elif pop.kind == POINT:
            name = f"{names('point', pop.label)}_{pop.cell_model}.json"
            seconds = SECONDS.get(str(pop.cell_model), ())
            params = {k: (v / 1000.0 if k in seconds else v) for k, v in pop.params.items()}
            _write_json(root / COMPONENTS["point_neuron_models_dir"] / name, params, True)
            row.update(model_type="point_process", model_template=f"nrn:{pop.cell_model}", dynamics_params=name)
        else:
            row.update(model_type="virtual")
        types.append(row)
        columns: dict[str, np.ndarray] = {}
        if pop.positions is not None:
            columns = {c: pop.positions[:, i] for i, c in enumerate("xyz")}
        tables[pop.label] = NodeTable(node_type_id=np.full(pop.size, type_id, dtype=np.int64), groups=[columns])
    h5 = write_nodes(root / "network" / "nodes.h5", tables, overwrite=overwrite)
    csv = write_types_csv(root / "network" / "node_types.csv", pd.DataFrame(types), overwrite=overwrite)
    return h5, csv


def shape_rotation(rule: dict[str, Any]) -> float:
    """Where NetPyNE draws a cell without ``pt3d`` (for the LFP): NEURON's ``define_shape()``
    points with x and y swapped, y then inverted with the cell's (``invertedYCoord``), i.e. the
    shape turned by -90 degrees about z, its root section starting at the cell's position
    (``recenter`` 0). A rule with ``pt3d`` points keeps them as given (no turn)."""
    secs = rule.get("secs", {})
    if any("pt3d" in (sec.get("geom") or {}) for sec in secs.values()):
        return 0.0
    return -np.pi / 2


def _write_edges(model: Model, root: Path, overwrite: bool, names: _FileNames) -> tuple[Path, Path] | None:
    type_ids: dict[tuple[str, str | None], int] = {}
    types = []
    grouped: dict[tuple[str, str], list[Any]] = {}
    for block in model.edges:
        if block.source_ids.size == 0:
            continue
        key = (block.rule, block.synmech)
        if key not in type_ids:
            type_ids[key] = _EDGE_TYPE0 + len(type_ids)
            row: dict[str, Any] = {"edge_type_id": type_ids[key], "rule": block.rule, "synMech": block.synmech,
                                   "model_template": None, "dynamics_params": None}
            if block.synmech is not None and block.synmech in model.synmechs:
                mech = model.synmechs[block.synmech]
                name = f"{names('synapse', mech.label)}.json"
                params = {("erev" if k == "e" else k): v for k, v in mech.params.items()}
                _write_json(root / COMPONENTS["synaptic_models_dir"] / name,
                            {"level_of_detail": mech.mod.lower(), **params}, True)
                row.update(model_template=mech.mod.lower(), dynamics_params=name)
            types.append(row)
        grouped.setdefault((block.source, block.target), []).append((type_ids[key], block))
    if not grouped:
        return None
    tables: dict[str, EdgeTable] = {}
    for (source, target), parts in grouped.items():
        name = f"{source}_to_{target}"
        blocks = [b for _, b in parts]
        attributes = {"syn_weight": np.concatenate([b.weight for b in blocks]),
                      "delay": np.concatenate([b.delay for b in blocks])}
        if model.populations[target].vref is not None:
            attributes["weight_index"] = np.concatenate([b.weight_index for b in blocks]).astype(np.int64)
        elif model.populations[target].kind == COMPARTMENT:
            attributes["afferent_section_id"] = np.concatenate([b.section_id for b in blocks]).astype(np.int64)
            attributes["afferent_section_pos"] = np.concatenate([b.section_pos for b in blocks])
        tables[name] = EdgeTable(
            source=source, target=target,
            source_node_id=np.concatenate([b.source_ids for b in blocks]),
            target_node_id=np.concatenate([b.target_ids for b in blocks]),
            edge_type_id=np.concatenate([np.full(b.source_ids.size, t, dtype=np.int64) for t, b in parts]),
            attributes=attributes, n_source_nodes=model.populations[source].size,
            n_target_nodes=model.populations[target].size)
    h5 = write_edges(root / "network" / "edges.h5", tables, overwrite=overwrite)
    csv = write_types_csv(root / "network" / "edge_types.csv", pd.DataFrame(types), overwrite=overwrite)
    return h5, csv


def _simulation_blocks(model: Model, root: Path, overwrite: bool, names: _FileNames
                       ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Node sets, inputs and reports of the simulation config."""
    sets: dict[str, Any] = {p.label: {"population": p.label} for p in model.populations.values()}
    inputs: dict[str, Any] = {}
    for pop in model.populations.values():
        if pop.kind != VIRTUAL or pop.spikes is None:
            continue
        counts = [t.size for t in pop.spikes]
        if sum(counts) == 0:
            continue
        ids = np.repeat(np.arange(pop.size), counts)
        times = np.concatenate(pop.spikes)
        file = root / "inputs" / f"{names('input', pop.label)}_spikes.h5"
        SpikeTrains.from_arrays(ids, times, population=pop.label).write_h5(file, overwrite=overwrite)
        inputs[f"{pop.label}_spikes"] = {"input_type": "spikes", "module": "sonata",
                                         "input_file": f"$BASE_DIR/inputs/{file.name}", "node_set": pop.label}
    for clamp in model.clamps:
        name = f"{clamp.label}:{clamp.population}"
        sets[name] = {"population": clamp.population, "node_id": clamp.node_ids.tolist()}
        inputs[name] = {"input_type": "current_clamp", "module": "IClamp", "node_set": name,
                        "amp": clamp.amp, "delay": clamp.delay, "duration": clamp.duration,
                        "section_name": clamp.section_kind, "section_index": clamp.section_index,
                        "section_dist": clamp.x}
    for stim in model.stims:
        name = f"{stim.label}:{stim.population}"
        sets[name] = {"population": stim.population, "node_id": stim.node_ids.tolist()}
        inputs[name] = {"input_type": "point_process", "module": "point_process", "node_set": name,
                        "mechanism": stim.mechanism, "parameters": stim.params,
                        "section_name": stim.section_kind, "section_index": stim.section_index,
                        "section_dist": stim.x}
    reports: dict[str, Any] = {}
    for trace in model.traces:
        parts = []
        for population, ids in trace.nodes.items():
            part = f"{trace.label}:{population}"
            sets[part] = {"population": population, "node_id": ids.tolist()}
            parts.append(part)
        if trace.label in sets:
            raise FormatError("a recordTraces label is also a population or input name; rename it",
                              key=f"simConfig.recordTraces[{trace.label!r}]", found=trace.label)
        sets[trace.label] = parts
        reports[trace.label] = {"module": "membrane_report", "cells": trace.label, "variable_name": trace.variable,
                                "sections": trace.sections, "dt": model.record_step,
                                "file_name": f"{names('report', trace.label)}.h5"}
    if model.lfp is not None and any(p.kind == COMPARTMENT for p in model.populations.values()):
        # without compartments the LFP is zero (simData gets zeros; NEURON cannot record no segments)
        if LFP_REPORT in reports:
            raise FormatError("a recordTraces label is the name of the LFP report; rename it",
                              key=f"simConfig.recordTraces[{LFP_REPORT!r}]", found=LFP_REPORT)
        reports[LFP_REPORT] = _lfp_report(model, root, overwrite)
    return sets, inputs, reports


#: Name, file and per-cell folder of the ``recordLFP`` report.
LFP_REPORT, LFP_FILE, LFP_CELLS_DIR = "recordLFP", "lfp.h5", "lfp_cells"


def _lfp_report(model: Model, root: Path, overwrite: bool) -> dict[str, Any]:
    """An ``extracellular`` report on the ``recordLFP`` electrodes (``electrodes.csv``), sigma
    0.3 S/m as NetPyNE, every compartmental cell; with ``saveLFPCells`` or ``saveLFPPops`` one
    file per cell in ``output/lfp_cells``."""
    assert model.lfp is not None
    table = pd.DataFrame({"channel": np.arange(len(model.lfp.electrodes)),
                          **{f"{c}_pos": model.lfp.electrodes[:, i] for i, c in enumerate("xyz")}})
    with atomic_path(root / "electrodes.csv", overwrite=overwrite) as tmp:
        table.to_csv(tmp, sep=" ", index=False, float_format="%.17g")
    block: dict[str, Any] = {"module": "extracellular", "electrode_positions": "$BASE_DIR/electrodes.csv",
                             "sigma": 0.3, "file_name": LFP_FILE}
    if (model.lfp.cells is not None and model.lfp.cells.size) or model.lfp.pops:
        # every cell's file (the total sums them all); simData keeps the saveLFPCells ones
        block["contributions_dir"] = LFP_CELLS_DIR
    return block
