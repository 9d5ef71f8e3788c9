"""examples/single_cell runs as its README says (in a temporary copy of its folder)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cantata.sonata.circuit import Circuit
from cantata.sonata.reports import FrameReport
from cantata.sonata.spikes import SpikeTrains

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "single_cell"
CANTATA = [sys.executable, "-m", "cantata"]

pytestmark = pytest.mark.neuron


def _copy(tmp_path: Path) -> Path:
    dest = tmp_path / "single_cell"
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("output", "network", "inputs", "__pycache__"))
    return dest


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=False, cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The example run once with its one command; its folder and printed output."""
    here = _copy(tmp_path_factory.mktemp("example"))
    done = _run([sys.executable, str(here / "run_example.py")], cwd=here)
    assert done.returncode == 0, done.stderr[-3000:]
    return here, done.stdout


def test_prints_the_numbers_of_the_readme(example):
    here, stdout = example
    assert "input: 203 spikes from 10 thalamic cells (10.2 Hz each), 50 synapses" in stdout
    found = re.search(r"cell: (\d+) spikes in 2 s = ([\d.]+) Hz", stdout)
    assert found is not None, stdout
    n, rate = int(found.group(1)), float(found.group(2))
    assert abs(n - 26) <= 3  # README: 26 spikes (13 Hz); margin for other NEURON builds
    assert rate == pytest.approx(n / 2.0)
    spikes = SpikeTrains.read(here / "output" / "spikes.h5")
    ids, times = spikes.population("cell")
    assert ids.size == n and set(ids.tolist()) == {0}
    assert times.min() >= 0 and times.max() < 2000


def test_inputs_and_synapses_follow_the_weight_function(example):
    here, _ = example
    inputs = SpikeTrains.read(here / "inputs" / "thalamus_spikes.h5")
    ids, times = inputs.population("thalamus")
    assert ids.size == 203 and np.unique(ids).tolist() == list(range(10))
    assert times.min() >= 0 and times.max() < 2000
    with Circuit.from_files(edges=[here / "output" / "synapses.h5"]) as placed:
        syn = placed.edges["thalamus_to_cell"]
        sources, weights = syn.source_node_ids(), syn.get_attribute("syn_weight")
        sections = syn.get_attribute("afferent_section_id")
    assert np.bincount(sources).tolist() == [5] * 10  # 5 synapses per connection
    assert np.all(sections > 0)  # basal and apical dendrites only, never the soma (section 0)
    d = np.abs((np.arange(10) * 36.0 - 72.0 + 180.0) % 360.0 - 180.0)  # tuning difference, degrees
    expected = 0.004 * np.exp(-(d**2) / (2 * 45.0**2))
    assert np.allclose(weights, expected[sources])


def test_traces_show_spikes_in_v_and_rising_cai(example):
    here, stdout = example
    n = int(re.search(r"cell: (\d+) spikes", stdout).group(1))
    v_pop = FrameReport.open(here / "output" / "v_soma.h5")["cell"]
    cai_pop = FrameReport.open(here / "output" / "cai_soma.h5")["cell"]
    v, cai = v_pop.data()[:, 0], cai_pop.data()[:, 0]
    assert v.size == cai.size == 20000  # 2 s at 0.1 ms
    upward = np.flatnonzero((v[:-1] < 0.0) & (v[1:] >= 0.0))
    assert upward.size == n and v.max() > 30.0
    assert -95.0 < np.median(v) < -75.0
    assert cai[0] == pytest.approx(1e-4, rel=1e-3)  # mM, CaDynamics' resting level
    assert cai.max() > 8 * cai[0]
    step = upward[0]  # first spike: cai jumps within 5 ms of it
    assert cai[step + 50] > 3 * cai[step - 10]
    for name in ("raster.png", "traces.png"):
        assert (here / "output" / name).stat().st_size > 20_000


def test_without_the_weight_function_the_run_stops_clearly(tmp_path):
    here = _copy(tmp_path)
    built = _run([sys.executable, str(here / "build_network.py")], cwd=here)
    assert built.returncode == 0, built.stderr[-2000:]
    done = _run([*CANTATA, "run", str(here / "config.json"), "--no-progress"], cwd=here)
    assert done.returncode != 0
    message = done.stderr + done.stdout
    assert "unknown weight_function 'gaussian_tuning'" in message
    assert not (here / "output" / "spikes.h5").exists()
    with_plugin = _run([*CANTATA, "run", str(here / "config.json"), "--no-progress",
                        "--plugin", str(here / "tuning_weights.py")], cwd=here)
    assert with_plugin.returncode == 0, with_plugin.stderr[-2000:]
    assert (here / "output" / "spikes.h5").exists()
