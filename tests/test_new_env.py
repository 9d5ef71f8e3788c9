"""`cantata new`: folder layout, config content, option checks, overwrite policy, runs."""

from __future__ import annotations

import json
import os
import py_compile
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cantata.cli import main
from cantata.environment import (
    COMPONENT_DIRS,
    CurrentClamp,
    SpikesInput,
    find_network_files,
    new_environment,
    parse_iclamp,
    parse_spikes_inputs,
)
from cantata.errors import ConfigError
from cantata.sim.settings import OutputSettings, RunSettings
from cantata.sonata.config import load_config
from cantata.sonata.nodesets import NodeSets

INTFIRE_NET = Path("sonata-examples/300_intfire/network")


def _point_network(folder: Path, *, template: str, model_type: str, params: str,
                   syn_params: str, weight: float) -> None:
    """20 point cells driven by 10 virtual cells (5 inputs each), saved under ``folder``."""
    from cantata.build import NetworkBuilder
    from cantata.build.rules import FixedInDegree

    v1 = NetworkBuilder("v1", seed=1)
    v1.add_nodes(N=20, pop_name="exc", model_type=model_type, model_template=template, dynamics_params=params)
    tc = NetworkBuilder("tc", seed=1)
    tc.add_nodes(N=10, model_type="virtual")
    tc.add_edges(source=tc.nodes(), target=v1.nodes(), connection_rule=FixedInDegree(5), syn_weight=weight,
                 delay=1.5, model_template="static_synapse", dynamics_params=syn_params)
    for net in (v1, tc):
        net.build()
        net.save(folder, overwrite=True)


def _input_spikes():
    from cantata.sonata.spikes import SpikeTrains

    rng = np.random.default_rng(0)
    return SpikeTrains.from_arrays(rng.integers(0, 10, 300), np.round(rng.uniform(1, 400, 300), 1), "tc")


# -- layout and config -----------------------------------------------------------------------------

def test_empty_network_gives_loadable_config_and_run_script(tmp_path: Path) -> None:
    env = new_environment(tmp_path / "sim")
    base = tmp_path / "sim"
    for name in COMPONENT_DIRS:
        assert (base / "components" / name).is_dir()
    assert env.config == base / "config.json" and env.run_script == base / "run.py"
    raw = json.loads(env.config.read_text())
    assert raw["manifest"]["$BASE_DIR"] == "${configdir}"
    assert raw["networks"] == {"nodes": [], "edges": []}
    assert any("network" in note and "lists no network files" in note for note in env.notes)

    config = load_config(env.config)
    assert config.target_simulator == "NEURON"
    assert config.run["tstop"] == 1000.0 and config.run["dt"] == 0.1
    assert config.output_dir == base / "output"
    assert config.components["mechanisms_dir"] == str(base / "components" / "mechanisms")
    assert config.nodes == [] and config.edges == [] and config.inputs == {} and config.reports == {}
    RunSettings.from_config(config)
    OutputSettings.from_config(config)
    assert {"biophysical_nodes", "point_nodes"} <= set(NodeSets.from_config(config).names)

    validate = pytest.importorskip("cantata.sonata.validate")
    problems = validate.validate_config(env.config)
    assert [(p.key, p.is_error) for p in problems] == [("networks.nodes", True)]  # only: no network yet

    script = env.run_script.read_text()
    assert "from cantata.sim import Simulation" in script
    assert "Simulation.from_config(config).run()" in script and '"config.json"' in script
    py_compile.compile(str(env.run_script), doraise=True)
    assert os.access(env.run_script, os.X_OK)


