"""NetPyNE-style declarative network specifications, run as SONATA networks.

::

    from cantata.specs import specs, sim      # or: from cantata import specs

    netParams = specs.NetParams()
    netParams.popParams['E'] = {'cellType': 'PYR', 'numCells': 20}
    ...
    simConfig = specs.SimConfig()
    sim.createSimulateAnalyze(netParams, simConfig)

:func:`to_sonata` writes the same model as a SONATA circuit and config that any SONATA tool
reads and ``cantata run`` runs (on the NEURON engine). See docs/netpyne.md for the supported
keys and the differences from NetPyNE.
"""

from __future__ import annotations

import sys

from cantata.specs import sim  # the run wrappers (NEURON is imported only when a run starts)
from cantata.specs.checks import SpecWarning
from cantata.specs.compile import compile_model
from cantata.specs.dicts import Dict, ODict
from cantata.specs.export import to_sonata
from cantata.specs.params import NetParams, SimConfig

specs = sys.modules[__name__]  # ``from cantata.specs import specs`` reads like NetPyNE's import

__all__ = ["Dict", "NetParams", "ODict", "SimConfig", "SpecWarning", "compile_model", "sim", "specs",
           "to_sonata"]
