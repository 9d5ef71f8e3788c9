"""BMTK's SpikeTrains names on Cantata's SpikeTrains (load, node_ids, get_times, time_range,
to_dataframe's keywords, spikes, to_sonata/to_csv, is_equal) on real files."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from cantata.compat.spike_trains import PoissonSpikeGenerator, SpikeTrains, sort_order
from cantata.errors import FormatError
from cantata.sonata.spikes import SpikeTrains as CoreSpikeTrains

INTFIRE_SPIKES = "sonata-examples/300_intfire/output/spikes.h5"


@pytest.fixture()
def two_pops(tmp_path: Path) -> Path:
    """An h5 file written with h5py: v1 unsorted, lgn by time."""
    path = tmp_path / "two.h5"
    with h5py.File(path, "w") as h5:
        v1 = h5.create_group("spikes/v1")
        v1.create_dataset("node_ids", data=np.array([3, 1, 3, 2, 1], dtype=np.uint64))
        v1.create_dataset("timestamps", data=np.array([5.0, 1.0, 2.0, 9.5, 7.0]))
        lgn = h5.create_group("spikes/lgn")
        lgn.create_dataset("node_ids", data=np.array([0, 4], dtype=np.uint64))
        ts = lgn.create_dataset("timestamps", data=np.array([0.0015, 0.004]))
        ts.attrs["units"] = "s"
    return path


def test_compat_module_reexports_cantata_classes() -> None:
    from cantata.stimuli import PoissonSpikeGenerator as CorePoisson

    assert SpikeTrains is CoreSpikeTrains and PoissonSpikeGenerator is CorePoisson
    assert sort_order.by_time.value == "by_time"


def test_load_and_read_methods(two_pops: Path) -> None:
    st = SpikeTrains.load(two_pops)
    assert st.populations == ["lgn", "v1"]  # h5py lists groups by name
    assert st.node_ids("v1").tolist() == [1, 2, 3]
    assert st.node_ids(population="lgn").tolist() == [0, 4]
    assert st.get_times(3, population="v1").tolist() == [5.0, 2.0]  # stored order, as BMTK
    assert st.get_times(1, "v1", time_window=(1.0, 7.0)).tolist() == [1.0, 7.0]  # inclusive
    assert st.get_times(99, population="v1").size == 0
    assert st.get_times(4, population="lgn").tolist() == [4.0]  # seconds in the file -> ms
    assert st.time_range() == (1.0, 9.5)
    assert st.time_range("lgn") == (1.5, 4.0)
    assert st.time_range(populations=["lgn", "v1"]) == (1.0, 9.5)
    assert st.units() == "ms" and st.units("v1") == "ms"
    assert st.n_spikes == len(st) == 7  # a property in Cantata (BMTK: a method)
    with pytest.raises(FormatError, match="several .*populations.*population="):
        st.node_ids()
    with pytest.raises(FormatError, match="no spikes for this population"):
        st.get_times(1, population="nope")
    assert SpikeTrains.from_sonata(two_pops, population="v1").populations == ["v1"]
    assert SpikeTrains.load(two_pops, file_type="h5", populations=["lgn"]).node_ids().tolist() == [0, 4]


def test_to_dataframe_keywords(two_pops: Path) -> None:
    st = SpikeTrains.load(two_pops)
    plain = st.to_dataframe()
    assert list(plain.columns) == ["population", "node_ids", "timestamps"] and len(plain) == 7
    v1 = st.to_dataframe(populations="v1")
    assert v1["node_ids"].tolist() == [3, 1, 3, 2, 1]  # stored order
    by_time = st.to_dataframe(sort_order="by_time")
    assert by_time["timestamps"].tolist() == [1.0, 1.5, 2.0, 4.0, 5.0, 7.0, 9.5]  # populations mixed
    assert by_time["population"].astype(str).tolist() == ["v1", "lgn", "v1", "lgn", "v1", "v1", "v1"]
    by_id = st.to_dataframe(populations=["v1"], sort_order=sort_order.by_id, with_population_col=False)
    assert list(by_id.columns) == ["node_ids", "timestamps"]
    assert by_id.to_numpy().tolist() == [[1, 1.0], [1, 7.0], [2, 9.5], [3, 2.0], [3, 5.0]]
    some = st.to_dataframe(node_ids=[3], time_window=(0.0, 4.0))
    assert some["timestamps"].tolist() == [2.0]
    assert st.to_dataframe(sort_order="unknown")["node_ids"].tolist() == plain["node_ids"].tolist()
    with pytest.raises(FormatError, match="unknown spike sort order"):
        st.to_dataframe(sort_order="by_size")
    with pytest.raises(FormatError, match="time_window"):
        st.to_dataframe(time_window=5.0)


def test_spikes_iterator(two_pops: Path) -> None:
    st = SpikeTrains.load(two_pops)
    spikes = list(st.spikes(populations="v1", sort_order="by_time"))
    assert spikes == [(1.0, "v1", 1), (2.0, "v1", 3), (5.0, "v1", 3), (7.0, "v1", 1), (9.5, "v1", 2)]
    assert len(list(st.spikes())) == 7
    assert list(st.spikes(node_ids=[0], time_window=(0, 10))) == [(1.5, "lgn", 0)]


def test_write_with_bmtk_names_and_read_back(two_pops: Path, tmp_path: Path) -> None:
    st = SpikeTrains.load(two_pops)
    h5 = st.to_sonata(tmp_path / "out.h5", sort_order=sort_order.by_id)
    with h5py.File(h5) as f:
        assert f["spikes/v1/node_ids"][()].tolist() == [1, 1, 2, 3, 3]
        assert f["spikes/v1"].attrs["sorting"] == 1  # by_id
    csv = st.to_csv(tmp_path / "out.csv")
    assert pd.read_csv(csv, sep=" ").columns.tolist() == ["timestamps", "population", "node_ids"]
    back = SpikeTrains.from_csv(csv)
    assert back.is_equal(st) and SpikeTrains.from_sonata(h5).is_equal(st)
    with pytest.raises(FormatError, match="file exists"):
        st.to_sonata(h5)  # Cantata does not overwrite silently ...
    st.to_sonata(h5, mode="w", compression="gzip")  # ... BMTK's mode="w" replaces
    st.to_csv(csv, overwrite=True)
    with pytest.raises(FormatError, match="cannot append"):
        st.to_sonata(h5, mode="a")
    with pytest.raises(FormatError, match="unknown compression"):
        st.to_sonata(tmp_path / "c.h5", compression="zstd")
    with pytest.raises(FormatError, match="file content does not match file_type"):
        SpikeTrains.from_csv(h5)
    with pytest.raises(FormatError, match="file content does not match file_type"):
        SpikeTrains.from_sonata(csv)
    with pytest.raises(FormatError, match="unknown spike file type"):
        SpikeTrains.load(h5, file_type="parquet")
    with pytest.raises(TypeError, match="units"):
        SpikeTrains.load(h5, units="s")


def test_is_equal_like_bmtk(two_pops: Path) -> None:
    st = SpikeTrains.load(two_pops)
    ids, times = st.population("v1")
    shifted = SpikeTrains.concat([st.select("lgn"), SpikeTrains.from_arrays(ids[::-1], times[::-1] + 1e-7, "v1")])
    assert st.is_equal(shifted)  # order does not matter; within err
    assert not st.is_equal(shifted, err=1e-9)
    assert st.is_equal(st.select("v1"), populations="v1")
    assert not st.is_equal(st.select("v1"))  # lgn missing
    assert not st.is_equal(st.select("v1"), populations=["lgn"])
    assert st.is_equal(st.select("v1", tstop=6.0), populations="v1", time_window=(0.0, 6.0))


def test_immutable_and_no_op_methods(two_pops: Path) -> None:
    st = SpikeTrains.load(two_pops)
    for name in ("add_spike", "add_spikes", "import_spikes", "merge"):
        with pytest.raises(NotImplementedError, match=f"SpikeTrains.{name} .*from_arrays.*concat"):
            getattr(st, name)(0, 1.0, population="v1")
    assert st.flush() is None and st.close() is None
    assert st.n_spikes == 7


def test_csv_without_population_and_legacy_h5(tmp_path: Path) -> None:
    csv = tmp_path / "plain.csv"
    csv.write_text("timestamps node_ids\n1.5 2\n0.5 7\n")
    st = SpikeTrains.from_csv(csv, default_population="v1", sep=" ")
    assert st.populations == ["v1"] and st.node_ids().tolist() == [2, 7] and st.time_range() == (0.5, 1.5)
    legacy = tmp_path / "legacy.h5"
    with h5py.File(legacy, "w") as h5:
        h5.create_dataset("spikes/gids", data=np.array([4, 4, 1], dtype=np.uint32))
        h5.create_dataset("spikes/timestamps", data=np.array([3.0, 1.0, 2.0]))
    old = SpikeTrains.load(legacy)
    assert old.get_times(4).tolist() == [3.0, 1.0] and old.node_ids().tolist() == [1, 4]
    empty = SpikeTrains()
    assert empty.time_range() == (np.inf, -np.inf) and empty.to_dataframe(sort_order="by_time").empty


def test_the_300_intfire_reference_output(testdata: Path) -> None:
    path = testdata / INTFIRE_SPIKES
    st = SpikeTrains.load(path)
    ids, times = st.population("v1")
    assert st.populations == ["v1"] and len(st) == 4322
    assert st.node_ids().tolist() == np.unique(ids).tolist()
    lo, hi = st.time_range()
    assert (lo, hi) == (times.min(), times.max())
    node = int(ids[0])
    assert st.get_times(node).tolist() == times[ids == node].tolist()
    frame = st.to_dataframe(sort_order="by_id", with_population_col=False)
    assert (np.diff(frame["node_ids"].to_numpy()) >= 0).all() and len(frame) == 4322
    counts = st.to_dataframe().groupby("node_ids")["timestamps"].count()  # BMTK's analyzer idiom
    assert counts.sum() == 4322
