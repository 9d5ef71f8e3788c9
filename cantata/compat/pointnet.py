"""``from cantata.compat import pointnet``: BMTK PointNet run scripts, run by Cantata on NEST.

The standard script runs unchanged apart from its import::

    from cantata.compat import pointnet

    configure = pointnet.Config.from_json("config.json")
    configure.build_env()
    network = pointnet.PointNetwork.from_config(configure)
    sim = pointnet.PointSimulator.from_config(configure, network)
    sim.run()

NEST is imported when ``PointSimulator.from_config`` builds the network, not on import.
Names BMTK has and this module does not support raise an error that says what to use instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from cantata.compat._config import Config
from cantata.compat._names import IOLog, missing_attribute, unsupported
from cantata.compat._runner import ShimNetwork, ShimSimulator
from cantata.errors import SimulationError
from cantata.sim.registry import add_weight_function as _register_weight
from cantata.sim.registry import synaptic_weight

if TYPE_CHECKING:
    from cantata.sim.simulation import SimulationResult

__all__ = ["Config", "PointNetwork", "PointSimulator", "add_weight_function", "io", "synaptic_weight"]

_SUPPORTED = "Config, PointNetwork, PointSimulator, add_weight_function, synaptic_weight, io"


class PointNetwork(ShimNetwork):
    """BMTK's ``pointnet.PointNetwork``: ``PointNetwork.from_config(conf)``."""

    bmtk_name: ClassVar[str] = "pointnet.PointNetwork"
    per_edge_weights: ClassVar[bool] = False


class PointSimulator(ShimSimulator):
    """BMTK's ``pointnet.PointSimulator``: ``PointSimulator.from_config(conf, network)``, then ``run()``."""

    bmtk_name: ClassVar[str] = "pointnet.PointSimulator"
    engine: ClassVar[str] = "nest"

    @classmethod
    def from_config(cls, configure: Any, graph: PointNetwork | None = None, n_thread: int | None = None, *,
                    network: PointNetwork | None = None) -> PointSimulator:
        """Build the config's network on NEST with its inputs and reports (``target_simulator``
        is not consulted: PointNet always means NEST). ``n_thread`` overrides ``run.n_threads``."""
        if graph is not None and network is not None:
            raise SimulationError("give the network once, as graph or as network", key="network")
        return cls._create(configure, graph if graph is not None else network, n_thread)

    def run(self, tstop: float | None = None) -> SimulationResult:
        """Simulate to ``run.tstop`` (a different ``tstop`` here is not supported: set it in the config)."""
        if tstop is not None and float(tstop) != self.tstop:
            raise NotImplementedError(f"PointSimulator.run(tstop={tstop}) is not supported: the run length is "
                                      f"the config's run.tstop ({self.tstop:g} ms); change it there")
        return super().run()


def add_weight_function(func: Callable[..., Any], name: str | None = None,
                        overwrite: bool = True) -> Callable[..., Any]:
    """PointNet's weight functions take whole columns: ``func(edges, sources, targets)`` with
    pandas frames, called once per edge type, returning one weight per edge. Delegates to
    :func:`cantata.sim.add_weight_function` (``per_edge=False``)."""
    return _register_weight(func, name, overwrite, per_edge=False)


io = IOLog()

cell_model = unsupported("pointnet.cell_model",
                         "point neurons are NEST models named by model_template 'nest:<model>' in the node types")
synapse_model = unsupported("pointnet.synapse_model",
                            "synapses are NEST synapse models named by model_template in the edge types")
spikes_generator = unsupported("pointnet.spikes_generator",
                               "give spike inputs as files in the config's inputs block, or register an input "
                               "module with cantata.sim.input_module")


def __getattr__(name: str) -> Any:
    raise missing_attribute(__name__, name, _SUPPORTED)