def test_options_become_config_blocks(tmp_path: Path) -> None:
    spikes_file = tmp_path / "inputs" / "lgn.h5"
    env = new_environment(
        tmp_path / "sim", "nest", config_file="config.iclamp.json", tstop=500.0, dt=0.25,
        report_vars="V_m,I_syn_ex", iclamp="100,50,200; -20,300,50", output_dir=tmp_path / "results",
        spikes_inputs=f"lgn:{spikes_file},tw:{tmp_path / 'tw.csv'}",
    )
    config = load_config(env.config)
    assert env.config.name == "config.iclamp.json" and "config.iclamp.json" in env.run_script.read_text()
    assert config.target_simulator == "NEST" and "conditions" not in config
    assert (config.run["tstop"], config.run["dt"]) == (500.0, 0.25)
    assert config.output_dir == tmp_path / "results"
    clamps = {k: v for k, v in config.inputs.items() if v["input_type"] == "current_clamp"}
    assert [(c["amp"], c["delay"], c["duration"]) for c in clamps.values()] == [(100.0, 50.0, 200.0),
                                                                                (-20.0, 300.0, 50.0)]
    assert all(c["node_set"] == "point_nodes" and c["module"] == "IClamp" for c in clamps.values())
    assert config.inputs["lgn_spikes"] == {"input_type": "spikes", "module": "sonata",
                                           "input_file": str(spikes_file), "node_set": "lgn"}
    assert config.inputs["tw_spikes"]["module"] == "csv"
    assert sorted(config.reports) == ["I_syn_ex_report", "V_m_report"]
    report = config.reports["V_m_report"]
    assert (report["module"], report["variable_name"], report["cells"]) == ("membrane_report", "V_m", "point_nodes")
    assert report["file_name"] == str(tmp_path / "results" / "V_m_report.h5")
    raw = json.loads(env.config.read_text())
    assert raw["inputs"]["lgn_spikes"]["input_file"] == "$BASE_DIR/../inputs/lgn.h5"  # movable with its folder
    assert any("lgn.h5 does not exist yet" in note for note in env.notes)


def test_network_files_are_found_by_content_and_paired(testdata: Path, tmp_path: Path) -> None:
    network = testdata / INTFIRE_NET
    env = new_environment(tmp_path / "sim", "neuron", network_dir=network)
    config = load_config(env.config)
    names = sorted((Path(e["nodes_file"]).name, Path(e["node_types_file"]).name) for e in config.nodes)
    assert names == [("lgn_nodes.h5", "lgn_node_types.csv"), ("tw_nodes.h5", "tw_node_types.csv"),
                     ("v1_nodes.h5", "v1_node_types.csv")]
    assert sorted(Path(e["edges_file"]).name for e in config.edges) == [
        "lgn_v1_edges.h5", "tw_v1_edges.h5", "v1_v1_edges.h5"]
    assert all(Path(e["edge_types_file"]).is_file() for e in config.edges)
    assert not env.notes

    from cantata.sonata.circuit import Circuit

    circuit = Circuit.from_config(config)
    assert sorted(circuit.nodes) == ["lgn", "tw", "v1"]


def test_non_network_h5_is_ignored_and_missing_types_csv_noted(tmp_path: Path) -> None:
    net = tmp_path / "net"
    _point_network(net, template="nest:iaf_psc_alpha", model_type="point_neuron",
                   params="iaf_psc_alpha_exc.json", syn_params="static_exc.json", weight=1.0)
    (net / "tc_node_types.csv").unlink()
    _input_spikes().write_h5(net / "spikes.h5")
    nodes, edges = find_network_files(net)
    assert [(h.name, c.name if c else None) for h, c in nodes] == [("tc_nodes.h5", None),
                                                                  ("v1_nodes.h5", "v1_node_types.csv")]
    assert [h.name for h, _ in edges] == ["tc_v1_edges.h5"]
    env = new_environment(tmp_path / "sim", "nest", network_dir=net)
    assert json.loads(env.config.read_text())["networks"]["nodes"][0]["node_types_file"] is None
    assert any("tc_nodes.h5" in note for note in env.notes)


# -- examples ------------------------------------------------------------------------------------------

