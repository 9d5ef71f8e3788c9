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
from dataclasses import dataclass
from typing import Any

import numpy as np

from cantata.specs.cells import section_index
from cantata.specs.checks import fail, integer, mapping, number, only_keys, where
from cantata.specs.dicts import undotify
from cantata.specs.model import COMPARTMENT, VIRTUAL, EdgeBlock, Population, SynMech
from cantata.specs.selection import CellTable
from cantata.specs.strfuncs import PAIR_VARIABLES, POST_VARIABLES, PRE_VARIABLES, StringFunction, pair_columns

CONN_KEYS = ("preConds", "postConds", "probability", "convergence", "divergence", "connList", "connFunc",
             "weight", "delay", "synMech", "synsPerConn", "sec", "loc", "synMechWeightFactor",
             "synMechDelayFactor", "synMechLocFactor", "synReceptor", "distributeSynsUniformly",
             "connRandomSecFromList")
UNSUPPORTED_CONN_KEYS = ("shape", "plast", "gapJunction", "threshold", "disynapticBias", "preSec", "preLoc",
                         "weightIndex", "pointerParams")
CONN_FUNCS = {"probConn": "probability", "convConn": "convergence", "divConn": "divergence",
              "fromListConn": "connList", "fullConn": None}
_CHUNK = 2_000_000  # random numbers drawn at once


class Flags:
    """The simConfig options connection rules read, and the netParams numbers string functions see."""

    def __init__(self, allow_self: bool, allow_zero: bool, seed: int,
                 constants: Mapping[str, float] | None = None, options: Mapping[str, Any] | None = None) -> None:
        self.allow_self = allow_self
        self.allow_zero = allow_zero
        self.seed = seed
        self.constants = dict(constants or {})
        self.options = dict(options or {})  # connRandomSecFromList, distributeSynsUniformly


