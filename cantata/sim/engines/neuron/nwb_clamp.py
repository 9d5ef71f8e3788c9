"""Current clamps that replay a recorded stimulus sweep from an Allen Cell Types NWB file.

BMTK's ``{"input_type": "nwb"|"allen", "module": "IClamp"}`` blocks. Keys:

* ``file``: the NWB (version 1, Allen Cell Types) file; the sweep's stimulus is read from
  ``/epochs/Sweep_<id>/stimulus/timeseries``: ``data`` (A, converted to nA) sampled at
  ``starting_time.attrs["rate"]`` (Hz);
* ``sweep_id``: the sweep number (``6``, ``"6"``) or the sweep group's name (``"Sweep_6"``);
* ``downsample`` (ms, optional): keep every n-th sample, n = round(downsample / sample
  interval); ignored when not above the sample interval;
* ``sweep_window`` (ms, optional): ``[start, stop]`` of the sweep to play, samples with
  ``start <= t <= stop`` (sweep time, after downsampling);
* ``delay`` (ms, default 0): when the first played sample starts in simulated time;
* ``node_set`` (default ``"all"``) and the electrode place (``section_name``,
  ``section_index``, ``section_dist``; default soma(0.5)).

Playback: sample *k* of the played samples is the clamp's amplitude from ``delay + k * step``
(a step function, NEURON ``Vector.play`` events), and the clamp is off before ``delay`` and after
the last sample's step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np

from cantata.errors import FormatError, SimulationError
from cantata.sim.engines.neuron import clamps
from cantata.sim.engines.neuron.hoc import hoc
from cantata.sim.engines.neuron.input_support import local_cells, network_of
from cantata.sim.modules import InputModule
from cantata.sim.registry import input_module
from cantata.sim.runlog import log

if TYPE_CHECKING:
    from cantata.sim.simulation import Simulation

__all__ = ["NwbCurrentClamp", "Sweep", "read_sweep", "sweep_group_name"]

AMPERE_TO_NANOAMPERE = 1e9
_KEYS = frozenset({"input_type", "module", "enabled", "file", "input_file", "sweep_id", "downsample",
                   "sweep_window", "delay", "node_set", "section_name", "section_index", "section_dist"})


@dataclass(frozen=True)
class Sweep:
    """The samples to play: ``amps`` (nA), one per ``step`` (ms), from ``delay`` (ms)."""

    amps: np.ndarray
    step: float
    delay: float = 0.0

    @property
    def times(self) -> np.ndarray:
        """Start time (ms) of each sample."""
        return self.delay + np.arange(self.amps.size) * self.step

    @property
    def duration(self) -> float:
        """How long the clamp is on (ms): every sample for one step."""
        return self.amps.size * self.step


def sweep_group_name(sweep_id: Any) -> str:
    """``Sweep_<n>`` for a sweep number (int, integral float, digit string); a string otherwise."""
    if isinstance(sweep_id, bool):
        raise ValueError("a sweep number or a sweep group name")
    if isinstance(sweep_id, (int, np.integer)):
        return f"Sweep_{int(sweep_id)}"
    if isinstance(sweep_id, float):
        if not sweep_id.is_integer():
            raise ValueError("a whole sweep number")
        return f"Sweep_{int(sweep_id)}"
    if isinstance(sweep_id, str) and sweep_id.strip():
        text = sweep_id.strip()
        return f"Sweep_{int(text)}" if text.lstrip("+-").isdigit() else text
    raise ValueError("a sweep number or a sweep group name")


def read_sweep(path: Path, group: str, *, file_key: str = "file", sweep_key: str = "sweep_id"
               ) -> tuple[np.ndarray, float]:
    """The stimulus of sweep ``group`` of an Allen NWB file: amplitudes (nA), sample interval (ms).
    ``file_key``/``sweep_key`` name the config keys in error messages."""
    if not path.is_file():
        raise SimulationError("NWB file not found", file=path, key=file_key)
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise FormatError("not an HDF5 (NWB) file", file=path, found=str(exc)) from None
    with handle:
        epochs = handle.get("epochs")
        if not isinstance(epochs, h5py.Group):
            raise FormatError("no /epochs group: not an Allen Cell Types (NWB 1) file", file=path, key="/epochs")
        if group not in epochs:
            sweeps = sorted(epochs, key=_sweep_order)
            raise SimulationError(f"the file has no sweep {group!r}", file=path, key=sweep_key,
                                  expected=f"one of {_shorten(sweeps)}" if sweeps else "a sweep group in /epochs",
                                  found=group)
        where = f"/epochs/{group}/stimulus/timeseries"
        series = handle.get(where)
        if not isinstance(series, h5py.Group):
            raise FormatError("the sweep has no stimulus time series", file=path, key=where)
        for name in ("data", "starting_time"):
            if not isinstance(series.get(name), h5py.Dataset):
                raise FormatError(f"the stimulus time series has no {name} dataset", file=path,
                                  key=f"{where}/{name}")
        rate = series["starting_time"].attrs.get("rate")
        try:
            rate = float(np.asarray(rate).reshape(-1)[0])
        except (TypeError, ValueError, IndexError):
            rate = math.nan
        if not (math.isfinite(rate) and rate > 0):
            raise FormatError("the sampling rate must be a positive number (Hz)", file=path,
                              key=f"{where}/starting_time@rate", found=series["starting_time"].attrs.get("rate"))
        data = np.asarray(series["data"][()]).reshape(-1)
    if data.dtype.kind not in "fiu":
        raise FormatError("stimulus data must be numeric", file=path, key=f"{where}/data", found=str(data.dtype))
    if data.size == 0 or not np.isfinite(data).all():
        raise FormatError("stimulus data must be a non-empty array of finite values (A)", file=path,
                          key=f"{where}/data", found=f"{data.size} values")
    # scaled in the file's precision (float32 in Allen files), as BMTK does, then widened
    scaled = data * AMPERE_TO_NANOAMPERE if data.dtype.kind == "f" else data.astype(np.float64) * AMPERE_TO_NANOAMPERE
    return np.asarray(scaled, dtype=np.float64), 1000.0 / rate


def _sweep_order(name: str) -> tuple[int, str]:
    number = name.rpartition("_")[2]
    return (int(number), name) if number.isdigit() else (1 << 62, name)


def _shorten(names: list[str], limit: int = 12) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def select_samples(amps: np.ndarray, interval: float, *, downsample: float | None,
                   window: tuple[float, float] | None) -> tuple[np.ndarray, float, np.ndarray]:
    """Downsample, then keep the window: (amplitudes, step, sweep times of the kept samples)."""
    times = np.arange(amps.size) * interval
    step = interval
    if downsample is not None and downsample > interval:
        stride = int(round(downsample / interval))
        amps, times, step = amps[::stride], times[::stride], stride * interval
    if window is not None:
        keep = (times >= window[0]) & (times <= window[1])
        amps, times = amps[keep], times[keep]
    return amps, step, times


@input_module("nwb", ["IClamp", "iclamp"], engine="neuron")
@input_module("allen", ["IClamp", "iclamp"], engine="neuron")
class NwbCurrentClamp(InputModule):
    """A current clamp playing one sweep's stimulus of an Allen Cell Types NWB file."""

    def __init__(self, name: str, params: dict[str, Any], *, config_file: Any = None) -> None:
        super().__init__(name, params, config_file=config_file)
        self.file_key = "file" if "file" in params or "input_file" not in params else "input_file"
        path = self.param(self.file_key, expected="the path of an NWB file")
        if not isinstance(path, str) or not path:
            raise self.error("must be a file path", self.file_key, found=path)
        self.path = Path(path)
        raw = self.param("sweep_id", expected="a sweep number (e.g. 35) or a sweep group name")
        try:
            self.group = sweep_group_name(raw)
        except ValueError as exc:
            raise self.error("not a valid sweep", "sweep_id", expected=str(exc), found=raw) from None
        self.downsample = self._number("downsample", None, positive=True)
        self.delay = self._number("delay", 0.0)
        self.window = self._window()
        unknown = sorted(set(params) - _KEYS)
        if unknown:
            log.warning("%s: ignoring unknown key(s) %s", self.where(), ", ".join(unknown))
        self.sweep: Sweep | None = None
        self._objects: list[Any] = []

    def _number(self, key: str, default: float | None, *, positive: bool = False) -> float | None:
        value = self.params.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or \
                value < 0 or (positive and value == 0):
            raise self.error("must be a positive number (ms)" if positive else "must be a number >= 0 (ms)", key,
                             found=value)
        return float(value)

    def _window(self) -> tuple[float, float] | None:
        value = self.params.get("sweep_window")
        if value is None:
            return None
        ok = isinstance(value, (list, tuple)) and len(value) == 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value)
        if not ok or not 0 <= value[0] < value[1]:
            raise self.error("must be [start, stop] (ms) with 0 <= start < stop", "sweep_window", found=value)
        return float(value[0]), float(value[1])

    def load(self) -> Sweep:
        """Read and select the samples (once)."""
        if self.sweep is None:
            amps, interval = read_sweep(self.path, self.group, file_key=self.where(self.file_key),
                                       sweep_key=self.where("sweep_id"))
            if self.downsample is not None and self.downsample > interval:
                stride = round(self.downsample / interval)
                if not math.isclose(stride * interval, self.downsample, rel_tol=1e-9):
                    log.warning("%s: downsample %g ms is not a multiple of the sample interval %g ms; the "
                                "samples are %g ms apart", self.where("downsample"), self.downsample, interval,
                                stride * interval)
            end = (amps.size - 1) * interval
            amps, step, _ = select_samples(amps, interval, downsample=self.downsample, window=self.window)
            if amps.size == 0:
                raise SimulationError("sweep_window selects no sample of the sweep", file=self.path,
                                      key=self.where("sweep_window"),
                                      expected=f"a window overlapping the sweep's 0..{end:g} ms",
                                      found=list(self.window or ()))
            self.sweep = Sweep(amps=amps, step=step, delay=self.delay or 0.0)
        return self.sweep

    def setup(self, sim: Simulation) -> None:
        sweep = self.load()
        network = network_of(sim, self.where())
        targets = sim.resolve_nodes(self.params.get("node_set", "all"), where=self.where("node_set"))
        if not targets:
            log.warning("%s: the node set selects no nodes; the clamp does nothing", self.where())
        options = {k: self.params[k] for k in ("section_name", "section_index", "section_dist") if k in self.params}
        for cell in local_cells(network, targets):  # virtual nodes have no cell: skipped
            site = clamps.electrode_site(cell, options, self.where())
            self._objects.extend(play_sweep(site, sweep))


def play_sweep(segment: Any, sweep: Sweep) -> list[Any]:
    """An IClamp at ``segment`` whose amplitude steps through the sweep's samples."""
    h = hoc()
    clamp = h.IClamp(segment)
    clamp.delay, clamp.dur = sweep.delay, sweep.duration
    amps, times = h.Vector(sweep.amps), h.Vector(sweep.times)
    amps.play(clamp._ref_amp, times)
    return [clamp, amps, times]
