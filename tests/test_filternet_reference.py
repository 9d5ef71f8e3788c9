"""The filternet engine against BMTK FilterNet (1.2, ``.venv-peers``): the same network, config
and movie run by both; firing rates compared sample by sample, spike counts checked against
the rates (BMTK seeds its Poisson draws from the unseeded global numpy state, so spike trains
cannot be equal, only consistent).

Scenarios: the default network (single-subfield units with ``spont_fr``, two-subfield units) on
an ``.npy`` movie, a grating and a flash; the extended network (no ``spont_fr``: BMTK's
data-derived rates, one type with ``spont_fr`` only in its JSON; two-subfield units with
fractional delays; ``LGNOnOFFCell``) evaluated separably on a large-frame 500 Hz movie (sparse
projection), on a looming disc with every filter jittered by exactly 1.05
(``jitter_lower == jitter_upper``) and an ignored ``conditions`` jitter, and on a flash with
``t_min``/``t_max``/``downsample``; these write spikes through FilterNet's
``spikes_h5``/``spikes_csv`` keys. Random jitter: BMTK is run with numpy's global state seeded,
its draws are replayed here and given to Cantata as node attributes.

Measured agreement of the rates: at most 1.4e-13 Hz absolute (rates up to 249 Hz), at most
1.4e-15 of a scenario's largest rate; relative to each sample at most 6.5e-13 (small samples of
LGNOnOFFCell units). Float rounding only: Cantata convolves with FFTs and sparse products, BMTK
sums dot products. The tests assert ``rtol=1e-9, atol=1e-9``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from bmtk_reference.filternet_model import EXTENDED_TYPES, build_network, build_nodes, write_config

from benchmarks.peers import peer_python, status
from cantata.sim import Simulation
from cantata.sonata.spikes import SpikeTrains
from tests.test_bmtk_reference import HELPERS, _env

_PEERS_PROBLEM = status()
pytestmark = pytest.mark.skipif(_PEERS_PROBLEM is not None,
                                reason=f"BMTK reference runs need the peers' environment: {_PEERS_PROBLEM}")

RATE_RTOL = 1e-9
RATE_ATOL = 1e-9   # Hz
FILTERNET_SPIKE_KEYS = {"spikes_file": None, "spikes_file_csv": None, "spikes_h5": "spikes.h5",
                        "spikes_csv": "spikes.csv"}


def _movie_npy(folder: Path, frame_rate: float = 1000.0, shape: tuple[int, int, int] = (300, 12, 16)) -> dict:
    rng = np.random.default_rng(1)
    np.save(folder / "movie.npy", rng.uniform(0, 255, shape).round())
    return {"module": "movie", "data_file": str(folder / "movie.npy"), "frame_rate": frame_rate, "normalize": True}


# name -> (movie block maker, tstop, build_network kwargs, write_config kwargs)
STIMULI = {
    "npy_movie": (_movie_npy, 300.0, {}, {}),
    "grating_100Hz": (lambda f: {"module": "graiting", "row_size": 12, "col_size": 16, "frame_rate": 100.0,
                                 "gray_screen_dur": 100.0, "cpd": 0.1, "temporal_f": 4.0, "theta": 30.0,
                                 "contrast": 0.8}, 600.0, {}, {}),
    "flash_24Hz": (lambda f: {"module": "full_field_flash", "row_size": 12, "col_size": 16, "t_on": 200.0,
                              "t_off": 500.0, "max_intensity": -1.0, "frame_rate": 24.0}, 1000.0, {}, {}),
    "extended_separable_500Hz_large_frame": (   # units cover 4% of the frame: sparse projection
        lambda f: {**_movie_npy(f, 500.0, (300, 60, 96)), "evaluation_options": {"separable": True}}, 600.0,
        {"types": EXTENDED_TYPES, "width": 96, "height": 60}, {"output": FILTERNET_SPIKE_KEYS}),
    "extended_looming_jitter": (
        lambda f: {"module": "looming", "row_size": 12, "col_size": 16, "frame_rate": 500.0, "t_looming": 0.3},
        500.0, {"types": EXTENDED_TYPES, "jitter": (1.05, 1.05)},
        {"output": FILTERNET_SPIKE_KEYS, "conditions": {"jitter_lower": 0.5, "jitter_upper": 0.6}}),
    "extended_flash_window": (
        lambda f: {"module": "full_field_flash", "row_size": 12, "col_size": 16, "t_on": 200.0, "t_off": 500.0,
                   "frame_rate": 60.0, "evaluation_options": {"t_min": 0.1, "t_max": 0.8, "downsample": 3}},
        1000.0, {"types": EXTENDED_TYPES}, {"output": FILTERNET_SPIKE_KEYS}),
}


def _bmtk(config: Path, output: Path) -> Path:
    proc = subprocess.run([str(peer_python()), str(HELPERS / "run_bmtk.py"), "filternet", str(config), str(output)],
                          check=False, cwd=config.parent, env=_env(), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0 and (output / "rates.h5").is_file(), \
        f"BMTK failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return output


def _rates(folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with h5py.File(folder / "rates.h5") as h5:
        group = h5["firing_rates/lgn"]
        return group["node_id"][()], group["times"][()], group["firing_rates_Hz"][()]


@pytest.mark.parametrize("stimulus", sorted(STIMULI))
def test_rates_and_spikes_match_bmtk(tmp_path: Path, stimulus: str) -> None:
    make_block, tstop, net_kw, config_kw = STIMULI[stimulus]
    net = build_network(tmp_path, **{"width": 16, "height": 12, **net_kw})
    config = write_config(tmp_path, net, make_block(tmp_path), tstop=tstop, **config_kw)
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
    assert expected.max() > 0 and (expected.max(axis=0) > 0).all()

    csv_ours = pd.read_csv(ours / "rates.csv", sep=" ")
    csv_theirs = pd.read_csv(theirs / "rates.csv", sep=" ")
    assert list(csv_ours.columns) == list(csv_theirs.columns) == ["node_id", "population", "timestamps",
                                                                  "firing_rates"]
    np.testing.assert_array_equal(csv_ours["node_id"], csv_theirs["node_id"])
    np.testing.assert_allclose(csv_ours["timestamps"], csv_theirs["timestamps"], atol=1e-12)
    np.testing.assert_allclose(csv_ours["firing_rates"], csv_theirs["firing_rates"], rtol=RATE_RTOL,
                               atol=RATE_ATOL)

    # spikes: the same files; per-cell counts consistent with the integrated rate (Poisson)
    names = sorted(p.name for p in theirs.glob("spikes*"))
    assert names == ["spikes.csv", "spikes.h5"] and sorted(p.name for p in ours.glob("spikes*")) == names
    assert pd.read_csv(ours / "spikes.csv", sep=" ").columns.tolist() == \
        pd.read_csv(theirs / "spikes.csv", sep=" ").columns.tolist()
    mean_counts = (expected[:-1] * np.diff(times)[:, None] / 1000.0).sum(axis=0)
    for folder in (ours, theirs):
        ids, _ = SpikeTrains.read(folder / "spikes.h5").population("lgn")
        assert np.all(np.diff(ids.astype(np.int64)) >= 0), folder  # FilterNet sorts spikes by node id
        counts = np.bincount(ids.astype(np.int64), minlength=mean_counts.size)
        assert np.all(np.abs(counts - mean_counts) <= 5 * np.sqrt(mean_counts) + 3), (folder, counts, mean_counts)
        total = mean_counts.sum()
        assert abs(counts.sum() - total) <= 4 * np.sqrt(total) + 3


# BMTK run after seeding numpy's global state (which BMTK's jitter and random angles draw from)
_SEEDED_BMTK = """\
import sys
sys.path.insert(0, {helpers!r})
import numpy as np
import bmtk.simulator.filternet  # imported before seeding: only the cells draw after the seed
import run_bmtk
np.random.seed({seed})
raise SystemExit(run_bmtk.main("filternet", {config!r}, {output!r}))
"""
_FILTER_NAMES = {"dom": ("weight_dom", "kpeaks_dom", "delay_dom"),
                 "non_dom": ("weight_non_dom", "kpeaks_non_dom", "delay_non_dom")}


def _replayed_draws(groups: list[dict], jitter: tuple[float, float], seed: int) -> list[dict]:
    """The node attributes BMTK draws, replayed from numpy's legacy generator in BMTK's order
    (per node: dominant weights, kpeaks, delays; then the non-dominant ones, sf_sep and the
    random tuning angle for two-subfield types), each ``uniform(v * lower, v * upper)``."""
    from bmtk_reference.filternet_model import FILTERS

    rng = np.random.RandomState(seed)
    out = []
    for group in groups:
        n = group["N"]
        drawn: dict[str, list] = {}
        filters = {"dom": FILTERS[group["dynamics_params"]]}
        if "non_dom_params" in group:
            filters["non_dom"] = FILTERS[group["non_dom_params"]]
        for _ in range(n):
            for which, params in filters.items():
                for name, key in zip(_FILTER_NAMES[which], ("opt_wts", "opt_kpeaks", "opt_delays")):
                    for k, v in enumerate(params[key]):
                        drawn.setdefault(f"{name}_{k}", []).append(rng.uniform(v * jitter[0], v * jitter[1]))
            if "non_dom" in filters:
                sep = group["sf_sep"][len(drawn.get("sf_sep", []))]
                drawn.setdefault("sf_sep", []).append(rng.uniform(sep * jitter[0], sep * jitter[1]))
                drawn.setdefault("tuning_angle", []).append(rng.uniform(0.0, 360.0))
        out.append({**group, **drawn})
    return out


def test_random_jitter_is_bmtk_distribution(tmp_path: Path) -> None:
    """Jitter in [0.7, 1.3] and random tuning angles: BMTK, seeded, draws exactly the values
    replayed here (uniform(v * lower, v * upper) per parameter, in BMTK's order), so Cantata
    given those values as node attributes must give BMTK's rates."""
    rng = np.random.default_rng(5)
    place = {"x": [8.0, 6.5, 9.5], "y": [6.0, 5.0, 7.0], "spatial_size": [3.0, 4.0, 2.5]}
    groups = [
        {"N": 3, "model_template": "lgnmodel:tON_TF8", "dynamics_params": "tON_TF8.json", **place,
         "spont_fr": [2.0, 3.0, 1.5]},
        {"N": 3, "model_template": "lgnmodel:sONsOFF_001", "dynamics_params": "sOFF_dom_frac.json",
         "non_dom_params": "sON_nondom_frac.json", **place, "sf_sep": rng.uniform(1.0, 3.0, 3).tolist()},
        {"N": 3, "model_template": "lgnmodel:LGNOnOFFCell", "dynamics_params": "onoff.json", **place,
         "sigma_on": "(1.5, 1.5)", "sigma_off": "(3.0, 2.5)"},
    ]
    jitter, seed = (0.7, 1.3), 1234
    bmtk_dir, ours_dir = tmp_path / "bmtk", tmp_path / "ours"
    bmtk_dir.mkdir()
    ours_dir.mkdir()
    jittered = [{**g, "jitter_lower": jitter[0], "jitter_upper": jitter[1]} for g in groups]
    config = write_config(bmtk_dir, build_nodes(bmtk_dir, jittered), _movie_npy(bmtk_dir), tstop=300.0)
    script = bmtk_dir / "seeded_bmtk.py"
    script.write_text(_SEEDED_BMTK.format(helpers=str(HELPERS), seed=seed, config=str(config),
                                          output=str(bmtk_dir / "bmtk_output")))
    proc = subprocess.run([str(peer_python()), str(script)], check=False, cwd=bmtk_dir, env=_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    _, _, theirs = _rates(bmtk_dir / "bmtk_output")

    replayed = _replayed_draws(groups, jitter, seed)
    config = write_config(ours_dir, build_nodes(ours_dir, replayed), _movie_npy(ours_dir), tstop=300.0)
    Simulation.from_config(config, progress=False).run()
    _, _, ours = _rates(ours_dir / "output")
    np.testing.assert_allclose(ours, theirs, rtol=RATE_RTOL, atol=RATE_ATOL)

    # and Cantata's own draws (seeded, its own generator) come from the same ranges
    config = write_config(tmp_path, build_nodes(tmp_path, jittered), _movie_npy(tmp_path), tstop=300.0)
    Simulation.from_config(config, progress=False).run()
    _, _, drawn = _rates(tmp_path / "output")
    assert drawn.shape == theirs.shape and not np.allclose(drawn, theirs)
