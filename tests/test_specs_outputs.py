"""cantata.specs outputs: ``recordLFP`` (an extracellular report), ``saveJson``/``savePickle``
data files, and their bad inputs. Comparison with NetPyNE's own files: test_specs_netpyne.py."""

from __future__ import annotations

import copy
import json
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_neuron_support import child_env

from cantata.errors import BuildError, FormatError, SimulationError
from cantata.sonata.config import load_config
from cantata.specs import SpecWarning, compile_model, specs, to_sonata
from cantata.specs import sim as spec_sim
from cantata.specs.outputs import data_path, lfp_rows, save_data, zero_lfp

SOMA = {"geom": {"diam": 18.8, "L": 18.8, "Ra": 123.0},
        "mechs": {"hh": {"gnabar": 0.12, "gkbar": 0.036, "gl": 0.003, "el": -70}}}
PYR = {"secs": {"soma": SOMA,
                "dend": {"geom": {"diam": 5.0, "L": 150.0, "Ra": 150.0, "nseg": 3},
                         "topol": {"parentSec": "soma", "parentX": 1.0, "childX": 0},
                         "mechs": {"pas": {"g": 0.0000357, "e": -70}}}}}


def _model() -> tuple[specs.NetParams, specs.SimConfig]:
    net = specs.NetParams()
    net.cellParams["PYR"] = copy.deepcopy(PYR)
    net.popParams["E"] = {"cellType": "PYR", "cellsList": [{"x": 10, "y": 20, "z": 30}, {"x": 60, "y": 90, "z": 0}]}
    net.popParams["in"] = {"cellModel": "VecStim", "numCells": 1, "spkTimes": [2, 9]}
    net.synMechParams["exc"] = {"mod": "Exp2Syn", "tau1": 0.1, "tau2": 5, "e": 0}
    net.connParams["in->E"] = {"preConds": {"pop": "in"}, "postConds": {"pop": "E"}, "weight": 0.05, "delay": 1,
                               "synMech": "exc", "sec": "dend", "loc": 0.5}
    cfg = specs.SimConfig()
    cfg.duration = 20
    cfg.recordStep = 0.1
    return net, cfg


@pytest.mark.parametrize(("value", "key"), [
    ("electrodes.csv", "simConfig.recordLFP"),
    (5, "simConfig.recordLFP"),
    ([[0, 0, 0], [1, 2]], "simConfig.recordLFP[1]"),
    ([[0, 0, "a"]], "simConfig.recordLFP[0]"),
    ([[0, float("nan"), 0]], "simConfig.recordLFP[0]"),
    ([0, 0, 0], "simConfig.recordLFP[0]"),
    ([[True, 0, 0]], "simConfig.recordLFP[0]"),
])
def test_bad_electrode_lists_name_the_key(value: object, key: str) -> None:
    net, cfg = _model()
    cfg.recordLFP = value
    with pytest.raises(BuildError) as info:
        compile_model(net, cfg)
    assert f"{key}:" in str(info.value) and "expected" in str(info.value), str(info.value)


def test_electrodes_and_cells_kept() -> None:
    net, cfg = _model()
    cfg.recordLFP = np.array([[0, 0, 0], [50, 100, 0]])
    model = compile_model(net, cfg)
    assert model.lfp is not None and model.lfp.electrodes.tolist() == [[0, 0, 0], [50, 100, 0]]
    assert model.lfp.cells is None
    cfg.saveLFPCells = True
    assert compile_model(net, cfg).lfp.cells.tolist() == [0, 1, 2]  # NetPyNE: every cell
    cfg.saveLFPCells = [("E", 1)]
    assert compile_model(net, cfg).lfp.cells.tolist() == [1]
    cfg.saveLFPCells = ["nothere"]
    with pytest.raises(BuildError, match="simConfig.saveLFPCells"):
        compile_model(net, cfg)
    cfg.saveLFPCells = False
    cfg.saveLFPPops = True
    assert compile_model(net, cfg).lfp.pops == ["E", "in"]
    cfg.saveLFPPops = ["in", "E"]
    assert compile_model(net, cfg).lfp.pops == ["E", "in"]
    cfg.saveLFPPops = ["E", "X"]
    with pytest.raises(BuildError, match="simConfig.saveLFPPops.*found 'X'"):
        compile_model(net, cfg)
    cfg.saveLFPPops = False
    cfg.recordLFP = []
    cfg.saveLFPCells = True
    with pytest.warns(SpecWarning, match="saveLFPCells has no effect"):
        assert compile_model(net, cfg).lfp is None


