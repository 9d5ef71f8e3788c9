"""``stimSourceParams`` + ``stimTargetParams``: current clamps and private NetStims.

* ``IClamp`` (``del``, ``dur``, ``amp``) becomes a SONATA ``current_clamp`` input on the
  target cells, at the target's ``sec``/``loc`` (default: soma, else the first section; 0.5).
* ``NetStim`` (``rate`` or ``interval``, ``start``, ``number``, ``noise``) gives, as in
  NetPyNE, every target cell its own NetStim: a virtual population ``netstim_<label>`` with one
  node per target cell, its spike trains computed in advance (:mod:`cantata.specs.spiketrains`),
  and one edge to each target with the target rule's ``synMech``, ``weight`` (times
  ``scaleConnWeightNetStims``), ``delay``, ``sec`` and ``loc``.

``conds`` select cells as in connection rules, plus ``cellList``: indices into the matching
cells in gid order.
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
from cantata.specs.dicts import undotify
from cantata.specs.model import COMPARTMENT, VIRTUAL, Clamp, EdgeBlock, Population, SynMech
from cantata.specs.selection import CellTable

SOURCE_KEYS = {"IClamp": ("type", "del", "dur", "amp"),
               "NetStim": ("type", "rate", "interval", "start", "number", "noise", "seed")}
TARGET_KEYS = ("source", "conds", "conditions", "sec", "loc", "synMech", "synReceptor", "weight", "delay",
               "synsPerConn")
ICLAMP_DEFAULTS = {"del": 0.0, "dur": 0.0, "amp": 0.0}  # NEURON's IClamp defaults


def virtual_name(label: str) -> str:
    """Population name of a NetStim target rule's sources."""
    return "netstim_" + re.sub(r"[^A-Za-z0-9_.-]", "_", label)


def stimulation(net: Any, table: CellTable, synmechs: Mapping[str, SynMech], *, duration: float, seed: int
                ) -> tuple[dict[str, Population], list[EdgeBlock], list[Clamp]]:
    """Virtual NetStim populations, their edges, and the current clamps."""
    sources = net.stimSourceParams
    pops: dict[str, Population] = {}
    edges: list[EdgeBlock] = []
    clamps: list[Clamp] = []
    for label, src in sources.items():
        key = where("netParams.stimSourceParams", label)
        kind = mapping(src, key).get("type")
        if kind not in SOURCE_KEYS:
            fail("unsupported stimulation source type", f"{key}.type", expected=f"one of {sorted(SOURCE_KEYS)}",
                 found=kind)
        only_keys(src, SOURCE_KEYS[kind], key, f"{kind} stimSourceParams")
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
        if source["type"] == "IClamp":
            clamps += _clamps(str(label), key, source, target, gids, table)
        else:
            pop, blocks = _netstims(net, str(label), key, source, target, gids, table, synmechs, duration, seed)
            if pop.label in pops or pop.label in {p.label for p in table.pops}:
                fail("two stimulation targets give the same population name", key, found=pop.label)
            pops[pop.label] = pop
            edges += blocks
    return pops, edges, clamps


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


def _by_population(gids: np.ndarray, table: CellTable) -> list[tuple[Population, np.ndarray]]:
    which = table.pop_index[gids]
    return [(table.pops[i], gids[which == i]) for i in np.unique(which).tolist()]


def _clamps(label: str, key: str, source: Mapping[str, Any], target: Mapping[str, Any], gids: np.ndarray,
            table: CellTable) -> list[Clamp]:
    for name in ("synMech", "weight", "delay", "synsPerConn"):
        if name in target:
            fail("an IClamp target takes no synapse keys", f"{key}.{name}", expected="conds, sec, loc")
    values = {k: number(source.get(k, v), f"{where('netParams.stimSourceParams', target['source'])}.{k}")
              for k, v in ICLAMP_DEFAULTS.items()}
    loc = number(target.get("loc", 0.5) if target.get("loc") is not None else 0.5, f"{key}.loc", minimum=0)
    out = []
    for pop, cells in _by_population(gids, table):
        if pop.kind != COMPARTMENT:
            fail(f"an IClamp needs compartmental cells; population {pop.label!r} is {pop.cell_model}",
                 f"{key}.conds", expected="conditions that select compartmental cells", found=pop.label)
        assert pop.rule is not None
        index = section_index(pop, target.get("sec"), f"{key}.sec")
        kinds = section_kinds(pop.rule["secs"])
        out.append(Clamp(label=label, population=pop.label, node_ids=cells - pop.first_gid, amp=values["amp"],
                         delay=values["del"], duration=values["dur"], section_kind=kinds[index],
                         section_index=kinds[:index].count(kinds[index]), x=loc))
    return out


