"""Frame reports: reading BMTK and BBP files, streaming writer, partial-file policy, errors."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from cantata.errors import FormatError
from cantata.sonata.reports import FrameReport, FrameReportWriter, n_frames, partial_path

libsonata = pytest.importorskip("libsonata")

LIBSONATA_READABLE = [
    ("format/libsonata_tests_data/data/somas.h5", "All"),
    ("format/libsonata_tests_data/data/elements.h5", "All"),
    ("format/bluepysnap_tests_data/data/reporting/soma_report.h5", "default"),
    ("format/bluepysnap_tests_data/data/reporting/compartment_named.h5", "default2"),
    ("format/bbp_sonata_usecases/usecases/usecase1/reporting/compartment_report.h5", "nodeA"),
    ("format/bbp_sonata_usecases/usecases/usecase3/reporting/compartment_report.h5", "NodeB"),
    ("format/bbp_sonata_usecases/usecases/usecase4/reporting/soma_report.h5", "NodeA"),
]


def _compare_with_libsonata(path, population, node_ids, windows):
    ours = FrameReport.open(path)[population]
    theirs = libsonata.ElementReportReader(str(path))[population]
    for tstart, tstop in windows:
        kwargs = {} if tstart is None else {"tstart": tstart, "tstop": tstop}
        frame = theirs.get(node_ids=[int(i) for i in node_ids], **kwargs)
        data = ours.data(node_ids, tstart, tstop)
        nodes, elements = ours.column_labels(node_ids)
        np.testing.assert_array_equal(np.asarray(frame.data), data)
        np.testing.assert_array_equal(np.asarray(frame.ids), np.c_[nodes, elements])
        np.testing.assert_allclose(np.asarray(frame.times), ours.times[ours.time_slice(tstart, tstop)], atol=1e-9)


# -- reading real files ----------------------------------------------------------------------

@pytest.mark.parametrize("relpath, population", LIBSONATA_READABLE)
def test_bbp_files_agree_with_libsonata(testdata, relpath, population):
    report = FrameReport.open(testdata / relpath)
    pop = report[population]
    assert pop.units in ("mV", "mR")                  # bluepysnap's default2 says mR
    assert pop.times.size == pop.shape[0]
    ids = pop.node_ids[::-2][:4]                       # reversed, every other node
    _compare_with_libsonata(testdata / relpath, population, ids,
                            [(None, None), (0.25, 0.6), (pop.tstart + 3 * pop.dt, pop.tstart + 7.5 * pop.dt)])


@pytest.mark.parametrize("relpath", [
    "format/bbp_sonata_usecases/usecases/usecase2/reporting/compartment_report.h5",
    "format/bbp_sonata_usecases/usecases/usecase3/reporting/soma_report.h5",
    "format/bluepysnap_tests_data/data/reporting/compartment_named.h5",
])
def test_reads_every_population(testdata, relpath):
    with FrameReport.open(testdata / relpath) as report:
        for name in report:
            pop = report[name]
            with h5py.File(testdata / relpath) as h5:
                np.testing.assert_array_equal(pop.data(), h5[f"report/{name}/data"][()])
            for node in pop.node_ids:
                cols = pop.columns(node)
                np.testing.assert_array_equal(pop.data([node]), pop.data()[:, cols])


def test_bmtk_membrane_report(testdata):
    path = testdata / "sonata-examples/5_cells_iclamp/output/membrane_potential.h5"
    with FrameReport.open(path) as report:
        assert report.populations == ["biophysical"]
        pop = report["biophysical"]
        assert pop.variable == "v" and pop.units == ""
        assert pop.shape == (40000, 5) and pop.dtype == np.float64
        assert (pop.tstart, pop.tstop, pop.dt) == (0.0, 4000.0, 0.1)
        np.testing.assert_allclose(pop.times[[0, 1, -1]], [0.0, 0.1, 3999.9])
        np.testing.assert_array_equal(pop.node_ids, np.arange(5))
        np.testing.assert_array_equal(pop.element_pos, 0.5)
        with h5py.File(path) as h5:
            raw = h5["report/biophysical/data"]
            np.testing.assert_array_equal(pop.data([3, 1], 100.0, 100.5), raw[1000:1006][:, [3, 1]])
        assert pop.data(tstart=3999.95).shape == (0, 5)
        assert pop.data([2], tstop=0.0).shape == (1, 1)


def test_bmtk_calcium_report(testdata):
    with FrameReport.open(testdata / "sonata-examples/5_cells_iclamp/output/calcium_concentration.h5") as report:
        pop = report["biophysical"]
        assert pop.variable == "cai"
        df = pop.to_dataframe([0, 4], 0.0, 1.0)
        assert df.shape == (11, 2) and df.index.name == "time"
        assert list(df.columns.get_level_values("node_ids")) == [0, 4]
        assert np.allclose(df.to_numpy(), 1e-4, rtol=0.1)


def test_n_entry_index_pointers(testdata):
    # bluepysnap's soma_named.h5 follows the spec text: N pointers, no closing one
    pop = FrameReport.open(testdata / "format/bluepysnap_tests_data/data/reporting/soma_named.h5")["default"]
    np.testing.assert_array_equal(pop.index_pointers, [0, 1, 2, 3])
    np.testing.assert_array_equal(pop.data([2]), pop.data()[:, 2:3])


def test_placeholder_population_errors(testdata):
    report = FrameReport.open(testdata / "format/libsonata_tests_data/data/somas.h5")
    assert report.populations == ["All", "soma1", "soma2"]
    assert report["soma1"].dtype == np.float64
    with pytest.raises(FormatError, match="lacks data or mapping"):
        report["soma2"]


# -- writing ---------------------------------------------------------------------------------

def _soma_values(n_steps, ids):
    return (np.arange(n_steps)[:, None] * 0.5 + ids[None, :]).astype(np.float32)


def test_soma_report_round_trip_with_libsonata(tmp_path):
    ids = np.array([5, 3, 9, 0])
    path = tmp_path / "v.h5"
    values = _soma_values(100, ids)
    with FrameReportWriter(path, "cortex", ids, tstart=0.0, tstop=10.0, dt=0.1, variable="v", units="mV") as writer:
        assert writer.n_steps == 100
        for start in range(0, 100, 30):                              # uneven blocks
            writer.write_block(values[start:start + 30])
        assert not path.exists() and partial_path(path).exists()
    assert path.exists() and not partial_path(path).exists()

    pop = FrameReport.open(path)["cortex"]
    assert (pop.variable, pop.units, pop.time_units) == ("v", "mV", "ms")
    np.testing.assert_array_equal(pop.data(), values)
    np.testing.assert_array_equal(pop.data([9, 5], 2.0, 2.2), values[20:23][:, [2, 0]])

    soma = libsonata.SomaReportReader(str(path))["cortex"]
    assert soma.times == (0.0, 10.0, 0.1) and soma.data_units == "mV" and soma.time_units == "ms"
    frame = soma.get(node_ids=[9, 5], tstart=2.0, tstop=2.2)
    np.testing.assert_array_equal(np.asarray(frame.data), values[20:23][:, [2, 0]])
    with h5py.File(path) as h5:
        mapping = h5["report/cortex/mapping"]
        assert mapping["index_pointer"].id == mapping["index_pointers"].id            # hard link
        assert h5["report/cortex/data"].attrs["variable"] == "v"
        assert h5["report/cortex/data"].chunks is not None
        assert list(h5.attrs["version"]) == [0, 1] and h5.attrs["magic"] == 0x0A7A
        assert mapping["node_ids"].dtype == np.uint64 and mapping["index_pointers"].dtype == np.uint64


def test_compartment_report_two_populations(tmp_path):
    path = tmp_path / "compartments.h5"
    a_ids, a_ptr = np.array([0, 1, 2]), np.array([0, 3, 4, 7])
    a_elem = np.array([0, 1, 2, 0, 0, 1, 1], dtype=np.uint32)
    a_pos = np.array([0.5, 0.25, 0.75, 0.5, 0.5, 0.1, 0.9])
    b_ids = np.array([10, 11])
    a_data = np.random.default_rng(0).normal(size=(20, 7))
    b_data = np.random.default_rng(1).normal(size=(20, 2))
    with FrameReportWriter(path, "A", a_ids, a_elem, a_pos, a_ptr, tstart=5.0, tstop=7.0, dt=0.1,
                           variable="v", units="mV", dtype=np.float32) as writer:
        writer.add_population("B", b_ids)
        writer.write_block(a_data[:10], "A")
        writer.write_block(b_data, "B")
        writer.write_block(a_data[10:], "A")
        with pytest.raises(FormatError, match="name the population"):
            writer.write_block(a_data[:1])

    report = FrameReport.open(path)
    assert report.populations == ["A", "B"]
    a = report["A"]
    np.testing.assert_allclose(a.data(), a_data.astype(np.float32))
    np.testing.assert_allclose(a.element_pos, a_pos.astype(np.float32))
    assert a.columns(2) == slice(4, 7)
    nodes, elements = a.column_labels([2, 0])
    np.testing.assert_array_equal(nodes, [2, 2, 2, 0, 0, 0])
    np.testing.assert_array_equal(elements, [0, 1, 1, 0, 1, 2])
    np.testing.assert_allclose(report["B"].data([11]), b_data[:, 1:].astype(np.float32))
    _compare_with_libsonata(path, "A", [2, 0], [(None, None), (5.3, 6.0)])
    _compare_with_libsonata(path, "B", [11], [(5.0, 5.05)])


def test_frame_count():
    assert n_frames(0.0, 1.0, 0.1) == 10
    assert n_frames(0.0, 1.05, 0.1) == 11
    assert n_frames(0.0, 4000.0, 0.1) == 40000
    assert n_frames(0.01, 1499.0, 0.01) == 149899
    assert n_frames(2.0, 2.0, 0.1) == 0


def test_single_frame_and_float64(tmp_path):
    path = tmp_path / "r.h5"
    with FrameReportWriter(path, "p", [0, 1], tstart=0, tstop=0.3, dt=0.1, variable="cai", units="mM",
                           dtype=np.float64) as writer:
        for k in range(3):
            writer.write_block(np.array([k, -k], dtype=float))        # one frame at a time
    pop = FrameReport.open(path)["p"]
    assert pop.dtype == np.float64
    np.testing.assert_array_equal(pop.data(), [[0, 0], [1, -1], [2, -2]])


# -- partial-file policy ------------------------------------------------------------------

def test_crash_keeps_partial_file(tmp_path):
    path = tmp_path / "v.h5"
    with pytest.raises(RuntimeError, match="engine died"):
        with FrameReportWriter(path, "p", [1, 2], tstart=0, tstop=1.0, dt=0.1, variable="v", units="mV") as writer:
            writer.write_block(np.ones((4, 2)))
            raise RuntimeError("engine died")
    assert not path.exists()
    partial = tmp_path / "v.partial.h5"
    assert partial.exists()
    pop = FrameReport.open(partial)["p"]
    assert pop.rows_written == 4
    np.testing.assert_array_equal(pop.data(tstop=0.3), 1.0)
    assert np.isnan(pop.data(tstart=0.4)).all()


def test_incomplete_close_keeps_partial_and_raises(tmp_path):
    path = tmp_path / "v.h5"
    writer = FrameReportWriter(path, "p", [1], tstart=0, tstop=1.0, dt=0.1, variable="v", units="mV")
    writer.write_block(np.zeros((9, 1)))
    with pytest.raises(FormatError, match="incomplete") as err:
        writer.close()
    assert "9/10" in str(err.value)
    assert not path.exists() and partial_path(path).exists()


def test_stale_partial_is_replaced_and_overwrite_refused(tmp_path):
    path = tmp_path / "v.h5"
    partial_path(path).write_bytes(b"stale")
    with FrameReportWriter(path, "p", [1], tstart=0, tstop=0.1, dt=0.1, variable="v", units="mV") as writer:
        writer.write_block([[1.0]])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.h5"]
    with pytest.raises(FormatError, match="exists"):
        FrameReportWriter(path, "p", [1], tstart=0, tstop=0.1, dt=0.1, variable="v", units="mV")
    with FrameReportWriter(path, "q", [1], tstart=0, tstop=0.1, dt=0.1, variable="v", units="mV",
                           overwrite=True) as writer:
        writer.write_block([[2.0]])
    assert FrameReport.open(path).populations == ["q"]


def test_bad_setup_leaves_no_file(tmp_path):
    path = tmp_path / "v.h5"
    with pytest.raises(FormatError, match="index_pointers"):
        FrameReportWriter(path, "p", [1, 2], element_ids=[0, 1, 2], tstart=0, tstop=1, dt=0.1,
                          variable="v", units="mV")
    assert list(tmp_path.iterdir()) == []


# -- bad input ------------------------------------------------------------------------------

def test_writer_rejects_bad_blocks_and_layouts(tmp_path):
    with FrameReportWriter(tmp_path / "v.h5", "p", [1, 2], tstart=0, tstop=0.2, dt=0.1,
                           variable="v", units="mV") as writer:
        with pytest.raises(FormatError, match="wrong shape"):
            writer.write_block(np.zeros((1, 3)))
        with pytest.raises(FormatError, match="more frames"):
            writer.write_block(np.zeros((3, 2)))
        with pytest.raises(FormatError, match="already in this report"):
            writer.add_population("p", [3])
        with pytest.raises(FormatError, match="rise from 0"):
            writer.add_population("q", [1, 2], element_ids=[0, 0, 0], index_pointers=[0, 2, 1])
        with pytest.raises(FormatError, match="one entry per node"):
            writer.add_population("q", [1, 2], element_ids=[0, 0, 0], index_pointers=[0, 3])
        with pytest.raises(FormatError, match="negative"):
            writer.add_population("q", [-1])
        with pytest.raises(FormatError, match="not in this report"):
            writer.write_block(np.zeros((1, 2)), "nope")
        writer.write_block(np.zeros((2, 2)))
    with pytest.raises(FormatError, match="time window"):
        FrameReportWriter(tmp_path / "w.h5", "p", [1], tstart=0, tstop=1, dt=0, variable="v", units="mV")
    with pytest.raises(FormatError, match="floating point"):
        FrameReportWriter(tmp_path / "w.h5", "p", [1], tstart=0, tstop=1, dt=0.1, variable="v", units="mV",
                          dtype=np.int32)


def test_reader_errors(tmp_path, testdata):
    with pytest.raises(FormatError, match="not an HDF5 file") as err:
        FrameReport.open(testdata / "format/bluepysnap_tests_data/data/reporting/lfp_report.h5")
    assert "empty file" in str(err.value)
    with pytest.raises(FormatError, match="no report group"):
        FrameReport.open(testdata / "format/libsonata_tests_data/data/spikes.h5")
    with pytest.raises(FormatError, match="not found"):
        FrameReport.open(tmp_path / "none.h5")
    pop = FrameReport.open(testdata / "format/libsonata_tests_data/data/elements.h5")["All"]
    with pytest.raises(FormatError, match="node ids not in report") as err:
        pop.data([1, 999])
    assert "999" in str(err.value)
    with pytest.raises(FormatError, match="population not in report"):
        FrameReport.open(testdata / "format/libsonata_tests_data/data/elements.h5")["nope"]


def test_reader_rejects_broken_mapping(tmp_path):
    path = tmp_path / "r.h5"
    with h5py.File(path, "w") as h5:
        g = h5.create_group("report/p")
        g.create_dataset("data", data=np.zeros((3, 2)))
        g.create_dataset("mapping/node_ids", data=[0, 1])
        g.create_dataset("mapping/index_pointers", data=[0, 1, 2])

    def open_population():
        with FrameReport.open(path) as report:
            return report["p"]

    with pytest.raises(FormatError, match="time triple") as err:
        open_population()
    assert "/report/p/mapping/time" in str(err.value)
    with h5py.File(path, "a") as h5:
        h5["report/p/mapping/time"] = [0.0, 0.3, 0.1]
        del h5["report/p/mapping/index_pointers"]
    with pytest.raises(FormatError, match="index pointers"):
        open_population()
    with h5py.File(path, "a") as h5:
        h5["report/p/mapping/index_pointers"] = [0, 1, 5]
    with pytest.raises(FormatError, match="rise from 0"):
        open_population()


def test_sparse_column_selection_on_wide_report(tmp_path):
    path = tmp_path / "wide.h5"
    n = 3000
    ptr = np.arange(0, 3 * n + 1, 3)
    rng = np.random.default_rng(2)
    values = rng.normal(size=(12, 3 * n)).astype(np.float32)
    with FrameReportWriter(path, "p", np.arange(n), np.tile([0, 1, 2], n), None, ptr,
                           tstart=0, tstop=1.2, dt=0.1, variable="v", units="mV") as writer:
        writer.write_block(values[:5])
        writer.write_block(values[5:])
    pop = FrameReport.open(path)["p"]
    pick = np.array([2999, 7, 1500, 8, 7])                  # sparse, unsorted, repeated
    cols = np.concatenate([np.arange(3 * i, 3 * i + 3) for i in pick])
    np.testing.assert_array_equal(pop.data(pick, 0.3, 0.5), values[3:6][:, cols])
    dense = np.arange(100, 2900)
    np.testing.assert_array_equal(pop.data(dense), values[:, 300:8700])
