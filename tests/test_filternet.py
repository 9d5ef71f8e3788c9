"""The filternet engine without BMTK: filters, movies, cell types, spontaneous rates, jitter,
evaluation options, output keys, Poisson spikes, runs and bad input."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "bmtk_reference"))
from filternet_model import build_network, build_nodes, write_config
from scipy import stats

from cantata.cli import main as cli_main
from cantata.errors import BuildError, ConfigError, FormatError, SimulationError
from cantata.sim import Simulation
from cantata.sim.engines.filter.filters import (
    cosine_bump_kernel,
    frames_kernel,
    gaussian_spatial_kernel,
    spatial_kernels,
)
from cantata.sim.engines.filter.jitter import Jitter, jitter_range
from cantata.sim.engines.filter.spikes import poisson_spikes
from cantata.sim.engines.filter.spontaneous import fallback_spont_fr
from cantata.sonata.spikes import SpikeTrains
from cantata.stimuli.movies import (
    Movie,
    drifting_grating,
    full_field_flash,
    load_movie,
    looming_disc,
    normalize_contrast,
)


def test_cosine_bump_kernel_shape_delay_and_sign() -> None:
    k = cosine_bump_kernel([3.0, -2.0], [8.0, 20.0], [0, 0])
    assert k.shape == (600,) and k.max() > 0 > k.min()
    assert np.argmax(k) < np.argmin(k)                       # positive lobe first
    delayed = cosine_bump_kernel([3.0, -2.0], [8.0, 20.0], [5, 5])
    assert delayed.shape == (605,) and np.all(delayed[:5] == 0)
    np.testing.assert_allclose(delayed[5:], k)
    with pytest.raises(ValueError, match="kpeaks"):
        cosine_bump_kernel([3.0, -2.0], [20.0, 8.0], [0, 0])


def test_frames_kernel_samples_the_ms_grid() -> None:
    k = cosine_bump_kernel([3.0, -2.0], [8.0, 20.0], [0, 0])
    np.testing.assert_allclose(frames_kernel(k, np.arange(600) * 0.001), k)
    assert frames_kernel(k, np.array([0.7]))[0] == 0.0


def test_gaussian_kernel_is_normalised_and_centred() -> None:
    rows, cols = np.arange(21), np.arange(31)
    k = gaussian_spatial_kernel(rows, cols, x=12.0, y=7.0, sigma=(1.0, 1.0))
    assert k.shape == (21, 31)
    assert k.sum() == pytest.approx(1.0)
    assert np.unravel_index(k.argmax(), k.shape) == (7, 12)   # row = y, column = x
    wide = gaussian_spatial_kernel(rows, cols, x=12.0, y=7.0, sigma=(3.0, 1.0))
    assert (wide[7] > 1e-3).sum() > (wide[:, 12] > 1e-3).sum()  # sigma_x spreads along columns
    with pytest.raises(ValueError, match="outside"):
        gaussian_spatial_kernel(rows, cols, x=500.0, y=500.0, sigma=(1.0, 1.0))


def test_full_field_flash_frames() -> None:
    m = full_field_flash(4, 5, t_on=100.0, t_off=200.0, t_max=300.0, max_intensity=0.5, frame_rate=100.0)
    assert m.data.shape == (31, 4, 5) and m.frame_rate == 100.0
    level = m.data[:, 0, 0]
    np.testing.assert_array_equal(level[10:20], 0.5)
    assert level[:10].max() == 0 and level[20:].max() == 0
    with pytest.raises(ValueError, match="t_on < t_off"):
        full_field_flash(4, 5, t_on=200.0, t_off=100.0, t_max=300.0)


def test_drifting_grating_frames() -> None:
    m = drifting_grating(10, 20, t_max=500.0, frame_rate=100.0, cpd=0.1, temporal_f=2.0, theta=0.0, contrast=0.5)
    assert m.data.shape == (51, 10, 20)
    assert np.abs(m.data).max() <= 0.5 + 1e-12
    # theta 0: constant down the rows, drifting along the columns at 2 Hz (period 50 frames)
    np.testing.assert_allclose(m.data[:, 0, :], m.data[:, -1, :])
    np.testing.assert_allclose(m.data[0], m.data[50], atol=1e-12)
    gray = drifting_grating(10, 20, t_max=500.0, frame_rate=100.0, gray_screen_dur=100.0, cpd=0.1)
    assert gray.data.shape[0] == 51 and np.all(gray.data[:11] == 0)
    with pytest.raises(ValueError, match="contrast"):
        drifting_grating(10, 20, t_max=100.0, contrast=2.0)


def test_movie_file_and_normalisation(tmp_path: Path) -> None:
    np.save(tmp_path / "m.npy", np.full((3, 2, 2), 255.0))
    m = load_movie(tmp_path / "m.npy", 30.0, normalize=True)
    assert m.data.shape == (3, 2, 2) and np.all(m.data == 1.0)
    np.testing.assert_allclose(normalize_contrast(np.array([0.0, 0.5, 1.0])), [-1.0, 0.0, 1.0])
    with pytest.raises(ConfigError, match="movie file not found") as err:
        load_movie(tmp_path / "missing.npy", 30.0)
    assert "missing.npy" in str(err.value)
    np.save(tmp_path / "flat.npy", np.zeros((3, 4)))
    with pytest.raises(Exception, match="wrong shape"):
        load_movie(tmp_path / "flat.npy", 30.0)


def test_poisson_spikes_follow_the_rate() -> None:
    t = np.arange(0, 10001.0)                    # ms
    rates = np.column_stack([np.full(t.size, 20.0), np.zeros(t.size), np.full(t.size, 300.0)])
    cells, times = poisson_spikes(t, rates, np.random.default_rng(0))
    counts = np.bincount(cells, minlength=3)
    assert counts[1] == 0
    assert abs(counts[0] - 200) < 5 * np.sqrt(200)
    assert abs(counts[2] - 3000) < 5 * np.sqrt(3000)
    assert times.min() >= 0 and times.max() < 10000


@pytest.fixture
def lgn(tmp_path: Path) -> Path:
    net = build_network(tmp_path, width=16, height=12)
    np.save(tmp_path / "movie.npy", np.random.default_rng(2).uniform(-1, 1, (200, 12, 16)))
    return net


def _config(tmp_path: Path, net: Path, block: dict | None = None, **kw) -> Path:
    block = block or {"module": "movie", "data_file": str(tmp_path / "movie.npy"), "frame_rate": 1000.0}
    return write_config(tmp_path, net, block, tstop=kw.pop("tstop", 200.0), **kw)


def test_run_writes_rates_and_is_seeded(tmp_path: Path, lgn: Path) -> None:
    config = _config(tmp_path, lgn)
    first = Simulation.from_config(config, progress=False).run()
    names = sorted(p.name for p in first.files)
    assert names == ["rates.csv", "rates.h5", "spikes.csv", "spikes.h5"]
    with h5py.File(tmp_path / "output" / "rates.h5") as h5:
        group = h5["firing_rates/lgn"]
        assert group["firing_rates_Hz"].shape == (200, 16)
        np.testing.assert_allclose(group["times"][()], np.arange(200) / 1000.0)
        assert (group["firing_rates_Hz"][()] >= 0).all()
    again = Simulation.from_config(config, output_dir=tmp_path / "again", progress=False).run()
    assert again.spikes.is_close(first.spikes, atol=0)
    assert (tmp_path / "again" / "rates.h5").is_file()
    other = json.loads(config.read_text())
    other["run"]["random_seed"] = 99
    (tmp_path / "seed99.json").write_text(json.dumps(other))
    third = Simulation.from_config(tmp_path / "seed99.json", output_dir=tmp_path / "o3", progress=False).run()
    assert not third.spikes.is_close(first.spikes, atol=0)


def test_cantata_run_command(tmp_path: Path, lgn: Path) -> None:
    config = _config(tmp_path, lgn, block={"module": "full_field_flash", "row_size": 12, "col_size": 16,
                                           "t_on": 50.0, "t_off": 150.0, "frame_rate": 100.0})
    assert cli_main(["run", str(config)]) == 0
    assert (tmp_path / "output" / "rates.csv").read_text().startswith("node_id population timestamps firing_rates")


def test_missing_movie_file(tmp_path: Path, lgn: Path) -> None:
    config = _config(tmp_path, lgn, block={"module": "movie", "data_file": str(tmp_path / "nope.npy"),
                                           "frame_rate": 30.0})
    with pytest.raises(ConfigError, match="movie file not found") as err:
        Simulation.from_config(config, progress=False).run()
    assert "nope.npy" in str(err.value) and "inputs.stimulus.data_file" in str(err.value)


def test_unknown_movie_module(tmp_path: Path, lgn: Path) -> None:
    config = _config(tmp_path, lgn, block={"module": "looming_disc", "row_size": 4, "col_size": 4})
    with pytest.raises(ConfigError, match="unknown movie module") as err:
        Simulation.from_config(config, progress=False).run()
    assert "inputs.stimulus.module" in str(err.value) and "looming_disc" in str(err.value)


def test_missing_frame_rate(tmp_path: Path, lgn: Path) -> None:
    config = _config(tmp_path, lgn, block={"module": "movie", "data_file": str(tmp_path / "movie.npy")})
    with pytest.raises(ConfigError, match="missing frame_rate"):
        Simulation.from_config(config, progress=False).run()


def _rewrite_types(net: Path, old: str, new: str) -> None:
    csv = net / "lgn_node_types.csv"
    csv.write_text(csv.read_text().replace(old, new))


def test_unknown_cell_template(tmp_path: Path, lgn: Path) -> None:
    _rewrite_types(lgn, "lgnmodel:tON_TF8", "lgnmodel:bogus_TF8")
    with pytest.raises(BuildError, match="unknown cell template") as err:
        Simulation.from_config(_config(tmp_path, lgn), progress=False).run()
    assert "model_template" in str(err.value) and "bogus_TF8" in str(err.value)
    _rewrite_types(lgn, "lgnmodel:bogus_TF8", "nest:iaf_psc_alpha")
    with pytest.raises(BuildError, match="unknown cell template"):
        Simulation.from_config(_config(tmp_path, lgn), progress=False).run()


def test_missing_filter_file(tmp_path: Path, lgn: Path) -> None:
    (tmp_path / "filters" / "tON_TF8.json").unlink()
    with pytest.raises(BuildError, match="not found") as err:
        Simulation.from_config(_config(tmp_path, lgn), progress=False).run()
    assert "tON_TF8.json" in str(err.value)


def test_two_movies_and_no_movie(tmp_path: Path, lgn: Path) -> None:
    config = _config(tmp_path, lgn)
    data = json.loads(config.read_text())
    data["inputs"]["second"] = dict(data["inputs"]["stimulus"])
    config.write_text(json.dumps(data))
    with pytest.raises(SimulationError, match="one movie"):
        Simulation.from_config(config, progress=False).run()
    data["inputs"] = {}
    config.write_text(json.dumps(data))
    with pytest.raises(SimulationError, match="needs a movie"):
        Simulation.from_config(config, progress=False).run()


# -- spontaneous rates, cell types, evaluation options ---------------------------------------

PLACE = {"x": [8.0], "y": [6.0], "spatial_size": [3.0]}


def _gray(folder: Path, frames: int = 60, rate: float = 1000.0) -> dict:
    np.save(folder / "gray.npy", np.zeros((frames, 12, 16)))
    return {"module": "movie", "data_file": str(folder / "gray.npy"), "frame_rate": rate}


def _run(folder: Path, groups: list[dict], block: dict | None = None, *, tstop: float = 60.0,
         **kw) -> tuple[np.ndarray, np.ndarray]:
    net = build_nodes(folder, groups)
    config = write_config(folder, net, block or _gray(folder), tstop=tstop, **kw)
    Simulation.from_config(config, progress=False).run()
    with h5py.File(folder / "output" / "rates.h5") as h5:
        return h5["firing_rates/lgn/times"][()], h5["firing_rates/lgn/firing_rates_Hz"][()]


def test_fallback_spont_rates() -> None:
    assert fallback_spont_fr("tON_TF8") == 2.6
    assert fallback_spont_fr("sOFF") == 3.62          # no temporal-frequency group: TF8
    assert fallback_spont_fr("tOFF_TF15") == 1.050666666666664
    with pytest.raises(KeyError, match="tON_TF4"):
        fallback_spont_fr("tON_TF4")
    with pytest.raises(KeyError, match="known: sON_TF1"):
        fallback_spont_fr("xON_TF1")


def test_spont_fr_comes_from_node_attributes_only(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Without a spont_fr attribute the data-derived rate is used, even when the JSON has one."""
    groups = [{"N": 1, "model_template": "lgnmodel:tOFF_TF15", "dynamics_params": "tOFF_spont_in_json.json",
               **PLACE},
              {"N": 1, "model_template": "lgnmodel:sON_TF1", "dynamics_params": "sON_TF1.json", **PLACE}]
    _, rates = _run(tmp_path, groups)
    np.testing.assert_allclose(rates, np.broadcast_to([1.050666666666664, 5.2], rates.shape), rtol=1e-15)
    assert "spont_fr only in their dynamics_params" in caplog.text


