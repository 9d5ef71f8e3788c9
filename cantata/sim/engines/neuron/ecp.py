"""Extracellular potential at electrode positions: the ``extracellular`` (``ecp``) report.

The potential is BMTK BioNet's: every segment is a line source of its membrane current
(NEURON's fast ``i_membrane_``, nA) in a medium of conductivity ``sigma``, with cells drawn
where NEURON's ``define_shape()`` puts them (3-d points as read; sections without points such
as the axon stub by NEURON's rule, see :mod:`geometry`) and placed by the node's position and
rotation. The transfer matrix [segments, channels] is computed once.

Hot path: every step the currents of all local segments are gathered with one ``PtrVector``
into a chunk buffer [K, segments]; a full chunk (or a block end) is turned into potentials with
one matrix product per cell ([K, segments of the cell] @ [segments of the cell, channels], by
``einsum``: BLAS would give results that depend on its thread count). The cells' potentials
are summed with error-free two-sums (a high and a low part), so the total does not depend on
how cells are dealt to MPI ranks; K follows from the number of segments of the whole network,
so chunks are the same on any number of ranks. Rank 0 writes
the total after each block of ``nsteps_block`` steps; with ``contributions_dir`` every rank
writes its own cells' files (``<gid>.h5``, BMTK's layout) chunk by chunk.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np
import pandas as pd

from cantata.errors import ConfigError, SimulationError
from cantata.sim.engines.neuron import cells as cellmod
from cantata.sim.engines.neuron import geometry
from cantata.sim.engines.neuron.hoc import hoc
from cantata.sim.engines.neuron.recording import frames_before, gather
from cantata.sim.modules import ReportModule
from cantata.sim.registry import report_module
from cantata.sim.runlog import log
from cantata.sonata._io import check_writable
from cantata.sonata.reports import partial_path

if TYPE_CHECKING:
    from cantata.sim.engines.neuron.network import NeuronNetwork
    from cantata.sim.simulation import Simulation

ENGINE = "neuron"
#: Memory for the buffered membrane currents of one chunk of steps, all segments of the network.
CHUNK_BYTES = 64 * 2**20
MAX_CHUNK_ROWS = 4096
MinimumDistance = float | str | None  # um; "auto": each segment's radius; None: no minimum


# ------------------------------------------------------------------------------ the report


@report_module(["extracellular", "ecp"], engine=ENGINE)
class ExtracellularReport(ReportModule):
    """Keys: ``electrode_positions`` (csv: ``channel x_pos y_pos z_pos``, um), ``cells`` (default:
    every biophysical cell) or ``cell_bounds`` ([first, last] node id), ``minimum_distance``
    (um, ``"auto"`` = segment radius; default none), ``sigma`` (S/m, default 0.3),
    ``file_name``, ``contributions_dir`` (one file per cell). Output: ``/ecp/data`` [T, channels]
    in mV, ``/ecp/channel_id``, ``/ecp/time``."""

    def __init__(self, name: str, params: dict[str, Any], *, config_file: Any = None) -> None:
        super().__init__(name, params, config_file=config_file)
        electrodes = self.param("electrode_positions", expected="a csv file of electrode positions")
        if not isinstance(electrodes, str) or not electrodes:
            raise self.error("must be the path of a csv file", "electrode_positions", found=electrodes)
        self.electrodes_file = Path(electrodes)
        sigma = params.get("sigma", 0.3)
        if isinstance(sigma, bool) or not isinstance(sigma, (int, float)) or not sigma > 0 \
                or not math.isfinite(sigma):
            raise self.error("must be a positive number (S/m)", "sigma", found=sigma)
        self.sigma = float(sigma)
        self.minimum_distance = self._minimum_distance(params.get("minimum_distance"))
        self.path = Path(params.get("file_name") or f"{name}.h5")
        self.contributions_dir = self._contributions_dir(params.get("contributions_dir"))
        self.cells = self._cells(params.get("cells"), params.get("cell_bounds"))
        if params.get("file_name_nwb"):
            log.warning("%s: no NWB copy of the extracellular potential is written (%s only)",
                        self.where("file_name_nwb"), self.path)
        self.recorder: ExtracellularRecorder | None = None

    def _minimum_distance(self, value: Any) -> MinimumDistance:
        if value is None or value == "auto":
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 \
                or not math.isfinite(value):
            raise self.error("must be a distance >= 0 (um) or \"auto\"", "minimum_distance", found=value)
        return float(value) if value > 0 else None

    def _contributions_dir(self, value: Any) -> Path | None:
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.error("must be a folder name", "contributions_dir", found=value)
        return Path(value)

    def _cells(self, cells: Any, bounds: Any) -> Any:
        if bounds is None:
            return cells
        ok = isinstance(bounds, (list, tuple)) and len(bounds) == 2 and \
            all(isinstance(b, int) and not isinstance(b, bool) for b in bounds) and 0 <= bounds[0] <= bounds[1]
        if not ok:
            raise self.error("must be [first, last] node ids", "cell_bounds", found=bounds)
        return list(range(bounds[0], bounds[1] + 1))  # BMTK: cell_bounds wins over cells

    def outputs(self) -> list[Path]:
        return [self.path]

    def setup(self, sim: Simulation) -> None:
        assert sim.engine is not None
        positions, channels = read_electrodes(self.electrodes_file, self.where("electrode_positions"))
        nodes = None if self.cells is None else sim.resolve_nodes(self.cells, where=self.where("cells"))
        folder = None
        if self.contributions_dir is not None:
            folder = contributions_folder(sim.outputs.report_path(sim.config, self.contributions_dir),
                                          self.where("contributions_dir"))
        self.recorder = sim.engine.add_extracellular(
            self.path, positions, channels, nodes, sigma=self.sigma, minimum_distance=self.minimum_distance,
            where=self.where(), contributions_dir=folder, overwrite=sim.outputs.overwrite)

    def block(self, sim: Simulation, t: float) -> None:
        if self.recorder is not None:
            self.recorder.flush()

    def finalize(self, sim: Simulation) -> list[Path]:
        if self.recorder is None:
            return []
        return self.recorder.close()

    def abort(self, sim: Simulation) -> list[Path]:
        if self.recorder is None:
            return []
        return self.recorder.abort()


def read_electrodes(path: Path, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Electrode positions [C, 3] (um) and channel ids [C] from a BMTK electrode csv (columns
    ``x_pos y_pos z_pos``, optional ``channel``; space or comma separated)."""
    try:
        table = pd.read_csv(path, sep=r"\s+|,", engine="python")
    except FileNotFoundError:
        raise ConfigError("electrode positions file not found", file=path, key=where) from None
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError, IsADirectoryError) as exc:
        raise ConfigError("electrode positions file is not a csv table", file=path, key=where,
                          expected="columns channel x_pos y_pos z_pos", found=str(exc).strip()[:200]) from None
    missing = [c for c in ("x_pos", "y_pos", "z_pos") if c not in table.columns]
    if missing:
        raise ConfigError("electrode csv lacks position columns", file=path, key=where,
                          expected="columns channel x_pos y_pos z_pos", found=list(table.columns))
    if table.empty:
        raise ConfigError("electrode csv has no rows", file=path, key=where, expected="one row per channel",
                          found="only a header")
    numbers = table[["x_pos", "y_pos", "z_pos"]].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    if not np.isfinite(numbers).all():
        row, col = np.argwhere(~np.isfinite(numbers))[0]
        raise ConfigError("electrode positions must be numbers", file=path, key=where,
                          expected="finite x_pos y_pos z_pos (um)",
                          found=f"{table.iloc[row][['x_pos', 'y_pos', 'z_pos'][col]]!r} in row {row + 1}")
    if "channel" not in table.columns:
        return numbers, np.arange(len(table), dtype=np.int64)
    channel = pd.to_numeric(table["channel"], errors="coerce").to_numpy(float)
    if not (np.isfinite(channel) & (channel >= 0) & (channel == np.round(channel))).all():
        raise ConfigError("electrode channel ids must be integers >= 0", file=path, key=where,
                          found=table["channel"].tolist()[:10])
    channels = channel.astype(np.int64)
    values, counts = np.unique(channels, return_counts=True)
    if (counts > 1).any():
        raise ConfigError("electrode channel ids repeat", file=path, key=where, expected="one row per channel",
                          found=values[counts > 1].tolist()[:10])
    return numbers, channels


