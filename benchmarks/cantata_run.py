"""Cantata's ``run`` of a SONATA config in the timed phases every Cantata simulation side reports.

Imports Cantata only when called (the scripts time that import as part of loading).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any


def run_config(config: Path, **options: Any) -> tuple[Any, Any, dict[str, float]]:
    """``(simulation, result, seconds)`` of ``Simulation.from_config(config, **options)``.

    Phases: load (import, config, circuit), instantiate (``build``), simulate (the engine's
    run time) and write (the rest of ``run``: the output files).
    """
    seconds = {}
    t = time.perf_counter()
    from cantata.sim import Simulation

    sim = Simulation.from_config(config, progress=False, **options)
    seconds["load"] = time.perf_counter() - t
    t = time.perf_counter()
    sim.build()
    seconds["instantiate"] = time.perf_counter() - t
    t = time.perf_counter()
    result = sim.run()
    seconds["simulate"] = result.run_seconds
    seconds["write"] = time.perf_counter() - t - result.run_seconds
    return sim, result, seconds


def n_edges(sim: Any) -> int:
    """Edges of every population of the simulation's circuit."""
    return sum(pop.size for pop in sim.circuit.edges.values())
