"""Build the single-cell example, simulate it on NEURON, print what happened and plot it.

One biophysical cell receives 10 virtual thalamic cells firing at 10 Hz, 5 synapses per
connection, weighted by the custom weight function of ``tuning_weights.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import tuning_weights  # noqa: F401  (registers the weight function "gaussian_tuning")
from build_network import DURATION, HERE, N_INPUTS, build

from cantata.analysis import node_rates, plot_raster
from cantata.sim import Simulation
from cantata.sonata._io import atomic_path
from cantata.sonata.circuit import Circuit
from cantata.sonata.reports import FrameReport
from cantata.sonata.spikes import SpikeTrains

WINDOW = (2.0, 12.0)  # ms after an input spike in which a cell spike counts as "followed"


def input_table(here: Path, inputs: SpikeTrains, cell_times: np.ndarray) -> pd.DataFrame:
    """Per thalamic cell: tuning angle, NetCon weight of its synapses (as placed by NEURON),
    number of synapses, input spikes and the fraction of them followed by a cell spike."""
    with Circuit.from_config(here / "config.json") as circuit:
        angles = circuit.nodes["thalamus"].get_attribute("tuning_angle")
    with Circuit.from_files(edges=[here / "output" / "synapses.h5"]) as placed:
        syn = placed.edges["thalamus_to_cell"]
        sources = syn.source_node_ids()
        weights = syn.get_attribute("syn_weight")
    ids, times = inputs.population("thalamus")
    # for every input spike: is there a cell spike in [t + WINDOW[0], t + WINDOW[1]]?
    first = np.searchsorted(cell_times, times + WINDOW[0])
    last = np.searchsorted(cell_times, times + WINDOW[1], side="right")
    followed = last > first
    n = angles.size
    n_spikes = np.bincount(ids, minlength=n)
    return pd.DataFrame({
        "input": np.arange(n),
        "tuning_angle": angles,
        "weight_nS": np.round(1e3 * np.bincount(sources, weights, minlength=n)
                              / np.maximum(np.bincount(sources, minlength=n), 1), 3),
        "synapses": np.bincount(sources, minlength=n),
        "spikes": n_spikes,
        "followed": np.round(np.bincount(ids, followed, minlength=n) / np.maximum(n_spikes, 1), 2),
    })


def plot_traces_v_cai(here: Path, cell_times: np.ndarray, path: Path) -> None:
    """Soma v (top) and cai (bottom) of the cell, with its spike times marked."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 5.5), dpi=100)
    FigureCanvasAgg(fig)
    ax_v, ax_ca = fig.subplots(2, 1, sharex=True)
    for ax, name, label, scale in ((ax_v, "v_soma", "soma v (mV)", 1.0), (ax_ca, "cai_soma", "soma cai (uM)", 1e3)):
        pop = FrameReport.open(here / "output" / f"{name}.h5")["cell"]
        ax.plot(pop.times, pop.data()[:, 0] * scale, lw=0.6, color="tab:blue" if name == "v_soma" else "tab:red")
        ax.set_ylabel(label)
    ax_v.plot(cell_times, np.full(cell_times.size, 55.0), "|", color="k", markersize=6)
    ax_v.set_title(f"single cell driven by {N_INPUTS} thalamic inputs: {cell_times.size} spikes (ticks)")
    ax_ca.set_xlabel("time (ms)")
    fig.tight_layout()
    save_png(fig, path)


def save_png(fig, path: Path) -> None:
    """Write a figure as PNG; the file appears only once complete."""
    with atomic_path(path, overwrite=True) as tmp:
        fig.savefig(tmp, format="png")


def main(here: Path = HERE) -> None:
    build(here)
    config = here / "config.json"
    result = Simulation.from_config(config, progress=False).run()
    out = here / "output"

    cell_ids, cell_times = result.spikes.population("cell")
    cell_times = np.sort(cell_times)
    inputs = SpikeTrains.read(here / "inputs" / "thalamus_spikes.h5")
    seconds = DURATION / 1000.0
    rates = node_rates(result.spikes, tstart=0.0, tstop=DURATION)
    rate = float(rates.loc[rates["population"] == "cell", "rate"].sum())
    table = input_table(here, inputs, cell_times)
    print(f"input: {inputs.n_spikes} spikes from {N_INPUTS} thalamic cells "
          f"({inputs.n_spikes / N_INPUTS / seconds:.1f} Hz each), {table['synapses'].sum()} synapses")
    print(f"cell: {cell_ids.size} spikes in {seconds:g} s = {rate:.1f} Hz")
    print(table.to_string(index=False))

    both = SpikeTrains.concat([inputs, result.spikes])
    fig = plot_raster(both, title=f"{N_INPUTS} thalamic inputs (ids 0-{N_INPUTS - 1}) and the cell "
                                  f"(id {N_INPUTS}): {cell_ids.size} cell spikes")
    fig.axes[0].set_ylim(-0.7, N_INPUTS + 2.5)  # room for the legend above the cell's row
    save_png(fig, out / "raster.png")
    plot_traces_v_cai(here, cell_times, out / "traces.png")
    print(f"outputs: {out / 'spikes.h5'}, {out / 'raster.png'}, {out / 'traces.png'}")


if __name__ == "__main__":
    main()
