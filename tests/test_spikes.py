"""Spike trains: reading every layout in the shared test data, writing, sorting, errors."""

from __future__ import annotations

import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from cantata.errors import FormatError
from cantata.sonata.spikes import SORTING_ENUM, SpikeTrains, normalise_sort_order

libsonata = pytest.importorskip("libsonata")

SPIKE_DIR = "format/pysonata_tests_data/reports/spike_trains/spike_files"


def _libsonata_spikes(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    reader = libsonata.SpikeReader(str(path))
    out = {}
    for name in reader.get_population_names():
        pairs = reader[name].get()
        arr = np.array(pairs, dtype=float).reshape(-1, 2)
        out[name] = (arr[:, 0].astype(np.int64), arr[:, 1])
    return out


# -- reading real files ---------------------------------------------------------------------

@pytest.mark.parametrize(
    "relpath, expected",
    [
        ("format/libsonata_tests_data/data/spikes.h5", {"All": 5, "empty": 0, "spikes1": 5, "spikes2": 5}),
        ("format/bluepysnap_tests_data/data/input_spikes.h5", {"default": 1}),
        ("format/bluepysnap_tests_data/data/reporting/spikes.h5", {"default": 5, "default2": 5}),
        ("format/bbp_sonata_usecases/usecases/usecase4/reporting/spikes.h5", {"NodeA": 5, "NodeB": 5}),
        (f"{SPIKE_DIR}/spikes.multipop.h5", {"lgn": 123356, "tw": 21078}),
        (f"{SPIKE_DIR}/spikes.one_pop.h5", {"v1": 124}),
        (f"{SPIKE_DIR}/spikes.h5", {"default": 124}),
        (f"{SPIKE_DIR}/spikes.old.h5", {"default": 124}),
        (f"{SPIKE_DIR}/spikes.multipop.csv", {"lgn": 123356, "tw": 21078}),
        (f"{SPIKE_DIR}/spikes.one_pop.csv", {"v1": 124}),
        (f"{SPIKE_DIR}/spikes.noheader.nopop.csv", {"default": 124}),
        ("sonata-examples/300_intfire/inputs/lgn_spikes.h5", {"default": 2738}),
        ("sonata-examples/300_intfire/inputs/tw_spikes.h5", {"default": 295}),
        ("sonata-examples/300_intfire/output/spikes.h5", {"v1": 4322}),
        ("sonata-examples/5_cells_iclamp/output/spikes.h5", {"biophysical": 124}),
    ],
)
def test_reads_shared_spike_files(testdata, relpath, expected):
    spikes = SpikeTrains.read(testdata / relpath)
    assert {p: spikes.population(p)[0].size for p in spikes.populations} == expected
    assert spikes.n_spikes == sum(expected.values())
    for name in spikes.populations:
        ids, times = spikes.population(name)
        assert ids.dtype == np.int64 and times.dtype == np.float64


@pytest.mark.parametrize(
    "relpath",
    [
        "format/libsonata_tests_data/data/spikes.h5",
        "format/bluepysnap_tests_data/data/reporting/spikes.h5",
        "format/bluepysnap_tests_data/data/input_spikes.h5",
    ],
)
def test_values_agree_with_libsonata(testdata, relpath):
    ours = SpikeTrains.read(testdata / relpath)
    theirs = _libsonata_spikes(testdata / relpath)
    assert ours.populations == list(theirs)
    for name, (ids, times) in theirs.items():
        got_ids, got_times = ours.population(name)
        np.testing.assert_array_equal(got_ids, ids)      # same file order
        np.testing.assert_array_equal(got_times, times)


def test_legacy_layout_uses_default_population(testdata):
    path = testdata / "sonata-examples/300_intfire/inputs/lgn_spikes.h5"
    assert SpikeTrains.read(path).populations == ["default"]
    spikes = SpikeTrains.read(path, default_population="lgn")
    assert spikes.populations == ["lgn"]
    with h5py.File(path) as h5:
        np.testing.assert_array_equal(spikes.population("lgn")[0], h5["spikes/gids"][()].astype(np.int64))
        np.testing.assert_array_equal(spikes.population("lgn")[1], h5["spikes/timestamps"][()])


def test_csv_and_h5_variants_agree(testdata):
    d = testdata / SPIKE_DIR
    # the CSVs print some times with float noise (512.4630000000001)
    assert SpikeTrains.read(d / "spikes.one_pop.csv").is_close(SpikeTrains.read(d / "spikes.one_pop.h5"), 1e-9)
    assert SpikeTrains.read(d / "spikes.multipop.csv").is_close(SpikeTrains.read(d / "spikes.multipop.h5"), 1e-9)
    # CRLF, no header, no population column -> default population
    nopop = SpikeTrains.read(d / "spikes.noheader.nopop.csv", default_population="v1")
    assert nopop.is_close(SpikeTrains.read(d / "spikes.one_pop.h5"), 1e-9)


def test_nwb_is_read_by_the_nwb_reader(testdata):
    # NWB reading lives in cantata.sonata.spikes_nwb (tests in test_spikes_nwb.py)
    trains = SpikeTrains.read(testdata / SPIKE_DIR / "spikes.onepop.v1.0.nwb")
    assert trains.n_spikes == 124


def test_nwb_detected_by_content(tmp_path):
    path = tmp_path / "spikes.h5"
    with h5py.File(path, "w") as h5:
        h5.create_group("processing/trial_0/spike_train")
    assert SpikeTrains.read(path).n_spikes == 0  # legacy NWB layout, no spikes
    with h5py.File(path, "w") as h5:
        h5.create_group("acquisition")
    with pytest.raises(FormatError, match="NWB"):
        SpikeTrains.read(path)


# -- sorting attribute variants ---------------------------------------------------------------

def _write_raw(path, sorting, *, kind):
    with h5py.File(path, "w") as h5:
        g = h5.create_group("spikes/pop")
        g.create_dataset("node_ids", data=np.array([3, 1, 2], dtype=np.uint64))
        g.create_dataset("timestamps", data=np.array([0.5, 0.1, 0.3]))
        if kind == "enum":
            g.attrs.create("sorting", sorting, dtype=h5py.enum_dtype(SORTING_ENUM, basetype=np.uint8))
        elif kind == "vlen":
            g.attrs["sorting"] = sorting
        elif kind == "fixed":
            g.attrs.create("sorting", np.bytes_(sorting))
        elif kind == "int":
            g.attrs.create("sorting", np.int32(sorting))


@pytest.mark.parametrize("kind, value", [("enum", 0), ("enum", 2), ("vlen", "by_time"), ("vlen", "none"),
                                         ("fixed", "by_id"), ("int", 1), ("absent", None)])
def test_sorting_attribute_forms(tmp_path, kind, value):
    path = tmp_path / "s.h5"
    _write_raw(path, value, kind=kind)
    spikes = SpikeTrains.read(path)
    np.testing.assert_array_equal(spikes.population("pop")[0], [3, 1, 2])   # file order kept


@pytest.mark.parametrize("kind, value", [("vlen", "by_colour"), ("int", 7)])
def test_unknown_sorting_value(tmp_path, kind, value):
    path = tmp_path / "s.h5"
    _write_raw(path, value, kind=kind)
    with pytest.raises(FormatError, match="sorting"):
        SpikeTrains.read(path)


def test_sort_order_aliases():
    assert normalise_sort_order("by_time") == normalise_sort_order("time") == "time"
    assert {normalise_sort_order(v) for v in ("id", "by_id", "gid", "node_id", "by_gid")} == {"id"}
    assert normalise_sort_order(None) == normalise_sort_order("none") == "none"
    with pytest.raises(FormatError):
        normalise_sort_order("random")


# -- writing -------------------------------------------------------------------------------

def _example() -> SpikeTrains:
    a = SpikeTrains.from_arrays([4, 2, 2, 0, 3], [1.0, 0.5, 0.2, 0.5, 0.5], "cortex")
    b = SpikeTrains.from_arrays([1, 0], [0.7, 0.3], "thalamus")
    return SpikeTrains.concat([a, b])


@pytest.mark.parametrize("sort_by, libsonata_name", [("time", "by_time"), ("id", "by_id"), ("none", "none")])
def test_write_h5_readable_by_libsonata(tmp_path, sort_by, libsonata_name):
    spikes = _example()
    path = spikes.write_h5(tmp_path / "out.h5", sort_by=sort_by)
    reader = libsonata.SpikeReader(str(path))
    assert sorted(reader.get_population_names()) == ["cortex", "thalamus"]
    assert reader["cortex"].sorting == libsonata_name
    theirs = _libsonata_spikes(path)
    ours = spikes.sorted(sort_by)
    for name in ours.populations:
        np.testing.assert_array_equal(theirs[name][0], ours.population(name)[0])
        np.testing.assert_array_equal(theirs[name][1], ours.population(name)[1])
    with h5py.File(path) as h5:
        assert list(h5.attrs["version"]) == [0, 1] and h5.attrs["magic"] == 0x0A7A
        assert h5["spikes/cortex/node_ids"].dtype == np.uint64
        assert h5["spikes/cortex/timestamps"].dtype == np.float64
        assert h5["spikes/cortex/timestamps"].attrs["units"] == "ms"
    assert SpikeTrains.read(path).is_close(spikes, 0.0)


def test_sorting_semantics():
    spikes = _example()
    ids, times = spikes.sorted("time").population("cortex")
    np.testing.assert_array_equal(times, [0.2, 0.5, 0.5, 0.5, 1.0])
    np.testing.assert_array_equal(ids, [2, 0, 2, 3, 4])                      # ties by id
    ids, times = spikes.sorted("id").population("cortex")
    np.testing.assert_array_equal(ids, [0, 2, 2, 3, 4])
    np.testing.assert_array_equal(times, [0.5, 0.2, 0.5, 0.5, 1.0])          # ties by time
    ids, _ = spikes.sorted("none").population("cortex")
    np.testing.assert_array_equal(ids, [4, 2, 2, 0, 3])


def test_sorting_matches_lexsort_on_random_data():
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 50, 20_000)
    times = np.round(rng.uniform(0, 100, ids.size), 1)                       # many ties
    spikes = SpikeTrains.from_arrays(ids, times, "p")
    for by, order in (("time", np.lexsort((ids, times))), ("id", np.lexsort((times, ids)))):
        got_ids, got_times = spikes.sorted(by).population("p")
        np.testing.assert_array_equal(got_ids, ids[order])
        np.testing.assert_array_equal(got_times, times[order])


