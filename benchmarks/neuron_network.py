"""The SONATA network of the NEURON benchmarks (scenario S3), written once and reused.

300 Allen Cell Types perisomatic cells (``ctdb:Biophys1.hoc`` + ``aibs_perisomatic`` + the
``*_fit.json`` and SWC files of ``shared/testdata``: 3 excitatory and 2 PV types), 30,000
recurrent edges and 6,000 edges from 100 virtual cells (Poisson, 15 Hz), one Exp2Syn synapse
per edge at a preset ``afferent_section_id``/``afferent_section_pos`` on the dendrites (so
every simulator places the synapses alike), 500 ms simulated at dt 0.1 ms. The channel
mechanisms are Cantata's Allen library, copied to ``components/mechanisms/modfiles`` (BMTK's
side compiles them with BMTK's own ``vecevent.mod`` into ``components/mechanisms_bmtk``).
Files: ``network/``, ``components/``, ``inputs/``, ``config.json`` (outputs to
``output_cantata``) and ``config_bmtk.json`` (``output_bmtk``).

    python -m benchmarks.neuron_network [--out DIR] [--force]
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from benchmarks.script_io import ensure_network, network_main

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = Path(__file__).resolve().parent / "work" / "neuron_300"
TESTDATA = REPO.parent / "shared" / "testdata" / "sonata-examples" / "shared_components"
#: node_type_id -> (count, ei, morphology, fit json)
CELL_TYPES = {
    100: (80, "e", "Scnn1a_473845048_m", "472363762_fit.json"),
    101: (80, "e", "Rorb_325404214_m", "473863510_fit.json"),
    102: (80, "e", "Nr5a1_471087815_m", "473863035_fit.json"),
    103: (30, "i", "Pvalb_470522102_m", "472912177_fit.json"),
    104: (30, "i", "Pvalb_469628681_m", "473862421_fit.json"),
}
N_VIRTUAL, INPUT_RATE_HZ = 100, 15.0
IN_DEGREE_RECURRENT, IN_DEGREE_INPUT = 100, 20
#: edge_type_id -> (source ei or "lgn", target ei, syn_weight uS, delay ms, synapse file)
EDGE_TYPES = {
    1: ("e", "e", 4e-5, 2.0, "AMPA_ExcToExc.json"),
    2: ("e", "i", 8e-5, 2.0, "AMPA_ExcToInh.json"),
    3: ("i", "e", 1.2e-4, 2.0, "GABA_InhToExc.json"),
    4: ("i", "i", 1.2e-4, 2.0, "GABA_InhToInh.json"),
    5: ("lgn", "e", 2e-3, 1.5, "AMPA_ExcToExc.json"),
    6: ("lgn", "i", 2.5e-3, 1.5, "AMPA_ExcToInh.json"),
}
TSTOP, DT = 500.0, 0.1
SEED = 20241124
_COUNT_SECTIONS = """
import json, sys
from neuron import h
h.load_file('import3d.hoc')
out = {}
for path in sys.argv[1:]:
    reader = h.Import3d_SWC_read(); reader.quiet = 1; reader.input(path)
    class Holder: pass
    cell = Holder(); h.Import3d_GUI(reader, 0).instantiate(cell)
    names = [s.name().split('.')[-1].split('[')[0] for s in cell.all]
    out[path] = [n for n in names if n != 'axon']