class Strings:
    """The string functions of one rule: compiled once, evaluated over columns of pairs."""

    def __init__(self, table: CellTable, flags: Flags, rng: np.random.Generator) -> None:
        self.table = table
        self.flags = flags
        self.rng = rng
        self._compiled: dict[tuple[str, str], StringFunction] = {}

    def function(self, text: str, key: str, variables: tuple[str, ...]) -> StringFunction:
        if (text, key) not in self._compiled:
            self._compiled[(text, key)] = StringFunction(text, key, variables, self.flags.constants)
        return self._compiled[(text, key)]

    def pairs(self, text: str, key: str, pre: np.ndarray, post: np.ndarray) -> np.ndarray:
        """Values for (pre gid, post gid) rows."""
        func = self.function(text, key, PAIR_VARIABLES)
        columns = self.table.columns
        values = pair_columns(func.variables, {c: v[pre] for c, v in columns.items()},
                              {c: v[post] for c, v in columns.items()})
        return func(values, pre.size, self.rng)

    def cells(self, text: str, key: str, gids: np.ndarray, side: str) -> np.ndarray:
        """Values per cell, with only ``pre_`` (side "pre") or ``post_`` variables."""
        func = self.function(text, key, PRE_VARIABLES if side == "pre" else POST_VARIABLES)
        values = {name: self.table.columns[name.split("_", 1)[1]][gids] for name in func.variables}
        return func(values, gids.size, self.rng)


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
        strings = Strings(table, flags, rng)
        pairs, conn_index = _pairs(rule, key, pre, post, flags, rng, strings)
        blocks += _edges(net, str(label), rule, key, pairs, conn_index, table, synmechs, flags, strings)
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
           rng: np.random.Generator, strings: Strings) -> tuple[np.ndarray, np.ndarray | None]:
    """(pre gid, post gid) rows, and for connList rules the list entry of each row."""
    kind = rule_kind(rule, key)
    if kind == "connList":
        return _from_list(rule["connList"], f"{key}.connList", pre, post)
    if kind in ("convergence", "divergence"):
        owners, candidates = (post, pre) if kind == "convergence" else (pre, post)
        value = rule[kind]
        if isinstance(value, str):
            counts = strings.cells(value, f"{key}.{kind}", owners, "post" if kind == "convergence" else "pre")
            counts = _counts(counts, f"{key}.{kind}", candidates.size)
        else:
            counts = np.full(owners.size, _count(value, f"{key}.{kind}", candidates.size))
        parts = []
        for count in np.unique(counts).tolist():
            who = owners[counts == count]
            chosen = _choose(rng, who, candidates, int(count))
            mine = np.repeat(who, count)
            parts.append(np.column_stack([chosen.ravel(), mine] if kind == "convergence" else [mine, chosen.ravel()]))
        pairs = np.concatenate(parts) if parts else np.zeros((0, 2), np.int64)
        major = 1 if kind == "convergence" else 0  # grouped by owner cell, as drawn
        pairs = pairs[np.lexsort((pairs[:, 1 - major], pairs[:, major]))]
        return pairs, None
    keep_self = flags.allow_self
    if kind == "probability":
        value = rule["probability"]
        p = value if isinstance(value, str) else number(value, f"{key}.probability", minimum=0)
        rows = []
        step = max(1, _CHUNK // max(pre.size, 1))
        for lo in range(0, post.size, step):
            block = post[lo:lo + step]
            if isinstance(p, str):  # one value per candidate pair, post-major like the draws
                probs = strings.pairs(p, f"{key}.probability", np.tile(pre, block.size), np.repeat(block, pre.size))
                hit = rng.random((block.size, pre.size)) < probs.reshape(block.size, pre.size)
            else:
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


def _counts(values: np.ndarray, key: str, candidates: int) -> np.ndarray:
    """:func:`_count` of values computed by a string function."""
    if not np.isfinite(values).all():
        fail("the string function gives a value that is not a number", key,
             found=float(values[~np.isfinite(values)][0]))
    return np.clip(np.round(values), 0, max(candidates - 1, 0)).astype(np.int64)


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
           flags: Flags, strings: Strings) -> list[EdgeBlock]:
    if pairs.size == 0:
        return []
    mechs = rule.get("synMech")
    mechs = list(mechs) if isinstance(mechs, (list, tuple)) else [mechs]
    receptors = {r for p in table.pops if p.vref for r in p.vref.get("synList", [])}
    for mech in mechs:
        if mech is not None and mech not in synmechs and mech not in receptors:
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
            receptor = target.vref is not None and mech in target.vref.get("synList", [])
            if mech is not None and mech not in synmechs and not receptor:
                fail(f"unknown synMech for population {target.label!r}", f"{key}.synMech",
                     expected=f"one of {list(synmechs)}", found=mech)
            if mech is None and target.kind == COMPARTMENT and target.vref is None:
                if not synmechs:
                    fail("connections onto compartments need a synapse model", f"{key}.synMech",
                         expected="a synMechParams label")
                mech = next(iter(synmechs))
            blocks.append(_block(label, key, mech, i, len(mechs), rule, values, pairs[rows],
                                 None if conn_index is None else rows, source, target, scale, flags, strings))
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


@dataclass(frozen=True)
class _Scaled:
    """A string function times a synMech factor (evaluated per connection, then scaled)."""

    text: str
    factor: float


def _pick(value: Any, i: int, m: int, factor: Any, key: str) -> Any:
    """The value for synapse model ``i`` of ``m``."""
    if m > 1 and isinstance(value, (list, tuple)):
        if len(value) != m:
            fail(f"a list gives one value per synMech ({m})", key, expected=f"{m} values", found=len(value))
        return value[i]
    if m > 1 and factor is not None:
        if not isinstance(factor, (list, tuple)) or len(factor) != m:
            fail(f"a factor list gives one value per synMech ({m})", key, expected=f"{m} factors", found=factor)
        if isinstance(value, str):
            return _Scaled(value, number(factor[i], key))
        return np.asarray(value, dtype=float) * number(factor[i], key)
    return value


