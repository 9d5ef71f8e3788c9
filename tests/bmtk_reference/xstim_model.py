"""Small networks stimulated by BMTK's extracellular electrodes (``"module": "xstim"``).

Written for tests/test_neuron_xstim.py (imported by Cantata's interpreter only). Two or more
``ctdb:Biophys1.hoc`` / ``aibs_perisomatic`` cells (Scnn1a morphology, axon stub, NEURON's
built-in ``hh`` and ``pas`` from gap_model's fit files) at different places, one of them
rotated, and an ``inputs`` block with ``input_type: lfp``, ``module: xstim``. The positions
file is single-space separated (BMTK reads it with ``sep=' '``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bmtk_reference.gap_model import HH_FIT, MORPHOLOGIES, MORPHOLOGY, PASSIVE_FIT
from cantata.build import NetworkBuilder

SINE = {"shape": "sin", "del": 20.0, "dur": 100.0, "amp": 0.02, "freq": 50.0}
#: electrode (x, y, z, rotation_x, rotation_y, rotation_z, mesh rows or None)
ELECTRODES: tuple[tuple[float, float, float, float, float, float, Any], ...] = (
    (0.0, 60.0, 60.0, 0.0, 0.0, 0.0, None),
    (150.0, -80.0, 50.0, 0.3, 0.0, 1.0, [(-10.0, 0.0, 0.0), (10.0, 0.0, 0.0), (0.0, 10.0, 0.0), (0.0, -10.0, 5.0)]),
)


@dataclass
class XStimModel:
    """Where the model was written."""

    root: Path
    config: Path
    tstop: float
    dt: float


def write_positions(path: Path, electrodes: Sequence[tuple[Any, ...]]) -> Path:
    """BMTK's electrode positions csv (and one mesh csv per electrode that has mesh rows)."""
    with_mesh = any(e[6] is not None for e in electrodes)
    header = "ip pos_x pos_y pos_z rotation_x rotation_y rotation_z" + (" electrode_mesh_file" if with_mesh else "")
    lines = [header]
    for k, (x, y, z, rx, ry, rz, mesh) in enumerate(electrodes):
        row = f"{k} {x} {y} {z} {rx} {ry} {rz}"
        if with_mesh:
            name = f"mesh_{k}.csv"
            rows = mesh if mesh is not None else [(0.0, 0.0, 0.0)]
            (path.parent / name).write_text("x_pos y_pos z_pos\n" + "".join(f"{a} {b} {c}\n" for a, b, c in rows))
            row += f" {name}"
        lines.append(row)
    path.write_text("\n".join(lines) + "\n")
    return path


def write_xstim_model(root: Path, testdata: Path, *, places: Sequence[tuple[float, float, float, float]] = (
                          (0.0, 0.0, 0.0, 0.0), (120.0, -30.0, 10.0, 0.7)),
                      kinds: Sequence[str] | None = None, waveform: Any = None,
                      electrodes: Sequence[tuple[Any, ...]] = ELECTRODES, resistance: float = 300.0,
                      tstop: float = 150.0, dt: float = 0.025, node_set: str | None = None,
                      reports: dict[str, Any] | None = None) -> XStimModel:
    """Write cells at ``places`` = (x, y, z, rotation_angle_yaxis), kinds ``follower`` (HH) or
    ``passive``, and an xstim input; return the config."""
    root = Path(root)
    net_dir, comps = root / "network", root / "components"
    for d in (net_dir, comps / "bio", root / "stim"):
        d.mkdir(parents=True, exist_ok=True)
    (comps / "bio" / "hh_fit.json").write_text(json.dumps(HH_FIT))
    (comps / "bio" / "passive_fit.json").write_text(json.dumps(PASSIVE_FIT))
    kinds = list(kinds or ["follower"] * len(places))
    cortex = NetworkBuilder("cortex")
    for i, ((x, y, z, ry), kind) in enumerate(zip(places, kinds, strict=True)):
        cortex.add_nodes(N=1, cell_index=i, pop_name=kind, model_type="biophysical",
                         model_template="ctdb:Biophys1.hoc", model_processing="aibs_perisomatic",
                         morphology=MORPHOLOGY, dynamics_params="passive_fit.json" if kind == "passive" else "hh_fit.json",
                         x=x, y=y, z=z, rotation_angle_xaxis=0.0, rotation_angle_yaxis=ry, rotation_angle_zaxis=0.0)
    cortex.save(net_dir, overwrite=True)
    positions = write_positions(root / "stim" / "electrodes.csv", electrodes)
    block: dict[str, Any] = {"input_type": "lfp", "module": "xstim", "positions_file": str(positions),
                             "waveform": waveform if waveform is not None else SINE, "resistance": resistance}
    if node_set is not None:
        block["node_set"] = node_set
    config: dict[str, Any] = {
        "manifest": {"$BASE": "${configdir}", "$NET": "$BASE/network"},
        "target_simulator": "NEURON",
        "run": {"tstop": tstop, "dt": dt, "dL": 20.0, "spike_threshold": -15.0, "nsteps_block": 2000},
        "conditions": {"celsius": 6.3, "v_init": -65.0},
        "components": {"morphologies_dir": str(Path(testdata) / MORPHOLOGIES),
                       "biophysical_neuron_models_dir": "$BASE/components/bio"},
        "networks": {"nodes": [{"nodes_file": "$NET/cortex_nodes.h5", "node_types_file": "$NET/cortex_node_types.csv"}],
                     "edges": []},
        "node_sets": {"cells": {"population": "cortex"}, "first": {"population": "cortex", "cell_index": 0}},
        "inputs": {"xstim": block},
        "reports": reports if reports is not None else {
            "soma_v": {"module": "membrane_report", "cells": "cells", "variable_name": "v", "sections": "soma",
                       "file_name": "soma_v.h5"}},
        "output": {"output_dir": "$BASE/output", "spikes_file": "spikes.h5", "log_file": "log.txt",
                   "log_to_console": False, "quiet_simulator": True},
    }
    path = root / "config.json"
    path.write_text(json.dumps(config, indent=1))
    return XStimModel(root, path, tstop, dt)