def contributions_folder(folder: Path, where: str) -> Path:
    """Create ``folder`` (every rank may call this); a clear error if that is not possible."""
    if folder.exists() and not folder.is_dir():
        raise ConfigError("contributions_dir is a file, not a folder", file=folder, key=where,
                          expected="a folder for one h5 file per cell")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError("cannot create the contributions folder", file=folder, key=where,
                          found=exc.strerror or str(exc)) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError("the contributions folder is not writable", file=folder, key=where)
    return folder


# ---------------------------------------------------------------------------- the recorder


def _two_sum(hi: np.ndarray, lo: np.ndarray, x: np.ndarray) -> None:
    """hi + lo += x, keeping the rounding error of hi + x in lo (in place)."""
    s = hi + x
    back = s - hi
    lo += (hi - (s - back)) + (x - back)
    hi[...] = s


class ExtracellularRecorder:
    """The extracellular potential of this rank's cells, streamed to ``/ecp`` files."""

    def __init__(self, network: NeuronNetwork, path: Path, electrodes: np.ndarray,
                 channels: np.ndarray, nodes: Mapping[str, np.ndarray] | None, *, sigma: float,
                 minimum_distance: MinimumDistance, dt: float, tstart: float, tstop: float,
                 output: bool, contributions_dir: Path | None = None, overwrite: bool = True,
                 where: str = "reports.ecp") -> None:
        h = hoc()
        self.network = network
        self.path = Path(path)
        self.where = where
        self.dt = dt
        self.first = frames_before(tstart, dt)  # rows before tstart are not written
        self.end = frames_before(tstop, dt)
        self.n_rows = self.end - self.first
        self.n_channels = len(electrodes)
        self.time = np.array([self.first * dt, tstop, dt])
        self.channels = np.asarray(channels, dtype=np.uint64)
        cells = self._cells(nodes)
        self.gids = np.array([c.gid for c in cells], dtype=np.int64)
        self._shapes: dict[Any, tuple[np.ndarray, ...]] = {}  # local geometry per cell layout
        transfers = [self._transfer(c, electrodes, sigma, minimum_distance) for c in cells]
        self._shapes.clear()
        sizes = [t.shape[0] for t in transfers]
        self.bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.transfer = np.ascontiguousarray(np.concatenate(transfers)) if transfers else \
            np.zeros((0, self.n_channels))  # [segments, channels]
        self.n_segments = int(self.bounds[-1])
        total = int(network.pc.allreduce(self.n_segments, 1)) if network.size > 1 else self.n_segments
        if total == 0:  # every rank gets here with the same total, so all of them stop
            raise SimulationError("the extracellular report covers no compartmental cell (it records the "
                                  "membrane currents of biophysical cells' segments)", key=where,
                                  expected="cells (or the whole network) with biophysical nodes",
                                  found="only point-process, virtual or no cells")
        h.cvode.use_fast_imem(1)
        segments = [seg for cell in cells for sec in cell.sections for seg in sec]
        self.pointers = h.PtrVector(max(self.n_segments, 1))
        for i, seg in enumerate(segments):
            self.pointers.pset(i, seg._ref_i_membrane_)
        self.buffer = h.Vector(max(self.n_segments, 1))
        self.view = self.buffer.as_numpy()
        self.chunk_rows = int(min(MAX_CHUNK_ROWS, max(1, CHUNK_BYTES // (8 * max(total, 1)))))
        self.currents = np.zeros((self.chunk_rows, self.n_segments))
        self.filled = 0  # rows in the chunk buffer
        self.computed = 0  # rows turned into potentials (row k is time k * dt)
        self.pending: list[tuple[np.ndarray, np.ndarray]] = []  # (hi, lo) rows from self.taken on
        self.taken = 0  # rows handed to the main file (written or dropped) so far
        self.written = 0
        self.until = 0.0
        self.started = False
        self._file: h5py.File | None = None
        self.contributions = self._contribution_files(contributions_dir, overwrite)
        if output:
            check_writable(self.path, True)
            self.partial = partial_path(self.path)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = _create_ecp_file(self.partial, self.n_rows, self.channels, self.time)
        self._callback = self._step  # one object: NEURON removes callbacks by identity
        h.cvode.extra_scatter_gather(0, self._callback)

    # -- setup ------------------------------------------------------------------------------
    def _cells(self, nodes: Mapping[str, np.ndarray] | None) -> list[cellmod.BiophysicalCell]:
        found = []
        for population, local in self.network.local_ids.items():
            ids = local if nodes is None else np.intersect1d(local, nodes.get(population, []))
            for gid in self.network.gids(population, ids).tolist():
                cell = self.network.cells[gid]
                if isinstance(cell, cellmod.BiophysicalCell):
                    found.append(cell)
        return sorted(found, key=lambda c: c.gid)

    def _transfer(self, cell: cellmod.BiophysicalCell, electrodes: np.ndarray, sigma: float,
                  minimum_distance: MinimumDistance) -> np.ndarray:
        """[segments of the cell, channels] (mV per nA), the cell drawn as NEURON's
        define_shape() would and placed by its node attributes."""
        starts, ends, diams, centre = self._local_shape(cell)
        attrs = getattr(cell, "attributes", {})
        starts, ends = geometry.place(starts, centre, attrs), geometry.place(ends, centre, attrs)
        floor = 0.5 * diams if minimum_distance == "auto" else minimum_distance
        transfer = geometry.line_source_transfer(starts, ends, electrodes, sigma=sigma, minimum_distance=floor)
        if not np.isfinite(transfer).all():
            channel, seg = np.argwhere(~np.isfinite(transfer))[0]
            raise SimulationError(
                f"electrode {int(self.channels[channel])} lies on the axis of segment {int(seg)} of cell {cell!r} "
                "(the line-source potential is infinite there)", key=self.where,
                expected="a minimum_distance (um, or \"auto\" for the segment radius)",
                found=f"electrode at {np.round(electrodes[channel], 3).tolist()} um, segment from "
                      f"{np.round(starts[seg], 3).tolist()} to {np.round(ends[seg], 3).tolist()} um")
        return transfer.T

    def _local_shape(self, cell: cellmod.BiophysicalCell) -> tuple[np.ndarray, ...]:
        """Segment starts, ends, diameters and the soma centre in the cell's own coordinates
        (shared by the cells of one layout: same morphology, processing and dL)."""
        found = self._shapes.get(cell.layout_key) if cell.layout_key is not None else None
        if found is None:
            starts, ends, diams = geometry.local_segments(cell.sections)
            soma = cell.soma
            points = [pts for _, pts in geometry.section_points(soma)] if soma else []
            centre = np.concatenate(points).mean(axis=0) if points else np.zeros(3)
            found = (starts, ends, diams, centre)
            if cell.layout_key is not None:
                self._shapes[cell.layout_key] = found
        return found

    def _contribution_files(self, folder: Path | None, overwrite: bool) -> list[Path]:
        if folder is None:
            return []
        targets = [folder / f"{gid}.h5" for gid in self.gids.tolist()]
        if not overwrite:
            existing = [p for p in targets if p.exists()]
            if existing:
                raise SimulationError(
                    "earlier per-cell contributions exist and overwrite_output_dir is false; nothing was simulated",
                    file=existing[0], key=self.where, expected="true, or another contributions_dir",
                    found=f"{len(existing)} file(s)")
        for target in targets:
            _create_ecp_file(partial_path(target), self.n_rows, self.channels, self.time).close()
        return targets

    # -- stepping ---------------------------------------------------------------------------
    def start(self) -> None:
        """Row 0: the potential at t = 0 (call right after finitialize)."""
        self.filled = self.computed = self.taken = 0
        self.pending = []
        self.started = True
        self._record()

    def _step(self) -> None:
        if self.started:
            self._record()

    def _record(self) -> None:
        if self.n_segments:
            self.pointers.gather(self.buffer)
            self.currents[self.filled] = self.view
        self.filled += 1
        if self.filled == self.chunk_rows:
            self._process()

    def _process(self) -> None:
        """Turn the buffered currents into potentials: sum (hi, lo) and per-cell rows."""
        k = self.filled
        if k == 0:
            return
        hi, lo = np.zeros((k, self.n_channels)), np.zeros((k, self.n_channels))
        rows = self.currents[:k]
        # rows of this chunk that belong in the files: [first, end)
        lo_row, hi_row = max(self.first - self.computed, 0), min(self.end - self.computed, k)
        for i, (a, b) in enumerate(zip(self.bounds[:-1].tolist(), self.bounds[1:].tolist(), strict=True)):
            # einsum, not BLAS: BLAS results change with its thread count (ranks run single-threaded)
            part = np.einsum("ks,sc->kc", np.ascontiguousarray(rows[:, a:b]), self.transfer[a:b])
            _two_sum(hi, lo, part)
            if self.contributions and hi_row > lo_row:
                start = self.computed + lo_row - self.first
                with h5py.File(partial_path(self.contributions[i]), "r+") as f:
                    f["ecp/data"][start:start + hi_row - lo_row] = part[lo_row:hi_row]
        self.pending.append((hi, lo))
        self.computed += k
        self.filled = 0

    def advance_to(self, until: float) -> None:
        self.until = until

    # -- output -----------------------------------------------------------------------------
    def flush(self) -> None:
        """Write the rows before the current block end (collective under MPI)."""
        self._process()
        due = min(frames_before(self.until, self.dt), self.end) - self.taken
        if due <= 0:
            return
        hi = np.concatenate([p[0] for p in self.pending]) if self.pending else np.zeros((0, self.n_channels))
        lo = np.concatenate([p[1] for p in self.pending]) if self.pending else np.zeros((0, self.n_channels))
        rest = (hi[due:], lo[due:])
        self.pending = [rest] if rest[0].shape[0] else []
        skip = max(self.first - self.taken, 0)
        keep = (hi[skip:due], lo[skip:due])
        self.taken += due
        parts = gather(self.network.pc, keep)
        n = keep[0].shape[0]
        if parts is not None and self._file is not None and n:
            total_hi, total_lo = parts[0][0].copy(), parts[0][1].copy()
            for part_hi, part_lo in parts[1:]:
                _two_sum(total_hi, total_lo, part_hi)
                total_lo += part_lo
            self._file["ecp/data"][self.written:self.written + n] = total_hi + total_lo
        self.written += n

    def close(self) -> list[Path]:
        """Finish the files; return those this rank wrote."""
        self.flush()
        done = []
        for target in self.contributions:
            os.replace(partial_path(target), target)
        if self.contributions:
            done.append(self.contributions[0].parent)  # the folder, not one line per cell
        self.contributions = []
        if self._file is not None:
            self._file.close()
            self._file = None
            os.replace(self.partial, self.path)
            done.insert(0, self.path)
        return done

    def abort(self) -> list[Path]:
        """Close after an error: keep partial files that hold rows, remove the others."""
        kept = []
        for target in self.contributions:
            partial = partial_path(target)
            if self.computed > self.first and partial.exists():
                kept.append(partial)
            else:
                partial.unlink(missing_ok=True)
        self.contributions = []
        if self._file is not None:
            self._file.close()
            self._file = None
            if self.written:
                kept.insert(0, self.partial)
            else:
                self.partial.unlink(missing_ok=True)
        return kept


def _create_ecp_file(path: Path, n_rows: int, channels: np.ndarray, time: np.ndarray) -> h5py.File:
    """An open ``/ecp`` file: ``data`` [rows, channels] (mV, NaN until written), ``channel_id``,
    ``time`` = (start, stop, dt) in ms."""
    f = h5py.File(path, "w")
    group = f.create_group("ecp")
    data = group.create_dataset("data", shape=(n_rows, channels.size), dtype=np.float64, fillvalue=np.nan)
    data.attrs["units"] = "mV"
    group.create_dataset("channel_id", data=channels)
    group.create_dataset("time", data=time).attrs["units"] = "ms"
    return f
