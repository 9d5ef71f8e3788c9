"""``input_type: current_clamp``: square current pulses (``amp``, ``delay``, ``duration``;
scalars or lists of equal length for several pulses) into the nodes of a node set.

Amplitudes are in the engine's units: pA for NEST, nA for NEURON (as in BMTK).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from cantata.sim.engine import CurrentSteps
from cantata.sim.modules import InputModule
from cantata.sim.registry import input_module
from cantata.sim.runlog import log

if TYPE_CHECKING:
    from cantata.sim.simulation import Simulation

__all__ = ["CurrentClampInput"]


@input_module("current_clamp", ["IClamp", "iclamp", "current_clamp"])
class CurrentClampInput(InputModule):
    """Keys: ``node_set``, ``amp``, ``delay`` (ms), ``duration`` (ms); engine-specific extras
    (e.g. ``section_name`` for NEURON) are passed on as options."""

    def __init__(self, name: str, params: dict[str, Any], *, config_file: Any = None) -> None:
        super().__init__(name, params, config_file=config_file)
        if "input_file" in params:
            raise self.error("current clamps from files are not supported yet", "input_file",
                             expected="amp, delay and duration values", found=params["input_file"])
        columns = {key: self._values(key) for key in ("amp", "delay", "duration")}
        sizes = {key: v.size for key, v in columns.items() if v.size != 1}
        if len(set(sizes.values())) > 1:
            raise self.error("amp, delay and duration lists must have the same length", None,
                             expected="equal lengths (or single values)", found=sizes)
        n = max([1, *sizes.values()])
        amp, delay, duration = (np.broadcast_to(columns[k], (n,)).astype(np.float64) for k in
                                ("amp", "delay", "duration"))
        if (delay < 0).any():
            raise self.error("must not be negative", "delay", found=delay.tolist())
        if (duration < 0).any():
            raise self.error("must not be negative", "duration", found=duration.tolist())
        self.steps = CurrentSteps(amp=amp, delay=delay, duration=duration)

    def _values(self, key: str) -> np.ndarray:
        raw = self.param(key, expected="a number or a list of numbers")
        values = raw if isinstance(raw, list) else [raw]
        if not values or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                                 for v in values):
            raise self.error("must be a number or a non-empty list of numbers", key, found=raw)
        return np.asarray(values, dtype=np.float64)

    def setup(self, sim: Simulation) -> None:
        assert sim.engine is not None
        targets = sim.resolve_nodes(self.param("node_set", expected="a node set"), where=self.where("node_set"))
        if not targets:
            log.warning("%s: the node set selects no nodes; the clamp does nothing", self.where())
        options = {k: v for k, v in self.params.items()
                   if k not in ("input_type", "module", "node_set", "amp", "delay", "duration", "enabled")}
        for population, ids in targets.items():
            sim.engine.add_current_clamp(population, ids, self.steps, where=self.where(), options=options)
