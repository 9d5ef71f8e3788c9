"""S5, Brunel balanced network: 12,500 cells, 15,625,000 recurrent synapses, 1 s.

The network (NEST's ``brunel_delta_nest.py`` model built with Cantata's ``FixedInDegree``
rules), its virtual Poisson inputs and the config are written once by
``benchmarks/nest_brunel_network.py`` into the scenario's work folder; both sides read the same
files.

* ``brunel``: Cantata on NEST (``benchmarks/nest_brunel.py``, what ``cantata run`` does) vs a
  direct PyNEST script of the same model (``benchmarks/nest_brunel_pynest.py``: h5py reads,
  array ``nest.Connect``, ``spike_train_injector`` inputs). Same connections, weights, delays
  and input spikes, so the spike counts must be identical, as must the cell and synapse counts.
* ``brunel_native``: Cantata vs the model as a NEST user writes it without files
  (``benchmarks/nest_brunel_native.py``: NEST's ``fixed_indegree`` rule and one
  ``poisson_generator``). NEST draws its own connections and input trains, so only the cell and
  recurrent synapse counts must be equal; the spike counts must agree within 5 % (within 15 % at
  size ``tiny``, whose 20 inputs per cell from a pool of 100 are strongly shared).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.scripts import counts_within, modules_missing, script_side
from benchmarks.spec import Pair, Scenario

#: The scripts, by side (written with the NEST engine, cantata/sim/engines/nest).
CANTATA, PYNEST = "benchmarks.nest_brunel", "benchmarks.nest_brunel_pynest"
NATIVE = "benchmarks.nest_brunel_native"
CHECKS = ("n_nodes", "n_edges", "n_spikes")
NATIVE_CHECKS = ("n_cells", "n_recurrent_edges", "n_spikes")
PHASES = ("load", "instantiate", "simulate", "write", "total")
REQUIRES = ("cantata.sim.engines.nest", "nest")
WORK = ("--work", "{workdir}")


def prepare(params: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Build the network, inputs and config once (``benchmarks/nest_brunel_network.py``)."""
    from benchmarks.nest_brunel_network import ensure

    return {"info": ensure(workdir, params["size"])}


def pairs(params: dict[str, Any]) -> list[Pair]:
    return [
        Pair("brunel", script_side("Cantata", CANTATA, args=WORK, check_keys=CHECKS, requires=REQUIRES),
             script_side("PyNEST", PYNEST, args=WORK, check_keys=CHECKS, requires=("nest",)),
             phases=PHASES, agree=counts_within({"n_nodes": 0.0, "n_edges": 0.0, "n_spikes": 0.0}),
             description="12,500 iaf_psc_delta cells, 15.6M recurrent synapses, 2,500 Poisson inputs, 1 s: "
                         "Cantata vs the same model as a direct PyNEST script"),
        Pair("brunel_native", script_side("Cantata", CANTATA, args=WORK, check_keys=NATIVE_CHECKS, requires=REQUIRES),
             script_side("NEST native", NATIVE, args=WORK, check_keys=NATIVE_CHECKS, requires=("nest",)),
             phases=PHASES, agree=counts_within({"n_cells": 0.0, "n_recurrent_edges": 0.0,
                                                 "n_spikes": params["native_tolerance"]}),
             description="the same model written for NEST directly (fixed_indegree, poisson_generator), "
                         "no files: NEST's own random draws, spike counts compared statistically"),
    ]


SCENARIO = Scenario(
    name="s5", title="S5 Brunel balanced network (NEST)",
    description="Brunel network, 12,500 cells, 1 s: Cantata vs direct PyNEST (same files) and NEST native",
    sizes={"full": {"native_tolerance": 0.05}, "tiny": {"native_tolerance": 0.15}}, pairs=pairs,
    prepare=f"{__name__}:prepare",
    available=lambda: modules_missing(*REQUIRES, "benchmarks.nest_brunel_network"), timeout=300.0,
)
