"""LGN units from a node population: node attributes first, then the ``dynamics_params`` JSON
(in ``components.filter_models_dir``), with BMTK FilterNet's parameter names and rules.

Cell types, by ``model_template: "lgnmodel:<type>"`` (or ``pop_name`` without a template):

* ``sONsOFF_001``/``sONsOFF`` and ``sONtOFF_001``/``sONtOFF`` (these names exactly):
  two-subfield units (:func:`~cantata.sim.engines.filter.units.two_subfield_unit`);
* ``LGNOnOFFCell``: ON and OFF Gaussians of widths ``sigma_on``/``sigma_off`` at the same
  place, one temporal filter (:func:`~cantata.sim.engines.filter.units.on_off_unit`);
* any other type whose class (the name before ``_``) contains ``ON`` or ``OFF``: a
  single-subfield unit with spontaneous rate ``spont_fr`` (see
  :mod:`~cantata.sim.engines.filter.spontaneous` for the rule when a node has none).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from cantata.errors import BuildError, SimulationError
from cantata.sim.engines.filter.filters import cached_cosine_bump_kernel
from cantata.sim.engines.filter.jitter import Jitter, jitter_range
from cantata.sim.engines.filter.spontaneous import fallback_spont_fr
from cantata.sim.engines.filter.units import Subunit, Unit, on_off_unit, two_subfield_unit
from cantata.sim.runlog import log

if TYPE_CHECKING:
    from cantata.sim.simulation import Simulation
    from cantata.sonata.populations import NodePopulation

__all__ = ["TWO_SUBFIELD_TYPES", "build_units"]

#: BMTK's two-subfield type names -> the kind used by :func:`two_subfield_unit`
TWO_SUBFIELD_TYPES = {"sONsOFF_001": "sonsoff", "sONsOFF": "sonsoff", "sONtOFF_001": "sontoff",
                      "sONtOFF": "sontoff"}
ON_OFF_TYPE = "LGNOnOFFCell"

# per parameter: a list-valued name, then pairs of scalar names (BMTK's accepted spellings)
_DOMINANT = {
    "weights": (("weights", "opt_wts", "weights_dom"), (("weight_dom_0", "weight_dom_1"),)),
    "kpeaks": (("kpeaks", "opt_kpeaks", "kpeaks_dom"), (("kpeaks_dom_0", "kpeaks_dom_1"),)),
    "delays": (("delays", "opt_delays", "delays_dom"), (("delays_dom_0", "delays_dom_1"),
                                                       ("delay_dom_0", "delay_dom_1"))),
}
_NON_DOMINANT = {
    "weights": (("weights_non_dom",), (("weight_non_dom_0", "weight_non_dom_1"),)),
    "kpeaks": (("kpeaks_non_dom",), (("kpeaks_non_dom_0", "kpeaks_non_dom_1"),)),
    "delays": (("delays_non_dom",), (("delay_non_dom_0", "delay_non_dom_1"),)),
}
_JSON_NAMES = {"weights": "opt_wts", "kpeaks": "opt_kpeaks", "delays": "opt_delays"}


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return not (isinstance(value, str) and value.strip().upper() in ("", "NULL", "NONE", "NAN"))


def _as_list(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return value
    return value.tolist() if isinstance(value, np.ndarray) else value


class _Node:
    """One node's attributes and dynamics params, with errors naming the node and key."""

    def __init__(self, population: str, node_id: int, row: Mapping[str, Any], params: Mapping[str, Any],
                 non_dom: Mapping[str, Any] | None, file: Any) -> None:
        self.population, self.node_id, self.row, self.params = population, node_id, row, params
        self.non_dom, self.file = non_dom, file

    def where(self, key: str) -> str:
        return f"nodes.{self.population}[{self.node_id}].{key}"

    def error(self, message: str, key: str, **kw: Any) -> BuildError:
        return BuildError(message, file=self.file, key=self.where(key), **kw)

    def attr(self, name: str) -> Any:
        value = self.row.get(name)
        return value if _present(value) else None

    def get(self, name: str, default: Any = None) -> Any:
        value = self.attr(name)
        if value is None:
            value = self.params.get(name)
        return _as_list(value) if _present(value) else default

    def _float(self, name: str, value: Any) -> float:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise self.error(f"{name} is not a number", name, expected="a number", found=value) from None

    def number(self, name: str, default: Any = None) -> float:
        value = self.get(name, default)
        if value is None:
            raise self.error(f"missing {name}", name, expected="a number (node attribute or dynamics_params)",
                             found=None)
        return self._float(name, value)

    def pair(self, name: str, value: Any) -> tuple[float, float]:
        try:
            arr = np.broadcast_to(np.asarray(_as_list(value), dtype=float), (2,))
        except (TypeError, ValueError):
            raise self.error(f"{name} must be a number or two numbers", name, expected="s or [s_x, s_y]",
                             found=value) from None
        return float(arr[0]), float(arr[1])

    def triple(self, spellings: Mapping[str, tuple], params: Mapping[str, Any] | None, label: str) -> tuple:
        out = []
        for key, (names, pairs) in spellings.items():
            value = next((_as_list(self.attr(n)) for n in names if self.attr(n) is not None), None)
            if value is None:
                value = next(([self.attr(a), self.attr(b)] for a, b in pairs
                              if self.attr(a) is not None and self.attr(b) is not None), None)
            if value is None and params is not None and _present(params.get(_JSON_NAMES[key])):
                value = _as_list(params[_JSON_NAMES[key]])
            if value is None:
                raise self.error(f"missing the {label} temporal filter's {key}", key,
                                 expected=f"node attribute {names[0]!r} or {_JSON_NAMES[key]!r} in dynamics_params",
                                 found=None)
            try:
                arr = np.asarray(value, dtype=float)
            except (TypeError, ValueError):
                raise self.error(f"{key} must be two numbers", key, found=value) from None
            if arr.shape != (2,):
                raise self.error(f"{key} must be two numbers", key, expected="[a, b]", found=value)
            out.append(arr)
        return tuple(out)

    def sigma(self) -> tuple[float, float]:
        """The Gaussian's sigma: a third of ``spatial_size`` (BMTK's order: node ``spatial_size``,
        node ``sigma``, then the same two in dynamics_params; default 1)."""
        value = next((self.attr(n) for n in ("spatial_size", "sigma") if self.attr(n) is not None), None)
        if value is None:
            value = next((self.params[n] for n in ("spatial_size", "sigma") if _present(self.params.get(n))), 1.0)
        sx, sy = self.pair("spatial_size", value)
        return sx / 3.0, sy / 3.0

    def jitter(self) -> Jitter | None:
        values = {k: _as_list(self.attr(k)) for k in ("jitter_lower", "jitter_upper")}
        try:
            return jitter_range({k: v for k, v in values.items() if v is not None}, self.where("jitter_lower"))
        except ValueError as exc:
            raise self.error(str(exc).split(": ", 1)[1], "jitter_lower",
                             expected="0 <= jitter_lower <= jitter_upper (both numbers)",
                             found=[values["jitter_lower"], values["jitter_upper"]]) from None


