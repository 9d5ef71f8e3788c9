"""The filternet engine against BMTK FilterNet (1.2, ``.venv-peers``): the same network, config
and movie run by both; firing rates compared sample by sample, spike counts checked against
the rates (BMTK seeds its Poisson draws from the unseeded global numpy state, so spike trains
cannot be equal, only consistent).

Measured agreement of the rates: at most 3e-14 Hz absolute, 4e-15 relative (float rounding: Cantata
convolves with FFTs, BMTK sums dot products); the tests assert ``rtol=1e-9, atol=1e-9``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from bmtk_reference.filternet_model import build_network, write_config

from benchmarks.peers import peer_python, status
from cantata.sim import Simulation
from cantata.sonata.spikes import SpikeTrains
from tests.test_bmtk_reference import HELPERS, _env

_PEERS_PROBLEM = status()
pytestmark = pytest.mark.skipif(_PEERS_PROBLEM is not None,
                                reason=f"BMTK reference runs need the peers' environment: {_PEERS_PROBLEM}")

RATE_RTOL = 1e-9
RATE_ATOL = 1e-9   # Hz


def _movie_npy(folder: Path) -> dict:
    rng = np.random.default_rng(1)
    np.save(folder / "movie.npy", rng.uniform(0, 255, (300, 12, 16)).round())
    return {"module": "movie", "data_file": str(folder / "movie.npy"), "frame_rate": 1000.0, "normalize": True}


STIMULI = {
    "npy_movie": (_movie_npy, 300.0),
    "grating_100Hz": (lambda f: {"module": "graiting", "row_size": 12, "col_size": 16, "frame_rate": 100.0,
                                 "gray_screen_dur": 100.0, "cpd": 0.1, "temporal_f": 4.0, "theta": 30.0,
                                 "contrast": 0.8}, 600.0),
    "flash_24Hz": (lambda f: {"module": "full_field_flash", "row_size": 12, "col_size": 16, "t_on": 200.0,
                              "t_off": 500.0, "max_intensity": -1.0, "frame_rate": 24.0}, 1000.0),
}


def _bmtk(config: Path, output: Path) -> Path:
    proc = subprocess.run([str(peer_python()), str(HELPERS / "run_bmtk.py"), "filternet", str(config), str(output)],
                          check=False, cwd=config.parent, env=_env(), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0 and (output / "rates.h5").is_file(), \
        f"BMTK failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return output


@pytest.mark.parametrize("stimulus", sorted(STIMULI))
def test_rates_and_spikes_match_bmtk(tmp_path: Path, stimulus: str) -> None:
    make_block, tstop = STIMULI[stimulus]
    net = build_network(tmp_path, width=16, height=12)
    config = write_config(tmp_path, net, make_block(tmp_path), tstop=tstop)
    ours = tmp_path / "output"
    Simulation.from_config(config, progress=False).run()
    theirs = _bmtk(config, tmp_path / "bmtk_output")

    with h5py.File(ours / "rates.h5") as a, h5py.File(theirs / "rates.h5") as b:
        assert list(a["firing_rates"]) == list(b["firing_rates"]) == ["lgn"]
        ga, gb = a["firing_rates/lgn"], b["firing_rates/lgn"]
        for name in ("node_id", "times", "firing_rates_Hz"):
            assert ga[name].shape == gb[name].shape and ga[name].dtype == gb[name].dtype, name
        np.testing.assert_array_equal(ga["node_id"][()], gb["node_id"][()])
        np.testing.assert_allclose(ga["times"][()], gb["times"][()], rtol=0, atol=1e-12)
        rates, expected = ga["firing_rates_Hz"][()], gb["firing_rates_Hz"][()]
        times = gb["times"][()] * 1000.0  # ms
    np.testing.assert_allclose(rates, expected, rtol=RATE_RTOL, atol=RATE_ATOL)
    assert expected.max() > 0

    csv_ours = pd.read_csv(ours / "rates.csv", sep=" ")
    csv_theirs = pd.read_csv(theirs / "rates.csv", sep=" ")
    assert list(csv_ours.columns) == list(csv_theirs.columns) == ["node_id", "population", "timestamps",
                                                                  "firing_rates"]
    np.testing.assert_array_equal(csv_ours["node_id"], csv_theirs["node_id"])
    np.testing.assert_allclose(csv_ours["timestamps"], csv_theirs["timestamps"], atol=1e-12)
    np.testing.assert_allclose(csv_ours["firing_rates"], csv_theirs["firing_rates"], rtol=RATE_RTOL,
                               atol=RATE_ATOL)

    # spikes: per-cell counts consistent with the integrated rate (Poisson), for both simulators
    mean_counts = (expected[:-1] * np.diff(times)[:, None] / 1000.0).sum(axis=0)
    for folder in (ours, theirs):
        ids, _ = SpikeTrains.read(folder / "spikes.h5").population("lgn")
        counts = np.bincount(ids.astype(np.int64), minlength=mean_counts.size)
        assert np.all(np.abs(counts - mean_counts) <= 5 * np.sqrt(mean_counts) + 3), (folder, counts, mean_counts)
        total = mean_counts.sum()
        assert abs(counts.sum() - total) <= 4 * np.sqrt(total) + 3
