"""Membrane properties from NeuroML ``biophysicalProperties`` and Allen Cell Types ``*_fit.json``.

Both sources are turned into the same small program, :class:`Biophysics`: a list of
:class:`Rule` s, each applying to the sections of one kind (soma, axon, dend, apic). Applying
it to a cell sets ``Ra``/``cm``, inserts mechanisms and sets range variables, section by section.

Semantics match BMTK's loaders:

* NeuroML (``nml:`` templates): ``resistivity`` -> ``Ra``; ``specificCapacitance`` -> ``cm``;
  ``channelDensity`` of ``pas`` -> ``g_pas`` and ``e_pas``; other ``channelDensity`` /
  ``channelDensityNernst`` -> insert ``ionChannel`` and set the range variable named by the
  element's ``id`` (e.g. ``gbar_NaTs``) to ``condDensity``, and ``ena``/``ek`` from ``erev`` for
  sodium and potassium channels; ``concentrationModel`` -> insert it, set ``gamma_<type>`` and
  ``decay_<type>``. Numbers are read without unit conversion (the files use NEURON's units);
  the NeuroML morphology is not used.
* Allen ``*_fit.json``: ``passive`` (``ra``, ``cm`` per section, ``e_pas`` with ``pas`` inserted
  everywhere), ``genome`` (section, name, value, mechanism), ``conditions.erev`` (``ena``/``ek``
  per section, set where the ion exists).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from cantata.errors import FormatError, SimulationError
from cantata.sim.engines.neuron.hoc import hoc
from cantata.sim.engines.neuron.mechanisms import ensure_mechanisms
from cantata.sim.engines.neuron.morphology import SECTION_ALIASES

ALL_KINDS = ("soma", "axon", "dend", "apic")
_ION_OF_EREV = {"ena": "na", "ek": "k", "eca": "ca", "ecl": "cl"}


@dataclass(frozen=True)
class Rule:
    """One setting on every section of ``kind``.

    ``op`` is ``Ra``/``cm`` (section property), ``insert`` (mechanism ``name``), ``set`` (range
    variable ``name`` = ``value``), or ``erev`` (reversal ``name`` such as ``ena``, set only where
    the ion is present).
    """

    kind: str
    op: str
    name: str = ""
    value: float = math.nan


@dataclass
class Biophysics:
    """Membrane settings of one cell model, from the file named by ``source``."""

    source: str
    rules: list[Rule] = field(default_factory=list)
    conditions: dict[str, float] = field(default_factory=dict)  # celsius, v_init when given
    checked: bool = False  # mechanisms known to NEURON

    def mechanisms(self) -> set[str]:
        """Names of the mechanisms the rules insert."""
        return {r.name for r in self.rules if r.op == "insert"}

    def check_mechanisms(self, who: str) -> None:
        """Raise naming the mechanism and ``who`` needs it if NEURON cannot provide it."""
        if not self.checked:
            ensure_mechanisms(self.mechanisms(), who, self.source)
            self.checked = True

    def apply(self, sections: Sequence[Any], kinds: Sequence[str]) -> None:
        """Apply every rule, in order, to the sections whose kind it names."""
        h = hoc()
        by_kind: dict[str, list[Any]] = {}
        for sec, kind in zip(sections, kinds, strict=True):
            by_kind.setdefault(kind, []).append(sec)
        for rule in self.rules:
            targets = by_kind.get(rule.kind, ())
            try:
                _apply_rule(h, rule, targets)
            except (AttributeError, ValueError, RuntimeError, NameError) as exc:
                raise SimulationError(
                    f"cannot apply {rule.op} {rule.name} on {rule.kind} sections",
                    file=self.source, found=str(exc),
                ) from exc


def _apply_rule(h: Any, rule: Rule, sections: Iterable[Any]) -> None:
    op, name, value = rule.op, rule.name, rule.value
    for sec in sections:
        if op == "Ra":
            sec.Ra = value
        elif op == "cm":
            sec.cm = value
        elif op == "insert":
            sec.insert(name)
        elif op == "set":
            setattr(sec, name, value)
        elif op == "erev":
            if h.ismembrane(f"{_ION_OF_EREV[name]}_ion", sec=sec):
                setattr(sec, name, value)
        else:  # pragma: no cover - rules are built here only
            raise ValueError(f"unknown rule {op}")


# ---------------------------------------------------------------------------------- NeuroML

_NML_TAGS = ("resistivity", "specificCapacitance", "channelDensity", "channelDensityNernst",
             "concentrationModel")


@cache
def load_nml(path: Path) -> Biophysics:
    """Read a NeuroML cell file's biophysical properties (cached per path)."""
    path = Path(path)
    try:
        root = ElementTree.parse(path).getroot()
    except FileNotFoundError as exc:
        raise SimulationError("NeuroML template file not found", file=path) from exc
    except ElementTree.ParseError as exc:
        raise FormatError("malformed NeuroML file", file=path, found=str(exc)) from exc
    bio = Biophysics(source=str(path))
    seen: set[tuple[str, str]] = set()
    for elem in root.iter():
        tag = elem.tag.rsplit("}", 1)[-1]
        if tag not in _NML_TAGS:
            continue
        attrs = elem.attrib
        group = attrs.get("segmentGroup")
        if group is None:
            raise FormatError(f"<{tag}> has no segmentGroup", file=path, key=attrs.get("id", tag))
        kinds = _nml_kinds(group, path, tag)
        ident = attrs.get("id", tag)
        for kind in kinds:
            if (kind, ident) in seen:
                raise FormatError(f"<{tag} id={ident!r}> given twice for {kind}", file=path)
            seen.add((kind, ident))
            bio.rules.extend(_nml_rules(tag, attrs, kind, path))
    if not bio.rules:
        raise FormatError("no biophysical properties found", file=path,
                          expected="<biophysicalProperties> elements such as <channelDensity>")
    return bio


