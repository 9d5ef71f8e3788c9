"""Recording on NEURON: spikes of local cells, and range variables sampled into frame reports.

Spikes are recorded with ``ParallelContext.spike_record`` (every local gid). A probe records a
variable with one ``Vector.record(ref, dt)`` per column, sampled at ``k * dt`` from time 0; each
fetch hands over the rows due so far and drops them from the vectors, so memory stays within
one block. With several MPI ranks, spikes and frames are gathered on rank 0, which alone gets
data back (the other ranks get empty results and must still call, as the calls are collective).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from cantata.errors import SimulationError
from cantata.sim.engines.neuron import cells as cellmod
from cantata.sim.engines.neuron.hoc import hoc

if TYPE_CHECKING:
    from cantata.sim.engine import ProbeRequest
    from cantata.sim.engines.neuron.network import NeuronNetwork

UNITS = {
    "v": "mV", "cai": "mM", "cao": "mM", "nai": "mM", "nao": "mM", "ki": "mM", "ko": "mM",
    "ina": "mA/cm2", "ik": "mA/cm2", "ica": "mA/cm2", "i_pas": "mA/cm2",
    "i_membrane_": "mA/cm2", "ena": "mV", "ek": "mV", "eca": "mV", "m": "",
}  # fmt: skip
_EPS = 1e-9
Columns = Callable[[Any], list[tuple[Any, int, float]]]  # cell -> (reference, section id, x)


def frames_before(t: float, dt: float) -> int:
    """Number of samples ``k * dt`` with ``k * dt < t`` (k >= 0)."""
    return max(0, math.ceil(t / dt - _EPS))


def gather(pc: Any, value: Any) -> list[Any] | None:
    """``value`` from every rank, as a list on rank 0 (None elsewhere); no copy on 1 rank."""
    if int(pc.nhost()) == 1:
        return [value]
    return pc.py_gather(value, 0)


class SpikeRecorder:
    """All spikes of this rank's cells; ``take`` returns those since the previous call."""

    def __init__(self, network: NeuronNetwork) -> None:
        h = hoc()
        self.network = network
        self.times = h.Vector()
        self.gids = h.Vector()
        network.pc.spike_record(-1, self.times, self.gids)
        self.wanted: dict[str, np.ndarray] | None = None

    def take(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Spikes since the last call, gathered on rank 0: population -> (node_ids, times)."""
        times = self.times.as_numpy().copy()
        gids = self.gids.as_numpy().astype(np.int64)
        self.times.resize(0)
        self.gids.resize(0)
        parts = gather(self.network.pc, (gids, times))
        if parts is None:
            return {}
        gids = np.concatenate([p[0] for p in parts])
        times = np.concatenate([p[1] for p in parts])
        which, node_ids = self.network.split_gids(gids)
        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for index, name in enumerate(self.network.population_names):
            mask = which == index
            ids, ts = node_ids[mask], times[mask]
            if self.wanted is not None:
                if name not in self.wanted:
                    continue
                keep = np.isin(ids, self.wanted[name])
                ids, ts = ids[keep], ts[keep]
            if ids.size or (self.wanted is None and name in self.network.local_ids):
                out[name] = (ids, ts)
        return out


def section_selection(sections: Any) -> tuple[str, ...] | None:
    """``sections`` of a report as section kinds (None = every section). Accepts ``soma``,
    ``all``, a kind, a list of kinds, or such a list written as text (``"['basal', 'apical']"``)."""
    if sections is None or sections == "soma":
        return ("soma",)
    if sections == "all":
        return None
    if isinstance(sections, str):
        names = [n for n in sections.translate(str.maketrans("[],'\"", "     ")).split() if n]
    else:
        names = [str(n) for n in sections]
    aliases = {"somatic": "soma", "axonal": "axon", "basal": "dend", "apical": "apic"}
    kinds = tuple(aliases.get(name, name) for name in names)
    return None if "all" in kinds else kinds


class NeuronProbe:
    """A recorded variable (see :class:`cantata.sim.engine.Probe`)."""

    def __init__(self, network: NeuronNetwork, request: ProbeRequest, *, dt: float,
                 where: str, columns: Columns | None = None) -> None:
        h = hoc()
        self.network = network
        self.variable = request.variable
        self.units = UNITS.get(request.variable, "")
        self.dt = float(request.dt)
        ratio = self.dt / dt
        if abs(ratio - round(ratio)) > 1e-9 * max(1.0, ratio) or round(ratio) < 1:
            raise SimulationError("report dt must be a whole multiple of run.dt", key=where,
                                  expected=f"a multiple of {dt}", found=self.dt)
        self.first = frames_before(request.start, self.dt)  # index of the first kept sample
        self.stop = float(request.stop)
        self.last = frames_before(self.stop, self.dt)  # one past the last kept sample
        self.taken = 0  # samples handed over (or dropped) so far
        self.until = 0.0
        kinds = section_selection(request.sections)
        if columns is None:
            def columns(cell: cellmod.Cell) -> list[tuple[Any, int, float]]:
                return membrane_columns(cell, self.variable, kinds, where)
        self.vectors: list[Any] = []
        local: list[tuple[str, int, np.ndarray, np.ndarray]] = []  # in this rank's column order
        for population, ids in request.nodes.items():
            mine = np.intersect1d(np.asarray(ids, dtype=np.int64),
                                  network.local_ids.get(population, np.zeros(0, np.int64)))
            for node_id, gid in zip(mine.tolist(), network.gids(population, mine).tolist(),
                                    strict=True):
                found = columns(network.cells[gid])
                if not found:
                    continue
                for ref, _, _ in found:
                    vec = h.Vector()
                    vec.record(ref, self.dt)
                    self.vectors.append(vec)
                local.append((population, node_id, np.array([c[1] for c in found]),
                              np.array([c[2] for c in found])))
        self._merge_layout(local, list(request.nodes))

    def _merge_layout(self, local: list[tuple[str, int, np.ndarray, np.ndarray]],
                      populations: list[str]) -> None:
        """Global column order (rank 0): per population, nodes sorted by id."""
        parts = gather(self.network.pc, local)
        self.nodes: dict[str, np.ndarray] = {}
        self._layouts: dict[str, dict[str, np.ndarray]] = {}
        self._order: dict[str, np.ndarray] = {}
        if parts is None:
            return
        entries: dict[str, list[tuple[int, int, np.ndarray, np.ndarray]]] = {}
        column = 0
        for part in parts:
            for population, node_id, elements, pos in part:
                entries.setdefault(population, []).append((node_id, column, elements, pos))
                column += elements.size
        for population in populations:
            found = sorted(entries.get(population, []), key=lambda e: e[0])
            if not found:
                continue
            counts = np.array([e[2].size for e in found], dtype=np.int64)
            self.nodes[population] = np.array([e[0] for e in found], dtype=np.int64)
            self._order[population] = np.concatenate(
                [np.arange(e[1], e[1] + e[2].size) for e in found])
            layout = {"element_ids": np.concatenate([e[2] for e in found]).astype(np.int64),
                      "element_pos": np.concatenate([e[3] for e in found]).astype(float)}
            if not (counts == 1).all():
                layout["index_pointers"] = np.concatenate([[0], np.cumsum(counts)])
            self._layouts[population] = layout

    def times(self) -> tuple[float, float, float]:
        return self.first * self.dt, self.stop, self.dt

    def layout(self, population: str) -> dict[str, np.ndarray]:
        return dict(self._layouts.get(population, {}))

    def advance_to(self, until: float) -> None:
        """Tell the probe the simulation reached ``until`` (the block end)."""
        self.until = until

    def fetch(self) -> dict[str, np.ndarray]:
        """Rows recorded since the last fetch, per population (rank 0; others get {})."""
        due = frames_before(self.until, self.dt) - self.taken
        if due <= 0:
            data = np.zeros((0, len(self.vectors)))
        else:
            data = np.empty((due, len(self.vectors)))
            for j, vec in enumerate(self.vectors):
                if vec.size() < due:
                    raise SimulationError(f"recording of {self.variable} fell behind",
                                          expected=f"{due} samples", found=int(vec.size()))
                data[:, j] = vec.as_numpy()[:due]
                vec.remove(0, due - 1)
        start_row = self.taken
        self.taken += max(due, 0)
        lo = max(self.first - start_row, 0)
        hi = max(min(self.last - start_row, data.shape[0]), lo)
        data = data[lo:hi]
        parts = gather(self.network.pc, data)
        if parts is None:
            return {}
        full = np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]
        return {population: full[:, cols] for population, cols in self._order.items()}


def membrane_columns(cell: cellmod.Cell, variable: str, kinds: Sequence[str] | None, where: str
                     ) -> list[tuple[Any, int, float]]:
    """(reference, section id, x) of each recorded column of ``cell``."""
    attr = f"_ref_{variable}"
    if isinstance(cell, cellmod.BiophysicalCell):
        out = []
        for sec_id, (sec, kind) in enumerate(zip(cell.sections, cell.kinds, strict=True)):
            if kinds is not None and kind not in kinds:
                continue
            segments = [sec(0.5)] if kinds == ("soma",) else list(sec)
            for seg in segments:
                try:
                    out.append((getattr(seg, attr), sec_id, float(seg.x)))
                except (AttributeError, NameError, RuntimeError):
                    raise SimulationError(
                        f"cell {cell!r} has no variable {variable!r} in {sec.name()}", key=where,
                        expected="a range variable of the cell's mechanisms (v, cai, ...)",
                        found=variable) from None
        if not out:
            raise SimulationError(f"cell {cell!r} has no sections of kind {kinds}", key=where)
        return out
    obj = getattr(cell, "obj", None)
    try:
        return [(getattr(obj, attr), 0, 0.5)]
    except (AttributeError, NameError, RuntimeError):
        raise SimulationError(f"cell {cell!r} has no variable {variable!r}", key=where,
                              found=variable) from None


def synapse_columns(variable: str, syn_type: str | None, where: str) -> Columns:
    """Columns of a synapse report: ``variable`` of each synapse onto the cell."""
    attr = f"_ref_{variable}"

    def columns(cell: cellmod.Cell) -> list[tuple[Any, int, float]]:
        out = []
        for syn, sec_id, x in getattr(cell, "synapses", ()):
            kind = syn.hname().split("[", 1)[0]
            if syn_type is not None and kind.lower() != syn_type.lower():
                continue
            try:
                out.append((getattr(syn, attr), sec_id, x))
            except (AttributeError, NameError, RuntimeError):
                raise SimulationError(f"{kind} synapses have no variable {variable!r}", key=where,
                                      found=variable) from None
        return out

    return columns
