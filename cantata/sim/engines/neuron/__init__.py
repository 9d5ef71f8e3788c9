"""The NEURON engine (BMTK's BioNet role): morphologically detailed cells, NEURON artificial
cells (IntFire1 ...) and virtual spike sources, with MPI through NEURON's ParallelContext.

Importing this package registers the engine and its NEURON-only input/report modules, and
exposes the user registries; NEURON itself is imported when a simulation chooses the engine
(``target_simulator: "NEURON"`` or ``nml:``/``ctdb:``/``hoc:``/``nrn:`` model templates).

User extensions::

    from cantata.sim.engines.neuron import cell_model, model_processing, synapse_model

    @cell_model("hoc:MyCell")              # model_template "hoc:MyCell"
    def my_cell(ctx): ...                  # return a Cell or a hoc object with .all sections

    @model_processing("my_axon")           # model_processing "my_axon"
    def my_axon(cell, attributes, dynamics_params): ...

    @synapse_model("MySyn")                # edge model_template "MySyn"
    def my_syn(section, x, params): ...    # return a point process at section(x)
"""

from __future__ import annotations

from cantata.sim.engines.neuron import modules as _modules  # noqa: F401  (registers modules)
from cantata.sim.engines.neuron import nwb_clamp as _nwb_clamp  # noqa: F401  (nwb/allen IClamp input)
from cantata.sim.engines.neuron import point_stims as _point_stims  # noqa: F401  (point_process input)
from cantata.sim.engines.neuron import replay as _replay  # noqa: F401  (replay input)
from cantata.sim.engines.neuron import rule_cells as _rule_cells  # noqa: F401  (netpyne: cells)
from cantata.sim.engines.neuron import syn_activity as _syn_activity  # noqa: F401  (syn_activity input)
from cantata.sim.engines.neuron import xstim as _xstim  # noqa: F401  (registers the xstim input)
from cantata.sim.engines.neuron.cells import CellContext, cell_model, model_processing
from cantata.sim.engines.neuron.synapses import synapse_model
from cantata.sim.registry import EngineSpec, register_engine

__all__ = ["SPEC", "CellContext", "cell_model", "model_processing", "synapse_model"]


def _load() -> type:
    from cantata.sim.engines.neuron.engine import NeuronEngine

    return NeuronEngine


SPEC = register_engine(EngineSpec(
    name="neuron",
    load=_load,
    simulators=("NEURON", "bionet", "CORENEURON"),
    template_prefixes=("nml", "ctdb", "hoc", "nrn", "netpyne"),
    model_types=("biophysical", "point_process"),
    description="NEURON: biophysical and artificial cells (neuron >= 9)",
))
