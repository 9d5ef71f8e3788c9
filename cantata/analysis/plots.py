"""Raster, population-rate and trace plots, rendered with matplotlib's Agg canvas.

Functions return a ``matplotlib.figure.Figure`` (no pyplot global state, no display needed) and
write a PNG when ``path`` (BMTK: ``save_as``) is given. BMTK's keywords ``config_file``,
``spikes_file``, ``report_name``, ``report_path`` and ``group_by`` name the same inputs;
``show=True`` displays the figure in a Jupyter/IPython session (elsewhere it does nothing).
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import numpy as np

from cantata.analysis.rate_files import is_rates_file, rates_output, read_rates
from cantata.analysis.sources import Source, as_config, load_spikes, pick_source, report_file
from cantata.errors import CantataError
from cantata.sonata.reports import FrameReport
from cantata.sonata.spikes import SpikeTrains


def _figure(width: float = 8.0, height: float = 4.5):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: str | PathLike[str] | None, save_as: str | PathLike[str] | None = None, show: bool = False):
    if path is not None and save_as is not None:
        raise CantataError("give path or save_as, not both", key="save_as", found=(str(path), str(save_as)))
    target = path if path is not None else save_as
    if target:
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(target)
    if show:
        _show(fig)
    return fig


def _show(fig) -> None:
    """Display ``fig`` when running under IPython (Jupyter); no-op otherwise."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return
    if get_ipython() is not None:
        display(fig)


def plot_raster(
    source: Source | None = None,
    path: str | PathLike[str] | None = None,
    *,
    color_by: str | None = None,
    circuit=None,
    title: str | None = None,
    population: str | None = None,
    config_file: Source | None = None,
    spikes_file: Source | None = None,
    group_by: str | None = None,
    save_as: str | PathLike[str] | None = None,
    show: bool = False,
):
    """Spike raster: one dot per spike, node id against time, coloured by population or by a
    node attribute (``color_by``, BMTK's ``group_by``; uses ``circuit``, or the network of a
    config source). Populations are stacked on the y axis; ``population`` keeps one."""
    source = pick_source(source, config_file=config_file, spikes_file=spikes_file)
    if group_by is not None and color_by is not None and group_by != color_by:
        raise CantataError("color_by and group_by differ", key="group_by", found=(color_by, group_by))
    color_by = color_by or group_by
    spikes = load_spikes(source)
    if population is not None:
        spikes = spikes.select(population=population)
    if color_by is not None and circuit is None and not isinstance(source, SpikeTrains):
        config = as_config(source)
        if config is not None:
            from cantata.sonata.circuit import Circuit

            circuit = Circuit.from_config(config)
    fig = _figure()
    ax = fig.add_subplot(1, 1, 1)
    offset = 0
    for name in spikes.populations:
        ids, times = spikes.population(name)
        if color_by is not None and circuit is not None and circuit.nodes[name].has_attribute(color_by):
            labels = circuit.nodes[name].get_attribute(color_by, ids)
            for label in sorted(set(labels.tolist()), key=str):
                mask = labels == label
                ax.scatter(times[mask], ids[mask] + offset, s=2, marker="|", label=f"{name}: {label}")
        else:
            ax.scatter(times, ids + offset, s=2, marker="|", label=name)
        offset += int(ids.max()) + 1 if ids.size else 0
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("node id (populations stacked)" if len(spikes.populations) > 1 else "node id")
    ax.set_title(title or f"{spikes.n_spikes} spikes")
    if spikes.populations:
        ax.legend(loc="upper right", fontsize="small", markerscale=4)
    return _save(fig, path, save_as, show)


def plot_rates(
    source: Source | None = None,
    path: str | PathLike[str] | None = None,
    *,
    bin_ms: float = 10.0,
    tstart: float | None = None,
    tstop: float | None = None,
    population: str | None = None,
    config_file: Source | None = None,
    spikes_file: Source | None = None,
    save_as: str | PathLike[str] | None = None,
    show: bool = False,
):
    """Population rate histogram: mean rate per node (Hz) in bins of ``bin_ms``, one line per
    population (normalised by the number of nodes that spiked at least once).

    A rates file, or a config whose ``output`` has PopNet's ``rates_file``, is plotted as it is
    (no binning): one line per PopNet population (labelled by ``pop_name`` when the config's
    node types have it), or the mean over the nodes of each FilterNet population."""
    if bin_ms <= 0:
        raise CantataError("bin width must be positive", key="bin_ms", found=bin_ms)
    source = pick_source(source, config_file=config_file, spikes_file=spikes_file)
    rates_path, labels = _rates_source(source)
    if rates_path is not None:
        return _plot_rate_file(rates_path, labels, path, save_as, show, population=population)
    spikes = load_spikes(source)
    if population is not None:
        spikes = spikes.select(population=population)
    config = None if not isinstance(source, (str, PathLike)) else as_config(source)
    run = config.run if config is not None else {}
    fig = _figure()
    ax = fig.add_subplot(1, 1, 1)
    for name in spikes.populations:
        ids, times = spikes.population(name)
        t0 = run.get("tstart", 0.0) if tstart is None else tstart
        t1 = run.get("tstop", float(times.max()) if times.size else t0 + bin_ms) if tstop is None else tstop
        edges = np.arange(t0, t1 + bin_ms, bin_ms)
        counts, _ = np.histogram(times, bins=edges)
        n_nodes = max(np.unique(ids).size, 1)
        ax.plot(edges[:-1] + bin_ms / 2, counts / n_nodes / (bin_ms / 1000.0), label=name)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("rate (Hz per node)")
    ax.set_title(f"population rates, {bin_ms:g} ms bins")
    if spikes.populations:
        ax.legend(loc="upper right", fontsize="small")
    return _save(fig, path, save_as, show)


