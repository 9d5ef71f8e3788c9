"""Analysis of simulation results: spike tables, firing rates and plots."""

from cantata.analysis.plots import plot_raster, plot_rates, plot_traces
from cantata.analysis.rate_files import read_rates
from cantata.analysis.rates import node_rates, population_rates, spike_table, to_dataframe
from cantata.analysis.sources import load_spikes

__all__ = [
    "load_spikes",
    "node_rates",
    "plot_raster",
    "plot_rates",
    "plot_traces",
    "population_rates",
    "read_rates",
    "spike_table",
    "to_dataframe",
]
