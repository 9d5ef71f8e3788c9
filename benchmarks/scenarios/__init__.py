"""The benchmark scenarios, one module each, in the order ``make bench`` runs them.

Each module defines ``SCENARIO`` (a :class:`benchmarks.harness.Scenario`). Importing a scenario
module imports neither Cantata nor an engine: its sides do that in their own processes.
"""

from __future__ import annotations

import importlib

from benchmarks.spec import Scenario

#: Scenario name -> module, in run order. ``toy`` is the harness's self-check, not run by default.
MODULES: dict[str, str] = {
    "s1": "benchmarks.scenarios.s1_build",
    "s2": "benchmarks.scenarios.s2_point",
    "s3": "benchmarks.scenarios.s3_biophysical",
    "s4": "benchmarks.scenarios.s4_sonata_io",
    "s5": "benchmarks.scenarios.s5_brunel",
    "s6": "benchmarks.scenarios.s6_filternet",
    "s7": "benchmarks.scenarios.s7_netpyne",
    "s8": "benchmarks.scenarios.s8_popnet",
    "toy": "benchmarks.scenarios.toy",
}
DEFAULT = ("s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8")


def get(name: str) -> Scenario:
    """The scenario called ``name`` (KeyError naming the known ones otherwise)."""
    if name not in MODULES:
        raise KeyError(f"unknown scenario {name!r}; known: {', '.join(MODULES)}")
    return importlib.import_module(MODULES[name]).SCENARIO