def test_type_without_data_derived_rate_needs_spont_fr(tmp_path: Path) -> None:
    groups = [{"N": 1, "model_template": "lgnmodel:tON_TF4", "dynamics_params": "tON_TF8.json", **PLACE}]
    with pytest.raises(BuildError, match="missing spont_fr") as err:
        _run(tmp_path, groups)
    assert "nodes.lgn[0].spont_fr" in str(err.value) and "tON_TF4" in str(err.value)


def test_lgn_on_off_cell(tmp_path: Path) -> None:
    groups = [{"N": 1, "model_template": "lgnmodel:LGNOnOFFCell", "dynamics_params": "onoff.json", **PLACE,
               "sigma_on": "(1.5, 1.5)", "sigma_off": "[3.0, 2.5]"}]
    _, rest = _run(tmp_path / "gray", groups)
    assert not rest.any()                                              # no spontaneous rate
    flash = {"module": "full_field_flash", "row_size": 12, "col_size": 16, "t_on": 20.0, "t_off": 60.0,
             "frame_rate": 1000.0}
    _, rates = _run(tmp_path / "flash", groups, flash, tstop=100.0)
    assert rates[:20].max() == 0 and rates[20:40].max() > 10 and rates[60:80].max() > 10  # ON and OFF both answer
    del groups[0]["sigma_off"]
    with pytest.raises(BuildError, match="missing sigma_off") as err:
        _run(tmp_path / "bad", groups)
    assert "nodes.lgn[0].sigma_off" in str(err.value)


