"""``cantata.compat.bionet``: BMTK's standard BioNet run script, with only its import changed,
gives the same spike file as ``cantata run`` on the same config (NEURON, 300_intfire example).
NEURON keeps its state per process, so each run is a child process."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pandas as pd
import pytest
from test_neuron_support import child_env, run_cantata

from cantata.errors import ConfigError, SimulationError
from cantata.sim.registry import WEIGHT_FUNCTIONS

EXAMPLE = "sonata-examples/300_intfire"
N_TW_EDGES = 9000  # edges of tw_v1_edges.h5, all with nsyns 5 and an excitatory (sign +1) model

# BMTK's run_bionet.py as sim_setup writes it; only the import differs.
STANDARD_SCRIPT = """\
import os, sys
from cantata.compat import bionet


def run(config_file):
    conf = bionet.Config.from_json(config_file, validate=True)
    conf.build_env()

    graph = bionet.BioNetwork.from_config(conf)
    sim = bionet.BioSimulator.from_config(conf, network=graph)
    sim.run()
    bionet.nrn.quit_execution()


if __name__ == '__main__':
    run(sys.argv[-1])
"""

# A script with a BioNet one-edge weight function (tutorial style), and a few checks printed.
WEIGHT_SCRIPT = """\
import json, sys
from cantata.compat import bionet

calls = []


@bionet.synaptic_weight(name="compat_tw_weight")
def tw_weight(edge_props, source, target):
    calls.append(1)
    return edge_props["syn_weight"] * edge_props["nsyns"]   # what wmax gives these edges


conf = bionet.Config.from_json(sys.argv[-1])
neuron_after_import = "neuron" in sys.modules
conf.build_env()
net = bionet.BioNetwork.from_config(conf)
sim = bionet.BioSimulator.from_config(conf, network=net)
result = sim.run()
bionet.nrn.quit_execution()
print(json.dumps({"calls": len(calls), "neuron_after_import": neuron_after_import, "dt": sim.dt,
                  "tstop": sim.tstop, "n_spikes": result.n_spikes}))
