"""Cells described by section rules (NetPyNE ``cellParams``): ``model_template`` ``netpyne:<label>``.

The node's ``dynamics_params`` JSON (in ``biophysical_neuron_models_dir``) holds the rule::

    {"secs": {"soma": {"geom": {"L": 18.8, "diam": 18.8, "Ra": 123.0, "cm": 1, "nseg": 1},
                       "mechs": {"hh": {"gnabar": 0.12, "el": -70}},
                       "ions": {"na": {"e": 50}}, "vinit": -65, "threshold": 10},
              "dend": {"geom": {...}, "topol": {"parentSec": "soma", "parentX": 1.0,
                                                 "childX": 0.0}, ...}}}

Sections are made, connected and given their geometry and mechanisms in the order NetPyNE
uses, so the cell is the same NEURON model: ``nseg`` comes from ``geom`` (NEURON's default 1,
not ``run.dL``); mechanism parameters may be one value or one per segment; ``pt3d`` points
``[x, y, z, diam]`` replace ``L``/``diam``; ``vinit`` sets a section's starting potential; the
spike detector sits at ``spikeGenLoc`` of the section that has one, else at 0.5 of the first
root section, with that section's ``threshold`` if given (else the node's ``spike_threshold``).

A section may hold point processes (``pointps``: ``{"izh": {"mod": "Izhi2007b", "loc": 0.5,
"params": {...}}}``), made after its mechanisms and ions. One with ``vref`` in the spike
detector's section makes an artificial cell of the whole cell, as in NetPyNE: the detector
watches that variable of the point process, and incoming NetCons target the point process
itself (``synapse_target``), the edge's ``weight_index`` choosing the weight slot.

Section ids (``afferent_section_id``) are positions in ``secs``. Section kinds (for reports
and clamps naming ``soma``/``dend``/``axon``/``apic``) come from the names, see
:func:`section_kinds`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cantata.errors import SimulationError
from cantata.sim.engines.neuron import cells as cellmod
from cantata.sim.engines.neuron.hoc import hoc, mechanism_names
from cantata.sim.engines.neuron.mechanisms import ensure_mechanisms

TEMPLATE = "netpyne"
SECTION_KEYS = frozenset({"geom", "topol", "mechs", "ions", "pointps", "vinit", "spikeGenLoc", "threshold"})
POINTP_KEYS = frozenset({"mod", "loc", "vref", "synList", "params"})
GEOM_KEYS = frozenset({"L", "diam", "Ra", "cm", "nseg", "pt3d"})
TOPOL_KEYS = frozenset({"parentSec", "parentX", "childX"})
ION_KEYS = frozenset({"e", "i", "o"})
RULE_KEYS = frozenset({"secs", "secLists", "label", "format"})

cellmod.TEMPLATES_WITHOUT_MORPHOLOGY.add(TEMPLATE)


def root_sections(secs: Mapping[str, Any]) -> list[str]:
    """Names of the sections without a parent, in rule order."""
    return [name for name, sec in secs.items() if not (sec or {}).get("topol")]


def section_kinds(secs: Mapping[str, Any]) -> list[str]:
    """Kind of each section (rule order): names starting with ``soma``/``axon``/``apic`` give
    that kind, others ``dend``; with no ``soma*`` section, the first root section is the soma."""
    names = list(secs)
    kinds = []
    for name in names:
        low = name.lower()
        kind = next((k for k in ("soma", "axon", "apic") if low.startswith(k)), "dend")
        kinds.append(kind)
    if "soma" not in kinds and names:
        roots = root_sections(secs)
        kinds[names.index(roots[0] if roots else names[0])] = "soma"
    return kinds


def spike_site(secs: Mapping[str, Any]) -> tuple[str, float]:
    """(section name, x) of the spike detector, as NetPyNE places it."""
    for name, sec in secs.items():
        if "spikeGenLoc" in (sec or {}):
            return name, float(sec["spikeGenLoc"])
    roots = root_sections(secs)
    return (roots[0] if roots else next(iter(secs))), 0.5


class RuleCell(cellmod.BiophysicalCell):
    """A cell built from a section rule; keeps the rule's ``nseg``."""

    keeps_nseg = True

    def __init__(self, ctx: cellmod.CellContext) -> None:
        super().__init__(ctx)
        self.names: list[str] = []
        self.spike_at: tuple[int, float] = (0, 0.5)
        self.own_threshold: float | None = None
        self._vinit_handler: Any = None
        self.pointps: dict[str, Any] = {}  # "<section>.<name>" -> point process
        self.vref: tuple[Any, str] | None = None  # (point process, variable) that spikes

    def section(self, name: str) -> Any:
        return self.sections[self.names.index(name)]

    def synapse_target(self) -> Any:
        """The point process with its own voltage, if the cell has one (NetCons go to it)."""
        return None if self.vref is None else self.vref[0]

    def spike_detector(self, threshold: float) -> Any:
        index, x = self.spike_at
        sec = self.sections[index]
        if self.vref is not None:
            process, variable = self.vref
            nc = hoc().NetCon(getattr(process, f"_ref_{variable}"), None, sec=sec)
        else:
            nc = hoc().NetCon(sec(x)._ref_v, None, sec=sec)
        nc.threshold = threshold if self.own_threshold is None else self.own_threshold
        return nc