def _netstims(net: Any, label: str, key: str, source: Mapping[str, Any], target: Mapping[str, Any],
              gids: np.ndarray, table: CellTable, synmechs: Mapping[str, SynMech], duration: float, seed: int
              ) -> tuple[Population, list[EdgeBlock]]:
    skey = where("netParams.stimSourceParams", target["source"])
    if target.get("synsPerConn", 1) not in (1, None):
        fail("NetStim targets make one synapse per cell in this version", f"{key}.synsPerConn", expected=1,
             found=target["synsPerConn"])
    if "rate" not in source and "interval" in source:  # NetPyNE turns an interval into a rate first
        source = {**source, "rate": 1000.0 / number(source["interval"], f"{skey}.interval", positive=True)}
    interval = spiketrains.interval_of(source, skey, inverse_rate=True)
    count = number(source.get("number", 1e9), f"{skey}.number", minimum=0)
    start = number(source.get("start", 0.0), f"{skey}.start")
    noise = number(source.get("noise", 0.0), f"{skey}.noise", minimum=0)
    rng = np.random.default_rng([int(seed), zlib.crc32(label.encode())])
    if noise == 0:
        train = spiketrains.netstim_times(interval, count, start, noise, duration, rng)
        trains = [train] * gids.size
    else:
        trains = [spiketrains.netstim_times(interval, count, start, noise, duration, rng) for _ in gids]
    pop = Population(label=virtual_name(label), kind=VIRTUAL, size=int(gids.size), first_gid=-1,
                     cell_model="NetStim", spikes=trains, tags={"stim": label})
    mech = target.get("synMech", target.get("synReceptor"))
    if mech is not None and mech not in synmechs:
        fail("unknown synMech", f"{key}.synMech", expected=f"one of {list(synmechs)}", found=mech)
    weight = number(target.get("weight", net.defaultWeight) if target.get("weight") is not None
                    else net.defaultWeight, f"{key}.weight")
    weight *= number(net.scaleConnWeightNetStims, "netParams.scaleConnWeightNetStims")
    delay = number(target.get("delay", net.defaultDelay) if target.get("delay") is not None
                   else net.defaultDelay, f"{key}.delay", minimum=0)
    loc = target.get("loc")
    loc = 0.5 if loc is None else number(loc, f"{key}.loc", minimum=0)
    blocks = []
    offset = 0
    for post, cells in _by_population(gids, table):
        if post.kind == VIRTUAL:
            fail(f"{post.cell_model} population {post.label!r} cannot receive a NetStim", f"{key}.conds",
                 expected="compartmental or IntFire cells", found=post.label)
        n = cells.size
        block = EdgeBlock(rule=label, synmech=mech, source=pop.label, target=post.label,
                          source_ids=np.arange(offset, offset + n), target_ids=cells - post.first_gid,
                          weight=np.full(n, weight), delay=np.full(n, delay))
        if post.kind == COMPARTMENT:
            if block.synmech is None:
                if not synmechs:
                    fail("a NetStim onto compartments needs a synapse model", f"{key}.synMech",
                         expected="a synMechParams label")
                block.synmech = next(iter(synmechs))
            block.section_id = np.full(n, section_index(post, target.get("sec"), f"{key}.sec"))
            block.section_pos = np.full(n, loc)
        blocks.append(block)
        offset += n
    return pop, blocks
