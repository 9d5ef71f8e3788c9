"""SONATA config loading: real Allen/BBP configs, manifests, merging, paths, errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cantata.errors import ConfigError
from cantata.sonata.config import SonataConfig, is_path_key, load_config

EXAMPLES = "sonata-examples"
SNAP = "format/bluepysnap_tests_data/data"
LIBSONATA = "format/libsonata_tests_data/data"
USECASES = "format/bbp_sonata_usecases/usecases"


def write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


# ---------------------------------------------------------------------------------------------
# real files


def test_allen_split_config_300_intfire(testdata: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # relative paths must not depend on the working directory
    folder = testdata / EXAMPLES / "300_intfire"
    cfg = load_config(folder / "config.json")
    assert cfg.path == folder / "config.json" and cfg.base_dir == folder
    assert [e["nodes_file"] for e in cfg.nodes] == [
        str(folder / "network" / f"{n}_nodes.h5") for n in ("v1", "lgn", "tw")
    ]
    assert all(Path(e["node_types_file"]).is_file() for e in cfg.nodes)
    assert all(Path(e["edges_file"]).is_file() and e["populations"] == {} for e in cfg.edges)
    assert cfg.components["morphologies_dir"] == str(testdata / EXAMPLES / "shared_components" / "morphologies")
    assert cfg.run["tstop"] == 3000.0 and cfg.conditions["celsius"] == 34.0
    assert cfg.target_simulator == "NEURON"
    assert cfg.inputs["LGN_spikes"]["input_file"] == str(folder / "inputs" / "lgn_spikes.h5")
    assert Path(cfg.inputs["TW_spikes"]["input_file"]).is_file()
    assert cfg.output["output_dir"] == str(folder / "output")
    assert cfg.output_path("spikes_file") == folder / "output" / "spikes.h5"
    assert cfg.output["log_file"] == str(folder / "output" / "log.txt")
    assert cfg.node_sets == {"LGN": {"population": "lgn"}, "TW": {"population": "tw"}}
    assert cfg.reports == {}
    assert set(cfg.sources) == {folder / n for n in ("config.json", "circuit_config.json", "simulation_config.json")}


def test_simulation_config_alone_finds_circuit_config_beside_it(testdata: Path) -> None:
    # 300_intfire/simulation_config.json has no "network": the BBP default circuit_config.json applies
    folder = testdata / EXAMPLES / "300_intfire"
    alone = load_config(folder / "simulation_config.json")
    both = load_config(folder / "config.json")
    assert alone.nodes == both.nodes and alone.edges == both.edges


def test_allen_5_cells_split_and_network_key_agree(testdata: Path) -> None:
    folder = testdata / EXAMPLES / "5_cells_iclamp"
    top = load_config(folder / "config.json")
    sim = load_config(folder / "simulation_config.json")  # names the circuit via "network"
    assert top.to_dict() == sim.to_dict()
    assert sim["network"] == str(folder / "circuit_config.json")
    assert sim.nodes[0]["nodes_file"] == str(folder / "network" / "biophysical_nodes.h5")
    reports = sim.reports
    assert reports["membrane_potential"]["file_name"] == str(folder / "output" / "membrane_potential.h5")
    assert sim.output_path("ecp") == folder / "output" / "ecp.h5"
    assert Path(reports["ecp"]["electrode_positions"]).is_file()
    assert [i["amp"] for i in sim.inputs.values()] == [0.15, 0.175, 0.2]
    assert sim.node_sets == {"biophys_cells": {"model_type": "biophysical"}}


def test_bluepysnap_simulation_config(testdata: Path) -> None:
    folder = testdata / SNAP
    cfg = load_config(folder / "simulation_config.json")
    assert cfg.target_simulator == "CORENEURON"
    (nodes,) = cfg.nodes
    assert nodes["nodes_file"] == str(folder / "nodes.h5") and nodes["node_types_file"] is None
    assert nodes["populations"]["default2"]["spatial_segment_index_dir"] == str(folder / "path/to/node/dir")
    assert cfg.edges[0]["populations"]["default2"]["spatial_synapse_index_dir"] == str(folder / "path/to/edge/dir")
    # circuit node sets first, then the simulation's file overrides same names
    sets = cfg.node_sets
    assert sets["Layer2"] == {"layer": 2} and sets["only_exists_in_simulation"] == {"node_id": [0, 2]}
    assert cfg.node_set_sources["Layer2"] == str(folder / "node_sets.json")
    assert cfg.node_set_sources["Layer23"] == str(folder / "node_sets_simple.json")
    assert cfg["mechanisms_dir"] == os.path.normpath(folder / "../shared_components_mechanisms")
    assert cfg.inputs["spikes_1"]["spike_file"] == str(folder / "input_spikes.h5")
    out = folder / "reporting"
    assert cfg.output_dir == out and cfg.output_path("log_file") == out / "log_spikes.log"
    assert cfg.output_path("soma_report") == out / "soma_report.h5"  # ".h5" added as libsonata does
    assert cfg.reports["section_report"]["file_name"] == str(out / "compartment_named.h5")
    assert cfg.reports["lfp_report"]["file_name"] == str(out / "lfp_report.h5")


def test_libsonata_configs_agree_with_libsonata(testdata: Path) -> None:
    libsonata = pytest.importorskip("libsonata")
    folder = testdata / LIBSONATA / "config"
    ref = libsonata.CircuitConfig.from_file(str(folder / "circuit_config.json"))
    cfg = load_config(folder / "circuit_config.json")
    for name in ("nodes-A", "nodes-B"):
        props = ref.node_population_properties(name)
        mine = cfg.population_properties(name)
        assert mine["morphologies_dir"] == props.morphologies_dir
        assert mine.get("spatial_segment_index_dir", "") == props.spatial_segment_index_dir
    assert cfg.population_properties("edges-AC", "edges")["spine_morphologies_dir"] == str(
        folder / "spine_morphologies_dir_edges-AC"
    )
    assert cfg.nodes[0]["nodes_file"] == ref.node_population_properties("nodes-A").elements_path

    sim = load_config(folder / "simulation_config.json")  # no "network": circuit_config.json beside it
    assert sim.nodes == cfg.nodes
    assert "compartment" not in sim.reports and "soma" in sim.reports  # "enabled": false skipped
    assert sim.output_path("spikes_file") == folder / "some/path/output/out.h5"
    assert sim.run["electrodes_file"] == str(folder / "electrodes/electrode_weights.h5")
    assert sim["metadata"]["v_bool"] is False and sim.conditions["mechanisms"]["GluSynapse"]["property3"] == 0.025
    with pytest.raises(ConfigError, match="node_sets_file: file not found") as err:
        sim.node_sets  # this test circuit names a node sets file that does not exist
    assert str(folder / "circuit_config.json") in str(err.value)


@pytest.mark.parametrize("usecase", ["usecase1", "usecase2", "usecase3", "usecase4", "usecase5"])
def test_bbp_usecase_configs_agree_with_libsonata(testdata: Path, usecase: str) -> None:
    libsonata = pytest.importorskip("libsonata")
    folder = testdata / USECASES / usecase
    ref = libsonata.CircuitConfig.from_file(str(folder / "circuit_sonata.json"))
    cfg = load_config(folder / "circuit_sonata.json")
    populations = {n for e in cfg.nodes for n in e["populations"]}
    assert populations == set(ref.node_populations)
    assert {n for e in cfg.edges for n in e["populations"]} == set(ref.edge_populations)
    for name in populations:
        props = ref.node_population_properties(name)
        mine = cfg.population_properties(name)
        assert mine["type"] == props.type
        assert mine.get("morphologies_dir", "") == props.morphologies_dir
        assert mine.get("alternate_morphologies", {}) == props.alternate_morphology_formats
        (entry,) = [e for e in cfg.nodes if name in e["populations"]]
        assert entry["nodes_file"] == props.elements_path
    if usecase == "usecase5":
        return  # no simulation config in this use case
    sim = load_config(folder / "simulation_sonata.json")
    assert sim.output_path("spikes_file") == folder / "reporting" / "spikes.h5"
    assert set(sim.reports) == {"soma_report", "compartment_report"}


def test_usecase5_component_paths(testdata: Path) -> None:
    folder = testdata / USECASES / "usecase5"
    cfg = load_config(folder / "circuit_sonata.json")
    vasc = cfg.population_properties("vasculatureA")
    assert vasc["vasculature_mesh"] == str(folder.parent / "components/NGV/vasculature/vasculature_mesh.obj")
    assert cfg.population_properties("astrocyteA")["microdomains_file"] == str(
        folder / "microdomains/microdomains.h5"
    )
    assert cfg.population_properties("nodeA")["alternate_morphologies"]["neurolucida-asc"].endswith(
        "components/CircuitA/morphologies/asc"
    )


# ---------------------------------------------------------------------------------------------
# manifest variables


def test_manifest_forms_nesting_builtins_and_types(tmp_path: Path) -> None:
    path = write(tmp_path / "cfg" / "sim.json", {
        "manifest": {
            "$BASE": "${configdir}/base",
            "$OUT": "$BASE/out",
            "$TSTOP": 250.5,
            "$FLAG": True,
            "NOPREFIX": "np",
        },
        "run": {"tstop": "$TSTOP", "dt": "${TSTOP}", "label": "t=$TSTOP ms", "flag": "$FLAG"},
        "output": {"output_dir": "${OUT}"},
        "meta": {
            "name": "$configfname", "wd": "$workingdir", "d": "$date", "t": "$time", "dt": "$datetime",
            "np": "$NOPREFIX", "plain": "cost: 5$", "list": ["$OUT", 3],
        },
    })
    cfg = load_config(path)
    assert cfg.run == {"tstop": 250.5, "dt": 250.5, "label": "t=250.5 ms", "flag": True}
    assert cfg.output_dir == tmp_path / "cfg" / "base" / "out"
    meta = cfg["meta"]
    assert meta["name"] == "sim.json" and meta["wd"] == os.getcwd()
    assert len(meta["d"]) == 10 and len(meta["t"]) == 8 and meta["dt"] == f"{meta['d']}_{meta['t']}"
    assert meta["np"] == "np" and meta["plain"] == "cost: 5$"
    assert meta["list"] == [str(tmp_path / "cfg" / "base" / "out"), 3]


def test_user_variables_override_manifest(tmp_path: Path) -> None:
    path = write(tmp_path / "sim.json", {
        "manifest": {"$BASE": "./a", "$OUT": "$BASE/out"},
        "output": {"output_dir": "$OUT"},
        "run": {"tstop": "$T", "seed": "$SEED"},
    })
    cfg = load_config(path, BASE="/elsewhere", T=10.0, SEED=7)
    assert cfg.output_dir == Path("/elsewhere/out")
    assert cfg.run == {"tstop": 10.0, "seed": 7}


def test_manifest_cycle_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "sim.json", {"manifest": {"$A": "$B/x", "$B": "${A}/y"}, "run": {}})
    with pytest.raises(ConfigError, match=r"cycle: \$A -> \$B -> \$A") as err:
        load_config(path)
    assert str(path) in str(err.value) and "manifest.$A" in str(err.value)


def test_self_reference_is_a_cycle(tmp_path: Path) -> None:
    path = write(tmp_path / "sim.json", {"manifest": {"$A": "$A"}})
    with pytest.raises(ConfigError, match=r"cycle: \$A -> \$A"):
        load_config(path)


def test_unknown_variable_names_variable_file_and_key(tmp_path: Path) -> None:
    path = write(tmp_path / "sim.json", {"manifest": {"$A": "."}, "inputs": {"stim": {"input_file": "$NOPE/x.h5"}}})
    with pytest.raises(ConfigError) as err:
        load_config(path)
    text = str(err.value)
    assert "$NOPE" in text and str(path) in text and "inputs.stim.input_file" in text and "$A" in text


def test_unknown_variable_inside_manifest(tmp_path: Path) -> None:
    path = write(tmp_path / "sim.json", {"manifest": {"$A": "${MISSING}/x"}})
    with pytest.raises(ConfigError, match=r"manifest\.\$A: unknown manifest variable \$MISSING"):
        load_config(path)


def test_bad_manifest_shapes(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="manifest must be a JSON object"):
        load_config(write(tmp_path / "a.json", {"manifest": ["$A"]}))
    with pytest.raises(ConfigError, match="bad manifest variable name"):
        load_config(write(tmp_path / "b.json", {"manifest": {"$A-B": "x"}}))


def test_manifests_are_per_file(tmp_path: Path) -> None:
    write(tmp_path / "circuit.json", {
        "manifest": {"$NET": "./net"},
        "networks": {"nodes": [{"nodes_file": "$NET/n.h5", "node_types_file": "$NET/t.csv"}]},
    })
    ok = write(tmp_path / "sim" / "sim.json", {"network": "../circuit.json", "manifest": {"$NET": "./other"},
                                               "run": {"tstop": 1}})
    cfg = load_config(ok)
    assert cfg.nodes[0]["nodes_file"] == str(tmp_path / "net" / "n.h5")  # the circuit's own $NET and folder
    bad = write(tmp_path / "sim2.json", {"network": "circuit.json", "inputs": {"x": {"input_file": "$NET/s.h5"}}})
    with pytest.raises(ConfigError, match=r"unknown manifest variable \$NET"):
        load_config(bad)


def test_regex_operands_are_not_substituted(tmp_path: Path) -> None:
    path = write(tmp_path / "sim.json", {"node_sets": {"s": {"mtype": {"$regex": "^L5_.*$"}}}})
    assert load_config(path).node_sets == {"s": {"mtype": {"$regex": "^L5_.*$"}}}


# ---------------------------------------------------------------------------------------------
# JSON and include errors


def test_json_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.json", '{\n  "run": {"tstop": 10,}\n}\n')
    with pytest.raises(ConfigError, match=r"bad\.json: invalid JSON at line 2, column 23: Expecting property name"):
        load_config(path)


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "absent.json")
    with pytest.raises(ConfigError, match="must be a JSON object"):
        load_config(write(tmp_path / "list.json", [1, 2]))
    sim = write(tmp_path / "sim.json", {"network": "circuit_missing.json"})
    with pytest.raises(ConfigError, match=r"sim\.json: network: file not found") as err:
        load_config(sim)
    assert "circuit_missing.json" in str(err.value)
    with pytest.raises(ConfigError, match="network: must be the path of a config file"):
        load_config(write(tmp_path / "n.json", {"network": {"nodes": []}}))


def test_include_cycle(tmp_path: Path) -> None:
    write(tmp_path / "a.json", {"network": "b.json"})
    write(tmp_path / "b.json", {"network": "a.json"})
    with pytest.raises(ConfigError, match="include each other in a cycle"):
        load_config(tmp_path / "a.json")


# ---------------------------------------------------------------------------------------------
# merging, enabled flags, node sets, outputs


def test_merge_rules(tmp_path: Path) -> None:
    write(tmp_path / "circuit.json", {
        "components": {"morphologies_dir": "morph", "synaptic_models_dir": "syn"},
        "run": {"tstop": 5, "dt": 0.1},
        "networks": {"nodes": [{"nodes_file": "a.h5"}, {"nodes_file": "b.h5", "populations": {"b": {}}}],
                     "edges": [{"edges_file": "e.h5"}]},
        "target_simulator": "NEST",
    })
    path = write(tmp_path / "sim.json", {
        "network": "circuit.json",
        "components": {"synaptic_models_dir": "syn2"},
        "run": {"tstop": 10},
        "networks": {"nodes": [{"nodes_file": "b.h5", "populations": {"b": {"type": "virtual"}}},
                               {"nodes_file": "c.h5", "enabled": False}]},
    })
    cfg = load_config(path)
    assert cfg.components == {"morphologies_dir": str(tmp_path / "morph"), "synaptic_models_dir": str(tmp_path / "syn2")}
    assert cfg.run == {"tstop": 10, "dt": 0.1}
    assert cfg.target_simulator == "NEST"
    assert [e["nodes_file"] for e in cfg.nodes] == [str(tmp_path / n) for n in ("a.h5", "b.h5")]
    assert cfg.nodes[1]["populations"] == {"b": {"type": "virtual"}}  # the simulation's entry wins
    assert [e["edges_file"] for e in cfg.edges] == [str(tmp_path / "e.h5")]
    assert len(cfg["networks"]["nodes"]) == 3  # the mapping keeps the disabled entry as written


def test_enabled_flags(tmp_path: Path) -> None:
    path = write(tmp_path / "sim.json", {
        "inputs": {"on": {"input_type": "spikes"}, "off": {"input_type": "spikes", "enabled": False}},
        "reports": {"r1": {"enabled": True}, "r2": {"enabled": False}},
        "networks": {"edges": [{"edges_file": "e.h5", "enabled": False}]},
    })
    cfg = load_config(path)
    assert list(cfg.inputs) == ["on"] and list(cfg.reports) == ["r1"] and cfg.edges == []
    bad = load_config(write(tmp_path / "bad.json", {"inputs": {"x": {"enabled": "no"}}}))
    with pytest.raises(ConfigError, match=r"inputs\.x\.enabled: must be true or false"):
        bad.inputs


def test_node_set_layers_override_in_order(tmp_path: Path) -> None:
    write(tmp_path / "c_sets.json", {"a": {"x": 1}, "b": {"x": 1}, "c": {"x": 1}, "d": {"x": 1}})
    write(tmp_path / "s_sets.json", {"c": {"x": 3}, "d": {"x": 3}})
    write(tmp_path / "circuit.json", {"node_sets_file": "c_sets.json", "node_sets": {"b": {"x": 2}, "c": {"x": 2}}})
    path = write(tmp_path / "sim.json", {"network": "circuit.json", "node_sets_file": "s_sets.json",
                                         "node_sets": {"d": {"x": 4}}})
    cfg = load_config(path)
    assert cfg.node_sets == {"a": {"x": 1}, "b": {"x": 2}, "c": {"x": 3}, "d": {"x": 4}}
    src = cfg.node_set_sources
    assert src["a"] == str(tmp_path / "c_sets.json") and src["b"] == str(tmp_path / "circuit.json")
    assert src["c"] == str(tmp_path / "s_sets.json") and src["d"] == str(tmp_path / "sim.json")
    bad = load_config(write(tmp_path / "bad.json", {"node_sets_file": "sim.json", "node_sets": {}}))
    assert "run" not in bad.node_sets  # any JSON object is accepted as the sets file
    arr = load_config(write(tmp_path / "arr.json", {"node_sets_file": "list.json"}))
    write(tmp_path / "list.json", [1])
    with pytest.raises(ConfigError, match="node sets file must be a JSON object"):
        arr.node_sets
    with pytest.raises(ConfigError, match="node_sets: must be an object"):
        load_config(write(tmp_path / "ns.json", {"node_sets": ["a"]}))


def test_output_names_join_output_dir(tmp_path: Path) -> None:
    path = write(tmp_path / "sim.json", {
        "output": {"output_dir": "out", "spikes_file": "s.h5", "spikes_file_csv": "s.csv",
                   "log_file": "/abs/log.txt", "spikes_sort_order": "time"},
        "reports": {"v": {"variable_name": "v"}, "ecp": {"file_name": "sub/ecp.h5"}, "x": {"file_name": "named"}},
    })
    cfg = load_config(path)
    out = tmp_path / "out"
    assert cfg.output == {"output_dir": str(out), "spikes_file": str(out / "s.h5"),
                          "spikes_file_csv": str(out / "s.csv"), "log_file": "/abs/log.txt",
                          "spikes_sort_order": "time"}
    assert cfg.output_path("v") == out / "v.h5" and cfg.output_path("ecp") == out / "sub" / "ecp.h5"
    assert cfg.output_path("x") == out / "named.h5"
    assert cfg.output_path("rates.csv") == out / "rates.csv"
    no_output = load_config(write(tmp_path / "o.json", {"reports": {"v": {}}}))
    assert no_output.output == {} and no_output.output_dir == tmp_path / "output"
    assert no_output.output_path("v") == tmp_path / "output" / "v.h5"
    default_dir = load_config(write(tmp_path / "d.json", {"output": {"spikes_file": "s.h5"}}))
    assert default_dir.output_path("spikes_file") == tmp_path / "output" / "s.h5"


def test_path_rule(tmp_path: Path) -> None:
    assert is_path_key("nodes_file") and is_path_key("morphologies_dir") and is_path_key("some_files")
    assert is_path_key("electrode_positions") and is_path_key("file") and not is_path_key("model_template")
    path = write(tmp_path / "sim.json", {
        "components": {"morphologies_dir": ".", "templates_dir": "~/t", "empty_dir": ""},
        "inputs": {"c": {"file": "amps.csv", "module": "csv", "data_files": ["a.npy", "/b.npy"]}},
        "run": {"some_path": "p", "name": "not/a/path"},
    })
    cfg = load_config(path)
    assert cfg.components == {"morphologies_dir": str(tmp_path), "templates_dir": os.path.expanduser("~/t"),
                              "empty_dir": ""}
    assert cfg.inputs["c"]["file"] == str(tmp_path / "amps.csv")
    assert cfg.inputs["c"]["data_files"] == [str(tmp_path / "a.npy"), "/b.npy"]
    assert cfg.run == {"some_path": str(tmp_path / "p"), "name": "not/a/path"}


def test_block_type_errors(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path / "s.json", {"run": [1], "networks": {"nodes": [{"node_types_file": "t.csv"}]},
                                                  "target_simulator": 3}))
    with pytest.raises(ConfigError, match=r"s\.json: run: must be a JSON object"):
        cfg.run
    with pytest.raises(ConfigError, match=r"networks\.nodes\[0\]\.nodes_file: missing the nodes_file path"):
        cfg.nodes
    with pytest.raises(ConfigError, match="target_simulator: must be a string"):
        cfg.target_simulator
    empty = load_config(write(tmp_path / "e.json", {}))
    assert (empty.run, empty.conditions, empty.output, empty.inputs, empty.reports, empty.components) == (
        {}, {}, {}, {}, {}, {})
    assert empty.nodes == [] and empty.edges == [] and empty.node_sets == {} and empty.target_simulator is None


# ---------------------------------------------------------------------------------------------
# saving and from_dict


def test_saved_config_reloads_identically_anywhere(testdata: Path, tmp_path: Path) -> None:
    cfg = load_config(testdata / EXAMPLES / "5_cells_iclamp" / "config.json")
    data = cfg.to_dict()
    assert "manifest" not in data and "network" not in data and "node_sets_file" not in data
    assert data["node_sets"] == {"biophys_cells": {"model_type": "biophysical"}}
    saved = cfg.write_json(tmp_path / "out" / "config.json")
    assert json.loads(saved.read_text()) == json.loads(cfg.as_json())
    again = load_config(saved)
    assert again.nodes == cfg.nodes and again.reports == cfg.reports and again.node_sets == cfg.node_sets
    assert again.output == cfg.output
    with pytest.raises(Exception, match="file exists"):
        cfg.write_json(saved)
    cfg.write_json(saved, overwrite=True)
    assert list((tmp_path / "out").iterdir()) == [saved]


def test_to_dict_keeps_unreadable_node_sets_file(testdata: Path) -> None:
    cfg = load_config(testdata / LIBSONATA / "config" / "circuit_config.json")
    assert cfg.to_dict()["node_sets_file"].endswith("config/node_sets.json")


def test_from_dict(tmp_path: Path) -> None:
    write(tmp_path / "circuit.json", {"networks": {"nodes": [{"nodes_file": "n.h5"}]}})
    data = {"manifest": {"$X": "${configdir}/x"}, "network": "circuit.json",
            "output": {"output_dir": "$X"}, "run": {"tstop": "$T"}}
    cfg = SonataConfig.from_dict(data, base_dir=tmp_path, T=5)
    assert cfg.path is None and cfg.base_dir == tmp_path
    assert cfg.output_dir == tmp_path / "x" and cfg.run == {"tstop": 5}
    assert cfg.nodes[0]["nodes_file"] == str(tmp_path / "n.h5")
    assert data["network"] == "circuit.json"  # the input is not modified
    assert dict(cfg)["run"] == {"tstop": 5} and len(cfg) == len(list(cfg))
    assert "SonataConfig(" in repr(cfg)
