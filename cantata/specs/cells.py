"""``popParams``, ``cellParams`` and ``synMechParams``: populations, cell rules, synapse models.

Supported: populations of compartmental cells (``cellType`` naming a ``cellParams`` rule with
``secs``), of NEURON's ``IntFire1``/``IntFire2``/``IntFire4`` point neurons, and of
``NetStim``/``VecStim`` spike sources (which become virtual SONATA nodes with precomputed
spike trains, see :mod:`cantata.specs.spiketrains`). Cell positions are drawn uniformly in the
population's ranges from Cantata's generator (NetPyNE's Random123 draws are not reproduced).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from cantata.sim.engines.neuron.rule_cells import (
    GEOM_KEYS,
    ION_KEYS,
    SECTION_KEYS,
    TOPOL_KEYS,
    spike_site,
)
from cantata.specs import spiketrains
from cantata.specs.checks import fail, integer, is_number, mapping, number, only_keys, where
from cantata.specs.dicts import undotify
from cantata.specs.model import COMPARTMENT, POINT, VIRTUAL, Population, SynMech

#: Artificial cells: NEURON parameter names per model (times in ms).
POINT_MODELS = {
    "IntFire1": ("tau", "refrac"),
    "IntFire2": ("taum", "taus", "ib"),
    "IntFire4": ("taue", "taui1", "taui2", "taum"),
}
SOURCE_PARAMS = {
    "NetStim": ("rate", "interval", "noise", "start", "number", "seed"),
    "VecStim": ("spkTimes", "rate", "interval", "noise", "start", "seed"),
}
#: Synapse models and NEURON's defaults for their parameters.
SYNAPSE_MODELS = {
    "ExpSyn": {"tau": 0.1, "e": 0.0},
    "Exp2Syn": {"tau1": 0.1, "tau2": 10.0, "e": 0.0},
}
POP_KEYS = ("cellType", "cellModel", "numCells", "xRange", "yRange", "zRange",
            "xnormRange", "ynormRange", "znormRange")
UNSUPPORTED_POP_KEYS = ("density", "gridSpacing", "cellsList", "spikePattern", "pulses", "dynamicRates",
                        "diversity", "originalFormat")


def synapse_models(syn_params: Mapping[str, Any]) -> dict[str, SynMech]:
    """``synMechParams`` as synapse models with every parameter given (NEURON defaults)."""
    out = {}
    for label, params in syn_params.items():
        key = where("netParams.synMechParams", label)
        params = mapping(params, key)
        mod = params.get("mod")
        if mod not in SYNAPSE_MODELS:
            fail("unsupported synapse model", f"{key}.mod", expected=f"one of {sorted(SYNAPSE_MODELS)}",
                 found=mod)
        defaults = SYNAPSE_MODELS[mod]
        only_keys(params, ["mod", *defaults], key, f"{mod} synMechParams")
        values = {name: number(params.get(name, value), f"{key}.{name}") for name, value in defaults.items()}
        out[str(label)] = SynMech(label=str(label), mod=mod, params=values)
    return out


def populations(net: Any, duration: float, seeds: Mapping[str, int]) -> dict[str, Population]:
    """The populations of ``popParams`` in order, with gids, positions and cell rules."""
    out: dict[str, Population] = {}
    first_gid = 0
    if net.scale != 1:
        fail("scaling the number of cells is not supported in this version", "netParams.scale",
             expected=1, found=net.scale)
    if net.shape != "cuboid":
        fail("only cuboid networks are supported in this version", "netParams.shape",
             expected="cuboid", found=net.shape)
    for label, params in net.popParams.items():
        key = where("netParams.popParams", label)
        params = mapping(params, key)
        if not isinstance(label, str) or not label or "/" in label or label in (".", ".."):
            fail("population labels must be names", key, expected="a non-empty string without '/'",
                 found=label)
        pop = _population(net, label, params, key, first_gid, duration, seeds)
        out[label] = pop
        first_gid += pop.size
    return out


def _population(net: Any, label: str, params: Mapping[str, Any], key: str, first_gid: int,
                duration: float, seeds: Mapping[str, int]) -> Population:
    for name in UNSUPPORTED_POP_KEYS:
        if name in params:
            fail("not supported in this version of cantata.specs", f"{key}.{name}",
                 expected=f"numCells (and ranges) instead, keys among {list(POP_KEYS)}")
    if "numCells" not in params:
        fail("missing numCells", f"{key}.numCells", expected="a number of cells")
    size = integer(params["numCells"], f"{key}.numCells")
    cell_type = params.get("cellType")
    model = params.get("cellModel")
    rule = net.cellParams.get(cell_type) if cell_type is not None else None
    if model is None and isinstance(rule, Mapping):
        model = rule.get("cellModel")
    tags = {"pop": label, "cellType": cell_type, "cellModel": model}
    copied = [t for t in net.popTagsCopiedToCells if t not in ("cellType", "cellModel")]
    tags.update({t: undotify(params[t]) for t in copied if t in params})
    pop = Population(label=label, kind=COMPARTMENT, size=size, first_gid=first_gid, cell_type=cell_type,
                     cell_model=model, threshold=number(net.defaultThreshold, "netParams.defaultThreshold"),
                     tags=tags)
    extra = [k for k in params if k not in POP_KEYS and k not in copied]
    if model in SOURCE_PARAMS:
        pop.kind = VIRTUAL
        only_keys({k: params[k] for k in extra}, SOURCE_PARAMS[model], key, f"{model} popParams")
        rng = np.random.default_rng([int(seeds["stim"]), zlib.crc32(label.encode())])
        pop.spikes = spiketrains.population_spikes(model, params, size, duration, key, rng)
    elif model in POINT_MODELS:
        pop.kind = POINT
        given = dict(rule.get("params", {})) if isinstance(rule, Mapping) else {}
        given.update({k: params[k] for k in extra})
        only_keys(given, POINT_MODELS[model], key, f"{model} parameter")
        pop.params = {k: number(v, f"{key}.{k}") for k, v in given.items()}
    else:
        if extra:
            fail("unsupported popParams key", f"{key}.{extra[0]}",
                 expected=f"keys among {list(POP_KEYS)} (or tags named in netParams.popTagsCopiedToCells)",
                 found=extra[0])
        if cell_type is None:
            fail("a population of compartmental cells needs a cellType", f"{key}.cellType",
                 expected=f"a cellParams label, or cellModel among {sorted({*POINT_MODELS, *SOURCE_PARAMS})}",
                 found=model)
        if not isinstance(rule, Mapping) or "secs" not in rule:
            fail("cellType names no cell rule with sections", f"{key}.cellType",
                 expected=f"one of the cellParams labels {list(net.cellParams)}", found=cell_type)
        pop.rule = cell_rule(cell_type, rule)
        site, _ = spike_site(pop.rule["secs"])
        pop.threshold = float(pop.rule["secs"][site].get("threshold", pop.threshold))
    pop.positions = _positions(net, params, size, key, np.random.default_rng(
        [int(seeds["loc"]), zlib.crc32(label.encode())]))
    return pop


def _positions(net: Any, params: Mapping[str, Any], size: int, key: str, rng: np.random.Generator) -> np.ndarray:
    """Uniform positions in the population's ranges (um), as NetPyNE places ``numCells``."""
    out = rng.random((size, 3))
    for axis, coord in enumerate("xyz"):
        extent = number(getattr(net, f"size{coord.upper()}"), f"netParams.size{coord.upper()}", positive=True)
        lo, hi = 0.0, 1.0
        for name, scale in ((f"{coord}Range", extent), (f"{coord}normRange", 1.0)):
            if name in params:
                pair = params[name]
                if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                    fail("a range is [min, max]", f"{key}.{name}", expected="two numbers", found=pair)
                lo, hi = (number(v, f"{key}.{name}") / scale for v in pair)
        out[:, axis] = extent * (out[:, axis] * (hi - lo) + lo)
    return out


