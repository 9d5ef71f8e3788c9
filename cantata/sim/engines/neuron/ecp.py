"""Extracellular potential at electrode positions (line-source approximation).

Every time step, the membrane currents of all recorded segments (``i_membrane_``, NEURON's
fast membrane-current mode) are gathered with one ``PtrVector`` and multiplied by a
precomputed transfer matrix [channels, segments]; only the resulting [channels] row is kept,
so memory does not grow with the number of segments. Rows are written block by block to
``/ecp/data`` [T, C] (mV) with ``/ecp/channel_id`` and ``/ecp/time`` = (start, stop, dt).
Under MPI each rank sums its own cells and rank 0 writes the total.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

from cantata.sim.engines.neuron import cells as cellmod
from cantata.sim.engines.neuron import geometry
from cantata.sim.engines.neuron.hoc import hoc
from cantata.sim.engines.neuron.recording import frames_before, gather
from cantata.sonata._io import check_writable
from cantata.sonata.reports import partial_path

if TYPE_CHECKING:
    from cantata.sim.engines.neuron.network import NeuronNetwork


class ExtracellularRecorder:
    """Streams the extracellular potential of some cells to an ``/ecp`` file."""

    def __init__(self, network: NeuronNetwork, path: Path, electrodes: np.ndarray,
                 channels: np.ndarray, nodes: Mapping[str, np.ndarray] | None, *, sigma: float,
                 minimum_distance: float, dt: float, tstart: float, tstop: float,
                 output: bool) -> None:
        h = hoc()
        self.network = network
        self.path = Path(path)
        self.dt = dt
        self.first = frames_before(tstart, dt)  # rows before tstart are not written
        self.end = frames_before(tstop, dt)
        self.n_rows = self.end - self.first
        self.n_channels = len(electrodes)
        h.cvode.use_fast_imem(1)
        segments: list[Any] = []
        blocks: list[np.ndarray] = []
        for cell in self._cells(nodes):
            starts, ends = self._world_segments(cell)
            blocks.append(geometry.line_source_transfer(
                starts, ends, electrodes, sigma=sigma, minimum_distance=minimum_distance))
            segments.extend(seg for sec in cell.sections for seg in sec)
        self.transfer = np.concatenate(blocks, axis=1) if blocks else np.zeros((self.n_channels, 0))
        self.pointers = h.PtrVector(max(len(segments), 1))
        for i, seg in enumerate(segments):
            self.pointers.pset(i, seg._ref_i_membrane_)
        self.buffer = h.Vector(max(len(segments), 1))
        self.n_segments = len(segments)
        self.rows: list[np.ndarray] = []  # rows not yet written; row k is time k * dt
        self.taken = 0  # rows handed over (written or dropped) so far
        self.written = 0
        self.until = 0.0
        self._file: h5py.File | None = None
        if output:
            check_writable(self.path, True)
            self.partial = partial_path(self.path)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = h5py.File(self.partial, "w")
            group = self._file.create_group("ecp")
            group.create_dataset("data", shape=(self.n_rows, self.n_channels), dtype=np.float64,
                                 fillvalue=np.nan)
            group.create_dataset("channel_id", data=np.asarray(channels, dtype=np.uint64))
            time = group.create_dataset("time", data=np.array([self.first * dt, tstop, dt]))
            time.attrs["units"] = "ms"
            group["data"].attrs["units"] = "mV"
        h.cvode.extra_scatter_gather(0, self._step)

    def _cells(self, nodes: Mapping[str, np.ndarray] | None) -> list[cellmod.BiophysicalCell]:
        found = []
        for population, local in self.network.local_ids.items():
            ids = local if nodes is None else np.intersect1d(local, nodes.get(population, []))
            for gid in self.network.gids(population, ids).tolist():
                cell = self.network.cells[gid]
                if isinstance(cell, cellmod.BiophysicalCell):
                    found.append(cell)
        return found

    def _world_segments(self, cell: cellmod.BiophysicalCell) -> tuple[np.ndarray, np.ndarray]:
        starts, ends, _ = geometry.local_segments(cell.sections)
        soma = cell.soma
        center = np.zeros(3)
        if soma and int(soma[0].n3d()) > 0:
            center = np.array([[soma[0].x3d(i), soma[0].y3d(i), soma[0].z3d(i)]
                               for i in range(int(soma[0].n3d()))]).mean(axis=0)
        attrs = getattr(cell, "attributes", {})
        return geometry.place(starts, center, attrs), geometry.place(ends, center, attrs)

    def _current_row(self) -> np.ndarray:
        if self.n_segments == 0:
            return np.zeros(self.n_channels)
        self.pointers.gather(self.buffer)
        return self.transfer @ self.buffer.as_numpy()

    def start(self) -> None:
        """Row 0: the potential at t = 0 (call right after finitialize)."""
        self.rows = [self._current_row()]

    def _step(self) -> None:
        self.rows.append(self._current_row())

    def advance_to(self, until: float) -> None:
        self.until = until

    def flush(self) -> None:
        """Write the rows before the current block end (collective under MPI)."""
        due = min(frames_before(self.until, self.dt), self.end) - self.taken
        if due <= 0:
            return
        local = np.array(self.rows[:due]).reshape(due, self.n_channels)
        self.rows = self.rows[due:]
        keep = local[max(self.first - self.taken, 0):]
        self.taken += due
        parts = gather(self.network.pc, keep)
        if parts is not None and self._file is not None and keep.shape[0]:
            row = self.written
            self._file["ecp/data"][row:row + keep.shape[0]] = np.sum(parts, axis=0)
        self.written += keep.shape[0]

    def close(self) -> Path | None:
        self.flush()
        if self._file is None:
            return None
        self._file.close()
        self._file = None
        os.replace(self.partial, self.path)
        return self.path

    def abort(self) -> Path | None:
        """Close after an error: keep the partial file if it holds rows, else remove it."""
        if self._file is None:
            return None
        self._file.close()
        self._file = None
        if self.written:
            return self.partial
        self.partial.unlink(missing_ok=True)
        return None
