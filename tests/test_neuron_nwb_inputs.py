"""Current clamps from Allen Cell Types NWB sweeps (``input_type`` ``nwb``/``allen``, module
``IClamp``) on the NEURON engine: the sweep reader and sample selection, the injected current
and whole runs against BMTK 1.2 BioNet, and bad input named clearly.

The NWB file is written here (bmtk_reference/inputs_model.py) in the layout of the Allen files
that BMTK reads, with a designed 250 ms stimulus at 200 kHz (test pulse, step, ramp, chirp,
noise)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from bmtk_reference.inputs_model import SAMPLE_RATE, designed_stimulus, with_inputs, write_allen_nwb, write_inputs_model
from test_neuron_support import REPO, child_env, run_cantata, run_python

from benchmarks.peers import PEERS_DIR, peer_python, status
from cantata.errors import ConfigError, FormatError, SimulationError
from cantata.sim.engines.neuron.nwb_clamp import NwbCurrentClamp, read_sweep, select_samples, sweep_group_name
from cantata.sonata.reports import FrameReport

SPIKE_TIME_TOL = 1e-6  # ms
NEURON_V_TOL = 1e-5  # mV: reports are float32
PAD_MS = 40.0  # Sweep_6 is Sweep_5 after 40 ms of zeros
NEEDS_PEERS = pytest.mark.skipif(status() is not None, reason=f"needs the peers' environment: {status()}")


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Sweep_5: the designed stimulus; Sweep_6: the same after 40 ms of zeros."""
    stim = designed_stimulus(250.0)
    padded = np.concatenate([np.zeros(int(PAD_MS * SAMPLE_RATE / 1000.0)), stim])
    return write_allen_nwb(tmp_path_factory.mktemp("nwb") / "sweeps.nwb", {5: stim, 6: padded})


def vecevent_mod() -> Path:
    found = sorted(PEERS_DIR.glob("lib/python*/site-packages/bmtk/utils/scripts/bionet/mechanisms/modfiles/vecevent.mod"))
    assert found, f"vecevent.mod not found in the bmtk package of {PEERS_DIR}"
    return found[0]


# -- reading and selecting -------------------------------------------------------------------

@pytest.mark.parametrize(("given", "group"), [(5, "Sweep_5"), ("5", "Sweep_5"), (5.0, "Sweep_5"),
                                              ("Sweep_5", "Sweep_5"), (" 12 ", "Sweep_12")])
def test_sweep_ids_name_the_allen_groups(given: Any, group: str) -> None:
    assert sweep_group_name(given) == group


def test_reader_gives_nanoamperes_at_the_file_rate(sweeps: Path) -> None:
    amps, interval = read_sweep(sweeps, "Sweep_5")
    with h5py.File(sweeps) as f:
        raw = f["stimulus/presentation/Sweep_5/data"][()]
    assert interval == pytest.approx(1000.0 / SAMPLE_RATE) and amps.dtype == np.float64
    assert np.array_equal(amps, (raw * 1e9).astype(np.float64))  # scaled in the file's float32, as BMTK
    assert amps.max() == pytest.approx(1.2, abs=0.3) and amps[-1] == 0.0


def test_downsample_keeps_every_nth_sample_and_window_keeps_sweep_times() -> None:
    amps = np.arange(20.0)
    got, step, times = select_samples(amps, 0.5, downsample=1.6, window=(2.0, 7.0))
    # stride round(1.6 / 0.5) = 3: samples 1.5 ms apart; the window keeps sweep times 3, 4.5, 6
    assert step == 1.5 and np.array_equal(times, [3.0, 4.5, 6.0]) and np.array_equal(got, [6.0, 9.0, 12.0])
    got, step, _ = select_samples(amps, 0.5, downsample=0.25, window=None)  # not above the interval: ignored
    assert step == 0.5 and got.size == 20


OPTIONS = ({}, {"downsample": 0.025}, {"sweep_window": [25.0, 240.0]},
           {"downsample": 0.1, "sweep_window": [100.0, 200.0]})


