"""BMTK names on top of Cantata, so that BMTK run scripts and analysis code need only their
imports changed.

* :mod:`cantata.compat.bionet`: ``from bmtk.simulator import bionet`` (runs on NEURON)
* :mod:`cantata.compat.pointnet`: ``from bmtk.simulator import pointnet`` (runs on NEST)
* :mod:`cantata.compat.filternet`: ``from bmtk.simulator import filternet`` (the filternet engine)
* :mod:`cantata.compat.popnet`: ``from bmtk.simulator import popnet`` (the popnet engine)
* :mod:`cantata.compat.spike_trains`: ``bmtk.utils.reports.spike_trains`` (``SpikeTrains``,
  ``PoissonSpikeGenerator``, ``sort_order``)

What each supports, and what it does not, is listed in docs/bmtk-migration.md. Importing
these modules loads neither NEURON nor NEST: the simulator is imported when a run starts.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["bionet", "filternet", "pointnet", "popnet", "spike_trains"]


def __getattr__(name: str) -> ModuleType:
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r} (it has {', '.join(__all__)})")
