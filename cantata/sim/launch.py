"""How the process was launched: the number of MPI ranks, read from the launcher's environment
(no MPI library is imported)."""

from __future__ import annotations

import os

# Environment variables that MPI launchers set for every rank (Open MPI, MPICH/Hydra, PMIx, Slurm).
_MPI_SIZE_VARS = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS")


def launched_ranks() -> int:
    """Number of ranks the MPI launcher started, from its environment; 1 outside MPI."""
    for var in _MPI_SIZE_VARS:
        value = os.environ.get(var)
        if value and value.isdigit():
            return int(value)
    return 1