def _nml_kinds(group: str, path: Path, tag: str) -> tuple[str, ...]:
    if group.lower() == "all":
        return ALL_KINDS
    kind = SECTION_ALIASES.get(group.lower())
    if kind is None:
        raise FormatError(f"<{tag}> segmentGroup is not a section kind", file=path,
                          expected="soma, axon, dend, apic or all", found=group)
    return (kind,)


def _number(text: str | None, path: Path, what: str) -> float:
    if text is None:
        raise FormatError(f"missing attribute {what}", file=path, key=what)
    parts = text.split()
    try:
        if len(parts) not in (1, 2):
            raise ValueError(text)
        return float(parts[0])
    except ValueError:
        raise FormatError(f"attribute {what} is not a number with optional unit", file=path,
                          key=what, found=text) from None


def _nml_rules(tag: str, attrs: dict[str, str], kind: str, path: Path) -> list[Rule]:
    if tag == "resistivity":
        return [Rule(kind, "Ra", value=_number(attrs.get("value"), path, "resistivity.value"))]
    if tag == "specificCapacitance":
        value = _number(attrs.get("value"), path, "specificCapacitance.value")
        return [Rule(kind, "cm", value=value)]
    if tag == "concentrationModel":
        mech = attrs.get("id") or attrs.get("type")
        kind_name = attrs.get("type", mech)
        return [
            Rule(kind, "insert", mech),
            Rule(kind, "set", f"gamma_{kind_name}", _number(attrs.get("gamma"), path, "gamma")),
            Rule(kind, "set", f"decay_{kind_name}", _number(attrs.get("decay"), path, "decay")),
        ]
    channel = attrs.get("ionChannel")
    if channel is None:
        raise FormatError(f"<{tag}> has no ionChannel", file=path, key=attrs.get("id", tag))
    density = _number(attrs.get("condDensity"), path, f"{attrs.get('id', tag)}.condDensity")
    if channel == "pas":
        erev = _number(attrs.get("erev"), path, f"{attrs.get('id', tag)}.erev")
        return [Rule(kind, "insert", "pas"), Rule(kind, "set", "g_pas", density),
                Rule(kind, "set", "e_pas", erev)]
    ident = attrs.get("id")
    if not ident:
        raise FormatError(f"<{tag} ionChannel={channel!r}> has no id", file=path,
                          expected="the range variable name, e.g. gbar_" + channel)
    rules = [Rule(kind, "insert", channel), Rule(kind, "set", ident, density)]
    ion = attrs.get("ion")
    if ion in ("na", "k") and "erev" in attrs:
        rules.append(Rule(kind, "erev", f"e{ion}", _number(attrs["erev"], path, f"{ident}.erev")))
    return rules


