"""Bad input fails before simulated time is spent, with a message naming what is wrong, and
leaves earlier results untouched; a run that crashes keeps what it had flushed."""

from __future__ import annotations

import json
from importlib.util import find_spec
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from sim_network import write_config, write_network

from cantata.errors import CantataError, ConfigError, NodeSetError, SimulationError
from cantata.sim import ReportModule, Simulation, report_module
from cantata.sonata.spikes import SpikeTrains
from cantata.sonata.write import write_types_csv

pytestmark = [pytest.mark.nest, pytest.mark.skipif(find_spec("nest") is None, reason="NEST is not installed")]


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    net = write_network(tmp_path_factory.mktemp("badnet"), tstop=50.0)
    Simulation.from_config(net.config, progress=False).run()  # the earlier results to protect
    return net


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "log.txt"}


def fails(net, config: Path, error: type[CantataError], *fragments: str) -> CantataError:
    before = snapshot(net.root / "output")
    with pytest.raises(error) as info:
        Simulation.from_config(config, progress=False).run()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert snapshot(net.root / "output") == before  # earlier results untouched, no partial files
    return info.value


def with_node_types(net, name: str, **changes) -> Path:
    """A config whose cortex node types differ (a copy of the types table)."""
    table = pd.read_csv(net.root / "network" / "node_types.csv", sep=" ")
    for column, (row, value) in changes.items():
        table.loc[table["node_type_id"] == row, column] = value
    types = net.root / "network" / f"{name}_node_types.csv"
    write_types_csv(types, table, overwrite=True)
    networks = json.loads(net.config.read_text())["networks"]
    networks["nodes"][0]["node_types_file"] = str(types)
    return write_config(net, f"{name}.json", networks=networks)


def test_unknown_nest_model_names_node_type_and_model(net):
    cfg = with_node_types(net, "unknown_model", model_template=(100, "nest:iaf_psc_alfa"))
    fails(net, cfg, SimulationError, "unknown NEST model 'iaf_psc_alfa'", "node_type_id 100", "unknown_model_node_types.csv")


def test_not_a_nest_template(net):
    cfg = with_node_types(net, "hoc_template", model_template=(101, "hoc:Scnn1a"))
    fails(net, cfg, SimulationError, "not a NEST model template", "node_type_id 101", "hoc:Scnn1a")


def test_missing_dynamics_file(net):
    cfg = with_node_types(net, "missing_dyn", dynamics_params=(100, "no_such_cell.json"))
    fails(net, cfg, SimulationError, "dynamics_params file not found", "no_such_cell.json", "node_type_id 100")


def test_malformed_dynamics_file(net):
    (net.root / "components" / "point" / "broken.json").write_text('{"C_m": 250.0, "tau_m": }')
    cfg = with_node_types(net, "broken_dyn", dynamics_params=(101, "broken.json"))
    fails(net, cfg, SimulationError, "malformed JSON at line 1", "broken.json", "node_type_id 101")


def test_parameter_nest_rejects(net):
    (net.root / "components" / "point" / "negative_cm.json").write_text(json.dumps({"C_m": -250.0, "tau_m": 10.0}))
    cfg = with_node_types(net, "negative_cm", dynamics_params=(100, "negative_cm.json"))
    fails(net, cfg, SimulationError, "NEST rejected the parameters of iaf_psc_alpha", "'C_m' = -250.0",
          "node_type_id 100", "apacitance")


def test_parameter_the_model_does_not_have(net):
    (net.root / "components" / "point" / "typo.json").write_text(json.dumps({"tau_mem": 10.0}))
    cfg = with_node_types(net, "typo", dynamics_params=(101, "typo.json"))
    fails(net, cfg, SimulationError, "has no parameter 'tau_mem'", "typo.json", "node_type_id 101")


def test_input_spikes_for_node_ids_that_do_not_exist(net, tmp_path):
    bad = tmp_path / "too_many.h5"
    SpikeTrains.from_arrays([1, net.n_input + 3, net.n_input + 7], [5.0, 6.0, 7.0], "input").write_h5(bad)
    cfg = write_config(net, "bad_ids.json", inputs={"stim": {"input_type": "spikes", "module": "sonata",
                                                             "input_file": str(bad), "node_set": "inputs"}})
    fails(net, cfg, SimulationError, "spikes for node ids that population 'input' does not have", "too_many.h5",
          f"[{net.n_input + 3}, {net.n_input + 7}]")


