"""Raster, population-rate and trace plots, rendered with matplotlib's Agg canvas.

Functions return a ``matplotlib.figure.Figure`` (no pyplot global state, no display needed) and
write a PNG when ``path`` is given.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import numpy as np

from cantata.analysis.sources import Source, as_config, load_spikes, report_file
from cantata.errors import CantataError
from cantata.sonata.reports import FrameReport


def _figure(width: float = 8.0, height: float = 4.5):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: str | PathLike[str] | None):
    if path is not None:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(target)
    return fig


def plot_raster(
    source: Source,
    path: str | PathLike[str] | None = None,
    *,
    color_by: str | None = None,
    circuit=None,
    title: str | None = None,
):
    """Spike raster: one dot per spike, node id against time, coloured by population or by a
    node attribute (``color_by``, needs ``circuit``). Populations are stacked on the y axis."""
    spikes = load_spikes(source)
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
    return _save(fig, path)


def plot_rates(
    source: Source,
    path: str | PathLike[str] | None = None,
    *,
    bin_ms: float = 10.0,
    tstart: float | None = None,
    tstop: float | None = None,
):
    """Population rate histogram: mean rate per node (Hz) in bins of ``bin_ms``, one line per
    population (normalised by the number of nodes that spiked at least once)."""
    if bin_ms <= 0:
        raise CantataError("bin width must be positive", key="bin_ms", found=bin_ms)
    spikes = load_spikes(source)
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
    return _save(fig, path)


def plot_traces(
    source: str | PathLike[str],
    path: str | PathLike[str] | None = None,
    *,
    report: str | None = None,
    node_ids: list[int] | None = None,
    population: str | None = None,
    max_traces: int = 10,
):
    """Traces of a frame report (e.g. membrane voltage): one line per node's first column.

    ``source`` is a config (the report is found by ``report`` name) or a report h5 file."""
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
    return _save(fig, path)
