"""Raw reads of contiguous HDF5 datasets (cantata.sonata.h5raw): taken only where the bytes
are one plain run in the file, and giving exactly what h5py reads; every other storage goes
through HDF5."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from cantata.errors import FormatError
from cantata.sonata import h5columns
from cantata.sonata.h5columns import _dataset_blocks
from cantata.sonata.h5raw import raw_extent
from cantata.sonata.spikes import SpikeTrains

VALUES = np.arange(1000, dtype=np.float64) * 0.5 - 3.0


def _write(path: Path, *, userblock: int = 0, **dataset_options) -> Path:
    with h5py.File(path, "w", userblock_size=userblock or None) as h5:
        h5.create_dataset("x", data=VALUES.astype(dataset_options.pop("dtype", np.float64)), **dataset_options)
    return path


def _blocks(path: Path, dtype=np.float64, **open_options) -> tuple[np.ndarray, bool]:
    with h5py.File(path, "r", **open_options) as h5:
        ds = h5["x"]
        raw = raw_extent(ds, np.dtype(dtype), ds.shape[0]) is not None
        out = np.empty(ds.shape[0], dtype=dtype)
        for _ in _dataset_blocks(ds, ds.shape[0], np.dtype(dtype), path, out=out):
            pass
    return out, raw


@pytest.fixture(autouse=True)
def _small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(h5columns, "_BLOCK_ROWS", 64)  # 1000 rows: 15 full blocks and a short one


def test_contiguous_native_dataset_is_read_raw(tmp_path):
    values, raw = _blocks(_write(tmp_path / "a.h5"))
    assert raw and values.tolist() == VALUES.tolist()


@pytest.mark.parametrize("case", ["chunked", "gzip", "big_endian", "other_dtype", "userblock", "compact"])
def test_other_storage_goes_through_hdf5(tmp_path, case):
    options = {
        "chunked": {"chunks": (100,)},
        "gzip": {"chunks": (100,), "compression": "gzip"},
        "big_endian": {"dtype": ">f8"},
        "other_dtype": {"dtype": np.float32},
        "userblock": {"userblock": 512},
        "compact": {},
    }[case]
    path = tmp_path / f"{case}.h5"
    if case == "compact":
        with h5py.File(path, "w") as h5:
            space = h5py.h5s.create_simple((100,))
            plist = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
            plist.set_layout(h5py.h5d.COMPACT)
            dsid = h5py.h5d.create(h5.id, b"x", h5py.h5t.NATIVE_DOUBLE, space, dcpl=plist)
            dsid.write(h5py.h5s.ALL, h5py.h5s.ALL, VALUES[:100].copy())
        expected = VALUES[:100]
    else:
        _write(path, **options)
        expected = VALUES.astype(options.get("dtype", np.float64)).astype(np.float64)
    values, raw = _blocks(path)
    assert not raw
    assert values.tolist() == expected.tolist()


def test_in_memory_driver_goes_through_hdf5(tmp_path):
    values, raw = _blocks(_write(tmp_path / "a.h5"), driver="core")
    assert not raw and values.tolist() == VALUES.tolist()


def test_dataset_without_storage_goes_through_hdf5(tmp_path):
    with h5py.File(tmp_path / "a.h5", "w") as h5:
        h5.create_dataset("x", shape=(1000,), dtype=np.float64, fillvalue=2.5)
    values, raw = _blocks(tmp_path / "a.h5")
    assert not raw and set(values.tolist()) == {2.5}


def test_spike_file_read_raw_matches_h5py(tmp_path):
    rng = np.random.default_rng(5)
    ids, times = rng.integers(0, 50, 999), np.sort(rng.random(999) * 100)
    SpikeTrains.from_arrays(ids, times, "p").write_h5(tmp_path / "s.h5")
    with h5py.File(tmp_path / "s.h5", "r") as h5:
        ds = h5["spikes/p/node_ids"]
        assert raw_extent(ds, np.dtype(np.uint64), ds.shape[0]) is not None
        want_ids, want_times = ds[()], h5["spikes/p/timestamps"][()]
    got_ids, got_times = SpikeTrains.read(tmp_path / "s.h5").population("p")
    assert got_ids.tolist() == want_ids.tolist() and got_times.tolist() == want_times.tolist()


@pytest.mark.parametrize("bad", [None, "id", "time"])
def test_spike_checks_beside_the_reading(tmp_path, monkeypatch, bad):
    """With blocks of _OVERLAP_ROWS the checks run in a worker thread beside the reading: same
    values, same errors, and no deadlock with h5py's lock (several populations in one file)."""
    monkeypatch.setattr(h5columns, "_OVERLAP_ROWS", 100)
    ids, times = np.arange(999, dtype=np.uint64) % 7, np.arange(999) / 10.0
    if bad == "id":
        ids[500] = 2**63 + 1
    elif bad == "time":
        times[500] = np.nan
    with h5py.File(tmp_path / "s.h5", "w") as h5:
        for name in ("a", "b", "c"):
            h5.create_dataset(f"spikes/{name}/node_ids", data=ids)
            h5.create_dataset(f"spikes/{name}/timestamps", data=times)
    if bad is None:
        trains = SpikeTrains.read(tmp_path / "s.h5")
        assert trains.populations == ["a", "b", "c"]
        got_ids, got_times = trains.population("c")
        assert got_ids.tolist() == ids.tolist() and got_times.tolist() == times.tolist()
        assert trains._ascending == {"a", "b", "c"}
    else:
        with pytest.raises(FormatError, match="out of range" if bad == "id" else "not finite") as err:
            SpikeTrains.read(tmp_path / "s.h5")
        assert err.value.found.endswith("at position 500")
