"""The ``extracellular`` report against BMTK 1.2 BioNet (three Allen perisomatic cells, current
steps and synaptic input, the sonata-examples linear electrode), and two MPI ranks writing the
same ecp and per-cell files as one.

Tolerance: |Cantata - BMTK| <= 1e-6 x the largest |potential| of the file, i.e. float32
resolution. Measured: 2.5e-8 (summed potential), up to 9.3e-8 (per-cell files), 5.1e-8 (two
cells, 5 um minimum distance); the geometry and the line-source formula agree to 4e-13, so what is
left is the simulation itself: float-rounding differences between the two builds of the same
cells, largest at spike upstrokes (BMTK's extracellular mechanism is not the cause: inserting
it in Cantata's cells changes the difference by under 1 %).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import h5py
import numpy as np
import pytest
from bmtk_reference.ecp_model import CELLS, write_ecp_model
from test_neuron_support import mpirun_path, run_cantata, write_bio_network

from benchmarks.peers import PEERS_DIR, peer_python, status

ECP_REL_TOL = 1e-6  # of the file's largest |potential|: float32 resolution
ELECTRODES = "sonata-examples/shared_components/recXelectrodes/linear_electrode.csv"


def _datasets(path: Path) -> dict[str, np.ndarray]:
    found: dict[str, np.ndarray] = {}
    with h5py.File(path) as f:
        f.visititems(lambda name, obj: found.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return found


def _assert_matches_bmtk(theirs: Path, ours: Path, rows: int) -> float:
    """Same shape; BMTK's row k is Cantata's row k + 1 (BMTK records after each step, from
    t = dt on); returns the largest difference relative to the largest |potential|."""
    want, got = h5py.File(theirs)["ecp/data"][()], h5py.File(ours)["ecp/data"][()]
    assert want.shape == got.shape == (rows, 86), (want.shape, got.shape)
    scale = np.abs(want).max()
    assert scale > 1e-4 and np.isfinite(got).all()
    worst = float(np.abs(want[:-1] - got[1:]).max() / scale)
    assert worst <= ECP_REL_TOL, f"{ours.name}: differs from BMTK by {worst:.3g} of {scale:.3g} mV"
    return worst


@pytest.mark.neuron
@pytest.mark.slow  # two BMTK runs; the first compiles the mechanisms (cached by content)
@pytest.mark.skipif(status() is not None, reason=f"needs the peers' environment: {status()}")
def test_ecp_and_contributions_match_bmtk(testdata: Path, tmp_path: Path) -> None:
    from test_bmtk_reference import _env, assert_same_spikes, finish_bmtk, run_cantata_cli

    vecevent = sorted(PEERS_DIR.glob("lib/python*/site-packages/bmtk/utils/scripts/bionet/mechanisms/modfiles/vecevent.mod"))
    model = write_ecp_model(tmp_path, testdata, vecevent[0])
    runs = {}
    for name in ("all", "near"):
        runs[name] = subprocess.Popen(
            [str(peer_python()), str(Path(__file__).parent / "bmtk_reference" / "run_bmtk.py"), "bionet",
             str(tmp_path / f"config_bmtk_{name}.json"), str(tmp_path / f"out_bmtk_{name}")],
            cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ours = run_cantata_cli(model.config, tmp_path / "out_cantata")
    theirs = {name: finish_bmtk(proc, tmp_path / f"out_bmtk_{name}") for name, proc in runs.items()}
    spikes = assert_same_spikes(theirs["all"], ours, "cortex")
    assert sorted(spikes) == [0, 1, 2]
    rows = round(model.tstop / model.dt)
    _assert_matches_bmtk(theirs["all"] / "ecp.h5", ours / "ecp.h5", rows)
    _assert_matches_bmtk(theirs["near"] / "ecp_near.h5", ours / "ecp_near.h5", rows)
    files = sorted(p.name for p in (ours / "ecp_contributions").iterdir())
    assert files == sorted(p.name for p in (theirs["all"] / "ecp_contributions").iterdir()) == \
        [f"{gid}.h5" for gid in range(len(CELLS))]
    for name in files:
        _assert_matches_bmtk(theirs["all"] / "ecp_contributions" / name, ours / "ecp_contributions" / name, rows)
    mine, bmtk = _datasets(ours / "ecp.h5"), _datasets(theirs["all"] / "ecp.h5")
    assert np.array_equal(mine["ecp/channel_id"], bmtk["ecp/channel_id"])
    assert np.array_equal(mine["ecp/time"], bmtk["ecp/time"])


@pytest.mark.neuron
@pytest.mark.skipif(mpirun_path() is None, reason="needs mpirun (Debian: openmpi-bin)")
def test_two_ranks_write_identical_ecp_files(testdata: Path, tmp_path: Path) -> None:
    """The cells' potentials are summed with error-free two-sums and per-cell products do not
    use BLAS threads, so two ranks write the same bits as one."""
    reports = {"ecp": {"module": "extracellular", "electrode_positions": str(testdata / ELECTRODES),
                       "contributions_dir": "per_cell", "minimum_distance": "auto"},
               "ecp_pair": {"module": "extracellular", "cells": {"population": "cortex", "node_id": [1, 2]},
                            "electrode_positions": str(testdata / ELECTRODES)}}
    config = write_bio_network(tmp_path, testdata, n_cells=3, placement="random", reports=reports, tstop=40.0,
                               config_extra={"run": {"tstop": 40.0, "dt": 0.025, "dL": 20.0, "nsteps_block": 500,
                                                     "random_seed": 4}})
    one, two = tmp_path / "one", tmp_path / "two"
    assert run_cantata("run", str(config), "--output-dir", str(one), "--no-progress").returncode == 0
    proc = run_cantata("run", str(config), "--output-dir", str(two), "--no-progress", ranks=2)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    names = ["ecp.h5", "ecp_pair.h5", *(f"per_cell/{g}.h5" for g in range(3))]
    assert sorted(p.name for p in (two / "per_cell").iterdir()) == [f"{g}.h5" for g in range(3)]
    for name in names:
        a, b = _datasets(one / name), _datasets(two / name)
        assert sorted(a) == sorted(b) == ["ecp/channel_id", "ecp/data", "ecp/time"], name
        for key in a:
            assert np.array_equal(a[key], b[key]), f"{name}:{key}"
    assert np.abs(_datasets(one / "ecp.h5")["ecp/data"]).max() > 1e-4
