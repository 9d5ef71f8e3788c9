"""The engine protocol: what the simulation core asks of a simulator, and how one is chosen.

Lifecycle, driven by :class:`cantata.sim.Simulation`::

    engine = EngineClass(sim)      # no simulator work yet
    engine.build()                 # cells and synapses from sim.circuit
    ... inputs and reports attach through the capability methods below ...
    engine.prepare()               # once, before simulated time starts
    engine.advance(t1, progress)   # simulate to absolute time t1 (end of a block)
    ... reports read probes, spikes are collected ...
    engine.advance(t2, progress)   # next block, up to tstop
    engine.finalize()              # always called, also after an error

The capability methods raise :class:`SimulationError` by default, so an engine implements only
what it supports and a config asking for more gets a clear message.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np

from cantata.errors import ConfigError, SimulationError
from cantata.sim.registry import ENGINES, EngineSpec, load_builtins, lookup_engine

if TYPE_CHECKING:
    from cantata.sim.simulation import Simulation
    from cantata.sonata.circuit import Circuit
    from cantata.sonata.config import SonataConfig

__all__ = ["CurrentSteps", "Engine", "Probe", "ProbeRequest", "select_engine"]

Progress = Callable[[float], None]


@dataclass(frozen=True)
class CurrentSteps:
    """Square current pulses: ``amp[i]`` (engine units: pA for NEST, nA for NEURON) from
    ``delay[i]`` for ``duration[i]`` ms. Overlapping pulses add up."""

    amp: np.ndarray
    delay: np.ndarray
    duration: np.ndarray

    def breakpoints(self) -> tuple[np.ndarray, np.ndarray]:
        """(times, amplitudes): the summed current changes to ``amplitudes[k]`` at ``times[k]``."""
        times = np.concatenate([self.delay, self.delay + self.duration])
        change = np.concatenate([self.amp, -self.amp])
        order = np.argsort(times, kind="stable")
        times, change = times[order], change[order]
        unique, first = np.unique(times, return_index=True)
        level = np.cumsum(change)
        last = np.append(first[1:], times.size) - 1
        return unique, level[last]


@dataclass(frozen=True)
class ProbeRequest:
    """Record ``variable`` of some nodes every ``dt`` ms for ``start <= t < stop``."""

    variable: str
    nodes: Mapping[str, np.ndarray]  # population -> node ids (sorted, unique)
    start: float
    stop: float
    dt: float
    sections: str = "soma"
    options: Mapping[str, Any] = field(default_factory=dict)


class Probe(Protocol):
    """A recording handed back by :meth:`Engine.add_probe`.

    ``times()`` are the sample times; ``fetch()`` returns, per population, the frames recorded
    since the previous call as ``[n_frames, n_columns]``; ``layout(pop)`` gives the frame-report
    column mapping (``element_ids``, ``element_pos``, ``index_pointers``) or ``{}`` for one
    column per node.
    """

    variable: str
    units: str
    nodes: Mapping[str, np.ndarray]

    def times(self) -> tuple[float, float, float]: ...  # (first sample, stop (exclusive), dt)
    def fetch(self) -> dict[str, np.ndarray]: ...
    def layout(self, population: str) -> dict[str, np.ndarray]: ...


class Engine(ABC):
    """Base class of simulator engines. ``sim`` gives the config, circuit and settings."""

    #: registry name; also what ``target_simulator`` may say
    name: ClassVar[str] = ""
    #: units of ``current_clamp`` amplitudes for this engine
    current_units: ClassVar[str] = "nA"

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim

    # -- lifecycle ------------------------------------------------------------------------
    @abstractmethod
    def build(self) -> None:
        """Create every cell and connection of ``self.sim.circuit``."""

    def prepare(self) -> None:
        """Called once after inputs and reports are attached, before the first block."""

    @abstractmethod
    def advance(self, until: float, progress: Progress) -> None:
        """Simulate up to absolute time ``until`` (ms), calling ``progress(t)`` now and then."""

    def finalize(self) -> None:
        """Release the simulator; called after the last block and after errors."""

    def written_files(self) -> list[Path]:
        """Files the engine wrote itself in :meth:`finalize` (rates files, ...), for the run's result."""
        return []

    @property
    def is_output_rank(self) -> bool:
        """False on the MPI ranks that must not write the spike files (all but one)."""
        return True

    # -- capabilities used by the built-in inputs and reports -------------------------------
    def unsupported(self, what: str, where: str | None = None) -> SimulationError:
        return SimulationError(f"the {self.name} engine does not support {what}", file=self.sim.config.path,
                               key=where)

    def add_spike_trains(self, population: str, node_ids: np.ndarray, timestamps: np.ndarray,
                         *, where: str) -> None:
        """Drive virtual nodes with spikes (parallel arrays, ms). ``where`` labels errors."""
        raise self.unsupported("spike inputs", where)

    def add_current_clamp(self, population: str, node_ids: np.ndarray, steps: CurrentSteps,
                          *, where: str, options: Mapping[str, Any]) -> None:
        """Inject square current pulses into the given nodes."""
        raise self.unsupported("current clamps", where)

    def record_spikes(self, populations: Mapping[str, np.ndarray] | None) -> None:
        """Start recording spikes of the given nodes (None: every non-virtual node)."""
        raise self.unsupported("spike recording")

    def collect_spikes(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Spikes since the previous call: population -> (node_ids, times)."""
        raise self.unsupported("spike recording")

    def add_probe(self, request: ProbeRequest, *, where: str) -> Probe:
        """Record a variable of some nodes (membrane reports)."""
        raise self.unsupported(f"recording {request.variable!r}", where)


# ----------------------------------------------------------------------------------------------
# choosing an engine


def _template_prefixes(circuit: Circuit) -> tuple[set[str], set[str]]:
    """Model-template prefixes (``nest``, ``hoc`` ...) and model types used by non-virtual nodes."""
    prefixes: set[str] = set()
    types: set[str] = set()
    for pop in circuit.nodes.values():
        if not pop.has_attribute("model_type"):
            continue
        model_types = pop.get_attribute("model_type")
        kinds = {str(t) for t in set(model_types.tolist()) if t is not None}
        types |= kinds - {"virtual"}
        if pop.has_attribute("model_template"):
            templates = pop.get_attribute("model_template")[model_types != "virtual"]
            for value in set(templates.tolist()):
                if isinstance(value, str) and ":" in value:
                    prefixes.add(value.split(":", 1)[0].strip().lower())
    return prefixes, types


def select_engine(config: SonataConfig, circuit: Circuit, name: str | None = None) -> EngineSpec:
    """The engine named by ``name``, else by ``target_simulator``, else the one whose model
    templates (``nest:...``) or model types the network uses."""
    load_builtins()
    wanted = name or config.target_simulator
    if wanted:
        try:
            return lookup_engine(wanted)
        except ConfigError as exc:
            raise ConfigError(exc.detail, file=config.path, key="target_simulator" if not name else "engine",
                              expected=exc.expected, found=wanted) from None
    prefixes, types = _template_prefixes(circuit)
    by_prefix = [s for s in ENGINES.values() if prefixes and prefixes <= {p.lower() for p in s.template_prefixes}]
    if len(by_prefix) == 1:
        return by_prefix[0]
    by_type = [s for s in ENGINES.values() if types and types <= set(s.model_types)]
    if len(by_type) == 1:
        return by_type[0]
    known = ", ".join(f"{s.name} ({'/'.join(s.template_prefixes)}:...)" for s in ENGINES.values()) or "none"
    raise ConfigError(
        "cannot tell which simulator runs this network; set target_simulator", file=config.path,
        key="target_simulator", expected=f"one of the engines: {known}",
        found=f"model templates {sorted(prefixes) or 'none'}, model types {sorted(types) or 'none'}",
    )
