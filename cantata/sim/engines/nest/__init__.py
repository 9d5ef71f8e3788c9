"""The NEST engine (BMTK's PointNet role): point neurons, virtual spike sources, NEST synapses.

Importing this package only registers the engine; NEST itself is imported when a simulation
chooses it (``target_simulator: "NEST"`` or ``model_template: "nest:..."`` node types).
"""

from __future__ import annotations

from cantata.sim.registry import EngineSpec, register_engine


def _load() -> type:
    from cantata.sim.engines.nest.engine import NestEngine

    return NestEngine


SPEC = register_engine(EngineSpec(
    name="nest",
    load=_load,
    simulators=("NEST", "pointnet", "nest-simulator"),
    template_prefixes=("nest",),
    model_types=("point_neuron",),
    description="NEST point-neuron networks (nest-simulator >= 3.8)",
))