def test_write_csv_bmtk_columns(tmp_path):
    spikes = _example()
    path = spikes.write_csv(tmp_path / "spikes.csv")
    lines = path.read_text().splitlines()
    assert lines[0] == "timestamps population node_ids"
    assert lines[1] == "0.2 cortex 2"
    assert SpikeTrains.read(path).is_close(spikes, 0.0)


@pytest.mark.parametrize("text", [
    "timestamps\tpopulation\tnode_ids\n0.5\tv1\t3\n0.25\tv1\t1\n",
    "timestamps,population,node_ids\n0.5,v1,3\n0.25,v1,1\n",
    "node_ids,timestamps,population\n3,0.5,v1\n1,0.25,v1\n",
    "timestamps  population   node_ids\r\n0.5 v1 3\r\n\r\n0.25 v1 1\r\n",
    "timestamps node_ids\n0.5 3\n0.25 1\n",
    "0.5,3\n0.25,1\n",
    "0.5 v1 3\n0.25 v1 1\n",
])
def test_csv_dialects(tmp_path, text):
    path = tmp_path / "s.csv"
    path.write_text(text)
    spikes = SpikeTrains.read(path, default_population="v1")
    assert spikes.populations == ["v1"]
    ids, times = spikes.population("v1")
    np.testing.assert_array_equal(ids, [3, 1])
    np.testing.assert_array_equal(times, [0.5, 0.25])


