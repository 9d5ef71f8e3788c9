"""LGN units from a node population: node attributes first, then the ``dynamics_params`` JSON
(in ``components.filter_models_dir``), with BMTK FilterNet's parameter names."""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from cantata.errors import BuildError, SimulationError
from cantata.sim.engines.filter.filters import cosine_bump_kernel
from cantata.sim.engines.filter.units import (
    TWO_SUBFIELD,
    Subunit,
    Unit,
    two_subfield_unit,
)

if TYPE_CHECKING:
    from cantata.sim.simulation import Simulation
    from cantata.sonata.populations import NodePopulation

__all__ = ["build_units"]

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
                 file: Any) -> None:
        self.population, self.node_id, self.row, self.params, self.file = population, node_id, row, params, file

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

    def number(self, name: str, default: Any = None) -> float:
        value = self.get(name, default)
        if value is None:
            raise self.error(f"missing {name}", name, expected="a number (node attribute or dynamics_params)",
                             found=None)
        try:
            return float(value)
        except (TypeError, ValueError):
            raise self.error(f"{name} is not a number", name, expected="a number", found=value) from None

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
        value = self.get("spatial_size", None)
        if value is None:
            value = self.get("sigma", (1.0, 1.0))
        try:
            pair = np.broadcast_to(np.asarray(value, dtype=float), (2,))
        except (TypeError, ValueError):
            raise self.error("spatial_size must be a number or two numbers", "spatial_size", found=value) from None
        return float(pair[0]) / 3.0, float(pair[1]) / 3.0


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


def _unit(node: _Node, rng: np.random.Generator) -> Unit:
    prefix, model = _template(node)
    if prefix != "lgnmodel":
        raise node.error("unknown cell template for the filternet engine", "model_template",
                         expected="'lgnmodel:<type>' (e.g. lgnmodel:tON_TF8, lgnmodel:sONsOFF_001)",
                         found=node.attr("model_template"))
    if node.attr("jitter_lower") is not None or node.attr("jitter_upper") is not None:
        raise node.error("per-node filter jitter is not supported yet", "jitter_lower",
                         expected="no jitter_lower/jitter_upper columns", found=node.attr("jitter_lower"))
    x, y = node.number("x"), node.number("y")
    sigma = node.sigma()
    rotation = node.number("spatial_rotation", 0.0)
    dominant = node.triple(_DOMINANT, node.params, "dominant")
    kind = model.split("_")[0].lower()
    try:
        if kind in TWO_SUBFIELD:
            non_dom = node.params.get("__non_dom_params__")
            non_dominant = node.triple(_NON_DOMINANT, non_dom, "non-dominant")
            angle = node.get("tuning_angle", None)
            angle = float(angle) if angle is not None else float(rng.uniform(0.0, 360.0))
            return two_subfield_unit(kind, x, y, sigma, rotation, dominant, non_dominant,
                                     node.number("sf_sep"), angle)
        if model == "LGNOnOFFCell":
            raise node.error("the LGNOnOFFCell model is not supported yet", "model_template", found=model)
        cell_type = model.split("_")[0]
        if "ON" in cell_type:
            amplitude = 1.0
        elif "OFF" in cell_type:
            amplitude = -1.0
        else:
            raise node.error("unknown cell template for the filternet engine", "model_template",
                             expected="a type with ON or OFF in its name (tON_TF8, sOFF_TF4, sONsOFF_001 ...)",
                             found=model)
        if node.get("spont_fr") is None:
            raise node.error("missing spont_fr (BMTK's data-derived default is not supported)", "spont_fr",
                             expected="spontaneous rate in Hz as node attribute or in dynamics_params", found=None)
        spont = node.number("spont_fr")
        kernel = cosine_bump_kernel(*dominant)
    except ValueError as exc:
        raise node.error(str(exc), "dynamics_params") from None
    return Unit([Subunit(x, y, sigma, kernel, amplitude, rotation)], [spont])


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
    """Node ids and units of every node of ``pop``."""
    frame = pop.to_dataframe()
    file = sim.config.path
    cache: dict[str, dict[str, Any]] = {}
    units = []
    for node_id, row in zip(frame.index.to_numpy(), frame.to_dict("records")):
        ref = row.get("dynamics_params")
        params: dict[str, Any] = {}
        if _present(ref):
            params = _component(sim, cache, ref, f"nodes.{pop.name}[{node_id}].dynamics_params")
        ref = row.get("non_dom_params")
        if _present(ref):
            where = f"nodes.{pop.name}[{node_id}].non_dom_params"
            params = {**params, "__non_dom_params__": _component(sim, cache, ref, where)}
        units.append(_unit(_Node(pop.name, int(node_id), row, params, file), rng))
    return frame.index.to_numpy().astype(np.int64), units
