"""S5, Brunel balanced network: 12,500 cells, about 15.6M synapses, 1 s.

``brunel``: Cantata on NEST (the network as SONATA) vs a direct PyNEST script of the same
model. Spike counts must agree within 5 % (the tools' random draws differ); cells exactly,
synapses within 1 %.
"""

from __future__ import annotations

from typing import Any

from benchmarks.spec import Pair, Scenario
from benchmarks.scripts import counts_within, modules_missing, script_side

#: The scripts, by side (written with the NEST engine, cantata/sim/engines/nest).
CANTATA, PYNEST = "benchmarks.nest_brunel", "benchmarks.nest_brunel_pynest"
CHECKS = ("n_nodes", "n_edges", "n_spikes")
PHASES = ("build", "load", "instantiate", "simulate", "write", "total")
REQUIRES = ("cantata.sim.engines.nest", "nest")


def pairs(params: dict[str, Any]) -> list[Pair]:
    return [
        Pair("brunel", script_side("Cantata", CANTATA, check_keys=CHECKS, requires=REQUIRES),
             script_side("PyNEST", PYNEST, check_keys=CHECKS, requires=("nest",)),
             phases=PHASES, agree=counts_within({"n_nodes": 0.0, "n_edges": 0.01, "n_spikes": 0.05}),
             description="12,500 cells, ~15.6M synapses, 1 s"),
    ]


SCENARIO = Scenario(
    name="s5", title="S5 Brunel balanced network (NEST)",
    description="Brunel network, 12,500 cells, 1 s: Cantata vs direct PyNEST",
    sizes={"full": {}}, pairs=pairs, available=lambda: modules_missing(*REQUIRES), timeout=300.0,
)
