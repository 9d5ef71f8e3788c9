"""``stimSourceParams`` + ``stimTargetParams``: electrodes and private NetStims.

* ``IClamp`` (``del``, ``dur``, ``amp``) becomes a SONATA ``current_clamp`` input on the
  target cells, at the target's ``sec``/``loc`` (default: soma, else the first section; 0.5).
* ``SEClamp`` (``dur1..3``, ``amp1..3``, ``rs``), ``VClamp`` (``dur``, ``amp``: up to three
  levels; ``gain``, ``rstim``, ``tau1``, ``tau2``) and ``AlphaSynapse`` (``onset``, ``tau``,
  ``gmax``, ``e``) become ``point_process`` inputs: that NEURON point process at the target
  ``sec``/``loc``, with the given parameters (NEURON's defaults for the others).
* ``NetStim`` (``rate`` or ``interval``, ``start``, ``number``, ``noise``) gives, as in
  NetPyNE, every target cell its own NetStim: a virtual population ``netstim_<label>`` with one
  node per target cell, its spike trains computed in advance (:mod:`cantata.specs.spiketrains`),
  and one edge to each target with the target rule's ``synMech``, ``weight`` (times
  ``scaleConnWeightNetStims``), ``delay``, ``sec`` and ``loc``.

``conds`` select cells as in connection rules, plus ``cellList``: indices into the matching
cells in gid order. The parameters NetPyNE evaluates as string functions (``del dur amp gain
rstim tau1 tau2 onset tau gmax e interval rate number start noise weight delay loc``) may be
strings of ``post_x`` ... ``post_znorm``, netParams numbers and the random functions
(:mod:`cantata.specs.strfuncs`); cells with equal values share one input.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from cantata.sim.engines.neuron.rule_cells import section_kinds
from cantata.specs import spiketrains
from cantata.specs.cells import section_index
from cantata.specs.checks import fail, mapping, number, only_keys, where
from cantata.specs.connect import vref_slot
from cantata.specs.dicts import undotify
from cantata.specs.model import COMPARTMENT, VIRTUAL, Clamp, EdgeBlock, PointStim, Population, SynMech
from cantata.specs.selection import CellTable
from cantata.specs.strfuncs import POST_VARIABLES, StringFunction

#: Parameters of each source type (NEURON names); lists are array parameters (VClamp).
SOURCE_KEYS = {
    "IClamp": ("del", "dur", "amp"),
    "NetStim": ("rate", "interval", "start", "number", "noise", "seed"),
    "SEClamp": ("dur1", "dur2", "dur3", "amp1", "amp2", "amp3", "rs"),
    "VClamp": ("dur", "amp", "gain", "rstim", "tau1", "tau2"),
    "AlphaSynapse": ("onset", "tau", "gmax", "e"),
}
#: What NetPyNE evaluates as string functions in stimulation rules.
STRING_PARAMS = ("del", "dur", "amp", "gain", "rstim", "tau1", "tau2", "onset", "tau", "gmax", "e", "interval",
                 "rate", "number", "start", "noise", "weight", "delay", "loc")
ARRAYS = {"VClamp": ("dur", "amp")}
TARGET_KEYS = ("source", "conds", "conditions", "sec", "loc", "synMech", "synReceptor", "weight", "delay",
               "synsPerConn")
ICLAMP_DEFAULTS = {"del": 0.0, "dur": 0.0, "amp": 0.0}  # NEURON's IClamp defaults


def virtual_name(label: str) -> str:
    """Population name of a NetStim target rule's sources."""
    return "netstim_" + re.sub(r"[^A-Za-z0-9_.-]", "_", label)


class _Values:
    """A stimulation rule's parameters per target cell (string functions evaluated)."""

    def __init__(self, table: CellTable, gids: np.ndarray, constants: Mapping[str, float],
                 rng: np.random.Generator) -> None:
        self.table, self.gids, self.constants, self.rng = table, gids, constants, rng

    def __call__(self, value: Any, key: str, name: str, *, minimum: float | None = None) -> np.ndarray:
        if isinstance(value, str):
            if name not in STRING_PARAMS:
                fail("NetPyNE does not evaluate this parameter as a string function", key,
                     expected=f"a number (string functions: {list(STRING_PARAMS)})", found=value)
            func = StringFunction(value, key, POST_VARIABLES, self.constants)
            columns = {v: self.table.columns[v[5:]][self.gids] for v in func.variables}
            out = func(columns, self.gids.size, self.rng)
            if minimum is not None and (out < minimum).any():
                fail("the string function gives a value out of range", key, expected=f">= {minimum}",
                     found=float(out[out < minimum][0]))
            return out
        return np.full(self.gids.size, number(value, key, minimum=minimum))