# ----------------------------------------------------------------------- Allen Cell Types json


def load_allen_json(path: Path, params: dict[str, Any] | None = None) -> Biophysics:
    """Turn an Allen ``*_fit.json`` (already parsed as ``params``, or read from ``path``)."""
    path = Path(path)
    if params is None:
        params = _read_json(path)
    passive = _first(params, "passive", path)
    genome = params.get("genome")
    if not isinstance(genome, list):
        raise FormatError("Allen fit file needs a 'genome' list", file=path, key="genome",
                          found=type(genome).__name__)
    bio = Biophysics(source=str(path))
    for kind in ALL_KINDS:
        bio.rules.append(Rule(kind, "insert", "pas"))
        if "ra" in passive:
            bio.rules.append(Rule(kind, "Ra", value=float(passive["ra"])))
        if "e_pas" in passive:
            bio.rules.append(Rule(kind, "set", "e_pas", float(passive["e_pas"])))
    for entry in passive.get("cm", []):
        for kind in _json_kinds(entry, path, "passive.cm"):
            bio.rules.append(Rule(kind, "cm", value=float(entry["cm"])))
    for i, gene in enumerate(genome):
        where = f"genome[{i}]"
        missing = [k for k in ("section", "name", "value") if k not in gene]
        if missing:
            raise FormatError(f"{where} lacks {', '.join(missing)}", file=path, key=where,
                              expected="section, name, value (and mechanism)")
        if gene["section"] == "glob":
            continue  # global settings of old fit files: not section properties
        mech = gene.get("mechanism", "")
        for kind in _json_kinds(gene, path, where):
            if mech:
                bio.rules.append(Rule(kind, "insert", mech))
            bio.rules.append(Rule(kind, "set", str(gene["name"]), float(gene["value"])))
    conditions = params.get("conditions") or [{}]
    cond = conditions[0] if isinstance(conditions, list) else conditions
    for entry in cond.get("erev", []):
        for kind in _json_kinds(entry, path, "conditions.erev"):
            for name in ("ena", "ek", "eca"):
                if name in entry:
                    bio.rules.append(Rule(kind, "erev", name, float(entry[name])))
    bio.conditions = {k: float(cond[k]) for k in ("celsius", "v_init") if k in cond}
    return bio


def _read_json(path: Path) -> dict[str, Any]:
    try:
        with open(path) as fh:
            return json.load(fh)
    except FileNotFoundError as exc:
        raise SimulationError("dynamics_params file not found", file=path) from exc
    except json.JSONDecodeError as exc:
        raise FormatError("malformed JSON", file=path, found=str(exc)) from exc


def _first(params: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = params.get(key)
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    if isinstance(value, dict):
        return value
    raise FormatError(f"Allen fit file needs '{key}'", file=path, key=key,
                      expected="a list with one object")


def _json_kinds(entry: dict[str, Any], path: Path, where: str) -> tuple[str, ...]:
    section = str(entry.get("section", ""))
    if section == "all":
        return ALL_KINDS
    kind = SECTION_ALIASES.get(section)
    if kind is None:
        raise FormatError(f"{where}: unknown section", file=path, key=where,
                          expected="soma, axon, dend, apic or all", found=section)
    return (kind,)