print(json.dumps(out))
"""


def _dendrite_sections(morphologies: list[Path]) -> dict[str, np.ndarray]:
    """Per morphology: the section ids (BMTK numbering after the axon stub) of dend/apic."""
    proc = subprocess.run([sys.executable, "-c", _COUNT_SECTIONS, *map(str, morphologies)],
                          capture_output=True, text=True, check=True)
    kinds = json.loads(proc.stdout.strip().splitlines()[-1])
    return {Path(p).stem: np.flatnonzero(np.isin(k, ["dend", "apic"])) for p, k in kinds.items()}


def write(out: Path) -> dict:
    import pandas as pd

    from cantata.mechanisms import allen_mechanisms_dir
    from cantata.sonata.spikes import SpikeTrains
    from cantata.sonata.write import (
        EdgeTable,
        NodeTable,
        write_edges,
        write_nodes,
        write_types_csv,
    )

    rng = np.random.default_rng(SEED)
    net, comps, inputs = out / "network", out / "components", out / "inputs"
    mech = comps / "mechanisms"
    for folder in (net, comps / "biophysical_neuron_templates", comps / "synaptic_models",
                   comps / "morphologies", mech / "modfiles", inputs):
        folder.mkdir(parents=True, exist_ok=True)
    for _, _, morph, fit in CELL_TYPES.values():
        shutil.copy2(TESTDATA / "morphologies" / f"{morph}.swc", comps / "morphologies")
        shutil.copy2(TESTDATA / "biophysical_neuron_templates" / "json" / fit, comps / "biophysical_neuron_templates")
    for _, _, _, _, syn in EDGE_TYPES.values():
        shutil.copy2(TESTDATA / "synaptic_models" / syn, comps / "synaptic_models")
    for mod in allen_mechanisms_dir().glob("*.mod"):
        shutil.copy2(mod, mech / "modfiles")

    type_ids = np.concatenate([np.full(n, t) for t, (n, _, _, _) in CELL_TYPES.items()])
    n = type_ids.size
    ei = np.array([CELL_TYPES[t][1] for t in type_ids])
    write_nodes(net / "v1_nodes.h5", {"v1": NodeTable(node_type_id=type_ids, groups=[{
        "x": rng.uniform(-200, 200, n), "y": rng.uniform(-400, 0, n), "z": rng.uniform(-200, 200, n),
        "rotation_angle_yaxis": rng.uniform(0, 2 * np.pi, n)}])}, overwrite=True)
    write_types_csv(net / "v1_node_types.csv", pd.DataFrame({
        "node_type_id": list(CELL_TYPES), "ei": [v[1] for v in CELL_TYPES.values()],
        "model_type": "biophysical", "model_template": "ctdb:Biophys1.hoc",
        "model_processing": "aibs_perisomatic", "morphology": [v[2] for v in CELL_TYPES.values()],
        "dynamics_params": [v[3] for v in CELL_TYPES.values()]}), overwrite=True)
    write_nodes(net / "lgn_nodes.h5", {"lgn": NodeTable(node_type_id=np.full(N_VIRTUAL, 200), groups=[{}])},
                overwrite=True)
    write_types_csv(net / "lgn_node_types.csv", pd.DataFrame({
        "node_type_id": [200], "model_type": ["virtual"], "ei": ["e"]}), overwrite=True)

    dendrites = _dendrite_sections([comps / "morphologies" / f"{v[2]}.swc" for v in CELL_TYPES.values()])
    morph_of = np.array([CELL_TYPES[t][2] for t in type_ids])

    def edges(n_sources: int, degree: int, source_ei: np.ndarray | None) -> dict:
        trg = np.repeat(np.arange(n), degree)
        src = np.concatenate([rng.choice(n_sources, size=degree, replace=False) for _ in range(n)])
        sec = np.array([rng.choice(dendrites[morph_of[t]]) for t in trg])
        pos = np.round(rng.uniform(0.0, 1.0, trg.size), 4)
        key = ["lgn"] * trg.size if source_ei is None else source_ei[src]
        etype = np.array([next(k for k, v in EDGE_TYPES.items() if v[0] == s and v[1] == ei[t])
                          for s, t in zip(key, trg)])
        return {"src": src, "trg": trg, "type": etype, "sec": sec, "pos": pos}

    rec = edges(n, IN_DEGREE_RECURRENT, ei)
    inp = edges(N_VIRTUAL, IN_DEGREE_INPUT, None)
    for name, source, e, n_src in (("v1_v1", "v1", rec, n), ("lgn_v1", "lgn", inp, N_VIRTUAL)):
        write_edges(net / f"{name}_edges.h5", {f"{source}_to_v1": EdgeTable(
            source=source, target="v1", source_node_id=e["src"], target_node_id=e["trg"], edge_type_id=e["type"],
            attributes={"afferent_section_id": e["sec"], "afferent_section_pos": e["pos"]},
            n_source_nodes=n_src, n_target_nodes=n)}, overwrite=True)
        ids = [k for k, v in EDGE_TYPES.items() if (v[0] == "lgn") == (source == "lgn")]
        write_types_csv(net / f"{name}_edge_types.csv", pd.DataFrame({
            "edge_type_id": ids, "model_template": "exp2syn", "syn_weight": [EDGE_TYPES[k][2] for k in ids],
            "delay": [EDGE_TYPES[k][3] for k in ids], "dynamics_params": [EDGE_TYPES[k][4] for k in ids]}),
            overwrite=True)

    counts = rng.poisson(INPUT_RATE_HZ * TSTOP / 1000.0, N_VIRTUAL)
    spike_ids = np.repeat(np.arange(N_VIRTUAL), counts)
    spike_times = np.round(rng.uniform(0.0, TSTOP, spike_ids.size), 1)
    SpikeTrains.from_arrays(spike_ids, spike_times, "lgn").write_h5(inputs / "lgn_spikes.h5", overwrite=True)

    for name, output, mechanisms in (("config.json", "output_cantata", "mechanisms"),
                                     ("config_bmtk.json", "output_bmtk", "mechanisms_bmtk")):
        (out / name).write_text(json.dumps(_config(output, mechanisms), indent=2))
    info = {"out": str(out), "n_nodes": int(n + N_VIRTUAL), "n_cells": int(n),
            "n_edges": int(rec["src"].size + inp["src"].size), "n_input_spikes": int(spike_ids.size)}
    (out / "network.json").write_text(json.dumps(info) + "\n")
    return info


def _config(output: str, mechanisms: str) -> dict:
    return {
        "manifest": {"$BASE_DIR": "${configdir}", "$NETWORK_DIR": "$BASE_DIR/network",
                     "$COMPONENTS_DIR": "$BASE_DIR/components"},
        "target_simulator": "NEURON",
        "run": {"tstop": TSTOP, "dt": DT, "dL": 20.0, "spike_threshold": -15.0, "nsteps_block": 5000},
        "conditions": {"celsius": 34.0, "v_init": -80.0},
        "components": {"morphologies_dir": "$COMPONENTS_DIR/morphologies",
                       "synaptic_models_dir": "$COMPONENTS_DIR/synaptic_models",
                       "mechanisms_dir": f"$COMPONENTS_DIR/{mechanisms}",
                       "biophysical_neuron_models_dir": "$COMPONENTS_DIR/biophysical_neuron_templates"},
        "networks": {
            "nodes": [{"nodes_file": "$NETWORK_DIR/v1_nodes.h5", "node_types_file": "$NETWORK_DIR/v1_node_types.csv"},
                      {"nodes_file": "$NETWORK_DIR/lgn_nodes.h5", "node_types_file": "$NETWORK_DIR/lgn_node_types.csv"}],
            "edges": [{"edges_file": "$NETWORK_DIR/v1_v1_edges.h5", "edge_types_file": "$NETWORK_DIR/v1_v1_edge_types.csv"},
                      {"edges_file": "$NETWORK_DIR/lgn_v1_edges.h5",
                       "edge_types_file": "$NETWORK_DIR/lgn_v1_edge_types.csv"}]},
        "inputs": {"lgn_spikes": {"input_type": "spikes", "module": "sonata",
                                  "input_file": "$BASE_DIR/inputs/lgn_spikes.h5", "node_set": "lgn"}},
        "output": {"output_dir": f"$BASE_DIR/{output}", "log_file": "log.txt", "spikes_file": "spikes.h5",
                   "spikes_sort_order": "time", "overwrite_output_dir": True, "log_to_console": False},
    }


def ensure(out: Path = DEFAULT_OUT) -> dict:
    """The network's summary, writing the files first (in a child process) if needed."""
    return ensure_network(out, "benchmarks.neuron_network")


def main() -> None:
    network_main(__doc__, DEFAULT_OUT, write)


if __name__ == "__main__":
    main()
