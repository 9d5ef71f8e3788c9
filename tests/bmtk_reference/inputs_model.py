"""Small networks and files for the NEURON input checks against BMTK's BioNet (NWB current
clamps, replay, spontaneous synaptic activity); imported by Cantata's interpreter only.

Cells: three ``ctdb:Biophys1.hoc`` cells with ``aibs_perisomatic`` (Scnn1a morphology, axon
stub) and the HH fit file of gap_model.py (only NEURON's built-in ``hh`` and ``pas``), named
``A``, ``B``, ``C`` (``pop_name``; ``cell_index`` 0, 1, 2). Recurrent ``Exp2Syn`` edges between
them sit at preset sections; two virtual ``inputs`` nodes drive every cell. BMTK's virtual
cells, replay and spontaneous synapses use ``VecStim``, so the config's ``mechanisms_dir`` holds
BMTK's ``vecevent.mod`` compiled (cached by content).

``write_allen_nwb`` writes sweeps in the layout of the Allen Cell Types NWB (version 1) files
that BMTK's NWB current clamp reads: ``/stimulus/presentation/Sweep_<n>`` with ``data`` (A)
and ``starting_time`` (rate in Hz), linked from ``/epochs/Sweep_<n>/stimulus/timeseries``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from bmtk_reference.gap_model import EXC, HH_FIT, MORPHOLOGIES, MORPHOLOGY
from cantata.build import NetworkBuilder
from cantata.mechanisms import compile_mechanisms
from cantata.sonata.spikes import SpikeTrains

#: (source, target, syn_weight uS, afferent_section_id, afferent_section_pos, delay ms)
RECURRENT = (
    (0, 1, 0.05, 0, 0.5, 2.0),
    (0, 2, 0.05, 10, 0.3, 1.5),
    (1, 2, 0.04, 0, 0.5, 3.0),
    (2, 0, 0.03, 85, 0.6, 2.5),
    (1, 0, 0.02, 0, 0.5, 1.0),
)
NAMES = ("A", "B", "C")
#: Input spikes of the two virtual nodes (ms)
INPUT_SPIKES = {0: [15.0, 62.5, 117.3, 170.0], 1: [33.3, 95.0, 150.2]}
SAMPLE_RATE = 200_000.0  # Hz, as the Allen Cell Types recordings


@dataclass
class InputsModel:
    """Where the model was written."""

    root: Path
    config: Path
    tstop: float
    dt: float


def designed_stimulus(duration_ms: float, rate: float = SAMPLE_RATE, seed: int = 3) -> np.ndarray:
    """A stimulus in A: a test pulse, a step, a ramp, a chirp and a noise segment, 0 at the end."""
    t = np.arange(int(round(duration_ms * rate / 1000.0))) / rate * 1000.0  # ms
    amps = np.zeros_like(t)
    amps[(t >= 5.0) & (t < 15.0)] = -0.05
    amps[(t >= 30.0) & (t < 50.0)] = 0.6
    ramp = (t >= 60.0) & (t < 110.0)
    amps[ramp] = 0.9 * (t[ramp] - 60.0) / 50.0
    chirp = (t >= 120.0) & (t < 170.0)
    amps[chirp] = 0.4 + 0.5 * np.sin(2 * np.pi * (0.02 + 0.004 * (t[chirp] - 120.0)) * (t[chirp] - 120.0))
    noise = (t >= 180.0) & (t < 230.0)
    amps[noise] = 0.3 + 0.2 * np.random.default_rng(seed).standard_normal(int(noise.sum()))
    amps[t >= duration_ms - 5.0] = 0.0
    return amps * 1e-9


def write_allen_nwb(path: Path, sweeps: Mapping[int, np.ndarray], rate: float = SAMPLE_RATE) -> Path:
    """An NWB 1 file in the Allen Cell Types layout with stimulus ``sweeps`` (A) sampled at ``rate``."""
    with h5py.File(path, "w") as f:
        f.create_dataset("nwb_version", data="NWB-1.0.5")
        presentation = f.create_group("stimulus/presentation")
        for number, data in sweeps.items():
            name = f"Sweep_{number}"
            series = presentation.create_group(name)
            series.attrs["ancestry"] = np.array([b"TimeSeries", b"PatchClampSeries", b"CurrentClampStimulusSeries"])
            values = series.create_dataset("data", data=np.asarray(data, dtype=np.float32))
            values.attrs.update({"unit": "Amps", "conversion": 1.0, "resolution": np.nan})
            start = series.create_dataset("starting_time", data=0.0)
            start.attrs.update({"rate": rate, "unit": "Seconds"})
            series.create_dataset("num_samples", data=len(data))
            epoch = f.create_group(f"epochs/{name}")
            epoch.create_dataset("start_time", data=0.0)
            epoch.create_dataset("stop_time", data=len(data) / rate)
            epoch.create_group("stimulus")
            epoch["stimulus/timeseries"] = h5py.SoftLink(f"/stimulus/presentation/{name}")
            epoch.create_dataset("stimulus/idx_start", data=0)
            epoch.create_dataset("stimulus/count", data=len(data))
    return path


def write_vecevent_mechanisms(folder: Path, vecevent_mod: Path) -> Path:
    """``folder/modfiles/vecevent.mod`` compiled (cached by content), ``folder/x86_64`` linked."""
    src = folder / "modfiles"
    src.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(vecevent_mod, src / "vecevent.mod")
    build = compile_mechanisms(src)
    link = folder / "x86_64"
    if not link.exists():
        link.symlink_to(build / "x86_64", target_is_directory=True)
    return build


def write_inputs_model(root: Path, testdata: Path, vecevent_mod: Path | None, *, recurrent_in_network: bool = True,
                       virtual_inputs: bool = True, inputs: dict[str, Any] | None = None, tstop: float = 200.0,
                       dt: float = 0.025) -> InputsModel:
    """Write the network (cortex, inputs, recurrent edges in ``network/cortex_cortex_edges.h5``),
    the input spike file and a BioNet config with ``inputs``. ``recurrent_in_network`` lists the
    recurrent edges in ``networks.edges`` (a replay run leaves them out). Without
    ``vecevent_mod`` (Cantata-only runs) the config has no ``mechanisms_dir``."""
    root = Path(root)
    net_dir, comps = root / "network", root / "components"
    for d in (net_dir, comps / "bio", comps / "syn"):
        d.mkdir(parents=True, exist_ok=True)
    (comps / "bio" / "hh_fit.json").write_text(json.dumps(HH_FIT))
    (comps / "syn" / "exc.json").write_text(json.dumps(EXC))
    if vecevent_mod is not None:
        write_vecevent_mechanisms(root / "mechanisms", vecevent_mod)

    cortex = NetworkBuilder("cortex", seed=1)
    for i, name in enumerate(NAMES):
        cortex.add_nodes(N=1, cell_index=i, pop_name=name, model_type="biophysical",
                         model_template="ctdb:Biophys1.hoc", model_processing="aibs_perisomatic",
                         morphology=MORPHOLOGY, dynamics_params="hh_fit.json", x=40.0 * i, y=0.0, z=0.0)
    for src, trg, weight, sec, pos, delay in RECURRENT:
        cm = cortex.add_edges(source={"cell_index": src}, target={"cell_index": trg}, connection_rule=1,
                              syn_weight=weight, delay=delay, model_template="exp2syn", dynamics_params="exc.json")
        cm.add_properties(["afferent_section_id", "afferent_section_pos"],
                          rule=lambda s, t, sec=sec, pos=pos: (sec, pos), dtypes=[np.int64, float])
    cortex.save(net_dir, overwrite=True)

    virtual = NetworkBuilder("inputs", seed=1)
    virtual.add_nodes(N=len(INPUT_SPIKES), pop_name="tON", model_type="virtual")
    cm = virtual.add_edges(source=virtual.nodes(), target=cortex.nodes(), connection_rule=1, syn_weight=0.004,
                           delay=1.0, model_template="exp2syn", dynamics_params="exc.json")
    cm.add_properties(["afferent_section_id", "afferent_section_pos"], rule=lambda s, t: (0, 0.5),
                      dtypes=[np.int64, float])
    virtual.save(net_dir, overwrite=True)
    ids = np.concatenate([np.full(len(v), k) for k, v in INPUT_SPIKES.items()])
    times = np.concatenate([np.asarray(v) for v in INPUT_SPIKES.values()])
    SpikeTrains.from_arrays(ids, times, "inputs").write_h5(root / "input_spikes.h5", overwrite=True)

    nodes = [{"nodes_file": "$NET/cortex_nodes.h5", "node_types_file": "$NET/cortex_node_types.csv"}]
    edges = []
    if recurrent_in_network:
        edges.append({"edges_file": "$NET/cortex_cortex_edges.h5", "edge_types_file": "$NET/cortex_cortex_edge_types.csv"})
    all_inputs: dict[str, Any] = {}
    if virtual_inputs:
        nodes.append({"nodes_file": "$NET/inputs_nodes.h5", "node_types_file": "$NET/inputs_node_types.csv"})
        edges.append({"edges_file": "$NET/inputs_cortex_edges.h5", "edge_types_file": "$NET/inputs_cortex_edge_types.csv"})
        all_inputs["lgn"] = {"input_type": "spikes", "module": "sonata", "input_file": "$BASE/input_spikes.h5",
                             "node_set": "inputs"}
    all_inputs.update(inputs or {})
    config: dict[str, Any] = {
        "manifest": {"$BASE": "${configdir}", "$NET": "$BASE/network"},
        "target_simulator": "NEURON",
        "run": {"tstop": tstop, "dt": dt, "dL": 20.0, "spike_threshold": -15.0, "nsteps_block": 2000},
        "conditions": {"celsius": 6.3, "v_init": -65.0},
        "components": {"morphologies_dir": str(Path(testdata) / MORPHOLOGIES),
                       "biophysical_neuron_models_dir": "$BASE/components/bio",
                       "synaptic_models_dir": "$BASE/components/syn"},
        "networks": {"nodes": nodes, "edges": edges},
        "node_sets": {"cells": {"population": "cortex"}},
        "inputs": all_inputs,
        "reports": {"soma_v": {"module": "membrane_report", "cells": "cells", "variable_name": "v",
                               "sections": "soma", "file_name": "soma_v.h5"}},
        "output": {"output_dir": "$BASE/output", "spikes_file": "spikes.h5", "log_file": "log.txt",
                   "log_to_console": False, "quiet_simulator": True},
    }
    if vecevent_mod is not None:
        config["components"]["mechanisms_dir"] = "$BASE/mechanisms"
    path = root / "config.json"
    path.write_text(json.dumps(config, indent=1))
    return InputsModel(root, path, tstop, dt)


def with_inputs(model: InputsModel, name: str, inputs: dict[str, Any]) -> Path:
    """A copy of the model's config (``<name>.json`` beside it) with other ``inputs``."""
    config = json.loads(model.config.read_text())
    config["inputs"] = {**{k: v for k, v in config["inputs"].items() if k == "lgn"}, **inputs}
    path = model.config.with_name(f"{name}.json")
    path.write_text(json.dumps(config, indent=1))
    return path
