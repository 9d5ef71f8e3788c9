"""Direct PyNEST side of the S5 Brunel benchmark: the network of
:mod:`benchmarks.nest_brunel_network` built with plain PyNEST calls, run for 1 s on 1 thread,
spikes written with h5py. The floor Cantata's overhead is measured against.

The model is the SONATA files' own: connections, weights (``syn_weight`` x ``nsyns``) and
delays are read with h5py and the csv module and made with one array ``nest.Connect`` per edge
type; the virtual Poisson inputs are ``spike_train_injector``\\ s playing the same spike file.
So the result must be Cantata's spike for spike.

    python -m benchmarks.nest_brunel_pynest [--work DIR] [--threads N]

Phases: load (imports, files), instantiate (kernel, cells, injectors, connections, recorder),
simulate, write; ``total_s`` from the start of the script to the spike file on disk.
"""

from __future__ import annotations

import time

START = time.perf_counter()

from benchmarks.nest_brunel_network import DEFAULT_OUT, ensure
from benchmarks.pynest_main import run_direct


def main() -> None:
    run_direct(START, __doc__, DEFAULT_OUT, ensure, cells="brunel", inputs="ext", generator="spike_train_injector",
               benchmark="brunel")


if __name__ == "__main__":
    main()
