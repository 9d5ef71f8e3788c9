"""Cantata side of the S6 FilterNet benchmark: Cantata's filternet engine on the LGN network and
grating of :mod:`benchmarks.filter_network` (written first if missing).

    python -m benchmarks.filter_lgn [--work DIR]

What ``cantata run`` does: ``Simulation.from_config``, ``build``, ``run``. Phases: build (imports,
config, circuit, the movie and the units, up to the engine's "Evaluating" log record), rates (the
rest: evaluating the units on the movie, drawing the spikes, writing the rates and spike files).
``total_s`` is the wall time from the start of the script, imports included, to the files on
disk. The check values (:mod:`benchmarks.filter_rates`) are read from ``output/rates.h5``
afterwards.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import logging
from pathlib import Path

from benchmarks.filter_network import DEFAULT_OUT
from benchmarks.phase_clock import PhaseClock, now
from benchmarks.script_io import emit, work_parser

EVALUATING = "Evaluating"  # start of the engine's log record before it evaluates the units


class Stamp(logging.Handler):
    """Keeps the time of the first log record starting with ``prefix``."""

    def __init__(self, prefix: str) -> None:
        super().__init__(logging.INFO)
        self.prefix, self.at = prefix, None

    def emit(self, record: logging.LogRecord) -> None:
        if self.at is None and record.getMessage().startswith(self.prefix):
            self.at = now()


def main() -> None:
    args = work_parser(__doc__, DEFAULT_OUT, threads=False).parse_args()
    config = args.work / "config.json"
    if not config.is_file():
        raise SystemExit(f"{config} not found: write the network first (python -m benchmarks.filter_network "
                         f"--out {args.work})")
    from cantata.sim import Simulation
    from cantata.sim.runlog import log

    stamp = Stamp(EVALUATING)
    log.addHandler(stamp)
    sim = Simulation.from_config(config, progress=False)
    sim.build()
    result = sim.run()
    end = now()
    if stamp.at is None:
        raise SystemExit("the filternet engine logged no 'Evaluating' record: cannot split build and rates")
    clock = PhaseClock(START)
    clock.mark("build", stamp.at)
    clock.mark("rates", end)

    from benchmarks.filter_rates import rates_check

    output = Path(result.output_dir or args.work / "output")
    emit({"benchmark": "filternet", "tool": "cantata", **rates_check(output / "rates.h5"),
          "n_spikes": int(result.n_spikes), **clock.record()})


if __name__ == "__main__":
    main()
