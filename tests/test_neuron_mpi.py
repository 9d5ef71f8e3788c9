"""``mpirun -n 2 cantata run``: cells dealt to two ranks, spikes and reports gathered into the
same files as a one-rank run, with the same content."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from test_neuron_support import mpirun_path, run_cantata, write_bio_network

from cantata.sonata.spikes import SpikeTrains

pytestmark = pytest.mark.skipif(mpirun_path() is None, reason="needs mpirun (Debian: openmpi-bin)")


def _datasets(path: Path) -> dict[str, np.ndarray]:
    found: dict[str, np.ndarray] = {}
    with h5py.File(path) as f:
        f.visititems(lambda name, obj: found.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return found


def _same_files(one: Path, two: Path, names: list[str]) -> None:
    for name in names:
        a, b = _datasets(one / name), _datasets(two / name)
        assert sorted(a) == sorted(b), name
        for key in a:
            assert np.array_equal(a[key], b[key], equal_nan=a[key].dtype.kind == "f"), f"{name}:{key}"


def test_two_ranks_reproduce_300_intfire(testdata: Path, tmp_path: Path) -> None:
    folder = testdata / "sonata-examples/300_intfire"
    one, two = tmp_path / "one", tmp_path / "two"
    assert run_cantata("run", "config.json", "--output-dir", str(one), "--no-progress", cwd=folder).returncode == 0
    proc = run_cantata("run", "config.json", "--output-dir", str(two), "--no-progress", cwd=folder, ranks=2)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    _same_files(one, two, ["spikes.h5"])
    assert SpikeTrains.read(two / "spikes.h5").n_spikes == 4322
    assert "exiting improperly" not in proc.stderr


def test_two_ranks_give_the_same_biophysical_outputs(testdata: Path, tmp_path: Path) -> None:
    reports = {
        "soma_v": {"cells": "cells", "variable_name": "v"},
        "all_v": {"cells": "cells", "variable_name": "v", "sections": "all", "dt": 0.1},
        "syn_g": {"module": "netcon_report", "cells": "cells", "variable_name": "g"},
        "syns": {"module": "save_synapses"},
        "ecp": {"module": "extracellular", "electrode_positions":
                str(testdata / "sonata-examples/shared_components/recXelectrodes/linear_electrode.csv")},
    }
    config = write_bio_network(tmp_path, testdata, n_cells=5, placement="random", reports=reports,
                               tstop=100.0, config_extra={"run": {"tstop": 100.0, "dt": 0.025, "dL": 20.0,
                                                                  "nsteps_block": 700, "random_seed": 4}})
    one, two = tmp_path / "one", tmp_path / "two"
    assert run_cantata("run", str(config), "--output-dir", str(one), "--no-progress").returncode == 0
    proc = run_cantata("run", str(config), "--output-dir", str(two), "--no-progress", ranks=2)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    # the ecp sum over cells is error-free, so its bits do not depend on the ranks either
    names = ["spikes.h5", "soma_v.h5", "all_v.h5", "syn_g.h5", "syns.h5", "ecp.h5"]
    _same_files(one, two, names)
    assert SpikeTrains.read(two / "spikes.h5").n_spikes > 0


def test_an_error_on_one_rank_stops_the_run(testdata: Path, tmp_path: Path) -> None:
    config = write_bio_network(tmp_path, testdata, n_cells=2, tstop=20.0,
                               reports={"bad": {"cells": "cells", "variable_name": "cai"}})
    proc = run_cantata("run", str(config), "--no-progress", ranks=2, timeout=120)
    assert proc.returncode != 0
    assert "no variable 'cai'" in proc.stdout + proc.stderr
