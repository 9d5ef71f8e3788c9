"""Allen perisomatic cells recorded by BMTK's extracellular report (``"module": "extracellular"``).

Written for tests/test_neuron_ecp_bmtk.py (imported by Cantata's interpreter only). Three
Allen Cell Types perisomatic cells (NeuroML biophysics from ``sonata-examples``, SWC
morphologies with the ``aibs_perisomatic`` axon stub) placed along the linear electrode of
``shared_components/recXelectrodes`` and rotated about all three axes, driven by current steps
and by virtual inputs through ``Exp2Syn`` synapses at preset sites. Two ``ecp`` reports: every
cell with BMTK's defaults (no minimum distance) and per-cell ``contributions_dir``, and two
cells with a ``minimum_distance`` of 5 um. The mechanisms folder is bionet_model's (Cantata's
Allen channels + BMTK's ``vecevent.mod``).

``config.json`` has both reports (Cantata's run). BMTK gets one ``ecp`` report per run
(``config_bmtk_all.json``, ``config_bmtk_near.json``): BMTK 1.2's ``BioCell.seg_coords`` rotates
the cell again on every access, so a second ecp report in the same run sees every rotated cell
rotated twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bmtk_reference.bionet_model import COMPONENTS, write_mechanisms
from cantata.build import NetworkBuilder, vectorized
from cantata.sonata.spikes import SpikeTrains

ELECTRODES = f"{COMPONENTS}/recXelectrodes/linear_electrode.csv"
#: pop_name, Allen specimen, morphology, dendritic sections after aibs_perisomatic, x y z, rotations x y z
CELLS = (
    ("Scnn1a", "472363762", "Scnn1a_473845048_m", 119, (0.0, -60.0, 0.0), (0.0, 0.0, 0.0)),
    ("Rorb", "473863510", "Rorb_325404214_m", 62, (40.0, -300.0, -25.0), (0.4, -1.1, 0.3)),
    ("PV1", "472912177", "Pvalb_470522102_m", 36, (-15.0, -560.0, 12.0), (-0.7, 2.2, -1.3)),
)
STEPS = {"amp": 0.25, "delay": 30.0, "duration": 60.0}


@dataclass
class EcpModel:
    """Where the model was written."""

    root: Path
    config: Path
    tstop: float
    dt: float


def _sites(n_sections: dict[int, int]) -> Any:
    """A random dendritic section (1..n: after the soma, before the two stub sections) and position."""
    def sites(edges: Any) -> tuple[np.ndarray, np.ndarray]:
        top = np.array([n_sections[int(t)] for t in edges.target_ids])
        sec = 1 + np.floor(edges.rng.random(len(edges)) * top).astype(np.int64)
        return sec, np.round(edges.rng.uniform(0.05, 0.95, len(edges)), 3)
    return sites


def write_ecp_model(root: Path, testdata: Path, vecevent_mod: Path, *, tstop: float = 120.0, dt: float = 0.025,
                    seed: int = 3, n_inputs: int = 6, nsteps_block: int = 1500) -> EcpModel:
    """Build and save the network, its mechanisms, an input spike file and the BioNet config."""
    root = Path(root)
    net_dir = root / "network"
    net_dir.mkdir(parents=True, exist_ok=True)
    write_mechanisms(root / "mechanisms", [Path(vecevent_mod)])
    shared = Path(testdata) / COMPONENTS

    cortex = NetworkBuilder("cortex", seed=seed)
    for pop_name, specimen, morphology, _, (x, y, z), (rx, ry, rz) in CELLS:
        cortex.add_nodes(N=1, pop_name=pop_name, model_type="biophysical", model_template=f"nml:Cell_{specimen}.cell.nml",
                         model_processing="aibs_perisomatic", morphology=morphology, x=x, y=y, z=z,
                         rotation_angle_xaxis=rx, rotation_angle_yaxis=ry, rotation_angle_zaxis=rz)
    cortex.save(net_dir, overwrite=True)
    inputs = NetworkBuilder("inputs", seed=seed)
    inputs.add_nodes(N=n_inputs, pop_name="tON", model_type="virtual")
    cm = inputs.add_edges(source=inputs.nodes(), target=cortex.nodes(), connection_rule=2, syn_weight=0.004,
                          delay=1.5, model_template="exp2syn", dynamics_params="AMPA_ExcToExc.json")
    cm.add_properties(["afferent_section_id", "afferent_section_pos"],
                      rule=vectorized(_sites({i: c[3] for i, c in enumerate(CELLS)})), dtypes=[np.int64, float])
    inputs.save(net_dir, overwrite=True)

    rng = np.random.default_rng(seed)
    times = np.round(rng.uniform(5.0, tstop - 5.0, n_inputs * 10), 1)
    SpikeTrains.from_arrays(rng.integers(0, n_inputs, times.size), times, "inputs").write_h5(
        root / "input_spikes.h5", overwrite=True)

    electrodes = str(Path(testdata) / ELECTRODES)
    config: dict[str, Any] = {
        "manifest": {"$BASE": "${configdir}", "$NET": "$BASE/network", "$COMPONENTS": str(shared)},
        "target_simulator": "NEURON",
        "run": {"tstop": tstop, "dt": dt, "dL": 20.0, "spike_threshold": -15.0, "nsteps_block": nsteps_block},
        "conditions": {"celsius": 34.0, "v_init": -80.0},
        "components": {"morphologies_dir": "$COMPONENTS/morphologies",
                       "biophysical_neuron_models_dir": "$COMPONENTS/biophysical_neuron_templates/nml",
                       "synaptic_models_dir": "$COMPONENTS/synaptic_models",
                       "mechanisms_dir": "$BASE/mechanisms"},
        "networks": {
            "nodes": [{"nodes_file": f"$NET/{name}_nodes.h5", "node_types_file": f"$NET/{name}_node_types.csv"}
                      for name in ("cortex", "inputs")],
            "edges": [{"edges_file": "$NET/inputs_cortex_edges.h5", "edge_types_file": "$NET/inputs_cortex_edge_types.csv"}],
        },
        "node_sets": {"bio": {"population": "cortex"}, "pair": {"population": "cortex", "node_id": [1, 2]},
                      "first": {"population": "cortex", "node_id": [0]}, "third": {"population": "cortex", "node_id": [2]}},
        "inputs": {
            "lgn": {"input_type": "spikes", "module": "sonata", "input_file": "$BASE/input_spikes.h5", "node_set": "inputs"},
            "step0": {"input_type": "current_clamp", "module": "IClamp", "node_set": "first", **STEPS},
            "step2": {"input_type": "current_clamp", "module": "IClamp", "node_set": "third",
                      "amp": 0.3, "delay": 50.0, "duration": 50.0},
        },
        "reports": {
            "ecp": {"module": "extracellular", "cells": "bio", "variable_name": "v", "electrode_positions": electrodes,
                    "file_name": "ecp.h5", "electrode_channels": "all", "contributions_dir": "ecp_contributions"},
            "ecp_near": {"module": "extracellular", "cells": "pair", "variable_name": "v",
                         "electrode_positions": electrodes, "file_name": "ecp_near.h5", "minimum_distance": 5.0},
            "soma_v": {"module": "membrane_report", "cells": "bio", "variable_name": "v", "sections": "soma",
                       "file_name": "soma_v.h5"},
        },
        "output": {"output_dir": "$BASE/output", "spikes_file": "spikes.h5", "log_file": "log.txt",
                   "log_to_console": False, "quiet_simulator": True},
    }
    path = root / "config.json"
    path.write_text(json.dumps(config, indent=2))
    reports = config["reports"]
    for name, keep in (("all", ("ecp", "soma_v")), ("near", ("ecp_near",))):
        config["reports"] = {k: reports[k] for k in keep}
        (root / f"config_bmtk_{name}.json").write_text(json.dumps(config, indent=2))
    return EcpModel(root, path, tstop, dt)
