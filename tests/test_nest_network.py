"""NEST engine against NEST driven directly: the same network gives the same spikes."""

from __future__ import annotations

import json
from importlib.util import find_spec

import h5py
import numpy as np
import pandas as pd
import pytest
from sim_network import run_direct, spike_set, write_config, write_network

from cantata.cli import main
from cantata.sim import Simulation
from cantata.sonata.spikes import SpikeTrains

pytestmark = [pytest.mark.nest, pytest.mark.skipif(find_spec("nest") is None, reason="NEST is not installed")]


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    return write_network(tmp_path_factory.mktemp("pointnet"))


@pytest.fixture(scope="module")
def reference(net):
    return run_direct(net)


def cortex_spikes(result_or_path):
    trains = result_or_path.spikes if hasattr(result_or_path, "spikes") else SpikeTrains.read(result_or_path)
    return spike_set(*trains.population("cortex"))


def test_spikes_identical_to_direct_pynest(net, reference):
    result = Simulation.from_config(net.config, progress=False).run()
    expected = spike_set(*reference["spikes"])
    assert len(expected) > 50  # the network is active ...
    assert cortex_spikes(result) == expected
    # ... and the comparison has teeth: one changed delay or weight changes the spikes
    perturbed = run_direct(net, synapse={2: {"delay": np.full((net.edges["cortex_cortex"]["type"] == 2).sum(), 3.0)}})
    assert spike_set(*perturbed["spikes"]) != expected


def test_spike_files_h5_and_csv(net, reference, tmp_path):
    cfg = write_config(net, "config_files.json", output={"output_dir": str(tmp_path / "out"),
                                                         "spikes_sort_order": "id"})
    result = Simulation.from_config(cfg, progress=False).run()
    h5 = tmp_path / "out" / "spikes.h5"
    csv = tmp_path / "out" / "spikes.csv"
    assert set(result.files) == {h5, csv}
    assert cortex_spikes(h5) == spike_set(*reference["spikes"])
    with h5py.File(h5) as f:
        assert list(f["spikes"]) == ["cortex"]  # virtual inputs are not recorded
        ids = f["spikes/cortex/node_ids"][:]
        assert (np.diff(ids.astype(np.int64)) >= 0).all()  # sorted by id as asked
        assert f["spikes/cortex"].attrs["sorting"] == 1  # the spec's enum: by_id
    frame = pd.read_csv(csv, sep=" ")
    assert list(frame.columns) == ["timestamps", "population", "node_ids"]
    assert spike_set(frame["node_ids"].to_numpy(), frame["timestamps"].to_numpy()) == cortex_spikes(h5)
    assert "Simulated 200 ms" in (tmp_path / "out" / "log.txt").read_text()


def test_threads_give_the_same_spikes(net, reference, tmp_path):
    result = Simulation.from_config(net.config, threads=2, output_dir=tmp_path, progress=False).run()
    assert cortex_spikes(result) == spike_set(*reference["spikes"])


def test_cli_run_with_output_dir_and_threads(net, reference, tmp_path, capsys):
    code = main(["run", str(net.config), "--threads", "2", "--output-dir", str(tmp_path / "cli"), "--no-progress"])
    assert code == 0
    out = capsys.readouterr().out
    assert "spikes; simulated 200 ms" in out
    assert cortex_spikes(tmp_path / "cli" / "spikes.h5") == spike_set(*reference["spikes"])


def test_cli_reports_errors_without_traceback(net, tmp_path, capsys):
    cfg = write_config(net, "config_nodt.json", run={"tstop": 100.0, "dt": None})
    assert main(["run", str(cfg)]) == 1
    err = capsys.readouterr().err
    assert "run.dt" in err and "Traceback" not in err


