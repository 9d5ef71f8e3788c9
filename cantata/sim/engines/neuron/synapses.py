"""Synapse models, their parameters, and where synapses sit on a morphology.

* Models: an edge type's ``model_template`` names a NEURON point process (``Exp2Syn``,
  ``ExpSyn``, any compiled mechanism; matched case-insensitively) or a builder registered with
  :func:`synapse_model`. Parameters come from the ``dynamics_params`` JSON in
  ``synaptic_models_dir``; ``erev`` is NEURON's ``e``; keys that only describe the file
  (``level_of_detail``, ``sign``, ...) are ignored, any other key must be a parameter of the
  mechanism.
* Placement: preset ``afferent_section_id``/``afferent_section_pos`` (or BMTK's ``sec_id``/
  ``sec_x``) are checked against the morphology; otherwise each synapse picks a segment among
  the sections named by ``target_sections`` whose centre-to-soma path distance range overlaps
  ``distance_range``, with probability proportional to the overlapping length, from a
  generator seeded per target cell (so placement does not depend on the number of MPI ranks).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cantata.errors import FormatError, SimulationError
from cantata.sim.engines.neuron.hoc import hoc, mechanism_names
from cantata.sim.engines.neuron.morphology import (
    SECTION_ALIASES,
    SECTION_TYPE_CODES,
    SegmentTable,
)

#: JSON keys that describe a synapse file rather than set a mechanism parameter.
METADATA_KEYS = frozenset({"level_of_detail", "sign", "type", "comment", "comments", "notes",
                           "name", "description", "model_template"})
#: Parameters a file must give for the built-in models, and their NEURON names.
KNOWN_MODELS: dict[str, dict[str, str]] = {
    "Exp2Syn": {"tau1": "tau1", "tau2": "tau2", "erev": "e"},
    "ExpSyn": {"tau": "tau", "erev": "e"},
}
_ALIASES = {"erev": "e"}

SynapseBuilder = Callable[[Any, float, Mapping[str, Any]], Any]
_REGISTRY: dict[str, SynapseBuilder] = {}


def synapse_model(name: str) -> Callable[[SynapseBuilder], SynapseBuilder]:
    """Register ``fn(section, x, params) -> point process`` for edge ``model_template`` ``name``.

    Registered names win over NEURON mechanisms of the same name (compared case-insensitively).
    """

    def wrap(fn: SynapseBuilder) -> SynapseBuilder:
        _REGISTRY[name.lower()] = fn
        return fn

    return wrap


@dataclass(frozen=True)
class SynapseSpec:
    """How to create the synapses of one edge type."""

    template: str  # NEURON point-process name, or registered builder name
    params: dict[str, float]  # NEURON attribute -> value (for NEURON point processes)
    raw: Mapping[str, Any]  # the JSON as read (for registered builders)
    builder: SynapseBuilder | None = None

    def create(self, section: Any, x: float) -> Any:
        """Make one synapse at ``section(x)``."""
        if self.builder is not None:
            return self.builder(section, x, self.raw)
        syn = getattr(hoc(), self.template)(section(x))
        for key, value in self.params.items():
            setattr(syn, key, value)
        return syn


def synapse_spec(template: str, params: Mapping[str, Any] | None, *, source: str, who: str
                 ) -> SynapseSpec:
    """Resolve an edge type's ``model_template`` and check its parameter file.

    ``source`` names the JSON file and ``who`` the edge type, for error messages.
    """
    raw = dict(params or {})
    builder = _REGISTRY.get(template.lower())
    if builder is not None:
        return SynapseSpec(template=template, params={}, raw=raw, builder=builder)
    name = _point_process_name(template, who)
    required = KNOWN_MODELS.get(name, {})
    missing = [k for k in required if k not in raw]
    if missing:
        raise SimulationError(
            f"synapse parameters for {name} lack {', '.join(missing)} ({who})",
            file=source, expected=", ".join(required), found=", ".join(sorted(raw)) or "nothing",
        )
    known = parameter_names(name)
    values: dict[str, float] = {}
    for key, value in raw.items():
        if key in METADATA_KEYS:
            continue
        attr = required.get(key, _ALIASES.get(key, key))
        if attr not in known:
            raise SimulationError(f"{name} has no parameter {key!r} ({who})", file=source,
                                  key=key)
        try:
            values[attr] = float(value)
        except (TypeError, ValueError):
            raise FormatError(f"synapse parameter {key!r} is not a number ({who})", file=source,
                              key=key, found=value) from None
    return SynapseSpec(template=name, params=values, raw=raw)


def _point_process_name(template: str, who: str) -> str:
    _, points = mechanism_names()
    if template in points:
        return template
    folded = {p.lower(): p for p in points}
    if template.lower() in folded:
        return folded[template.lower()]
    raise SimulationError(
        f"unknown synapse model {template!r} needed by {who}",
        key="model_template",
        expected="a NEURON point process (compiled from mechanisms_dir) or a @synapse_model name",
        found=template,
    )


def parameter_names(mechanism: str) -> set[str]:
    """Names of a mechanism's PARAMETER, ASSIGNED and STATE variables."""
    standard = hoc().MechanismStandard(mechanism, 0)
    ref = hoc().ref("")
    names = set()
    for i in range(int(standard.count())):
        standard.name(ref, i)
        names.add(ref[0])
    return names