def stimulation(net: Any, table: CellTable, synmechs: Mapping[str, SynMech], *, duration: float, seed: int,
                constants: Mapping[str, float] | None = None
                ) -> tuple[dict[str, Population], list[EdgeBlock], list[Clamp], list[PointStim]]:
    """Virtual NetStim populations, their edges, the current clamps and the other electrodes."""
    sources = net.stimSourceParams
    pops: dict[str, Population] = {}
    edges: list[EdgeBlock] = []
    clamps: list[Clamp] = []
    others: list[PointStim] = []
    for label, src in sources.items():
        key = where("netParams.stimSourceParams", label)
        kind = mapping(src, key).get("type")
        if kind not in SOURCE_KEYS:
            fail("unsupported stimulation source type", f"{key}.type", expected=f"one of {sorted(SOURCE_KEYS)}",
                 found=kind)
        only_keys(src, ("type", *SOURCE_KEYS[kind]), key, f"{kind} stimSourceParams")
    for label, target in net.stimTargetParams.items():
        key = where("netParams.stimTargetParams", label)
        target = undotify(mapping(target, key))
        only_keys(target, TARGET_KEYS, key, "stimTargetParams")
        if target.get("source") not in sources:
            fail("source names no stimSourceParams entry", f"{key}.source", expected=f"one of {list(sources)}",
                 found=target.get("source"))
        source = undotify(sources[target["source"]])
        gids = _targets(table, target.get("conds", target.get("conditions", {})), f"{key}.conds")
        if gids.size == 0:
            continue
        rng = np.random.default_rng([int(seed), zlib.crc32(f"strings:{label}".encode())])
        values = _Values(table, gids, constants or {}, rng)
        if source["type"] == "NetStim":
            pop, blocks = _netstims(net, str(label), key, source, target, gids, table, synmechs, duration, seed,
                                    values)
            if pop.label in pops or pop.label in {p.label for p in table.pops}:
                fail("two stimulation targets give the same population name", key, found=pop.label)
            pops[pop.label] = pop
            edges += blocks
        elif source["type"] == "IClamp":
            clamps += _clamps(str(label), key, source, target, gids, table, values)
        else:
            others += _point_stims(str(label), key, source, target, gids, table, values)
    return pops, edges, clamps, others


def _targets(table: CellTable, conds: Any, key: str) -> np.ndarray:
    conds = dict(mapping(conds, key))
    chosen = conds.pop("cellList", None)
    gids = table.select(conds, key)
    if chosen is None or chosen == "all":
        return gids
    try:
        index = np.asarray(list(chosen), dtype=np.int64)
    except (TypeError, ValueError):
        fail("cellList is a list of cell indices", f"{key}.cellList", expected="[0, 1, ...]", found=chosen)
    if index.size and (index.min() < 0 or index.max() >= gids.size):
        fail("cellList index beyond the matching cells", f"{key}.cellList",
             expected=f"indices < {gids.size}", found=index.tolist())
    return np.unique(gids[index])


def _groups(gids: np.ndarray, table: CellTable, columns: list[np.ndarray]
            ) -> list[tuple[Population, np.ndarray, np.ndarray]]:
    """(population, its target gids, their row indices) per population and per set of equal values."""
    which = table.pop_index[gids]
    stack = np.column_stack([which.astype(float), *columns]) if columns else which[:, None].astype(float)
    _, first, inverse = np.unique(stack, axis=0, return_index=True, return_inverse=True)
    out = []
    for k in np.argsort(first, kind="stable"):
        rows = np.flatnonzero(inverse.ravel() == k)
        out.append((table.pops[int(which[rows[0]])], gids[rows], rows))
    return out