def _template(node: _Node) -> tuple[str, str]:
    template = node.attr("model_template")
    if template is None:
        name = node.attr("pop_name")
        if name is None:
            raise node.error("no model_template (and no pop_name) to choose the cell model", "model_template",
                             expected="'lgnmodel:<type>'", found=None)
        return "lgnmodel", str(name)
    prefix, _, name = str(template).partition(":")
    if not name:
        prefix, name = "lgnmodel", prefix
    return prefix.strip().lower(), name.strip()


def _jittered(node: _Node, triple: tuple, jitter: Jitter | None, rng: np.random.Generator) -> tuple:
    return triple if jitter is None else tuple(jitter.apply(v, rng) for v in triple)


def _single_unit(node: _Node, model: str, dominant: tuple) -> Unit:
    cell_type = model.split("_")[0]
    if "ON" in cell_type:
        amplitude = 1.0
    elif "OFF" in cell_type:
        amplitude = -1.0
    else:
        raise node.error("unknown cell template for the filternet engine", "model_template",
                         expected="a type with ON or OFF in its name (tON_TF8, sOFF_TF4, sONsOFF_001, "
                                  "LGNOnOFFCell ...)", found=model)
    spont = node.attr("spont_fr")
    if spont is None:
        try:
            spont = fallback_spont_fr(model)
        except KeyError as exc:
            raise node.error("missing spont_fr, and the type has no data-derived default", "spont_fr",
                             expected="spont_fr (Hz) as a node attribute", found=exc.args[0]) from None
    spont = node._float("spont_fr", spont)
    sigma = node.sigma()
    rotation = node.number("spatial_rotation", 0.0)
    kernel = cached_cosine_bump_kernel(*dominant)
    return Unit([Subunit(node.number("x"), node.number("y"), sigma, kernel, amplitude, rotation)], [spont])


