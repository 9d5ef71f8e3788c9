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
from cantata.specs.strfuncs import StringFunction

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
POP_KEYS = ("cellType", "cellModel", "numCells", "density", "gridSpacing", "cellsList", "xRange", "yRange",
            "zRange", "xnormRange", "ynormRange", "znormRange")
SIZE_KEYS = ("cellsList", "numCells", "density", "gridSpacing")  # NetPyNE's order of precedence
UNSUPPORTED_POP_KEYS = ("spikePattern", "pulses", "dynamicRates", "diversity", "originalFormat")
UNSUPPORTED_SYN_KEYS = ("selfNetCon", "selfNetcon", "pointerParams", "loc")
POINTP_RESERVED = ("mod", "loc", "vref", "synList")
RANGE_CONDS = ("x", "y", "z", "xnorm", "ynorm", "znorm")


def synapse_models(syn_params: Mapping[str, Any]) -> dict[str, SynMech]:
    """``synMechParams`` as synapse models. ``ExpSyn``/``Exp2Syn`` get NEURON's defaults for
    what is not given; any other ``mod`` (a point process of your mechanisms folder) takes its
    parameters as given, checked by the NEURON engine when the synapses are made."""
    out = {}
    for label, params in syn_params.items():
        key = where("netParams.synMechParams", label)
        params = mapping(params, key)
        mod = params.get("mod")
        if not isinstance(mod, str) or not mod.isidentifier():
            fail("a synapse model names a NEURON point process", f"{key}.mod",
                 expected="e.g. 'Exp2Syn' or the POINT_PROCESS of a .mod file", found=mod)
        for name in UNSUPPORTED_SYN_KEYS:
            if name in params:
                fail("not supported in this version of cantata.specs", f"{key}.{name}",
                     expected="the point process's own parameters")
        if mod in SYNAPSE_MODELS:
            defaults = SYNAPSE_MODELS[mod]
            only_keys(params, ["mod", *defaults], key, f"{mod} synMechParams")
            values = {name: number(params.get(name, value), f"{key}.{name}") for name, value in defaults.items()}
        else:
            values = {name: number(value, f"{key}.{name}") for name, value in params.items() if name != "mod"}
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
                 expected=f"keys among {list(POP_KEYS)}")
    loc_rng = np.random.default_rng([int(seeds["loc"]), zlib.crc32(label.encode())])
    size, positions, norms = placement(net, params, key, loc_rng)
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
                     tags=tags, positions=positions, norms=norms)
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
        rule_label, rule = _rule_of(net, tags, key)
        pop.rule = cell_rule(rule_label, rule)
        pop.rule_label = rule_label
        site, _ = spike_site(pop.rule["secs"])
        pop.threshold = float(pop.rule["secs"][site].get("threshold", pop.threshold))
        pop.vref = next(({"sec": site, "name": name, **pp} for name, pp in
                         pop.rule["secs"][site].get("pointps", {}).items() if "vref" in pp), None)
    return pop


def _rule_of(net: Any, tags: Mapping[str, Any], key: str) -> tuple[str, Mapping[str, Any]]:
    """The cellParams rule of a population of compartmental cells: the rule named by its
    ``cellType``, or (NetPyNE's older style) the rule whose ``conds`` its tags meet."""
    matches = []
    for label, rule in net.cellParams.items():
        rkey = where("netParams.cellParams", label)
        conds = mapping(rule, rkey).get("conds") or {}
        if conds:
            if _conds_met(mapping(conds, f"{rkey}.conds"), tags, f"{rkey}.conds"):
                matches.append((str(label), rule))
        elif label == tags["cellType"]:
            matches.append((str(label), rule))
    if not matches:
        fail("no cell rule applies to this population", f"{key}.cellType",
             expected=f"a cellParams label, a rule whose conds the population meets (rules: "
                      f"{list(net.cellParams)}), or cellModel among {sorted({*POINT_MODELS, *SOURCE_PARAMS})}",
             found={k: v for k, v in tags.items() if k in ("cellType", "cellModel")})
    if len(matches) > 1:
        fail("several cell rules apply to this population; NetPyNE would stack them, cantata.specs "
             "takes one rule per population", key, expected="exactly one matching cellParams rule",
             found=[m[0] for m in matches])
    label, rule = matches[0]
    if "secs" not in rule:
        fail("the cell rule has no sections", where("netParams.cellParams", label),
             expected="'secs' (or a cellModel among IntFire1/2/4 in popParams)", found=sorted(rule))
    return label, rule


