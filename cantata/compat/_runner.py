"""The network and simulator objects of the BMTK run-script shims, run by Cantata's
:class:`~cantata.sim.simulation.Simulation` on a fixed engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from cantata.compat._config import as_config
from cantata.compat._names import IOLog, missing_attribute
from cantata.errors import SimulationError
from cantata.sim.registry import add_weight_function as _register_weight
from cantata.sonata.config import SonataConfig

if TYPE_CHECKING:
    from typing import Self

    from cantata.sim.simulation import Simulation, SimulationResult
    from cantata.sonata.circuit import Circuit

__all__ = ["ShimNetwork", "ShimSimulator"]


class ShimNetwork:
    """BMTK's network object: here only the config it came from (the engine builds the
    network when the simulator is made) and a lazily opened :class:`Circuit` to look at."""

    bmtk_name: ClassVar[str] = ""
    per_edge_weights: ClassVar[bool] = True

    def __init__(self, config: SonataConfig) -> None:
        self.config = config
        self._circuit: Circuit | None = None

    @classmethod
    def from_config(cls, conf: Any, **properties: Any) -> Self:
        """The network of ``conf`` (a Config, a JSON path or a dict)."""
        if properties:
            raise NotImplementedError(f"BMTK's {cls.bmtk_name}.from_config properties {sorted(properties)} are "
                                      "not supported; put run settings in the config")
        return cls(as_config(conf))

    @property
    def circuit(self) -> Circuit:
        """The node and edge populations of the config (:class:`cantata.sonata.circuit.Circuit`)."""
        if self._circuit is None:
            from cantata.sonata.circuit import Circuit

            self._circuit = Circuit.from_config(self.config)
        return self._circuit

    @property
    def io(self) -> IOLog:
        return IOLog()

    def add_weight_function(self, fnc: Any, name: str | None = None, **kwargs: Any) -> Any:
        """Register a weight function for every simulation in this process (as the module's
        ``add_weight_function``)."""
        unknown = set(kwargs) - {"overwrite"}
        if unknown:
            raise TypeError(f"add_weight_function got unexpected keyword arguments {sorted(unknown)}")
        return _register_weight(fnc, name, kwargs.get("overwrite", True), per_edge=self.per_edge_weights)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise missing_attribute(self.bmtk_name, name, "from_config, add_weight_function, circuit, config, io")


class ShimSimulator:
    """BMTK's simulator object: made by ``from_config`` (which builds the network on the
    engine, as BMTK does), then :meth:`run`."""

    bmtk_name: ClassVar[str] = ""
    engine: ClassVar[str] = ""

    def __init__(self, simulation: Simulation, network: ShimNetwork | None = None) -> None:
        self.simulation = simulation
        self.network = network
        self.result: SimulationResult | None = None

    @classmethod
    def _create(cls, config: Any, network: Any, threads: int | None) -> Self:
        conf = as_config(config)
        if network is not None:
            if not isinstance(network, ShimNetwork):
                raise SimulationError(f"{cls.bmtk_name}.from_config needs the network made by from_config",
                                      key="network", expected="a network from *Network.from_config(conf)",
                                      found=type(network).__name__)
            same = network.config is conf or (conf.path is not None and network.config.path == conf.path)
            if not same:
                raise SimulationError(
                    f"{cls.bmtk_name}.from_config got a network made from another config; Cantata simulates "
                    "the network named by the simulator's config", file=conf.path, key="network",
                    expected=str(conf.path or "the same config object"),
                    found=str(network.config.path or "another config object"))
        from cantata.sim.simulation import Simulation

        simulation = Simulation.from_config(conf, engine=cls.engine, threads=threads)
        simulation.build()
        return cls(simulation, network)

    # -- running ---------------------------------------------------------------------------
    def run(self) -> SimulationResult:
        """Simulate to ``run.tstop`` and write the outputs. Returns Cantata's result
        (spikes in memory, files written); BMTK returns nothing."""
        self.result = self.simulation.run()
        return self.result

    # -- BMTK's read-only properties -------------------------------------------------------------
    @property
    def dt(self) -> float:
        return self.simulation.settings.dt

    @property
    def tstop(self) -> float:
        return self.simulation.settings.tstop

    @property
    def tstart(self) -> float:
        return self.simulation.settings.tstart

    @property
    def n_steps(self) -> int:
        return self.simulation.settings.n_steps

    @property
    def nsteps_block(self) -> int:
        return self.simulation.settings.nsteps_block

    def simulation_time(self, units: str = "ms") -> float:
        """Simulated time, ``tstop - tstart``, in ``"ms"`` or ``"s"``."""
        span = self.tstop - self.tstart
        if units in ("ms", "millisecond", "milliseconds"):
            return span
        if units in ("s", "second", "seconds"):
            return span / 1000.0
        raise SimulationError("unknown time units", key="units", expected="'ms' or 's'", found=units)

    def add_mod(self, module: Any) -> None:
        raise NotImplementedError(
            f"BMTK's {self.bmtk_name}.add_mod is not supported: describe inputs and reports in the config's "
            "inputs/reports blocks, or register your own with cantata.sim.input_module/report_module "
            "(docs/simulation.md)")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise missing_attribute(self.bmtk_name, name,
                                "from_config, run, dt, tstop, tstart, n_steps, nsteps_block, simulation_time, "
                                "simulation (Cantata's Simulation), result")