def test_two_subfield_names_are_exact(tmp_path: Path) -> None:
    """sONsOFF_002 is not a two-subfield type in BMTK: it is a single ON unit (needing spont_fr)."""
    groups = [{"N": 1, "model_template": "lgnmodel:sONsOFF_002", "dynamics_params": "sOFF_dom.json", **PLACE,
               "spont_fr": [3.0]}]
    _, rates = _run(tmp_path, groups)
    np.testing.assert_allclose(rates, 3.0)


def test_separable_evaluation_scales_before_the_rectifier(tmp_path: Path) -> None:
    groups = [{"N": 1, "model_template": "lgnmodel:tON_TF8", "dynamics_params": "tON_TF8.json", **PLACE,
               "spont_fr": [2.0]}]
    times, rates = _run(tmp_path / "a", groups, _gray(tmp_path, 30, 500.0))
    np.testing.assert_allclose(rates, 4.0)             # non-separable: max(s + spont, 0) * 1000 / 500
    block = {**_gray(tmp_path, 30, 500.0), "evaluation_options": {"separable": True}}
    sep_times, sep_rates = _run(tmp_path / "b", groups, block)
    np.testing.assert_allclose(sep_rates, 2.0)         # separable: max(s * 1000 / 500 + spont, 0)
    np.testing.assert_array_equal(sep_times, np.arange(30) / 500.0)
    assert times.size == 30