def test_undefined_node_set(net):
    cfg = write_config(net, "bad_set.json", inputs={"stim": {"input_type": "spikes", "module": "sonata",
                                                             "input_file": str(net.root / "input_spikes.h5"),
                                                             "node_set": "thalamus"}})
    fails(net, cfg, NodeSetError, "unknown node set 'thalamus'", "inputs.stim.node_set")


@pytest.mark.parametrize("run, key", [({"dt": None}, "run.dt"), ({"tstop": None}, "run.tstop"),
                                      ({"dt": -0.1}, "run.dt"), ({"tstop": 0.0}, "run.tstop")])
def test_dt_and_tstop_missing_or_not_positive(net, run, key):
    cfg = write_config(net, f"bad_run_{key}_{len(str(run))}.json", run=run)
    err = fails(net, cfg, ConfigError, key)
    assert err.key == key


def test_spikes_finer_than_dt(net, tmp_path):
    fine = tmp_path / "fine.h5"
    SpikeTrains.from_arrays([0, 1, 2], [5.0, 10.05, 20.0], "input").write_h5(fine)
    cfg = write_config(net, "fine_spikes.json", inputs={"stim": {"input_type": "spikes", "module": "sonata",
                                                                 "input_file": str(fine), "node_set": "inputs"}})
    fails(net, cfg, SimulationError, "finer than the time step dt", "10.05", "allow_offgrid_spikes")


def test_unknown_input_type_and_report_module(net):
    cfg = write_config(net, "bad_input_type.json", inputs={"stim": {"input_type": "movie", "module": "graiting",
                                                                    "node_set": "inputs"}})
    fails(net, cfg, ConfigError, "inputs.stim", "spikes/sonata")
    cfg = write_config(net, "bad_report.json", reports={"r": {"module": "ecp_report", "cells": "exc"}})
    fails(net, cfg, ConfigError, "reports.r.module", "membrane_report")


def test_unrecordable_variable(net):
    cfg = write_config(net, "bad_var.json", reports={"vm": {"module": "membrane_report", "cells": "exc",
                                                            "variable_name": "v"}})
    fails(net, cfg, SimulationError, "iaf_psc_alpha cannot record 'v'", "V_m")


def test_existing_results_with_overwrite_false_stop_before_simulating(net):
    cfg = write_config(net, "keep.json", output={"overwrite_output_dir": False})
    fails(net, cfg, SimulationError, "overwrite_output_dir is false", "spikes.h5", "nothing was simulated")


class _Explodes(ReportModule):
    calls = 0

    def block(self, sim, t):
        type(self).calls += 1
        if type(self).calls == 2:
            raise RuntimeError("disk on fire")


def test_crash_keeps_every_flushed_block(net, tmp_path):
    report_module("explode_test")(_Explodes)
    out = tmp_path / "crash"
    cfg = write_config(net, "crash.json", run={"nsteps_block": 100},
                       reports={"vm": {"module": "membrane_report", "cells": "exc", "variable_name": "V_m"},
                                "boom": {"module": "explode_test"}},
                       output={"output_dir": str(out)})
    with pytest.raises(RuntimeError, match="disk on fire"):
        Simulation.from_config(cfg, progress=False).run()
    assert not (out / "vm.h5").exists() and not (out / "spikes.h5").exists()
    with h5py.File(out / "vm.partial.h5") as f:
        data = f["report/cortex/data"]
        rows = int(data.attrs["rows_written"])
        assert 100 <= rows < data.shape[0]  # two blocks of 100 steps, less NEST's min_delay lag
        assert np.isfinite(data[:rows]).all() and np.isnan(data[rows:]).all()
    partial = SpikeTrains.read(out / "spikes.partial.h5")
    assert partial.population("cortex")[1].max() <= 20.0
    assert "disk on fire" in (out / "log.txt").read_text()


def test_nest_under_mpirun_is_refused(net, monkeypatch):
    """mpirun sets OMPI_COMM_WORLD_SIZE (PMI_SIZE for MPICH) in every rank: each would run the
    whole network and write the same files, so the run stops before building."""
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "2")
    error = fails(net, net.config, SimulationError, "NEST runs in one process", "2 MPI ranks", "run.n_threads")
    assert error.key == "target_simulator"
