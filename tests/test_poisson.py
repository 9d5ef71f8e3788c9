import numpy as np
import pytest

from cantata.errors import CantataError
from cantata.sonata.spikes import SpikeTrains
from cantata.stimuli import PoissonSpikeGenerator


def _counts(gen, n):
    st = gen.to_spike_trains()
    ids, _ = st.population(gen.population)
    return np.bincount(ids, minlength=n)


def test_constant_rate_mean_within_five_sigma():
    gen = PoissonSpikeGenerator("lgn", seed=1)
    gen.add(np.arange(200), 20.0, times=(0.0, 2000.0))
    expected = 200 * 20.0 * 2.0
    assert abs(gen.n_spikes - expected) < 5 * np.sqrt(expected)
    _, t = gen.to_spike_trains().population("lgn")
    assert t.min() >= 0.0 and t.max() < 2000.0
    assert np.all(np.diff(t) >= 0)


def test_same_seed_same_spikes_and_other_seed_differs():
    def make(seed):
        gen = PoissonSpikeGenerator("p", seed=seed)
        gen.add(range(10), 15.0, times=(0, 1000))
        return gen.to_spike_trains().population("p")[1]

    assert np.array_equal(make(3), make(3))
    assert not np.array_equal(make(3), make(4))


def test_seconds_units_like_bmtk():
    gen = PoissonSpikeGenerator("p", seed=0, time_units="s")
    gen.add([0, 1], 50.0, times=(0.5, 1.5))
    _, t = gen.to_spike_trains().population("p")
    assert t.min() >= 500.0 and t.max() < 1500.0


def test_short_ms_window_warns_about_seconds():
    gen = PoissonSpikeGenerator("p", seed=0)
    with pytest.warns(UserWarning, match="time_units='s'"):
        gen.add([0], 10.0, times=(0.0, 3.0))


def test_array_rate_is_piecewise_constant():
    gen = PoissonSpikeGenerator("p", seed=2)
    gen.add(np.arange(100), np.array([0.0, 100.0]), times=(0.0, 500.0, 1000.0))
    _, t = gen.to_spike_trains().population("p")
    assert np.all(t >= 500.0)
    assert abs(t.size - 100 * 100 * 0.5) < 5 * np.sqrt(5000)


def test_function_rate_by_thinning():
    gen = PoissonSpikeGenerator("p", seed=5)
    gen.add(np.arange(400), lambda t: np.where(t < 500.0, 40.0, 0.0), times=(0.0, 1000.0))
    _, t = gen.to_spike_trains().population("p")
    assert t.max() < 500.0
    assert abs(t.size - 400 * 40 * 0.5) < 5 * np.sqrt(8000)


def test_negative_rate_function_is_an_error():
    gen = PoissonSpikeGenerator("p", seed=5)
    with pytest.raises(CantataError, match="non-negative"):
        gen.add([0], lambda t: 10.0 - t, times=(0.0, 100.0))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"node_ids": [0], "firing_rate": -1.0}, "non-negative"),
        ({"node_ids": [-1], "firing_rate": 1.0}, "node ids"),
        ({"node_ids": [0.5], "firing_rate": 1.0}, "node ids"),
        ({"node_ids": [0], "firing_rate": [1.0, 2.0, 3.0, 4.0], "times": (0, 10, 20)}, "time bins"),
        ({"node_ids": [0], "firing_rate": 1.0, "times": (100, 50)}, "increasing"),
    ],
)
def test_bad_arguments(kwargs, match):
    gen = PoissonSpikeGenerator("p", seed=0)
    with pytest.raises(CantataError, match=match):
        gen.add(**{"times": (0, 1000), **kwargs})
    assert gen.n_spikes == 0


def test_unknown_time_unit():
    with pytest.raises(CantataError, match="time_units"):
        PoissonSpikeGenerator("p", time_units="min")


def test_writes_sonata_and_csv(tmp_path):
    gen = PoissonSpikeGenerator("thalamus", seed=9)
    gen.add(range(5), 30.0, times=(0, 1000))
    h5 = gen.to_sonata(tmp_path / "in.h5")
    csv = gen.to_csv(tmp_path / "in.csv")
    a = SpikeTrains.read(h5)
    b = SpikeTrains.read(csv)
    assert a.n_spikes == b.n_spikes == gen.n_spikes
    assert np.allclose(a.population("thalamus")[1], b.population("thalamus")[1])
    df = gen.to_dataframe()
    assert list(df.columns) == ["population", "node_ids", "timestamps"]


def test_dt_puts_spikes_on_the_time_grid():
    gen = PoissonSpikeGenerator("p", seed=3, dt=0.1)
    gen.add(range(20), 50.0, times=(0.0, 1000.0))
    _, t = gen.to_spike_trains().population("p")
    steps = t / 0.1
    assert np.allclose(steps, np.rint(steps), atol=1e-6)
    raw = PoissonSpikeGenerator("p", seed=3)
    raw.add(range(20), 50.0, times=(0.0, 1000.0))
    _, t_raw = raw.to_spike_trains().population("p")
    assert t.size == t_raw.size
    assert np.all(t - np.sort(t_raw) >= -1e-9) and np.all(t - np.sort(t_raw) < 0.1 + 1e-9)


def test_bad_dt():
    with pytest.raises(CantataError, match="dt"):
        PoissonSpikeGenerator("p", dt=0.0)