def _block(label: str, key: str, mech: str | None, i: int, m: int, rule: Mapping[str, Any],
           values: Mapping[str, Any], pairs: np.ndarray, rows: np.ndarray | None, source: Population,
           target: Population, scale: float, flags: Flags, strings: Strings) -> EdgeBlock:
    spc = _pick(values["synsPerConn"], i, m, None, f"{key}.synsPerConn")
    if isinstance(spc, str):
        fail("synsPerConn as a string function is not supported", f"{key}.synsPerConn",
             expected="a whole number", found=spc)
    n = integer(spc, f"{key}.synsPerConn", minimum=1)
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
        if isinstance(value, str):
            return strings.pairs(value, f"{key}.{what}", pairs[:, 0], pairs[:, 1])
        if isinstance(value, _Scaled):
            return strings.pairs(value.text, f"{key}.{what}", pairs[:, 0], pairs[:, 1]) * value.factor
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
    section_id = section_pos = weight_index = None
    if target.vref is not None:
        weight_index = np.full(out_w.size, vref_slot(key, target, mech, sec, n))
    elif target.kind == COMPARTMENT:
        section_id, section_pos = _sites(key, target, sec, loc, n, count, per_row, rule, flags, strings.rng)
    src = np.tile(pairs[:, 0] - source.first_gid, n)
    trg = np.tile(pairs[:, 1] - target.first_gid, n)
    keep = np.ones(out_w.size, dtype=bool) if flags.allow_zero else out_w != 0
    return EdgeBlock(rule=label, synmech=mech, source=source.label, target=target.label,
                     source_ids=src[keep], target_ids=trg[keep], weight=out_w[keep], delay=out_d[keep],
                     section_id=None if section_id is None else section_id[keep],
                     section_pos=None if section_pos is None else section_pos[keep],
                     weight_index=None if weight_index is None else weight_index[keep])


def vref_slot(key: str, target: Population, mech: str | None, sec: Any, n: int) -> int:
    """NetCon weight slot of a connection onto a cell whose voltage is a point process's own
    (NetPyNE: the index of ``synMech`` in the point process's ``synList``, else 0)."""
    assert target.vref is not None and target.rule is not None
    if sec is None:  # NetPyNE's default section: soma, else the first
        sec = "soma" if "soma" in target.rule["secs"] else next(iter(target.rule["secs"]))
    if isinstance(sec, np.ndarray) or sec != target.vref["sec"]:
        fail(f"connections onto population {target.label!r} go to its point process "
             f"{target.vref['name']!r} in section {target.vref['sec']!r}", f"{key}.sec",
             expected=f"{target.vref['sec']!r} or nothing", found=sec if not isinstance(sec, np.ndarray) else list(sec))
    if n != 1:
        fail("one synapse per connection onto a cell whose voltage is a point process's own", f"{key}.synsPerConn",
             expected=1, found=n)
    receptors = target.vref.get("synList", [])
    return receptors.index(mech) if mech in receptors else 0



