import numpy as np
import pytest

from cantata.analysis import node_rates, plot_raster, plot_rates, plot_traces, population_rates, spike_table
from cantata.cli import main
from cantata.errors import CantataError
from cantata.sonata.spikes import SpikeTrains


@pytest.fixture()
def intfire_spikes(testdata):
    return testdata / "sonata-examples" / "300_intfire" / "output" / "spikes.h5"


def _png_pixels(path):
    import matplotlib.image as mpimg

    return mpimg.imread(path)


def test_spike_table_from_real_file(intfire_spikes):
    df = spike_table(intfire_spikes)
    assert list(df.columns) == ["population", "node_ids", "timestamps"]
    assert len(df) == 4322


def test_node_rates_counts_silent_nodes_when_populations_given():
    st = SpikeTrains.from_arrays(np.array([0, 0, 2]), np.array([10.0, 20.0, 30.0]), population="p")
    table = node_rates(st, populations={"p": np.arange(4)}, tstart=0.0, tstop=1000.0)
    assert table["node_id"].tolist() == [0, 1, 2, 3]
    assert table["rate"].tolist() == [2.0, 0.0, 1.0, 0.0]


def test_population_rates_from_spikes_only():
    st = SpikeTrains.from_arrays(np.array([0, 1, 1, 1]), np.array([1.0, 2.0, 3.0, 4.0]), population="p")
    table = population_rates(st, tstart=0.0, tstop=1000.0)
    row = table.iloc[0]
    assert row["population"] == "p" and row["n_nodes"] == 2 and row["mean_rate"] == 2.0


def test_raster_renders_every_spike(intfire_spikes, tmp_path):
    fig = plot_raster(intfire_spikes, tmp_path / "raster.png")
    ax = fig.axes[0]
    plotted = sum(len(c.get_offsets()) for c in ax.collections)
    assert plotted == 4322
    pixels = _png_pixels(tmp_path / "raster.png")
    assert pixels.std() > 0.01  # not blank


def test_rates_plot_has_one_line_per_population(intfire_spikes, tmp_path):
    fig = plot_rates(intfire_spikes, tmp_path / "rates.png", bin_ms=50.0)
    lines = fig.axes[0].get_lines()
    assert len(lines) == len(SpikeTrains.read(intfire_spikes).populations)
    assert all(np.all(line.get_ydata() >= 0) for line in lines)


def test_traces_plot_of_real_membrane_report(testdata, tmp_path):
    report = testdata / "sonata-examples" / "5_cells_iclamp" / "output" / "membrane_potential.h5"
    fig = plot_traces(report, tmp_path / "v.png", node_ids=[0, 1])
    lines = fig.axes[0].get_lines()
    assert len(lines) == 2
    v = lines[0].get_ydata()
    assert -100 < v.min() < -60 and v.max() > 0  # a spiking cell's voltage in mV


def test_bad_bin_width(intfire_spikes):
    with pytest.raises(CantataError, match="bin_ms"):
        plot_rates(intfire_spikes, bin_ms=0)


def test_cli_plot_and_report(intfire_spikes, tmp_path, capsys):
    out = tmp_path / "r.png"
    assert main(["plot", "raster", str(intfire_spikes), "-o", str(out)]) == 0
    assert out.stat().st_size > 1000
    assert main(["report", str(intfire_spikes)]) == 0
    text = capsys.readouterr().out
    assert "4322 spikes" in text


