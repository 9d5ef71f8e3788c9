"""S3, biophysical network: 300 cells of a few Allen-like types, about 36k synapses, 0.5 s.

The network, inputs and configs are written once by ``benchmarks/neuron_network.py`` into the
scenario's work folder; every side reads the same files.

* ``bio_300_bmtk``: Cantata on NEURON vs BMTK BioNet (``.venv-peers``), one rank each.
* ``bio_300_mpi``: Cantata with 2 MPI ranks (``mpirun -n 2``, NEURON's own MPI) vs Cantata with
  1 (the peer column is 1 rank); both of the machine's cores. Peak memory is the largest
  process's (``wait4`` of the launcher), not the sum over ranks.

Every side reads the same input spike file, but the tools may order or sum synaptic events
differently, so spike counts must agree within 5 % (they were identical when first run); cell
and synapse counts exactly.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from benchmarks.scripts import counts_within, modules_missing, script_side
from benchmarks.spec import PEERS_ENV, Pair, Scenario

#: The scripts, by side (written with the NEURON engine, cantata/sim/engines/neuron).
CANTATA, BMTK = "benchmarks.neuron_300", "benchmarks.neuron_300_bmtk"
CHECKS = ("n_nodes", "n_edges", "n_spikes")
PHASES = ("load", "instantiate", "simulate", "write", "total")
AGREE = counts_within({"n_nodes": 0.0, "n_edges": 0.0, "n_spikes": 0.05})
REQUIRES = ("cantata.sim.engines.neuron", "neuron")


WORK = ("--work", "{workdir}")


def prepare(params: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Write the network, inputs and configs once (``benchmarks/neuron_network.py``)."""
    from benchmarks.neuron_network import ensure

    return {"info": ensure(workdir)}


def _mpirun_missing() -> str | None:
    return None if shutil.which("mpirun") else "mpirun not found (Debian: apt-get install openmpi-bin)"


def pairs(params: dict[str, Any]) -> list[Pair]:
    one_rank = script_side("Cantata", CANTATA, args=WORK, check_keys=CHECKS, requires=REQUIRES)
    two_ranks = script_side("Cantata 2 ranks", CANTATA, args=(*WORK, "--ranks", "2"), check_keys=CHECKS,
                            requires=REQUIRES, extra_check=_mpirun_missing)
    return [
        Pair("bio_300_bmtk", one_rank,
             # BMTK appends to an existing spike file and fails: start each run without it.
             script_side("BMTK", BMTK, env=PEERS_ENV, args=WORK, check_keys=CHECKS, clean=("output_bmtk",)),
             phases=PHASES, agree=AGREE, description="300 biophysical cells, ~36k synapses, 0.5 s"),
        Pair("bio_300_mpi", two_ranks, one_rank, phases=PHASES, agree=AGREE,
             description="Cantata on 2 MPI ranks (C) vs 1 rank (P)"),
    ]


SCENARIO = Scenario(
    name="s3", title="S3 biophysical network (NEURON)",
    description="300 biophysical cells, 0.5 s: Cantata vs BMTK BioNet, and 2 MPI ranks vs 1",
    sizes={"full": {}}, pairs=pairs, prepare=f"{__name__}:prepare",
    available=lambda: modules_missing(*REQUIRES, "benchmarks.neuron_network"), timeout=300.0,
)
