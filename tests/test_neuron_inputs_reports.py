"""NEURON inputs (current steps, current waveforms, voltage clamps) and reports (soma and
compartment reports, report windows, extracellular potential)."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from test_neuron_support import run_cantata, write_bio_network

from cantata.sim.engines.neuron.geometry import line_source_transfer, place, rotation
from cantata.sonata.reports import FrameReport
from cantata.sonata.spikes import SpikeTrains

ELECTRODES = "sonata-examples/shared_components/recXelectrodes/linear_electrode.csv"


def _run(config: Path) -> None:
    proc = run_cantata("run", str(config), "--no-progress")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]


def test_reports_clamps_and_extracellular_in_one_run(testdata: Path, tmp_path: Path) -> None:
    waveform = tmp_path / "wave.csv"
    times = [0.0, 20.0, 20.0, 80.0, 80.0, 110.0, 110.0, 160.0, 160.0, 200.0]
    amps = [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 2.0, 2.0, 0.0, 0.0]
    waveform.write_text("timestamps,amps\n" + "\n".join(f"{t},{a}" for t, a in zip(times, amps)))
    reports = {
        "soma_v": {"cells": "cells", "variable_name": "v"},
        "all_v": {"cells": "cells", "variable_name": "v", "sections": "all", "dt": 0.1,
                  "start_time": 50.0, "end_time": 150.0},
        "ecp": {"module": "extracellular", "electrode_positions": str(testdata / ELECTRODES)},
    }
    config = write_bio_network(tmp_path, testdata, n_cells=3, synapses=False, clamp=True, reports=reports,
                               config_extra={"inputs": {
                                   "wave": {"input_type": "csv", "module": "IClamp", "file": str(waveform),
                                            "node_set": {"population": "cortex", "node_id": [1]}},
                                   "hold": {"input_type": "voltage_clamp", "module": "SEClamp",
                                            "node_set": {"population": "cortex", "node_id": [2]},
                                            "amps": [-65.0, -30.0, -65.0], "durations": [50.0, 50.0, 100.0],
                                            "rs": 0.01}}})
    _run(config)
    out = tmp_path / "output"
    soma = FrameReport.open(out / "soma_v.h5")["cortex"]
    v = soma.data()
    assert v.shape == (8000, 3) and soma.node_ids.tolist() == [0, 1, 2]
    # node 0: two current steps (IClamp); node 1: the same steps as a waveform file
    assert np.abs(v[:, 0] - v[:, 1]).max() < 1.0 and np.abs(v[:, 0] - v[:, 1]).mean() < 0.05
    spikes = SpikeTrains.read(out / "spikes.h5").population("cortex")
    assert (spikes[0] == 0).sum() == (spikes[0] == 1).sum() >= 2
    # node 2: held by the voltage clamp
    assert np.abs(v[2200:3900, 2] - (-30.0)).max() < 0.5
    assert np.abs(v[4400:7900, 2] - (-65.0)).max() < 0.5

    compartments = FrameReport.open(out / "all_v.h5")["cortex"]
    data = compartments.data()
    assert compartments.times[0] == pytest.approx(50.0) and data.shape[0] == 1000  # dt 0.1, [50, 150)
    with h5py.File(out / "all_v.h5") as f:
        mapping = f["report/cortex/mapping"]
        pointers = mapping["index_pointers"][:]
        elements = mapping["element_ids"][:]
        positions = mapping["element_pos"][:]
    assert pointers.size == 4 and pointers[-1] == data.shape[1]
    per_cell = np.diff(pointers)
    assert (per_cell == per_cell[0]).all()  # same morphology and dL
    first = elements[: per_cell[0]]
    assert first[0] == 0 and (np.diff(first) >= 0).all() and first[-1] == 121  # section ids, stub last
    assert positions[0] == 0.5
    # the soma column of the compartment report is the soma report, sampled every 4th step
    assert np.array_equal(data[:, 0], v[2000:6000:4, 0])

    with h5py.File(out / "ecp.h5") as f:
        ecp = f["ecp/data"][:]
        assert f["ecp/channel_id"].shape == (ecp.shape[1],) and f["ecp/time"][:].tolist() == [0.0, 200.0, 0.025]
    assert ecp.shape == (8000, 86) and np.isfinite(ecp).all() and np.abs(ecp).max() > 1e-4


def test_line_source_matches_summed_point_sources() -> None:
    start = np.array([[0.0, 0.0, 0.0], [10.0, 5.0, -3.0]])
    end = np.array([[0.0, 40.0, 0.0], [10.0, 5.0, -3.0]])  # the second is a point
    electrodes = np.array([[15.0, 20.0, 0.0], [0.0, 60.0, 2.0], [-30.0, -10.0, 4.0]])
    transfer = line_source_transfer(start, end, electrodes, sigma=0.3, minimum_distance=1.0)
    t = (np.arange(20000) + 0.5) / 20000
    points = start[0] + t[:, None] * (end[0] - start[0])
    for c, e in enumerate(electrodes):
        numeric = np.mean(1.0 / np.linalg.norm(points - e, axis=1)) / (4 * np.pi * 0.3)
        assert transfer[c, 0] == pytest.approx(numeric, rel=1e-6)
        assert transfer[c, 1] == pytest.approx(1 / np.linalg.norm(start[1] - e) / (4 * np.pi * 0.3))


def test_placement_rotates_about_z_then_y_then_x() -> None:
    attrs = {"x": 100.0, "y": 0.0, "z": 0.0, "rotation_angle_zaxis": np.pi / 2, "rotation_angle_xaxis": np.pi / 2}
    moved = place(np.array([[1.0, 0.0, 0.0]]), np.zeros(3), attrs)
    # z turns x into y, then x turns y into z
    assert moved[0] == pytest.approx([100.0, 0.0, 1.0])
    assert np.allclose(rotation({}), np.eye(3))
    assert place(np.array([[5.0, 5.0, 5.0]]), np.array([5.0, 5.0, 5.0]), {"recenter": 0})[0] == \
        pytest.approx([5.0, 5.0, 5.0])