def cell_rule(label: str, rule: Mapping[str, Any]) -> dict[str, Any]:
    """A ``cellParams`` rule checked and as plain JSON (what the NEURON engine builds)."""
    key = where("netParams.cellParams", label)
    only_keys(rule, ("secs", "secLists", "conds", "globals", "vars", "cellModel"), key, "cellParams")
    for name in ("globals", "vars"):
        if rule.get(name):
            fail("not supported in this version of cantata.specs", f"{key}.{name}",
                 expected="numbers in the sections' geom/mechs")
    conds = rule.get("conds") or {}
    if conds and dict(conds) != {"cellType": label}:
        fail("cell rules are chosen by their label (cellType); conds are not supported", f"{key}.conds",
             expected=f"{{'cellType': {label!r}}} or nothing", found=undotify(conds))
    secs = mapping(rule["secs"], f"{key}.secs")
    if not secs:
        fail("a cell needs at least one section", f"{key}.secs", expected="{'soma': {...}}", found={})
    out: dict[str, Any] = {}
    for name, sec in secs.items():
        skey = f"{key}.secs.{name}"
        if not isinstance(name, str) or not name:
            fail("section names must be strings", skey, found=name)
        sec = mapping(sec, skey)
        only_keys(sec, [*SECTION_KEYS, "pointps", "synMechs", "weightNorm"], skey, "section")
        for unsupported in ("pointps", "synMechs", "weightNorm"):
            if sec.get(unsupported):
                fail("not supported in this version of cantata.specs", f"{skey}.{unsupported}",
                     expected=f"keys among {sorted(SECTION_KEYS)}")
        out[name] = _section(sec, skey, secs)
    return {"label": label, "secs": out, **({"secLists": undotify(rule["secLists"])} if rule.get("secLists") else {})}