def test_cli_missing_spike_file_is_one_line_error(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nope.h5")]) == 1
    err = capsys.readouterr().err
    assert "nope.h5" in err and "Traceback" not in err


def test_cli_report_group_by_needs_a_config(intfire_spikes, capsys):
    assert main(["report", str(intfire_spikes), "--group-by", "pop_name"]) == 1
    err = capsys.readouterr().err
    assert "--group-by" in err and "config" in err and "Traceback" not in err


def test_cli_raster_color_by_needs_a_config(intfire_spikes, tmp_path, capsys):
    assert main(["plot", "raster", str(intfire_spikes), "--color-by", "pop_name", "-o", str(tmp_path / "r.png")]) == 1
    err = capsys.readouterr().err
    assert "--color-by" in err and "config" in err and "Traceback" not in err
    assert not (tmp_path / "r.png").exists()


def test_population_rates_leave_out_virtual_nodes(testdata):
    from cantata.sonata.circuit import Circuit

    config = testdata / "sonata-examples" / "300_intfire" / "config.json"
    spikes = testdata / "sonata-examples" / "300_intfire" / "output" / "spikes.h5"
    with Circuit.from_config(config) as circuit:
        table = population_rates(spikes, circuit=circuit, tstart=0.0, tstop=3000.0)
    assert table["population"].tolist() == ["v1"]
    assert table["n_nodes"].tolist() == [300]



def test_node_rates_with_an_empty_id_list_and_spikes():
    st = SpikeTrains.from_arrays(np.array([0, 1]), np.array([10.0, 20.0]), population="p")
    table = node_rates(st, populations={"p": np.zeros(0, np.int64)}, tstart=0.0, tstop=1000.0)
    assert len(table) == 0  # was an IndexError


def test_population_rates_count_spiking_virtual_populations(tmp_path):
    """FilterNet's units are virtual nodes that spike: they are reported, input-only ones are not."""
    from cantata.build import NetworkBuilder
    from cantata.sonata.circuit import Circuit

    lgn = NetworkBuilder("lgn")
    lgn.add_nodes(N=3, model_type="virtual", pop_name="tON")
    lgn.save(tmp_path)
    relay = NetworkBuilder("relay")
    relay.add_nodes(N=2, model_type="virtual")
    relay.save(tmp_path)
    st = SpikeTrains.from_arrays(np.array([0, 0, 2]), np.array([10.0, 20.0, 30.0]), population="lgn")
    with Circuit.from_files(nodes=[(tmp_path / "lgn_nodes.h5", tmp_path / "lgn_node_types.csv"),
                                   (tmp_path / "relay_nodes.h5", tmp_path / "relay_node_types.csv")]) as circuit:
        table = population_rates(st, circuit=circuit, group_by="pop_name", tstart=0.0, tstop=1000.0)
    assert table["population"].tolist() == ["lgn"]
    assert table["n_nodes"].tolist() == [3]
    assert table["mean_rate"].tolist() == [1.0]


# -- rate files (PopNet, FilterNet) -------------------------------------------------------------

def test_read_rates_reads_every_engine_layout(tmp_path):
    from cantata.analysis import read_rates
    from cantata.sim.engines.filter.rates import write_rates_csv, write_rates_h5

    popnet = tmp_path / "firing_rates.csv"
    popnet.write_text("100 0.0 0.0\n100 0.001 2.5\n101 0.0 0.0\n101 0.001 4.0\n")
    table = read_rates(popnet)
    assert table["node_id"].tolist() == [100, 100, 101, 101] and (table["population"] == "").all()
    assert table["time"].tolist() == [0.0, 1.0, 0.0, 1.0] and table["rate"].tolist() == [0.0, 2.5, 0.0, 4.0]

    times = np.array([0.0, 0.5, 1.0])
    rates = {"lgn": (np.array([3, 1]), np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))}
    for path in (write_rates_csv(tmp_path / "rates.csv", times, rates), write_rates_h5(tmp_path / "rates.h5", times, rates)):
        table = read_rates(path).sort_values(["node_id", "time"], ignore_index=True)
        assert table["population"].tolist() == ["lgn"] * 6
        assert table["node_id"].tolist() == [1, 1, 1, 3, 3, 3]
        assert table["time"].tolist() == [0.0, 500.0, 1000.0] * 2
        assert table["rate"].tolist() == [2.0, 4.0, 6.0, 1.0, 3.0, 5.0]
        fig = plot_rates(path, tmp_path / f"{path.suffix[1:]}.png")
        assert [line.get_label() for line in fig.axes[0].lines] == ["lgn (mean of 2)"]
        assert fig.axes[0].lines[0].get_ydata().tolist() == [1.5, 3.5, 5.5]

    fig = plot_rates(popnet, tmp_path / "popnet.png")
    assert [line.get_label() for line in fig.axes[0].lines] == ["node_type_id 100", "node_type_id 101"]
    assert (tmp_path / "popnet.png").stat().st_size > 5000


def test_read_rates_bad_files_are_named(tmp_path):
    from cantata.analysis import read_rates
    from cantata.errors import FormatError

    with pytest.raises(FormatError, match="rates file not found"):
        read_rates(tmp_path / "missing.csv")
    bad = tmp_path / "four.csv"
    bad.write_text("1 2 3 4\n")
    with pytest.raises(FormatError, match=r"four\.csv: columns: not a rates file \(expected 3 columns"):
        read_rates(bad)
    words = tmp_path / "words.csv"
    words.write_text("a b c\n")
    with pytest.raises(FormatError, match="not a rates file"):
        read_rates(words)