def _electrode(pop: Population, key: str, target: Mapping[str, Any], what: str) -> tuple[str, int]:
    if pop.kind != COMPARTMENT:
        fail(f"{what} needs compartmental cells; population {pop.label!r} is {pop.cell_model}",
             f"{key}.conds", expected="conditions that select compartmental cells", found=pop.label)
    assert pop.rule is not None
    index = section_index(pop, target.get("sec"), f"{key}.sec")
    kinds = section_kinds(pop.rule["secs"])
    return kinds[index], kinds[:index].count(kinds[index])


def _loc(target: Mapping[str, Any], key: str, values: _Values) -> np.ndarray:
    loc = values(0.5 if target.get("loc") is None else target["loc"], f"{key}.loc", "loc", minimum=0)
    if (loc > 1).any():
        fail("loc is a position along the section", f"{key}.loc", expected="values in [0, 1]", found=float(loc.max()))
    return loc


def _clamps(label: str, key: str, source: Mapping[str, Any], target: Mapping[str, Any], gids: np.ndarray,
            table: CellTable, values: _Values) -> list[Clamp]:
    for name in ("synMech", "weight", "delay", "synsPerConn"):
        if name in target:
            fail("an IClamp target takes no synapse keys", f"{key}.{name}", expected="conds, sec, loc")
    skey = where("netParams.stimSourceParams", target["source"])
    amp, delay, dur = (values(source.get(k, ICLAMP_DEFAULTS[k]), f"{skey}.{k}", k) for k in ("amp", "del", "dur"))
    loc = _loc(target, key, values)
    out = []
    groups = _groups(gids, table, [amp, delay, dur, loc])
    for n, (pop, cells, rows) in enumerate(groups):
        kind, index = _electrode(pop, key, target, "an IClamp")
        name = label if len(groups) == len({g[0].label for g in groups}) else f"{label}#{n}"
        r = rows[0]
        out.append(Clamp(label=name, population=pop.label, node_ids=cells - pop.first_gid, amp=float(amp[r]),
                         delay=float(delay[r]), duration=float(dur[r]), section_kind=kind, section_index=index,
                         x=float(loc[r])))
    return out


def _point_stims(label: str, key: str, source: Mapping[str, Any], target: Mapping[str, Any], gids: np.ndarray,
                 table: CellTable, values: _Values) -> list[PointStim]:
    kind = source["type"]
    for name in ("synMech", "weight", "delay", "synsPerConn"):
        if name in target:
            fail(f"a {kind} target takes no synapse keys", f"{key}.{name}", expected="conds, sec, loc")
    skey = where("netParams.stimSourceParams", target["source"])
    scalars: dict[str, np.ndarray] = {}
    arrays: dict[str, list[float]] = {}
    for name in SOURCE_KEYS[kind]:
        if name not in source:
            continue
        value = source[name]
        if name in ARRAYS.get(kind, ()) and isinstance(value, (list, tuple)):
            if not 1 <= len(value) <= 3:
                fail(f"{kind} takes up to three levels", f"{skey}.{name}", expected="1 to 3 values", found=value)
            arrays[name] = [number(v, f"{skey}.{name}") for v in value]
        else:
            scalars[name] = values(value, f"{skey}.{name}", name)
    loc = _loc(target, key, values)
    out = []
    names = list(scalars)
    groups = _groups(gids, table, [*scalars.values(), loc])
    for n, (pop, cells, rows) in enumerate(groups):
        section, index = _electrode(pop, key, target, f"a {kind}")
        r = rows[0]
        params: dict[str, float | list[float]] = {k: float(scalars[k][r]) for k in names}
        for name, levels in arrays.items():
            params[name] = levels
        for name in ARRAYS.get(kind, ()):  # a single value sets the first level, as NEURON does
            if name in params and not isinstance(params[name], list):
                params[name] = [params[name]]  # type: ignore[list-item]
        stim_label = label if len(groups) == len({g[0].label for g in groups}) else f"{label}#{n}"
        out.append(PointStim(label=stim_label, population=pop.label, node_ids=cells - pop.first_gid,
                             mechanism=kind, params=params, section_kind=section, section_index=index,
                             x=float(loc[r])))
    return out


