"""The popnet engine (BMTK PopNet's role): population density models of leaky
integrate-and-fire populations, as DiPDE computes them.

Importing this package registers the engine and its ``pop_rates`` input; the numerical code
is imported when a simulation chooses it (``target_simulator: "DiPDE"`` or ``"popnet"``, or
nodes with ``model_template: "dipde:..."``). See docs/engines/popnet.md.
"""

from __future__ import annotations

from cantata.sim.engines.population import inputs as _inputs  # noqa: F401  (registers csv/pop_rates)
from cantata.sim.registry import EngineSpec, register_engine


def _load() -> type:
    from cantata.sim.engines.population.engine import PopulationEngine

    return PopulationEngine


SPEC = register_engine(EngineSpec(
    name="popnet",
    load=_load,
    simulators=("DiPDE", "PopNet"),
    template_prefixes=("dipde",),
    model_types=("population",),
    description="population density models of LIF populations (BMTK PopNet / DiPDE role)",
))