def _rates_source(source: Source) -> tuple[Path | None, dict[int, str]]:
    """The rates file to plot instead of spikes (PopNet config or a rates file), and PopNet
    labels (node_type_id -> pop_name) from the config's node types."""
    if isinstance(source, SpikeTrains):
        return None, {}
    config = as_config(source)
    if config is None:
        return (Path(source), {}) if is_rates_file(source) else (None, {})
    value = config.output.get("rates_file")
    if not isinstance(value, str) or rates_output(config) is None:
        return None, {}
    from cantata.sonata.circuit import Circuit

    labels: dict[int, str] = {}
    for pop in Circuit.from_config(config).nodes.values():
        types = pop.types
        if "pop_name" in types.columns:
            labels.update(zip(types["node_type_id"].astype(int), types["pop_name"].astype(str)))
    return config.output_path(value), labels


def _plot_rate_file(rates_path: Path, labels: dict[int, str], path, save_as, show, *, population: str | None):
    table = read_rates(rates_path)
    if population is not None:
        table = table[table["population"] == population]
    fig = _figure()
    ax = fig.add_subplot(1, 1, 1)
    popnet = bool(len(table)) and bool((table["population"] == "").all())
    if popnet:
        for key, rows in table.groupby("node_id", sort=False):
            name = labels.get(int(key))
            ax.plot(rows["time"], rows["rate"], label=f"{name} ({key})" if name else f"node_type_id {key}")
    else:
        for name, rows in table.groupby("population", sort=False):
            mean = rows.groupby("time", sort=True)["rate"].mean()
            ax.plot(mean.index, mean.to_numpy(), label=f"{name} (mean of {rows['node_id'].nunique()})")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("rate (Hz)")
    ax.set_title(f"firing rates from {rates_path.name}")
    if len(table):
        ax.legend(loc="upper right", fontsize="small")
    return _save(fig, path, save_as, show)


def plot_traces(
    source: str | PathLike[str] | None = None,
    path: str | PathLike[str] | None = None,
    *,
    report: str | None = None,
    node_ids: int | list[int] | None = None,
    population: str | None = None,
    max_traces: int = 10,
    config_file: str | PathLike[str] | None = None,
    report_path: str | PathLike[str] | None = None,
    report_name: str | None = None,
    save_as: str | PathLike[str] | None = None,
    show: bool = False,
):
    """Traces of a frame report (e.g. membrane voltage): one line per node's first column.

    ``source`` (BMTK: ``config_file``) is a config, the report found by ``report`` (BMTK:
    ``report_name``) name; or a report h5 file (BMTK: ``report_path``)."""
    source = pick_source(source, config_file=config_file, report_path=report_path)
    if report is not None and report_name is not None and report != report_name:
        raise CantataError("report and report_name differ", key="report_name", found=(report, report_name))
    report = report or report_name
    if node_ids is not None and np.ndim(node_ids) == 0:
        node_ids = [int(node_ids)]
    config = as_config(source)
    file = report_file(config, report) if config is not None else Path(source)
    frames = FrameReport.open(file)
    names = [population] if population else frames.populations
    fig = _figure()
    ax = fig.add_subplot(1, 1, 1)
    units = variable = ""
    for name in names:
        pop = frames[name]
        ids = pop.node_ids if node_ids is None else np.asarray(node_ids)
        ids = ids[:max_traces]
        data = pop.data(node_ids=ids)
        starts = np.concatenate([[0], np.cumsum([pop.columns(i).stop - pop.columns(i).start for i in ids])])[:-1]
        for node, col in zip(ids, starts):
            ax.plot(pop.times, data[:, col], lw=0.8, label=f"{name} {int(node)}")
        units, variable = pop.units, pop.variable
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(f"{variable} ({units})" if units else variable)
    ax.legend(loc="upper right", fontsize="small")
    return _save(fig, path, save_as, show)
