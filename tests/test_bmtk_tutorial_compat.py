"""BMTK's tutorial 2 (one biophysical cell fed by 10 virtual thalamic cells) followed with
Cantata, and the BMTK names and forms that walk-through met (each test pins one of them).

The end-to-end tests build the network as the tutorial does, set the folder up with
``build_env_bionet`` or ``cantata new``, run it on NEURON in a subprocess and read the results
with ``cantata.analysis``. The cell uses the example morphology and fit file of
``examples/single_cell``, copied under the tutorial's file names.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cantata.analysis import plot_raster, plot_traces, spike_table, to_dataframe
from cantata.build import NetworkBuilder
from cantata.cli import main
from cantata.environment import build_env_bionet, create_environment
from cantata.errors import CantataError, ConfigError, FormatError
from cantata.sim import add_weight_function
from cantata.sim.inputs.spikes import SpikesInput
from cantata.sim.registry import WEIGHT_FUNCTIONS
from cantata.sonata.circuit import Circuit
from cantata.sonata.config import load_config
from cantata.sonata.nodesets import NodeSets
from cantata.sonata.reports import FrameReport
from cantata.sonata.spikes import SpikeTrains
from cantata.stimuli import PoissonSpikeGenerator

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "single_cell" / "components"
FIT, SWC = "472363762_fit.json", "Scnn1a_473845048_m.swc"  # the tutorial's names for the example files
LEGACY_NWB = "format/pysonata_tests_data/reports/spike_trains/spike_files/spikes.onepop.v1.0.nwb"


# -- the tutorial's steps ------------------------------------------------------------------------------

def build_tutorial_network(network: Path, weight_function: str | None = None) -> None:
    """Step 1 of the tutorial, word for word but for the import."""
    cortex = NetworkBuilder("mcortex")
    cortex.add_nodes(cell_name="Scnn1a_473845048", potental="exc", model_type="biophysical",
                     model_template="ctdb:Biophys1.hoc", model_processing="aibs_perisomatic",
                     dynamics_params=FIT, morphology=SWC)
    cortex.build()
    cortex.save_nodes(output_dir=network)

    thalamus = NetworkBuilder("mthalamus")
    thalamus.add_nodes(N=10, pop_name="tON", potential="exc", model_type="virtual")
    thalamus.add_edges(source={"pop_name": "tON"}, target=cortex.nodes(), connection_rule=5,
                       syn_weight=0.001, delay=2.0, weight_function=weight_function,
                       target_sections=["basal", "apical"], distance_range=[0.0, 150.0],
                       dynamics_params="AMPA_ExcToExc.json", model_template="exp2syn")
    thalamus.build()
    thalamus.save_nodes(output_dir=network)
    thalamus.save_edges(output_dir=network)


def make_tutorial_spikes(path: Path) -> PoissonSpikeGenerator:
    """The tutorial's spike trains: 10 Hz for 3 s, times in seconds as BMTK takes them."""
    psg = PoissonSpikeGenerator(population="mthalamus", time_units="s", seed=2)
    psg.add(node_ids=range(10), firing_rate=10.0, times=(0.0, 3.0))
    psg.to_sonata(path)
    return psg


def add_cell_components(base: Path) -> None:
    """What a BMTK user downloads from the Allen database: here the example's own files."""
    shutil.copy(EXAMPLE / "biophysical_neuron_models" / "pyramidal_small_fit.json",
                base / "components" / "biophysical_neuron_models" / FIT)
    shutil.copy(EXAMPLE / "morphologies" / "pyramidal_small.swc", base / "components" / "morphologies" / SWC)