@cellmod.cell_model(TEMPLATE)
def _rule_cell(ctx: cellmod.CellContext) -> RuleCell:
    rule = ctx.dynamics_params
    where = ctx.dynamics_file
    if not rule or not isinstance(rule.get("secs"), Mapping) or not rule["secs"]:
        raise SimulationError(f"{ctx.who} needs a section rule as dynamics_params", file=where,
                              key="dynamics_params", expected='{"secs": {"soma": {...}, ...}}',
                              found=None if not rule else sorted(rule))
    unknown = sorted(set(rule) - RULE_KEYS)
    if unknown:
        raise SimulationError(f"unsupported key in the cell rule of {ctx.who}", file=where,
                              key=unknown[0], expected=f"keys among {sorted(RULE_KEYS)}")
    secs: Mapping[str, Any] = rule["secs"]
    _check_sections(secs, ctx)
    ensure_mechanisms({m for s in secs.values() for m in (s or {}).get("mechs", {})}, ctx.who,
                      None if where is None else str(where))
    _check_point_processes(secs, ctx)
    h = hoc()
    cell = RuleCell(ctx)
    cell.names = list(secs)
    cell.kinds = section_kinds(secs)
    cell.sections = [h.Section(name=name, cell=cell) for name in cell.names]
    for name, sec in secs.items():
        topol = (sec or {}).get("topol")
        if topol:
            cell.section(name).connect(cell.section(topol["parentSec"]), float(topol["parentX"]),
                                       float(topol["childX"]))
    for name, sec in secs.items():
        _build_section(cell.section(name), sec or {}, ctx, name)
        for label, pp in (sec or {}).get("pointps", {}).items():
            cell.pointps[f"{name}.{label}"] = _point_process(cell.section(name), pp, ctx,
                                                             f"secs.{name}.pointps.{label}")
    site, x = spike_site(secs)
    vref = next(((label, pp) for label, pp in (secs[site] or {}).get("pointps", {}).items() if "vref" in pp), None)
    if vref is not None:
        cell.vref = (cell.pointps[f"{site}.{vref[0]}"], str(vref[1]["vref"]))
    cell.spike_at = (cell.names.index(site), x)
    if "threshold" in (secs[site] or {}):
        cell.own_threshold = float(secs[site]["threshold"])
    starts = [(cell.section(n), float(s["vinit"])) for n, s in secs.items() if "vinit" in (s or {})]
    if starts:
        def set_v() -> None:
            for section, v in starts:
                section.v = v

        cell._vinit_handler = h.FInitializeHandler(0, set_v)
    cell.layout_key = (TEMPLATE, str(where), ctx.template)
    return cell


def _check_sections(secs: Mapping[str, Any], ctx: cellmod.CellContext) -> None:
    where = ctx.dynamics_file
    for name, sec in secs.items():
        if sec is None:
            continue
        if not isinstance(sec, Mapping):
            raise SimulationError(f"section {name!r} of {ctx.who} is not an object", file=where,
                                  key=f"secs.{name}", found=sec)
        bad = sorted(set(sec) - SECTION_KEYS)
        if bad:
            raise SimulationError(f"unsupported section key for {ctx.who}", file=where,
                                  key=f"secs.{name}.{bad[0]}", expected=f"keys among {sorted(SECTION_KEYS)}")
        bad = sorted(set(sec.get("geom", {})) - GEOM_KEYS)
        if bad:
            raise SimulationError(f"unsupported geometry key for {ctx.who}", file=where,
                                  key=f"secs.{name}.geom.{bad[0]}", expected=f"one of {sorted(GEOM_KEYS)}")
        topol = sec.get("topol")
        if topol:
            if set(topol) != TOPOL_KEYS:
                raise SimulationError(f"incomplete topology for {ctx.who}", file=where, key=f"secs.{name}.topol",
                                      expected=f"keys {sorted(TOPOL_KEYS)}", found=sorted(topol))
            if topol["parentSec"] not in secs:
                raise SimulationError(f"parent section not in the rule of {ctx.who}", file=where,
                                      key=f"secs.{name}.topol.parentSec", expected=f"one of {list(secs)}",
                                      found=topol["parentSec"])
        for ion, params in sec.get("ions", {}).items():
            bad = sorted(set(params) - ION_KEYS)
            if bad:
                raise SimulationError(f"unsupported ion key for {ctx.who}", file=where,
                                      key=f"secs.{name}.ions.{ion}.{bad[0]}", expected=f"one of {sorted(ION_KEYS)}")