def test_rates_window_and_downsample(tmp_path: Path) -> None:
    groups = [{"N": 1, "model_template": "lgnmodel:tON_TF8", "dynamics_params": "tON_TF8.json", **PLACE,
               "spont_fr": [2.0]}]
    block = {**_gray(tmp_path, 100), "evaluation_options": {"t_min": 0.02, "t_max": 0.15, "downsample": 4}}
    times, rates = _run(tmp_path, groups, block)
    np.testing.assert_allclose(times, (0.02 + np.arange(131) / 1000.0)[::4])
    np.testing.assert_allclose(rates, 2.0)             # beyond the movie (t > 99 ms) the input is 0 too


@pytest.mark.parametrize(("options", "key", "message"), [
    ({"separable": True, "downsample": 2}, "downsample", "separable evaluation takes every frame"),
    ({"separable": True, "t_min": 0.1}, "t_min", "separable evaluation takes every frame"),
    ({"separable": "yes"}, "separable", "true or false"),
    ({"t_min": 0.5, "t_max": 0.1}, "t_max", "before t_min"),
    ({"t_min": "0"}, "t_min", "must be a number"),
    ({"threshold": 0.1}, "evaluation_options", "unknown evaluation option"),
    ({"downsample": 0}, "downsample", "positive integer"),
])
def test_bad_evaluation_options(tmp_path: Path, lgn: Path, options: dict, key: str, message: str) -> None:
    block = {"module": "movie", "data_file": str(tmp_path / "movie.npy"), "frame_rate": 1000.0,
             "evaluation_options": options}
    with pytest.raises(SimulationError, match=message) as err:
        Simulation.from_config(_config(tmp_path, lgn, block), progress=False).run()
    assert "inputs.stimulus.evaluation_options" in str(err.value) and key in str(err.value)


