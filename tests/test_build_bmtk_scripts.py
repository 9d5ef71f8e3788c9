"""A BMTK build script runs with its imports switched from ``bmtk.builder`` to ``cantata.build``."""

from __future__ import annotations

import textwrap

import numpy as np

from cantata.sonata.circuit import Circuit

BMTK_SCRIPT = textwrap.dedent("""
    import numpy as np
    from bmtk.builder import NetworkBuilder
    from bmtk.builder.auxi.node_params import positions_columinar, xiter_random
    from bmtk.builder.auxi.edge_connectors import distance_connector

    np.random.seed(10)
    cortex = NetworkBuilder('mcortex')
    cortex.add_nodes(N=20, pop_name='Scnn1a',
                     positions=positions_columinar(N=20, center=[0, 50.0, 0], max_radius=30.0, height=100.0),
                     rotation_angle_yaxis=xiter_random(N=20, min_x=0.0, max_x=2 * np.pi),
                     rotation_angle_zaxis=3.646878266, potental='exc', model_type='biophysical',
                     model_template='ctdb:Biophys1.hoc', model_processing='aibs_perisomatic',
                     dynamics_params='472363762_fit.json', morphology='Scnn1a_473845048_m.swc')
    cortex.add_nodes(N=5, pop_name='LIF_inh',
                     positions=positions_columinar(N=5, center=[0, 50.0, 0], max_radius=30.0, height=100.0),
                     potental='inh', model_type='point_process', model_template='nrn:IntFire1',
                     dynamics_params='IntFire1_inh_1.json')

    cortex.add_edges(source={'potental': 'exc'}, target={'pop_name': 'LIF_inh'},
                     connection_rule=distance_connector,
                     connection_params={'d_weight_min': 0.0, 'd_weight_max': 0.34, 'd_max': 300.0,
                                        'nsyn_min': 3, 'nsyn_max': 7},
                     syn_weight=5e-05, weight_function='wmax', delay=2.0,
                     dynamics_params='instanteneousExc.json', model_template='exp2syn')

    def recurrent(source, target, p):
        if source.node_id == target.node_id:
            return 0
        return 2 if np.random.random() < p else 0

    cm = cortex.add_edges(source={'potental': 'inh'}, target={'potental': 'exc'},
                          connection_rule=recurrent, connection_params={'p': 0.5},
                          delay=2.0, dynamics_params='GABA_InhToExc.json', model_template='exp2syn',
                          target_sections=['somatic', 'basal'], distance_range=[0.0, 1e20])
    cm.add_properties('syn_weight', rule=lambda src, trg: np.random.uniform(1e-4, 2e-4), dtypes=float)

    cortex.build()
    cortex.save_nodes(output_dir='network')
    cortex.save_edges(output_dir='network')

    thalamus = NetworkBuilder('mthalamus')
    thalamus.add_nodes(N=10, pop_name='tON', potential='exc', model_type='virtual')
    thalamus.add_edges(source={'pop_name': 'tON'}, target=cortex.nodes(),
                       connection_rule=5, syn_weight=0.001, delay=2.0, weight_function=None,
                       target_sections=['basal', 'apical'], distance_range=[0.0, 150.0],
                       dynamics_params='AMPA_ExcToExc.json', model_template='exp2syn')
    thalamus.build()
    thalamus.save_nodes(output_dir='network')
    thalamus.save_edges(output_dir='network')
""")


def test_bmtk_script_runs_with_only_imports_changed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    script = BMTK_SCRIPT.replace("bmtk.builder", "cantata.build")
    exec(compile(script, "build_network.py", "exec"), {})  # noqa: S102 - running a user's build script is the point
    out = tmp_path / "network"
    assert sorted(p.name for p in out.iterdir()) == [
        "mcortex_mcortex_edge_types.csv", "mcortex_mcortex_edges.h5", "mcortex_node_types.csv",
        "mcortex_nodes.h5", "mthalamus_mcortex_edge_types.csv", "mthalamus_mcortex_edges.h5",
        "mthalamus_node_types.csv", "mthalamus_nodes.h5"]
    with Circuit.from_files(
            nodes=[(out / "mcortex_nodes.h5", out / "mcortex_node_types.csv")],
            edges=[(out / "mcortex_mcortex_edges.h5", out / "mcortex_mcortex_edge_types.csv"),
                   (out / "mthalamus_mcortex_edges.h5", out / "mthalamus_mcortex_edge_types.csv")]) as c:
        nodes = c.nodes["mcortex"]
        assert nodes.size == 25
        assert nodes.get_attribute("model_type").tolist() == ["biophysical"] * 20 + ["point_process"] * 5
        rot = nodes.get_attribute("rotation_angle_yaxis")
        assert rot[:20].max() <= 2 * np.pi and np.all(rot[20:] == 0)
        assert np.all(nodes.get_attribute("rotation_angle_zaxis")[:20] == 3.646878266)
        recurrent = c.edges["mcortex_to_mcortex"]
        nsyns = recurrent.get_attribute("nsyns")
        type_ids = recurrent.edge_type_ids()
        assert set(np.unique(type_ids).tolist()) == set(c.edges["mcortex_to_mcortex"].types["edge_type_id"])
        first = int(recurrent.types["edge_type_id"].iloc[0])
        assert nsyns[type_ids == first].min() >= 3  # distance_connector: 3..7 synapses per pair row
        assert np.all(nsyns[type_ids != first] == 1)  # add_properties: one row per synapse
        thal = c.edges["mthalamus_to_mcortex"]
        assert thal.size == 10 * 25 and np.all(thal.get_attribute("nsyns") == 5)
        assert thal.get_attribute("target_sections")[0] == "['basal', 'apical']"