def test_the_lfp_is_an_extracellular_report_on_netpynes_geometry(tmp_path: Path) -> None:
    net, cfg = _model()
    cfg.recordLFP = [[0, 0, 0], [50, 100, 0.5]]
    config = load_config(to_sonata(net, cfg, tmp_path / "c"))
    block = config.reports["recordLFP"]
    assert block["module"] == "extracellular" and block["sigma"] == 0.3 and "contributions_dir" not in block
    table = pd.read_csv(block["electrode_positions"], sep=" ")
    assert table.to_numpy().tolist() == [[0, 0, 0, 0], [1, 50, 100, 0.5]]
    types = pd.read_csv(tmp_path / "c" / "network" / "node_types.csv", sep=" ").set_index("pop_name")
    assert types.loc["E", "rotation_angle_zaxis"] == pytest.approx(-np.pi / 2) and types.loc["E", "recenter"] == 0
    net.cellParams["PYR"]["secs"]["soma"]["geom"]["pt3d"] = [[0, 0, 0, 18.8], [0, 18.8, 0, 18.8]]
    to_sonata(net, cfg, tmp_path / "d")
    types = pd.read_csv(tmp_path / "d" / "network" / "node_types.csv", sep=" ").set_index("pop_name")
    assert types.loc["E", "rotation_angle_zaxis"] == 0  # pt3d points are kept as given
    cfg.recordTraces = {"recordLFP": {"sec": "soma", "loc": 0.5, "var": "v"}}
    cfg.recordCells = ["all"]
    with pytest.raises(FormatError, match="name of the LFP report"):
        to_sonata(net, cfg, tmp_path / "e")


def test_lfp_rows_are_netpynes_sample_times() -> None:
    assert lfp_rows(0.1, 1.0, 0.025).tolist() == [4, 8, 12, 16, 20, 24, 28, 32, 36, 40]
    assert lfp_rows(0.5, 1.2, 0.1).tolist() == [5, 10, 15]  # ceil(duration / recordStep) rows


def test_data_file_paths_follow_netpyne() -> None:
    cfg = specs.SimConfig()
    assert data_path(cfg) == Path("model_output_data")
    cfg.filename = "runs/tut"
    assert data_path(cfg) == Path("runs/tut_data")
    cfg.saveFolder = "out"
    assert data_path(cfg) == Path("out/runs/tut_data")
    cfg.simLabel = "v1"
    assert data_path(cfg) == Path("out/v1_data")
    assert data_path(cfg, "x/y") == Path("x/y_data")
    cfg.timestampFilename = True
    assert data_path(cfg).name.startswith("v1_data-2")


def test_bad_save_options_fail_before_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "blocker").write_text("a file, not a folder")
    net, cfg = _model()
    cfg.saveJson = True
    cfg.saveFolder = str(tmp_path / "blocker" / "sub")
    with pytest.raises(BuildError) as info:
        spec_sim.create(net, cfg, folder=tmp_path / "circuit")
    assert "simConfig.saveFolder" in str(info.value) and "blocker" in str(info.value)
    cfg.saveFolder = str(tmp_path / "ok")
    cfg.saveDataInclude = ["simData", "spikes"]
    with pytest.raises(BuildError, match="saveDataInclude.*found 'spikes'"):
        spec_sim.create(net, cfg, folder=tmp_path / "circuit")
    cfg.saveDataInclude = "simData"
    with pytest.raises(BuildError, match="saveDataInclude"):
        spec_sim.create(net, cfg, folder=tmp_path / "circuit")
    # at save time too (the folder may have gone since)
    cfg.saveDataInclude = ["simData"]
    model = compile_model(net, cfg)
    cfg.saveFolder = str(tmp_path / "blocker")
    with pytest.raises(BuildError, match="simConfig.saveFolder"):
        save_data(model, net, cfg, {"spkt": []})
    cfg.saveJson = False
    assert save_data(model, net, cfg, {"spkt": []}) == []


