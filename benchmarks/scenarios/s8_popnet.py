"""S8, PopNet: population-density E-I populations vs a NEST Monte-Carlo run of the same neurons.

The populations (``benchmarks/popnet_network.py``: the recurrent E-I network of
tests/test_popnet_montecarlo.py, 1 s at size ``full``) are written once as a SONATA network and
config for Cantata and as ``populations.json`` for the NEST side.

* ``popnet_montecarlo``: Cantata's popnet engine (``benchmarks/popnet_density.py``, what
  ``cantata run`` does: one density per population on a 0.05 mV grid, 0.1 ms steps) vs the same
  populations as 12,500 ``iaf_psc_delta`` neurons simulated by NEST through PyNEST
  (``benchmarks/popnet_nest.py``). Phases: build, simulate, total.

The two methods differ: the density run's cost does not depend on the number of neurons it
stands for, the Monte-Carlo run's grows with it, and its rates carry a sampling error that
shrinks as 1/sqrt(neurons x time). So there is no speed target; the ratio is documented with
the Monte-Carlo size it holds for. Agreement: each population's steady-state rate (150 ms to
the end) within 5 % (10 % at size ``tiny``, whose Monte-Carlo error is larger), the tolerance of
the test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.cpu_scripts import cpu_script_side
from benchmarks.popnet_network import SIZES
from benchmarks.scripts import counts_within, modules_missing
from benchmarks.spec import Pair, Scenario

#: The scripts, by side.
CANTATA, NEST = "benchmarks.popnet_density", "benchmarks.popnet_nest"
CHECKS = ("rate_E", "rate_I")
PHASES = ("build", "simulate", "write", "total")
TOLERANCE = {"full": 0.05, "small": 0.05, "tiny": 0.10}
WORK = ("--work", "{workdir}")


def prepare(params: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Write the network, the config and ``populations.json`` once (``benchmarks/popnet_network.py``)."""
    from benchmarks.popnet_network import ensure

    return {"info": ensure(workdir, params["size"])}


def pairs(params: dict[str, Any]) -> list[Pair]:
    dims, tolerance = SIZES[params["size"]], TOLERANCE[params["size"]]
    return [
        Pair("popnet_montecarlo",
             cpu_script_side("Cantata", CANTATA, args=WORK, check_keys=CHECKS,
                         requires=("cantata.sim.engines.population",)),
             cpu_script_side("NEST", NEST, args=WORK, check_keys=CHECKS, requires=("nest",)),
             phases=PHASES, agree=counts_within(dict.fromkeys(CHECKS, tolerance)),
             description=f"E-I populations, {dims['tstop']:g} ms: Cantata's density solution vs NEST with "
                         f"{dims['n_E']:,} + {dims['n_I']:,} neurons (rates within {tolerance:.0%})"),
    ]


SCENARIO = Scenario(
    name="s8", title="S8 PopNet (population density vs NEST Monte-Carlo)",
    description="recurrent E-I populations: Cantata's popnet engine vs 12,500 NEST neurons",
    sizes={name: {} for name in SIZES}, pairs=pairs, prepare=f"{__name__}:prepare",
    available=lambda: modules_missing("cantata.sim.engines.population", "nest", "benchmarks.popnet_network"),
    timeout=600.0,
)
