"""BMTK FilterNet side of the S6 benchmark: the LGN network, grating and config of
:mod:`benchmarks.filter_network` run with BMTK 1.2 (``.venv-peers``).

    python -m benchmarks.filter_lgn_bmtk [--work DIR]

BMTK's standard FilterNet script (``Config.from_json`` -> ``build_env`` ->
``FilterNetwork.from_config`` -> ``FilterSimulator.from_config`` -> ``run``) on a copy of
``config.json`` (``config.bmtk.json``, beside it) whose only change is ``output.output_dir``:
``bmtk_output/`` in the work folder. The harness removes that folder before each run (the side's
``clean`` setting); the script refuses to start when it exists and stops before ``build_env``
unless BMTK resolved exactly that folder.

Phases: build (imports, config, network, the movie and the cells: everything up to ``run``),
rates (``run``: evaluating every cell on the movie, drawing the spikes, writing the rates and spike
files). ``total_s`` is the wall time from the start of the script, imports included, to the files
on disk. The check values (:mod:`benchmarks.filter_rates`) are read afterwards.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import json
from pathlib import Path

from benchmarks.filter_network import DEFAULT_OUT
from benchmarks.phase_clock import PhaseClock
from benchmarks.script_io import emit, work_parser

OUTPUT = "bmtk_output"


def config_copy(work: Path, out: Path) -> Path:
    """``config.json`` with ``output.output_dir`` set to ``out``, written beside it."""
    config = json.loads((work / "config.json").read_text())
    config["output"]["output_dir"] = str(out)
    copy = work / "config.bmtk.json"
    copy.write_text(json.dumps(config, indent=2) + "\n")
    return copy


def main() -> None:
    args = work_parser(__doc__, DEFAULT_OUT, threads=False).parse_args()
    clock = PhaseClock(START)
    clock.mark("build")  # the imports above
    work = args.work.resolve()
    if not (work / "config.json").is_file():
        raise SystemExit(f"{work / 'config.json'} not found: write the network first "
                         f"(python -m benchmarks.filter_network --out {work})")
    out = work / OUTPUT
    if out.exists():
        raise SystemExit(f"refusing to run BMTK: {out} exists (BMTK would write into or delete it)")
    config = config_copy(work, out)
    clock.skip()

    from bmtk.simulator import filternet

    conf = filternet.Config.from_json(str(config))
    if Path(conf.output_dir).resolve() != out:
        raise SystemExit(f"refusing to run BMTK: it resolved output_dir to {conf.output_dir}, not {out}")
    conf.build_env()
    net = filternet.FilterNetwork.from_config(conf)
    sim = filternet.FilterSimulator.from_config(conf, net)
    clock.mark("build")
    sim.run()
    clock.mark("rates")

    from benchmarks.filter_rates import rates_check

    with open(out / "spikes.csv") as spikes:
        n_spikes = sum(1 for _ in spikes) - 1
    emit({"benchmark": "filternet", "tool": "bmtk", **rates_check(out / "rates.h5"), "n_spikes": n_spikes,
          **clock.record()})


if __name__ == "__main__":
    main()