def test_save_data_needs_a_model() -> None:
    spec_sim.model = None
    with pytest.raises(SimulationError, match="sim.create"):
        spec_sim.saveData()


def test_a_run_fills_lfp_and_writes_netpynes_files(tmp_path: Path) -> None:
    """One child process (NEURON state is per process): LFP in simData, both data files."""
    code = f"""
import json, sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from test_specs_outputs import _model
from cantata.specs import sim
net, cfg = _model()
cfg.recordLFP = [[0, 0, 0], [60, 150, 0]]
cfg.saveLFPCells = [('E', 0)]
cfg.saveLFPPops = ['E']
cfg.recordCells = ['all']
cfg.recordTraces = {{'V_soma': {{'sec': 'soma', 'loc': 0.5, 'var': 'v'}}}}
cfg.saveJson = cfg.savePickle = True
cfg.saveFolder = 'results'
cfg.filename = 'small'
sim.createSimulateAnalyze(net, cfg)
print(json.dumps({{'shape': list(sim.simData['LFP'].shape), 'cells': sorted(sim.simData['LFPCells']),
                  'spkt': sim.simData['spkt'].tolist()}}))
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=child_env(), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info["shape"] == [200, 2] and info["cells"] == [0]
    data = json.loads((tmp_path / "results" / "small_data.json").read_text())
    with open(tmp_path / "results" / "small_data.pkl", "rb") as f:
        assert pickle.load(f) == data
    assert set(data) == {"netpyne_version", "cantata_version", "net", "simConfig", "simData"}
    sim_data = data["simData"]
    assert sim_data["spkt"] == info["spkt"] and len(sim_data["spkt"]) >= 2
    lfp = np.asarray(sim_data["LFP"])
    assert lfp.shape == (200, 2) and np.abs(lfp).max() > 1e-4  # mV
    assert np.asarray(sim_data["LFPCells"]["0"]).shape == (200, 2)
    assert np.asarray(sim_data["LFPPops"]["E"]) == pytest.approx(lfp, abs=1e-15)  # E is every compartment
    assert sorted(sim_data["V_soma"]) == ["cell_0", "cell_1"] and len(sim_data["t"]) == 200
    assert data["net"]["recXElectrode"]["pos"] == [[0, 60], [0, -150], [0, 0]]  # NetPyNE's inverted y
    cells = data["net"]["cells"]
    assert [c["gid"] for c in cells] == [0, 1, 2] and cells[0]["tags"]["pop"] == "E"
    assert cells[1]["conns"] == [{"preGid": 2, "preLoc": 0.5, "sec": "dend", "loc": 0.5, "synMech": "exc",
                                  "weight": 0.05, "delay": 1.0, "label": "in->E"}]
    assert data["net"]["pops"]["E"]["cellGids"] == [0, 1]
    assert data["simConfig"]["recordLFP"] == [[0, 0, 0], [60, 150, 0]]
    assert data["net"]["params"]["popParams"]["E"]["cellType"] == "PYR"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        json.dumps(data)


def test_without_compartments_the_lfp_is_zero(tmp_path: Path) -> None:
    """NEURON cannot record membrane currents of no segments: no report, zeros in simData."""
    net = specs.NetParams()
    net.popParams["P"] = {"cellModel": "IntFire1", "numCells": 2, "tau": 10}
    cfg = specs.SimConfig()
    cfg.duration = 10
    cfg.recordLFP = [[0, 0, 0]]
    cfg.saveLFPCells = True
    assert "recordLFP" not in load_config(to_sonata(net, cfg, tmp_path / "c")).reports
    data = zero_lfp(compile_model(net, cfg), 10.0)
    assert data["LFP"].shape == (100, 1) and not data["LFP"].any() and sorted(data["LFPCells"]) == [0, 1]
    cfg.saveLFPPops = True
    assert not zero_lfp(compile_model(net, cfg), 10.0)["LFPPops"]["P"].any()
