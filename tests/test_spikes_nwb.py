"""NWB spike trains: units tables written with pynwb, the legacy BMTK layout, and Cantata's writer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import h5py
import numpy as np
import pytest

from cantata.errors import FormatError
from cantata.sonata.spikes import SpikeTrains
from cantata.sonata.spikes_nwb import read_nwb_spikes, write_nwb_spikes

pynwb = pytest.importorskip("pynwb")

LEGACY_DIR = Path("format/pysonata_tests_data/reports/spike_trains/spike_files")


def _nwbfile() -> pynwb.NWBFile:
    return pynwb.NWBFile(session_description="test", identifier="cantata-test",
                         session_start_time=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))


def _write(nwbfile: pynwb.NWBFile, path: Path) -> Path:
    with pynwb.NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    return path


@pytest.fixture()
def recorded(tmp_path: Path) -> Path:
    """A recording-style file: units 10, 20, 30 (times in s), a cell_id column, three trials."""
    nwbfile = _nwbfile()
    nwbfile.add_unit_column(name="cell_id", description="model node of the unit")
    nwbfile.add_unit(id=10, spike_times=[0.05, 0.15, 0.25, 1.05], cell_id=0)
    nwbfile.add_unit(id=20, spike_times=[], cell_id=1)
    nwbfile.add_unit(id=30, spike_times=[0.12, 1.2, 2.3], cell_id=2)
    nwbfile.add_trial(start_time=0.0, stop_time=0.2)
    nwbfile.add_trial(start_time=1.0, stop_time=1.5)
    nwbfile.add_trial(start_time=2.0, stop_time=2.5)
    return _write(nwbfile, tmp_path / "recorded.nwb")


def _as_dict(trains: SpikeTrains, pop: str) -> dict[int, list[float]]:
    ids, times = trains.population(pop)
    return {int(i): sorted(np.round(times[ids == i], 9).tolist()) for i in np.unique(ids)}


def test_units_table_ids_become_node_ids_and_seconds_become_ms(recorded: Path) -> None:
    trains = read_nwb_spikes(recorded, "lgn")
    assert trains.populations == ["lgn"]
    assert _as_dict(trains, "lgn") == {10: [50.0, 150.0, 250.0, 1050.0], 30: [120.0, 1200.0, 2300.0]}


def test_node_id_column_maps_units_to_nodes(recorded: Path) -> None:
    trains = read_nwb_spikes(recorded, "lgn", node_id_column="cell_id")
    assert _as_dict(trains, "lgn") == {0: [50.0, 150.0, 250.0, 1050.0], 2: [120.0, 1200.0, 2300.0]}
    with pytest.raises(FormatError, match=r"recorded.nwb: /units/gid: node id column.*cell_id"):
        read_nwb_spikes(recorded, "lgn", node_id_column="gid")


def test_select_units(recorded: Path) -> None:
    trains = read_nwb_spikes(recorded, "lgn", units=[30, 20])
    assert _as_dict(trains, "lgn") == {30: [120.0, 1200.0, 2300.0]}
    with pytest.raises(FormatError, match=r"recorded.nwb: units: unknown unit ids.*found \[11, 12\]"):
        read_nwb_spikes(recorded, "lgn", units=[10, 11, 12])


def test_select_trials_absolute_and_relative(recorded: Path) -> None:
    absolute = read_nwb_spikes(recorded, "lgn", trials=[0, 2])
    assert _as_dict(absolute, "lgn") == {10: [50.0, 150.0], 30: [120.0, 2300.0]}
    relative = read_nwb_spikes(recorded, "lgn", trials=[1, 2], relative_to_trial=True)
    assert _as_dict(relative, "lgn") == {10: [50.0], 30: [200.0, 300.0]}


def test_time_window_is_applied_in_ms_after_trial_shift(recorded: Path) -> None:
    trains = read_nwb_spikes(recorded, "lgn", time_window=(100.0, 1100.0))
    assert _as_dict(trains, "lgn") == {10: [150.0, 250.0, 1050.0], 30: [120.0]}
    shifted = read_nwb_spikes(recorded, "lgn", trials=[1, 2], relative_to_trial=True, time_window=(0, 100))
    assert _as_dict(shifted, "lgn") == {10: [50.0]}


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"trials": 3}, r"trials: trial index out of range \(expected 0\.\.2 \(3 trials\), found 3\)"),
        ({"trials": [-1]}, r"trials: trial index out of range"),
        ({"trials": ["first"]}, r"trials: trials are selected by row index"),
        ({"time_window": (5.0, 1.0)}, r"time_window: time_window must have start < stop"),
        ({"time_window": "soon"}, r"time_window: time_window must be \(start, stop\)"),
        ({"relative_to_trial": True}, r"relative_to_trial needs trials"),
        ({"units": [1.5]}, r"units: must be integers"),
    ],
)
def test_bad_selections(recorded: Path, kwargs: dict, pattern: str) -> None:
    with pytest.raises(FormatError, match=pattern):
        read_nwb_spikes(recorded, "lgn", **kwargs)


def test_trials_without_trials_table(tmp_path: Path) -> None:
    nwbfile = _nwbfile()
    nwbfile.add_unit(id=0, spike_times=[0.1])
    path = _write(nwbfile, tmp_path / "no_trials.nwb")
    with pytest.raises(FormatError, match=r"no_trials.nwb: /intervals/trials: NWB file has no trials table"):
        read_nwb_spikes(path, "x", trials=0)


def test_file_without_units_table_names_file_and_content(tmp_path: Path) -> None:
    path = _write(_nwbfile(), tmp_path / "empty_session.nwb")
    with pytest.raises(FormatError) as err:
        read_nwb_spikes(path, "x")
    text = str(err.value)
    assert "empty_session.nwb: /units: NWB file has no units table" in text
    assert "found \"top-level entries" in text and "nwb_version 2." in text
    with pytest.raises(FormatError, match="no units table"):
        SpikeTrains.read(path)


def test_not_hdf5_and_missing(tmp_path: Path) -> None:
    bad = tmp_path / "text.nwb"
    bad.write_text("hello\n")
    with pytest.raises(FormatError, match=r"text.nwb: not an NWB file.*not HDF5"):
        read_nwb_spikes(bad)
    with pytest.raises(FormatError, match="NWB file not found"):
        read_nwb_spikes(tmp_path / "absent.nwb")


def test_units_group_that_pynwb_cannot_map(tmp_path: Path) -> None:
    path = tmp_path / "fake.nwb"
    with h5py.File(path, "w") as h5:
        h5.create_group("units")
    with pytest.raises(FormatError, match=r"fake.nwb: pynwb cannot read the file .*expected an NWB 2 file"):
        read_nwb_spikes(path)


def test_write_read_round_trip_keeps_populations(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    v1 = SpikeTrains.from_arrays(rng.integers(0, 50, 400), rng.uniform(0, 1000, 400), "v1")
    lgn = SpikeTrains.from_arrays(rng.integers(0, 20, 100), rng.uniform(0, 1000, 100), "lgn")
    trains = SpikeTrains.concat([v1, lgn])
    path = write_nwb_spikes(trains, tmp_path / "out.nwb")
    assert not list(tmp_path.glob(".*part"))
    back = SpikeTrains.read(path)
    assert back.populations == ["v1", "lgn"]
    assert back.is_close(trains, atol=1e-9)
    assert read_nwb_spikes(path, "lgn").is_close(lgn, atol=1e-9)
    with h5py.File(path, "r") as h5:  # NWB stores seconds; one unit per (population, node)
        assert h5["units/spike_times"][()].max() < 1.0 + 1e-12
        pops = h5["units/population"][()].astype(str)
        nodes = h5["units/node_id"][()]
    pairs = set(zip(pops.tolist(), nodes.tolist()))
    assert len(pairs) == pops.size == np.unique(v1.population("v1")[0]).size + np.unique(lgn.population("lgn")[0]).size
    with pytest.raises(FormatError, match="population not in the units table"):
        read_nwb_spikes(path, "thalamus")
    with pytest.raises(FormatError, match="file exists"):
        write_nwb_spikes(trains, path)
    write_nwb_spikes(lgn, path, overwrite=True)
    assert SpikeTrains.read(path).populations == ["lgn"]


def test_nwb_content_is_found_without_the_suffix(tmp_path: Path) -> None:
    path = write_nwb_spikes(SpikeTrains.from_arrays([1, 2], [5.0, 6.0], "v1"), tmp_path / "spikes.h5")
    assert SpikeTrains.read(path).is_close(SpikeTrains.from_arrays([1, 2], [5.0, 6.0], "v1"))


def test_empty_spike_trains_round_trip(tmp_path: Path) -> None:
    path = write_nwb_spikes(SpikeTrains(), tmp_path / "none.nwb")
    assert SpikeTrains.read(path).n_spikes == 0


def test_legacy_bmtk_nwb_matches_sonata_file(testdata: Path) -> None:
    folder = testdata / LEGACY_DIR
    legacy = folder / "spikes.onepop.v1.0.nwb"
    if not legacy.is_file():
        pytest.skip("legacy NWB test file not present")
    trains = SpikeTrains.read(legacy, default_population="v1")
    reference = SpikeTrains.read(folder / "spikes.one_pop.h5")
    assert trains.populations == ["v1"] and trains.n_spikes == 124
    assert trains.is_close(reference, atol=1e-9)
    assert read_nwb_spikes(legacy, "v1", trials="trial_0").is_close(reference)
    some = read_nwb_spikes(legacy, "v1", units=[0, 13], time_window=(0.0, 1000.0))
    assert set(np.unique(some.population("v1")[0]).tolist()) <= {0, 13}
    assert some.population("v1")[1].max() < 1000.0
    with pytest.raises(FormatError, match=r"trials: unknown trial.*trial_0"):
        read_nwb_spikes(legacy, "v1", trials="trial_1")
    with pytest.raises(FormatError, match=r"units: unknown unit ids.*\[99\]"):
        read_nwb_spikes(legacy, "v1", units=[99])
    with pytest.raises(FormatError, match="legacy NWB layout stores no trial start times"):
        read_nwb_spikes(legacy, "v1", trials=0, relative_to_trial=True)
