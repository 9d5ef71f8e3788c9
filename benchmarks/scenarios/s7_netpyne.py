"""S7, NetPyNE specs: a deterministic E-I network of a few hundred HH cells in NetPyNE's dicts.

The model (``benchmarks/netpyne_model.py``: HH pyramidal cells and interneurons, ``Exp2Syn``
synapses, VecStim Poisson background, ``connList`` and full rules, a noise-free NetStim
stimulation) is written once as ``spec.json`` in the scenario's work folder; both sides read it.

* ``netpyne_specs``: ``cantata.specs`` (``benchmarks/netpyne_cantata.py``: ``sim.create`` writes
  the SONATA circuit, Cantata's NEURON engine builds and runs it) vs NetPyNE 1.1.1
  (``.venv-peers``, ``benchmarks/netpyne_peer.py``: ``sim.create``, ``sim.simulate``). Phases:
  import, create (the network built in NEURON, ready to run), simulate (run and results), total.
  Targets: Cantata's create at least 2 times faster (throughput C/P >= 2), its total no slower
  (throughput C/P >= 1).

Nothing in the model is random at run time, and both build the same NEURON model, so the spike
counts per population and the sum of all spike times must be identical (the times to 1e-9
relative), as must the number of connections.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.cpu_scripts import cpu_script_side
from benchmarks.netpyne_model import SIZES
from benchmarks.scripts import modules_missing
from benchmarks.spec import PEERS_ENV, Pair, Scenario

#: The scripts, by side.
CANTATA, NETPYNE = "benchmarks.netpyne_cantata", "benchmarks.netpyne_peer"
CHECKS = ("n_spikes", "n_spikes_E", "n_spikes_I", "n_spikes_bkg", "spike_time_sum", "n_conns")
PHASES = ("import", "create", "simulate", "total")
#: Speed targets as minimum throughput C/P.
TARGETS = {"create": 2.0, "total": 1.0}
REQUIRES = ("cantata.specs", "cantata.sim.engines.neuron", "neuron")
WORK = ("--work", "{workdir}")


def prepare(params: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Write ``spec.json`` once (``benchmarks/netpyne_model.py``)."""
    from benchmarks.netpyne_model import ensure

    return {"info": ensure(workdir, params["size"])}


def pairs(params: dict[str, Any]) -> list[Pair]:
    dims = SIZES[params["size"]]
    return [
        Pair("netpyne_specs",
             cpu_script_side("Cantata", CANTATA, args=WORK, check_keys=CHECKS, requires=REQUIRES),
             cpu_script_side("NetPyNE", NETPYNE, env=PEERS_ENV, args=WORK, check_keys=CHECKS),
             phases=PHASES, min_throughput=TARGETS,
             description=f"{dims['n_e'] + dims['n_i']} HH cells ({dims['n_e']} E, {dims['n_i']} I), "
                         f"{dims['n_bkg']} VecStim inputs, Exp2Syn, {dims['duration']:g} ms: "
                         "cantata.specs vs NetPyNE"),
    ]


SCENARIO = Scenario(
    name="s7", title="S7 NetPyNE specs (NEURON)",
    description="a NetPyNE model of 300 HH cells: cantata.specs (SONATA + Cantata's NEURON engine) vs NetPyNE",
    sizes={name: {} for name in SIZES}, pairs=pairs, prepare=f"{__name__}:prepare",
    available=lambda: modules_missing(*REQUIRES, "benchmarks.netpyne_model"), timeout=600.0,
)