@NEEDS_PEERS
def test_injected_current_is_bmtk_s(sweeps: Path) -> None:
    """The clamp currents, recorded every step of a 260 ms run (dt 0.025 ms) on passive
    sections, are those of BMTK's NWBReaderNRN clamps, value for value, while samples are
    played (whole sweep, downsampled, windowed, both). After the last sample BMTK 1.2 holds its
    amplitude (its clamp lasts 1000 times the sweep), Cantata's clamp is off: the same when the
    played part ends at 0 nA, as recorded sweeps do."""
    record = """
import json
from neuron import h
h.load_file('stdrun.hoc')
keep, currents = [], []
for options in {options!r}:
    sec = h.Section(); sec.insert('pas')
    {make}
    keep.append((sec, made)); currents.append(h.Vector().record(clamp._ref_i))
h.dt = 0.025; h.finitialize(-65.0); h.continuerun(260.0)
print(json.dumps([list(i) for i in currents]))
"""
    path = str(sweeps)
    ours = run_python("from cantata.sim.engines.neuron.nwb_clamp import NwbCurrentClamp, play_sweep\n" + record.format(
        options=OPTIONS, make=f"made = play_sweep(sec(0.5), NwbCurrentClamp('c', {{'file': {path!r}, 'sweep_id': 5, "
                              "**options}).load()); clamp = made[0]"))
    bmtk_code = "from bmtk.simulator.bionet.modules.iclamp import NWBReaderNRN\n" + record.format(
        options=OPTIONS, make=f"made = NWBReaderNRN(file={path!r}, sweep_id=5, **options).create_clamps(sec(0.5)); "
                              "clamp = made[0][1]")
    proc = subprocess.run([str(peer_python()), "-c", bmtk_code], capture_output=True, text=True, timeout=120,
                          env=child_env(), cwd=REPO, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    theirs_all = json.loads(proc.stdout.strip().splitlines()[-1])
    for options, mine, theirs in zip(OPTIONS, ours, theirs_all, strict=True):
        mine, theirs = np.asarray(mine), np.asarray(theirs)
        assert mine.size == theirs.size == 10401 and np.abs(mine).max() > 0.5
        played = NwbCurrentClamp("c", {"file": path, "sweep_id": 5, **options}).load()
        on = np.arange(mine.size) * 0.025 < played.duration + 0.0125  # the step that ends the clamp included
        bad = np.flatnonzero(mine[on] != theirs[on])
        assert bad.size == 0, f"{options}: {bad.size} steps differ, first at t = {bad[0] * 0.025} ms: " \
                              f"{mine[bad[0]:bad[0] + 3]} vs BMTK {theirs[bad[0]:bad[0] + 3]}"
        assert (mine[~on] == 0).all() and (theirs[~on] == played.amps[-1]).all()
        assert (played.amps[-1] == 0.0) == ("sweep_window" not in options or options["sweep_window"][1] >= 230.0)


# -- whole runs against BMTK -----------------------------------------------------------------

def _clamp(node: int, **keys: Any) -> dict[str, Any]:
    return {"input_type": "nwb", "module": "IClamp", "file": "$BASE/sweeps.nwb",
            "node_set": {"population": "cortex", "node_id": [node]}, **keys}


@pytest.mark.neuron
@NEEDS_PEERS
def test_sweeps_drive_cells_as_in_bmtk(testdata: Path, tmp_path: Path, sweeps: Path) -> None:
    """Three HH cells: the whole sweep (``allen``), a downsampled window, and the sweep with a
    40 ms ``delay``. BMTK 1.2 BioNet plays the delayed clamp from t = 0 (it only switches the
    clamp on at ``delay``), so its run gets the equivalent: Sweep_6, the same stimulus after 40 ms
    of zeros, without delay. Same spikes (1e-6 ms) and soma v (1e-5 mV)."""
    from test_bmtk_reference import assert_same_spikes, finish_bmtk, run_cantata_cli, start_bmtk

    (tmp_path / "sweeps.nwb").write_bytes(sweeps.read_bytes())
    inputs = {"whole": {**_clamp(0, sweep_id=5), "input_type": "allen"},
              "window": _clamp(1, sweep_id="5", downsample=0.025, sweep_window=[25.0, 240.0]),
              "delayed": _clamp(2, sweep_id="Sweep_5", delay=PAD_MS)}
    model = write_inputs_model(tmp_path, testdata, vecevent_mod(), recurrent_in_network=False, virtual_inputs=False,
                               inputs=inputs)
    bmtk_config = with_inputs(model, "bmtk", {**inputs, "delayed": _clamp(2, sweep_id=6)})
    bmtk = start_bmtk("bionet", bmtk_config, tmp_path / "out_bmtk")
    ours = run_cantata_cli(model.config, tmp_path / "out_cantata")
    theirs = finish_bmtk(bmtk, tmp_path / "out_bmtk")
    spikes = assert_same_spikes(theirs, ours, "cortex", tol=SPIKE_TIME_TOL)
    assert sorted(spikes) == [0, 1, 2] and all(t.size >= 2 for t in spikes.values())
    assert np.allclose(spikes[2], spikes[0] + PAD_MS)  # the delay shifts the sweep
    want = FrameReport.open(theirs / "soma_v.h5")["cortex"].data()
    got = FrameReport.open(ours / "soma_v.h5")["cortex"].data()
    diff = np.abs(want[:-1] - got[1:])  # BMTK's rows are one step later
    assert diff.max() <= NEURON_V_TOL, f"soma v differs by {diff.max()} mV"


# -- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize(("keys", "where", "text"), [
    ({"sweep_id": 5}, "inputs.c.file", "missing file"),
    ({"file": "x.nwb"}, "inputs.c.sweep_id", "missing sweep_id"),
    ({"file": "x.nwb", "sweep_id": 5.5}, "inputs.c.sweep_id", "a whole sweep number"),
    ({"file": "x.nwb", "sweep_id": True}, "inputs.c.sweep_id", "not a valid sweep"),
    ({"file": "x.nwb", "sweep_id": 5, "downsample": -1}, "inputs.c.downsample", "positive number"),
    ({"file": "x.nwb", "sweep_id": 5, "delay": "soon"}, "inputs.c.delay", "number >= 0"),
    ({"file": "x.nwb", "sweep_id": 5, "sweep_window": [50, 10]}, "inputs.c.sweep_window", "[start, stop]"),
    ({"file": "x.nwb", "sweep_id": 5, "sweep_window": [-1, 10]}, "inputs.c.sweep_window", "0 <= start"),
    ({"file": "x.nwb", "sweep_id": 5, "sweep_window": 10}, "inputs.c.sweep_window", "[start, stop]"),
])
def test_bad_keys_are_named(keys: dict[str, Any], where: str, text: str) -> None:
    with pytest.raises(ConfigError) as info:
        NwbCurrentClamp("c", keys, config_file="config.json")
    assert where in str(info.value) and text in str(info.value) and "config.json" in str(info.value)


