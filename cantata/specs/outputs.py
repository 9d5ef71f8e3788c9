"""NetPyNE's outputs from a finished run: ``simData['LFP']`` (and ``LFPCells``) from the
extracellular report, and the ``saveJson``/``savePickle`` data file (``<filename>_data.json``
/ ``.pkl``) that scripts written for NetPyNE load.
"""

from __future__ import annotations

import json
import math
import os
import pickle
from collections.abc import Mapping
from datetime import datetime
from os import PathLike
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from cantata.errors import FormatError, SimulationError
from cantata.sonata._io import atomic_path
from cantata.specs.checks import fail
from cantata.specs.dicts import undotify
from cantata.specs.model import COMPARTMENT, POINT, VIRTUAL, Model

#: What ``saveDataInclude`` may name (NetPyNE's names; ``net`` = ``netCells`` + ``netPops``).
INCLUDE = ("netParams", "net", "netCells", "netPops", "simConfig", "simData")


# ---------------------------------------------------------------------------------------- LFP


def lfp_data(model: Model, ecp_file: Path, cells_dir: Path | None, circuit_sizes: Mapping[str, int],
             duration: float, dt: float) -> dict[str, Any]:
    """``LFP`` [T, electrodes] (mV) sampled as NetPyNE samples it (row ``k`` is the potential
    at ``(k + 1) * recordStep``; ``T = ceil(duration / recordStep)``), ``LFPCells``
    ({gid: [T, electrodes]}) for the ``saveLFPCells`` cells and ``LFPPops`` ({label: [T,
    electrodes]}, the sum of the population's cells) for the ``saveLFPPops`` populations. ``circuit_sizes``: the node
    populations in the circuit's order (how the engine numbers its gids)."""
    assert model.lfp is not None
    rows = lfp_rows(model.record_step, duration, dt)
    out: dict[str, Any] = {"LFP": _sampled(ecp_file, rows)}
    if model.lfp.cells is None and not model.lfp.pops:
        return out
    offsets, total = {}, 0
    for name, size in circuit_sizes.items():  # the engine's packing of node ids into gids
        offsets[name], total = total, total + int(size)
    owners = [p for p in model.populations.values() if p.first_gid >= 0]

    def cell_lfp(gid: int) -> np.ndarray:
        pop = next(p for p in owners if p.first_gid <= gid < p.first_gid + p.size)
        if pop.kind != COMPARTMENT or cells_dir is None:
            return np.zeros_like(out["LFP"])  # NetPyNE: zeros for cells without segments
        return _sampled(cells_dir / f"{offsets[pop.label] + gid - pop.first_gid}.h5", rows)

    if model.lfp.cells is not None:
        out["LFPCells"] = {gid: cell_lfp(gid) for gid in model.lfp.cells.tolist()}
    if model.lfp.pops:
        pops: dict[str, np.ndarray] = {}
        for label in model.lfp.pops:
            total_lfp = np.zeros_like(out["LFP"])
            pop = model.populations[label]
            if pop.kind == COMPARTMENT:
                for gid in pop.gids.tolist():  # in gid order, as NetPyNE adds them
                    total_lfp += cell_lfp(gid)
            pops[label] = total_lfp
        out["LFPPops"] = pops
    return out


def zero_lfp(model: Model, duration: float) -> dict[str, Any]:
    """``LFP`` (and ``LFPCells``) of a network without compartmental cells: zeros."""
    assert model.lfp is not None
    shape = (math.ceil(duration / model.record_step - 1e-9), len(model.lfp.electrodes))
    out: dict[str, Any] = {"LFP": np.zeros(shape)}
    if model.lfp.cells is not None:
        out["LFPCells"] = {gid: np.zeros(shape) for gid in model.lfp.cells.tolist()}
    if model.lfp.pops:
        out["LFPPops"] = {label: np.zeros(shape) for label in model.lfp.pops}
    return out


def lfp_rows(step: float, duration: float, dt: float) -> np.ndarray:
    """Indices into the every-``dt`` extracellular report of NetPyNE's LFP samples."""
    count = math.ceil(duration / step - 1e-9)
    stride = round(step / dt)
    return (np.arange(count) + 1) * stride


def _sampled(path: Path, rows: np.ndarray) -> np.ndarray:
    try:
        with h5py.File(path, "r") as f:
            data = f["ecp/data"]
            keep = rows[rows < data.shape[0]]
            values = data[keep, :] if keep.size else np.zeros((0, data.shape[1]))
    except (OSError, KeyError) as exc:
        raise FormatError("cannot read the extracellular report", file=path, key="ecp/data",
                          found=str(exc)) from None
    # the report holds t < tstop: NetPyNE's last sample (t = duration) is the potential there
    # after the last step, which this report does not hold; it is repeated from the one before
    if keep.size < rows.size:
        pad = np.repeat(values[-1:] if values.size else np.zeros((1, values.shape[1])), rows.size - keep.size, 0)
        values = np.concatenate([values, pad])
    return np.asarray(values, dtype=float)


