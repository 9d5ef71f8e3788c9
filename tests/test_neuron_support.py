"""Helpers for the NEURON engine tests (no tests here).

NEURON keeps its state per process, so every test that simulates runs Cantata (or a direct
NEURON script) in a child process. ``write_bio_network`` writes a small SONATA network of
biophysical cells that use only NEURON's built-in ``hh`` and ``pas`` mechanisms (no
compilation), driven by virtual inputs and a current clamp.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cantata.sonata.spikes import SpikeTrains
from cantata.sonata.write import (
    EdgeTable,
    NodeTable,
    write_edges,
    write_nodes,
    write_types_csv,
)

REPO = Path(__file__).resolve().parents[1]
MORPHOLOGY = "Scnn1a_473845048_m"
MORPHOLOGIES = "sonata-examples/shared_components/morphologies"  # under the testdata folder
HH_CELL = {
    "passive": [{"ra": 100.0, "e_pas": -70.0,
                 "cm": [{"section": s, "cm": c} for s, c in
                        (("soma", 1.0), ("axon", 1.0), ("dend", 2.0), ("apic", 2.0))]}],
    "genome": [
        {"section": "soma", "name": "gnabar_hh", "value": 0.12, "mechanism": "hh"},
        {"section": "soma", "name": "gkbar_hh", "value": 0.036, "mechanism": "hh"},
        {"section": "soma", "name": "gl_hh", "value": 0.0003, "mechanism": "hh"},
        {"section": "soma", "name": "g_pas", "value": 1e-6, "mechanism": ""},
        {"section": "axon", "name": "g_pas", "value": 1e-4, "mechanism": ""},
        {"section": "dend", "name": "g_pas", "value": 5e-5, "mechanism": ""},
        {"section": "apic", "name": "g_pas", "value": 5e-5, "mechanism": ""},
    ],
    "conditions": [{"celsius": 6.3, "v_init": -65.0, "erev": [{"section": "soma", "ena": 50.0, "ek": -77.0}]}],
}
EXC = {"level_of_detail": "exp2syn", "tau1": 0.5, "tau2": 3.0, "erev": 0.0}
INH = {"level_of_detail": "exp2syn", "tau1": 1.0, "tau2": 8.0, "erev": -80.0}


def child_env(**extra: str) -> dict[str, str]:
    """Environment for child processes: quiet NEURON, MPI allowed as root."""
    env = dict(os.environ)
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    env.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")
    env.update(extra)
    return env


def run_python(code: str, *, timeout: float = 180) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter; it must print one JSON object as its last line."""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout, env=child_env(), cwd=REPO, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"child failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_cantata(*args: str, ranks: int = 0, timeout: float = 180, cwd: Path | None = None,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``cantata ARGS`` in a child process (under ``mpirun -n ranks`` when ranks > 0)."""
    command = [sys.executable, "-m", "cantata", *args]
    if ranks:
        command = [mpirun_path() or "mpirun", "-n", str(ranks), *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          env=child_env(**(env or {})), cwd=cwd or REPO, check=False)


def mpirun_path() -> str | None:
    return shutil.which("mpirun")


