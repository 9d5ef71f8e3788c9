"""``connParams``: connection rules expanded to one SONATA edge per NetCon.

Rules (NetPyNE's order of precedence): ``probability``, ``convergence``, ``divergence``,
``connList``, else every pre cell to every post cell. ``connList`` and full connectivity give
exactly NetPyNE's connections; the random rules draw from Cantata's generator (seeded with
``simConfig.seeds['conn']`` and the rule's label), so they give NetPyNE's statistics, not its
exact draws. As in NetPyNE: no self-connections (full and probability rules allow them with
``simConfig.allowSelfConns``), convergence and divergence are capped at the number of
candidates minus one, and ``connList`` indices count the matching cells in gid order.

Each connection makes one NetCon per synapse model (``synMech`` may be a list) and per
synapse (``synsPerConn``), with ``weight``/``delay``/``loc`` per synapse model and per synapse
where lists are given. ``weight`` is scaled by ``scaleConnWeight`` (or
``scaleConnWeightModels[cellModel]`` of the post cell).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from cantata.specs.cells import section_index
from cantata.specs.checks import fail, integer, mapping, number, only_keys, where
from cantata.specs.dicts import undotify
from cantata.specs.model import COMPARTMENT, VIRTUAL, EdgeBlock, Population, SynMech
from cantata.specs.selection import CellTable

CONN_KEYS = ("preConds", "postConds", "probability", "convergence", "divergence", "connList", "connFunc",
             "weight", "delay", "synMech", "synsPerConn", "sec", "loc", "synMechWeightFactor",
             "synMechDelayFactor", "synMechLocFactor", "synReceptor")
UNSUPPORTED_CONN_KEYS = ("shape", "plast", "gapJunction", "threshold", "disynapticBias", "preSec", "preLoc",
                         "weightIndex", "distributeSynsUniformly", "connRandomSecFromList", "pointerParams")
CONN_FUNCS = {"probConn": "probability", "convConn": "convergence", "divConn": "divergence",
              "fromListConn": "connList", "fullConn": None}
_CHUNK = 2_000_000  # random numbers drawn at once


class Flags:
    """The simConfig options connection rules read."""

    def __init__(self, allow_self: bool, allow_zero: bool, seed: int) -> None:
        self.allow_self = allow_self
        self.allow_zero = allow_zero
        self.seed = seed


def connections(net: Any, flags: Flags, table: CellTable, synmechs: Mapping[str, SynMech]
                ) -> list[EdgeBlock]:
    """Every ``connParams`` rule expanded, in rule order."""
    blocks: list[EdgeBlock] = []
    for label, rule in net.connParams.items():
        key = where("netParams.connParams", label)
        rule = undotify(mapping(rule, key))
        if "synReceptor" in rule:  # the doc's old name
            rule.setdefault("synMech", rule.pop("synReceptor"))
        for name in UNSUPPORTED_CONN_KEYS:
            if name in rule:
                fail("not supported in this version of cantata.specs", f"{key}.{name}",
                     expected=f"keys among {list(CONN_KEYS)}")
        only_keys(rule, CONN_KEYS, key, "connParams")
        pre = table.select(rule.get("preConds", {}), f"{key}.preConds")
        post = table.select(rule.get("postConds", {}), f"{key}.postConds")
        if pre.size == 0 or post.size == 0:
            continue
        rng = np.random.default_rng([int(flags.seed), zlib.crc32(str(label).encode())])
        pairs, conn_index = _pairs(rule, key, pre, post, flags, rng)
        blocks += _edges(net, str(label), rule, key, pairs, conn_index, table, synmechs, flags)
    return blocks


def rule_kind(rule: Mapping[str, Any], key: str) -> str | None:
    """Which connectivity a rule asks for: a rule key, or None for full connectivity."""
    kind = next((k for k in ("probability", "convergence", "divergence", "connList") if k in rule), None)
    if "connFunc" in rule:
        if rule["connFunc"] not in CONN_FUNCS:
            fail("unknown connFunc", f"{key}.connFunc", expected=f"one of {list(CONN_FUNCS)}", found=rule["connFunc"])
        wanted = CONN_FUNCS[rule["connFunc"]]
        if wanted is not None and wanted not in rule:
            fail(f"connFunc {rule['connFunc']} needs {wanted}", f"{key}.{wanted}", expected="a value")
        kind = wanted
    return kind


def _pairs(rule: Mapping[str, Any], key: str, pre: np.ndarray, post: np.ndarray, flags: Flags,
           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """(pre gid, post gid) rows, and for connList rules the list entry of each row."""
    kind = rule_kind(rule, key)
    if kind == "connList":
        return _from_list(rule["connList"], f"{key}.connList", pre, post)
    if kind == "convergence":
        count = _count(rule["convergence"], f"{key}.convergence", pre.size)
        chosen = _choose(rng, post, pre, count)
        return np.column_stack([chosen.ravel(), np.repeat(post, count)]), None
    if kind == "divergence":
        count = _count(rule["divergence"], f"{key}.divergence", post.size)
        chosen = _choose(rng, pre, post, count)
        return np.column_stack([np.repeat(pre, count), chosen.ravel()]), None
    keep_self = flags.allow_self
    if kind == "probability":
        p = number(rule["probability"], f"{key}.probability", minimum=0)
        rows = []
        step = max(1, _CHUNK // max(pre.size, 1))
        for lo in range(0, post.size, step):
            block = post[lo:lo + step]
            hit = rng.random((block.size, pre.size)) < p
            b, a = np.nonzero(hit)
            rows.append(np.column_stack([pre[a], block[b]]))
        pairs = np.concatenate(rows)
    else:
        pairs = np.column_stack([np.tile(pre, post.size), np.repeat(post, pre.size)])
    if not keep_self:
        pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return pairs, None


def _count(value: Any, key: str, candidates: int) -> int:
    """NetPyNE's cap: round, at most ``candidates - 1``, at least 0."""
    return max(min(int(round(number(value, key, minimum=0))), candidates - 1), 0)


