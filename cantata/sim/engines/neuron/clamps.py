"""Electrodes on compartmental cells: current clamps (IClamp) and voltage clamps (SEClamp).

The electrode sits at ``soma(0.5)`` unless the input block names another place with BMTK's
keys ``section_name`` (a section kind: soma, dend, apic, axon), ``section_index`` (which section
of that kind, default 0) and ``section_dist`` (position along it, default 0.5).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from cantata.errors import SimulationError
from cantata.sim.engines.neuron import cells as cellmod
from cantata.sim.engines.neuron.hoc import hoc


def electrode_site(cell: cellmod.Cell, options: Mapping[str, Any], where: str) -> Any:
    """The segment an electrode attaches to, from the block's section keys."""
    if not isinstance(cell, cellmod.BiophysicalCell):
        raise SimulationError(f"clamps need a compartmental cell; {cell!r} is an artificial cell",
                              key=where, expected="a node set of biophysical nodes")
    kind = str(options.get("section_name", "soma"))
    index = options.get("section_index", 0)
    x = options.get("section_dist", 0.5)
    sections = cell.of_kind({"somatic": "soma", "basal": "dend", "apical": "apic",
                             "axonal": "axon"}.get(kind, kind))
    if not isinstance(index, int) or not 0 <= index < len(sections):
        raise SimulationError(f"cell {cell!r} has no {kind} section number {index}",
                              key=f"{where}.section_index",
                              expected=f"0..{len(sections) - 1}" if sections else f"{kind} sections",
                              found=index)
    if not isinstance(x, (int, float)) or not 0 <= x <= 1:
        raise SimulationError("section_dist must be in [0, 1]", key=f"{where}.section_dist",
                              found=x)
    return sections[index](float(x))


def current_steps(segment: Any, amp: np.ndarray, delay: np.ndarray, duration: np.ndarray
                  ) -> list[Any]:
    """One IClamp per step (nA from ``delay`` for ``duration`` ms), as BMTK builds them."""
    h = hoc()
    clamps = []
    for a, d, dur in zip(amp.tolist(), delay.tolist(), duration.tolist(), strict=True):
        clamp = h.IClamp(segment)
        clamp.amp, clamp.delay, clamp.dur = a, d, dur
        clamps.append(clamp)
    return clamps


def current_waveform(segment: Any, times: np.ndarray, amps: np.ndarray) -> list[Any]:
    """An IClamp whose amplitude follows ``amps`` (nA) at ``times`` (ms), linearly interpolated."""
    h = hoc()
    clamp = h.IClamp(segment)
    clamp.delay, clamp.dur = 0.0, 1e9
    tvec, avec = h.Vector(np.asarray(times, float)), h.Vector(np.asarray(amps, float))
    avec.play(clamp._ref_amp, tvec, 1)
    return [clamp, tvec, avec]


def voltage_steps(segment: Any, amps: Sequence[float], durations: Sequence[float],
                  rs: float | None) -> list[Any]:
    """An SEClamp holding ``amps[i]`` mV for ``durations[i]`` ms (up to three levels)."""
    if len(amps) != len(durations) or not 1 <= len(amps) <= 3:
        raise SimulationError("voltage clamp needs 1 to 3 levels, amps and durations alike",
                              key="amps", found=f"{len(amps)} amps, {len(durations)} durations")
    h = hoc()
    clamp = h.SEClamp(segment)
    for i, (amp, dur) in enumerate(zip(amps, durations, strict=True), start=1):
        setattr(clamp, f"amp{i}", float(amp))
        setattr(clamp, f"dur{i}", float(dur))
    if rs is not None:
        clamp.rs = float(rs)
    return [clamp]
