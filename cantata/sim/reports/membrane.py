"""``module: membrane_report`` (alias ``multimeter_report``): a state variable of the nodes of
a node set, streamed block by block into a SONATA frame report."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cantata.errors import SimulationError
from cantata.sim.engine import Probe, ProbeRequest
from cantata.sim.modules import ReportModule
from cantata.sim.registry import report_module
from cantata.sim.runlog import log
from cantata.sonata.reports import FrameReportWriter

if TYPE_CHECKING:
    from cantata.sim.simulation import Simulation

__all__ = ["MembraneReport"]

_STEP_TOLERANCE = 1e-9


@report_module(["membrane_report", "multimeter_report", "multimeter", "compartment"])
class MembraneReport(ReportModule):
    """Keys: ``cells`` (or ``node_set``), ``variable_name`` (a name or a list), ``file_name``,
    ``sections`` (``soma``; engines with morphologies may take ``all``), optional
    ``start_time``, ``end_time``, ``dt`` (a multiple of ``run.dt``) and ``units``.

    With several variables, each goes to its own file ``<stem>.<variable>.h5``.
    """

    def __init__(self, name: str, params: dict[str, Any], *, config_file: Any = None) -> None:
        super().__init__(name, params, config_file=config_file)
        variables = self.param("variable_name", expected="a variable name or a list of names")
        self.variables = [variables] if isinstance(variables, str) else variables
        if not isinstance(self.variables, list) or not self.variables or \
                not all(isinstance(v, str) and v for v in self.variables):
            raise self.error("must be a variable name or a list of names", "variable_name", found=variables)
        if "cells" not in params and "node_set" not in params:
            raise self.error("missing cells", "cells", expected="a node set", found=None)
        self.cells = params.get("cells", params.get("node_set"))
        file_name = params.get("file_name") or f"{name}.h5"
        base = Path(file_name)
        self.paths = {v: base for v in self.variables} if len(self.variables) == 1 else \
            {v: base.with_name(f"{base.stem}.{v}{base.suffix or '.h5'}") for v in self.variables}
        for key in ("start_time", "end_time", "dt"):
            value = params.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not math.isfinite(value) or value < 0 or (key == "dt" and value <= 0)):
                raise self.error("must be a non-negative number" if key != "dt" else "must be positive", key,
                                 found=value)
        self.sections = params.get("sections", "soma")
        self.probes: dict[str, Probe] = {}
        self.writers: dict[str, FrameReportWriter] = {}

    def outputs(self) -> list[Path]:
        return list(self.paths.values())

    def setup(self, sim: Simulation) -> None:
        assert sim.engine is not None
        run = sim.settings
        nodes = sim.resolve_nodes(self.cells, where=self.where("cells"))
        if not nodes:
            log.warning("%s: the node set selects no nodes; nothing will be recorded", self.where())
            return
        start = float(self.params.get("start_time", run.tstart))
        stop = float(self.params.get("end_time", run.tstop))
        dt = float(self.params.get("dt", run.dt))
        ratio = dt / run.dt
        if abs(ratio - round(ratio)) > _STEP_TOLERANCE * max(1.0, ratio) or round(ratio) < 1:
            raise self.error("must be a whole multiple of run.dt", "dt", expected=f"a multiple of {run.dt}",
                             found=dt)
        stop = min(stop, run.tstop)
        if not start < stop:
            raise self.error("start_time must be before end_time and run.tstop", "start_time",
                             expected=f"a time < {stop}", found=start)
        options = {k: v for k, v in self.params.items() if k not in (
            "cells", "node_set", "variable_name", "file_name", "module", "start_time", "end_time", "dt", "enabled")}
        for variable, path in self.paths.items():
            request = ProbeRequest(variable=variable, nodes=nodes, start=start, stop=stop, dt=dt,
                                   sections=str(self.sections), options=options)
            probe = sim.engine.add_probe(request, where=self.where("variable_name"))
            self.probes[variable] = probe
            if not sim.engine.is_output_rank:
                continue  # MPI: frames are gathered on the output rank, which writes them
            first, end, step = probe.times()
            units = str(self.params.get("units", self.params.get("unit", probe.units)))
            writer = FrameReportWriter(path, tstart=first, tstop=end, dt=step, variable=variable, units=units,
                                       overwrite=True)
            try:
                for population, ids in probe.nodes.items():
                    writer.add_population(population, ids, **probe.layout(population))
            except BaseException:
                writer.abort()
                raise
            self.writers[variable] = writer

    def block(self, sim: Simulation, t: float) -> None:
        for variable, probe in self.probes.items():
            frames_by_population = probe.fetch()  # on every rank: MPI engines gather here
            writer = self.writers.get(variable)
            if writer is None:
                continue
            for population, frames in frames_by_population.items():
                if frames.shape[0]:
                    writer.write_block(frames, population)

    def finalize(self, sim: Simulation) -> list[Path]:
        written = []
        for variable, writer in self.writers.items():
            if not writer.complete:
                done = {p: writer.rows_written(p) for p in writer.populations}
                writer.abort()
                raise SimulationError("the engine delivered fewer frames than the report holds",
                                      file=writer.partial, key=self.where("variable_name"),
                                      expected=f"{writer.n_steps} frames of {variable}", found=done)
            written.append(writer.close())
        return written

    def abort(self, sim: Simulation) -> list[Path]:
        """Keep partial files that hold frames; remove those that never got any."""
        kept = []
        for writer in self.writers.values():
            rows = sum(writer.rows_written(p) for p in writer.populations)
            complete = writer.complete
            partial = writer.abort()
            if rows and not complete:
                kept.append(partial)
            elif not rows:
                partial.unlink(missing_ok=True)
        return kept
