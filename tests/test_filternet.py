"""The filternet engine without BMTK: filters, movies, Poisson spikes, runs and bad input."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "bmtk_reference"))
from filternet_model import build_network, write_config

from cantata.cli import main as cli_main
from cantata.errors import BuildError, ConfigError, SimulationError
from cantata.sim import Simulation
from cantata.sim.engines.filter.filters import (
    cosine_bump_kernel,
    frames_kernel,
    gaussian_spatial_kernel,
)
from cantata.sim.engines.filter.spikes import poisson_spikes
from cantata.stimuli.movies import (
    drifting_grating,
    full_field_flash,
    load_movie,
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