def test_include_examples_neuron_copies_allen_channels_and_synapses(tmp_path: Path) -> None:
    from cantata.mechanisms import allen_mechanisms_dir

    env = new_environment(tmp_path / "sim", "neuron", include_examples=True)
    mechanisms = env.component_dirs["mechanisms"]
    library = sorted(allen_mechanisms_dir().glob("*.mod"))
    assert len(library) >= 16
    assert sorted(p.name for p in mechanisms.glob("*.mod")) == [p.name for p in library]
    assert all((mechanisms / p.name).read_bytes() == p.read_bytes() for p in library)
    synapses = {p.stem: json.loads(p.read_text()) for p in env.component_dirs["synaptic_models"].glob("*.json")}
    assert {"AMPA_ExcToExc", "GABA_InhToExc"} <= set(synapses)
    for params in synapses.values():
        assert params["tau1"] < params["tau2"] and "erev" in params
    assert synapses["GABA_InhToExc"]["erev"] < synapses["AMPA_ExcToExc"]["erev"]
    assert json.loads((env.component_dirs["point_neuron_models"] / "IntFire1_exc.json").read_text())["tau"] > 0
    # identical examples are not a conflict; a changed one is
    (env.config).unlink()
    (env.run_script).unlink()
    new_environment(tmp_path / "sim", "neuron", include_examples=True)
    (mechanisms / "Ih.mod").write_text("edited\n")
    env.config.unlink()
    env.run_script.unlink()
    with pytest.raises(ConfigError, match=r"would replace existing files.*components/mechanisms/Ih.mod"):
        new_environment(tmp_path / "sim", "neuron", include_examples=True)
    assert not env.config.exists() and (mechanisms / "Ih.mod").read_text() == "edited\n"


def test_include_examples_nest(tmp_path: Path) -> None:
    env = new_environment(tmp_path / "sim", "nest", include_examples=True)
    models = sorted(p.name for p in env.component_dirs["point_neuron_models"].iterdir())
    assert models == ["iaf_psc_alpha_exc.json", "iaf_psc_alpha_inh.json"]
    assert not list(env.component_dirs["mechanisms"].iterdir())
    assert json.loads((env.component_dirs["point_neuron_models"] / models[0]).read_text())["V_th"] == -55.0


# -- overwrite policy ------------------------------------------------------------------------------------

def test_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    env = new_environment(tmp_path / "sim", tstop=100.0)
    env.config.write_text("{}\n")
    with pytest.raises(ConfigError, match=r"--overwrite: would replace existing files.*config.json, run.py"):
        new_environment(tmp_path / "sim", tstop=200.0)
    assert env.config.read_text() == "{}\n"
    # only the run script present: the config is not written either
    env.config.unlink()
    with pytest.raises(ConfigError, match="run.py"):
        new_environment(tmp_path / "sim")
    assert not env.config.exists()
    new_environment(tmp_path / "sim", tstop=200.0, overwrite=True)
    assert load_config(env.config).run["tstop"] == 200.0
    assert not list((tmp_path / "sim").glob(".*part"))


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"tstop": -5.0}, r"--tstop: must be positive .*found -5\.0"),
        ({"dt": 0.0}, r"--dt: must be positive"),
        ({"tstop": float("nan")}, r"--tstop: must be a number of ms"),
        ({"tstop": 100.05, "dt": 0.1}, r"--tstop: tstop must be a whole number of dt steps"),
        ({"iclamp": "0.1,500"}, r"--iclamp: malformed current clamp .*found '0\.1,500'"),
        ({"iclamp": "0.1,soon,100"}, r"--iclamp: delay is not a number .*found '0\.1,soon,100'"),
        ({"iclamp": "0.1,-1,100"}, r"--iclamp: delay must not be negative"),
        ({"iclamp": "0.1,10,0"}, r"--iclamp: duration must be positive"),
        ({"iclamp": ";"}, r"--iclamp: malformed current clamp"),
        ({"spikes_inputs": "lgn"}, r"--spikes-inputs: malformed spikes input .*found 'lgn'"),
        ({"spikes_inputs": ":lgn.h5"}, r"--spikes-inputs: bad population name"),
        ({"spikes_inputs": "lgn:"}, r"--spikes-inputs: spikes input has no file"),
        ({"spikes_inputs": "lgn:spikes.dat"}, r"--spikes-inputs: unknown spike file type .*lgn:spikes\.dat"),
        ({"report_vars": "v,,cai"}, r"--report-vars: bad variable name"),
        ({"engine": "brian2"}, r"engine: unknown engine \(expected one of neuron, nest, filternet, popnet, found 'brian2'\)"),
        ({"config_file": "sub/config.json"}, r"--config-file: must be a file name without a folder"),
        ({"config_file": "config.yaml"}, r"--config-file: must end in \.json"),
        ({"compile_mechanisms": True, "engine": "nest"},
         r"--compile-mechanisms: not used by the nest engine \(expected one of --iclamp, --report-vars, --spikes-inputs"),
        ({"iclamp": "0.1,5,10", "engine": "popnet"}, r"--iclamp: not used by the popnet engine"),
        ({"spikes_inputs": "lgn:a.h5", "engine": "filternet"},
         r"--spikes-inputs: not used by the filternet engine \(expected none of these options"),
        ({"rates_inputs": "ext:rates.csv", "engine": "neuron"}, r"--rates-inputs: not used by the neuron engine"),
        ({"rates_inputs": "ext:rates.h5", "engine": "popnet"}, r"--rates-inputs: unknown rate file type"),
        ({"compile_mechanisms": True}, r"--compile-mechanisms: no \.mod files to compile"),
    ],
)
def test_bad_values_fail_before_writing(tmp_path: Path, kwargs: dict, pattern: str) -> None:
    base = tmp_path / "sim"
    engine = kwargs.pop("engine", "neuron")
    with pytest.raises(ConfigError, match=pattern):
        new_environment(base, engine, **kwargs)
    assert not base.exists()