def _check_point_processes(secs: Mapping[str, Any], ctx: cellmod.CellContext) -> None:
    _, points = mechanism_names()
    for name, sec in secs.items():
        for label, pp in (sec or {}).get("pointps", {}).items():
            key = f"secs.{name}.pointps.{label}"
            bad = sorted(set(pp) - POINTP_KEYS) if isinstance(pp, Mapping) else ["(not an object)"]
            if bad:
                raise SimulationError(f"unsupported point-process key for {ctx.who}", file=ctx.dynamics_file,
                                      key=f"{key}.{bad[0]}", expected=f"keys among {sorted(POINTP_KEYS)}")
            if pp.get("mod") not in points:
                raise SimulationError(f"unknown NEURON point process {pp.get('mod')!r} needed by {ctx.who}",
                                      file=ctx.dynamics_file, key=f"{key}.mod",
                                      expected="a POINT_PROCESS compiled from components.mechanisms_dir",
                                      found=pp.get("mod"))


def _point_process(section: Any, pp: Mapping[str, Any], ctx: cellmod.CellContext, key: str) -> Any:
    process = getattr(hoc(), str(pp["mod"]))(section(float(pp.get("loc", 0.5))))
    for param, value in (pp.get("params") or {}).items():
        try:
            setattr(process, param, float(value))
        except (AttributeError, LookupError, TypeError, ValueError) as exc:
            raise SimulationError(f"point process {pp['mod']} has no settable parameter {param!r} ({ctx.who})",
                                  file=ctx.dynamics_file, key=f"{key}.params.{param}", found=value) from exc
    if "vref" in pp and not hasattr(process, f"_ref_{pp['vref']}"):
        raise SimulationError(f"point process {pp['mod']} has no variable {pp['vref']!r} ({ctx.who})",
                              file=ctx.dynamics_file, key=f"{key}.vref", found=pp["vref"])
    return process


def _build_section(section: Any, sec: Mapping[str, Any], ctx: cellmod.CellContext, name: str) -> None:
    h = hoc()
    where = ctx.dynamics_file
    geom = sec.get("geom", {})
    for key, value in geom.items():
        if key == "pt3d":
            continue
        try:
            setattr(section, key, int(value) if key == "nseg" else float(value))
        except (TypeError, ValueError) as exc:
            raise SimulationError(f"bad geometry value for {ctx.who}", file=where,
                                  key=f"secs.{name}.geom.{key}", expected="a number", found=value) from exc
    if "pt3d" in geom:
        h.pt3dclear(sec=section)
        for point in geom["pt3d"]:
            x, y, z, d = (float(v) for v in point)
            h.pt3dadd(x, y, z, d, sec=section)
    segments = list(section)
    for mech, params in sec.get("mechs", {}).items():
        section.insert(mech)
        for param, value in (params or {}).items():
            values = _per_segment(value, len(segments), ctx, f"secs.{name}.mechs.{mech}.{param}")
            for seg, v in zip(segments, values, strict=True):
                if v is None:
                    continue
                try:
                    setattr(getattr(seg, mech), param, v)
                except (AttributeError, LookupError, TypeError, ValueError) as exc:
                    raise SimulationError(f"mechanism {mech} has no settable parameter {param!r} ({ctx.who})",
                                          file=where, key=f"secs.{name}.mechs.{mech}.{param}",
                                          found=v) from exc
    for ion, params in sec.get("ions", {}).items():
        section.insert(f"{ion}_ion")
        for key, value in params.items():
            values = _per_segment(value, len(segments), ctx, f"secs.{name}.ions.{ion}.{key}")
            attr = f"e{ion}" if key == "e" else f"{ion}{key}"
            for seg, v in zip(segments, values, strict=True):
                setattr(seg, attr, v)
            if key in ("i", "o"):
                # NetPyNE also sets the ion's global starting concentration (e.g. cai0_ca_ion)
                setattr(h, f"{ion}{key}0_{ion}_ion", float(values[-1]))


def _per_segment(value: Any, n: int, ctx: cellmod.CellContext, key: str) -> Sequence[float | None]:
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            return [value[0]] * n
        if len(value) != n:
            raise SimulationError(f"a per-segment list must have one value per segment ({ctx.who})",
                                  file=ctx.dynamics_file, key=key, expected=f"{n} values", found=len(value))
        return list(value)
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise SimulationError(f"parameter is not a number ({ctx.who})", file=ctx.dynamics_file, key=key,
                              expected="a number or a list of numbers", found=value)
    return [value] * n
