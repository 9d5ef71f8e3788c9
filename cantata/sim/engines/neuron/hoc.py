"""Lazy access to NEURON's interpreter and its MPI-aware ParallelContext.

Importing this module does not import NEURON; :func:`hoc` does, on first call. When the process
was started by an MPI launcher with more than one rank (detected from the launcher's environment
variables, without importing any MPI binding), NEURON's own MPI is initialised before the first
:class:`ParallelContext` is created.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import os
import sys
from functools import cache
from typing import Any

from cantata.errors import SimulationError
from cantata.sim.launch import launched_ranks


@cache
def hoc() -> Any:
    """NEURON's ``h`` with ``stdrun.hoc`` and ``import3d.hoc`` loaded (MPI set up if launched so)."""
    try:
        from neuron import h
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SimulationError(
            "the NEURON engine needs the 'neuron' package",
            expected="pip install neuron (or cantata[neuron])",
            found=str(exc),
        ) from exc
    if launched_ranks() > 1:
        h.nrnmpi_init()
        atexit.register(_finalize_mpi)
    for lib in ("stdrun.hoc", "import3d.hoc"):
        if not h.load_file(lib):  # pragma: no cover - broken installation
            raise SimulationError(f"NEURON could not load {lib}", key="neuron")
    return h


@cache
def parallel_context() -> Any:
    """The process-wide ParallelContext (one per process, as NEURON expects)."""
    return hoc().ParallelContext()


def mechanism_names() -> tuple[set[str], set[str]]:
    """Names of the density mechanisms and of the point processes NEURON knows now."""
    h = hoc()
    out: list[set[str]] = []
    for kind in (0, 1):
        names: set[str] = set()
        mt = h.MechanismType(kind)
        ref = h.ref("")
        for i in range(int(mt.count())):
            mt.select(i)
            mt.selected(ref)
            names.add(ref[0])
        out.append(names)
    return out[0], out[1]


def _mpi_library() -> Any:
    """The MPI library NEURON loaded (its symbols are global), or None."""
    for name in (None, ctypes.util.find_library("mpi")):
        try:
            lib = ctypes.CDLL(name)
            lib.MPI_Finalize  # noqa: B018 - raises AttributeError if absent
            return lib
        except (OSError, AttributeError):
            continue
    return None


def _finalize_mpi() -> None:
    """At exit: wait for every rank, then end MPI (mpirun reports an error otherwise)."""
    lib = _mpi_library()
    if lib is None:  # pragma: no cover - NEURON then finalises in h.quit()
        parallel_context().barrier()
        hoc().quit()
        return
    done = ctypes.c_int(0)
    lib.MPI_Finalized(ctypes.byref(done))
    if not done.value:
        parallel_context().barrier()
        lib.MPI_Finalize()


def abort_ranks(status: int = 1) -> None:
    """After an error under MPI: print it, then end this process now so that mpirun stops the
    other ranks (they would otherwise wait forever in the next collective call)."""
    pc = parallel_context()
    if int(pc.nhost()) > 1:
        error = sys.exc_info()[1]
        if error is not None:
            print(f"cantata (rank {int(pc.id())}): error: {error}", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