def test_option_parsers_accept_python_forms() -> None:
    assert parse_iclamp((0.1, 5, 10)) == [CurrentClamp(0.1, 5.0, 10.0)]
    assert parse_iclamp(["0.1,5,10", (0.2, 6, 11), CurrentClamp(1, 2, 3)]) == [
        CurrentClamp(0.1, 5.0, 10.0), CurrentClamp(0.2, 6.0, 11.0), CurrentClamp(1.0, 2.0, 3.0)]
    assert parse_spikes_inputs({"lgn": "a.h5"}) == [SpikesInput("lgn", Path("a.h5"))]
    assert parse_spikes_inputs(["lgn:a.h5,tw:b.nwb", ("x", "c.csv")]) == [
        SpikesInput("lgn", Path("a.h5")), SpikesInput("tw", Path("b.nwb")), SpikesInput("x", Path("c.csv"))]


# -- command line -----------------------------------------------------------------------------------------

def test_cli_creates_environment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = tmp_path / "sim"
    code = main(["new", str(base), "nest", "--tstop", "300", "--dt", "0.5", "--report-vars", "V_m",
                 "--iclamp", "100,10,50", "--iclamp", "200,100,50", "--spikes-inputs", "lgn:lgn.h5",
                 "--include-examples"])
    assert code == 0
    out = capsys.readouterr().out
    assert "nest environment" in out and "config.json" in out and "lists no network files" in out
    config = load_config(base / "config.json")
    assert config.target_simulator == "NEST" and len(config.inputs) == 3 and config.run["dt"] == 0.5
    # BMTK's order ENGINE DIR, and --engine
    assert main(["new", "neuron", str(tmp_path / "b")]) == 0
    assert load_config(tmp_path / "b" / "config.json").target_simulator == "NEURON"
    assert main(["new", str(tmp_path / "c"), "--engine", "nest"]) == 0
    assert load_config(tmp_path / "c" / "config.json").target_simulator == "NEST"


def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = tmp_path / "sim"
    assert main(["new", str(base), "--iclamp", "1,2"]) == 1
    assert "cantata new: error: --iclamp: malformed current clamp" in capsys.readouterr().err
    assert main(["new", str(base), "nest", "--engine", "neuron"]) == 1
    assert "engine given twice" in capsys.readouterr().err
    assert main(["new", str(base), "--tstop", "-10"]) == 1
    assert "--tstop: must be positive" in capsys.readouterr().err
    assert not base.exists()
    assert main(["new", str(base)]) == 0
    capsys.readouterr()
    assert main(["new", str(base)]) == 1
    assert "pass --overwrite" in capsys.readouterr().err
    assert main(["new", str(base), "--overwrite", "--tstop", "50"]) == 0
    assert load_config(base / "config.json").run["tstop"] == 50.0


