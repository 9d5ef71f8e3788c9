"""Importing NEST quietly and setting up its kernel."""

from __future__ import annotations

import os
import warnings
from functools import cache
from types import ModuleType

from cantata.errors import SimulationError
from cantata.sim.launch import launched_ranks

__all__ = ["MIN_VERSION", "nest_module", "reset_kernel"]

MIN_VERSION = (3, 8)


@cache
def nest_module() -> ModuleType:
    """``import nest`` without its banner; a clear error if NEST is missing or too old."""
    os.environ.setdefault("PYNEST_QUIET", "1")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import nest
    except ImportError as exc:
        raise SimulationError(
            "the NEST simulator is not installed", key="target_simulator",
            expected="pip install nest-simulator (3.8 or newer)", found=str(exc),
        ) from None
    version = tuple(int(p) for p in str(getattr(nest, "__version__", "0.0")).split(".")[:2] if p.isdigit())
    if version < MIN_VERSION:
        raise SimulationError("this NEST is too old", expected=f"NEST >= {'.'.join(map(str, MIN_VERSION))}",
                              found=getattr(nest, "__version__", "unknown"))
    return nest


def set_verbosity(nest: ModuleType, quiet: bool) -> None:
    """NEST prints only errors when ``quiet``, warnings and errors otherwise."""
    if hasattr(nest, "VerbosityLevel"):  # NEST >= 3.10
        nest.verbosity = nest.VerbosityLevel.ERROR if quiet else nest.VerbosityLevel.WARNING
    else:
        nest.set_verbosity("M_ERROR" if quiet else "M_WARNING")


def reset_kernel(*, dt: float, threads: int, seed: int | None, quiet: bool) -> ModuleType:
    """A fresh NEST kernel with the run's resolution, threads and seed."""
    nest = nest_module()
    _check_one_process(nest)
    nest.ResetKernel()
    set_verbosity(nest, quiet)
    status: dict[str, object] = {"resolution": float(dt), "local_num_threads": int(threads), "print_time": False}
    if seed is not None:
        status["rng_seed"] = max(1, int(seed)) % (2**32 - 1) or 1  # NEST takes 1 .. 2**32-2
    try:
        nest.SetKernelStatus(status)
    except Exception as exc:  # noqa: BLE001 - NEST raises its own exception types
        raise SimulationError(f"NEST rejected the kernel settings: {exc}", key="run",
                              found={k: v for k, v in status.items() if k != "print_time"}) from None
    return nest


def _check_one_process(nest: ModuleType) -> None:
    """Cantata drives NEST in one process (threads, not MPI ranks): under ``mpirun`` each rank
    would run the whole network again and write the same files."""
    ranks = launched_ranks()
    if ranks > 1:
        build = nest.GetKernelStatus().get("build_info", {})
        mpi = "with" if build.get("have_mpi") else "without"
        raise SimulationError(
            "NEST runs in one process in Cantata", key="target_simulator",
            expected="one process (cantata run config.json without mpirun); set run.n_threads to use more cores",
            found=f"{ranks} MPI ranks (this NEST is built {mpi} MPI)",
        )
