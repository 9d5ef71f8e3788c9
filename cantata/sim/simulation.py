"""``Simulation``: a SONATA simulation config, run on the engine it asks for.

::

    from cantata.sim import Simulation

    result = Simulation.from_config("config.json").run()

    sim = Simulation.from_config("config.json", threads=4)   # or build, look, then run
    sim.build()
    sim.engine ...                                            # engine-specific inspection
    result = sim.run()

Order of work, so that bad input fails before simulated time is spent and before any earlier
result is touched: config and ``run``/``output`` blocks are checked, the network is opened,
the engine is chosen, every input and report block is parsed, the output policy is checked,
then (logging on) the engine builds the network, inputs and reports attach, and only then
does simulated time start.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from cantata.errors import CantataError, ConfigError, SimulationError
from cantata.sim.engine import Engine, select_engine
from cantata.sim.modules import InputModule, ReportModule, SimModule
from cantata.sim.outputs import SpikeOutput, check_outputs
from cantata.sim.registry import INPUTS, REPORTS, EngineSpec, load_builtins
from cantata.sim.runlog import Progress, RunLog, log
from cantata.sim.settings import OutputSettings, RunSettings
from cantata.sonata.circuit import Circuit
from cantata.sonata.config import SonataConfig, load_config
from cantata.sonata.nodesets import NodeSets
from cantata.sonata.spikes import SpikeTrains

__all__ = ["Simulation", "SimulationResult"]


@dataclass
class SimulationResult:
    """What a run produced: the spikes (also in memory) and the files written."""

    spikes: SpikeTrains
    files: list[Path] = field(default_factory=list)
    build_seconds: float = 0.0
    run_seconds: float = 0.0
    output_dir: Path | None = None

    @property
    def n_spikes(self) -> int:
        return self.spikes.n_spikes


class Simulation:
    """A simulation made from a SONATA config; see the module docstring for the lifecycle."""

    def __init__(
        self,
        config: SonataConfig,
        *,
        threads: int | None = None,
        output_dir: str | PathLike[str] | None = None,
        engine: str | None = None,
        progress: bool = True,
    ) -> None:
        load_builtins()
        self.config = config
        self.settings = RunSettings.from_config(config, threads=threads)
        self.outputs = OutputSettings.from_config(config, output_dir=output_dir)
        self.show_progress = progress
        self._engine_name = engine
        self._circuit: Circuit | None = None
        self._node_sets: NodeSets | None = None
        self._json_cache: dict[Path, Any] = {}
        self.engine_spec: EngineSpec | None = None
        self.engine: Engine | None = None
        self.inputs: list[InputModule] = []
        self.reports: list[ReportModule] = []
        self.spike_output: SpikeOutput | None = None
        self.build_seconds = 0.0
        self._log = RunLog(self.outputs.log)
        self._state = "new"  # new -> built -> done | failed

    @classmethod
    def from_config(
        cls,
        config: str | PathLike[str] | SonataConfig,
        *,
        threads: int | None = None,
        output_dir: str | PathLike[str] | None = None,
        engine: str | None = None,
        progress: bool = True,
        **manifest_vars: Any,
    ) -> Simulation:
        """Load ``config`` (a path or a :class:`SonataConfig`) and check its run settings.

        ``threads`` overrides ``run.n_threads``; ``output_dir`` moves every output file that
        lives in the config's output folder; ``engine`` overrides ``target_simulator``.
        """
        if not isinstance(config, SonataConfig):
            config = load_config(config, **manifest_vars)
        elif manifest_vars:
            raise TypeError("manifest variables can only be given with a config path")
        return cls(config, threads=threads, output_dir=output_dir, engine=engine, progress=progress)

    # -- the network ------------------------------------------------------------------------
    @property
    def circuit(self) -> Circuit:
        """The network's node and edge populations (opened lazily)."""
        if self._circuit is None:
            self._circuit = Circuit.from_config(self.config)
        return self._circuit

    @property
    def node_sets(self) -> NodeSets:
        """The config's node sets (circuit and simulation, files and inline)."""
        if self._node_sets is None:
            self._node_sets = NodeSets.from_config(self.config)
        return self._node_sets

    def resolve_nodes(self, expression: Any, *, where: str) -> dict[str, np.ndarray]:
        """A node-set expression (name, inline object, list) as population -> sorted node ids."""
        if expression is None:
            raise ConfigError("missing node set", file=self.config.path, key=where,
                              expected="a node-set name or an inline node set", found=None)
        return self.node_sets.resolve(expression, self.circuit, where=where)

    def component_json(self, reference: Any, components_key: str, *, where: str) -> dict[str, Any]:
        """A ``dynamics_params``-style reference as a dict: inline dict or JSON text, or a file
        name looked up in ``components[components_key]`` (absolute paths used as they are)."""
        if isinstance(reference, Mapping):
            return dict(reference)
        if not isinstance(reference, str) or not reference.strip():
            raise SimulationError("not a dynamics_params file name", file=self.config.path, key=where,
                                  expected="a JSON file name or an object", found=reference)
        text = reference.strip()
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise SimulationError(f"inline JSON is malformed: {exc.msg}", key=where, found=text) from None
            return dict(value)
        folder = self.config.components.get(components_key)
        path = Path(text)
        if not path.is_absolute():
            if not folder:
                raise SimulationError(f"components.{components_key} is not set, so {text!r} cannot be found",
                                      file=self.config.path, key=where,
                                      expected=f"components.{components_key} naming the folder of {text!r}",
                                      found=None)
            path = Path(folder) / path
        if path not in self._json_cache:
            try:
                raw = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise SimulationError("dynamics_params file not found", file=path, key=where) from None
            except OSError as exc:
                raise SimulationError(f"cannot read dynamics_params file: {exc.strerror}", file=path,
                                      key=where) from None
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise SimulationError(f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                                      file=path, key=where) from None
            if not isinstance(value, dict):
                raise SimulationError("a dynamics_params file must hold a JSON object", file=path, key=where,
                                      expected="{...}", found=type(value).__name__)
            self._json_cache[path] = value
        return dict(self._json_cache[path])

    # -- lifecycle --------------------------------------------------------------------------
    def build(self) -> Simulation:
        """Choose the engine, build the network, attach inputs and reports. Idempotent."""
        if self._state != "new":
            if self._state == "failed":
                raise SimulationError("this simulation failed earlier; make a new one", file=self.config.path)
            return self
        start = time.perf_counter()
        self._log.hold()  # warnings about the config reach log.txt once it is opened
        try:
            self.engine_spec = select_engine(self.config, self.circuit, self._engine_name)
            if self.engine_spec.outputs is not None:
                self.outputs = self.engine_spec.outputs(self.config, self.outputs)
            self.inputs = [self._module(INPUTS, "inputs", name, block) for name, block in self.config.inputs.items()]
            self.reports = [self._module(REPORTS, "reports", name, block)
                            for name, block in self.config.reports.items()]
            self.spike_output = SpikeOutput(self.outputs, self.settings.tstart)
            planned = [*self.spike_output.files, *(p for m in [*self.inputs, *self.reports] for p in m.outputs())]
            check_outputs(self.outputs, planned, config_file=self.config.path)
        except BaseException:
            self._log.release()
            raise

        self._log.open()
        try:
            where = self.config.path or self.config.base_dir
            log.info("Cantata simulation of %s on %s (%d thread%s)", where, self.engine_spec.name,
                     self.settings.threads, "" if self.settings.threads == 1 else "s")
            log.info("tstop %g ms, dt %g ms, blocks of %d steps; output in %s", self.settings.tstop,
                     self.settings.dt, self.settings.nsteps_block, self.outputs.output_dir)
            self.engine = self.engine_spec.load()(self)
            self.engine.build()
            self.engine.record_spikes(None)
            self.spike_output.declare(self._recorded_populations())
            for module in [*self.inputs, *self.reports]:
                module.setup(self)
            self.engine.prepare()
        except BaseException as exc:
            self._fail(exc, during="building the network")
            raise
        self.build_seconds = time.perf_counter() - start
        log.info("Network built in %.2f s", self.build_seconds)
        self._state = "built"
        return self

    def run(self) -> SimulationResult:
        """Simulate to ``tstop`` in blocks, flushing reports after each; write the spike files."""
        if self._state == "done":
            raise SimulationError("this simulation has already run; make a new one to run again",
                                  file=self.config.path)
        self.build()
        assert self.engine is not None and self.spike_output is not None
        progress = Progress(self.settings.tstop, enabled=self.show_progress)
        log.info("Starting the simulation")
        try:
            for t_end in self.settings.block_ends():
                self.engine.advance(t_end, progress)
                self.spike_output.add(self.engine.collect_spikes())
                for module in [*self.inputs, *self.reports]:
                    module.block(self, t_end)
            elapsed = progress.done()
            self.engine.finalize()
            files = self.spike_output.write() if self.engine.is_output_rank else []
            files += self.engine.written_files()
            for module in [*self.inputs, *self.reports]:
                files += module.finalize(self)
        except BaseException as exc:
            progress.done()
            self._fail(exc, during="the simulation")
            raise
        speed = self.settings.tstop / 1000.0 / elapsed if elapsed > 0 else float("inf")
        spikes = self.spike_output.trains()
        log.info("Simulated %g ms in %.2f s (%.3g s simulated per s); %d spikes", self.settings.tstop, elapsed,
                 speed, spikes.n_spikes)
        for path in files:
            log.info("Wrote %s", path)
        self._state = "done"
        self._log.close()
        return SimulationResult(spikes=spikes, files=files, build_seconds=self.build_seconds,
                                run_seconds=elapsed, output_dir=self.outputs.output_dir)

    # -- helpers ----------------------------------------------------------------------------
    def _module(self, registry: Any, section: str, name: str, block: dict[str, Any]) -> SimModule:
        assert self.engine_spec is not None
        engine = self.engine_spec.name
        if section == "inputs":
            input_type = block.get("input_type")
            if not isinstance(input_type, str) or not input_type:
                raise ConfigError("missing input_type", file=self.config.path, key=f"inputs.{name}.input_type",
                                  expected=f"one of {registry.describe(engine=engine)}", found=input_type)
            module = block.get("module")
            factory = None
            if isinstance(module, str) and module:
                factory = registry.find((input_type, module), engine=engine)
            factory = factory or registry.find((input_type, "*"), engine=engine)
            key, found = f"inputs.{name}", f"input_type={input_type!r}, module={module!r}"
        else:
            block = dict(block)
            module = block.get("module") or ("membrane_report" if "variable_name" in block else None)
            if isinstance(block.get("file_name"), str):
                block["file_name"] = str(self.outputs.report_path(self.config, block["file_name"]))
            factory = registry.find(module, engine=engine) if isinstance(module, str) and module else None
            key, found = f"reports.{name}.module", module
        if factory is None:
            raise ConfigError(f"no {registry.what} module for this block with the {engine} engine",
                              file=self.config.path, key=key,
                              expected=f"one of {registry.describe(engine=engine)}", found=found)
        return factory(name, block, config_file=self.config.path)

    def _recorded_populations(self) -> list[str]:
        names = []
        for name, pop in self.circuit.nodes.items():
            if pop.has_attribute("model_type"):
                if (pop.get_attribute("model_type") != "virtual").any():
                    names.append(name)
            else:
                names.append(name)
        return names

    def _fail(self, exc: BaseException, *, during: str) -> None:
        """Keep what was flushed, release the engine, log the error, close the log."""
        self._state = "failed"
        kept: list[Path] = []
        for module in [*self.inputs, *self.reports]:
            try:
                kept += module.abort(self)
            except Exception as inner:  # noqa: BLE001 - never mask the original error
                log.error("%s could not save its partial output: %s", module.where(), inner)
        if self.spike_output is not None and during == "the simulation" and \
                (self.engine is None or self.engine.is_output_rank):
            kept += self.spike_output.write_partial()
        if self.engine is not None:
            try:
                self.engine.finalize()
            except Exception as inner:  # noqa: BLE001 - never mask the original error
                log.error("the engine failed to shut down: %s", inner)
        if isinstance(exc, CantataError):
            log.error("Error while %s: %s", during, exc)
        elif isinstance(exc, KeyboardInterrupt):
            log.error("Interrupted during %s", during)
        else:
            log.exception("Unexpected error during %s", during)
        for path in kept:
            log.info("Kept partial output %s", path)
        self._log.close()
