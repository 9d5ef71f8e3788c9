"""User mechanisms: ``cantata compile`` and a ``mechanisms_dir`` in BMTK's layout, compiled
when needed and used by a cell."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_neuron_support import HH_CELL, run_cantata, write_bio_network

from cantata.sonata.reports import FrameReport

LEAK = """
NEURON { SUFFIX leakx NONSPECIFIC_CURRENT i RANGE g, e }
UNITS { (mV) = (millivolt) (mA) = (milliamp) (S) = (siemens) }
PARAMETER { g = 0.0 (S/cm2) e = -70 (mV) }
ASSIGNED { v (mV) i (mA/cm2) }
BREAKPOINT { i = g * (v - e) }
"""


def test_compile_command_errors(tmp_path: Path) -> None:
    proc = run_cantata("compile")
    assert proc.returncode == 1 and "nothing to compile" in proc.stderr
    proc = run_cantata("compile", str(tmp_path))
    assert proc.returncode == 1 and "no NMODL files" in proc.stderr and str(tmp_path) in proc.stderr


@pytest.mark.slow
def test_mechanisms_dir_is_compiled_once_and_used(testdata: Path, tmp_path: Path) -> None:
    cache = {"CANTATA_MECHANISMS_CACHE": str(tmp_path / "cache")}
    mechanisms = tmp_path / "mechanisms"
    (mechanisms / "modfiles").mkdir(parents=True)
    (mechanisms / "modfiles" / "leakx.mod").write_text(LEAK)
    proc = run_cantata("compile", str(mechanisms), env=cache, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "compiled 1 mechanisms" in proc.stdout and "libnrnmech" in proc.stdout
    built = list((tmp_path / "cache").iterdir())
    assert len(built) == 1

    config = write_bio_network(tmp_path / "net", testdata, n_cells=1, synapses=False, clamp=False, tstop=50.0,
                               config_extra={"components": {"mechanisms_dir": str(mechanisms)}})
    cell = json.loads(json.dumps(HH_CELL))
    cell["genome"] += [{"section": "soma", "name": "g_leakx", "value": 0.002, "mechanism": "leakx"},
                       {"section": "soma", "name": "e_leakx", "value": -40.0, "mechanism": "leakx"}]
    (tmp_path / "net" / "components" / "bio" / "hh_cell.json").write_text(json.dumps(cell))
    proc = run_cantata("run", str(config), "--no-progress", env=cache, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert list((tmp_path / "cache").iterdir()) == built  # the cached build was reused
    v = FrameReport.open(tmp_path / "net" / "output" / "soma_v.h5")["cortex"].data()[:, 0]
    assert v[-1] > -60.0 and np.isfinite(v).all()  # pulled up by the -40 mV leak