def _section(sec: Mapping[str, Any], key: str, secs: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    geom = mapping(sec.get("geom", {}), f"{key}.geom")
    only_keys(geom, GEOM_KEYS, f"{key}.geom", "geom")
    out["geom"] = {}
    for name, value in geom.items():
        if name == "pt3d":
            points = [list(p) for p in value]
            if not all(len(p) == 4 and all(is_number(v) for v in p) for p in points):
                fail("pt3d points are (x, y, z, diam)", f"{key}.geom.pt3d", expected="4 numbers per point")
            out["geom"]["pt3d"] = points
        elif name == "nseg":
            out["geom"][name] = integer(value, f"{key}.geom.nseg", minimum=1)
        else:
            out["geom"][name] = number(value, f"{key}.geom.{name}", positive=name != "cm")
    topol = sec.get("topol") or {}
    if topol:
        only_keys(topol, TOPOL_KEYS, f"{key}.topol", "topol")
        missing = sorted(TOPOL_KEYS - set(topol))
        if missing:
            fail("incomplete topology", f"{key}.topol.{missing[0]}", expected=f"keys {sorted(TOPOL_KEYS)}")
        if topol["parentSec"] not in secs:
            fail("parent section not in this cell", f"{key}.topol.parentSec", expected=f"one of {list(secs)}",
                 found=topol["parentSec"])
        out["topol"] = {"parentSec": topol["parentSec"],
                        "parentX": number(topol["parentX"], f"{key}.topol.parentX", minimum=0),
                        "childX": number(topol["childX"], f"{key}.topol.childX", minimum=0)}
    mechs = mapping(sec.get("mechs", {}), f"{key}.mechs")
    out["mechs"] = {}
    for mech, params in mechs.items():
        params = mapping(params or {}, f"{key}.mechs.{mech}")
        out["mechs"][str(mech)] = {p: _values(v, f"{key}.mechs.{mech}.{p}") for p, v in params.items()}
    ions = mapping(sec.get("ions", {}), f"{key}.ions")
    if ions:
        out["ions"] = {}
        for ion, ps in ions.items():
            only_keys(mapping(ps, f"{key}.ions.{ion}"), ION_KEYS, f"{key}.ions.{ion}", "ion")
            out["ions"][ion] = {p: _values(v, f"{key}.ions.{ion}.{p}") for p, v in ps.items()}
    for name in ("vinit", "spikeGenLoc", "threshold"):
        if name in sec:
            out[name] = number(sec[name], f"{key}.{name}")
    if "spikeGenLoc" in out and not 0 <= out["spikeGenLoc"] <= 1:
        fail("spikeGenLoc is a position along the section", f"{key}.spikeGenLoc", expected="0..1",
             found=out["spikeGenLoc"])
    return out


def _values(value: Any, key: str) -> Any:
    if isinstance(value, (list, tuple)):
        return [None if v is None else number(v, key) for v in value]
    return None if value is None else number(value, key)


def section_index(pop: Population, sec: Any, key: str) -> int:
    """Index of section ``sec`` in ``pop``'s rule; ``None`` means NetPyNE's default (soma, else
    the first section)."""
    assert pop.rule is not None
    names = list(pop.rule["secs"])
    if sec is None:
        return names.index("soma") if "soma" in names else 0
    if isinstance(sec, str) and sec in names:
        return names.index(sec)
    if isinstance(sec, (list, tuple)) or (isinstance(sec, str) and sec in pop.rule.get("secLists", {})):
        fail("section lists are not supported in this version of cantata.specs", key,
             expected=f"one section name of cell type {pop.cell_type!r}: {names}", found=undotify(sec))
    fail(f"no such section in cell type {pop.cell_type!r} (population {pop.label!r})", key,
         expected=f"one of {names}", found=sec)
