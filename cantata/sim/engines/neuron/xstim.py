"""Extracellular stimulation by point-source electrodes (BMTK's ``"module": "xstim"``).

An ``inputs`` block ``{"input_type": "lfp", "module": "xstim", ...}`` places electrodes in an
infinite homogeneous medium of resistivity ``resistance`` (ohm cm, default 300) and drives
them all with one current waveform (mA). The potential it makes at the centre of every segment
of the stimulated cells, ``phi = rho I / (4 pi r)`` summed over the electrodes (1e4 mV per
ohm cm mA / um), is imposed as that segment's ``e_extracellular`` (NEURON's ``extracellular``
mechanism, inserted in every section of those cells).

Keys: ``positions_file`` (csv: ``pos_x pos_y pos_z`` um per electrode; optional
``rotation_x/y/z`` rad and ``electrode_mesh_file``: a csv of ``x_pos y_pos z_pos`` points
that share the electrode's current, centred on its position after the rotation, looked up in
``mesh_files_dir``, default the positions file's folder); ``waveform`` (a dict
``{"shape": "dc"|"sin", "del", "dur", "amp", "freq" (Hz, sin), "phase" (rad, default pi),
"offset"}``, or a ``.json`` file with that dict, or a ``.csv`` of ``time`` (ms) and
``amplitude`` interpolated linearly); ``resistance``; ``node_set`` (default: every
biophysical cell). The waveform is nonzero only for ``del < t < del + dur``.

Timing, as BMTK: the potential during the step from ``t`` to ``t + dt`` is the waveform's
value at ``t``. The per-segment transfer coefficients are computed once (vectorised per cell);
each step costs one product of the waveform values with a [inputs, segments] matrix and one
``PtrVector.scatter`` per rank. A segment closer than 10 um to an electrode point is an error
(as in BMTK).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cantata.errors import ConfigError, SimulationError
from cantata.sim.engines.neuron import cells as cellmod
from cantata.sim.engines.neuron import geometry
from cantata.sim.engines.neuron.hoc import hoc
from cantata.sim.modules import InputModule
from cantata.sim.registry import input_module

if TYPE_CHECKING:
    from cantata.sim.engines.neuron.network import NeuronNetwork
    from cantata.sim.simulation import Simulation

#: mV per (ohm cm) x mA / um: 1e-2 ohm m x 1e-3 A / 1e-6 m = 10 V.
POTENTIAL_UNIT = 1e4
MIN_DISTANCE = 10.0  # um; BMTK refuses electrodes closer than this to a segment centre
DEFAULT_RESISTANCE = 300.0  # ohm cm
_SHAPES = ("dc", "sin")


# ------------------------------------------------------------------------------ waveforms

@dataclass(frozen=True)
class Waveform:
    """A stimulus current (mA) as a function of time (ms), evaluated on arrays."""

    shape: str  # "dc", "sin" or "file"
    amp: float = 0.0
    delay: float = 0.0
    duration: float = 0.0
    freq: float = 0.0  # Hz
    phase: float = math.pi
    offset: float = 0.0
    times: np.ndarray | None = None
    amplitudes: np.ndarray | None = None

    def values(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        if self.shape == "file":
            assert self.times is not None and self.amplitudes is not None
            return np.interp(t, self.times, self.amplitudes)
        on = (t > self.delay) & (t < self.delay + self.duration)
        if self.shape == "dc":
            return np.where(on, self.amp, 0.0)
        wave = self.amp * np.sin(2 * np.pi * self.freq / 1000.0 * t + self.phase) + self.offset
        return np.where(on, wave, 0.0)


def waveform_from(spec: Any, *, where: str, config_file: Any = None) -> Waveform:
    """A :class:`Waveform` from an xstim block's ``waveform`` (dict, .json or .csv file)."""
    if isinstance(spec, str):
        path = Path(spec)
        if not path.is_absolute() and config_file is not None:
            path = Path(config_file).parent / path
        if path.suffix.lower() == ".csv":
            return _waveform_csv(path, where)
        if path.suffix.lower() != ".json":
            raise ConfigError("waveform file must be .json or .csv", file=config_file, key=where, found=str(spec))
        try:
            spec = json.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError("waveform file not found", file=path, key=where) from None
        except json.JSONDecodeError as exc:
            raise ConfigError(f"waveform file is not valid JSON: {exc}", file=path, key=where) from None
        config_file = path
    if not isinstance(spec, Mapping):
        raise ConfigError("waveform must be a dict or a file name", file=config_file, key=where,
                          expected='{"shape": "dc"|"sin", "del", "dur", "amp", ...} or a .json/.csv file',
                          found=type(spec).__name__)
    shape = spec.get("shape")
    if not isinstance(shape, str) or shape.lower() not in _SHAPES:
        raise ConfigError("unknown waveform shape", file=config_file, key=f"{where}.shape",
                          expected=" or ".join(repr(s) for s in _SHAPES), found=shape)
    shape = shape.lower()
    needed = ("amp", "del", "dur", "freq") if shape == "sin" else ("amp", "del", "dur")
    numbers: dict[str, float] = {}
    for key in (*needed, "phase", "offset"):
        if key not in spec:
            if key in needed:
                raise ConfigError(f"{shape} waveform needs {key}", file=config_file, key=f"{where}.{key}",
                                  expected=", ".join(needed), found=sorted(spec))
            continue
        value = spec[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError("must be a number", file=config_file, key=f"{where}.{key}", found=value)
        numbers[key] = float(value)
    if numbers["dur"] < 0:
        raise ConfigError("dur must be >= 0", file=config_file, key=f"{where}.dur", found=numbers["dur"])
    return Waveform(shape=shape, amp=numbers["amp"], delay=numbers["del"], duration=numbers["dur"],
                    freq=numbers.get("freq", 0.0), phase=numbers.get("phase", math.pi),
                    offset=numbers.get("offset", 0.0))


def _waveform_csv(path: Path, where: str) -> Waveform:
    table = _read_table(path, where, "waveform file")
    missing = [c for c in ("time", "amplitude") if c not in table.columns]
    if missing:
        raise ConfigError("waveform csv lacks a column", file=path, key=where,
                          expected="columns time (ms) and amplitude (mA)", found=list(table.columns))
    times = pd.to_numeric(table["time"], errors="coerce").to_numpy(float)
    amps = pd.to_numeric(table["amplitude"], errors="coerce").to_numpy(float)
    if times.size == 0 or not (np.isfinite(times).all() and np.isfinite(amps).all()) or (np.diff(times) < 0).any():
        raise ConfigError("waveform csv needs increasing finite times and finite amplitudes", file=path, key=where)
    return Waveform(shape="file", times=times, amplitudes=amps)


# ------------------------------------------------------------------------------ electrodes

@dataclass(frozen=True)
class Electrodes:
    """Current source points [P, 3] (um), the share of the current each carries [P], and which
    electrode (row of the positions file) each belongs to [P]."""

    points: np.ndarray
    shares: np.ndarray
    electrode: np.ndarray

    def coefficients(self, centres: np.ndarray, resistance: float) -> tuple[np.ndarray, np.ndarray]:
        """Potential (mV per mA) at ``centres`` [S, 3], and the closest distance [S] (um)."""
        r = np.linalg.norm(centres[:, None, :] - self.points[None, :, :], axis=2)  # [S, P]
        with np.errstate(divide="ignore"):  # a zero distance is refused by the caller (closest distance)
            coef = POTENTIAL_UNIT * resistance / (4.0 * np.pi) * (self.shares / r).sum(axis=1)
        return coef, r.min(axis=1)


def read_electrodes(path: Path, mesh_dir: Path | None, where: str) -> Electrodes:
    """Electrode points from BMTK's positions csv (and mesh files, if it names any)."""
    table = _read_table(path, where, "electrode positions file")
    columns = ("pos_x", "pos_y", "pos_z")
    missing = [c for c in columns if c not in table.columns]
    if missing or table.empty:
        raise ConfigError("electrode positions csv lacks position columns or rows", file=path, key=where,
                          expected="columns pos_x pos_y pos_z (um), optional rotation_x/y/z (rad), one row "
                                   "per electrode", found=list(table.columns))
    positions = _numeric(table, list(columns), path, where)
    rot_cols = ["rotation_x", "rotation_y", "rotation_z"]
    rotations = np.column_stack([_numeric(table, [c], path, where)[:, 0] if c in table.columns
                                 else np.zeros(len(table)) for c in rot_cols])
    meshes = table["electrode_mesh_file"].tolist() if "electrode_mesh_file" in table.columns else [None] * len(table)
    folder = mesh_dir if mesh_dir is not None else path.parent
    points, shares, owner = [], [], []
    for k, (pos, rot, mesh) in enumerate(zip(positions, rotations, meshes, strict=True)):
        local = np.zeros((1, 3)) if mesh is None or pd.isna(mesh) else _mesh(folder / str(mesh), where)
        turned = local @ geometry.rotation(dict(zip(("rotation_angle_xaxis", "rotation_angle_yaxis",
                                                     "rotation_angle_zaxis"), rot, strict=True))).T
        points.append(turned - turned.mean(axis=0) + pos)
        shares.append(np.full(len(local), 1.0 / len(local)))
        owner.append(np.full(len(local), k))
    return Electrodes(np.concatenate(points), np.concatenate(shares), np.concatenate(owner))


def _mesh(path: Path, where: str) -> np.ndarray:
    table = _read_table(path, where, "electrode mesh file")
    columns = ["x_pos", "y_pos", "z_pos"]
    if any(c not in table.columns for c in columns) or table.empty:
        raise ConfigError("electrode mesh csv lacks point columns or rows", file=path, key=where,
                          expected="columns x_pos y_pos z_pos (um)", found=list(table.columns))
    return _numeric(table, columns, path, where)


def _read_table(path: Path, where: str, what: str) -> pd.DataFrame:
    try:
        return pd.read_csv(path, sep=r"[\s,]+", engine="python")
    except FileNotFoundError:
        raise ConfigError(f"{what} not found", file=path, key=where) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the {what}: {exc}", file=path, key=where) from None


def _numeric(table: pd.DataFrame, columns: list[str], path: Path, where: str) -> np.ndarray:
    values = table[columns].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    if not np.isfinite(values).all():
        raise ConfigError("electrode coordinates must be numbers", file=path, key=where,
                          expected=f"numbers in {', '.join(columns)}")
    return values


# ------------------------------------------------------------------------------ NEURON side

class ExtracellularStimulator:
    """All xstim inputs of one rank: e_extracellular = coefficients^T @ waveform values."""

    def __init__(self, network: NeuronNetwork, dt: float, tstop: float) -> None:
        h = hoc()
        self.network = network
        self.dt = dt
        self.n_steps = int(round(tstop / dt))
        self.segment_index: dict[int, int] = {}  # cell gid -> first column
        self.segments: list[Any] = []
        self.blocks: list[tuple[np.ndarray, np.ndarray]] = []  # (columns, coefficients) per input
        self.waveforms: list[Waveform] = []
        self.coefficients = np.zeros((0, 0))
        self.table = np.zeros((0, 0))  # waveform values on the step grid [inputs, steps + 1]
        self.step = 0
        self._pointers: Any = None
        self._buffer: Any = None
        self._view = np.zeros(0)
        self._init = h.FInitializeHandler(3, self._start)
        self._callback = self._advance  # one object: NEURON removes callbacks by identity
        h.cvode.extra_scatter_gather(0, self._callback)

    def add(self, cells: list[cellmod.BiophysicalCell], electrodes: Electrodes, resistance: float,
            waveform: Waveform, where: str) -> None:
        """Stimulate ``cells`` (this rank's) from ``electrodes`` with ``waveform``."""
        columns, coefficients = [], []
        for cell in cells:
            first = self._columns(cell)
            centres = geometry.place(geometry.segment_centres(cell.sections),
                                     geometry.soma_centre(cell.soma), getattr(cell, "attributes", {}))
            coef, nearest = electrodes.coefficients(centres, resistance)
            if (nearest < MIN_DISTANCE).any():
                seg = int(np.argmin(nearest))
                raise SimulationError(
                    f"an electrode is {nearest[seg]:.3g} um from segment {seg} of cell {cell!r}",
                    key=where, expected=f"electrode points at least {MIN_DISTANCE:g} um from every segment "
                                        "centre (the point-source potential diverges)",
                    found=f"segment centre at {np.round(centres[seg], 2).tolist()} um")
            columns.append(first + np.arange(coef.size))
            coefficients.append(coef)
        self.blocks.append((np.concatenate(columns) if columns else np.zeros(0, np.int64),
                            np.concatenate(coefficients) if coefficients else np.zeros(0)))
        self.waveforms.append(waveform)

    def _columns(self, cell: cellmod.BiophysicalCell) -> int:
        first = self.segment_index.get(cell.gid)
        if first is None:
            first = len(self.segments)
            self.segment_index[cell.gid] = first
            for sec in cell.sections:
                sec.insert("extracellular")
                self.segments.extend(sec)
        return first

    def _start(self) -> None:
        """At finitialize: freeze the inputs into one matrix and apply the waveforms at t = 0."""
        h = hoc()
        n = len(self.segments)
        self.coefficients = np.zeros((len(self.blocks), n))
        for i, (columns, coef) in enumerate(self.blocks):
            np.add.at(self.coefficients[i], columns, coef)
        grid = np.arange(self.n_steps + 2) * self.dt
        self.table = np.array([w.values(grid) for w in self.waveforms]).reshape(len(self.waveforms), grid.size)
        self._pointers = h.PtrVector(max(n, 1))
        for i, seg in enumerate(self.segments):
            self._pointers.pset(i, seg._ref_e_extracellular)
        self._buffer = h.Vector(max(n, 1))
        self._view = self._buffer.as_numpy()
        self.step = 0
        self._apply()

    def _advance(self) -> None:
        """After each step (state at step * dt): the potential for the next step."""
        self.step += 1
        self._apply()

    def close(self) -> None:
        """Stop updating the potentials (the run is over; idempotent)."""
        if self._init is not None:
            hoc().cvode.extra_scatter_gather_remove(self._callback)
            self._init = None

    def _apply(self) -> None:
        if not self.segments:
            return
        if self.step < self.table.shape[1]:
            amps = self.table[:, self.step]
        else:  # past tstop (a longer run than announced)
            amps = np.array([w.values(np.array([self.step * self.dt]))[0] for w in self.waveforms])
        self._view[: len(self.segments)] = amps @ self.coefficients
        self._pointers.scatter(self._buffer)


def stimulator(network: NeuronNetwork, dt: float, tstop: float) -> ExtracellularStimulator:
    """The rank's one :class:`ExtracellularStimulator` (made on first use)."""
    if network.xstim is None:
        network.xstim = ExtracellularStimulator(network, dt, tstop)
    return network.xstim


# ------------------------------------------------------------------------------ the input

@input_module("lfp", ["xstim"], engine="neuron")
@input_module("xstim", ["xstim"], engine="neuron")
class ExtracellularStimulus(InputModule):
    """``inputs`` block ``{"input_type": "lfp", "module": "xstim", ...}`` (see the module doc)."""

    def __init__(self, name: str, params: dict[str, Any], *, config_file: Any = None) -> None:
        super().__init__(name, params, config_file=config_file)
        positions = self.param("positions_file", expected="a csv of electrode positions (pos_x pos_y pos_z)")
        if not isinstance(positions, str) or not positions:
            raise self.error("must be a file name", "positions_file", found=positions)
        mesh_dir = params.get("mesh_files_dir")
        self.electrodes = read_electrodes(Path(positions), None if mesh_dir is None else Path(str(mesh_dir)),
                                          self.where("positions_file"))
        self.waveform = waveform_from(self.param("waveform", expected="a waveform dict or file"),
                                      where=self.where("waveform"), config_file=config_file)
        resistance = params.get("resistance", DEFAULT_RESISTANCE)
        if isinstance(resistance, bool) or not isinstance(resistance, (int, float)) or not resistance > 0 \
                or not math.isfinite(resistance):
            raise self.error("must be a positive number (ohm cm)", "resistance", found=resistance)
        self.resistance = float(resistance)
        self.stimulator: ExtracellularStimulator | None = None

    def setup(self, sim: Simulation) -> None:
        engine = sim.engine
        network = getattr(engine, "network", None)
        if network is None:  # pragma: no cover - registered for the NEURON engine only
            raise SimulationError("xstim needs the NEURON engine", key=self.where())
        expression = self.params.get("node_set")
        if expression is None:
            wanted = {name: ids for name, ids in network.local_ids.items()}
        else:
            wanted = sim.resolve_nodes(expression, where=self.where("node_set"))
        cells: list[cellmod.BiophysicalCell] = []
        for population, ids in wanted.items():
            local = np.intersect1d(np.asarray(ids, np.int64), network.local_ids.get(population, np.zeros(0, np.int64)))
            for gid in network.gids(population, local).tolist():
                cell = network.cells.get(gid)
                if isinstance(cell, cellmod.BiophysicalCell):  # artificial cells have no membrane to polarise
                    cells.append(cell)
        self.stimulator = stimulator(network, sim.settings.dt, sim.settings.tstop)
        self.stimulator.add(cells, self.electrodes, self.resistance, self.waveform, self.where())

    def finalize(self, sim: Simulation) -> list[Path]:
        if self.stimulator is not None:
            self.stimulator.close()
        return []

    def abort(self, sim: Simulation) -> list[Path]:
        return self.finalize(sim)
