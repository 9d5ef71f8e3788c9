"""Spike tables and firing rates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cantata.analysis.sources import Source, as_config, load_spikes, pick_source
from cantata.sonata.spikes import SpikeTrains


def spike_table(source: Source | None = None, *, config_file: Source | None = None,
                spikes_file: Source | None = None, population: str | None = None) -> pd.DataFrame:
    """Spikes as a dataframe with columns ``population``, ``node_ids``, ``timestamps`` (ms).

    ``config_file=``/``spikes_file=`` are BMTK's names for ``source``; ``population`` keeps one."""
    spikes = load_spikes(pick_source(source, config_file=config_file, spikes_file=spikes_file))
    return (spikes if population is None else spikes.select(population=population)).to_dataframe()


def to_dataframe(config_file: Source | None = None, spikes_file: Source | None = None,
                 population: str | None = None) -> pd.DataFrame:
    """BMTK's ``bmtk.analyzer.spike_trains.to_dataframe``: :func:`spike_table` by keywords."""
    return spike_table(config_file=config_file, spikes_file=spikes_file, population=population)


def _window(source: Source, spikes: SpikeTrains, tstart: float | None, tstop: float | None) -> tuple[float, float]:
    config = None if isinstance(source, SpikeTrains) else as_config(source)
    run = config.run if config is not None else {}
    if tstart is None:
        tstart = float(run.get("tstart", 0.0))
    if tstop is None:
        if "tstop" in run:
            tstop = float(run["tstop"])
        else:
            df = spikes.to_dataframe()
            tstop = float(df["timestamps"].max()) if len(df) else tstart
    return tstart, tstop


def node_rates(
    source: Source,
    *,
    populations: dict[str, np.ndarray] | None = None,
    tstart: float | None = None,
    tstop: float | None = None,
) -> pd.DataFrame:
    """Firing rate (Hz) of every node: columns population, node_id, spike_count, rate.

    Nodes listed in ``populations`` (population -> node ids) appear with a zero rate when
    silent; otherwise only nodes that spiked are listed.
    """
    return _node_rates(source, load_spikes(source), populations, tstart, tstop)


def _node_rates(source: Source, spikes: SpikeTrains, populations: dict[str, np.ndarray] | None,
                tstart: float | None, tstop: float | None) -> pd.DataFrame:
    t0, t1 = _window(source, spikes, tstart, tstop)
    duration_s = max(t1 - t0, 1e-12) / 1000.0
    frames = []
    names = sorted(set(spikes.populations) | set(populations or {}))
    for name in names:
        ids, times = spikes.population(name) if name in spikes.populations else (np.zeros(0, np.int64), np.zeros(0))
        ids = ids[(times >= t0) & (times < t1)]
        uniq, counts = np.unique(ids, return_counts=True)
        if populations and name in populations:
            all_ids = np.unique(np.asarray(populations[name], dtype=np.int64))
            full = np.zeros(all_ids.size, dtype=np.int64)
            if all_ids.size:
                pos = np.searchsorted(all_ids, uniq)
                inside = (pos < all_ids.size) & (all_ids[np.minimum(pos, all_ids.size - 1)] == uniq)
                full[pos[inside]] = counts[inside]
            uniq, counts = all_ids, full
        frames.append(pd.DataFrame({"population": name, "node_id": uniq, "spike_count": counts}))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        {"population": [], "node_id": np.zeros(0, np.int64), "spike_count": np.zeros(0, np.int64)}
    )
    table["rate"] = table["spike_count"] / duration_s
    return table


def population_rates(source: Source, *, group_by: str | None = None, circuit=None, tstart: float | None = None,
                     tstop: float | None = None) -> pd.DataFrame:
    """Mean and spread of firing rates per population (or per ``group_by`` node attribute).

    Silent nodes count with rate 0 when ``circuit`` is given (all its simulated nodes are
    included; virtual nodes, which only relay input spikes, are left out, unless their
    population has only virtual nodes and spikes in ``source``, as FilterNet's units do).
    """
    spikes = load_spikes(source)
    populations = None
    if circuit is not None:
        populations = {}
        for name, pop in circuit.nodes.items():
            ids = _simulated_ids(pop)
            populations[name] = pop.node_ids() if ids.size == 0 and name in spikes.populations else ids
    table = _node_rates(source, spikes, populations, tstart, tstop)
    if populations is not None:  # populations of virtual nodes only: nothing simulated to report
        relays = [name for name, ids in populations.items() if ids.size == 0]
        table = table[~table["population"].isin(relays)].reset_index(drop=True)
    keys = ["population"]
    if group_by is not None:
        if circuit is None:
            raise ValueError("group_by needs the circuit to look up node attributes")
        values = np.empty(len(table), dtype=object)
        for name, rows in table.groupby("population").indices.items():
            pop = circuit.nodes[name]
            ids = table["node_id"].to_numpy()[rows]
            values[rows] = pop.get_attribute(group_by, ids) if pop.has_attribute(group_by) else None
        table[group_by] = values
        keys.append(group_by)
    grouped = table.groupby(keys, dropna=False)["rate"]
    return grouped.agg(n_nodes="size", mean_rate="mean", std_rate="std").reset_index()


def _simulated_ids(population) -> np.ndarray:
    """Ids of the nodes a simulation computes (all but ``model_type == "virtual"``)."""
    ids = population.node_ids()
    if not population.has_attribute("model_type"):
        return ids
    return ids[population.get_attribute("model_type") != "virtual"]
