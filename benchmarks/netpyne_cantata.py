"""Cantata side of the S7 NetPyNE benchmark: the model of :mod:`benchmarks.netpyne_model`
(``spec.json``) run by ``cantata.specs``, as a NetPyNE script does with Cantata's import line.

    python -m benchmarks.netpyne_cantata [--work DIR]

Phases: import (``cantata.specs``), create (``specs.NetParams``/``SimConfig`` from the dicts,
``sim.create``: checking and expanding the rules and writing the SONATA circuit into
``cantata_model/``; then loading that config and building the NEURON cells, synapses and
inputs: everything NetPyNE's ``sim.create`` does before a run), simulate (the run and the
results in NetPyNE's ``simData`` form: what ``sim.simulate`` adds). ``sim.simulate()`` does the
same load, build and run in one call; here they are split to time them. ``total_s`` is the wall
time from the start of the script, imports included.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import json

from benchmarks.netpyne_model import DEFAULT_OUT
from benchmarks.phase_clock import PhaseClock
from benchmarks.script_io import emit, work_parser


def main() -> None:
    args = work_parser(__doc__, DEFAULT_OUT, threads=False).parse_args()
    clock = PhaseClock(START)
    clock.mark("import")  # the script's own imports
    model = json.loads((args.work / "spec.json").read_text())
    clock.skip()
    from cantata.specs import sim, specs

    clock.mark("import")
    net_params, sim_config = specs.NetParams(model["netParams"]), specs.SimConfig(model["simConfig"])
    config = sim.create(net_params, sim_config, folder=args.work / "cantata_model")
    from cantata.sim import Simulation

    simulation = Simulation.from_config(config, progress=False)
    simulation.build()
    clock.mark("create")
    result = simulation.run()
    data = sim.results(sim.model, result.spikes, {})
    clock.mark("simulate")

    from benchmarks.netpyne_counts import spike_check

    n_conns = sum(edges.size for edges in simulation.circuit.edges.values())
    emit({"benchmark": "netpyne", "tool": "cantata", **spike_check(data["spkid"], data["spkt"], sim.net["pops"]),
          "n_conns": int(n_conns), "run_seconds": round(result.run_seconds, 4),
          **clock.record()})


if __name__ == "__main__":
    main()