# -- jitter ------------------------------------------------------------------------------------

def test_jitter_draws_uniform_multiples() -> None:
    rng = np.random.default_rng(3)
    values = np.array([2.0, -3.0, 0.0, 7.5])
    np.testing.assert_array_equal(Jitter(1.05, 1.05).apply(values, rng), values * 1.05)
    draws = np.array([Jitter(0.8, 1.2).apply(values, rng) for _ in range(4000)])
    for column, v in zip(draws.T, values):
        if v == 0:
            assert not column.any()
            continue
        unit = (column - 0.8 * v) / (0.4 * v)                       # uniform on [0, 1) if right
        assert stats.kstest(unit, "uniform").pvalue > 1e-3
    assert jitter_range({}, "x") is None
    assert jitter_range({"jitter_lower": 0.9, "jitter_upper": 1.1}, "x") == Jitter(0.9, 1.1)
    for bad, message in (({"jitter_lower": 0.9}, "jitter_upper is missing"),
                         ({"jitter_lower": 1.2, "jitter_upper": 1.1}, "jitter_lower <= jitter_upper"),
                         ({"jitter_lower": -0.1, "jitter_upper": 1.1}, "0 <= jitter_lower"),
                         ({"jitter_lower": "a", "jitter_upper": 1.1}, "finite number"),
                         ({"jitter_lower": float("nan"), "jitter_upper": 1.1}, "finite number")):
        with pytest.raises(ValueError, match=message):
            jitter_range(bad, "where")


def _jitter_groups(lower: float, upper: float) -> list[dict]:
    return [{"N": 3, "model_template": "lgnmodel:tON_TF8", "dynamics_params": "tON_TF8.json",
             "x": [8.0] * 3, "y": [6.0] * 3, "spatial_size": [3.0] * 3, "spont_fr": [2.0] * 3,
             "jitter_lower": lower, "jitter_upper": upper}]


def test_jitter_is_seeded(tmp_path: Path) -> None:
    flash = {"module": "full_field_flash", "row_size": 12, "col_size": 16, "t_on": 10.0, "t_off": 40.0,
             "frame_rate": 1000.0}
    _, first = _run(tmp_path / "a", _jitter_groups(0.7, 1.3), flash)
    _, again = _run(tmp_path / "b", _jitter_groups(0.7, 1.3), flash)
    _, other = _run(tmp_path / "c", _jitter_groups(0.7, 1.3), flash, seed=12)
    _, fixed = _run(tmp_path / "d", _jitter_groups(1.0, 1.0), flash)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    assert np.unique(first.max(axis=0)).size == 3                     # each unit drew its own filter
    np.testing.assert_allclose(fixed, np.repeat(fixed[:, :1], 3, axis=1))