def test_build_inspect_then_run(net, reference, tmp_path):
    sim = Simulation.from_config(net.config, output_dir=tmp_path, progress=False)
    sim.build()
    nest = sim.engine.nest
    cortex = sim.engine.nest_ids("cortex")
    assert cortex.size == net.cortex_types.size
    i_e = np.asarray(sim.engine.node_collection("cortex", [0, 1, 2]).get("I_e"))
    assert np.allclose(i_e, net.i_e[:3])
    n_edges = sum(e["source"].size for e in net.edges.values())
    assert nest.GetKernelStatus("num_connections") >= n_edges
    result = sim.run()
    assert cortex_spikes(result) == spike_set(*reference["spikes"])
    with pytest.raises(Exception, match="already run"):
        sim.run()


def test_inline_node_set_and_csv_spike_input(net, reference, tmp_path):
    ids, times = net.spikes
    csv = tmp_path / "input.csv"
    SpikeTrains.from_arrays(ids, times, "input").write_csv(csv)
    cfg = write_config(net, "config_csv.json", inputs={"stim": {
        "input_type": "spikes", "module": "csv", "input_file": str(csv), "node_set": {"population": "input"}}},
        output={"output_dir": str(tmp_path / "out")})
    result = Simulation.from_config(cfg, progress=False).run()
    assert cortex_spikes(result) == spike_set(*reference["spikes"])


def test_legacy_h5_spike_layout(net, reference, tmp_path):
    ids, times = net.spikes
    legacy = tmp_path / "legacy.h5"
    with h5py.File(legacy, "w") as f:  # pre-population BMTK layout: /spikes/gids, /spikes/timestamps
        f["spikes/gids"] = ids.astype(np.uint64)
        f["spikes/timestamps"] = times
    cfg = write_config(net, "config_legacy.json", inputs={"stim": {
        "input_type": "spikes", "module": "h5", "input_file": str(legacy), "node_set": "input"}},
        output={"output_dir": str(tmp_path / "out")})
    result = Simulation.from_config(cfg, progress=False).run()
    assert cortex_spikes(result) == spike_set(*reference["spikes"])


def test_offgrid_input_spikes_when_allowed_match_precise_generators(net, tmp_path):
    """``allow_offgrid_spikes``: delivered like BMTK's precise-time spike generators."""
    rng = np.random.default_rng(3)
    ids, times = net.spikes
    jitter = times - rng.uniform(0.0, 0.099, times.size)  # inside the step that ends at the grid time
    offgrid = tmp_path / "offgrid.h5"
    SpikeTrains.from_arrays(ids, jitter, "input").write_h5(offgrid)
    cfg = write_config(net, "config_offgrid.json", run={"allow_offgrid_spikes": True}, inputs={"stim": {
        "input_type": "spikes", "module": "sonata", "input_file": str(offgrid), "node_set": "input"}},
        output={"output_dir": str(tmp_path / "out")})
    result = Simulation.from_config(cfg, progress=False).run()
    assert cortex_spikes(result) == spike_set(*run_direct(net)["spikes"])  # same steps as the on-grid times
    assert json.loads(cfg.read_text())["run"]["allow_offgrid_spikes"] is True


def test_cli_plugin_registers_weight_functions(tmp_path, capsys):
    net = write_network(tmp_path / "net", weight_functions={2: "halved_inhibition_plugin"})
    plugin = tmp_path / "weights.py"
    plugin.write_text(
        "from cantata.sim import synaptic_weight\n\n"
        "@synaptic_weight('halved_inhibition_plugin')\n"
        "def halved(edges, sources, targets):\n"
        "    return 0.5 * edges['syn_weight'].to_numpy() * edges['nsyns'].to_numpy()\n")
    assert main(["run", str(net.config), "--no-progress"]) == 1
    assert "weight function 'halved_inhibition_plugin' is not registered" in capsys.readouterr().err
    assert main(["run", str(net.config), "--no-progress", "--plugin", str(plugin)]) == 0
    e = net.edges["cortex_cortex"]
    sel = e["type"] == 2
    reference = run_direct(net, weights={2: 0.5 * -60.0 * e["nsyns"][sel]})
    assert cortex_spikes(net.root / "output" / "spikes.h5") == spike_set(*reference["spikes"])