def run_cantata(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "cantata", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done


@pytest.mark.neuron
def test_tutorial_flow_build_setup_run_analyse(tmp_path: Path) -> None:
    pytest.importorskip("neuron")
    build_tutorial_network(tmp_path / "sim_ch02" / "network", weight_function="adjusted_weights")
    psg = make_tutorial_spikes(tmp_path / "sim_ch02" / "inputs" / "mthalamus_spikes.h5")
    assert psg.n_spikes() == psg.n_spikes == len(psg) > 200 and psg.units() == "ms"

    env = build_env_bionet(base_dir=tmp_path / "sim_ch02", config_file="config.json",
                           network_dir=tmp_path / "sim_ch02" / "network", tstop=3000.0, dt=0.1,
                           report_vars=["v", "cai"],
                           spikes_inputs=[("mthalamus", tmp_path / "sim_ch02" / "inputs" / "mthalamus_spikes.h5")],
                           include_examples=True)
    add_cell_components(env.base_dir)
    config = json.loads(env.config.read_text())
    config["reports"]["synapses"] = {"module": "save_synapses", "file_name": "synapses.h5"}
    env.config.write_text(json.dumps(config))
    # section 5 of the tutorial: a BioNet weight function, called per edge with dict-like rows
    plugin = tmp_path / "weights.py"
    plugin.write_text(
        "from cantata.sim import add_weight_function\n"
        "def adjusted_weights(edge_props, source, target):\n"
        "    if target['cell_name'] == 'Scnn1a_473845048':\n"
        "        return edge_props['syn_weight'] * 0.5\n"
        "    return edge_props['syn_weight'] * 1.5\n"
        "add_weight_function(adjusted_weights)\n")
    run_cantata("run", "config.json", "--plugin", str(plugin), "--no-progress", cwd=env.base_dir)

    results_df = to_dataframe(config_file=env.config)
    assert list(results_df.columns) == ["population", "node_ids", "timestamps"]
    assert len(results_df) > 0 and set(results_df["population"]) == {"mcortex"}
    assert spike_table(config_file=env.config, population="mcortex").equals(results_df)
    fig = plot_traces(config_file=env.config, node_ids=0, report_name="v_report",
                      save_as=tmp_path / "v.png")
    assert (tmp_path / "v.png").stat().st_size > 0 and fig.axes[0].get_lines()
    v = FrameReport.open(env.base_dir / "output" / "v_report.h5")["mcortex"].data()
    assert v.shape == (30000, 1) and v.max() > 0.0  # the cell fired
    edge_types = pd.read_csv(env.base_dir / "network" / "mthalamus_mcortex_edge_types.csv", sep=" ")
    assert edge_types.loc[0, "weight_function"] == "adjusted_weights"
    with Circuit.from_files(edges=[env.base_dir / "output" / "synapses.h5"]) as placed:
        weights = next(iter(placed.edges.values())).get_attribute("syn_weight")
    assert weights.size == 50 and np.allclose(weights, 0.0005)


@pytest.mark.neuron
def test_bmtk_config_forms_on_the_tutorial_network(tmp_path: Path) -> None:
    """The config sections of BMTK's "running simulations" guide, on the tutorial network: split
    config, named/inline/"all" node sets, ICLAMP, sections "all", ECP with contributions_dir,
    syn_report, a disabled report, csv spikes."""
    pytest.importorskip("neuron")
    base = tmp_path / "sim"
    build_tutorial_network(base / "network")
    gen = PoissonSpikeGenerator(population="mthalamus", time_units="s", seed=3)
    gen.add(node_ids=range(10), firing_rate=10.0, times=(0.0, 0.5))
    gen.to_csv(base / "inputs" / "mthalamus_spikes.csv")
    assert main(["new", "bionet", str(base), "-n", str(base / "network"), "--include-examples"]) == 0
    add_cell_components(base)
    (base / "components" / "electrodes.csv").write_text("channel x_pos y_pos z_pos\n0 10 0 5\n1 10 100 5\n")
    network = {"manifest": {"$BASE_DIR": "${configdir}", "$NETWORK_DIR": "$BASE_DIR/network",
                            "$COMPONENT_DIR": "$BASE_DIR/components"},
               "components": {"morphologies_dir": "$COMPONENT_DIR/morphologies",
                              "synaptic_models_dir": "$COMPONENT_DIR/synaptic_models",
                              "biophysical_neuron_models_dir": "$COMPONENT_DIR/biophysical_neuron_models"},
               "networks": json.loads((base / "config.json").read_text())["networks"]}
    simulation = {
        "manifest": {"$BASE_DIR": "${configdir}"},
        "target_simulator": "NEURON",
        "run": {"tstop": 500.0, "dt": 0.1, "dL": 20.0, "spike_threshold": -15, "nsteps_block": 1000},
        "conditions": {"celsius": 34.0, "v_init": -80},
        "inputs": {
            "external_spikes": {"input_type": "spikes", "module": "csv", "node_set": "external-cells",
                                "input_file": "${BASE_DIR}/inputs/mthalamus_spikes.csv"},
            "iclamp_stimulus": {"input_type": "current_clamp", "module": "ICLAMP", "gids": "all",
                                "node_set": {"model_type": "biophysical", "cell_name": "Scnn1a_473845048"},
                                "amp": 0.1, "delay": 100.0, "duration": 100.0}},
        "output": {"output_dir": "./output", "overwrite_output_dir": True, "log_file": "log.txt",
                   "spikes_file": "spikes.h5", "spikes_file_csv": "spikes.csv", "sort_by": "time"},
        "reports": {
            "vm_report": {"cells": "scnn1a-bio-cells", "variable_name": "v", "module": "membrane_report",
                          "file_name": "vm_report.h5", "sections": "all"},
            "cai_all": {"cells": "all", "variable_name": "cai", "module": "membrane_report"},
            "ecp": {"cells": "bio-cells", "variable_name": "v", "module": "extracellular",
                    "electrode_positions": "./components/electrodes.csv", "file_name": "ecp.h5",
                    "electrode_channels": "all", "contributions_dir": "ecp_contributions"},
            "syn": {"cells": "bio-cells", "variable_name": "g", "module": "syn_report", "syn_type": "Exp2Syn"},
            "off": {"cells": "bio-cells", "variable_name": "v", "module": "membrane_report", "enabled": False}},
        "node_sets": {"external-cells": {"population": "mthalamus", "model_type": "virtual"},
                      "bio-cells": {"model_type": "biophysical"},
                      "scnn1a-bio-cells": {"population": "mcortex", "cell_name": "Scnn1a_473845048"}},
    }
    (base / "config.network.json").write_text(json.dumps(network))
    (base / "config.simulation.json").write_text(json.dumps(simulation))
    (base / "config.split.json").write_text(json.dumps({"simulation": "./config.simulation.json",
                                                       "network": "./config.network.json"}))
    assert main(["validate", str(base / "config.split.json")]) == 0  # contributions_dir is an output
    done = run_cantata("run", "config.split.json", "--no-progress", cwd=base)
    assert done.returncode == 0, done.stderr[-3000:]
    out = base / "output"
    assert (out / "ecp_contributions").is_dir()  # one <gid>.h5 per biophysical cell, as BMTK
    assert sorted(p.name for p in out.glob("*.h5")) == ["cai_all.h5", "ecp.h5", "spikes.h5", "syn.h5",
                                                         "vm_report.h5"]
    assert FrameReport.open(out / "cai_all.h5").populations == ["mcortex"]  # virtual cells have no cai
    assert FrameReport.open(out / "vm_report.h5")["mcortex"].data().shape[1] > 1  # every segment
    assert SpikeTrains.read(out / "spikes.h5").n_spikes > 0  # the 0.1 nA clamp alone makes it fire


# -- findings: the BMTK names, one test each ---------------------------------------------------------

def test_poisson_generator_speaks_bmtk(tmp_path: Path) -> None:
    np.random.seed(11)  # seed=None draws from numpy's global state, as BMTK does
    a = PoissonSpikeGenerator(population="thalamus", time_units="s")
    a.add(node_ids=range(5), firing_rate=20.0, times=(0.0, 1.0))
    a.add(node_ids=[0, 1], firing_rate=10.0, times=(0.0, 1.0), population="lgn")
    np.random.seed(11)
    b = PoissonSpikeGenerator(population="thalamus", time_units="s")
    b.add(node_ids=range(5), firing_rate=20.0, times=(0.0, 1.0))
    assert np.array_equal(a.to_spike_trains().population("thalamus")[1],
                          b.to_spike_trains().population("thalamus")[1])
    assert a.populations == ["thalamus", "lgn"]
    assert a.n_spikes() == int(a.n_spikes) == len(a) == a.n_spikes("thalamus") + a.n_spikes("lgn")
    assert a.n_spikes("nothing") == 0 and a.units() == "ms"
    path = a.to_sonata(tmp_path / "s.h5")
    with pytest.raises(FormatError, match="overwrite"):
        a.to_sonata(path)
    a.to_sonata(path, mode="w", sort_order="by_id")  # BMTK's keywords
    back = SpikeTrains.read(path)
    assert back.populations == ["lgn", "thalamus"] and back.n_spikes == a.n_spikes
    assert np.all(np.diff(back.population("thalamus")[0]) >= 0)
    with pytest.raises(CantataError, match="mode"):
        a.to_csv(tmp_path / "s.csv", mode="x")
    with pytest.raises(CantataError, match="population"):
        a.add(node_ids=[0], firing_rate=1.0, times=(0.0, 1.0), population="")


def test_poisson_node_ids_from_a_nodes_file(tmp_path: Path) -> None:
    build_tutorial_network(tmp_path / "network")
    gen = PoissonSpikeGenerator(population="mthalamus", time_units="s", seed=1)
    gen.add(node_ids=str(tmp_path / "network" / "mthalamus_nodes.h5"), firing_rate=50.0, times=(0.0, 1.0))
    assert set(gen.to_dataframe()["node_ids"]) == set(range(10))
    with pytest.raises(CantataError, match="no such population"):
        gen.add(node_ids=tmp_path / "network" / "mcortex_nodes.h5", firing_rate=1.0, times=(0.0, 1.0))


def test_build_env_bionet_takes_bmtk_keywords(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_tutorial_network(tmp_path / "sim" / "network")
    monkeypatch.chdir(tmp_path)
    env = build_env_bionet(base_dir="sim", network_dir="network", output_dir="results", tstop=200.0, dt=0.1,
                           report_vars=["v"], spikes_inputs=[("mthalamus", "sim/inputs/m.h5")],
                           current_clamp={"amp": [0.1, 0.2], "delay": [10.0, 100.0], "duration": [50.0, 50.0]},
                           v_init=-70.0, celsius=30.0, spikes_threshold=-10.0, dL=10.0, nsteps_block=100,
                           tstart=0.0, overwrite_config=True, run_script=True, use_relative_paths=True,
                           config_file=None, include_examples=False)
    config = load_config(env.config)
    assert env.config == tmp_path / "sim" / "config.json"
    assert len(config.nodes) == 2 and len(config.edges) == 1  # BMTK: network_dir inside base_dir
    assert config.output["output_dir"] == str(tmp_path / "sim" / "results")
    assert config.conditions == {"celsius": 30.0, "v_init": -70.0}
    assert {k: config.run[k] for k in ("dL", "spike_threshold", "nsteps_block")} == \
        {"dL": 10.0, "spike_threshold": -10.0, "nsteps_block": 100}
    clamps = [config.inputs[k] for k in ("current_clamp_1", "current_clamp_2")]
    assert [(c["amp"], c["delay"]) for c in clamps] == [(0.1, 10.0), (0.2, 100.0)]
    assert create_environment("bionet", "sim", overwrite=True).config == env.config
    with pytest.raises(ConfigError, match="split_configs"):
        build_env_bionet(base_dir="other", split_configs=True)
    with pytest.raises(ConfigError, match="nsteps_block"):
        build_env_bionet(base_dir="other", nsteps_block=0)
    with pytest.raises(ConfigError, match="tstart"):
        build_env_bionet(base_dir="other", tstart=2000.0, tstop=1000.0)
    with pytest.raises(ConfigError, match="current_clamp"):
        build_env_bionet(base_dir="other", current_clamp={"amp": 0.1})
    with pytest.raises(ConfigError, match="malformed spikes input"):  # BMTK's (None, file): no population
        build_env_bionet(base_dir="other", spikes_inputs=[(None, "a.h5")])
    assert not (tmp_path / "other").exists()


def test_cantata_new_takes_bmtk_short_flags(tmp_path: Path) -> None:
    assert main(["new", "bionet", str(tmp_path / "sim"), "-n", str(tmp_path / "net"),
                 "-o", str(tmp_path / "out")]) == 0
    config = load_config(tmp_path / "sim" / "config.json")
    assert config.output["output_dir"] == str(tmp_path / "out")


def test_node_set_all_is_every_node(tmp_path: Path) -> None:
    build_tutorial_network(tmp_path / "network")
    nodes = [(tmp_path / "network" / f"{p}_nodes.h5", tmp_path / "network" / f"{p}_node_types.csv")
             for p in ("mcortex", "mthalamus")]
    with Circuit.from_files(nodes=nodes) as circuit:
        everything = NodeSets({}).resolve("all", circuit)
        assert {k: v.tolist() for k, v in everything.items()} == {"mcortex": [0], "mthalamus": list(range(10))}
        own = NodeSets({"all": {"population": "mcortex"}}).resolve("all", circuit)  # a defined set wins
        assert list(own) == ["mcortex"]


def test_output_none_means_no_file(tmp_path: Path) -> None:
    """``"log_file": "none"`` and friends switch the file off (before: a file named ``none``)."""
    from cantata.analysis.sources import spikes_file
    from cantata.sim.settings import OutputSettings
    from cantata.sonata.config import SonataConfig

    config = SonataConfig.from_dict({"run": {"tstop": 10.0, "dt": 0.1}, "output": {
        "output_dir": "out", "log_file": "none", "spikes_file": "None", "spikes_file_csv": "spikes.csv"}},
        base_dir=tmp_path)
    assert config.output["log_file"] == "none"
    settings = OutputSettings.from_config(config)
    assert settings.log.file is None and settings.spikes_file is None
    assert settings.spikes_file_csv == tmp_path / "out" / "spikes.csv"
    assert spikes_file(config) == tmp_path / "out" / "spikes.csv"


def test_analysis_takes_bmtk_keywords(testdata: Path, tmp_path: Path) -> None:
    example = testdata / "sonata-examples" / "300_intfire"
    spikes = example / "output" / "spikes.h5"
    table = to_dataframe(spikes_file=spikes)
    assert table.equals(spike_table(spikes))
    fig = plot_raster(spikes_file=spikes, save_as=tmp_path / "raster.png", show=True)  # no IPython: no-op
    assert (tmp_path / "raster.png").is_file() and fig.axes
    with pytest.raises(CantataError, match="exactly one source"):
        spike_table(spikes, config_file=example / "config.json")
    with pytest.raises(CantataError, match="exactly one source"):
        plot_raster()
    with pytest.raises(CantataError, match="path or save_as"):
        plot_raster(spikes, tmp_path / "a.png", save_as=tmp_path / "b.png")


def test_add_weight_function_bionet_form() -> None:
    def bmtk_style(edge_props, source, target):
        return edge_props["syn_weight"] * (2.0 if source["angle"] == target["angle"] else 0.5)

    try:
        registered = add_weight_function(bmtk_style, name="compat_test_weights")
        assert WEIGHT_FUNCTIONS.find("compat_test_weights") is registered
        edges = pd.DataFrame({"syn_weight": [1.0, 3.0]})
        weights = registered(edges, pd.DataFrame({"angle": [0, 90]}), pd.DataFrame({"angle": [0, 0]}))
        assert weights == [2.0, 1.5]
        assert add_weight_function(lambda e, s, t: e["syn_weight"], name="compat_test_weights",
                                   overwrite=False) is registered
        columnwise = add_weight_function(lambda e, s, t: e["syn_weight"] * 2, name="compat_test_weights",
                                         per_edge=False)
        assert list(WEIGHT_FUNCTIONS.find("compat_test_weights")(edges, None, None)) == [2.0, 6.0]
        assert columnwise is WEIGHT_FUNCTIONS.find("compat_test_weights")
    finally:
        WEIGHT_FUNCTIONS._entries.pop((None, ("compat_test_weights",)), None)
    with pytest.raises(ConfigError, match="callable"):
        add_weight_function("not a function")


def test_nwb_spikes_input_takes_bmtk_trial_key(testdata: Path) -> None:
    path = str(testdata / LEGACY_NWB)
    base = {"input_type": "spikes", "module": "nwb", "input_file": path, "node_set": "lgn"}
    every = SpikesInput("lgn", base)._read()
    assert SpikesInput("lgn", {**base, "trial": "trial_0"})._read().n_spikes == every.n_spikes > 0
    with pytest.raises(FormatError, match="trial_1"):  # before: silently every trial
        SpikesInput("lgn", {**base, "trial": "trial_1"})._read()
    with pytest.raises(ConfigError, match="trial or trials"):
        SpikesInput("lgn", {**base, "trial": "trial_0", "trials": "trial_0"})._read()
