"""A tiny biophysical network in the form BMTK's BioNet reads, built with ``cantata.build``.

Written for the BMTK reference checks (tests/test_bmtk_reference.py); imported by Cantata's
interpreter only. Two Allen Cell Types perisomatic cells of ``sonata-examples/5_cells_iclamp``
(NeuroML biophysics, SWC morphologies from ``shared_components``, ``aibs_perisomatic``), driven
by virtual inputs through ``Exp2Syn`` synapses at preset ``afferent_section_id`` /
``afferent_section_pos`` locations (one row per synapse), and connected to each other (exc -> inh
AMPA, inh -> exc GABA, also at preset locations).

The ``mechanisms_dir`` is laid out as BMTK's environments have it: ``modfiles/`` with the
ion channels (Cantata's Allen library) plus BMTK's ``vecevent.mod`` (BioNet's virtual cells are
``VecStim``s), and the ``x86_64/`` build beside it. Both simulators load that same build.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cantata.build import NetworkBuilder, vectorized
from cantata.mechanisms import allen_mechanisms_dir, compile_mechanisms, mod_files
from cantata.sonata.spikes import SpikeTrains

COMPONENTS = "sonata-examples/shared_components"
#: (pop_name, ei, Allen specimen id, morphology, number of dendritic sections after aibs_perisomatic)
CELLS = (
    ("Scnn1a", "e", "472363762", "Scnn1a_473845048_m", 119),
    ("PV1", "i", "472912177", "Pvalb_470522102_m", 36),
)
#: How the cells' biophysics are given: BMTK's two forms for Allen perisomatic models.
TEMPLATES = {
    "nml": ("nml", lambda specimen: {"model_template": f"nml:Cell_{specimen}.cell.nml"}),
    "fit_json": ("json", lambda specimen: {"model_template": "ctdb:Biophys1.hoc",
                                           "dynamics_params": f"{specimen}_fit.json"}),
}


@dataclass
class BioModel:
    """Where the model was written."""

    root: Path
    config: Path
    tstop: float
    dt: float


def _dendritic_sites(n_sections: dict[int, int]):
    """A vectorised property rule: a random dendritic section (ids 1..n, after the soma and
    before the two axon stubs in BMTK's numbering) and position, per synapse row."""
    def sites(edges: Any) -> tuple[np.ndarray, np.ndarray]:
        top = np.array([n_sections[int(t)] for t in edges.target_ids])  # two targets: tiny loop
        sec = 1 + np.floor(edges.rng.random(len(edges)) * top).astype(np.int64)
        return sec, np.round(edges.rng.uniform(0.05, 0.95, len(edges)), 3)
    return sites


def write_mechanisms(folder: Path, extra_mod_files: list[Path]) -> Path:
    """``folder/modfiles`` (Cantata's Allen channels + ``extra_mod_files``) compiled, with
    ``folder/x86_64`` linked to the build (cached by content, see docs/mechanisms.md)."""
    src = folder / "modfiles"
    src.mkdir(parents=True, exist_ok=True)
    for path in [*mod_files(allen_mechanisms_dir()), *extra_mod_files]:
        shutil.copyfile(path, src / Path(path).name)
    build = compile_mechanisms(src)
    link = folder / "x86_64"
    if not link.exists():
        link.symlink_to(build / "x86_64", target_is_directory=True)
    return build


def write_bionet_model(root: Path, testdata: Path, vecevent_mod: Path, *, biophysics: str = "nml",
                       tstop: float = 400.0, dt: float = 0.1, seed: int = 5, n_inputs: int = 8) -> BioModel:
    """Build and save the network, its mechanisms, an input spike file and a BioNet config.

    ``vecevent_mod`` is BMTK's ``vecevent.mod`` (from the installed bmtk package);
    ``biophysics`` is ``nml`` (NeuroML templates) or ``fit_json`` (``ctdb:Biophys1.hoc`` with
    the Allen ``*_fit.json`` files).
    """
    root = Path(root)
    net_dir = root / "network"
    net_dir.mkdir(parents=True, exist_ok=True)
    write_mechanisms(root / "mechanisms", [Path(vecevent_mod)])
    shared = Path(testdata) / COMPONENTS

    cortex = NetworkBuilder("cortex", seed=seed)
    models_dir, cell_model = TEMPLATES[biophysics]
    for pop_name, ei, specimen, morphology, _ in CELLS:
        cortex.add_nodes(N=1, pop_name=pop_name, ei=ei, model_type="biophysical", **cell_model(specimen),
                         model_processing="aibs_perisomatic", morphology=morphology)
    n_sections = {i: cell[4] for i, cell in enumerate(CELLS)}
    sites = vectorized(_dendritic_sites(n_sections))
    for src, trg, model, weight in (("e", "i", "AMPA_ExcToInh.json", 0.004), ("i", "e", "GABA_InhToExc.json", 0.006)):
        cm = cortex.add_edges(source={"ei": src}, target={"ei": trg}, connection_rule=4, syn_weight=weight,
                              delay=2.0, model_template="exp2syn", dynamics_params=model)
        cm.add_properties(["afferent_section_id", "afferent_section_pos"], rule=sites, dtypes=[np.int64, float])

    inputs = NetworkBuilder("inputs", seed=seed)
    inputs.add_nodes(N=n_inputs, pop_name="tON", model_type="virtual")
    for trg, model, weight in (("e", "AMPA_ExcToExc.json", 0.0015), ("i", "AMPA_ExcToInh.json", 0.001)):
        cm = inputs.add_edges(source=inputs.nodes(), target=cortex.nodes(ei=trg), connection_rule=3,
                              syn_weight=weight, delay=1.5, model_template="exp2syn", dynamics_params=model)
        cm.add_properties(["afferent_section_id", "afferent_section_pos"], rule=sites, dtypes=[np.int64, float])
    cortex.save(net_dir, overwrite=True)
    inputs.save(net_dir, overwrite=True)

    rng = np.random.default_rng(seed)
    times = np.round(rng.uniform(20.0, tstop - 20.0, n_inputs * 12), 1)
    SpikeTrains.from_arrays(rng.integers(0, n_inputs, times.size), times, "inputs").write_h5(
        root / "input_spikes.h5", overwrite=True)

    config: dict[str, Any] = {
        "manifest": {"$BASE": "${configdir}", "$NET": "$BASE/network", "$COMPONENTS": str(shared)},
        "target_simulator": "NEURON",
        "run": {"tstop": tstop, "dt": dt, "dL": 20.0, "spike_threshold": -15.0, "nsteps_block": 1000,
                "overwrite_output_dir": True},
        "conditions": {"celsius": 34.0, "v_init": -80.0},
        "components": {"morphologies_dir": "$COMPONENTS/morphologies",
                       "biophysical_neuron_models_dir": f"$COMPONENTS/biophysical_neuron_templates/{models_dir}",
                       "synaptic_models_dir": "$COMPONENTS/synaptic_models",
                       "mechanisms_dir": "$BASE/mechanisms"},
        "networks": {
            "nodes": [{"nodes_file": f"$NET/{name}_nodes.h5", "node_types_file": f"$NET/{name}_node_types.csv"}
                      for name in ("cortex", "inputs")],
            "edges": [{"edges_file": f"$NET/{src}_cortex_edges.h5", "edge_types_file": f"$NET/{src}_cortex_edge_types.csv"}
                      for src in ("cortex", "inputs")],
        },
        "node_sets": {"bio": {"population": "cortex"}, "pv": {"population": "cortex", "ei": "i"}},
        "inputs": {
            "lgn": {"input_type": "spikes", "module": "sonata", "input_file": "$BASE/input_spikes.h5",
                    "node_set": "inputs"},
            "step": {"input_type": "current_clamp", "module": "IClamp", "node_set": "pv", "amp": 0.12,
                     "delay": 150.0, "duration": 150.0},
        },
        "reports": {"soma_v": {"module": "membrane_report", "cells": "bio", "variable_name": "v",
                               "sections": "soma", "file_name": "soma_v.h5"}},
        "output": {"output_dir": "$BASE/output", "spikes_file": "spikes.h5", "log_file": "log.txt",
                   "log_to_console": False, "quiet_simulator": True},
    }
    path = root / "config.json"
    path.write_text(json.dumps(config, indent=2))
    return BioModel(root, path, tstop, dt)
