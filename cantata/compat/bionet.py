"""``from cantata.compat import bionet``: BMTK BioNet run scripts, run by Cantata on NEURON.

The standard script runs unchanged apart from its import::

    from cantata.compat import bionet

    conf = bionet.Config.from_json("config.json", validate=True)
    conf.build_env()
    net = bionet.BioNetwork.from_config(conf)
    sim = bionet.BioSimulator.from_config(conf, network=net)
    sim.run()
    bionet.nrn.quit_execution()

NEURON is imported when ``BioSimulator.from_config`` builds the network, not on import.
Names BMTK has and this module does not support raise an error that says what to use instead.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from cantata.compat._config import Config
from cantata.compat._names import IOLog, missing_attribute, unsupported
from cantata.compat._runner import ShimNetwork, ShimSimulator
from cantata.sim.registry import add_weight_function as _register_weight

__all__ = ["ArgumentParser", "BioNetwork", "BioSimulator", "Config", "add_weight_function", "io", "nrn",
           "synaptic_weight"]

_SUPPORTED = ("Config, BioNetwork, BioSimulator, add_weight_function, synaptic_weight, nrn.quit_execution, io, "
              "ArgumentParser")


class BioNetwork(ShimNetwork):
    """BMTK's ``bionet.BioNetwork``: ``BioNetwork.from_config(conf)``."""

    bmtk_name: ClassVar[str] = "bionet.BioNetwork"
    per_edge_weights: ClassVar[bool] = True


class BioSimulator(ShimSimulator):
    """BMTK's ``bionet.BioSimulator``: ``BioSimulator.from_config(conf, network=net)``, then ``run()``."""

    bmtk_name: ClassVar[str] = "bionet.BioSimulator"
    engine: ClassVar[str] = "neuron"

    @classmethod
    def from_config(cls, config: Any, network: BioNetwork | None = None, set_recordings: bool = True) -> BioSimulator:
        """Build the config's network on NEURON with its inputs and reports (``target_simulator``
        is not consulted: BioNet always means NEURON)."""
        if not set_recordings:
            raise NotImplementedError("set_recordings=False is not supported: spikes and the config's reports "
                                      "are always recorded (remove the reports blocks you do not want)")
        return cls._create(config, network, None)


def add_weight_function(func: Callable[..., Any], name: str | None = None,
                        overwrite: bool = True) -> Callable[..., Any]:
    """BioNet's ``add_weight_function``: ``func(edge_props, source, target)`` returns the weight
    of one edge (dict-like arguments). Delegates to :func:`cantata.sim.add_weight_function`."""
    return _register_weight(func, name, overwrite, per_edge=True)


def synaptic_weight(func: Callable[..., Any] | str | None = None, *, name: str | None = None) -> Any:
    """BioNet's decorator, ``@synaptic_weight`` or ``@synaptic_weight(name="...")``: registers
    a one-edge weight function as :func:`add_weight_function` does."""
    if isinstance(func, str):
        func, name = None, func
    def register(f: Callable[..., Any]) -> Callable[..., Any]:
        add_weight_function(f, name)
        return f

    return register(func) if func is not None else register


class _Nrn:
    """BioNet's ``nrn`` module: only ``quit_execution`` is provided."""

    def quit_execution(self) -> None:
        """Does nothing: Cantata releases NEURON when the run ends, and the script goes on to
        its end (BMTK exits the interpreter here)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise missing_attribute("cantata.compat.bionet.nrn", name, "quit_execution")


nrn = _Nrn()
io = IOLog()


class ArgumentParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` that ignores what comes before ``-python`` when the script
    is started as ``nrniv -python script.py ...`` (BioNet's helper of the same name)."""

    def parse_known_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:
        if args is None:
            argv = list(sys.argv)
            if argv and argv[0].endswith(("nrniv", "nrniv.exe")) and "-python" in argv:
                argv = argv[argv.index("-python") + 1:]
            args = argv[1:]
        return super().parse_known_args(args, namespace)


cell_model = unsupported("bionet.cell_model",
                         "register cell builders with cantata.sim.engines.neuron.cell_model (fn(ctx: CellContext))")
synapse_model = unsupported("bionet.synapse_model",
                            "register synapses with cantata.sim.engines.neuron.synapse_model "
                            "(fn(section, x, params) returning one point process)")
model_processing = unsupported("bionet.model_processing",
                               "register with cantata.sim.engines.neuron.model_processing "
                               "(fn(cell, attributes, dynamics_params))")
spikes_generator = unsupported("bionet.spikes_generator",
                               "give spike inputs as files in the config's inputs block, or register an input "
                               "module with cantata.sim.input_module")
reset = unsupported("bionet.reset", "a Cantata simulation runs once; make a new one for another run")


def __getattr__(name: str) -> Any:
    raise missing_attribute(__name__, name, _SUPPORTED)