def _choose(rng: np.random.Generator, owners: np.ndarray, candidates: np.ndarray, count: int) -> np.ndarray:
    """For each owner cell, ``count`` distinct candidates other than itself: [owners, count]."""
    out = np.empty((owners.size, count), dtype=np.int64)
    if count == 0:
        return out
    step = max(1, _CHUNK // max(candidates.size, 1))
    for lo in range(0, owners.size, step):
        block = owners[lo:lo + step]
        keys = rng.random((block.size, candidates.size))
        keys[candidates[None, :] == block[:, None]] = 2.0  # never itself
        pick = np.argpartition(keys, count - 1, axis=1)[:, :count]
        out[lo:lo + step] = candidates[np.sort(pick, axis=1)]
    return out


def _from_list(value: Any, key: str, pre: np.ndarray, post: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    try:
        pairs = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        fail("connList is a list of [pre index, post index] pairs", key, expected="[[0, 1], [2, 3], ...]",
             found=value)
    if pairs.size == 0:
        return np.zeros((0, 2), np.int64), np.zeros(0, np.int64)
    if pairs.ndim != 2 or pairs.shape[1] != 2 or (pairs != np.round(pairs)).any() or (pairs < 0).any():
        fail("connList is a list of [pre index, post index] pairs", key,
             expected="pairs of non-negative whole numbers", found=value)
    pairs = pairs.astype(np.int64)
    for column, cells, what in ((0, pre, "pre"), (1, post, "post")):
        bad = pairs[:, column] >= cells.size
        if bad.any():
            i = int(np.argmax(bad))
            fail(f"connList entry {i} names {what} cell {int(pairs[i, column])} but only {cells.size} "
                 f"cells match the {what}Conds", key, expected=f"indices < {cells.size}",
                 found=pairs[i].tolist())
    gids = np.column_stack([pre[pairs[:, 0]], post[pairs[:, 1]]])
    keep = gids[:, 0] != gids[:, 1]
    return gids[keep], np.flatnonzero(keep)


# ------------------------------------------------------------------------------- edges


def _edges(net: Any, label: str, rule: Mapping[str, Any], key: str, pairs: np.ndarray,
           conn_index: np.ndarray | None, table: CellTable, synmechs: Mapping[str, SynMech],
           flags: Flags) -> list[EdgeBlock]:
    if pairs.size == 0:
        return []
    mechs = rule.get("synMech")
    mechs = list(mechs) if isinstance(mechs, (list, tuple)) else [mechs]
    for mech in mechs:
        if mech is not None and mech not in synmechs:
            fail("unknown synMech", f"{key}.synMech", expected=f"one of {list(synmechs)}", found=mech)
    values = _rule_values(net, rule, key, conn_index)
    pre_pop = table.pop_index[pairs[:, 0]]
    post_pop = table.pop_index[pairs[:, 1]]
    blocks = []
    for a, b in sorted(set(zip(pre_pop.tolist(), post_pop.tolist(), strict=True))):
        rows = np.flatnonzero((pre_pop == a) & (post_pop == b))
        source, target = table.pops[a], table.pops[b]
        if target.kind == VIRTUAL:
            fail(f"{target.cell_model} population {target.label!r} cannot receive connections",
                 f"{key}.postConds", expected="compartmental or IntFire cells", found=target.label)
        scale = _weight_scale(net, target)
        for i, mech in enumerate(mechs):
            if mech is None and target.kind == COMPARTMENT:
                if not synmechs:
                    fail("connections onto compartments need a synapse model", f"{key}.synMech",
                         expected="a synMechParams label")
                mech = next(iter(synmechs))
            blocks.append(_block(label, key, mech, i, len(mechs), rule, values, pairs[rows],
                                 None if conn_index is None else rows, source, target, scale, flags))
    return blocks


def _weight_scale(net: Any, target: Population) -> float:
    models = net.scaleConnWeightModels
    if isinstance(models, Mapping) and target.cell_model in models:
        return number(models[target.cell_model], f"netParams.scaleConnWeightModels.{target.cell_model}")
    return number(net.scaleConnWeight, "netParams.scaleConnWeight")


def _rule_values(net: Any, rule: Mapping[str, Any], key: str, conn_index: np.ndarray | None) -> dict[str, Any]:
    """weight, delay, loc, sec, synsPerConn of a rule; in connList rules a list of one value per
    list entry becomes an array over the rows."""
    values: dict[str, Any] = {
        "weight": rule.get("weight", net.defaultWeight),
        "delay": rule.get("delay", net.defaultDelay),
        "loc": rule.get("loc"),
        "sec": rule.get("sec"),
        "synsPerConn": rule.get("synsPerConn", 1),
    }
    if values["weight"] is None:
        values["weight"] = net.defaultWeight
    if values["delay"] is None:
        values["delay"] = net.defaultDelay
    if conn_index is not None:
        n = len(rule["connList"])
        for name in ("weight", "delay", "loc", "sec"):
            value = values[name]
            if isinstance(value, (list, tuple)):
                if len(value) != n:
                    fail("in a connList rule a list gives one value per connection", f"{key}.{name}",
                         expected=f"{n} values", found=len(value))
                if name == "sec":
                    values[name] = np.asarray(value, dtype=object)[conn_index]
                else:
                    values[name] = np.asarray([number(v, f"{key}.{name}") for v in value])[conn_index]
    return values


def _pick(value: Any, i: int, m: int, factor: Any, key: str) -> Any:
    """The value for synapse model ``i`` of ``m``."""
    if m > 1 and isinstance(value, (list, tuple)):
        if len(value) != m:
            fail(f"a list gives one value per synMech ({m})", key, expected=f"{m} values", found=len(value))
        return value[i]
    if m > 1 and factor is not None:
        if not isinstance(factor, (list, tuple)) or len(factor) != m:
            fail(f"a factor list gives one value per synMech ({m})", key, expected=f"{m} factors", found=factor)
        return np.asarray(value, dtype=float) * number(factor[i], key) if not isinstance(value, str) else value
    return value


def _block(label: str, key: str, mech: str | None, i: int, m: int, rule: Mapping[str, Any],
           values: Mapping[str, Any], pairs: np.ndarray, rows: np.ndarray | None, source: Population,
           target: Population, scale: float, flags: Flags) -> EdgeBlock:
    n = integer(_pick(values["synsPerConn"], i, m, None, f"{key}.synsPerConn"), f"{key}.synsPerConn", minimum=1)
    weight = _pick(values["weight"], i, m, rule.get("synMechWeightFactor"), f"{key}.weight")
    delay = _pick(values["delay"], i, m, rule.get("synMechDelayFactor"), f"{key}.delay")
    loc = _pick(values["loc"], i, m, rule.get("synMechLocFactor"), f"{key}.loc")
    sec = values["sec"]
    if rows is not None:  # connList: arrays over all the rule's connections -> this block's rows
        weight, delay, loc, sec = (v[rows] if isinstance(v, np.ndarray) else v for v in (weight, delay, loc, sec))
    count = pairs.shape[0]

    def per_row(value: Any, what: str) -> np.ndarray:
        if isinstance(value, np.ndarray):
            return value.astype(float)
        return np.full(count, number(value, f"{key}.{what}"))

    def per_syn(value: Any, what: str) -> list[np.ndarray]:
        if isinstance(value, (list, tuple)):
            if len(value) != n:
                fail(f"a list gives one value per synapse (synsPerConn {n})", f"{key}.{what}",
                     expected=f"{n} values", found=len(value))
            return [per_row(v, what) for v in value]
        return [per_row(value, what)] * n

    weights = per_syn(weight, "weight")
    delays = per_syn(delay, "delay")
    out_w = np.concatenate(weights) * scale
    out_d = np.concatenate(delays)
    if (out_d < 0).any():
        fail("delays must be >= 0 ms", f"{key}.delay", found=float(out_d.min()))
    section_id = section_pos = None
    if target.kind == COMPARTMENT:
        section_id, section_pos = _sites(key, target, sec, loc, n, count, per_row)
    src = np.tile(pairs[:, 0] - source.first_gid, n)
    trg = np.tile(pairs[:, 1] - target.first_gid, n)
    keep = np.ones(out_w.size, dtype=bool) if flags.allow_zero else out_w != 0
    return EdgeBlock(rule=label, synmech=mech, source=source.label, target=target.label,
                     source_ids=src[keep], target_ids=trg[keep], weight=out_w[keep], delay=out_d[keep],
                     section_id=None if section_id is None else section_id[keep],
                     section_pos=None if section_pos is None else section_pos[keep])


def _sites(key: str, target: Population, sec: Any, loc: Any, n: int, count: int, per_row: Any
           ) -> tuple[np.ndarray, np.ndarray]:
    """Section ids and positions of the ``n`` synapses of each of ``count`` connections."""
    if isinstance(sec, np.ndarray):  # connList: one section name per connection
        names, inverse = np.unique(sec.astype(str), return_inverse=True)
        ids = np.array([section_index(target, s, f"{key}.sec") for s in names.tolist()], dtype=np.int64)[inverse]
    else:
        ids = np.full(count, section_index(target, sec, f"{key}.sec"), dtype=np.int64)
    if n == 1:
        if isinstance(loc, (list, tuple)):
            loc = loc[0] if loc else None
        pos = [per_row(0.5 if loc is None else loc, "loc")]
    elif loc is None:  # NetPyNE spreads the synapses evenly along the section
        pos = [np.full(count, j / n + 1 / n / 2) for j in range(n)]
    elif isinstance(loc, (list, tuple)):
        if len(loc) != n:
            fail(f"a loc list gives one position per synapse (synsPerConn {n})", f"{key}.loc",
                 expected=f"{n} values", found=len(loc))
        pos = [per_row(v, "loc") for v in loc]
    else:
        fail("with synsPerConn > 1 give one loc per synapse, or none (spread evenly)", f"{key}.loc",
             expected=f"a list of {n} positions", found=loc)
    positions = np.concatenate(pos)
    if ((positions < 0) | (positions > 1)).any():
        fail("loc is a position along the section", f"{key}.loc", expected="values in [0, 1]",
             found=float(positions[(positions < 0) | (positions > 1)][0]))
    return np.tile(ids, n), positions