def _conds_met(conds: Mapping[str, Any], tags: Mapping[str, Any], key: str) -> bool:
    for name, value in conds.items():
        name = "pop" if name == "popLabel" else name
        if name in RANGE_CONDS:
            fail("cell rules chosen by position are not supported (one rule per population)", f"{key}.{name}",
                 expected="conditions on cellType, cellModel, pop or copied tags", found=undotify(value))
        value = undotify(value)
        wanted = value if isinstance(value, list) else [value]
        if tags.get(name) not in wanted:
            return False
    return True


def placement(net: Any, params: Mapping[str, Any], key: str, rng: np.random.Generator
              ) -> tuple[int, np.ndarray, np.ndarray | None]:
    """Number of cells, positions (um) and normalised positions of a population.

    ``cellsList`` and ``gridSpacing`` give NetPyNE's very cells and positions; ``numCells`` and
    ``density`` NetPyNE's number of cells (for a string density: its statistics) with uniform
    positions from Cantata's generator."""
    sizes = [number(getattr(net, f"size{c}"), f"netParams.size{c}", positive=True) for c in "XYZ"]
    given = [k for k in SIZE_KEYS if k in params]
    if not given:
        fail("how many cells?", f"{key}.numCells", expected=f"one of {list(SIZE_KEYS)}")
    kind = given[0]
    ranges = _norm_ranges(params, sizes, key)
    if kind == "cellsList":
        return _cells_list(params["cellsList"], sizes, f"{key}.cellsList")
    if kind == "gridSpacing":
        return _grid(params, sizes, key)
    skip = -1
    if kind == "numCells":
        size = integer(params["numCells"], f"{key}.numCells")
        norms = rng.random((size, 3))
    else:
        size, norms, skip = _density(params, sizes, ranges, key, rng)
    for axis in range(3):
        pair = ranges[axis]
        if pair is not None and axis != skip:
            norms[:, axis] = norms[:, axis] * (pair[1] - pair[0]) + pair[0]
    return size, norms * np.asarray(sizes), norms


def _norm_ranges(params: Mapping[str, Any], sizes: list[float], key: str) -> list[tuple[float, float] | None]:
    """``[min, max]`` per axis as fractions of the network size (``xRange`` wins over ``xnormRange``)."""
    out: list[tuple[float, float] | None] = []
    for axis, coord in enumerate("xyz"):
        found = None
        for name, scale in ((f"{coord}normRange", 1.0), (f"{coord}Range", sizes[axis])):
            if name in params:
                pair = params[name]
                if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                    fail("a range is [min, max]", f"{key}.{name}", expected="two numbers", found=pair)
                lo, hi = (number(v, f"{key}.{name}") for v in pair)
                found = (lo / scale, hi / scale) if scale != 1.0 else (lo, hi)
        out.append(found)
    return out


def _cells_list(cells: Any, sizes: list[float], key: str) -> tuple[int, np.ndarray, np.ndarray]:
    if not isinstance(cells, (list, tuple)) or not cells:
        fail("cellsList is a list of cells", key, expected="[{'x': 10, 'y': 20, 'z': 0}, ...]", found=cells)
    xyz, norm = np.zeros((len(cells), 3)), np.zeros((len(cells), 3))
    for i, cell in enumerate(cells):
        cell = mapping(cell, f"{key}[{i}]")
        only_keys(cell, RANGE_CONDS, f"{key}[{i}]", "cellsList")
        for axis, coord in enumerate("xyz"):  # NetPyNE: the absolute coordinate wins, else the normalised
            if coord in cell:
                xyz[i, axis] = number(cell[coord], f"{key}[{i}].{coord}")
                norm[i, axis] = xyz[i, axis] / sizes[axis]
            elif f"{coord}norm" in cell:
                norm[i, axis] = number(cell[f"{coord}norm"], f"{key}[{i}].{coord}norm")
                xyz[i, axis] = norm[i, axis] * sizes[axis]
    return len(cells), xyz, norm


