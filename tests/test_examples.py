"""The examples run as their READMEs say (each in a temporary copy of its folder)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cantata.sonata.spikes import SpikeTrains

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _copy_example(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(EXAMPLES / name, dest, ignore=shutil.ignore_patterns("output", "network", "inputs"))
    return dest


@pytest.mark.nest
def test_demo_builds_runs_and_plots(tmp_path):
    here = _copy_example("demo", tmp_path)
    code = "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); import run_demo; run_demo.main(Path(sys.argv[1]))"
    done = subprocess.run([sys.executable, "-c", code, str(here)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    spikes = SpikeTrains.read(here / "output" / "spikes.h5")
    ids, times = spikes.population("cortex")
    rate = ids.size / 500 / 1.0
    assert 3.0 < rate < 10.0  # README: mean rates near 6.5 Hz
    assert np.unique(ids).size > 450
    assert (here / "output" / "raster.png").stat().st_size > 10_000
    assert (here / "output" / "membrane_potential.h5").exists()
    assert "exc" in done.stdout and "inh" in done.stdout
