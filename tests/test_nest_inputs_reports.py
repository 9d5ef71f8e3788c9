"""Current clamps and membrane reports of the NEST engine against direct PyNEST."""

from __future__ import annotations

from importlib.util import find_spec

import h5py
import numpy as np
import pytest
from sim_network import run_direct, spike_set, write_config, write_network

from cantata.sim import Simulation
from cantata.sonata.reports import FrameReport

pytestmark = [pytest.mark.nest, pytest.mark.skipif(find_spec("nest") is None, reason="NEST is not installed")]


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    return write_network(tmp_path_factory.mktemp("clampnet"), tstop=150.0)


def test_current_clamp_steps_match_step_current_generator(net, tmp_path):
    targets = [0, 3, 5, 11]
    cfg = write_config(net, "config_iclamp.json", node_sets={"clamped": {"population": "cortex", "node_id": targets}},
                       inputs={"clamp": {"input_type": "current_clamp", "module": "IClamp", "node_set": "clamped",
                                         "amp": [400.0, -150.0, 250.0], "delay": [20.0, 60.0, 70.0],
                                         "duration": [30.0, 20.0, 40.0]}},
                       output={"output_dir": str(tmp_path)})
    result = Simulation.from_config(cfg, progress=False).run()
    # the same pulses as NEST amplitude changes: overlapping pulses add up
    params = {"amplitude_times": [20.0, 50.0, 60.0, 70.0, 80.0, 110.0],
              "amplitude_values": [400.0, 0.0, -150.0, 100.0, 250.0, 0.0]}
    reference = run_direct(net, iclamp={"params": params, "nodes": targets})
    without = run_direct(net)
    assert spike_set(*result.spikes.population("cortex")) == spike_set(*reference["spikes"])
    assert spike_set(*reference["spikes"]) != spike_set(*without["spikes"])


def test_single_current_clamp_step(net, tmp_path):
    cfg = write_config(net, "config_iclamp1.json", inputs={"clamp": {
        "input_type": "current_clamp", "module": "IClamp", "node_set": {"population": "cortex", "ei": "i"},
        "amp": 300.0, "delay": 30.0, "duration": 50.0}}, output={"output_dir": str(tmp_path)})
    result = Simulation.from_config(cfg, progress=False).run()
    inh = np.flatnonzero(net.cortex_types == 101).tolist()
    reference = run_direct(net, iclamp={"params": {"amplitude_times": [30.0, 80.0], "amplitude_values": [300.0, 0.0]},
                                        "nodes": inh})
    assert spike_set(*result.spikes.population("cortex")) == spike_set(*reference["spikes"])


def test_membrane_report_streams_v_m_like_a_multimeter(net, tmp_path):
    cells = [1, 4, 9, 20]
    cfg = write_config(net, "config_vm.json", run={"nsteps_block": 250},  # 6 blocks: streamed
                       reports={"vm": {"module": "membrane_report", "cells": {"population": "cortex", "node_id": cells},
                                       "variable_name": "V_m", "sections": "soma", "file_name": "vm.h5"}},
                       output={"output_dir": str(tmp_path)})
    result = Simulation.from_config(cfg, progress=False).run()
    path = tmp_path / "vm.h5"
    assert path in result.files
    reference = run_direct(net, record_vm=cells)
    with FrameReport.open(path) as report:
        pop = report["cortex"]
        assert pop.node_ids.tolist() == cells and pop.units == "mV" and pop.variable == "V_m"
        times = pop.times
        assert times.size == round(net.tstop / net.dt) and np.isclose(times[0], net.dt)
        data = pop.data()
        for column, node in enumerate(cells):
            ref_t, ref_v = reference["vm"][node]
            ref_v = ref_v[ref_t <= net.tstop + 1e-9]
            assert ref_v.size == times.size
            np.testing.assert_allclose(data[:, column], ref_v, rtol=0, atol=1e-4)  # float32 storage
    with h5py.File(path) as f:
        mapping = f["report/cortex/mapping"]
        assert mapping["index_pointers"][:].tolist() == [0, 1, 2, 3, 4]
        assert np.allclose(mapping["time"][:], [net.dt, net.tstop + net.dt, net.dt])


def test_membrane_report_window_interval_and_several_variables(net, tmp_path):
    cfg = write_config(net, "config_vm2.json", reports={"state": {
        "module": "multimeter_report", "cells": "exc", "variable_name": ["V_m", "I_syn_ex"],
        "start_time": 50.0, "end_time": 100.0, "dt": 0.5}}, output={"output_dir": str(tmp_path)})
    Simulation.from_config(cfg, progress=False).run()
    exc = np.flatnonzero(net.cortex_types == 100)
    for variable, units in (("V_m", "mV"), ("I_syn_ex", "pA")):
        with FrameReport.open(tmp_path / f"state.{variable}.h5") as report:
            pop = report["cortex"]
            assert pop.node_ids.tolist() == exc.tolist() and pop.units == units
            assert np.allclose(pop.times, np.arange(50.5, 100.01, 0.5))
            assert np.isfinite(pop.data()).all()