# ------------------------------------------------------------------------------- data file


def data_path(cfg: Any, filename: str | PathLike[str] | None = None) -> Path:
    """Where NetPyNE saves its data file, without the extension: ``<filename>_data``, under
    ``saveFolder`` if given (then named by ``simLabel`` if given), ``-<timestamp>`` appended
    with ``timestampFilename``."""
    stamp = "-" + datetime.now().strftime("%Y%m%d_%H%M%S") if cfg.get("timestampFilename") else ""
    if filename is not None:
        return Path(f"{filename}_data{stamp}")
    name = str(cfg.get("filename") or "model_output")
    folder = cfg.get("saveFolder")
    if folder:
        label = cfg.get("simLabel")
        return Path(folder) / f"{label if label else name}_data{stamp}"
    return Path(f"{name}_data{stamp}")


def check_save_folder(cfg: Any) -> None:
    """Fail before the run if ``saveJson``/``savePickle`` cannot write their file."""
    if not (cfg.get("saveJson") or cfg.get("savePickle")):
        return
    _include(cfg.get("saveDataInclude"))
    path = data_path(cfg)
    _writable_folder(path.parent, "simConfig.saveFolder" if cfg.get("saveFolder") else "simConfig.filename")


def _writable_folder(folder: Path, key: str) -> None:
    folder = folder if str(folder) else Path(".")
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        fail("cannot save the data file: a file is in the way of the folder", key, expected="a writable folder",
             found=str(probe))
    if not os.access(probe, os.W_OK | os.X_OK):
        fail("cannot save the data file: the folder is not writable", key, expected="a writable folder",
             found=str(probe.resolve()))


def _include(value: Any) -> list[str]:
    value = undotify(value)
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        fail("a list of parts to save", "simConfig.saveDataInclude", expected=f"names among {list(INCLUDE)}",
             found=value)
    for name in value:
        if name not in INCLUDE:
            fail("unknown part to save", "simConfig.saveDataInclude", expected=f"names among {list(INCLUDE)}",
                 found=name)
    return list(value)


def save_data(model: Model, net_params: Any, cfg: Any, sim_data: Mapping[str, Any], *,
              include: list[str] | None = None, filename: str | PathLike[str] | None = None) -> list[Path]:
    """Write the data file(s) ``simConfig.saveJson``/``savePickle`` ask for; return them."""
    if not (cfg.get("saveJson") or cfg.get("savePickle")):
        return []
    parts = set(_include(cfg.get("saveDataInclude") if include is None else include))
    if "net" in parts:
        parts |= {"netCells", "netPops"}
    from cantata import __version__

    data: dict[str, Any] = {"netpyne_version": None, "cantata_version": __version__}
    net: dict[str, Any] = {}
    if "netParams" in parts:
        net["params"] = plain(net_params.todict())
    if "netCells" in parts:
        net["cells"] = cells_list(model, net_params)
    if "netPops" in parts:
        net["pops"] = {p.label: {"cellGids": p.gids.tolist(), "tags": plain(_pop_tags(p, net_params))}
                       for p in model.populations.values() if p.first_gid >= 0}
    if "simData" in parts and model.lfp is not None:
        pos = model.lfp.electrodes.T.copy()
        pos[1] *= -1  # NetPyNE keeps its electrode y inverted (depth)
        net["recXElectrode"] = {"pos": pos.tolist(), "resistances": {}}
    if net:
        data["net"] = net
    if "simConfig" in parts:
        data["simConfig"] = plain(cfg.todict())
    if "simData" in parts:
        data["simData"] = plain(dict(sim_data))
    base = data_path(cfg, filename)
    key = "simConfig.saveFolder" if cfg.get("saveFolder") else "simConfig.filename"
    _writable_folder(base.parent, key)
    written = []
    try:
        base.parent.mkdir(parents=True, exist_ok=True)
        if cfg.get("savePickle"):
            with atomic_path(base.with_name(base.name + ".pkl"), overwrite=True) as tmp:
                tmp.write_bytes(pickle.dumps(data))
            written.append(base.with_name(base.name + ".pkl"))
        if cfg.get("saveJson"):
            with atomic_path(base.with_name(base.name + ".json"), overwrite=True) as tmp:
                tmp.write_text(json.dumps(data), encoding="utf-8")
            written.append(base.with_name(base.name + ".json"))
    except OSError as exc:
        raise SimulationError("cannot save the data file", file=base, key=key,
                              found=exc.strerror or str(exc)) from None
    return written