def _netstims(net: Any, label: str, key: str, source: Mapping[str, Any], target: Mapping[str, Any],
              gids: np.ndarray, table: CellTable, synmechs: Mapping[str, SynMech], duration: float, seed: int,
              values: _Values) -> tuple[Population, list[EdgeBlock]]:
    skey = where("netParams.stimSourceParams", target["source"])
    if target.get("synsPerConn", 1) not in (1, None):
        fail("NetStim targets make one synapse per cell in this version", f"{key}.synsPerConn", expected=1,
             found=target["synsPerConn"])
    if "rate" in source:  # NetPyNE: interval = rate ** -1 * 1e3 (a given interval becomes 1000 / interval first)
        rate = values(source["rate"], f"{skey}.rate", "rate")
    elif "interval" in source:
        rate = 1000.0 / values(source["interval"], f"{skey}.interval", "interval")
    else:
        fail("needs a rate or an interval", f"{skey}.rate", expected="a rate (Hz) or interval (ms)")
    if (rate <= 0).any():
        fail("rates must be positive", f"{skey}.rate", found=float(rate.min()))
    interval = np.array([float(r) ** -1 * 1e3 for r in rate])  # Python's pow, as NetPyNE computes it
    count = values(source.get("number", 1e9), f"{skey}.number", "number", minimum=0)
    start = values(source.get("start", 0.0), f"{skey}.start", "start")
    noise = values(source.get("noise", 0.0), f"{skey}.noise", "noise", minimum=0)
    rng = np.random.default_rng([int(seed), zlib.crc32(label.encode())])
    trains: list[np.ndarray] = []
    shared: dict[tuple[float, ...], np.ndarray] = {}
    for i in range(gids.size):
        args = (float(interval[i]), float(count[i]), float(start[i]), float(noise[i]))
        if args[3] == 0:  # noise-free trains are the same for equal parameters
            if args not in shared:
                shared[args] = spiketrains.netstim_times(*args, duration, rng)
            trains.append(shared[args])
        else:
            trains.append(spiketrains.netstim_times(*args, duration, rng))
    pop = Population(label=virtual_name(label), kind=VIRTUAL, size=int(gids.size), first_gid=-1,
                     cell_model="NetStim", spikes=trains, tags={"stim": label})
    mech = target.get("synMech", target.get("synReceptor"))
    # NetPyNE: 1 when the target gives no weight/delay, netParams' default when it gives None
    weight = target.get("weight", 1.0)
    weight = values(net.defaultWeight if weight is None else weight, f"{key}.weight", "weight")
    weight = weight * number(net.scaleConnWeightNetStims, "netParams.scaleConnWeightNetStims")
    delay = target.get("delay", 1.0)
    delay = values(net.defaultDelay if delay is None else delay, f"{key}.delay", "delay", minimum=0)
    loc = _loc(target, key, values)
    blocks = []
    offset = 0
    which = table.pop_index[gids]
    for index in np.unique(which).tolist():
        rows = np.flatnonzero(which == index)
        post, cells = table.pops[index], gids[rows]
        if post.kind == VIRTUAL:
            fail(f"{post.cell_model} population {post.label!r} cannot receive a NetStim", f"{key}.conds",
                 expected="compartmental or IntFire cells", found=post.label)
        n = cells.size
        block = EdgeBlock(rule=label, synmech=mech, source=pop.label, target=post.label,
                          source_ids=np.arange(offset, offset + n), target_ids=cells - post.first_gid,
                          weight=weight[rows], delay=delay[rows])
        receptors = post.vref.get("synList", []) if post.vref else []
        if mech is not None and mech not in synmechs and mech not in receptors:
            fail("unknown synMech", f"{key}.synMech", expected=f"one of {list(synmechs)}", found=mech)
        if post.vref is not None:
            block.weight_index = np.full(n, vref_slot(key, post, mech, target.get("sec"), 1))
        elif post.kind == COMPARTMENT:
            if block.synmech is None:
                if not synmechs:
                    fail("a NetStim onto compartments needs a synapse model", f"{key}.synMech",
                         expected="a synMechParams label")
                block.synmech = next(iter(synmechs))
            block.section_id = np.full(n, section_index(post, target.get("sec"), f"{key}.sec"))
            block.section_pos = loc[rows]
        blocks.append(block)
        offset += n
    return pop, blocks
