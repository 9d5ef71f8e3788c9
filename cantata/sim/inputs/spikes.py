"""``input_type: spikes``: spike trains from a SONATA h5 (current or legacy layout), csv or NWB
file drive the virtual nodes of a node set."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cantata.errors import SimulationError
from cantata.sim.modules import InputModule
from cantata.sim.registry import input_module
from cantata.sim.runlog import log
from cantata.sonata.spikes import SpikeTrains

if TYPE_CHECKING:
    from cantata.sim.simulation import Simulation

__all__ = ["SpikesInput"]

_NWB_SELECTIONS = ("units", "trials", "time_window", "relative_to_trial", "node_id_column")


@input_module("spikes", ["sonata", "h5", "hdf5", "csv", "nwb", "file", "spikes"])
class SpikesInput(InputModule):
    """Keys: ``input_file`` (h5, csv or nwb), ``node_set`` (the virtual nodes to drive).

    NWB files also take the selections of :func:`cantata.sonata.spikes_nwb.read_nwb_spikes`:
    ``units``, ``trials`` (or BMTK's ``trial``), ``time_window`` (ms), ``relative_to_trial``,
    ``node_id_column``.

    ``use_parrot_neurons: true`` (BMTK PointNet's key) delivers every spike one ``dt`` later,
    as BMTK's relay through parrot neurons connected with delay ``dt`` does, so that such
    configs give BMTK's spike times.

    Spikes of a file population go to the node-set population of the same name; a file with a
    single population (legacy files, csv without a population column) feeds whichever
    population the node set selects. Spikes of nodes outside the node set are ignored; spikes
    of node ids the population does not have are an error.
    """

    def __init__(self, name: str, params: dict[str, Any], *, config_file: Any = None) -> None:
        super().__init__(name, params, config_file=config_file)
        path = self.param("input_file", expected="the path of a spike file")
        if not isinstance(path, str) or not path:
            raise self.error("must be a file path", "input_file", found=path)
        self.path = Path(path)

    def setup(self, sim: Simulation) -> None:
        assert sim.engine is not None
        if not self.path.is_file():
            raise SimulationError("spike file not found", file=self.path, key=self.where("input_file"))
        trains = self._read()
        node_set = self.params.get("node_set")
        if node_set is None:
            targets = {p: sim.circuit.nodes[p].node_ids() for p in trains.populations if p in sim.circuit.nodes}
            if not targets:
                raise self.error("no node_set given and no population of the spike file is in the network",
                                 "node_set", expected=f"a node set, or spike populations among "
                                 f"{sorted(sim.circuit.nodes)}", found=trains.populations)
        else:
            targets = sim.resolve_nodes(node_set, where=self.where("node_set"))
            if not targets:
                log.warning("%s: the node set selects no nodes; these spikes drive nothing", self.where())
        for population, selected in targets.items():
            ids, times = trains.population(self._source_population(trains, population))
            known = sim.circuit.nodes[population].node_ids()
            missing = ~np.isin(ids, known)
            if missing.any():
                bad = np.unique(ids[missing])
                raise SimulationError(
                    f"spikes for node ids that population {population!r} does not have", file=self.path,
                    key=self.where("input_file"),
                    expected=f"ids of the {known.size} nodes of {population!r}",
                    found=f"{bad.size} unknown ids, e.g. {bad[:10].tolist()}",
                )
            bad_time = ~np.isfinite(times) | (times < 0)
            if bad_time.any():
                raise SimulationError("spike times must be finite and not negative", file=self.path,
                                      key=self.where("input_file"), found=times[bad_time][:5].tolist())
            keep = np.isin(ids, selected)
            times = times[keep] + self._relay_delay(sim)
            sim.engine.add_spike_trains(population, ids[keep], times, where=self.where())

    def _relay_delay(self, sim: Simulation) -> float:
        flag = self.params.get("use_parrot_neurons", False)
        if not isinstance(flag, bool):
            raise self.error("must be true or false", "use_parrot_neurons", found=flag)
        return sim.settings.dt if flag else 0.0

    def _read(self) -> SpikeTrains:
        selections = {key: self.params[key] for key in _NWB_SELECTIONS if key in self.params}
        if "trial" in self.params:  # BMTK's key for one trial ("trial_0")
            if "trials" in self.params:
                raise self.error("give trial or trials, not both", "trial",
                                 found=(self.params["trial"], self.params["trials"]))
            selections["trials"] = self.params["trial"]
        if not selections:
            return SpikeTrains.read(self.path)
        from cantata.sonata.spikes_nwb import read_nwb_spikes  # pynwb only when asked for

        return read_nwb_spikes(self.path, **selections)

    def _source_population(self, trains: SpikeTrains, population: str) -> str:
        if population in trains.populations:
            return population
        if len(trains.populations) == 1:
            return trains.populations[0]
        raise SimulationError(
            f"the spike file has no population {population!r} (selected by the node set)", file=self.path,
            key=self.where("node_set"), expected=f"one of {trains.populations}", found=population,
        )
