"""The filternet engine (BMTK FilterNet's role): LGN receptive-field units on movies.

Importing this package registers the engine and its ``movie`` input (and the ``audio`` input
type, which it refuses with a clear error); the numerical code is imported when a simulation
chooses it (``target_simulator: "LGNModel"`` or ``"filternet"``). See docs/engines/filternet.md.
"""

from __future__ import annotations

from cantata.sim.engines.filter import inputs as _inputs  # noqa: F401  (registers input_types "movie", "audio")
from cantata.sim.engines.filter.outputs import filternet_outputs
from cantata.sim.registry import EngineSpec, register_engine


def _load() -> type:
    from cantata.sim.engines.filter.engine import FilterEngine

    return FilterEngine


SPEC = register_engine(EngineSpec(
    name="filternet",
    load=_load,
    simulators=("LGNModel", "FilterNet", "lgnmodel"),
    template_prefixes=("lgnmodel",),
    description="LGN linear-nonlinear-Poisson filter units on movies (BMTK FilterNet role)",
    outputs=filternet_outputs,
))