def write_bio_network(root: Path, testdata: Path, *, n_cells: int = 2, n_inputs: int = 4,
                      placement: str = "preset", processing: str = "aibs_perisomatic",
                      tstop: float = 200.0, dt: float = 0.025, seed: int = 3,
                      recurrent: bool = True, clamp: bool = True, synapses: bool = True,
                      reports: dict[str, Any] | None = None,
                      config_extra: dict[str, Any] | None = None) -> Path:
    """Write the network and its config; return the config path.

    ``placement`` is ``preset`` (afferent_section_id/pos in the edge file) or ``random``
    (target_sections/distance_range in the edge types, ``nsyns`` synapses per edge).
    """
    rng = np.random.default_rng(seed)
    root = Path(root)
    net, comps = root / "network", root / "components"
    for d in (net, comps / "bio", comps / "syn"):
        d.mkdir(parents=True, exist_ok=True)
    (comps / "bio" / "hh_cell.json").write_text(json.dumps(HH_CELL))
    (comps / "syn" / "exc.json").write_text(json.dumps(EXC))
    (comps / "syn" / "inh.json").write_text(json.dumps(INH))

    write_nodes(net / "nodes.h5", {
        "cortex": NodeTable(node_type_id=np.full(n_cells, 100), groups=[{
            "x": rng.uniform(-50, 50, n_cells), "y": rng.uniform(-50, 50, n_cells),
            "z": np.zeros(n_cells)}]),
        "inputs": NodeTable(node_type_id=np.full(n_inputs, 200), groups=[{}]),
    }, overwrite=True)
    write_types_csv(net / "node_types.csv", pd.DataFrame({
        "node_type_id": [100, 200],
        "model_type": ["biophysical", "virtual"],
        "model_template": ["ctdb:Biophys1.hoc", None],
        "model_processing": [processing, None],
        "morphology": [MORPHOLOGY, None],
        "dynamics_params": ["hh_cell.json", None],
        "ei": ["e", None],
    }), overwrite=True)

    src = np.repeat(np.arange(n_inputs), n_cells)
    trg = np.tile(np.arange(n_cells), n_inputs)
    n = src.size
    attrs: dict[str, np.ndarray] = {"nsyns": np.full(n, 2 if placement == "random" else 1)}
    if placement == "preset":
        attrs["afferent_section_id"] = rng.integers(1, 100, n)
        attrs["afferent_section_pos"] = np.round(rng.uniform(0, 1, n), 3)
    write_edges(net / "input_edges.h5", {"inputs_to_cortex": EdgeTable(
        source="inputs", target="cortex", source_node_id=src, target_node_id=trg,
        edge_type_id=np.full(n, 1), attributes=attrs, n_source_nodes=n_inputs,
        n_target_nodes=n_cells)}, overwrite=True)
    edge_types = {"edge_type_id": [1], "model_template": ["Exp2Syn"], "dynamics_params": ["exc.json"],
                  "syn_weight": [0.004], "delay": [1.5]}
    if placement == "random":
        edge_types["target_sections"] = ["['basal', 'apical']"]
        edge_types["distance_range"] = ["[0.0, 300.0]"]
    write_types_csv(net / "input_edge_types.csv", pd.DataFrame(edge_types), overwrite=True)
    edges = [{"edges_file": "$NET/input_edges.h5", "edge_types_file": "$NET/input_edge_types.csv"}]
    if not synapses:
        edges = []
    if recurrent and synapses and n_cells > 1:
        s = np.arange(n_cells)
        t = (s + 1) % n_cells
        write_edges(net / "rec_edges.h5", {"cortex_to_cortex": EdgeTable(
            source="cortex", target="cortex", source_node_id=s, target_node_id=t,
            edge_type_id=np.full(n_cells, 2), attributes={"nsyns": np.full(n_cells, 3)},
            n_source_nodes=n_cells, n_target_nodes=n_cells)}, overwrite=True)
        write_types_csv(net / "rec_edge_types.csv", pd.DataFrame({
            "edge_type_id": [2], "model_template": ["exp2syn"], "dynamics_params": ["inh.json"],
            "syn_weight": [0.002], "delay": [2.0], "target_sections": ["['somatic', 'basal']"],
            "distance_range": ["[0.0, 100.0]"]}), overwrite=True)
        edges.append({"edges_file": "$NET/rec_edges.h5", "edge_types_file": "$NET/rec_edge_types.csv"})

    ids = rng.integers(0, n_inputs, 40)
    times = np.round(rng.uniform(0.05 * tstop, 0.95 * tstop, 40), 3)
    SpikeTrains.from_arrays(ids, times, "inputs").write_h5(root / "input_spikes.h5", overwrite=True)

    config: dict[str, Any] = {
        "manifest": {"$BASE": "${configdir}", "$NET": "$BASE/network"},
        "target_simulator": "NEURON",
        "run": {"tstop": tstop, "dt": dt, "dL": 20.0, "spike_threshold": -15.0, "nsteps_block": 1000,
                "random_seed": 11},
        "conditions": {"celsius": 6.3, "v_init": -65.0},
        "components": {"morphologies_dir": str(testdata / MORPHOLOGIES),
                       "biophysical_neuron_models_dir": "$BASE/components/bio",
                       "synaptic_models_dir": "$BASE/components/syn"},
        "networks": {"nodes": [{"nodes_file": "$NET/nodes.h5", "node_types_file": "$NET/node_types.csv"}],
                     "edges": edges},
        "node_sets": {"cells": {"population": "cortex"}, "first": {"population": "cortex", "node_id": [0]}},
        "inputs": {"stim": {"input_type": "spikes", "module": "sonata", "input_file": "$BASE/input_spikes.h5",
                            "node_set": "inputs"}},
        "reports": reports if reports is not None else {
            "soma_v": {"cells": "cells", "variable_name": "v", "module": "membrane_report", "sections": "soma"}},
        "output": {"output_dir": "$BASE/output", "spikes_file": "spikes.h5", "log_file": "log.txt",
                   "log_to_console": False},
    }
    if not synapses:
        del config["inputs"]["stim"]
    if clamp:
        config["inputs"]["clamp"] = {"input_type": "current_clamp", "module": "IClamp", "node_set": "first",
                                     "amp": [1.0, 2.0], "delay": [20.0, 110.0], "duration": [60.0, 50.0]}
    for key, value in (config_extra or {}).items():
        config[key] = {**config.get(key, {}), **value} if isinstance(value, dict) else value
    path = root / "config.json"
    path.write_text(json.dumps(config, indent=1))
    return path


DIRECT_CELL = """
import json, numpy as np
from neuron import h
h.load_file('stdrun.hoc'); h.load_file('import3d.hoc')

def direct_cell(swc, params, dL, stub=True):
    '''The Allen perisomatic cell built by hand: Import3d, axon stub, fit parameters, nseg.'''
    reader = h.Import3d_SWC_read(); reader.quiet = 1; reader.input(swc)
    class Holder: pass
    cell = Holder()
    h.Import3d_GUI(reader, 0).instantiate(cell)
    secs = [s for s in cell.all if not (stub and '.axon[' in s.name())]
    if stub:
        for s in [s for s in cell.all if '.axon[' in s.name()]:
            h.delete_section(sec=s)
        a0 = h.Section(name='stub0'); a1 = h.Section(name='stub1')
        for a in (a0, a1):
            a.L = 30; a.diam = 1
        a0.connect(cell.soma[0](0.5), 0); a1.connect(a0(1), 0)
        secs += [a0, a1]
    kind = lambda s: 'axon' if s.name().startswith('stub') else s.name().split('.')[-1].split('[')[0]
    passive = params['passive'][0]
    cm = {c['section']: c['cm'] for c in passive['cm']}
    for s in secs:
        s.insert('pas'); s.Ra = passive['ra']; s.cm = cm[kind(s)]
        for seg in s: seg.pas.e = passive['e_pas']
    for g in params['genome']:
        for s in secs:
            if kind(s) == g['section']:
                if g['mechanism']: s.insert(g['mechanism'])
                setattr(s, g['name'], g['value'])
    for e in params['conditions'][0]['erev']:
        for s in secs:
            if kind(s) == e['section']:
                s.ena = e['ena']; s.ek = e['ek']
    for s in secs:
        s.nseg = 1 + 2 * int(s.L / (2 * dL))
    return cell, secs
"""
