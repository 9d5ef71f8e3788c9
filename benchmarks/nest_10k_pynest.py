"""Direct PyNEST side of the S2 point-network benchmark: the model of
:mod:`benchmarks.nest_network` built with plain PyNEST calls (files read with h5py and the csv
module, array ``nest.Connect`` per edge type, one ``spike_generator`` per input), run for 1 s,
spikes written with h5py. The floor Cantata's overhead is measured against.

    python -m benchmarks.nest_10k_pynest [--work DIR] [--threads N]
"""

from __future__ import annotations

import time

START = time.perf_counter()

from benchmarks.nest_network import DEFAULT_OUT, ensure
from benchmarks.pynest_main import run_direct


def main() -> None:
    run_direct(START, __doc__, DEFAULT_OUT, ensure, cells="v1", inputs="lgn", generator="spike_generator",
               benchmark="point_10k")


if __name__ == "__main__":
    main()