def test_bad_node_jitter(tmp_path: Path) -> None:
    groups = _jitter_groups(1.2, 1.1)
    with pytest.raises(BuildError, match="jitter_lower <= jitter_upper") as err:
        _run(tmp_path / "a", groups)
    assert "nodes.lgn[0].jitter_lower" in str(err.value)
    del groups[0]["jitter_upper"]
    with pytest.raises(BuildError, match="jitter_upper is missing"):
        _run(tmp_path / "b", groups)


def test_conditions_jitter_is_checked_but_changes_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    groups = _jitter_groups(1.0, 1.0)
    _, plain = _run(tmp_path / "a", groups)
    _, with_conditions = _run(tmp_path / "b", groups, conditions={"jitter_lower": 0.5, "jitter_upper": 0.6})
    np.testing.assert_array_equal(plain, with_conditions)
    assert "change nothing" in caplog.text
    with pytest.raises(ConfigError, match="jitter_lower is missing") as err:
        _run(tmp_path / "c", groups, conditions={"jitter_upper": 0.6})
    assert "conditions.jitter_lower" in str(err.value)


# -- outputs -----------------------------------------------------------------------------------

def test_filternet_spike_keys(tmp_path: Path, lgn: Path) -> None:
    """spikes_h5/spikes_csv win over spikes_file/spikes_file_csv; spikes sorted by node id."""
    output = {"spikes_h5": "fn_spikes.h5", "spikes_csv": "fn_spikes.csv"}
    result = Simulation.from_config(_config(tmp_path, lgn, output=output), progress=False).run()
    names = sorted(p.name for p in result.files)
    assert names == ["fn_spikes.csv", "fn_spikes.h5", "rates.csv", "rates.h5"]
    assert not (tmp_path / "output" / "spikes.h5").exists()
    ids, _ = SpikeTrains.read(tmp_path / "output" / "fn_spikes.h5").population("lgn")
    assert ids.size > 3 and np.all(np.diff(ids.astype(np.int64)) >= 0)
    timed = Simulation.from_config(_config(tmp_path, lgn, output={**output, "spikes_sort_order": "time"}),
                                   output_dir=tmp_path / "timed", progress=False).run()
    _, times = SpikeTrains.read(tmp_path / "timed" / "fn_spikes.h5").population("lgn")
    assert np.all(np.diff(times) >= 0)
    assert timed.spikes.is_close(result.spikes, atol=0)


def test_filternet_spike_keys_respect_overwrite(tmp_path: Path, lgn: Path) -> None:
    (tmp_path / "output").mkdir()
    (tmp_path / "output" / "fn.h5").write_text("earlier")
    config = _config(tmp_path, lgn, output={"spikes_h5": "fn.h5", "spikes_file": None, "spikes_file_csv": None,
                                            "rates_csv": None, "rates_h5": None, "overwrite_output_dir": False})
    with pytest.raises(SimulationError, match="overwrite_output_dir is false") as err:
        Simulation.from_config(config, progress=False).run()
    assert "fn.h5" in str(err.value)


# -- movies ------------------------------------------------------------------------------------

def test_looming_disc_frames() -> None:
    m = looming_disc(12, 16, t_looming=900.0, gray_screen_dur=50.0, frame_rate=1000.0)
    assert m.data.shape == (950, 12, 16) and m.frame_rate == 1000.0
    assert not m.data[:50].any()
    dark = (m.data[50:] == -1).sum(axis=(1, 2))
    assert set(np.unique(m.data)) <= {0.0, -1.0}
    assert dark[0] == 1 and dark[100] > dark[10] > 1                   # the disc grows from the centre ...
    assert dark[int(625 * 4 / 3) + 1] < dark[int(625 * 4 / 3) - 1]   # ... and starts over at radius 25
    np.testing.assert_allclose(m.row_range, np.linspace(0, 12, 12))
    with pytest.raises(ValueError, match="row_size"):
        looming_disc(12.5, 16)
    with pytest.raises(ValueError, match="no frame"):
        looming_disc(12, 16, t_looming=0.0, gray_screen_dur=0.0)


