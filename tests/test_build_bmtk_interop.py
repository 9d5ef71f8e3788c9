"""Against BMTK itself (run in the peers environment ``.venv-peers`` when it exists):
BMTK reads networks Cantata built, and the same per-pair-rule script gives the same network
under both builders."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest
from test_build_save import _cortex_thalamus

PEERS_PYTHON = Path(__file__).resolve().parents[1] / ".venv-peers" / "bin" / "python"

SCRIPT = textwrap.dedent("""
    import numpy as np
    from bmtk.builder import NetworkBuilder

    def rule(source, target, p):
        if source.node_id == target.node_id:
            return 0
        d = np.linalg.norm(np.asarray(source['positions']) - np.asarray(target['positions']))
        return np.random.randint(1, 4) if np.random.random() < p * np.exp(-d / 100.0) else 0

    np.random.seed(5)
    net = NetworkBuilder('v1')
    net.add_nodes(N=150, pop_name='exc', model_type='point_neuron', positions=np.random.uniform(0, 200, (150, 3)))
    net.add_nodes(N=50, pop_name='inh', model_type='point_neuron', positions=np.random.uniform(0, 200, (50, 3)))
    net.add_edges(source={'pop_name': 'exc'}, target=net.nodes(), connection_rule=rule,
                  connection_params={'p': 0.5}, syn_weight=2.0, delay=1.5)
    cm = net.add_edges(source={'pop_name': 'inh'}, target={'pop_name': 'exc'}, connection_rule=rule,
                       connection_params={'p': 0.8}, delay=1.0)
    cm.add_properties('syn_weight', rule=lambda s, t: -np.random.uniform(1, 2), dtypes=float)
    net.build()
    net.save(output_dir=OUT)
""")

READER = textwrap.dedent("""
    import json, sys
    from bmtk.utils.sonata import File
    d = sys.argv[1] + '/'
    names = ['cortex_nodes.h5', 'thalamus_nodes.h5', 'cortex_cortex_edges.h5', 'thalamus_cortex_edges.h5']
    types = ['cortex_node_types.csv', 'thalamus_node_types.csv', 'cortex_cortex_edge_types.csv',
             'thalamus_cortex_edge_types.csv']
    f = File(data_files=[d + n for n in names], data_type_files=[d + n for n in types])
    cortex = f.nodes['cortex']
    inh = list(f.edges['cortex_to_cortex'].get_target(45))
    thal = list(f.edges['thalamus_to_cortex'].get_target(0))
    print(json.dumps({
        'populations': sorted(f.nodes.population_names) + sorted(f.edges.population_names),
        'n_cortex': len(cortex), 'model_type_0': cortex.get_node_id(0)['model_type'],
        'x_0': float(cortex.get_node_id(0)['x']),
        'inh_rows': len(inh), 'inh_nsyns': [int(e['nsyns']) for e in inh],
        'inh_dynamics': inh[0]['dynamics_params'],
        'thal_rows': len(thal), 'thal_sections': thal[0]['target_sections'],
        'thal_weight': float(thal[0]['syn_weight'])}))
""")

pytestmark = pytest.mark.skipif(not PEERS_PYTHON.exists(), reason="no .venv-peers environment with BMTK")


def _peers(code: str, *args: str) -> str:
    proc = subprocess.run([str(PEERS_PYTHON), "-c", code, *args], capture_output=True, text=True, timeout=300,
                          check=False)
    if proc.returncode != 0 and "No module named 'bmtk'" in proc.stderr:
        pytest.skip("BMTK is not installed in .venv-peers")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_bmtk_reads_cantata_networks(tmp_path):
    cortex, thalamus = _cortex_thalamus()
    cortex.save(tmp_path)
    thalamus.save(tmp_path)
    got = json.loads(_peers(READER, str(tmp_path)).strip().splitlines()[-1])
    assert got["populations"] == ["cortex", "thalamus", "cortex_to_cortex", "thalamus_to_cortex"]
    assert got["n_cortex"] == 50 and got["model_type_0"] == "biophysical"
    assert got["x_0"] == pytest.approx(float(cortex._store.column("positions")[0][0, 0]))
    assert got["inh_rows"] == 5 and got["inh_nsyns"] == [3] * 5 and got["inh_dynamics"] == "AMPA_ExcToInh.json"
    assert got["thal_rows"] == 20 and got["thal_weight"] == 5e-5
    assert got["thal_sections"] == "['basal', 'apical']"  # the text BMTK writes (BioNet parses it)


def test_same_script_same_network_as_bmtk(tmp_path):
    _peers(SCRIPT.replace("OUT", repr(str(tmp_path / "bmtk"))))
    ours = SCRIPT.replace("bmtk.builder", "cantata.build").replace("OUT", repr(str(tmp_path / "cantata")))
    exec(compile(ours, "build.py", "exec"), {})  # noqa: S102 - running a user's build script is the point
    with h5py.File(tmp_path / "bmtk" / "v1_v1_edges.h5") as a, h5py.File(tmp_path / "cantata" / "v1_v1_edges.h5") as b:
        rows = []
        for pop in (a["edges/v1_to_v1"], b["edges/v1_to_v1"]):
            src, trg = pop["source_node_id"][:], pop["target_node_id"][:]
            groups = pop["edge_group_id"][:]
            index = pop["edge_group_index"][:]
            weight = np.full(src.size, np.nan)
            nsyns = np.ones(src.size)
            for g in np.unique(groups):
                grp = pop[str(g)]
                sel = groups == g
                if "syn_weight" in grp:
                    weight[sel] = grp["syn_weight"][:][index[sel]]
                if "nsyns" in grp:
                    nsyns[sel] = grp["nsyns"][:][index[sel]]
            order = np.lexsort((weight, nsyns, src, trg))
            rows.append(np.stack([src[order], trg[order], nsyns[order]]))
            synapse_weights = np.sort(weight[~np.isnan(weight) & (weight < 0)])
            rows.append(synapse_weights)
    assert rows[0].shape[1] > 100
    assert np.array_equal(rows[0], rows[2])  # same pairs, same synapse counts, same row layout
    assert np.allclose(rows[1], rows[3])  # same per-synapse weights
