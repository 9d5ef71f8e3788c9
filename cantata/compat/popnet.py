"""``from cantata.compat import popnet``: BMTK PopNet run scripts, run by Cantata's popnet
engine (population density models, DiPDE's role).

The standard script runs unchanged apart from its import::

    from cantata.compat import popnet

    configure = popnet.config.from_json("config.json")
    configure.build_env()
    network = popnet.PopNetwork.from_config(configure)
    sim = popnet.PopSimulator.from_config(configure, network)
    sim.run()

As in BMTK PopNet, ``run.tstop`` is in ms and ``run.dt`` in seconds; ``sim.dt`` and
``sim.tstop`` are in seconds. Names BMTK has and this module does not support raise an error
that says what to use instead.
"""

from __future__ import annotations

from os import PathLike
from typing import TYPE_CHECKING, Any, ClassVar

from cantata.compat._config import Config
from cantata.compat._names import IOLog, missing_attribute
from cantata.compat._runner import ShimNetwork, ShimSimulator

if TYPE_CHECKING:
    from pathlib import Path

    from cantata.sim.simulation import SimulationResult

__all__ = ["Config", "PopNetwork", "PopSimulator", "config", "io"]

_SUPPORTED = "config.from_json, Config, PopNetwork, PopSimulator, io"


class _ConfigModule:
    """BMTK's ``popnet.config`` module: ``config.from_json(path)`` and ``config.Config``."""

    Config = Config

    @staticmethod
    def from_json(config_file: str | PathLike[str], validate: bool = False, **manifest_vars: Any) -> Config:
        """Load a PopNet config (``validate`` is accepted; Cantata checks the config when the
        simulation is built)."""
        return Config.from_json(config_file, **manifest_vars)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise missing_attribute("popnet.config", name, "from_json, Config")


config = _ConfigModule()


class PopNetwork(ShimNetwork):
    """BMTK's ``popnet.PopNetwork``: ``PopNetwork.from_config(conf)``. Nodes are grouped into
    populations by ``node_type_id`` (BMTK's default ``group_by``)."""

    bmtk_name: ClassVar[str] = "popnet.PopNetwork"
    per_edge_weights: ClassVar[bool] = False

    @classmethod
    def from_config(cls, conf: Any, **properties: Any) -> PopNetwork:
        group_by = properties.pop("group_by", "node_type_id")
        if group_by != "node_type_id":
            raise NotImplementedError(f"PopNetwork(group_by={group_by!r}) is not supported: populations are the "
                                      "node types (group_by='node_type_id'); give each population its own node type")
        return super().from_config(conf, **properties)

    @property
    def target_simulator(self) -> str:
        return "DiPDE"


class PopSimulator(ShimSimulator):
    """BMTK's ``popnet.PopSimulator``: ``PopSimulator.from_config(conf, network)``, then ``run()``."""

    bmtk_name: ClassVar[str] = "popnet.PopSimulator"
    engine: ClassVar[str] = "popnet"

    @classmethod
    def from_config(cls, configure: Any, graph: PopNetwork | None = None) -> PopSimulator:
        """Build the config's populations and connections with their inputs (``target_simulator``
        may be ``DiPDE``; BMTK's other PopNet back end, SSN, is not supported)."""
        conf = Config.load(configure) if not isinstance(configure, Config) else configure
        target = conf.target_simulator
        if target is not None and str(target).lower() == "ssn":
            raise NotImplementedError("PopNet's SSN back end is not supported; Cantata runs DiPDE population "
                                      "density models (target_simulator 'DiPDE')")
        return cls._create(conf, graph, None)

    def run(self, tstop: float | None = None) -> SimulationResult:
        """Simulate to ``run.tstop`` and write ``output.rates_file``. ``tstop`` (s, as BMTK's)
        must be the config's if given."""
        if tstop is not None and abs(float(tstop) - self.tstop) > 1e-12:
            raise NotImplementedError(f"PopSimulator.run(tstop={tstop}) is not supported: the run length is the "
                                      f"config's run.tstop ({self.tstop:g} s); change it there")
        return super().run()

    @property
    def dt(self) -> float:
        """Time step in seconds (``run.dt``, which PopNet reads in seconds)."""
        return self.simulation.settings.dt

    @property
    def tstop(self) -> float:
        """End time in seconds (``run.tstop`` / 1000, as BMTK PopNet)."""
        return self.simulation.settings.tstop / 1000.0

    @property
    def n_steps(self) -> int:
        """Number of PopNet time steps (DiPDE steps while ``t < tstop``)."""
        return int(getattr(self.simulation.engine, "n_steps", 0))

    def simulation_time(self, units: str = "s") -> float:
        """Simulated time in ``"s"`` (default, as PopNet) or ``"ms"``."""
        seconds = self.tstop
        if units in ("s", "second", "seconds"):
            return seconds
        if units in ("ms", "millisecond", "milliseconds"):
            return seconds * 1000.0
        raise ValueError(f"unknown time units {units!r}; use 's' or 'ms'")

    @property
    def rates_file(self) -> Path | None:
        """Where the population rates are written (``output.rates_file``)."""
        return getattr(self.simulation.engine, "rates_file", None)

    @property
    def populations(self) -> list[int]:
        """node_type_id of each internal population, in the rates file's order."""
        engine = self.simulation.engine
        return engine.population_rates()[0] if engine is not None else []  # type: ignore[attr-defined]


io = IOLog()


def __getattr__(name: str) -> Any:
    raise missing_attribute(__name__, name, _SUPPORTED)
