"""Loading the NMODL mechanisms a simulation needs.

``components.mechanisms_dir`` may hold ``.mod`` files directly or in a ``modfiles/`` folder
(BMTK's layout); they are compiled with ``nrnivmodl`` into Cantata's build cache when their
content changed (:func:`cantata.mechanisms.compile_mechanisms`) and loaded. A folder that only
holds an ``nrnivmodl`` build (``x86_64/libnrnmech.so``) is loaded as is.

When a cell needs a mechanism that none of this provides and Cantata's own Allen Cell Types
channel library has it, that library is compiled and loaded instead (logged).
"""

from __future__ import annotations

import logging
from pathlib import Path

from cantata import mechanisms as library
from cantata.errors import SimulationError
from cantata.sim.engines.neuron.hoc import hoc, mechanism_names

log = logging.getLogger("cantata")

_ALLEN: set[str] = set()


def source_folder(mechanisms_dir: Path) -> Path | None:
    """The folder of ``.mod`` files inside ``mechanisms_dir`` (itself or ``modfiles/``)."""
    for folder in (mechanisms_dir / "modfiles", mechanisms_dir):
        if folder.is_dir() and any(folder.glob("*.mod")):
            return folder
    return None


def load_mechanisms_dir(mechanisms_dir: str | Path | None) -> Path | None:
    """Compile (if needed) and load ``mechanisms_dir``; return the loaded build folder.

    A missing folder is only logged: the run fails later, naming the mechanism a cell lacks.
    """
    if mechanisms_dir is None:
        return None
    folder = Path(mechanisms_dir)
    if not folder.is_dir():
        log.warning("components.mechanisms_dir %s does not exist; using NEURON's built-in "
                    "mechanisms (and Cantata's Allen library where a cell needs it)", folder)
        return None
    hoc()  # NEURON (and MPI) first
    src = source_folder(folder)
    if src is not None:
        build = library.compile_mechanisms(src)
    elif library.compiled_library(folder) is not None:
        build = folder
    else:
        log.warning("components.mechanisms_dir %s has no .mod files and no nrnivmodl build",
                    folder)
        return None
    library.load_mechanisms(build)
    return build


def allen_provides() -> set[str]:
    """Mechanism names (SUFFIX / POINT_PROCESS) defined by Cantata's Allen library."""
    if not _ALLEN:
        for path in library.mod_files(library.allen_mechanisms_dir()):
            for line in path.read_text().splitlines():
                words = line.split()
                if len(words) >= 2 and words[0] in ("SUFFIX", "POINT_PROCESS", "ARTIFICIAL_CELL"):
                    _ALLEN.add(words[1])
    return set(_ALLEN)


def ensure_mechanisms(names: set[str], who: str, source: str | None = None) -> None:
    """Make sure every density mechanism in ``names`` exists, loading the Allen library if
    it supplies the missing ones; otherwise raise naming the mechanism and ``who``."""
    density, _ = mechanism_names()
    missing = sorted(names - density)
    if missing and set(missing) <= allen_provides():
        log.info("loading Cantata's Allen channel library for %s (%s)", who, ", ".join(missing))
        library.load_mechanisms(library.compile_mechanisms(library.allen_mechanisms_dir()))
        density, _ = mechanism_names()
        missing = sorted(names - density)
    if missing:
        raise SimulationError(
            f"unknown NEURON mechanism {missing[0]!r} needed by {who}",
            file=source,
            expected="a mechanism compiled from components.mechanisms_dir (see `cantata compile`)",
            found=", ".join(missing),
        )
