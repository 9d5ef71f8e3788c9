"""NEST side of the S8 PopNet benchmark: a Monte-Carlo run of the populations of
:mod:`benchmarks.popnet_network` (``populations.json``), driven directly through PyNEST.

    python -m benchmarks.popnet_nest [--work DIR]

Each population is ``n`` ``iaf_psc_delta`` neurons with DiPDE's parameters (rest and reset 0 mV,
threshold 20 mV, ``V_min`` -50 mV, no refractory period); connections by NEST's
``fixed_indegree`` rule with the populations' in-degrees, jumps and delay; one
``poisson_generator`` per population gives every neuron its own Poisson input. 0.1 ms resolution,
one thread, seed fixed. Phases: build (importing NEST, the kernel, ``Create``, ``Connect``),
simulate (``nest.Simulate``). ``total_s`` is the wall time from the start of the script,
imports included. Check values: each population's mean rate from ``steady_from_ms`` to the end,
with its standard error (counts taken as Poisson) in the record.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import json
import math

from benchmarks.phase_clock import PhaseClock
from benchmarks.popnet_network import DEFAULT_OUT
from benchmarks.script_io import emit, work_parser

SEED = 20241124


def main() -> None:
    args = work_parser(__doc__, DEFAULT_OUT, threads=False).parse_args()
    clock = PhaseClock(START)
    spec = json.loads((args.work / "populations.json").read_text())
    import nest

    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": 0.1, "rng_seed": SEED, "local_num_threads": 1})
    cells, recorders = {}, {}
    for name, pop in spec["populations"].items():
        cells[name] = nest.Create("iaf_psc_delta", pop["n"], params={
            "E_L": 0.0, "V_reset": 0.0, "V_m": 0.0, "V_th": spec["v_th_mv"], "V_min": spec["v_min_mv"],
            "tau_m": pop["tau_m_ms"], "t_ref": 0.0, "I_e": 0.0})
        drive = nest.Create("poisson_generator", params={"rate": pop["ext_rate_hz"]})
        nest.Connect(drive, cells[name], syn_spec={"weight": spec["w_ext_mv"], "delay": 0.1})
    for edge in spec["edges"]:
        nest.Connect(cells[edge["source"]], cells[edge["target"]], {"rule": "fixed_indegree", "indegree": edge["indegree"]},
                     {"weight": edge["weight_mv"], "delay": spec["delay_ms"]})
    for name in cells:
        recorders[name] = nest.Create("spike_recorder")
        nest.Connect(cells[name], recorders[name])
    clock.mark("build")
    nest.Simulate(spec["tstop_ms"])
    clock.mark("simulate")
    rates, errors = {}, {}
    span = (spec["tstop_ms"] - spec["steady_from_ms"]) / 1e3
    for name, pop in spec["populations"].items():
        times = recorders[name].get("events")["times"]
        count = int((times > spec["steady_from_ms"]).sum())
        rates[f"rate_{name}"] = round(count / pop["n"] / span, 6)
        errors[f"rate_{name}_se"] = round(math.sqrt(max(count, 1)) / pop["n"] / span, 6)
    emit({"benchmark": "popnet", "tool": "nest", **rates, **errors,
          "n_neurons": sum(p["n"] for p in spec["populations"].values()),
          **clock.record()})


if __name__ == "__main__":
    main()