# -- real runs ----------------------------------------------------------------------------------------------

def _assert_validates(config: Path) -> None:
    validate = pytest.importorskip("cantata.sonata.validate")
    errors = [str(p) for p in validate.validate_config(config) if p.is_error]
    assert not errors, "\n".join(errors)


def _run_script(script: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(script)], cwd=script.parent, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.mark.nest
def test_generated_nest_environment_runs_with_nwb_input(tmp_path: Path) -> None:
    pytest.importorskip("nest")
    pytest.importorskip("pynwb")
    from cantata.sonata.spikes import SpikeTrains
    from cantata.sonata.spikes_nwb import write_nwb_spikes

    base = tmp_path / "sim"
    _point_network(base / "network", template="nest:iaf_psc_alpha", model_type="point_neuron",
                   params="iaf_psc_alpha_exc.json", syn_params="static_exc.json", weight=200.0)
    write_nwb_spikes(_input_spikes(), tmp_path / "tc_spikes.nwb")
    env = new_environment(base, "nest", include_examples=True, tstop=400.0, report_vars="V_m",
                          spikes_inputs=f"tc:{tmp_path / 'tc_spikes.nwb'}")
    assert load_config(env.config).inputs["tc_spikes"]["module"] == "nwb"
    _assert_validates(env.config)
    proc = _run_script(env.run_script)
    assert proc.returncode == 0, proc.stderr[-2000:]
    spikes = SpikeTrains.read(base / "output" / "spikes.h5")
    assert spikes.populations == ["v1"] and spikes.n_spikes > 20
    assert (base / "output" / "V_m_report.h5").is_file()


@pytest.mark.neuron
def test_generated_neuron_environment_runs(tmp_path: Path) -> None:
    pytest.importorskip("neuron")
    from cantata.sonata.spikes import SpikeTrains

    base = tmp_path / "sim"
    _point_network(base / "network", template="nrn:IntFire1", model_type="point_process",
                   params="IntFire1_exc.json", syn_params="AMPA_ExcToExc.json", weight=0.5)
    _input_spikes().write_csv(tmp_path / "tc.csv")
    env = new_environment(base, "neuron", tstop=400.0, spikes_inputs=f"tc:{tmp_path / 'tc.csv'}")
    # the JSON examples without the .mod files (whose first compilation takes a while)
    from importlib import resources

    examples = resources.files("cantata.templates").joinpath("components", "neuron")
    for kind in ("point_neuron_models", "synaptic_models"):
        for src in examples.joinpath(kind).iterdir():
            (env.component_dirs[kind] / src.name).write_bytes(src.read_bytes())
    _assert_validates(env.config)
    proc = _run_script(env.run_script)
    assert proc.returncode == 0, proc.stderr[-2000:]
    spikes = SpikeTrains.read(base / "output" / "spikes.h5")
    assert spikes.populations == ["v1"] and spikes.n_spikes > 20


@pytest.mark.slow
@pytest.mark.neuron
def test_compile_mechanisms_builds_the_copied_library(tmp_path: Path) -> None:
    pytest.importorskip("neuron")
    from cantata.mechanisms import compiled_library

    env = new_environment(tmp_path / "sim", "neuron", include_examples=True, compile_mechanisms=True)
    assert env.mechanisms_build is not None and compiled_library(env.mechanisms_build) is not None


