"""``simConfig``: run settings, conditions, recording; the options Cantata does not implement
are refused (if they change the model) or warned about (outputs and plots)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from cantata.sim.engines.neuron.rule_cells import section_kinds
from cantata.specs.checks import fail, integer, is_number, mapping, number, warn
from cantata.specs.dicts import undotify
from cantata.specs.model import COMPARTMENT, POINT, Lfp, Population, Trace
from cantata.specs.params import SIM_DEFAULTS
from cantata.specs.selection import CellTable

#: Options that change the model: refused unless left at NetPyNE's default.
MODEL_OPTIONS = ("cvode_active", "coreneuron", "gpu", "createNEURONObj", "addSynMechs", "use_fast_imem",
                 "dump_coreneuron_model")
#: Outputs and plots Cantata does not produce: a warning when asked for.
OUTPUT_OPTIONS = ("recordDipole", "recordDipolesHNN",
                  "saveDipoleCells", "saveDipolePops", "saveIMembrane", "recordStim",
                  "saveMat", "saveCSV", "saveDpk", "saveHDF5", "saveDat", "backupCfgFile",
                  "recordCellsSpikes")
HPARAMS = ("celsius", "v_init", "clamp_resist")
TRACE_KEYS = ("sec", "loc", "var", "mech", "conds")


def run_settings(cfg: Any) -> tuple[dict[str, Any], dict[str, float], float, dict[str, int]]:
    """``run`` block, ``conditions`` block, record step and seeds, after checking every option."""
    for name in MODEL_OPTIONS:
        if cfg.get(name, SIM_DEFAULTS[name]) != SIM_DEFAULTS[name]:
            fail("not supported by cantata.specs", f"simConfig.{name}", expected=SIM_DEFAULTS[name],
                 found=cfg.get(name))
    for name in OUTPUT_OPTIONS:
        if undotify(cfg.get(name, SIM_DEFAULTS[name])) not in (SIM_DEFAULTS[name], None, False, [], {}):
            warn(f"simConfig.{name} is not produced by cantata.specs (its outputs are SONATA spikes, "
                 f"membrane and extracellular reports, simData in memory and the saveJson/savePickle files)")
    duration = number(cfg.duration, "simConfig.duration", positive=True)
    tstop = cfg.get("tstop", SIM_DEFAULTS["tstop"])
    if tstop != SIM_DEFAULTS["tstop"] and tstop != duration:
        fail("NetPyNE runs for simConfig.duration; set duration (tstop is only its alias)", "simConfig.tstop",
             expected=duration, found=tstop)
    dt = number(cfg.dt, "simConfig.dt", positive=True)
    step = number(cfg.recordStep, "simConfig.recordStep", positive=True)
    if abs(step / dt - round(step / dt)) > 1e-9 * max(1.0, step / dt):
        fail("recordStep must be a whole multiple of dt", "simConfig.recordStep", expected=f"a multiple of {dt}",
             found=step)
    hparams = mapping(cfg.hParams, "simConfig.hParams")
    for name in hparams:
        if name not in HPARAMS:
            fail("unsupported NEURON global", f"simConfig.hParams.{name}", expected=f"one of {list(HPARAMS)}",
                 found=name)
    conditions = {"celsius": number(hparams.get("celsius", 6.3), "simConfig.hParams.celsius"),
                  "v_init": number(hparams.get("v_init", -65.0), "simConfig.hParams.v_init")}
    seeds = {**SIM_DEFAULTS["seeds"], **mapping(cfg.seeds, "simConfig.seeds")}
    seeds = {k: integer(v, f"simConfig.seeds.{k}") for k, v in seeds.items()}
    run = {"tstart": 0.0, "tstop": duration, "dt": dt}
    return run, conditions, step, seeds


def traces(cfg: Any, table: CellTable, pops: Mapping[str, Population]) -> list[Trace]:
    """``recordTraces`` on the ``recordCells``: one membrane report per trace. A trace with
    ``sec`` records, on the cells that have that section, ``var`` (or ``mech``'s ``var``) of
    the segment holding ``loc``; one without ``sec`` a variable of IntFire cells."""
    wanted = recorded_cells(cfg.recordCells, table, "simConfig.recordCells")
    out = []
    for label, spec in mapping(cfg.recordTraces, "simConfig.recordTraces").items():
        key = f"simConfig.recordTraces[{label!r}]"
        spec = undotify(mapping(spec, key))
        for name in spec:
            if name not in TRACE_KEYS:
                fail("only section, density-mechanism and artificial-cell variables can be recorded in this "
                     "version", f"{key}.{name}", expected=f"keys among {list(TRACE_KEYS)}", found=name)
        if "var" not in spec:
            fail("missing var", f"{key}.var", expected="a variable name such as 'v'")
        variable = spec["var"] if "mech" not in spec else f"{spec['var']}_{spec['mech']}"
        gids = wanted
        if spec.get("conds"):
            gids = np.intersect1d(gids, table.select(spec["conds"], f"{key}.conds"))
        nodes: dict[str, np.ndarray] = {}
        sites: dict[str, tuple[int, float]] = {}
        kinds: set[str] = set()
        for index in np.unique(table.pop_index[gids]).tolist():
            pop = table.pops[index]
            cells = gids[table.pop_index[gids] == index]
            if "sec" not in spec:
                if pop.kind == POINT:
                    nodes[pop.label] = cells - pop.first_gid
                continue
            if pop.kind != COMPARTMENT or spec["sec"] not in pop.rule["secs"]:  # type: ignore[index]
                continue  # NetPyNE records nothing on cells without the section
            site, kind = _site(pop, spec, key)
            nodes[pop.label] = cells - pop.first_gid
            sites[pop.label] = site
            kinds.add(kind)
        if nodes:
            sections: Any = "soma" if kinds <= {"soma"} and all(_middle_of_soma(pops[p], s) for p, s in sites.items()) \
                else "all"
            out.append(Trace(label=str(label), variable=variable, nodes=nodes, sites=sites, sections=sections))
    return out


def _site(pop: Population, spec: Mapping[str, Any], key: str) -> tuple[tuple[int, float], str]:
    """(section id, centre of the segment holding loc) and the section's kind."""
    assert pop.rule is not None
    names = list(pop.rule["secs"])
    loc = spec.get("loc", 0.5)
    if not isinstance(loc, (int, float)) or isinstance(loc, bool) or not 0 < loc < 1:
        fail("traces are recorded inside a section", f"{key}.loc", expected="0 < loc < 1", found=loc)
    index = names.index(spec["sec"])
    nseg = int(pop.rule["secs"][spec["sec"]].get("geom", {}).get("nseg", 1))
    segment = min(int(loc * nseg), nseg - 1)
    return (index, (segment + 0.5) / nseg), section_kinds(pop.rule["secs"])[index]


def _middle_of_soma(pop: Population, site: tuple[int, float]) -> bool:
    """Whether the soma report (one column, soma(0.5)) records this site."""
    assert pop.rule is not None
    kinds = section_kinds(pop.rule["secs"])
    return kinds.count("soma") == 1 and kinds[site[0]] == "soma" and site[1] == 0.5


def recorded_cells(value: Any, table: CellTable, key: str) -> np.ndarray:
    """Gids named by ``recordCells``: gids, population labels, ``'all'``, ``(pop, index)`` or
    ``(pop, [indices])``."""
    value = undotify(value)
    items = value if isinstance(value, list) else [value]
    out: list[np.ndarray] = []
    labels = {p.label: p for p in table.pops}
    for item in items:
        if item == "all" or item == "allCells":
            out.append(np.arange(table.size))
        elif isinstance(item, str) and item in labels:
            out.append(labels[item].gids)
        elif isinstance(item, int) and not isinstance(item, bool):
            if not 0 <= item < table.size:
                fail("no cell with this gid", key, expected=f"0..{table.size - 1}", found=item)
            out.append(np.array([item]))
        elif isinstance(item, (tuple, list)) and len(item) == 2 and item[0] in labels:
            pop = labels[item[0]]
            index = np.atleast_1d(np.asarray(item[1], dtype=np.int64))
            if index.size and (index.min() < 0 or index.max() >= pop.size):
                fail(f"population {pop.label!r} has {pop.size} cells", key, found=item)
            out.append(pop.first_gid + index)
        else:
            fail("cannot tell which cells to record", key,
                 expected="gids, population labels, 'all', (pop, index) or (pop, [indices])", found=item)
    return np.unique(np.concatenate(out)) if out else np.zeros(0, np.int64)


def lfp(cfg: Any, table: CellTable) -> Lfp | None:
    """``recordLFP`` (a list of ``[x, y, z]`` electrode positions, um), ``saveLFPCells``
    (``True``: every cell; or cells as ``recordCells`` names them) and ``saveLFPPops``
    (``True``: every population; or a list of labels)."""
    value = undotify(cfg.get("recordLFP", []))
    keep = undotify(cfg.get("saveLFPCells", False))
    keep_pops = undotify(cfg.get("saveLFPPops", False))
    if value is None or value is False or (isinstance(value, (list, tuple)) and not value):
        for name, given in (("saveLFPCells", keep), ("saveLFPPops", keep_pops)):
            if given not in (False, None, [], 0):
                warn(f"simConfig.{name} has no effect without simConfig.recordLFP")
        return None
    key = "simConfig.recordLFP"
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        fail("a list of electrode positions", key, expected="[[x, y, z], ...] (um)", found=value)
    for i, site in enumerate(value):
        if isinstance(site, np.ndarray):
            site = site.tolist()
        if not (isinstance(site, (list, tuple)) and len(site) == 3 and all(is_number(v) for v in site)):
            fail("each electrode is a position [x, y, z] of three finite numbers (um)", f"{key}[{i}]",
                 expected="[x, y, z]", found=site)
    electrodes = np.asarray(value, dtype=float).reshape(-1, 3)
    cells = None
    if keep is True:
        cells = np.arange(table.size)  # NetPyNE: every cell (zeros for artificial ones)
    elif keep not in (False, None, [], 0):
        cells = recorded_cells(keep, table, "simConfig.saveLFPCells")
    pops = None
    labels = [p.label for p in table.pops]
    if keep_pops is True:
        pops = labels
    elif keep_pops not in (False, None, [], 0):
        items = keep_pops if isinstance(keep_pops, list) else [keep_pops]
        for item in items:
            if item not in labels:
                fail("no such population", "simConfig.saveLFPPops", expected=f"labels among {labels}", found=item)
        pops = [label for label in labels if label in items]
    return Lfp(electrodes=electrodes, cells=cells, pops=pops)