def cells_list(model: Model, net_params: Any) -> list[dict[str, Any]]:
    """``net['cells']`` as NetPyNE lists them: ``gid``, ``tags`` (population, cell type or
    model, position and normalised position), ``conns`` (``preGid`` or ``'NetStim'``,
    ``sec``, ``loc``, ``synMech``, ``weight``, ``delay``, ``label``), and for compartmental
    cells the rule's ``secs`` and ``secLists``, for artificial cells their ``params``."""
    sizes = np.array([float(net_params.sizeX), float(net_params.sizeY), float(net_params.sizeZ)])
    pops = [p for p in model.populations.values() if p.first_gid >= 0]
    total = sum(p.size for p in pops)
    targets = undotify(net_params.stimTargetParams)
    conns: list[list[dict[str, Any]]] = [[] for _ in range(total)]
    for block in model.edges:
        pre, post = model.populations[block.source], model.populations[block.target]
        if post.first_gid < 0 or block.source_ids.size == 0:
            continue
        pre_gids = (pre.first_gid + block.source_ids).tolist() if pre.first_gid >= 0 else \
            ["NetStim"] * block.source_ids.size
        rule_secs = list((post.rule or {}).get("secs", {}))
        secs = [rule_secs[i] for i in block.section_id.tolist()] if block.section_id is not None else \
            [None] * block.source_ids.size
        locs = block.section_pos.tolist() if block.section_pos is not None else [None] * block.source_ids.size
        # NetPyNE labels a connection by its rule, a NetStim input by its source (preLabel)
        name = ("preLabel", targets.get(block.rule, {}).get("source")) if pre.first_gid < 0 else ("label", block.rule)
        pre_loc = 0.5 if post.kind == COMPARTMENT else None
        for g, p, w, d, sec, loc in zip((post.first_gid + block.target_ids).tolist(), pre_gids,
                                        block.weight.tolist(), block.delay.tolist(), secs, locs, strict=True):
            conn = {"preGid": p, "preLoc": pre_loc, "sec": sec, "loc": loc, "synMech": block.synmech, "weight": w,
                    "delay": d, name[0]: name[1]}
            conns[g].append({k: v for k, v in conn.items() if v is not None})
    stims = _stims_of_cells(model, net_params, total)
    out = []
    for pop in pops:
        xyz = pop.positions if pop.positions is not None else np.zeros((pop.size, 3))
        norm = pop.norms if pop.norms is not None else xyz / sizes
        tags = {k: v for k, v in _pop_tags(pop, net_params).items()
                if k in ("pop", "cellType", "cellModel") or k in (net_params.popTagsCopiedToCells or [])}
        for i in range(pop.size):
            gid = pop.first_gid + i
            cell: dict[str, Any] = {"gid": gid, "tags": {**tags, "x": float(xyz[i, 0]), "y": float(xyz[i, 1]),
                                                          "z": float(xyz[i, 2]), "xnorm": float(norm[i, 0]),
                                                          "ynorm": float(norm[i, 1]), "znorm": float(norm[i, 2])},
                                    "conns": conns[gid], "stims": stims[gid]}
            if pop.kind == COMPARTMENT and pop.rule is not None:
                cell["tags"]["label"] = [pop.rule_label or pop.cell_type]
                cell["secs"] = pop.rule.get("secs", {})
                cell["secLists"] = pop.rule.get("secLists", {})
            elif pop.kind == POINT:
                cell["params"] = dict(pop.params)
            elif pop.kind == VIRTUAL and pop.spikes is not None:
                cell["params"] = {"spkTimes": pop.spikes[i].tolist()}
            out.append(cell)
    return plain(out)


def _stims_of_cells(model: Model, net_params: Any, total: int) -> list[list[dict[str, Any]]]:
    """Each cell's ``stims`` as NetPyNE lists them: the source's parameters (as given; string
    functions unevaluated) with the target's ``label``, ``source``, ``sec`` and ``loc``; for a
    NetStim source its parameters and ``source`` only."""
    sources = undotify(net_params.stimSourceParams)
    targets = undotify(net_params.stimTargetParams)
    out: list[list[dict[str, Any]]] = [[] for _ in range(total)]

    def add(label: str, gids: np.ndarray) -> None:
        spec = targets.get(label.split("#")[0], {})
        source = sources.get(spec.get("source"), {})
        if source.get("type") == "NetStim":
            entry = {**source, "source": spec.get("source")}
        else:
            entry = {**source, "label": label.split("#")[0], "source": spec.get("source"),
                     "sec": spec.get("sec"), "loc": spec.get("loc", 0.5)}
        for gid in gids.tolist():
            out[gid].append(entry)

    for item in [*model.clamps, *model.stims]:
        add(item.label, model.populations[item.population].first_gid + item.node_ids)
    for block in model.edges:
        if model.populations[block.source].first_gid < 0 and block.rule in targets:
            add(block.rule, np.unique(model.populations[block.target].first_gid + block.target_ids))
    return out


def _pop_tags(pop: Any, net_params: Any) -> dict[str, Any]:
    params = dict(undotify(net_params.popParams.get(pop.label, {})))
    params.pop("spkTimes", None)
    return {**params, "pop": pop.label, "numCells": pop.size}


def plain(value: Any) -> Any:
    """Nested dicts, lists, str, int, float, bool and None only (JSON's and any reader's types):
    numpy arrays and scalars to lists and numbers, tuples to lists, keys to str."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
