"""The engine-agnostic simulation core: settings, registries, output policy, logging, progress."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cantata.errors import ConfigError, SimulationError
from cantata.sim.engine import CurrentSteps
from cantata.sim.outputs import SpikeOutput, check_outputs
from cantata.sim.registry import (
    INPUTS,
    WEIGHT_FUNCTIONS,
    Registry,
    lookup_engine,
    synaptic_weight,
)
from cantata.sim.runlog import Progress, RunLog, log
from cantata.sim.settings import LogSettings, OutputSettings, RunSettings
from cantata.sonata.config import SonataConfig
from cantata.sonata.spikes import SpikeTrains


def config(tmp_path: Path, **blocks) -> SonataConfig:
    data = {"run": {"tstop": 100.0, "dt": 0.1}, "output": {"output_dir": "out"}}
    for key, value in blocks.items():
        data[key] = value
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data))
    return SonataConfig.from_json(path)


# -- run settings ---------------------------------------------------------------------------

def test_run_settings_defaults_and_blocks(tmp_path):
    settings = RunSettings.from_config(config(tmp_path, run={"tstop": 1000.0, "dt": 0.1, "nsteps_block": 3000}))
    assert settings.n_steps == 10000 and settings.threads == 1 and settings.tstart == 0.0
    assert np.allclose(settings.block_ends(), [300.0, 600.0, 900.0, 1000.0])
    assert RunSettings.from_config(config(tmp_path), threads=3).threads == 3
    assert RunSettings.from_config(config(tmp_path, run={"tstop": 10, "dt": 0.1, "n_thread": 2})).threads == 2


@pytest.mark.parametrize("run, key", [
    ({"dt": 0.1}, "run.tstop"),
    ({"tstop": 100.0}, "run.dt"),
    ({"tstop": -5.0, "dt": 0.1}, "run.tstop"),
    ({"tstop": 100.0, "dt": 0.0}, "run.dt"),
    ({"tstop": 100.0, "dt": "0.1"}, "run.dt"),
    ({"tstop": 100.05, "dt": 0.1}, "run.tstop"),
    ({"tstop": 100.0, "dt": 0.1, "tstart": 100.0}, "run.tstart"),
    ({"tstop": 100.0, "dt": 0.1, "nsteps_block": 0}, "run.nsteps_block"),
])
def test_bad_run_blocks_name_the_key(tmp_path, run, key):
    with pytest.raises(ConfigError) as err:
        RunSettings.from_config(config(tmp_path, run=run))
    assert err.value.key == key
    assert "config.json" in str(err.value)


def test_output_settings(tmp_path):
    cfg = config(tmp_path, output={"output_dir": "out", "spikes_file": "s.h5", "spikes_file_csv": "s.csv",
                                   "log_file": False, "spikes_sort_order": "by_id", "log_level": "debug",
                                   "overwrite_output_dir": False})
    out = OutputSettings.from_config(cfg)
    assert out.spikes_file == tmp_path / "out" / "s.h5" and out.log.file is None
    assert out.sort_by == "id" and out.log.level == "DEBUG" and out.overwrite is False
    moved = OutputSettings.from_config(cfg, output_dir=tmp_path / "elsewhere")
    assert moved.spikes_file == tmp_path / "elsewhere" / "s.h5"
    assert moved.report_path(cfg, tmp_path / "out" / "v.h5") == tmp_path / "elsewhere" / "v.h5"
    # BMTK examples put overwrite_output_dir into "run"
    assert OutputSettings.from_config(config(tmp_path, run={"tstop": 1, "dt": 0.1, "overwrite_output_dir": False})
                                      ).overwrite is False
    with pytest.raises(ConfigError, match="log level"):
        OutputSettings.from_config(config(tmp_path, output={"log_level": "LOUD"}))


# -- registries -----------------------------------------------------------------------------

def test_registry_prefers_the_engine_specific_entry():
    reg: Registry[str] = Registry("thing")
    reg.add(("spikes", "csv"), "generic")
    reg.add(("spikes", "CSV"), "nest-only", engine="NEST")
    assert reg.find(("Spikes", "csv")) == "generic"
    assert reg.find(("spikes", "csv"), engine="nest") == "nest-only"
    assert reg.find(("spikes", "csv"), engine="neuron") == "generic"
    assert reg.find(("spikes", "nwb")) is None
    assert "spikes/csv" in reg.describe(engine="nest")


def test_weight_function_decorator_registers_by_name():
    @synaptic_weight
    def doubled(edges, sources, targets):
        return 2 * edges["syn_weight"].to_numpy()

    @synaptic_weight("halved_test")
    def _half(edges, sources, targets):
        return edges["syn_weight"].to_numpy() / 2

    assert WEIGHT_FUNCTIONS.find("doubled") is doubled
    assert WEIGHT_FUNCTIONS.find("halved_test") is _half


def test_builtin_inputs_registered_and_engines_lookup():
    from cantata.sim.registry import load_builtins

    load_builtins()
    assert INPUTS.find(("spikes", "sonata")) is not None
    assert INPUTS.find(("current_clamp", "IClamp")) is not None
    assert lookup_engine("NEST").name == "nest"
    with pytest.raises(ConfigError, match="no simulation engine"):
        lookup_engine("Brian2")


def test_import_sim_does_not_import_engines():
    code = ("import sys, cantata.sim; from cantata.sim.registry import load_builtins; load_builtins(); "
            "import cantata.sim.simulation; print(sorted({'nest', 'neuron', 'mpi4py'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- current steps, output policy, spike output ------------------------------------------------

def test_current_steps_add_up():
    steps = CurrentSteps(amp=np.array([100.0, 50.0, -20.0]), delay=np.array([10.0, 15.0, 40.0]),
                         duration=np.array([10.0, 10.0, 5.0]))
    times, amps = steps.breakpoints()
    assert times.tolist() == [10.0, 15.0, 20.0, 25.0, 40.0, 45.0]
    assert amps.tolist() == [100.0, 150.0, 50.0, 0.0, -20.0, 0.0]


def test_check_outputs_stops_when_results_exist(tmp_path):
    existing = tmp_path / "spikes.h5"
    existing.write_text("old")
    keep = OutputSettings(tmp_path, False, existing, None, "time", LogSettings())
    with pytest.raises(SimulationError, match="overwrite_output_dir is false") as err:
        check_outputs(keep, [existing, tmp_path / "new.h5"])
    assert str(existing) in str(err.value)
    check_outputs(keep, [tmp_path / "new.h5"])  # nothing there yet: fine
    check_outputs(OutputSettings(tmp_path, True, existing, None, "time", LogSettings()), [existing])


def test_spike_output_writes_complete_files_and_partial_after_errors(tmp_path):
    settings = OutputSettings(tmp_path, True, tmp_path / "spikes.h5", tmp_path / "spikes.csv", "id", LogSettings())
    out = SpikeOutput(settings, tstart=5.0)
    out.declare(["a", "silent"])
    out.add({"a": (np.array([2, 1, 2]), np.array([1.0, 6.0, 7.0]))})
    out.add({"a": (np.array([0]), np.array([8.0]))})
    partial = out.write_partial()
    assert [p.name for p in partial] == ["spikes.partial.h5", "spikes.partial.csv"]
    assert not (tmp_path / "spikes.h5").exists()
    out.write()
    trains = SpikeTrains.read(tmp_path / "spikes.h5")
    assert sorted(trains.populations) == ["a", "silent"]
    ids, times = trains.population("a")
    assert ids.tolist() == [0, 1, 2] and times.tolist() == [8.0, 6.0, 7.0]  # sorted by id, t >= tstart


# -- logging and progress ---------------------------------------------------------------------

def test_run_log_appends_to_file_and_detaches(tmp_path):
    path = tmp_path / "out" / "log.txt"
    settings = LogSettings(file=path, level="INFO", format="%(levelname)s %(message)s", to_console=False)
    before = len(log.handlers)
    with RunLog(settings):
        log.info("first run")
        log.debug("hidden")
    with RunLog(settings):
        log.warning("second run")
    assert len(log.handlers) == before
    assert path.read_text().splitlines() == ["INFO first run", "WARNING second run"]


def test_records_held_before_the_log_opens_reach_the_file(tmp_path, capsys):
    """Warnings given while the config's blocks are read (before the log file may be created)
    are written to it once it opens; if the run stops before that, they still reach stderr."""
    path = tmp_path / "out" / "log.txt"
    settings = LogSettings(file=path, level="INFO", format="%(levelname)s %(message)s", to_console=False)
    run_log = RunLog(settings)
    before = len(log.handlers)
    run_log.hold()
    log.warning("inputs.x: ignoring unknown key(s) y")
    with run_log:
        log.info("started")
    assert path.read_text().splitlines() == ["WARNING inputs.x: ignoring unknown key(s) y", "INFO started"]
    assert len(log.handlers) == before

    stopped = RunLog(settings)
    stopped.hold()
    log.warning("reports.r: no NWB copy")
    stopped.release()
    assert "reports.r: no NWB copy" in capsys.readouterr().err
    assert len(log.handlers) == before and "NWB" not in path.read_text()


def test_progress_line_only_for_long_runs():
    stream = io.StringIO()
    quick = Progress(1000.0, after=60.0, stream=stream)
    quick(500.0)
    assert stream.getvalue() == ""
    line = Progress(1000.0, after=0.0).line(250.0, 2.0)
    assert "t = 250.0 / 1000.0 ms" in line and "25.0%" in line and "0.125 s simulated per s" in line


def test_progress_logs_when_not_a_terminal(caplog):
    progress = Progress(100.0, after=0.0, every=0.0, stream=io.StringIO())
    with caplog.at_level(logging.INFO, logger="cantata"):
        progress(50.0)
    assert any("t = 50.0 / 100.0 ms" in r.message for r in caplog.records)
