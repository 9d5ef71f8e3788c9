"""Spike recorder and multimeter probes, read out and emptied block by block."""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType

import numpy as np

__all__ = ["MultimeterProbe", "NestIdMap", "SpikeRecording", "units_of"]

_UNITS = {"V_m": "mV", "V_th": "mV", "threshold": "mV", "threshold_spike": "mV", "threshold_voltage": "mV",
          "w": "pA", "I": "pA", "ASCurrents_sum": "pA", "g_ex": "nS", "g_in": "nS"}


def units_of(variable: str) -> str:
    """Units of a NEST recordable (NEST's conventions); empty when not known."""
    if variable in _UNITS:
        return _UNITS[variable]
    if variable.startswith(("I_", "I_syn")):
        return "pA"
    if variable.startswith(("g_", "g")) and len(variable) <= 6:
        return "nS"
    if variable.startswith(("V_", "E_")):
        return "mV"
    return ""


class NestIdMap:
    """NEST node id -> (population, node id), as arrays indexed by NEST id."""

    def __init__(self, populations: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> None:
        self.names = list(populations)
        size = 1 + max((int(nest.max()) for nest, _ in populations.values() if nest.size), default=0)
        self.population = np.full(size, -1, dtype=np.int32)
        self.node = np.full(size, -1, dtype=np.int64)
        for index, (nest_ids, node_ids) in enumerate(populations.values()):
            self.population[nest_ids] = index
            self.node[nest_ids] = node_ids

    def split(self, senders: np.ndarray, values: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Group events by population: name -> (node ids, values)."""
        senders = senders.astype(np.int64, copy=False)
        pops = self.population[senders]
        out = {}
        for index in np.unique(pops):
            if index < 0:
                continue
            mask = pops == index
            out[self.names[index]] = (self.node[senders[mask]], values[mask])
        return out


class SpikeRecording:
    """One ``spike_recorder`` on every recorded node; events are emptied after each read."""

    def __init__(self, nest: ModuleType, nest_ids: np.ndarray, id_map: NestIdMap, tstop: float) -> None:
        self.nest = nest
        self.id_map = id_map
        self.tstop = tstop
        self.device = nest.Create("spike_recorder")
        if nest_ids.size:
            nest.Connect(nest.NodeCollection(np.unique(nest_ids).tolist()), self.device)

    def collect(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        events = self.device.get("events")
        senders = np.asarray(events["senders"], dtype=np.int64)
        times = np.asarray(events["times"], dtype=np.float64)
        self.device.set(n_events=0)
        keep = times <= self.tstop + 1e-9  # the run may go a little past tstop to flush recorders
        return self.id_map.split(senders[keep], times[keep])


class MultimeterProbe:
    """A ``multimeter`` recording one variable of some nodes; frames come out in time order."""

    def __init__(self, nest: ModuleType, variable: str, nodes: Mapping[str, np.ndarray],
                 nest_ids: Mapping[str, np.ndarray], *, start: float, stop: float, interval: float, dt: float) -> None:
        self.nest = nest
        self.variable = variable
        self.units = units_of(variable)
        self.nodes = dict(nodes)
        self.interval = interval
        # NEST samples at multiples of the interval with start < t <= stop
        first_k = int(np.floor(start / interval + 1e-9)) + 1
        last_k = int(np.floor(stop / interval + 1e-9))
        self.first = first_k * interval
        self.n_frames = max(0, last_k - first_k + 1)
        all_ids = np.concatenate([nest_ids[p] for p in self.nodes]) if self.nodes else np.zeros(0, np.int64)
        self.n_columns = all_ids.size
        self.column_of = np.full(int(all_ids.max()) + 1 if all_ids.size else 1, -1, dtype=np.int64)
        self.column_of[all_ids] = np.arange(all_ids.size)
        offsets = np.cumsum([0, *(len(nest_ids[p]) for p in self.nodes)])
        self.slices = {p: slice(int(offsets[i]), int(offsets[i + 1])) for i, p in enumerate(self.nodes)}
        self.device = nest.Create("multimeter", params={
            "record_from": [variable], "interval": interval, "start": first_k * interval - interval,
            "stop": last_k * interval,
        })
        nest.Connect(self.device, nest.NodeCollection(np.unique(all_ids).tolist()))
        self.next_frame = 0
        self._pending: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def times(self) -> tuple[float, float, float]:
        return self.first, self.first + self.n_frames * self.interval, self.interval

    def layout(self, population: str) -> dict[str, np.ndarray]:
        return {}

    def fetch(self) -> dict[str, np.ndarray]:
        """Frames completed since the previous call, per population: ``[n_frames, n_nodes]``."""
        events = self.device.get("events")
        self.device.set(n_events=0)
        frame = np.rint((np.asarray(events["times"], dtype=np.float64) - self.first) / self.interval).astype(np.int64)
        column = self.column_of[np.asarray(events["senders"], dtype=np.int64)]
        value = np.asarray(events[self.variable], dtype=np.float64)
        if self._pending is not None:
            frame = np.concatenate([self._pending[0], frame])
            column = np.concatenate([self._pending[1], column])
            value = np.concatenate([self._pending[2], value])
        rel = frame - self.next_frame
        if rel.size == 0:
            return {p: np.zeros((0, s.stop - s.start)) for p, s in self.slices.items()}
        counts = np.bincount(rel, minlength=1)
        incomplete = np.flatnonzero(counts != self.n_columns)
        n_done = int(incomplete[0]) if incomplete.size else counts.size
        block = np.full((n_done, self.n_columns), np.nan)
        done = rel < n_done
        block[rel[done], column[done]] = value[done]
        keep = ~done
        self._pending = (frame[keep], column[keep], value[keep]) if keep.any() else None
        self.next_frame += n_done
        return {p: block[:, s] for p, s in self.slices.items()}