def _grid(params: Mapping[str, Any], sizes: list[float], key: str) -> tuple[int, np.ndarray, np.ndarray]:
    """NetPyNE's grid: ``arange(min, max + 1, spacing)`` per axis, x slowest, z fastest."""
    spacing = params["gridSpacing"]
    steps = list(spacing) if isinstance(spacing, (list, tuple)) else [spacing] * 3
    if len(steps) != 3:
        fail("gridSpacing is one spacing or three", f"{key}.gridSpacing", expected="a number or [dx, dy, dz]",
             found=spacing)
    steps = [number(v, f"{key}.gridSpacing", positive=True) for v in steps]
    axes = []
    for axis, coord in enumerate("xyz"):
        lo, hi = 0.0, sizes[axis]
        if f"{coord}normRange" in params:  # NetPyNE turns a normalised range into an absolute one
            lo, hi = (float(v) * sizes[axis] for v in params[f"{coord}normRange"])
        if f"{coord}Range" in params:
            lo, hi = (number(v, f"{key}.{coord}Range") for v in params[f"{coord}Range"])
        axes.append(np.arange(lo, hi + 1, steps[axis]))
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)
    return grid.shape[0], grid, grid / np.asarray(sizes)


def _density(params: Mapping[str, Any], sizes: list[float], ranges: list[tuple[float, float] | None], key: str,
             rng: np.random.Generator) -> tuple[int, np.ndarray, int]:
    """NetPyNE's density rule: ``int(density * volume)`` cells (cells/mm3), or, for a string
    function of one of ``xnorm``/``ynorm``/``znorm``, cells kept along that axis with
    probability ``density(loc) / max density`` (NetPyNE's pruning, Cantata's draws). Returns
    the count, normalised positions and the axis the function placed (-1: none)."""
    volume = sizes[1] / 1e3 * sizes[0] / 1e3 * sizes[2] / 1e3
    for pair in ranges:
        if pair is not None:
            volume = volume * (pair[1] - pair[0])
    density = params["density"]
    if not isinstance(density, str):
        size = int(number(density, f"{key}.density", minimum=0) * volume)
        return size, rng.random((size, 3)), -1
    used = [c for c in ("xnorm", "ynorm", "znorm") if c in density]
    if len(used) != 1:
        fail("a density function uses one of xnorm, ynorm, znorm", f"{key}.density", found=density)
    axis = "xyz".index(used[0][0])
    if f"{used[0]}Range" not in params:
        fail(f"a density function of {used[0]} needs {used[0]}Range", f"{key}.{used[0]}Range",
             expected="[min, max]")
    func = StringFunction(density, f"{key}.density", used, {})
    lo, hi = (number(v, f"{key}.{used[0]}Range") for v in params[f"{used[0]}Range"])
    grid = np.arange(lo, hi, 0.001)
    top = float(np.max(func({used[0]: grid}, grid.size)))
    locs = lo + (hi - lo) * rng.random(int(volume * top))
    keep = func({used[0]: locs}, locs.size) / top > rng.random(locs.size)
    norms = rng.random((int(keep.sum()), 3))
    norms[:, axis] = locs[keep]
    return norms.shape[0], norms, axis


