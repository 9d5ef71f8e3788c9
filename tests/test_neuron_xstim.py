"""Extracellular stimulation (BMTK's ``xstim``) on the NEURON engine: waveforms and electrode
files, the imposed potential against the analytic point source phi = rho I / (4 pi r), BMTK 1.2
BioNet on the same config (spikes within float noise, soma v within float32 storage), two MPI
ranks giving the same files as one, and bad input named clearly."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from bmtk_reference.xstim_model import write_xstim_model
from test_neuron_gap_junctions import write_ball_network
from test_neuron_support import mpirun_path, run_cantata

from benchmarks.peers import peer_python, status
from cantata.errors import ConfigError
from cantata.sim.engines.neuron.geometry import rotation
from cantata.sim.engines.neuron.xstim import ExtracellularStimulus, read_electrodes, waveform_from
from cantata.sonata.reports import FrameReport
from cantata.sonata.spikes import SpikeTrains

SPIKE_TIME_TOL = 1e-6  # ms
NEURON_V_TOL = 1e-5  # mV (float32 reports)
SINE = {"shape": "sin", "del": 10.0, "dur": 20.0, "amp": 0.002, "freq": 100.0}
SINE_BMTK = {"shape": "sin", "del": 10.0, "dur": 55.0, "amp": 0.1, "freq": 50.0}


def _block(tmp_path: Path, **changes: Any) -> dict[str, Any]:
    positions = tmp_path / "electrodes.csv"
    if not positions.exists():
        positions.write_text("ip pos_x pos_y pos_z rotation_x rotation_y rotation_z\n0 0 100 0 0 0 0\n")
    block: dict[str, Any] = {"input_type": "lfp", "module": "xstim", "positions_file": str(positions),
                             "waveform": {"shape": "dc", "del": 5.0, "dur": 10.0, "amp": 0.001}}
    block.update(changes)
    return {k: v for k, v in block.items() if v is not None}


# -- waveforms and electrodes (no NEURON) ----------------------------------------------------

def test_waveforms_follow_bmtk_definitions(tmp_path: Path) -> None:
    t = np.array([0.0, 10.0, 10.025, 12.5, 29.975, 30.0, 40.0])
    dc = waveform_from({"shape": "DC", "del": 10.0, "dur": 20.0, "amp": 0.5}, where="w")
    assert dc.values(t).tolist() == [0.0, 0.0, 0.5, 0.5, 0.5, 0.0, 0.0]  # on only for del < t < del + dur
    sine = waveform_from({**SINE, "offset": 0.001}, where="w")
    expected = 0.002 * np.sin(2 * np.pi * 0.1 * t + np.pi) + 0.001  # BMTK's default phase is pi
    assert np.allclose(sine.values(t), np.where((t > 10) & (t < 30), expected, 0.0), rtol=0, atol=1e-15)
    (tmp_path / "wave.csv").write_text("time amplitude\n0 0\n10 1\n20 -1\n")
    assert waveform_from(str(tmp_path / "wave.csv"), where="w").values(np.array([5.0, 15.0, 99.0])).tolist() == \
        [0.5, 0.0, -1.0]
    (tmp_path / "wave.json").write_text(json.dumps(SINE))
    assert waveform_from("wave.json", where="w", config_file=tmp_path / "config.json") == waveform_from(SINE, where="w")


def test_electrode_meshes_are_rotated_then_centred_on_the_position(tmp_path: Path) -> None:
    (tmp_path / "mesh.csv").write_text("x_pos y_pos z_pos\n-10 0 0\n10 0 0\n")
    (tmp_path / "el.csv").write_text("pos_x pos_y pos_z rotation_x rotation_y rotation_z electrode_mesh_file\n"
                                     "5 6 7 0 0 0 NULL\n100 0 0 0 0 1.5707963267948966 mesh.csv\n")
    electrodes = read_electrodes(tmp_path / "el.csv", None, "inputs.x.positions_file")
    assert electrodes.electrode.tolist() == [0, 1, 1] and electrodes.shares.tolist() == [1.0, 0.5, 0.5]
    assert np.allclose(electrodes.points, [[5, 6, 7], [100, -10, 0], [100, 10, 0]], atol=1e-12)
    turned = np.array([[1.0, 0, 0]]) @ rotation({"rotation_angle_zaxis": math.pi / 2}).T
    assert np.allclose(turned, [[0, 1, 0]])
    coef, nearest = electrodes.coefficients(np.array([[0.0, 0.0, 0.0]]), 300.0)
    r = np.linalg.norm(electrodes.points, axis=1)
    assert coef[0] == pytest.approx(1e4 * 300 / (4 * np.pi) * (1 / r[0] + 0.5 / r[1] + 0.5 / r[2]))
    assert nearest[0] == pytest.approx(r.min())


BAD_BLOCKS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "no_positions_file": ({"positions_file": None}, ["missing positions_file"]),
    "positions_file_not_found": ({"positions_file": "/nowhere/el.csv"}, ["electrode positions file not found",
                                                                          "/nowhere/el.csv"]),
    "positions_without_columns": ({"positions_file": "bad_columns.csv"}, [
        "lacks position columns", "pos_x pos_y pos_z", "['x_pos', 'y_pos', 'z_pos']"]),
    "positions_not_numbers": ({"positions_file": "words.csv"}, ["must be numbers", "words.csv"]),
    "mesh_not_found": ({"positions_file": "with_mesh.csv"}, ["electrode mesh file not found", "nomesh.csv"]),
    "no_waveform": ({"waveform": None}, ["missing waveform"]),
    "unknown_shape": ({"waveform": {"shape": "square", "del": 1, "dur": 1, "amp": 1}},
                      ["unknown waveform shape", "inputs.x.waveform.shape", "'dc' or 'sin'", "found 'square'"]),
    "sin_without_freq": ({"waveform": {"shape": "sin", "del": 1, "dur": 1, "amp": 1}},
                         ["sin waveform needs freq", "inputs.x.waveform.freq"]),
    "amp_not_a_number": ({"waveform": {"shape": "dc", "del": 1, "dur": 1, "amp": "big"}},
                         ["must be a number", "inputs.x.waveform.amp"]),
    "waveform_file_type": ({"waveform": "wave.txt"}, ["must be .json or .csv", "wave.txt"]),
    "waveform_csv_columns": ({"waveform": "bad_wave.csv"}, ["waveform csv lacks a column", "time (ms) and amplitude"]),
    "bad_resistance": ({"resistance": -5}, ["must be a positive number (ohm cm)", "inputs.x.resistance"]),
}


@pytest.mark.parametrize("case", sorted(BAD_BLOCKS))
def test_bad_xstim_blocks_are_named(tmp_path: Path, case: str) -> None:
    (tmp_path / "bad_columns.csv").write_text("x_pos y_pos z_pos\n0 0 0\n")
    (tmp_path / "words.csv").write_text("pos_x pos_y pos_z\n0 far 0\n")
    (tmp_path / "with_mesh.csv").write_text("pos_x pos_y pos_z electrode_mesh_file\n0 0 0 nomesh.csv\n")
    (tmp_path / "bad_wave.csv").write_text("t amps\n0 1\n")
    changes, parts = BAD_BLOCKS[case]
    block = _block(tmp_path, **changes)
    if "positions_file" in block:  # the config loader makes *_file paths absolute
        block["positions_file"] = str(tmp_path / block["positions_file"])
    with pytest.raises(ConfigError) as info:
        ExtracellularStimulus("x", block, config_file=tmp_path / "config.json")
    for part in parts:
        assert part in str(info.value), str(info.value)


# -- physics: the point source ---------------------------------------------------------------

def _ball_config(root: Path, inputs: dict[str, Any], *, labels: list[str], tstop: float = 30.0) -> Path:
    config = write_ball_network(root, labels=labels, gaps=[{"source": 0, "target": 1}], tstop=tstop,
                                gap_types={"edge_type_id": [1], "syn_weight": [0.0], "is_gap_junction": [True]})
    data = json.loads(config.read_text())
    data["inputs"] = inputs
    data["reports"]["e"] = {"module": "membrane_report", "cells": "balls", "variable_name": "e_extracellular",
                            "sections": "soma", "file_name": "e.h5"}
    config.write_text(json.dumps(data))
    return config


def test_potential_is_the_analytic_point_source(tmp_path: Path) -> None:
    """One-segment cells at (0, 0, 0) and (50, 0, 0): a point electrode at (0, 100, 0) with a DC
    step of 1 uA, and a second input (two-point mesh, sine) at once. The imposed
    ``e_extracellular`` is rho I / (4 pi r) (rho in ohm cm, I in mA, r in um: x 1e4 mV), the
    two inputs add, and row k (t = k dt) holds the potential for the step from t to t + dt."""
    (tmp_path / "point.csv").write_text("pos_x pos_y pos_z\n0 100 0\n")
    (tmp_path / "mesh.csv").write_text("x_pos y_pos z_pos\n0 0 -20\n0 0 20\n")
    (tmp_path / "pair.csv").write_text("pos_x pos_y pos_z electrode_mesh_file\n25 -60 0 mesh.csv\n")
    dc = {"shape": "dc", "del": 5.0, "dur": 10.0, "amp": 0.001}
    inputs = {"point": {"input_type": "lfp", "module": "xstim", "positions_file": str(tmp_path / "point.csv"),
                        "waveform": dc, "resistance": 300.0},
              "pair": {"input_type": "lfp", "module": "xstim", "positions_file": str(tmp_path / "pair.csv"),
                       "waveform": SINE, "resistance": 250.0, "node_set": "balls"}}
    config = _ball_config(tmp_path / "run", inputs, labels=["a", "b"])
    proc = run_cantata("run", str(config), "--no-progress")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    e = FrameReport.open(tmp_path / "run" / "output" / "e.h5")["balls"].data().astype(float)
    t = np.arange(e.shape[0]) * 0.025
    somas = np.array([[0.0, 0.0, 0.0], [50.0, 0.0, 0.0]])
    r_point = np.linalg.norm(somas - [0.0, 100.0, 0.0], axis=1)
    r_pair = [np.linalg.norm(somas - [25.0, -60.0, z], axis=1) for z in (-20.0, 20.0)]
    point = 1e4 * 300.0 * 1e-3 / (4 * np.pi * r_point)  # mV at 1 uA: the analytic point source
    pair = 1e4 * 250.0 / (4 * np.pi) * (0.5 / r_pair[0] + 0.5 / r_pair[1])  # mV per mA
    expected = np.outer(waveform_from(dc, where="w").values(t) / 1e-3, point) + \
        np.outer(waveform_from(SINE, where="w").values(t), pair)
    assert point[0] == pytest.approx(2.387324146, rel=1e-9)
    assert np.allclose(e, expected, rtol=1e-6, atol=1e-7), np.abs(e - expected).max()
    assert e[200, 0] == 0.0 and e[201, 0] == pytest.approx(point[0], rel=1e-6)  # on after t = 5 ms


# -- BMTK ------------------------------------------------------------------------------------

@pytest.mark.neuron
@pytest.mark.skipif(status() is not None, reason=f"needs the peers' environment: {status()}")
def test_xstim_matches_bmtk(testdata: Path, tmp_path: Path) -> None:
    """Two HH cells (Scnn1a morphology with its axon stub, one rotated) and two electrodes
    (a point, and a rotated four-point mesh), 50 Hz sine of 0.1 mA: BMTK 1.2 BioNet (xstim,
    run through run_bmtk_xstim.py for NEURON 9) and Cantata give the same spikes (1e-6 ms)
    and soma v (1e-5 mV) once BMTK's one-row report lag is undone."""
    from test_bmtk_reference import HELPERS, _env, assert_same_spikes, finish_bmtk, run_cantata_cli

    model = write_xstim_model(tmp_path, testdata, tstop=70.0, waveform=SINE_BMTK)
    bmtk = subprocess.Popen([str(peer_python()), str(HELPERS / "run_bmtk_xstim.py"), str(model.config),
                             str(tmp_path / "out_bmtk")], cwd=tmp_path, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    ours = run_cantata_cli(model.config, tmp_path / "out_cantata")
    theirs = finish_bmtk(bmtk, tmp_path / "out_bmtk")
    spikes = assert_same_spikes(theirs, ours, "cortex", tol=SPIKE_TIME_TOL)
    assert sorted(spikes) == [0, 1] and min(s.size for s in spikes.values()) >= 3
    want = FrameReport.open(theirs / "soma_v.h5")["cortex"].data()
    got = FrameReport.open(ours / "soma_v.h5")["cortex"].data()
    assert got.shape == want.shape == (round(model.tstop / model.dt), 2)
    diff = np.abs(want[:-1] - got[1:])
    assert diff.max() <= NEURON_V_TOL, f"soma v differs by {diff.max()} mV at row {diff.max(axis=1).argmax()}"



# -- MPI and the error of an electrode inside a cell -----------------------------------------

@pytest.mark.neuron
@pytest.mark.skipif(mpirun_path() is None, reason="needs mpirun (Debian: openmpi-bin)")
def test_two_ranks_give_the_same_files(testdata: Path, tmp_path: Path) -> None:
    model = write_xstim_model(tmp_path, testdata, tstop=40.0, node_set="first",
                              waveform={"shape": "dc", "del": 5.0, "dur": 20.0, "amp": 0.05})
    one, two = tmp_path / "one", tmp_path / "two"
    assert run_cantata("run", str(model.config), "--output-dir", str(one), "--no-progress").returncode == 0
    proc = run_cantata("run", str(model.config), "--output-dir", str(two), "--no-progress", ranks=2)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert SpikeTrains.read(one / "spikes.h5").to_dataframe().equals(SpikeTrains.read(two / "spikes.h5").to_dataframe())
    v1 = FrameReport.open(one / "soma_v.h5")["cortex"].data()
    assert np.array_equal(v1, FrameReport.open(two / "soma_v.h5")["cortex"].data())
    # node_set "first": only cell 0 is stimulated (it fires); cell 1 only settles to rest
    assert np.ptp(v1[:, 0]) > 50.0 and np.ptp(v1[:, 1]) < 0.1


def test_an_electrode_inside_a_cell_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "inside.csv").write_text("pos_x pos_y pos_z\n52 1 0\n")
    inputs = {"x": {"input_type": "lfp", "module": "xstim", "positions_file": str(tmp_path / "inside.csv"),
                    "waveform": {"shape": "dc", "del": 1.0, "dur": 1.0, "amp": 0.001}}}
    config = _ball_config(tmp_path / "run", inputs, labels=["a", "b"], tstop=5.0)
    proc = run_cantata("run", str(config), "--no-progress")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    for part in ("inputs.x", "an electrode is 2.24 um from segment 0 of cell balls[1]", "at least 10 um"):
        assert part in proc.stderr, proc.stderr