def test_looming_input(tmp_path: Path, lgn: Path, caplog: pytest.LogCaptureFixture) -> None:
    block = {"module": "looming", "row_size": 12, "col_size": 16, "frame_rate": 500.0, "t_looming": 0.2,
             "gray_screen_dur": 100.0}
    Simulation.from_config(_config(tmp_path, lgn, block, tstop=700.0), progress=False).run()
    with h5py.File(tmp_path / "output" / "rates.h5") as h5:
        times = h5["firing_rates/lgn/times"][()]
    # 500 ms gray + 200 ms disc at 500 Hz: 350 frames; BMTK's grid of rate times over them
    np.testing.assert_array_equal(times, np.arange((349 * (1 / 500.0)) * 500.0 + 1) * (1 / 500.0))
    assert "gray_screen_dur is ignored" in caplog.text
    block = {"module": "looming", "row_size": 12, "col_size": 16, "gray_sceen_dur": 0.1}
    with pytest.raises(ConfigError, match="gray_sceen_dur"):
        Simulation.from_config(_config(tmp_path, lgn, block), progress=False).run()


@pytest.mark.parametrize(("block", "error", "message", "key"), [
    ({"module": "full_field", "row_size": 4, "col_size": 4}, ConfigError, "full_field movie is not supported",
     "inputs.stimulus.module"),
    ({"module": "movie", "data_file": "m.npy", "frame_rate": 30.0, "t_range": [0, 1]}, ConfigError,
     "t_range is not supported", "inputs.stimulus.t_range"),
    ({"module": "movie", "data_file": "nan.npy", "frame_rate": 30.0}, FormatError, "NaN", "data_file"),
    ({"module": "movie", "data_file": "empty.npy", "frame_rate": 30.0}, FormatError, "no frames", "data_file"),
    ({"module": "movie", "data_file": "text.npy", "frame_rate": 30.0}, FormatError, "cannot read movie",
     "data_file"),
    ({"module": "movie", "data_file": "movie.npy", "frame_rate": 30.0, "row_range": [0, 1]}, ConfigError,
     "row_range must hold 12", "data_file"),
    ({"module": "movie", "data_file": "movie.npy", "frame_rate": -30.0}, ConfigError, "frame_rate", "data_file"),
    ({"module": "full_field_flash", "row_size": 12.5, "col_size": 16, "t_on": 1.0, "t_off": 2.0}, ConfigError,
     "whole number", "inputs.stimulus.row_size"),
    ({"module": "graiting", "row_size": 12, "col_size": 16, "contrast": 3.0}, ConfigError, "contrast",
     "inputs.stimulus.module"),
])
def test_bad_movies(tmp_path: Path, lgn: Path, block: dict, error: type, message: str, key: str) -> None:
    np.save(tmp_path / "nan.npy", np.full((3, 4, 4), np.nan))
    np.save(tmp_path / "empty.npy", np.zeros((0, 4, 4)))
    (tmp_path / "text.npy").write_text("not a numpy file")
    block = {k: (str(tmp_path / v) if k == "data_file" else v) for k, v in block.items()}
    with pytest.raises(error, match=message) as err:
        Simulation.from_config(_config(tmp_path, lgn, block), progress=False).run()
    assert key in str(err.value)


def test_inline_movie_data(tmp_path: Path, lgn: Path) -> None:
    data = np.random.default_rng(4).uniform(-1, 1, (50, 12, 16))
    np.save(tmp_path / "m.npy", data)
    block = {"module": "movie", "data_file": str(tmp_path / "m.npy"), "frame_rate": 1000.0}
    from_file = Simulation.from_config(_config(tmp_path, lgn, block), progress=False).run()
    block = {"module": "movie", "data": data.tolist(), "frame_rate": 1000.0}
    inline = Simulation.from_config(_config(tmp_path, lgn, block, name="inline.json"),
                                    output_dir=tmp_path / "inline", progress=False).run()
    assert inline.spikes.is_close(from_file.spikes, atol=0)


