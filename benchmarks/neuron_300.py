"""Cantata side of the S3 biophysical benchmark: Cantata's NEURON engine on the SONATA files of
:mod:`benchmarks.neuron_network` (written first if missing), 500 ms simulated.

    python -m benchmarks.neuron_300 [--work DIR] [--ranks N]

With ``--ranks N`` (N > 1) the run happens under ``mpirun -n N`` (NEURON's own MPI; no mpi4py).
Prints one JSON object: phases (load, instantiate, simulate, write) of rank 0 and ``total_s``,
the wall time from the start of the script (imports included) to the spike file on disk, not
counting the one-off writing of the network and compiling of its mechanisms.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from benchmarks.cantata_run import n_edges, run_config
from benchmarks.neuron_network import DEFAULT_OUT, REPO, ensure
from benchmarks.script_io import peak_rss_mb, rounded


def run(work: Path) -> dict:
    """One rank's run; the JSON record (complete on rank 0)."""
    sim, result, seconds = run_config(work / "config.json")
    n_nodes = sum(pop.size for pop in sim.circuit.nodes.values())
    from cantata.sim.engines.neuron.hoc import parallel_context

    pc = parallel_context()
    memory = pc.py_gather(peak_rss_mb(), 0) if int(pc.nhost()) > 1 else [peak_rss_mb()]
    return {"benchmark": "bio_300", "tool": "cantata", "ranks": int(pc.nhost()), "n_nodes": n_nodes,
            "n_edges": n_edges(sim), "n_spikes": result.n_spikes, "seconds": rounded(seconds),
            "peak_rss_mb": None if memory is None else round(max(memory), 1),
            "rank": int(pc.id())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=DEFAULT_OUT, help="network folder")
    parser.add_argument("--ranks", type=int, default=1, help="MPI ranks (mpirun -n)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        record = run(args.work)
        if record["rank"] == 0:
            print(json.dumps(record), flush=True)
        return
    t = time.perf_counter()
    ensure(args.work)
    # compile the network's mechanisms into Cantata's cache once (not part of the timing)
    subprocess.run([sys.executable, "-m", "cantata", "compile", str(args.work / "components" / "mechanisms")],
                   check=True, stdout=subprocess.DEVNULL, cwd=REPO)
    preparing = time.perf_counter() - t
    if args.ranks <= 1:
        record = run(args.work)
    else:
        mpirun = shutil.which("mpirun")
        if mpirun is None:
            raise SystemExit("mpirun not found (Debian: apt-get install openmpi-bin)")
        env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                   OMPI_MCA_rmaps_base_oversubscribe="1")
        proc = subprocess.run([mpirun, "-n", str(args.ranks), sys.executable, "-m", "benchmarks.neuron_300",
                               "--work", str(args.work), "--worker"], capture_output=True, text=True, env=env,
                              cwd=REPO, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"mpirun failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
        record = json.loads(proc.stdout.strip().splitlines()[-1])
    record["total_s"] = round(time.perf_counter() - START - preparing, 4)
    print(json.dumps(record))


if __name__ == "__main__":
    main()
