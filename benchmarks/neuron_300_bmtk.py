"""BMTK BioNet side of the S3 biophysical benchmark: the network of
:mod:`benchmarks.neuron_network` run with BMTK 1.2 (``.venv-peers``), 500 ms simulated.

    python -m benchmarks.neuron_300_bmtk [--work DIR]

Phases: load (config, network files), instantiate (``BioSimulator.from_config``: cells, axon
stubs, synapses, inputs), simulate (``sim.run``, which also writes the spike file; ``write``
is therefore 0). ``total_s`` is the wall time from the start of the script, imports included.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import shutil
import subprocess
import sys
from pathlib import Path

from benchmarks.neuron_network import DEFAULT_OUT, ensure
from benchmarks.script_io import emit, rounded, work_parser


def mechanisms(work: Path) -> None:
    """BMTK's mechanisms folder: the network's channels plus BMTK's own ``vecevent.mod`` (its
    virtual cells need ``VecStim``), compiled once with this environment's ``nrnivmodl``."""
    folder = work / "components" / "mechanisms_bmtk"
    if any(folder.glob("*/libnrnmech.so")):
        return
    import bmtk

    modfiles = folder / "modfiles"
    modfiles.mkdir(parents=True, exist_ok=True)
    for mod in (work / "components" / "mechanisms" / "modfiles").glob("*.mod"):
        shutil.copy2(mod, modfiles)
    bundled = Path(bmtk.__file__).parent / "utils" / "scripts" / "bionet" / "mechanisms" / "modfiles"
    shutil.copy2(bundled / "vecevent.mod", modfiles)
    nrnivmodl = Path(sys.executable).parent / "nrnivmodl"
    subprocess.run([str(nrnivmodl), "modfiles"], cwd=folder, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def main() -> None:
    args = work_parser(__doc__, DEFAULT_OUT, threads=False).parse_args()
    t = time.perf_counter()
    info = ensure(args.work)
    mechanisms(args.work)
    shutil.rmtree(args.work / "output_bmtk", ignore_errors=True)  # BMTK will not replace a spike file
    preparing = time.perf_counter() - t

    seconds = {}
    t = time.perf_counter()
    from bmtk.simulator import bionet

    conf = bionet.Config.from_json(str(args.work / "config_bmtk.json"), validate=True)
    conf.build_env()
    net = bionet.BioNetwork.from_config(conf)
    seconds["load"] = time.perf_counter() - t
    t = time.perf_counter()
    sim = bionet.BioSimulator.from_config(conf, network=net)
    seconds["instantiate"] = time.perf_counter() - t
    t = time.perf_counter()
    sim.run()
    seconds["simulate"] = time.perf_counter() - t
    seconds["write"] = 0.0

    import h5py

    with h5py.File(args.work / "output_bmtk" / "spikes.h5") as f:
        n_spikes = sum(group["timestamps"].shape[0] for group in f["spikes"].values())
    total = time.perf_counter() - START - preparing
    emit({"benchmark": "bio_300", "tool": "bmtk", "n_nodes": info["n_nodes"], "n_edges": info["n_edges"],
          "n_spikes": int(n_spikes), "seconds": rounded(seconds), "total_s": round(total, 4)})


if __name__ == "__main__":
    main()