def _unit(node: _Node, rng: np.random.Generator) -> Unit:
    prefix, model = _template(node)
    if prefix == "audmodel":
        raise node.error("auditory units (audmodel) are not supported by the filternet engine", "model_template",
                         expected="'lgnmodel:<type>'", found=node.attr("model_template"))
    if prefix != "lgnmodel":
        raise node.error("unknown cell template for the filternet engine", "model_template",
                         expected="'lgnmodel:<type>' (e.g. lgnmodel:tON_TF8, lgnmodel:sONsOFF_001)",
                         found=node.attr("model_template"))
    jitter = node.jitter()
    try:
        # draws in BMTK's order: dominant filter, non-dominant filter, sf_sep, tuning angle
        dominant = _jittered(node, node.triple(_DOMINANT, node.params, "dominant"), jitter, rng)
        if model in TWO_SUBFIELD_TYPES:
            non_dominant = _jittered(node, node.triple(_NON_DOMINANT, node.non_dom, "non-dominant"), jitter, rng)
            sf_sep = node.number("sf_sep")
            if jitter is not None:
                sf_sep = float(jitter.apply(sf_sep, rng))
            angle = node.get("tuning_angle", None)
            angle = node._float("tuning_angle", angle) if angle is not None else float(rng.uniform(0.0, 360.0))
            return two_subfield_unit(TWO_SUBFIELD_TYPES[model], node.number("x"), node.number("y"), node.sigma(),
                                     node.number("spatial_rotation", 0.0), dominant, non_dominant, sf_sep, angle)
        if model == ON_OFF_TYPE:
            sigmas = []
            for name in ("sigma_on", "sigma_off"):
                value = node.get(name)
                if value is None:
                    raise node.error(f"missing {name}", name, expected="the Gaussian's sigma, s or [s_x, s_y] "
                                     "(movie units, not divided by 3)", found=None)
                sigmas.append(node.pair(name, value))
            return on_off_unit(node.number("x"), node.number("y"), sigmas[0], sigmas[1], dominant)
        return _single_unit(node, model, dominant)
    except ValueError as exc:
        raise node.error(str(exc), "dynamics_params") from None


def _component(sim: Simulation, cache: dict[str, dict[str, Any]], ref: Any, where: str) -> dict[str, Any]:
    """A JSON parameter file of ``components.filter_models_dir`` (or inline JSON), cached."""
    key = ref if isinstance(ref, str) else repr(ref)
    if key not in cache:
        try:
            cache[key] = sim.component_json(ref, "filter_models_dir", where=where)
        except SimulationError as exc:
            raise BuildError(exc.detail, file=exc.file, key=exc.key, expected=exc.expected, found=exc.found) from None
    return cache[key]


def build_units(sim: Simulation, pop: NodePopulation, rng: np.random.Generator) -> tuple[np.ndarray, list[Unit]]:
    """Node ids and units of every node of ``pop`` (random draws in node order)."""
    frame = pop.to_dataframe()
    file = sim.config.path
    cache: dict[str, dict[str, Any]] = {}
    units = []
    ignored_spont = 0
    for node_id, row in zip(frame.index.to_numpy(), frame.to_dict("records")):
        ref = row.get("dynamics_params")
        params: dict[str, Any] = {}
        if _present(ref):
            params = _component(sim, cache, ref, f"nodes.{pop.name}[{node_id}].dynamics_params")
        ref = row.get("non_dom_params")
        non_dom = None
        if _present(ref):
            non_dom = _component(sim, cache, ref, f"nodes.{pop.name}[{node_id}].non_dom_params")
        node = _Node(pop.name, int(node_id), row, params, non_dom, file)
        if node.attr("spont_fr") is None and _present(params.get("spont_fr")):
            ignored_spont += 1
        units.append(_unit(node, rng))
    if ignored_spont:
        log.warning("%d node(s) of population %s have spont_fr only in their dynamics_params; as in BMTK it is "
                    "not used there (give it as a node attribute)", ignored_spont, pop.name)
    return frame.index.to_numpy().astype(np.int64), units