def test_movie_ranges_change_units(tmp_path: Path) -> None:
    np.save(tmp_path / "m.npy", np.zeros((5, 12, 16)))
    m = load_movie(tmp_path / "m.npy", 100.0, row_range=np.arange(12) * 0.5, col_range=np.arange(16) * 0.5)
    assert m.row_range[-1] == 5.5 and m.col_range[1] == 0.5
    with pytest.raises(ValueError, match="frames"):
        Movie(np.zeros((3, 1, 4)), 30.0, np.arange(1), np.arange(4))


def test_audio_and_audmodel_are_refused(tmp_path: Path, lgn: Path) -> None:
    config = _config(tmp_path, lgn)
    data = json.loads(config.read_text())
    data["inputs"] = {"sound": {"input_type": "audio", "module": "wav_file", "data_file": "a.wav"}}
    config.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match="audio inputs are not supported") as err:
        Simulation.from_config(config, progress=False).run()
    assert "inputs.sound.input_type" in str(err.value)
    _rewrite_types(lgn, "lgnmodel:tON_TF8", "audmodel:AUD_filt")
    with pytest.raises(BuildError, match="auditory units"):
        Simulation.from_config(_config(tmp_path, lgn), progress=False).run()


def test_spatial_kernel_clips_like_scikit_image() -> None:
    """A wide Gaussian moved by half a pixel has no zero pixel: edge pixels that reach beyond
    the frame are raised to the blurred canvas's minimum (scikit-image warp's clipping)."""
    k = gaussian_spatial_kernel(np.arange(12), np.arange(16), x=8.0, y=6.0, sigma=(3.0, 2.5))
    assert k[0, 0] == k[0, 1] == k[1, 0] == k[0, 15] == k[11, 0] == k.min() > 0
    assert not gaussian_spatial_kernel(np.arange(5), np.arange(5), x=-50.0, y=-50.0, sigma=(1.0, 1.0),
                                       allow_outside=True).any()


def test_sparse_spatial_kernels_equal_the_full_construction() -> None:
    """The fast path (two 1-D profiles, support only) and the full-frame path give the same kernels."""
    rng = np.random.default_rng(7)
    rows, cols = np.arange(20) * 0.5, np.arange(31) * 0.5
    n = 60
    x, y = rng.uniform(-2, 17, n), rng.uniform(-2, 11, n)
    sigma = rng.uniform(0.2, 6.0, (n, 2))
    rotation = np.where(rng.random(n) < 0.3, rng.uniform(0, 360, n), 0.0)
    x[:3], y[:3], sigma[:3] = 100.0, 100.0, 0.5           # outside the frame: all zero
    matrix, blind = spatial_kernels(rows, cols, x, y, sigma, rotation)
    assert matrix.shape == (20 * 31, n) and blind == 3
    assert matrix.nnz < 0.7 * matrix.shape[0] * n         # only the support is kept
    dense = matrix.toarray()
    for i in range(n):
        expected = gaussian_spatial_kernel(rows, cols, x[i], y[i], tuple(sigma[i]), rotation[i], allow_outside=True)
        np.testing.assert_allclose(dense[:, i].reshape(20, 31), expected, rtol=0, atol=1e-15 * max(expected.max(), 1))


def test_sparse_and_dense_projection_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    from cantata.sim.engines.filter import units as units_module
    from cantata.sim.engines.filter.units import Subunit, linear_responses

    rng = np.random.default_rng(8)
    movie = Movie.from_array(rng.uniform(-1, 1, (80, 30, 40)), 1000.0)
    kernel = cosine_bump_kernel([3.0, -2.0], [8.0, 20.0], [0, 0])
    subunits = [Subunit(rng.uniform(0, 40), rng.uniform(0, 30), (1.0, 1.5), kernel, 1.0) for _ in range(20)]
    monkeypatch.setattr(units_module, "DENSE_FRACTION", 1.0)
    sparse_way = linear_responses(subunits, movie)
    monkeypatch.setattr(units_module, "DENSE_FRACTION", 0.0)
    dense_way = linear_responses(subunits, movie)
    np.testing.assert_allclose(sparse_way, dense_way, rtol=1e-12, atol=1e-14)