def _sites(key: str, target: Population, sec: Any, loc: Any, n: int, count: int, per_row: Any,
           rule: Mapping[str, Any], flags: Flags, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Section ids and positions of the ``n`` synapses of each of ``count`` connections
    (synapse-major: all connections' first synapses, then their second ...)."""
    many = section_list(target, sec, f"{key}.sec")
    if many is not None and len(many) > 1:
        ids, positions = _list_sites(key, target, many, loc, n, count, per_row, rule, flags, rng)
    else:
        if many is not None:
            sec = many[0]
        if isinstance(sec, np.ndarray):  # connList: one section name per connection
            names, inverse = np.unique(sec.astype(str), return_inverse=True)
            ids = np.array([section_index(target, s, f"{key}.sec") for s in names.tolist()],
                           dtype=np.int64)[inverse]
        else:
            ids = np.full(count, section_index(target, sec, f"{key}.sec"), dtype=np.int64)
        ids = np.tile(ids, n)
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
    return ids, positions


def section_list(target: Population, sec: Any, key: str) -> list[str] | None:
    """The sections named by a list or a ``secLists`` name (None: ``sec`` is one section)."""
    assert target.rule is not None
    lists = target.rule.get("secLists", {})
    if isinstance(sec, str) and sec in lists and sec not in target.rule["secs"]:
        names = list(lists[sec])
    elif isinstance(sec, (list, tuple)):
        names = [str(s) for s in sec]
    else:
        return None
    for name in names:
        if name not in target.rule["secs"]:
            fail(f"no such section in cell type {target.cell_type!r} (population {target.label!r})", key,
                 expected=f"names among {list(target.rule['secs'])}", found=name)
    if not names:
        fail("an empty list of sections", key, expected="section names", found=sec)
    return names


def _list_sites(key: str, target: Population, names: list[str], loc: Any, n: int, count: int, per_row: Any,
                rule: Mapping[str, Any], flags: Flags, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """NetPyNE's placement on several sections: one synapse on a random section of the list
    (``connRandomSecFromList``, the default) or on the first; several synapses spread over the
    sections' total length (``distributeSynsUniformly``, the default), at random sections, or
    one per listed section."""
    assert target.rule is not None
    index = np.array([list(target.rule["secs"]).index(name) for name in names], dtype=np.int64)
    random_sec = bool(rule.get("connRandomSecFromList", flags.options.get("connRandomSecFromList", True)))
    uniform = bool(rule.get("distributeSynsUniformly", flags.options.get("distributeSynsUniformly", True)))
    locs = list(loc) if isinstance(loc, (list, tuple)) else None
    if n == 1:
        if not random_sec:
            first = (locs[0] if locs else None) if locs is not None else loc
            return np.full(count, index[0]), per_row(0.5 if first is None else first, "loc")
        pick = rng.integers(0, len(names), count)
        if locs is not None and len(locs) > 1:
            if len(locs) != len(names):
                fail("with several sections and one synapse, a loc list gives one position per section", f"{key}.loc",
                     expected=f"{len(names)} values", found=len(locs))
            table = np.stack([per_row(v, "loc") for v in locs])
            return index[pick], table[pick, np.arange(count)]
        one = locs[0] if locs else loc
        return index[pick], per_row(0.5 if one is None else one, "loc")
    if uniform:
        if loc is not None:
            fail("synapses spread over several sections take no loc (distributeSynsUniformly)", f"{key}.loc",
                 expected="no loc, or distributeSynsUniformly False", found=loc)
        secs, positions = distribute_uniformly(target, names, n, f"{key}.sec")
        return np.repeat(index[secs], count), np.repeat(positions, count)
    if random_sec:
        unique = n <= len(names)
        keys = rng.random((count, len(names)))
        chosen = np.argsort(keys, axis=1)[:, :n] if unique else rng.integers(0, len(names), (count, n))
        if locs is not None:
            values = np.array([number(v, f"{key}.loc") for v in locs])
            picks = np.argsort(rng.random((count, len(locs))), axis=1)[:, :n] if n <= len(locs) \
                else rng.integers(0, len(locs), (count, n))
            positions = values[picks]
        else:
            positions = rng.random((count, n))
        return index[chosen.T.ravel()], positions.T.ravel()
    if len(names) != n:
        fail("with connRandomSecFromList and distributeSynsUniformly False, list one section per synapse",
             f"{key}.sec", expected=f"{n} sections", found=len(names))
    values = locs if locs is not None else [0.5 if loc is None else loc] * n
    if len(values) != n:
        fail(f"a loc list gives one position per synapse (synsPerConn {n})", f"{key}.loc", expected=f"{n} values",
             found=len(values))
    return np.repeat(index, count), np.concatenate([per_row(v, "loc") for v in values])


def distribute_uniformly(target: Population, names: list[str], n: int, key: str) -> tuple[np.ndarray, np.ndarray]:
    """NetPyNE's ``_distributeSynsUniformly``: synapse ``i`` at ``(i + 1/2) * total / n`` along the
    sections laid end to end, its position measured back from the end of its section."""
    assert target.rule is not None
    lengths = [section_length(target.rule["secs"][name], f"{key}.{name}") for name in names]
    total = sum(lengths)
    ends = list(np.cumsum(lengths))
    absolute = [i * (total / n) + total / n / 2 for i in range(n)]
    which = [ends.index(next(x for x in ends if x >= a)) for a in absolute]
    positions = [(ends[k] - a) / lengths[k] for a, k in zip(absolute, which, strict=True)]
    return np.asarray(which, dtype=np.int64), np.asarray(positions, dtype=float)


def section_length(sec: Mapping[str, Any], key: str) -> float:
    """A section's length (um): ``geom.L``, else the length of its ``pt3d`` path."""
    geom = sec.get("geom", {})
    if "L" in geom:
        return float(geom["L"])
    points = np.asarray(geom.get("pt3d", []), dtype=float)
    if points.shape[0] >= 2:
        return float(np.sqrt((np.diff(points[:, :3], axis=0) ** 2).sum(axis=1)).sum())
    fail("spreading synapses needs the sections' lengths", key, expected="geom.L or pt3d points")
