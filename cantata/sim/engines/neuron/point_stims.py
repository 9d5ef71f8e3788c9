"""``point_process`` inputs: any NEURON point process placed on some cells as an electrode.

::

    {"input_type": "point_process", "module": "point_process", "node_set": "L4",
     "mechanism": "SEClamp", "parameters": {"dur1": 50, "amp1": -60, "rs": 0.01},
     "section_name": "soma", "section_index": 0, "section_dist": 0.5}

One ``mechanism`` object per target cell at the electrode place (BMTK's ``section_name``,
``section_index``, ``section_dist`` keys, as for current clamps); each parameter is set as
given, a list setting the elements of an array parameter (``VClamp``'s ``amp``/``dur``).
``cantata.specs`` writes NetPyNE's ``SEClamp``, ``VClamp`` and ``AlphaSynapse`` stimulation
sources this way.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from cantata.errors import SimulationError
from cantata.sim.engines.neuron import cells as cellmod
from cantata.sim.engines.neuron.clamps import electrode_site
from cantata.sim.engines.neuron.hoc import hoc, mechanism_names
from cantata.sim.modules import InputModule
from cantata.sim.registry import input_module

if TYPE_CHECKING:
    from cantata.sim.simulation import Simulation

_SITE_KEYS = ("section_name", "section_index", "section_dist")


@input_module("point_process", ["point_process"], engine="neuron")
class PointProcessInput(InputModule):
    """Keys: ``node_set``, ``mechanism`` (a NEURON point process), ``parameters`` (name ->
    number, or list of numbers for an array parameter) and the electrode place."""

    def __init__(self, name: str, params: dict[str, Any], *, config_file: Any = None) -> None:
        super().__init__(name, params, config_file=config_file)
        mechanism = self.param("mechanism", expected="a NEURON point process such as SEClamp")
        if not isinstance(mechanism, str) or not mechanism.isidentifier():
            raise self.error("must be a point-process name", "mechanism", found=mechanism)
        self.mechanism = mechanism
        values = params.get("parameters", {})
        if not isinstance(values, dict):
            raise self.error("must be an object of parameters", "parameters", found=values)
        for key, value in values.items():
            items = value if isinstance(value, list) else [value]
            if not items or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                                    for v in items):
                raise self.error("must be a number or a list of numbers", f"parameters.{key}", found=value)
        self.values = values
        self.objects: list[Any] = []

    def setup(self, sim: Simulation) -> None:
        network = getattr(sim.engine, "network", None)
        if network is None:  # pragma: no cover - registered for the NEURON engine only
            raise SimulationError("point_process inputs need the NEURON engine", key=self.where())
        _, points = mechanism_names()
        if self.mechanism not in points:
            raise SimulationError(f"unknown NEURON point process {self.mechanism!r}", key=self.where("mechanism"),
                                  expected="a built-in point process or one compiled from mechanisms_dir",
                                  found=self.mechanism)
        site = {k: self.params[k] for k in _SITE_KEYS if k in self.params}
        targets = sim.resolve_nodes(self.param("node_set", expected="a node set"), where=self.where("node_set"))
        maker = getattr(hoc(), self.mechanism)
        for population, ids in targets.items():
            local = np.intersect1d(np.asarray(ids, np.int64), network.local_ids.get(population, np.zeros(0, np.int64)))
            for gid in network.gids(population, local).tolist():
                cell = network.cells[gid]
                if not isinstance(cell, cellmod.BiophysicalCell):
                    raise SimulationError(f"a {self.mechanism} needs a compartmental cell; {cell!r} is not",
                                          key=self.where("node_set"), expected="biophysical nodes")
                process = maker(electrode_site(cell, site, self.where()))
                self._set(process)
                self.objects.append(process)

    def _set(self, process: Any) -> None:
        for key, value in self.values.items():
            try:
                if isinstance(value, list):
                    array = getattr(process, key)
                    for i, v in enumerate(value):
                        array[i] = float(v)
                else:
                    setattr(process, key, float(value))
            except (AttributeError, LookupError, TypeError, ValueError, RuntimeError) as exc:
                raise SimulationError(f"{self.mechanism} has no settable parameter {key!r}",
                                      key=self.where(f"parameters.{key}"), found=value) from exc