def cell_rule(label: str, rule: Mapping[str, Any]) -> dict[str, Any]:
    """A ``cellParams`` rule checked and as plain JSON (what the NEURON engine builds)."""
    key = where("netParams.cellParams", label)
    only_keys(rule, ("secs", "secLists", "conds", "globals", "vars", "cellModel"), key, "cellParams")
    for name in ("globals", "vars"):
        if rule.get(name):
            fail("not supported in this version of cantata.specs", f"{key}.{name}",
                 expected="numbers in the sections' geom/mechs")
    secs = mapping(rule["secs"], f"{key}.secs")
    if not secs:
        fail("a cell needs at least one section", f"{key}.secs", expected="{'soma': {...}}", found={})
    out: dict[str, Any] = {}
    for name, sec in secs.items():
        skey = f"{key}.secs.{name}"
        if not isinstance(name, str) or not name:
            fail("section names must be strings", skey, found=name)
        sec = mapping(sec, skey)
        only_keys(sec, [*SECTION_KEYS, "synMechs", "weightNorm"], skey, "section")
        for unsupported in ("synMechs", "weightNorm"):
            if sec.get(unsupported):
                fail("not supported in this version of cantata.specs", f"{skey}.{unsupported}",
                     expected=f"keys among {sorted(SECTION_KEYS)}")
        out[name] = _section(sec, skey, secs)
    lists = _sec_lists(rule.get("secLists") or {}, out, f"{key}.secLists")
    return {"label": label, "secs": out, **({"secLists": lists} if lists else {})}


def _sec_lists(lists: Any, secs: Mapping[str, Any], key: str) -> dict[str, list[str]]:
    """``secLists``: named lists of section names (each name a section of the rule)."""
    out = {}
    for name, members in mapping(lists, key).items():
        if isinstance(members, str) or not isinstance(members, (list, tuple)):
            fail("a section list is a list of section names", f"{key}.{name}", expected="['dend1', 'dend2']",
                 found=members)
        for member in members:
            if member not in secs:
                fail("section list names a section the rule does not have", f"{key}.{name}",
                     expected=f"names among {list(secs)}", found=member)
        if name in secs:
            fail("a section list has the name of a section", f"{key}.{name}", expected="a name of its own",
                 found=name)
        out[str(name)] = list(members)
    return out


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
    pointps = mapping(sec.get("pointps") or {}, f"{key}.pointps")
    if pointps:
        out["pointps"] = {str(n): _pointp(pp, f"{key}.pointps.{n}") for n, pp in pointps.items()}
    for name in ("vinit", "spikeGenLoc", "threshold"):
        if name in sec:
            out[name] = number(sec[name], f"{key}.{name}")
    if "spikeGenLoc" in out and not 0 <= out["spikeGenLoc"] <= 1:
        fail("spikeGenLoc is a position along the section", f"{key}.spikeGenLoc", expected="0..1",
             found=out["spikeGenLoc"])
    return out


def _pointp(params: Any, key: str) -> dict[str, Any]:
    """A point process in a section: ``mod``, ``loc`` (0.5), numeric parameters, and for a cell
    whose voltage is the point process's own (Izhikevich ``Izhi2007a``-style) ``vref`` (the
    variable the spike detector watches) and ``synList`` (synapse labels, one NetCon weight slot
    each)."""
    params = mapping(params, key)
    mod = params.get("mod")
    if not isinstance(mod, str) or not mod.isidentifier():
        fail("a point process names its NEURON mechanism", f"{key}.mod", expected="e.g. 'Izhi2007b'", found=mod)
    out: dict[str, Any] = {"mod": mod, "loc": number(params.get("loc", 0.5), f"{key}.loc", minimum=0)}
    if "vref" in params:
        if not isinstance(params["vref"], str) or not params["vref"].isidentifier():
            fail("vref names a variable of the point process", f"{key}.vref", expected="e.g. 'V'",
                 found=params["vref"])
        out["vref"] = params["vref"]
    if "synList" in params:
        labels = params["synList"]
        if isinstance(labels, str) or not isinstance(labels, (list, tuple)):
            fail("synList is a list of synapse labels", f"{key}.synList", expected="['AMPA', 'NMDA']", found=labels)
        out["synList"] = [str(v) for v in labels]
    out["params"] = {}
    for name, value in params.items():
        if name in POINTP_RESERVED or name.startswith("_"):
            continue
        if value == "gid":
            fail("'gid' as a point-process parameter is not supported", f"{key}.{name}", expected="a number",
                 found=value)
        out["params"][str(name)] = number(value, f"{key}.{name}")
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
        fail("a section list is not supported here", key,
             expected=f"one section name of cell type {pop.cell_type!r}: {names}", found=undotify(sec))
    fail(f"no such section in cell type {pop.cell_type!r} (population {pop.label!r})", key,
         expected=f"one of {names}", found=sec)
