"""S2, point network: the S1 10k network with ``iaf_psc_alpha`` cells, 1 s with Poisson input.

The network, its input spike trains and the config are written once by
``benchmarks/nest_network.py`` into the scenario's work folder; every side reads the same files.

* ``point_10k_pynest``: Cantata vs a direct PyNEST script of the same model, the engine-only
  floor (what Cantata's own overhead is measured against). Target (issue 5): Cantata's total
  at most 1.15 times the script's, i.e. throughput C/P at least 0.87.
* ``point_10k_bmtk``: Cantata on NEST vs BMTK PointNet (``.venv-peers``,
  ``benchmarks/nest_10k_bmtk.py``) on the same SONATA network and config (only the output
  folder differs). Target: Cantata at least 1.5 times faster in total (throughput C/P >= 1.5)
  and peak memory no higher than BMTK's (the peak RSS row's ratio at most 1).

All three build the same NEST nodes and connections with the same weights and delays and play
the same input spike file, so their spike counts must be identical, as must the cell and edge
counts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.scripts import counts_within, modules_missing, script_side
from benchmarks.spec import PEERS_ENV, Pair, Scenario

#: The scripts, by side (written with the NEST engine, cantata/sim/engines/nest).
CANTATA, BMTK, PYNEST = "benchmarks.nest_10k", "benchmarks.nest_10k_bmtk", "benchmarks.nest_10k_pynest"
CHECKS = ("n_nodes", "n_edges", "n_spikes")
PHASES = ("load", "instantiate", "simulate", "write", "total")
AGREE = counts_within({"n_nodes": 0.0, "n_edges": 0.0, "n_spikes": 0.0})
#: Issue 5's speed targets as minimum throughput C/P of the ``total`` phase.
PYNEST_TARGET, BMTK_TARGET = 0.87, 1.5
REQUIRES = ("cantata.sim.engines.nest", "nest")


WORK = ("--work", "{workdir}")


def prepare(params: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Write the network, inputs and config once (``benchmarks/nest_network.py``)."""
    from benchmarks.nest_network import ensure

    return {"info": ensure(workdir)}


def pairs(params: dict[str, Any]) -> list[Pair]:
    cantata = script_side("Cantata", CANTATA, args=WORK, check_keys=CHECKS, requires=REQUIRES)
    return [
        Pair("point_10k_pynest", cantata,
             script_side("PyNEST", PYNEST, args=WORK, check_keys=CHECKS, requires=("nest",)),
             phases=PHASES, agree=AGREE, min_throughput={"total": PYNEST_TARGET},
             description="10k iaf_psc_alpha cells, 1 s, Poisson input: "
                         "Cantata vs the same model as a direct PyNEST script"),
        Pair("point_10k_bmtk", cantata, script_side("BMTK", BMTK, env=PEERS_ENV, args=WORK, check_keys=CHECKS),
             phases=PHASES, agree=AGREE, min_throughput={"total": BMTK_TARGET},
             description="the same network and config run by BMTK PointNet"),
    ]


SCENARIO = Scenario(
    name="s2", title="S2 point network (NEST)",
    description="10k-cell point network, 1 s: Cantata vs BMTK PointNet and direct PyNEST",
    sizes={"full": {}}, pairs=pairs, prepare=f"{__name__}:prepare",
    available=lambda: modules_missing(*REQUIRES, "benchmarks.nest_network"), timeout=300.0,
)
