"""examples/popnet runs as its README says (in a temporary copy of its folder)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "popnet"


def test_popnet_example_builds_runs_and_plots(tmp_path):
    here = tmp_path / "popnet"
    shutil.copytree(EXAMPLE, here, ignore=shutil.ignore_patterns("output", "network", "inputs", "__pycache__"))
    code = ("import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); import run_popnet; "
            "run_popnet.main(Path(sys.argv[1]))")
    done = subprocess.run([sys.executable, "-c", code, str(here)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    table = np.loadtxt(here / "output" / "rates.csv")
    assert table.shape == (2 * 5001, 3)
    exc = table[(table[:, 0] == 100) & (table[:, 1] > 0.15) & (table[:, 1] <= 0.25), 2].mean()
    inh = table[(table[:, 0] == 101) & (table[:, 1] > 0.15) & (table[:, 1] <= 0.25), 2].mean()
    assert abs(exc - 19.8) < 0.5 and abs(inh - 11.7) < 0.5     # README's numbers
    assert (here / "output" / "rates.png").stat().st_size > 10_000
    assert "exc (node_type_id 100)" in done.stdout