def test_numeric_population_names_stay_strings(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("timestamps population node_ids\n1.0 0 1\n2.0 1 2\n")
    assert SpikeTrains.read(path).populations == ["0", "1"]


def test_refuses_overwrite_and_leaves_no_temp(tmp_path):
    spikes = _example()
    path = spikes.write_h5(tmp_path / "s.h5")
    with pytest.raises(FormatError, match="exists"):
        spikes.write_h5(path)
    with pytest.raises(FormatError, match="exists"):
        spikes.write_csv(path)
    spikes.select(population="cortex").write_h5(path, overwrite=True)
    assert SpikeTrains.read(path).populations == ["cortex"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.h5"]


def test_empty_trains_round_trip(tmp_path):
    empty = SpikeTrains.from_arrays([], [], "p")
    path = empty.write_h5(tmp_path / "e.h5")
    back = SpikeTrains.read(path)
    assert back.populations == ["p"] and back.n_spikes == 0
    assert SpikeTrains().to_dataframe().shape == (0, 3)
    assert SpikeTrains.read(empty.write_csv(tmp_path / "e.csv"), default_population="p").n_spikes == 0


# -- views and helpers ------------------------------------------------------------------------

def test_dataframe_view_and_back():
    spikes = _example()
    df = spikes.to_dataframe()
    assert list(df.columns) == ["population", "node_ids", "timestamps"]
    assert df["node_ids"].dtype == np.int64 and df["timestamps"].dtype == np.float64
    assert (df["population"] == "thalamus").sum() == 2
    assert SpikeTrains.from_dataframe(df).is_close(spikes, 0.0)
    no_pop = pd.DataFrame({"node_ids": [1], "timestamps": [2.0]})
    assert SpikeTrains.from_dataframe(no_pop, default_population="x").populations == ["x"]


def test_population_array_argument():
    spikes = SpikeTrains.from_arrays([1, 2, 3, 4], [0.1, 0.2, 0.3, 0.4], np.array(["b", "a", "b", "a"]))
    assert spikes.populations == ["b", "a"]
    np.testing.assert_array_equal(spikes.population("b")[0], [1, 3])
    np.testing.assert_array_equal(spikes.population("a")[1], [0.2, 0.4])


def test_counts_select_concat_and_lookup():
    spikes = _example()
    counts = spikes.spike_counts()
    assert counts[(counts.population == "cortex") & (counts.node_ids == 2)]["count"].item() == 2
    assert counts["count"].sum() == spikes.n_spikes == len(spikes) == 7
    window = spikes.select(tstart=0.3, tstop=0.7)
    assert window.n_spikes == 4                                           # 0.5 x3, thalamus 0.3
    assert spikes.select(population="cortex", node_ids=[2]).n_spikes == 2
    twice = SpikeTrains.concat([spikes, spikes])
    assert twice.n_spikes == 14 and twice.populations == ["cortex", "thalamus"]
    with pytest.raises(FormatError, match="no spikes for this population"):
        spikes.population("hippocampus")
    ids, _ = spikes.population("cortex")
    assert not ids.flags.writeable


def test_is_close_tolerance_and_differences():
    a = SpikeTrains.from_arrays([1, 2], [1.0, 2.0], "p")
    b = SpikeTrains.from_arrays([2, 1], [2.00005, 1.0], "p")
    assert a.is_close(b, atol=1e-4)
    assert not a.is_close(b, atol=1e-6)
    assert "max difference" in a.difference(b, atol=1e-6)
    assert "spikes vs" in a.difference(SpikeTrains.from_arrays([1], [1.0], "p"))
    assert "populations differ" in a.difference(SpikeTrains.from_arrays([1, 2], [1.0, 2.0], "q"))


# -- bad input ----------------------------------------------------------------------------

def test_not_h5_nor_csv(tmp_path):
    path = tmp_path / "s.dat"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
    with pytest.raises(FormatError, match="not a spike file") as err:
        SpikeTrains.read(path)
    assert str(path) in str(err.value)
    with pytest.raises(FormatError, match="not found"):
        SpikeTrains.read(tmp_path / "missing.h5")


def test_h5_without_spikes_group(tmp_path):
    path = tmp_path / "s.h5"
    with h5py.File(path, "w") as h5:
        h5.create_group("nodes")
    with pytest.raises(FormatError, match="no spikes group"):
        SpikeTrains.read(path)


def test_missing_dataset(tmp_path):
    path = tmp_path / "s.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("spikes/pop/node_ids", data=[1, 2])
    with pytest.raises(FormatError, match="lacks datasets") as err:
        SpikeTrains.read(path)
    assert "/spikes/pop" in str(err.value) and "timestamps" in str(err.value)


def _raw_pop(path, ids, times, units=None):
    with h5py.File(path, "w") as h5:
        h5.create_dataset("spikes/pop/node_ids", data=ids)
        ts = h5.create_dataset("spikes/pop/timestamps", data=times)
        if units:
            ts.attrs["units"] = units


def test_length_mismatch(tmp_path):
    _raw_pop(tmp_path / "s.h5", np.array([1, 2, 3], np.uint64), [0.1, 0.2])
    with pytest.raises(FormatError, match="differ in length") as err:
        SpikeTrains.read(tmp_path / "s.h5")
    assert "2 timestamps, 3 node_ids" in str(err.value)


def test_negative_ids(tmp_path):
    _raw_pop(tmp_path / "s.h5", np.array([1, -2], np.int64), [0.1, 0.2])
    with pytest.raises(FormatError, match="negative node id"):
        SpikeTrains.read(tmp_path / "s.h5")
    (tmp_path / "s.csv").write_text("timestamps node_ids\n0.1 -1\n")
    with pytest.raises(FormatError, match="negative node id"):
        SpikeTrains.read(tmp_path / "s.csv")
    with pytest.raises(FormatError, match="negative node id"):
        SpikeTrains.from_arrays([-1], [0.0])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_times(tmp_path, bad):
    _raw_pop(tmp_path / "s.h5", np.array([1, 2], np.uint64), [0.1, bad])
    with pytest.raises(FormatError, match="not finite"):
        SpikeTrains.read(tmp_path / "s.h5")
    with pytest.raises(FormatError, match="not finite"):
        SpikeTrains.from_arrays([1], [bad])


def test_time_units(tmp_path):
    _raw_pop(tmp_path / "s.h5", np.array([1], np.uint64), [0.5], units="s")
    assert SpikeTrains.read(tmp_path / "s.h5").population("pop")[1][0] == 500.0
    _raw_pop(tmp_path / "s.h5", np.array([1], np.uint64), [0.5], units="fortnights")
    with pytest.raises(FormatError, match="units"):
        SpikeTrains.read(tmp_path / "s.h5")


@pytest.mark.parametrize("text, match", [
    ("time_ms cell\n0.1 1\n", "lacks columns"),
    ("timestamps node_ids\n0.1 abc\n", "not a number"),
    ("timestamps node_ids\n0.1 1.5\n", "not an integer"),
    ("1 2 3 4\n", "number of columns"),
    ("\n\n", "empty"),
])
def test_bad_csv(tmp_path, text, match):
    path = tmp_path / "s.csv"
    path.write_text(text)
    with pytest.raises(FormatError, match=match):
        SpikeTrains.read(path)


def test_write_bad_sort_order(tmp_path):
    with pytest.raises(FormatError, match="sort order"):
        _example().write_h5(tmp_path / "s.h5", sort_by="colour")
    assert not (tmp_path / "s.h5").exists()


# -- scale ------------------------------------------------------------------------------------

@pytest.mark.slow
def test_ten_million_spikes_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    n = 10_000_000
    times = rng.uniform(0, 10_000, n)                                     # unsorted: the writer sorts
    spikes = SpikeTrains.from_arrays(rng.integers(0, 100_000, n), times, "v1")
    start = time.perf_counter()
    path = spikes.write_h5(tmp_path / "big.h5")
    back = SpikeTrains.read(path)
    elapsed = time.perf_counter() - start
    assert back.n_spikes == n
    np.testing.assert_array_equal(back.population("v1")[1], np.sort(times))
    assert elapsed < 20, f"10M spikes took {elapsed:.1f} s"


def test_invalid_population_name_for_h5(tmp_path):
    with pytest.raises(FormatError, match="invalid population name"):
        SpikeTrains.from_arrays([1], [1.0], "a/b").write_h5(tmp_path / "s.h5")
    assert list(tmp_path.iterdir()) == []