"""

needs_neuron = pytest.mark.skipif(find_spec("neuron") is None, reason="NEURON is not installed")


def _config(tmp_path: Path, testdata: Path, name: str, *, tw_types: Path | None = None) -> Path:
    """A config in tmp_path running the 300_intfire example (read in place) into tmp_path/<name>."""
    folder = testdata / EXAMPLE
    config: dict = {"network": str(folder / "circuit_config.json"),
                    "simulation": str(folder / "simulation_config.json"),
                    "output": {"output_dir": str(tmp_path / name), "log_to_console": False}}
    if tw_types is not None:  # replaces the tw edges entry (same edges_file), other types table
        config["networks"] = {"edges": [{"edges_file": str(folder / "network" / "tw_v1_edges.h5"),
                                         "edge_types_file": str(tw_types)}]}
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(config, indent=2))
    return path


def _run_script(tmp_path: Path, text: str, config: Path) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "run_bionet.py"
    script.write_text(text)
    proc = subprocess.run([sys.executable, str(script), str(config)], capture_output=True, text=True,
                          timeout=180, env=child_env(), cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc


@pytest.mark.neuron
@needs_neuron
def test_standard_script_writes_the_same_spike_file_as_cantata_run(testdata: Path, tmp_path: Path) -> None:
    reference_cfg = _config(tmp_path, testdata, "reference")
    proc = run_cantata("run", str(reference_cfg), "--no-progress", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    _run_script(tmp_path, STANDARD_SCRIPT, _config(tmp_path, testdata, "shim"))
    ours = (tmp_path / "shim" / "spikes.h5").read_bytes()
    assert len(ours) > 10_000  # 4322 spikes
    assert ours == (tmp_path / "reference" / "spikes.h5").read_bytes()
    assert "Cantata simulation" in (tmp_path / "shim" / "log.txt").read_text()


@pytest.mark.neuron
@needs_neuron
def test_one_edge_weight_function_through_the_shim(testdata: Path, tmp_path: Path) -> None:
    folder = testdata / EXAMPLE
    tw_types = tmp_path / "tw_v1_edge_types.csv"
    tw_types.write_text((folder / "network" / "tw_v1_edge_types.csv").read_text().replace("wmax", "compat_tw_weight"))
    proc = _run_script(tmp_path, WEIGHT_SCRIPT, _config(tmp_path, testdata, "weighted", tw_types=tw_types))
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary == {"calls": N_TW_EDGES, "neuron_after_import": False, "dt": 0.1, "tstop": 3000.0,
                       "n_spikes": 4322}
    # the function gives what wmax gives, so the spikes are those of the example's own config
    reference_cfg = _config(tmp_path, testdata, "reference")
    assert run_cantata("run", str(reference_cfg), "--no-progress", cwd=tmp_path).returncode == 0
    assert (tmp_path / "weighted" / "spikes.h5").read_bytes() == (tmp_path / "reference" / "spikes.h5").read_bytes()


# -- without running NEURON ------------------------------------------------------------------------

def test_import_loads_no_simulator() -> None:
    code = ("import sys\nfrom cantata.compat import bionet, pointnet, spike_trains\n"
            "bionet.Config; pointnet.PointSimulator\n"
            "print(sorted({'nest', 'neuron', 'mpi4py'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_add_weight_function_registers_the_one_edge_form() -> None:
    from cantata.compat import bionet

    def compat_bionet_double(edge_props, source, target):
        return 2.0 * edge_props["syn_weight"] + (1.0 if target["ei"] == "i" else 0.0)

    bionet.add_weight_function(compat_bionet_double)
    registered = WEIGHT_FUNCTIONS.find("compat_bionet_double")
    assert registered.per_edge is compat_bionet_double  # wrapped: called row by row
    edges = pd.DataFrame({"syn_weight": [1.0, 3.0]})
    nodes = pd.DataFrame({"ei": ["e", "i"]})
    assert registered(edges, nodes, nodes) == [2.0, 7.0]
    # overwrite=False keeps the first; a name can be given
    bionet.add_weight_function(lambda e, s, t: 0.0, "compat_bionet_double", overwrite=False)
    assert WEIGHT_FUNCTIONS.find("compat_bionet_double") is registered
    bionet.add_weight_function(lambda e, s, t: 5.0, name="compat_bionet_named")
    assert WEIGHT_FUNCTIONS.find("compat_bionet_named")(edges, nodes, nodes) == [5.0, 5.0]

    @bionet.synaptic_weight
    def compat_bionet_decorated(edge_props, source, target):
        return 1.5

    assert compat_bionet_decorated(None, None, None) == 1.5  # the decorator returns the function
    assert WEIGHT_FUNCTIONS.find("compat_bionet_decorated").per_edge is compat_bionet_decorated
    with pytest.raises(ConfigError, match="must be callable"):
        bionet.add_weight_function("not a function")


def test_config_reads_like_bmtk(testdata: Path, tmp_path: Path) -> None:
    from cantata.compat import bionet

    conf = bionet.Config.from_json(_config(tmp_path, testdata, "cfg"), validate=True)
    assert conf["run"]["tstop"] == conf.run["tstop"] == conf.tstop == 3000.0
    assert (conf.dt, conf.tstart, conf.v_init, conf.celsius) == (0.1, 0.0, -80, 34.0)
    assert conf.output_dir == tmp_path / "cfg" and conf.log_file == str(tmp_path / "cfg" / "log.txt")
    assert conf.with_networks and len(conf.networks["nodes"]) == 3 and conf.target_simulator == "NEURON"
    assert conf.mechanisms_dir.endswith("mechanisms")
    assert not conf.output_dir.exists()
    (conf.output_dir / "keep").mkdir(parents=True)
    conf.build_env()  # creates the folder; never empties it (BMTK does)
    assert (conf.output_dir / "keep").is_dir() and conf.env_built
    net = bionet.BioNetwork.from_config(conf)
    assert net.config is conf and sorted(net.circuit.nodes) == ["lgn", "tw", "v1"]
    assert bionet.Config.load(str(conf.path)).tstop == 3000.0
    assert conf.validate() is True  # `cantata validate` on the config and its network
    # a dict config, relative paths from base_dir; manifest variables as keywords
    other = bionet.Config.from_dict({"manifest": {"$OUT": "out"}, "run": {"tstop": 5.0, "dt": 0.5},
                                     "output": {"output_dir": "$OUT"}}, base_dir=tmp_path, OUT="elsewhere")
    assert other.output_dir == tmp_path / "elsewhere" and other.tstop == 5.0
    with pytest.raises(ConfigError, match="only a config read from a file"):
        other.validate()
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"run": {"tstop": -1, "dt": 0.1}, "networks": {"nodes": [
        {"nodes_file": "missing.h5", "node_types_file": "missing.csv"}]}}))
    with pytest.raises(ConfigError, match=r"error\(s\):.*missing"):
        bionet.Config.from_json(broken).validate()


def test_unsupported_bmtk_names_say_what_to_use(testdata: Path, tmp_path: Path) -> None:
    from cantata.compat import bionet

    with pytest.raises(AttributeError, match=r"bionet\.BioCell .*Simulation\.from_config"):
        bionet.BioCell  # noqa: B018
    with pytest.raises(NotImplementedError, match=r"bionet\.model_processing .*neuron\.model_processing"):
        bionet.model_processing(lambda hobj, cell, dynamics_params: None)
    with pytest.raises(NotImplementedError, match=r"bionet\.cell_model .*CellContext"):
        bionet.cell_model(directive="hoc", model_type="biophysical")
    with pytest.raises(AttributeError, match="load_neuron_modules.*quit_execution"):
        bionet.nrn.load_neuron_modules  # noqa: B018
    assert bionet.nrn.quit_execution() is None  # harmless, does not exit
    conf = bionet.Config.from_json(_config(tmp_path, testdata, "cfg"))
    with pytest.raises(AttributeError, match="load_nrn_modules.*build_env"):
        conf.load_nrn_modules  # noqa: B018
    with pytest.raises(NotImplementedError, match="YAML"):
        bionet.Config.load(tmp_path / "config.yaml")
    with pytest.raises(NotImplementedError, match="validators"):
        bionet.Config.from_json(conf.path, validator=object())
    with pytest.raises(ConfigError, match="a JSON file path or a dict"):
        bionet.BioNetwork.from_config(42)
    with pytest.raises(NotImplementedError, match="set_recordings=False"):
        bionet.BioSimulator.from_config(conf, set_recordings=False)
    # a network from another config is refused before anything is built
    other = bionet.BioNetwork.from_config(bionet.Config.from_json(_config(tmp_path, testdata, "other")))
    with pytest.raises(SimulationError, match="network made from another config"):
        bionet.BioSimulator.from_config(conf, network=other)
    with pytest.raises(SimulationError, match="needs the network made by from_config"):
        bionet.BioSimulator.from_config(conf, network="graph")
    with pytest.raises(AttributeError, match="BioNetwork.*get_node_population"):
        other.get_node_population  # noqa: B018


def test_io_logs_to_the_cantata_logger(caplog: pytest.LogCaptureFixture) -> None:
    from cantata.compat import bionet

    with caplog.at_level("INFO", logger="cantata"):
        bionet.io.log_info("hello from a run script")
        bionet.io.log_warning("careful")
    assert [r.getMessage() for r in caplog.records] == ["hello from a run script", "careful"]
    with pytest.raises(SimulationError, match="stop here"):
        bionet.io.log_exception("stop here")
    with pytest.raises(AttributeError, match="mpi_rank"):
        bionet.io.mpi_rank  # noqa: B018


def test_argument_parser_skips_nrniv_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    from cantata.compat import bionet

    parser = bionet.ArgumentParser()
    parser.add_argument("config")
    monkeypatch.setattr(sys, "argv", ["/usr/bin/nrniv", "-mpi", "-python", "run_bionet.py", "config.json"])
    assert parser.parse_args().config == "config.json"
    monkeypatch.setattr(sys, "argv", ["run_bionet.py", "c2.json"])
    assert parser.parse_args().config == "c2.json"
