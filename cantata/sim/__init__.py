"""Engine-agnostic simulation core: ``Simulation``, registries and the engine protocol.

Importing this package loads neither NEST nor NEURON; an engine's simulator is imported only
when a simulation picks that engine. Heavy submodules are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cantata.sim.registry import (
    add_weight_function,
    input_module,
    register_engine,
    report_module,
    synaptic_weight,
)

if TYPE_CHECKING:
    from cantata.sim.engine import CurrentSteps, Engine, Probe, ProbeRequest
    from cantata.sim.modules import InputModule, ReportModule
    from cantata.sim.simulation import Simulation, SimulationResult

__all__ = [
    "CurrentSteps",
    "Engine",
    "InputModule",
    "Probe",
    "ProbeRequest",
    "ReportModule",
    "Simulation",
    "SimulationResult",
    "add_weight_function",
    "input_module",
    "register_engine",
    "report_module",
    "synaptic_weight",
]

_LAZY = {
    "Simulation": "cantata.sim.simulation", "SimulationResult": "cantata.sim.simulation",
    "Engine": "cantata.sim.engine", "Probe": "cantata.sim.engine", "ProbeRequest": "cantata.sim.engine",
    "CurrentSteps": "cantata.sim.engine", "InputModule": "cantata.sim.modules",
    "ReportModule": "cantata.sim.modules",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cantata.sim' has no attribute {name!r}")