def target_codes(target_sections: Any, *, who: str) -> np.ndarray:
    """SWC type codes named by an edge type's ``target_sections`` (list or string form)."""
    if target_sections is None or (isinstance(target_sections, float) and np.isnan(target_sections)):
        names: Sequence[str] = ("soma", "dend", "apic")
    elif isinstance(target_sections, str):
        names = [n for n in target_sections.replace("[", " ").replace("]", " ")
                 .replace(",", " ").replace("'", " ").replace('"', " ").split() if n]
    else:
        names = [str(n) for n in target_sections]
    codes = []
    for name in names:
        kind = SECTION_ALIASES.get(name)
        if kind is None:
            raise SimulationError(f"unknown target section {name!r} ({who})",
                                  key="target_sections",
                                  expected="soma/somatic, axon/axonal, dend/basal, apic/apical",
                                  found=name)
        codes.append(SECTION_TYPE_CODES[kind])
    return np.asarray(codes, dtype=np.int64)


def distance_bounds(distance_range: Any, *, who: str) -> tuple[float, float]:
    """``distance_range`` as (min, max) um; missing means no limit."""
    if distance_range is None or (isinstance(distance_range, float) and np.isnan(distance_range)):
        return 0.0, np.inf
    if isinstance(distance_range, str):
        parts = distance_range.replace("[", " ").replace("]", " ").replace(",", " ").split()
    else:
        parts = list(distance_range)
    try:
        lo, hi = (float(p) for p in parts)
    except (TypeError, ValueError):
        raise SimulationError(f"distance_range must be two numbers ({who})",
                              key="distance_range", found=distance_range) from None
    return lo, hi


def candidate_segments(table: SegmentTable, codes: np.ndarray, bounds: tuple[float, float]
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Segments a random synapse may land on, and their probabilities (overlapping length)."""
    lo, hi = bounds
    start = table.distance - table.length / 2
    end = table.distance + table.length / 2
    overlap = np.clip(np.minimum(end, hi) - np.maximum(start, lo), 0.0, None)
    weight = np.where(np.isin(table.kind_code, codes), overlap, 0.0)
    index = np.flatnonzero(weight > 0)
    return index, weight[index] / weight[index].sum() if index.size else np.zeros(0)


def cell_rng(seed: int, population: str, node_id: int) -> np.random.Generator:
    """Generator for one target cell's synapse placement (same on any number of ranks)."""
    return np.random.default_rng([int(seed), zlib.crc32(population.encode()), int(node_id)])


def check_preset(section_id: np.ndarray, section_pos: np.ndarray, n_sections: int, *,
                 who: Callable[[int], str], morphology: str) -> None:
    """Raise naming the edge (``who(i)`` for the i-th location) and the morphology if a
    preset location does not exist."""
    bad = (section_id < 0) | (section_id >= n_sections)
    if bad.any():
        i = int(np.argmax(bad))
        raise SimulationError(
            f"afferent_section_id out of range for the morphology ({who(i)})",
            file=morphology, key="afferent_section_id",
            expected=f"0..{n_sections - 1}", found=int(section_id[i]),
        )
    badx = ~((section_pos >= 0) & (section_pos <= 1))
    if badx.any():
        i = int(np.argmax(badx))
        raise SimulationError(f"afferent_section_pos outside [0, 1] ({who(i)})",
                              key="afferent_section_pos", found=float(section_pos[i]))