def test_generated_popnet_environment_runs_like_the_example(tmp_path: Path) -> None:
    """`cantata new DIR popnet --rates-inputs ... --include-examples` on the PopNet example's
    network gives the example's rates (same population models, same input)."""
    import importlib.util

    example = Path(__file__).resolve().parents[1] / "examples" / "popnet"
    spec = importlib.util.spec_from_file_location("popnet_build", example / "build_network.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    base = tmp_path / "sim"
    builder.build(base)
    rates_csv = base / "inputs" / "external_rates.csv"
    env = new_environment(base, "dipde", include_examples=True, tstop=100.0, dt=0.1,
                          rates_inputs=f"thalamus:{rates_csv}")
    config = load_config(env.config)
    assert config.target_simulator == "DiPDE" and config.run["dt"] == pytest.approx(1e-4)
    assert sorted(env.component_dirs) == ["population_models", "synaptic_models"]
    assert config.inputs["thalamus_rates"] == {"input_type": "csv", "module": "pop_rates",
                                               "rates": str(rates_csv), "node_set": "thalamus"}
    assert config.output["rates_file"].endswith("firing_rates.csv") and "spikes_file" not in config.output
    _assert_validates(env.config)
    proc = _run_script(env.run_script)
    assert proc.returncode == 0, proc.stderr[-2000:]
    ours = np.loadtxt(base / "output" / "firing_rates.csv")

    reference = json.loads((example / "config.json").read_text())
    reference["manifest"]["$BASE_DIR"] = str(base)
    reference["components"]["population_models_dir"] = str(example / "components" / "pop_models")
    reference["run"]["tstop"] = 100.0
    reference["output"]["output_dir"] = str(tmp_path / "reference")
    (tmp_path / "reference.json").write_text(json.dumps(reference))
    from cantata.sim import Simulation

    Simulation.from_config(tmp_path / "reference.json", progress=False).run()
    assert np.array_equal(ours, np.loadtxt(tmp_path / "reference" / "rates.csv"))
    assert ours[:, 2].max() > 5.0
    # the rates plot reads the config's rates_file and labels populations by pop_name
    assert main(["plot", "rates", str(env.config), "-o", str(tmp_path / "rates.png")]) == 0
    from cantata.analysis import plot_rates

    labels = [line.get_label() for line in plot_rates(env.config).axes[0].lines]
    exc, inh = np.unique(ours[:, 0]).astype(int)  # type ids depend on the builders made before
    assert labels == [f"exc ({exc})", f"inh ({inh})"]


def test_generated_filternet_environment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`cantata new filternet DIR --include-examples`: FilterNet's folders, output keys and a note
    that a movie input is still to be added; with one added, the run writes rates and spikes."""
    from cantata.build import NetworkBuilder

    base = tmp_path / "sim"
    lgn = NetworkBuilder("lgn")
    lgn.add_nodes(N=4, model_type="virtual", model_template="lgnmodel:tON_TF8", dynamics_params="tON_TF8.json",
                  x=[10.0, 20.0, 30.0, 40.0], y=[10.0, 15.0, 20.0, 25.0], spatial_size=6.0, spont_fr=2.0)
    lgn.save(base / "network")
    assert main(["new", "filternet", str(base), "--include-examples", "--tstop", "500", "--dt", "1"]) == 0
    printed = capsys.readouterr().out
    assert "no movie input yet" in printed
    config = json.loads((base / "config.json").read_text())
    assert config["target_simulator"] == "LGNModel"
    assert config["components"] == {"filter_models_dir": "$COMPONENTS_DIR/filter_models"}
    assert {k: config["output"][k] for k in ("rates_csv", "spikes_h5", "spikes_csv")} == {
        "rates_csv": "rates.csv", "spikes_h5": "spikes.h5", "spikes_csv": "spikes.csv"}
    assert sorted(p.name for p in (base / "components" / "filter_models").iterdir()) == ["sOFF_TF4.json",
                                                                                         "tON_TF8.json"]
    config["inputs"] = {"flash": {"input_type": "movie", "module": "full_field_flash", "row_size": 60,
                                  "col_size": 80, "t_on": 100.0, "t_off": 300.0, "max_intensity": 1.0}}
    (base / "config.json").write_text(json.dumps(config))
    proc = _run_script(base / "run.py")
    assert proc.returncode == 0, proc.stderr[-2000:]
    rates = (base / "output" / "rates.csv").read_text().splitlines()
    assert len(rates) > 4 and (base / "output" / "spikes.h5").is_file()
