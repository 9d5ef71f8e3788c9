"""Behaviour of the format layer's fast paths (not their speed): block-by-block layout scans,
int64 views of uint64 columns, the read-only type-id cache, and the spike order/read checks.

Scans run block by block; ``small_blocks`` shrinks the blocks so a few rows span many blocks,
a short last block and a mismatch just past a block boundary.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from cantata.errors import FormatError
from cantata.sonata import h5columns, spikes
from cantata.sonata.circuit import EdgePopulation, NodePopulation
from cantata.sonata.h5columns import _distinct, _is_identity
from cantata.sonata.spikes import SpikeTrains, _in_order


@pytest.fixture()
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(h5columns, "_BLOCK_ROWS", 4)
    monkeypatch.setattr(spikes, "_ORDER_BLOCK", 3)


def _edges(path: Path, n: int = 10, *, group_id=None, group_index=None, groups=(0,),
           id_dtype=np.uint64, chunks: int | None = None) -> Path:
    """An edge file: n edges, ``w`` = 10 * row in every group, the given group columns."""
    with h5py.File(path, "w") as h5:
        pop = h5.create_group("edges/e")
        for name, values in (("source_node_id", np.arange(n) % 3), ("target_node_id", np.arange(n) // 2)):
            pop.create_dataset(name, data=values.astype(id_dtype)).attrs["node_population"] = "n"
        pop.create_dataset("edge_type_id", data=np.full(n, 7, dtype=np.int64))
        for name, values in (("edge_group_id", group_id), ("edge_group_index", group_index)):
            if values is not None:
                kwargs = {"chunks": (chunks,), "compression": "gzip"} if chunks else {}
                pop.create_dataset(name, data=values, **kwargs)
        for g in groups:
            pop.create_dataset(f"{g}/w", data=np.arange(n, dtype=np.float64) * 10 + g)
    return path


# ------------------------------------------------------------------------ group layouts
@pytest.mark.parametrize("gidx_dtype", [np.uint64, np.int64, np.uint32, ">u8"])
def test_identity_layout_reads_the_column(tmp_path, small_blocks, gidx_dtype):
    n = 11  # blocks of 4: 4 + 4 + 3
    path = _edges(tmp_path / "e.h5", n, group_id=np.zeros(n, np.uint32),
                  group_index=np.arange(n).astype(gidx_dtype))
    with EdgePopulation(path, "e") as pop:
        assert pop.get_attribute("w").tolist() == (np.arange(n) * 10.0).tolist()
        assert pop._layout().single == 0 and pop._layout().group_ids is None
        assert pop.get_attribute("w", [10, 3]).tolist() == [100.0, 30.0]


@pytest.mark.parametrize("bad_row", [0, 3, 4, 10])
def test_permuted_index_of_one_group_is_honoured(tmp_path, small_blocks, bad_row):
    n = 11
    index = np.arange(n)
    other = (bad_row + 1) % n
    index[[bad_row, other]] = index[[other, bad_row]]  # swap two rows, including across blocks
    path = _edges(tmp_path / "e.h5", n, group_id=np.zeros(n, np.uint32), group_index=index.astype(np.uint64))
    with EdgePopulation(path, "e") as pop:
        assert pop.get_attribute("w").tolist() == (index * 10.0).tolist()
        assert pop._layout().group_ids is not None


def test_no_group_id_column(tmp_path, small_blocks):
    n = 9
    index = np.arange(n)[::-1].copy()
    path = _edges(tmp_path / "e.h5", n, group_index=index.astype(np.uint64))
    with EdgePopulation(path, "e") as pop:
        assert pop.get_attribute("w").tolist() == (index * 10.0).tolist()
    path = _edges(tmp_path / "f.h5", n, group_index=np.arange(n, dtype=np.uint64))
    with EdgePopulation(path, "e") as pop:
        assert pop._layout().single == 0


def test_constant_group_id_naming_no_group(tmp_path, small_blocks):
    n = 9
    path = _edges(tmp_path / "e.h5", n, group_id=np.full(n, 7, np.uint32), group_index=np.arange(n, dtype=np.uint64))
    with EdgePopulation(path, "e") as pop, pytest.raises(FormatError, match="refers to no group") as err:
        pop.get_attribute("w")
    assert err.value.found == [7] and err.value.key == "/edges/e/edge_group_id"


def test_one_stray_group_id_is_found(tmp_path, small_blocks):
    n = 9
    gid = np.zeros(n, np.uint32)
    gid[5] = 3
    path = _edges(tmp_path / "e.h5", n, group_id=gid, group_index=np.arange(n, dtype=np.uint64))
    with EdgePopulation(path, "e") as pop, pytest.raises(FormatError, match="refers to no group") as err:
        pop.get_attribute("w")
    assert err.value.found == [3]


def test_two_groups_keep_the_file_dtype(tmp_path, small_blocks):
    gid = np.array([0, 1, 1, 0, 1, 0, 0, 1, 1], np.uint32)
    index = np.zeros(gid.size, np.uint64)
    for g in (0, 1):
        index[gid == g] = np.arange((gid == g).sum())
    path = _edges(tmp_path / "e.h5", gid.size, group_id=gid, group_index=index, groups=(0, 1))
    with EdgePopulation(path, "e") as pop:
        expected = index * 10.0 + gid
        assert pop.get_attribute("w").tolist() == expected.tolist()
        assert pop.get_attribute("w", [8, 0]).tolist() == [expected[8], expected[0]]
        assert pop._layout().group_ids.dtype == np.uint32


def test_chunked_compressed_group_columns(tmp_path, small_blocks):
    n = 23
    path = _edges(tmp_path / "e.h5", n, group_id=np.zeros(n, np.uint32),
                  group_index=np.arange(n, dtype=np.uint64), chunks=3)
    with EdgePopulation(path, "e") as pop:
        assert pop._layout().single == 0
        assert pop.get_attribute("w")[-1] == (n - 1) * 10.0


def test_group_column_of_wrong_length(tmp_path, small_blocks):
    path = _edges(tmp_path / "e.h5", 9, group_id=np.zeros(8, np.uint32), group_index=np.arange(9, dtype=np.uint64))
    with EdgePopulation(path, "e") as pop, pytest.raises(FormatError, match="length differs"):
        pop.get_attribute("w")
    path = _edges(tmp_path / "f.h5", 9, group_id=np.zeros(9, np.uint32), group_index=np.arange(8, dtype=np.uint64))
    with EdgePopulation(path, "e") as pop, pytest.raises(FormatError, match="length differs"):
        pop.get_attribute("w")


def test_empty_population(tmp_path):
    path = _edges(tmp_path / "e.h5", 0, group_id=np.zeros(0, np.uint32), group_index=np.zeros(0, np.uint64))
    with EdgePopulation(path, "e") as pop:
        assert pop.get_attribute("w").shape == (0,)
        assert pop.edge_type_ids().shape == (0,)


# ----------------------------------------------------------------- id columns, type ids
@pytest.mark.parametrize("id_dtype", [np.uint64, np.int64, np.uint32, ">u8"])
def test_id_columns_come_as_int64(tmp_path, id_dtype):
    path = _edges(tmp_path / "e.h5", 6, id_dtype=id_dtype)
    with EdgePopulation(path, "e") as pop:
        source = pop.source_node_ids()
        assert source.dtype == np.dtype(np.int64) and source.tolist() == [0, 1, 2, 0, 1, 2]
        assert pop.target_node_ids([5, 0]).tolist() == [2, 0]
        source[0] = 99  # a fresh array each time: the caller may change it
        assert pop.source_node_ids()[0] == 0


def test_type_ids_are_a_read_only_view(tmp_path):
    path = _edges(tmp_path / "e.h5", 6)
    with EdgePopulation(path, "e") as pop:
        types = pop.edge_type_ids()
        assert types.tolist() == [7] * 6 and not types.flags.writeable
        with pytest.raises(ValueError):
            types[0] = 1
        with pytest.raises(ValueError):
            types.flags.writeable = True  # the cache underneath stays read-only too
        assert not pop.get_attribute("edge_type_id").flags.writeable
        picked = pop.edge_type_ids([1, 2])
        picked[0] = 1  # a selection is a new array
        assert pop.edge_type_ids().tolist() == [7] * 6
        assert pop.missing_type_ids().tolist() == [7]


def test_node_type_ids_read_only(tmp_path):
    with h5py.File(tmp_path / "n.h5", "w") as h5:
        h5.create_dataset("nodes/n/node_type_id", data=np.array([3, 4, 3], np.uint64))
    with NodePopulation(tmp_path / "n.h5", "n") as pop:
        types = pop.node_type_ids()
        assert types.dtype == np.int64 and types.tolist() == [3, 4, 3]
        assert not types.flags.writeable
        frame = pop.to_dataframe()  # frames hold their own, writable copies
        frame.loc[0, "node_type_id"] = 9
        assert pop.node_type_ids()[0] == 3


# ------------------------------------------------------------------ in-memory helpers
@pytest.mark.parametrize("values, expected", [
    (np.arange(10), True), (np.arange(10, dtype=np.uint64), True), (np.zeros(0, np.int64), True),
    (np.r_[np.arange(5), 9, np.arange(6, 10)], False), (np.arange(1, 11), False),
    (np.array([0, 2**63 + 1], dtype=np.uint64), False), (np.arange(10.0), True),
])
def test_is_identity(monkeypatch, values, expected):
    monkeypatch.setattr(h5columns, "_BLOCK_ROWS", 3)
    assert _is_identity(values) is expected


@pytest.mark.parametrize("values", [
    np.array([3, 1, 3, 0], np.uint32), np.array([5, 5, 5], np.int64), np.array([2**40, 1], np.int64),
    np.array([-2, 7, -2], np.int16), np.array([0, 2**63 + 5], np.uint64), np.zeros(0, np.int64),
])
def test_distinct_matches_unique(values):
    got = _distinct(values)
    assert got.tolist() == np.unique(values).tolist() and got.dtype == values.dtype


# --------------------------------------------------------------------------------- spikes
def _reference_in_order(ids: np.ndarray, times: np.ndarray, order: str) -> bool:
    keys = (ids, times) if order == "time" else (times, ids)  # lexsort: last key is primary
    return bool(np.array_equal(np.lexsort(keys), np.arange(ids.size)))


@pytest.mark.parametrize("order", ["time", "id"])
def test_in_order_matches_a_sort(small_blocks, order):
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(0, 12))
        ids = rng.integers(0, 3, n)
        times = rng.integers(0, 3, n) / 2.0
        trains = SpikeTrains.from_arrays(ids, times)
        assert _in_order(*trains.sorted(order, canonical=True).population("default"), order)
        got_ids, got_times = trains.sorted(order).population("default")
        if order == "time":  # SONATA by_time: times never decrease, ties kept when already so
            assert (np.diff(got_times) >= 0).all()
            if (np.diff(times) >= 0).all():
                assert got_ids.tolist() == ids.tolist()
            else:
                assert _in_order(got_ids, got_times, "time")
        else:
            assert _in_order(got_ids, got_times, "id")
        assert _in_order(ids, times, order) is _reference_in_order(ids, times, order)
        assert sorted(zip(got_ids.tolist(), got_times.tolist())) == sorted(zip(ids.tolist(), times.tolist()))


@pytest.mark.parametrize("times, rising", [
    ([0.0, 0.5, 0.5, 1.0, 2.0, 2.0, 3.0], True),
    ([0.0, 0.5, 0.4, 1.0, 2.0, 2.0, 3.0], False),  # falls inside a block
    ([0.0, 0.5, 0.6, 0.2, 2.0, 2.0, 3.0], False),  # falls across a block boundary (blocks of 3)
    ([], True), ([1.5], True),
])
def test_validation_pass_finds_rising_times(monkeypatch, times, rising):
    monkeypatch.setattr(spikes, "_SCAN_BLOCK", 3)
    times = np.array(times, dtype=np.float64)
    ids = np.arange(times.size)[::-1].copy()
    trains = SpikeTrains.from_arrays(ids, times, "p")
    assert ("p" in trains._ascending) is rising
    assert spikes._times_rise(times) is rising
    assert ("p" in trains.select(tstart=0.0)._ascending) is rising
    assert "p" in trains.sorted("time")._ascending and "p" not in trains.sorted("id")._ascending


@pytest.mark.parametrize("position", [0, 2, 3, 6])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_validation_pass_finds_bad_times_in_rising_and_other_columns(monkeypatch, position, bad):
    monkeypatch.setattr(spikes, "_SCAN_BLOCK", 3)
    for base in (np.arange(7) / 2.0, np.arange(7)[::-1] / 2.0):
        times = base.copy()
        times[position] = bad
        with pytest.raises(FormatError, match="not finite") as err:
            SpikeTrains.from_arrays(np.arange(7), times, "p")
        assert err.value.found == f"{bad} at position {position}"


def test_write_keeps_time_ordered_input_and_canonical_sorts_ties(tmp_path):
    ids, times = np.array([3, 1, 2, 0]), np.array([0.1, 0.1, 0.2, 0.2])
    trains = SpikeTrains.from_arrays(ids, times, "p")
    trains.write_h5(tmp_path / "kept.h5")
    trains.sorted("time", canonical=True).write_h5(tmp_path / "canonical.h5")
    with h5py.File(tmp_path / "kept.h5", "r") as h5:
        assert h5["spikes/p/node_ids"][()].tolist() == [3, 1, 2, 0]
    with h5py.File(tmp_path / "canonical.h5", "r") as h5:
        assert h5["spikes/p/node_ids"][()].tolist() == [1, 3, 0, 2]
        assert h5["spikes/p/timestamps"][()].tolist() == [0.1, 0.1, 0.2, 0.2]
    read = SpikeTrains.read(tmp_path / "kept.h5")
    assert "p" in read._ascending and read.population("p")[0].tolist() == [3, 1, 2, 0]


def test_write_keeps_sorted_input_and_sorts_the_rest(tmp_path, small_blocks):
    ids, times = np.array([2, 0, 1, 1, 3]), np.array([0.5, 0.1, 0.1, 0.3, 0.3])
    SpikeTrains.from_arrays(ids, times, "p").write_h5(tmp_path / "s.h5")
    with h5py.File(tmp_path / "s.h5", "r") as h5:
        group = h5["spikes/p"]
        assert group["node_ids"].dtype == np.uint64
        assert group["node_ids"][()].tolist() == [0, 1, 1, 3, 2]
        assert group["timestamps"][()].tolist() == [0.1, 0.1, 0.3, 0.3, 0.5]
    ordered = (np.array([0, 1, 1, 3, 2]), np.array([0.1, 0.1, 0.3, 0.3, 0.5]))
    assert spikes._sort(*ordered, "time")[0] is ordered[0]  # already in order: not copied


@pytest.mark.parametrize("id_dtype, time_dtype", [
    (np.uint64, np.float64), (np.int64, np.float64), (">u8", ">f8"), (np.uint32, np.float32),
])
def test_read_spikes_of_every_dtype(tmp_path, small_blocks, id_dtype, time_dtype):
    ids, times = np.arange(11) % 4, np.arange(11) / 4.0
    with h5py.File(tmp_path / "s.h5", "w") as h5:
        h5.create_dataset("spikes/p/node_ids", data=ids.astype(id_dtype))
        h5.create_dataset("spikes/p/timestamps", data=times.astype(time_dtype))
    read_ids, read_times = SpikeTrains.read(tmp_path / "s.h5").population("p")
    assert read_ids.dtype == np.int64 and read_ids.tolist() == ids.tolist()
    assert read_times.dtype == np.float64 and read_times.tolist() == times.tolist()


@pytest.mark.parametrize("position", [0, 5, 10])
def test_read_finds_bad_values_in_any_block(tmp_path, small_blocks, position):
    ids = np.arange(11, dtype=np.uint64)
    ids[position] = 2**63 + 2
    with h5py.File(tmp_path / "s.h5", "w") as h5:
        h5.create_dataset("spikes/p/node_ids", data=ids)
        h5.create_dataset("spikes/p/timestamps", data=np.zeros(11))
    with pytest.raises(FormatError, match="node id out of range") as err:
        SpikeTrains.read(tmp_path / "s.h5")
    assert err.value.found == f"{2**63 + 2} at position {position}"
    times = np.zeros(11)
    times[position] = np.nan
    with h5py.File(tmp_path / "t.h5", "w") as h5:
        h5.create_dataset("spikes/p/node_ids", data=np.arange(11, dtype=np.int64))
        h5.create_dataset("spikes/p/timestamps", data=times)
    with pytest.raises(FormatError, match="not finite") as err:
        SpikeTrains.read(tmp_path / "t.h5")
    assert err.value.found == f"nan at position {position}"


def test_uint64_ids_from_arrays(small_blocks):
    ids = np.array([4, 2**63 - 1], dtype=np.uint64)
    got, _ = SpikeTrains.from_arrays(ids, [0.0, 1.0], "p").population("p")
    assert got.dtype == np.int64 and got.tolist() == [4, 2**63 - 1]
    with pytest.raises(FormatError, match="node id out of range") as err:
        SpikeTrains.from_arrays(np.array([1, 2**63], dtype=np.uint64), [0.0, 1.0])
    assert err.value.found == f"{2**63} at position 1"
    with pytest.raises(FormatError, match="negative node id") as err:
        SpikeTrains.from_arrays(np.array([1, 2, -3]), [0.0, 1.0, 2.0])
    assert err.value.found == "-3 at position 2"


def test_nwb_like_hdf5_without_spikes_is_not_read_as_sonata(tmp_path):
    with h5py.File(tmp_path / "x.h5", "w") as h5:
        h5.create_group("acquisition")
    with pytest.raises(FormatError, match="NWB"):
        SpikeTrains.read(tmp_path / "x.h5")


@pytest.mark.parametrize("bad", [None, "id", "time", "both"])
def test_validation_with_the_ids_on_a_second_thread(monkeypatch, bad):
    monkeypatch.setattr(spikes, "_OVERLAP_SPIKES", 1)
    monkeypatch.setattr(spikes, "_SCAN_BLOCK", 3)
    ids, times = np.arange(10), np.arange(10) / 2.0
    if bad in ("id", "both"):
        ids[7] = -4
    if bad in ("time", "both"):
        times[4] = np.inf
    if bad is None:
        trains = SpikeTrains.from_arrays(ids, times, "p")
        assert "p" in trains._ascending and trains.population("p")[0].tolist() == ids.tolist()
        return
    with pytest.raises(FormatError, match="negative node id" if bad != "time" else "not finite") as err:
        SpikeTrains.from_arrays(ids, times, "p")
    assert err.value.found == ("-4 at position 7" if bad != "time" else "inf at position 4")
