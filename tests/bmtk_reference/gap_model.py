"""Small gap-junction networks in the form BMTK's BioNet reads, built with ``cantata.build``.

Written for tests/test_neuron_gap_junctions.py (imported by Cantata's interpreter only). Cells
are ``ctdb:Biophys1.hoc`` with ``aibs_perisomatic`` (Scnn1a morphology, axon stub) and fit
files that use only NEURON's built-in ``hh`` and ``pas``: ``driven`` (HH soma, an IClamp),
``follower`` (HH soma) and ``passive`` (``pas`` only). Gap junctions are edges of the ``cortex``
population marked ``is_gap_junction=True`` in their edge type, conductance ``syn_weight`` (uS).

For BMTK the config also lists what BioNet needs besides the edges: its gap-junction id file
(``networks.gap_juncs``: ``cortex_gap_juncs.h5``, written by the builder's ``save``) and a
mechanisms folder with a ``Gap`` point process
(``i = g (v - vgap)``, the interface BioNet's gap junctions use), compiled once by content.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cantata.build import NetworkBuilder
from cantata.mechanisms import compile_mechanisms

MORPHOLOGIES = "sonata-examples/shared_components/morphologies"
MORPHOLOGY = "Scnn1a_473845048_m"

#: BioNet's gap junctions insert ``h.Gap`` and connect its ``vgap``; this is that interface.
BMTK_GAP_MOD = """\
NEURON {
    POINT_PROCESS Gap
    NONSPECIFIC_CURRENT i
    RANGE g, i, vgap
}
PARAMETER { g = 0 (microsiemens) }
ASSIGNED {
    v (millivolt)
    vgap (millivolt)
    i (nanoamp)
}
BREAKPOINT { i = g * (v - vgap) }
"""


def _passive(cm_dend: float) -> dict[str, Any]:
    return {"ra": 100.0, "e_pas": -65.0,
            "cm": [{"section": s, "cm": c} for s, c in (("soma", 1.0), ("axon", 1.0), ("dend", cm_dend),
                                                         ("apic", cm_dend))]}


HH_FIT = {
    "passive": [_passive(2.0)],
    "genome": [
        {"section": "soma", "name": "gnabar_hh", "value": 0.12, "mechanism": "hh"},
        {"section": "soma", "name": "gkbar_hh", "value": 0.036, "mechanism": "hh"},
        {"section": "soma", "name": "gl_hh", "value": 0.0003, "mechanism": "hh"},
        {"section": "soma", "name": "el_hh", "value": -54.3, "mechanism": "hh"},
        {"section": "soma", "name": "g_pas", "value": 1e-6, "mechanism": ""},
        {"section": "axon", "name": "g_pas", "value": 1e-4, "mechanism": ""},
        {"section": "dend", "name": "g_pas", "value": 5e-5, "mechanism": ""},
        {"section": "apic", "name": "g_pas", "value": 5e-5, "mechanism": ""},
    ],
    "conditions": [{"celsius": 6.3, "v_init": -65.0, "erev": [{"section": "soma", "ena": 50.0, "ek": -77.0}]}],
}
PASSIVE_FIT = {
    "passive": [_passive(1.0)],
    "genome": [{"section": s, "name": "g_pas", "value": 1e-4, "mechanism": ""} for s in ("soma", "axon", "dend", "apic")],
    "conditions": [{"celsius": 6.3, "v_init": -65.0, "erev": []}],
}
PULSES = {"amp": [2.0] * 5, "delay": [20.0, 40.0, 60.0, 80.0, 100.0], "duration": [2.0] * 5}
EXC = {"level_of_detail": "exp2syn", "tau1": 0.5, "tau2": 3.0, "erev": 0.0}


@dataclass
class GapModel:
    """Where the model was written."""

    root: Path
    config: Path
    tstop: float
    dt: float


def write_bmtk_gap_mechanisms(folder: Path) -> Path:
    """``folder/modfiles/gap.mod`` compiled (cached by content), ``folder/x86_64`` linked to it."""
    src = folder / "modfiles"
    src.mkdir(parents=True, exist_ok=True)
    (src / "gap.mod").write_text(BMTK_GAP_MOD)
    build = compile_mechanisms(src)
    link = folder / "x86_64"
    if not link.exists():
        link.symlink_to(build / "x86_64", target_is_directory=True)
    return build


def write_gap_model(root: Path, testdata: Path, *, cells: Sequence[str] = ("driven", "follower", "passive"),
                    gaps: Sequence[tuple[int, int, float]] = ((0, 1, 0.05), (1, 2, 0.02)),
                    chemical: bool = True, preset: dict[int, tuple[int, float]] | None = None,
                    clamp: dict[str, Any] | None = None, tstop: float = 150.0,
                    dt: float = 0.025, bmtk: bool = True, seed: int = 2,
                    reports: dict[str, Any] | None = None) -> GapModel:
    """Write a network of ``cells`` (kinds: ``driven``/``follower`` HH, ``passive``) with gap
    junctions ``gaps`` = (source index, target index, conductance uS).

    ``preset`` maps a gap's index in ``gaps`` to (afferent_section_id, afferent_section_pos);
    when given, every gap edge gets preset locations (those not in the map: soma 0, 0.5).
    ``chemical`` adds an Exp2Syn synapse from cell 0 onto the last cell (somatic). ``bmtk``
    writes BioNet's extra files too. The IClamp ``clamp`` (``amp`` nA, ``delay``, ``duration``
    ms: numbers or lists) drives cell 0; by default five 2 ms pulses of 2 nA, 20 ms apart.
    """
    root = Path(root)
    net_dir, comps = root / "network", root / "components"
    for d in (net_dir, comps / "bio", comps / "syn"):
        d.mkdir(parents=True, exist_ok=True)
    (comps / "bio" / "hh_fit.json").write_text(json.dumps(HH_FIT))
    (comps / "bio" / "passive_fit.json").write_text(json.dumps(PASSIVE_FIT))
    (comps / "syn" / "exc.json").write_text(json.dumps(EXC))

    cortex = NetworkBuilder("cortex", seed=seed)
    for i, kind in enumerate(cells):
        cortex.add_nodes(N=1, cell_index=i, pop_name=kind, model_type="biophysical",
                         model_template="ctdb:Biophys1.hoc", model_processing="aibs_perisomatic",
                         morphology=MORPHOLOGY, dynamics_params="passive_fit.json" if kind == "passive" else "hh_fit.json",
                         x=40.0 * i, y=0.0, z=0.0)
    for k, (a, b, g) in enumerate(gaps):
        props: dict[str, Any] = {"syn_weight": g, "is_gap_junction": True}
        if preset is None:
            props.update(target_sections=["somatic"], distance_range=[0.0, 300.0])
        cm = cortex.add_edges(source={"cell_index": a}, target={"cell_index": b}, connection_rule=1, **props)
        if preset is not None:
            sid, pos = preset.get(k, (0, 0.5))
            cm.add_properties(["afferent_section_id", "afferent_section_pos"],
                              rule=lambda s, t, sid=sid, pos=pos: (sid, pos), dtypes=[np.int64, float])
    if chemical:
        cm = cortex.add_edges(source={"cell_index": 0}, target={"cell_index": len(cells) - 1}, connection_rule=1,
                              syn_weight=0.004, delay=2.0, model_template="exp2syn", dynamics_params="exc.json",
                              target_sections=["somatic"], distance_range=[0.0, 300.0])
        if preset is not None:
            cm.add_properties(["afferent_section_id", "afferent_section_pos"], rule=lambda s, t: (0, 0.5),
                              dtypes=[np.int64, float])
    cortex.save(net_dir, overwrite=True)

    config: dict[str, Any] = {
        "manifest": {"$BASE": "${configdir}", "$NET": "$BASE/network"},
        "target_simulator": "NEURON",
        "run": {"tstop": tstop, "dt": dt, "dL": 20.0, "spike_threshold": -15.0, "nsteps_block": 2000,
                "random_seed": seed},
        "conditions": {"celsius": 6.3, "v_init": -65.0},
        "components": {"morphologies_dir": str(Path(testdata) / MORPHOLOGIES),
                       "biophysical_neuron_models_dir": "$BASE/components/bio",
                       "synaptic_models_dir": "$BASE/components/syn"},
        "networks": {"nodes": [{"nodes_file": "$NET/cortex_nodes.h5", "node_types_file": "$NET/cortex_node_types.csv"}],
                     "edges": [{"edges_file": "$NET/cortex_cortex_edges.h5",
                                "edge_types_file": "$NET/cortex_cortex_edge_types.csv"}]},
        "node_sets": {"cells": {"population": "cortex"}, "driven": {"population": "cortex", "cell_index": 0}},
        "inputs": {"step": {"input_type": "current_clamp", "module": "IClamp", "node_set": "driven",
                            **(clamp or PULSES)}},
        "reports": reports if reports is not None else {
            "soma_v": {"module": "membrane_report", "cells": "cells", "variable_name": "v", "sections": "soma",
                       "file_name": "soma_v.h5"}},
        "output": {"output_dir": "$BASE/output", "spikes_file": "spikes.h5", "log_file": "log.txt",
                   "log_to_console": False, "quiet_simulator": True},
    }
    if bmtk:
        write_bmtk_gap_mechanisms(root / "mechanisms")
        config["components"]["mechanisms_dir"] = "$BASE/mechanisms"
        config["networks"]["gap_juncs"] = [{"gap_juncs_file": "$NET/cortex_gap_juncs.h5"}]
    path = root / "config.json"
    path.write_text(json.dumps(config, indent=1))
    return GapModel(root, path, tstop, dt)
