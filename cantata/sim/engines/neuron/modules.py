"""Input and report modules only the NEURON engine provides (registered on import).

* ``current_clamp`` with a waveform file (``input_file``/``file``, BMTK's ``input_type: csv``):
  a csv with a time column (ms) and an amplitude column (nA), linearly interpolated;
* ``voltage_clamp`` / ``SEClamp``: ``amps`` (mV) held for ``durations`` (ms), series
  resistance ``rs`` (MOhm);
* ``netcon_report`` / ``synapse_report``: a variable of the synapses onto some cells (``g``,
  ``i`` of Exp2Syn ...), one column per synapse;
* ``save_synapses``: where every synapse was placed, as a SONATA edge file (one row per
  synapse, ``afferent_section_id``/``afferent_section_pos``, ``syn_weight``, ``delay``);
* ``extracellular``: the extracellular potential at electrode positions (line-source model).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cantata.errors import SimulationError
from cantata.sim.engines.neuron.ecp import ExtracellularReport, read_electrodes  # noqa: F401  (re-export)
from cantata.sim.inputs.current_clamp import CurrentClampInput
from cantata.sim.modules import InputModule, ReportModule
from cantata.sim.registry import input_module, report_module
from cantata.sim.reports.membrane import MembraneReport

if TYPE_CHECKING:
    from cantata.sim.simulation import Simulation

ENGINE = "neuron"
_CLAMP_KEYS = ("input_type", "module", "node_set", "amp", "delay", "duration", "enabled", "input_file",
               "file", "separator", "timestamps_column", "amplitudes_column", "gids", "amps", "durations",
               "rs")


def _options(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k not in _CLAMP_KEYS}


@input_module("current_clamp", ["IClamp", "iclamp", "current_clamp"], engine=ENGINE)
@input_module("csv", ["IClamp", "iclamp"], engine=ENGINE)
@input_module("file", ["IClamp", "iclamp"], engine=ENGINE)
class NeuronCurrentClamp(CurrentClampInput):
    """Square pulses (``amp``/``delay``/``duration``) or a waveform file (``input_file``)."""

    def __init__(self, name: str, params: dict[str, Any], *, config_file: Any = None) -> None:
        source = params.get("input_file", params.get("file"))
        self.waveform: tuple[np.ndarray, np.ndarray] | None = None
        if source is None:
            super().__init__(name, params, config_file=config_file)
            return
        InputModule.__init__(self, name, params, config_file=config_file)
        self.waveform = self._read_waveform(Path(str(source)))

    def _read_waveform(self, path: Path) -> tuple[np.ndarray, np.ndarray]:
        key = "input_file" if "input_file" in self.params else "file"
        sep = self.params.get("separator", ",")
        t_col = self.params.get("timestamps_column", "timestamps")
        a_col = self.params.get("amplitudes_column", "amps")
        try:
            table = pd.read_csv(path, sep=sep)
        except FileNotFoundError:
            raise SimulationError("current waveform file not found", file=path, key=self.where(key)) from None
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise SimulationError("cannot read the current waveform csv", file=path, key=self.where(key),
                                  found=str(exc)) from None
        missing = [c for c in (t_col, a_col) if c not in table.columns]
        if missing:
            raise SimulationError("waveform csv lacks a column", file=path, key=self.where(key),
                                  expected=f"columns {t_col!r} (ms) and {a_col!r} (nA)",
                                  found=list(table.columns))
        times = pd.to_numeric(table[t_col], errors="coerce").to_numpy(float)
        amps = pd.to_numeric(table[a_col], errors="coerce").to_numpy(float)
        if not (np.isfinite(times).all() and np.isfinite(amps).all()) or times.size == 0 or \
                (np.diff(times) < 0).any():
            raise SimulationError("waveform needs increasing finite times and finite amplitudes",
                                  file=path, key=self.where(key))
        return times, amps

    def setup(self, sim: Simulation) -> None:
        if self.waveform is None:
            super().setup(sim)
            return
        assert sim.engine is not None
        targets = sim.resolve_nodes(self.param("node_set", expected="a node set"), where=self.where("node_set"))
        for population, ids in targets.items():
            sim.engine.add_current_waveform(population, ids, *self.waveform, where=self.where(),
                                            options=_options(self.params))


@input_module("voltage_clamp", ["SEClamp", "seclamp", "voltage_clamp"], engine=ENGINE)
class VoltageClampInput(InputModule):
    """Keys: ``node_set`` (or BMTK's ``gids``: node ids), ``amps`` (mV), ``durations`` (ms),
    optional ``rs`` (MOhm) and the electrode place (``section_name`` ...)."""

    def __init__(self, name: str, params: dict[str, Any], *, config_file: Any = None) -> None:
        super().__init__(name, params, config_file=config_file)
        self.amps = self._numbers("amps")
        self.durations = self._numbers("durations")
        if len(self.amps) != len(self.durations) or not 1 <= len(self.amps) <= 3:
            raise self.error("amps and durations must be lists of 1 to 3 values of equal length", "amps",
                             found=f"{len(self.amps)} amps, {len(self.durations)} durations")
        rs = params.get("rs")
        if rs is not None and (isinstance(rs, bool) or not isinstance(rs, (int, float)) or rs <= 0):
            raise self.error("must be a positive number (MOhm)", "rs", found=rs)
        self.rs = None if rs is None else float(rs)

    def _numbers(self, key: str) -> list[float]:
        raw = self.param(key, expected="a list of numbers")
        values = raw if isinstance(raw, list) else [raw]
        if not values or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                                 for v in values):
            raise self.error("must be a number or a list of numbers", key, found=raw)
        return [float(v) for v in values]

    def setup(self, sim: Simulation) -> None:
        assert sim.engine is not None
        expression = self.params.get("node_set", self.params.get("gids"))
        targets = sim.resolve_nodes(expression, where=self.where("node_set"))
        for population, ids in targets.items():
            sim.engine.add_voltage_clamp(population, ids, self.amps, self.durations, self.rs,
                                         where=self.where(), options=_options(self.params))


@report_module(["netcon_report", "synapse_report", "syn_report"], engine=ENGINE)
class SynapseReport(MembraneReport):
    """A synapse variable (``variable_name``: ``g``, ``i`` ...) of the synapses onto ``cells``;
    ``syn_type`` (e.g. ``Exp2Syn``) keeps only synapses of that mechanism."""

    def __init__(self, name: str, params: dict[str, Any], *, config_file: Any = None) -> None:
        super().__init__(name, {**params, "probe": "synapses"}, config_file=config_file)


@report_module(["save_synapses"], engine=ENGINE)
class SaveSynapses(ReportModule):
    """Writes the placed synapses as a SONATA edge file at the end of the build."""

    def __init__(self, name: str, params: dict[str, Any], *, config_file: Any = None) -> None:
        super().__init__(name, params, config_file=config_file)
        file_name = params.get("file_name") or f"{name}.h5"
        if not isinstance(file_name, str):
            raise self.error("must be a file name", "file_name", found=file_name)
        self.path = Path(file_name)

    def outputs(self) -> list[Path]:
        return [self.path]

    def finalize(self, sim: Simulation) -> list[Path]:
        assert sim.engine is not None
        written = sim.engine.write_synapses(self.path)
        return [] if written is None else [written]