def test_bad_files_are_named(sweeps: Path, tmp_path: Path) -> None:
    with pytest.raises(SimulationError, match=r"x\.nwb: inputs\.c\.file: NWB file not found"):
        NwbCurrentClamp("c", {"file": str(tmp_path / "x.nwb"), "sweep_id": 5}).load()
    with pytest.raises(SimulationError, match=r"inputs\.c\.sweep_id: the file has no sweep 'Sweep_7' "
                                              r"\(expected one of Sweep_5, Sweep_6"):
        NwbCurrentClamp("c", {"file": str(sweeps), "sweep_id": 7}).load()
    with pytest.raises(SimulationError, match=r"sweep_window selects no sample .*expected a window overlapping "
                                              r"the sweep's 0\.\.249\.995 ms"):
        NwbCurrentClamp("c", {"file": str(sweeps), "sweep_id": 5, "sweep_window": [300, 400]}).load()
    text = tmp_path / "text.nwb"
    text.write_text("not hdf5")
    with pytest.raises(FormatError, match="text.nwb: not an HDF5"):
        read_sweep(text, "Sweep_5")
    broken = tmp_path / "broken.nwb"
    with h5py.File(broken, "w") as f:
        f.create_group("epochs/Sweep_5/stimulus/timeseries").create_dataset("data", data=[0.0, 1e-9])
    with pytest.raises(FormatError, match=r"broken.nwb: /epochs/Sweep_5/stimulus/timeseries/starting_time: "
                                          "the stimulus time series has no starting_time"):
        read_sweep(broken, "Sweep_5")
    with h5py.File(broken, "a") as f:
        f["epochs/Sweep_5/stimulus/timeseries"].create_dataset("starting_time", data=0.0)
    with pytest.raises(FormatError, match=r"starting_time@rate: the sampling rate must be a positive number"):
        read_sweep(broken, "Sweep_5")
    empty = tmp_path / "empty.nwb"
    h5py.File(empty, "w").close()
    with pytest.raises(FormatError, match="no /epochs group"):
        read_sweep(empty, "Sweep_5")


@pytest.mark.neuron
def test_bad_node_set_is_named_in_a_run(testdata: Path, tmp_path: Path, sweeps: Path) -> None:
    model = write_inputs_model(tmp_path, testdata, None, recurrent_in_network=False, virtual_inputs=False,
                               inputs={"c": {**_clamp(0, sweep_id=5), "file": str(sweeps), "node_set": "nobody"}})
    proc = run_cantata("run", str(model.config), "--no-progress")
    assert proc.returncode != 0 and "inputs.c.node_set" in proc.stderr and "unknown node set 'nobody'" in proc.stderr


def test_unknown_keys_are_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="cantata"):
        NwbCurrentClamp("c", {"file": "x.nwb", "sweep_id": 5, "sweep_windw": [0, 1]})
    assert "inputs.c: ignoring unknown key(s) sweep_windw" in caplog.text
