"""NetPyNE's ``sim`` entry points over SONATA: ``create`` writes the circuit, ``simulate`` runs it
on Cantata's NEURON engine, results come back in NetPyNE's ``simData`` form.

::

    from cantata.specs import sim
    sim.createSimulateAnalyze(netParams, simConfig)
    sim.simData['spkt'], sim.simData['spkid']        # spike times (ms) and NetPyNE gids
    sim.simData['V_soma']['cell_0']                  # a recorded trace (recordTraces label)

The circuit goes to ``<saveFolder>/<simLabel or filename>/`` (default ``./model_output/``),
the run's SONATA outputs to its ``output/`` folder. ``recordLFP`` fills ``simData['LFP']`` (an
extracellular report); ``saveJson``/``savePickle`` write NetPyNE's data file
(:func:`saveData`). NEURON keeps its state per process, so run one simulation per process, as
with NetPyNE.
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from cantata.errors import SimulationError
from cantata.specs import outputs
from cantata.specs.checks import warn
from cantata.specs.compile import compile_model
from cantata.specs.dicts import Dict
from cantata.specs.export import LFP_CELLS_DIR, LFP_REPORT, safe_name, write_model
from cantata.specs.model import VIRTUAL, Model
from cantata.specs.params import NetParams, SimConfig

__all__ = ["create", "simulate", "analyze", "saveData", "createSimulate", "createSimulateAnalyze", "initialize",
           "simData", "allSimData", "net", "cfg", "netParams", "config_path", "model"]

netParams: NetParams | None = None
cfg: SimConfig | None = None
model: Model | None = None
config_path: Path | None = None
simData: Dict = Dict()
allSimData: Dict = simData
net: Dict = Dict()


def initialize(netParams: NetParams | None = None, simConfig: SimConfig | None = None) -> None:  # noqa: N803
    """Keep the specification for :func:`create` (NetPyNE's ``sim.initialize``)."""
    globals().update(netParams=netParams or NetParams(), cfg=simConfig or SimConfig())


def folder_of(simConfig: SimConfig) -> Path:  # noqa: N803
    """Where :func:`create` writes the circuit: ``<saveFolder>/<simLabel or filename>``."""
    name = simConfig.get("simLabel") or simConfig.get("filename") or "model_output"
    return Path(simConfig.get("saveFolder") or ".") / str(name)


def create(netParams: NetParams | None = None, simConfig: SimConfig | None = None,  # noqa: N803
           output: bool = False, *, folder: str | PathLike[str] | None = None,
           mechanisms_dir: str | PathLike[str] | bool | None = None) -> Path:
    """Compile the specification and write it as SONATA (replacing an earlier circuit in the same
    folder); return the simulation config's path. ``mechanisms_dir``: your ``.mod`` files (see
    :func:`cantata.specs.to_sonata`)."""
    global model, config_path
    initialize(netParams, simConfig)
    assert cfg is not None and globals()["netParams"] is not None
    model = compile_model(globals()["netParams"], cfg)
    outputs.check_save_folder(cfg)
    config_path = write_model(model, folder if folder is not None else folder_of(cfg), overwrite=True,
                              mechanisms_dir=mechanisms_dir)
    net.clear()
    net.update(pops={p.label: {"cellGids": p.gids.tolist(),
                               "tags": {"pop": p.label, "cellType": p.cell_type, "cellModel": p.cell_model,
                                        "numCells": p.size}}
                     for p in model.populations.values() if p.first_gid >= 0})
    return config_path


def simulate() -> Dict:
    """Run the circuit written by :func:`create`; fill and return ``simData``."""
    if config_path is None or model is None:
        raise SimulationError("nothing to simulate", key="sim.simulate",
                              expected="sim.create(netParams, simConfig) first")
    from cantata.sim import Simulation

    simulation = Simulation.from_config(config_path, progress=False)
    result = simulation.run()
    output = result.output_dir or config_path.parent / "output"
    reports = {name: output / block["file_name"] for name, block in simulation.config.reports.items()
               if name != LFP_REPORT}
    simData.clear()
    simData.update(results(model, result.spikes, reports))
    if model.lfp is not None and LFP_REPORT not in simulation.config.reports:  # no compartmental cells
        simData.update(outputs.zero_lfp(model, float(model.run["tstop"])))
    elif model.lfp is not None:
        block = simulation.config.reports[LFP_REPORT]
        sizes = {name: pop.size for name, pop in simulation.circuit.nodes.items()}
        simData.update(outputs.lfp_data(model, output / block["file_name"],
                                        output / LFP_CELLS_DIR if block.get("contributions_dir") else None,
                                        sizes, float(model.run["tstop"]), float(model.run["dt"])))
    n_cells = sum(p.size for p in model.populations.values() if p.first_gid >= 0)
    simData["avgRate"] = float(len(simData["spkt"]) / max(n_cells, 1) / model.run["tstop"] * 1e3)
    return simData


def saveData(include: list[str] | None = None, filename: str | PathLike[str] | None = None) -> list[Path]:  # noqa: N802
    """Write ``<filename>_data.json`` / ``.pkl`` as NetPyNE does when ``simConfig.saveJson`` /
    ``savePickle`` are set (``analyze`` and ``createSimulateAnalyze`` call it); return the files.
    ``include``: parts among ``netParams``, ``net`` (``netCells``, ``netPops``), ``simConfig``,
    ``simData`` (default ``simConfig.saveDataInclude``); ``filename``: the path without
    ``_data.json``."""
    if cfg is None or model is None:
        raise SimulationError("nothing to save", key="sim.saveData", expected="sim.create(netParams, simConfig) first")
    return outputs.save_data(model, globals()["netParams"], cfg, simData, include=include, filename=filename)


def analyze() -> list[Path]:
    """Save the data file (``saveJson``/``savePickle``, see :func:`saveData`), then make the
    ``simConfig.analysis`` plots Cantata has: ``plotRaster`` and ``plotTraces`` (PNG files in
    the output folder: ``raster.png``, ``traces_<trace>.png``); any other entry gives a
    warning. Returns the files written."""
    if cfg is None or config_path is None:
        return []
    written = saveData() if simData else []
    if not cfg.get("analysis"):
        return written
    from cantata.analysis import plot_raster, plot_traces

    output = config_path.parent / "output"
    for name, options in cfg.analysis.items():
        if options is False:
            continue
        if name == "plotRaster":
            written.append(output / "raster.png")
            plot_raster(config_path, written[-1])
        elif name == "plotTraces" and model is not None:
            for trace in model.traces:
                written.append(output / f"traces_{safe_name(trace.label)}.png")
                plot_traces(config_path, written[-1], report=trace.label)
        else:
            warn(f"simConfig.analysis[{name!r}] is not made by cantata.specs (only plotRaster and "
                 "plotTraces); plot the SONATA outputs with cantata.analysis or `cantata plot`")
    return written


def createSimulate(netParams: NetParams | None = None, simConfig: SimConfig | None = None,  # noqa: N802,N803
                   output: bool = False, *, mechanisms_dir: str | PathLike[str] | bool | None = None) -> Dict:
    create(netParams, simConfig, mechanisms_dir=mechanisms_dir)
    return simulate()


def createSimulateAnalyze(netParams: NetParams | None = None, simConfig: SimConfig | None = None,  # noqa: N802,N803
                          output: bool = False, *, mechanisms_dir: str | PathLike[str] | bool | None = None) -> Dict:
    create(netParams, simConfig, mechanisms_dir=mechanisms_dir)
    data = simulate()
    analyze()
    return data


def results(model: Model, spikes: Any, reports: Mapping[str, Path]) -> dict[str, Any]:
    """``spkt``/``spkid`` (NetPyNE gids, time order; NetStim/VecStim populations included, as
    NetPyNE records them) and one ``{'cell_<gid>': trace}`` dict per recorded trace (``reports``:
    trace label -> report file)."""
    times, gids = [], []
    for pop in model.populations.values():
        if pop.first_gid < 0:
            continue
        if pop.kind == VIRTUAL:
            trains = pop.spikes or []
            times += trains
            gids += [np.full(t.size, pop.first_gid + i) for i, t in enumerate(trains)]
        elif pop.label in spikes.populations:
            ids, ts = spikes.population(pop.label)
            times.append(ts)
            gids.append(pop.first_gid + ids)
    t = np.concatenate(times) if times else np.zeros(0)
    g = np.concatenate(gids).astype(np.int64) if gids else np.zeros(0, np.int64)
    order = np.lexsort((g, t))
    out: dict[str, Any] = {"spkt": t[order], "spkid": g[order]}
    if model.traces:
        from cantata.sonata.reports import FrameReport

        for trace in model.traces:
            path = reports[trace.label]
            cells: dict[str, np.ndarray] = {}
            with FrameReport.open(path) as report:
                for population in report.populations:
                    frames = report[population]
                    first = model.populations[population].first_gid
                    data = frames.data()
                    site = trace.sites.get(population)
                    for node_id in frames.node_ids.tolist():
                        columns = frames.columns(node_id)
                        column = 0
                        if site is not None and trace.sections == "all":  # the segment holding loc
                            ids = frames.element_ids[columns]
                            pos = np.asarray(frames.element_pos[columns], dtype=float)
                            column = int(np.argmin(np.where(ids == site[0], np.abs(pos - site[1]), np.inf)))
                        cells[f"cell_{first + node_id}"] = data[:, columns][:, column].astype(float)
                    out.setdefault("t", frames.times)
            out[trace.label] = Dict(cells)
    return out
