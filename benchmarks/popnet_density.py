"""Cantata side of the S8 PopNet benchmark: Cantata's popnet engine (population density) on the
network and config of :mod:`benchmarks.popnet_network`.

    python -m benchmarks.popnet_density [--work DIR]

What ``cantata run`` does. Phases: build (imports, config, circuit, the density grids and
operators), simulate (the engine's time stepping), write (the rest of ``run``: the rates file).
``total_s`` is the wall time from the start of the script, imports included. Check values: each
population's mean rate from ``steady_from_ms`` to the end, read from the rates file afterwards.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import json
from pathlib import Path

from benchmarks.phase_clock import PhaseClock, now
from benchmarks.popnet_network import DEFAULT_OUT
from benchmarks.script_io import emit, work_parser


def steady_rates(rates_file: Path, node_types: Path, from_ms: float) -> dict[str, float]:
    """``rate_<pop_name>``: mean rate (Hz) of each population from ``from_ms`` on."""
    import numpy as np
    import pandas as pd

    names = pd.read_csv(node_types, sep=" ").set_index("node_type_id")["pop_name"].to_dict()
    table = np.loadtxt(rates_file, ndmin=2)
    out = {}
    for key in np.unique(table[:, 0]).astype(int).tolist():
        rows = table[(table[:, 0] == key) & (table[:, 1] * 1e3 > from_ms)]
        out[f"rate_{names[key]}"] = round(float(rows[:, 2].mean()), 6)
    return out


def main() -> None:
    args = work_parser(__doc__, DEFAULT_OUT, threads=False).parse_args()
    from cantata.sim import Simulation

    sim = Simulation.from_config(args.work / "config.json", progress=False)
    sim.build()
    clock = PhaseClock(START)
    clock.mark("build")
    run_start = now()
    result = sim.run()
    # the engine's stepping is result.run_seconds of the run; the rest of it writes the rates
    clock.mark("simulate", (run_start[0] + result.run_seconds, time.process_time()))
    clock.mark("write")
    populations = json.loads((args.work / "populations.json").read_text())
    output = Path(result.output_dir or args.work / "output")
    emit({"benchmark": "popnet", "tool": "cantata",
          **steady_rates(output / "rates.csv", args.work / "network" / "internal_node_types.csv",
                         populations["steady_from_ms"]),
          **clock.record()})


if __name__ == "__main__":
    main()
