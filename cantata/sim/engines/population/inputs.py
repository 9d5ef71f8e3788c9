"""``input_type: csv, module: pop_rates`` (BMTK PopNet's rates input) for the popnet engine.

Keys: ``rates`` (the csv, see :mod:`cantata.sim.engines.population.rates`) and ``node_set``
(the external nodes it drives; each node type of the set takes the row whose ``gid`` is its
``node_type_id``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from cantata.sim.engines.population.rates import read_pop_rates
from cantata.sim.modules import InputModule
from cantata.sim.registry import input_module

if TYPE_CHECKING:
    from cantata.sim.simulation import Simulation

__all__ = ["PopRatesInput"]


@input_module("csv", ["pop_rates", None], engine="popnet")
class PopRatesInput(InputModule):
    """One ``pop_rates`` block."""

    def __init__(self, name: str, params: dict[str, Any], *, config_file: Any = None) -> None:
        super().__init__(name, params, config_file=config_file)
        module = params.get("module", "pop_rates")
        if module not in ("pop_rates", None):
            raise self.error("unknown csv input module for the popnet engine", "module", expected="pop_rates",
                             found=module)
        path = self.param("rates", expected="the path of a rates csv (columns gid, firing_rate)")
        if not isinstance(path, str) or not path:
            raise self.error("must be a file path", "rates", found=path)
        self.path = Path(path)
        self.param("node_set", expected="the external nodes these rates drive")

    def setup(self, sim: Simulation) -> None:
        rates = read_pop_rates(self.path, key=self.where("rates"))
        targets = sim.resolve_nodes(self.params["node_set"], where=self.where("node_set"))
        if not targets:
            raise self.error("the node set selects no nodes", "node_set", found=self.params["node_set"])
        set_rates = getattr(sim.engine, "set_external_rates", None)
        if set_rates is None:
            raise self.error(f"pop_rates inputs need the popnet engine, not {sim.engine.name}", "module")
        for population, node_ids in targets.items():
            set_rates(population, node_ids, rates, where=self.where(), source=self.path)
