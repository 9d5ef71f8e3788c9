"""Node sets: SONATA node-set expressions evaluated to sorted unique node-id arrays.

A node set is a name, an inline object of conditions, a list of names (union) or a list of
node ids (BMTK form). Evaluation is columnar: each condition becomes one boolean mask over a
population's nodes (``np.isin``, vectorised comparisons; regular expressions are matched
once per distinct value). The rules are described in ``docs/node_sets.md``.
"""

from __future__ import annotations

import copy
import numbers
import re
from collections.abc import Callable, Iterator, Mapping
from os import PathLike
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from cantata.errors import NodeSetError
from cantata.sonata.config import read_json

if TYPE_CHECKING:
    from cantata.sonata.config import SonataConfig

__all__ = ["NodeSets", "PopulationLike"]

_ID_KEYS = ("node_id", "node_ids")
_COMPARE: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "$gt": np.greater,
    "$gte": np.greater_equal,
    "$lt": np.less,
    "$lte": np.less_equal,
}
_REGEX = "$regex"
ALL = "all"
_MAX_LISTED = 30


class PopulationLike(Protocol):
    """What node sets need from a node population (``cantata.sonata.circuit.NodePopulation``)."""

    name: str
    size: int
    attribute_names: set[str]

    def node_ids(self) -> np.ndarray: ...
    def has_attribute(self, name: str) -> bool: ...
    def get_attribute(self, name: str, ids: np.ndarray | None = None) -> np.ndarray: ...


Masks = dict[str, np.ndarray]  # population name -> bool mask over population.node_ids()


class NodeSets:
    """A collection of named node sets and the evaluator for node-set expressions."""

    def __init__(
        self,
        definitions: Mapping[str, Any],
        source: str | None = None,
        *,
        sources: Mapping[str, str] | None = None,
    ) -> None:
        """``source`` names the file for error messages; ``sources`` does so per set name."""
        if not isinstance(definitions, Mapping):
            raise NodeSetError("node sets must be a JSON object", file=source,
                               expected="{name: expression}", found=type(definitions).__name__)
        bad = [k for k in definitions if not isinstance(k, str) or not k]
        if bad:
            raise NodeSetError("node-set names must be non-empty strings", file=source, found=bad[0])
        self._definitions = dict(definitions)
        self.source = source
        self._sources = dict(sources or {})

    @classmethod
    def from_file(cls, path: str | PathLike[str]) -> NodeSets:
        """Read a node sets JSON file."""
        return cls(read_json(path, error=NodeSetError), source=str(path))

    @classmethod
    def from_config(cls, config: SonataConfig) -> NodeSets:
        """The merged node sets of a config (files and inline, circuit then simulation)."""
        where = None if config.path is None else str(config.path)
        return cls(config.node_sets, source=where, sources=config.node_set_sources)

    @property
    def names(self) -> list[str]:
        """Names of the defined sets, in definition order."""
        return list(self._definitions)

    def __contains__(self, name: object) -> bool:
        return name in self._definitions

    def __iter__(self) -> Iterator[str]:
        return iter(self._definitions)

    def __len__(self) -> int:
        return len(self._definitions)

    def __getitem__(self, name: str) -> Any:
        """The definition of set ``name`` (a copy)."""
        if name not in self._definitions:
            raise NodeSetError(f"unknown node set {name!r}", file=self.source,
                               expected=_listing("one of", self.names))
        return copy.deepcopy(self._definitions[name])

    def updated(self, other: NodeSets | Mapping[str, Any]) -> NodeSets:
        """A new collection where the sets of ``other`` replace same-named sets of this one."""
        extra = other._definitions if isinstance(other, NodeSets) else dict(other)
        other_sources = other._sources if isinstance(other, NodeSets) else {}
        other_source = other.source if isinstance(other, NodeSets) else None
        sources = {n: self._sources.get(n, self.source) for n in self._definitions}
        sources.update({n: other_sources.get(n, other_source) for n in extra})
        merged = NodeSets({**self._definitions, **extra}, self.source)
        merged._sources = {n: s for n, s in sources.items() if s is not None}
        return merged

    def resolve(
        self,
        expression: Any,
        circuit: Any,
        *,
        strict: bool = False,
        where: str | None = None,
    ) -> dict[str, np.ndarray]:
        """Evaluate ``expression`` on ``circuit``: population name -> sorted unique int64 ids.

        ``circuit`` has ``.nodes`` (a mapping of populations) or is such a mapping. Only
        populations with at least one selected node appear in the result. ``strict=True``
        also rejects ``population`` values naming no population of the circuit. ``where``
        labels inline expressions in error messages (e.g. ``"inputs.stim.node_set"``).
        """
        populations = _populations(circuit)
        masks = _Evaluator(self, populations, strict).evaluate(expression, where or _label(expression))
        result = {}
        for name, mask in masks.items():
            if mask.any():
                ids = np.asarray(populations[name].node_ids())[mask]
                result[name] = np.unique(ids.astype(np.int64, copy=False))
        return result

    def materialize(self, expression: Any, population: PopulationLike, *, strict: bool = False) -> np.ndarray:
        """Sorted unique ids of one population selected by ``expression`` (maybe empty)."""
        found = self.resolve(expression, {population.name: population}, strict=strict)
        return found.get(population.name, np.empty(0, dtype=np.int64))

    def _source_of(self, name: str | None) -> str | None:
        return self._sources.get(name, self.source) if name is not None else self.source


def _label(expression: Any) -> str:
    return expression if isinstance(expression, str) else "<inline node set>"


def _listing(prefix: str, names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:_MAX_LISTED])
    more = f", ... ({len(names) - _MAX_LISTED} more)" if len(names) > _MAX_LISTED else ""
    return f"{prefix} {shown}{more}" if names else f"{prefix} (none defined)"


def _populations(circuit: Any) -> dict[str, PopulationLike]:
    nodes = getattr(circuit, "nodes", circuit)
    if isinstance(nodes, Mapping):
        return dict(nodes)
    if callable(getattr(circuit, "node_ids", None)) and hasattr(circuit, "name"):
        return {circuit.name: circuit}
    raise TypeError("circuit must have .nodes (a mapping of populations) or be such a mapping")


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, bool)) or _is_number(value)


class _Column:
    """One attribute of one population, factorised once for string comparisons."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = np.asarray(values)
        self.numeric = self.values.dtype.kind in "biuf"
        self._factors: tuple[np.ndarray, list[Any]] | None = None

    def factors(self) -> tuple[np.ndarray, list[Any]]:
        """(codes, distinct values); code -1 marks missing values."""
        if self._factors is None:
            codes, uniques = pd.factorize(self.values, use_na_sentinel=True)
            decoded = [u.decode("utf-8", "replace") if isinstance(u, bytes) else u for u in uniques]
            self._factors = (np.asarray(codes), decoded)
        return self._factors

    def kind(self) -> str:
        """'number', 'string' or 'mixed' (object columns are judged by their distinct values)."""
        if self.numeric:
            return "number"
        if self.values.dtype.kind in "US":
            return "string"
        _, uniques = self.factors()
        if all(isinstance(u, str) for u in uniques):
            return "string"
        if all(_is_number(u) or isinstance(u, (bool, np.bool_)) for u in uniques):
            return "number"
        return "mixed"

    def where_distinct(self, keep: Callable[[Any], bool]) -> np.ndarray:
        """Mask of nodes whose value passes ``keep``, calling it once per distinct value."""
        codes, uniques = self.factors()
        chosen = np.fromiter((bool(keep(u)) for u in uniques), dtype=bool, count=len(uniques))
        return np.append(chosen, False)[codes]  # code -1 -> the appended False


class _Evaluator:
    """Evaluates expressions for one resolve call (caches columns and named sets)."""

    def __init__(self, sets: NodeSets, populations: dict[str, PopulationLike], strict: bool) -> None:
        self.sets = sets
        self.populations = populations
        self.strict = strict
        self.ids = {name: np.asarray(pop.node_ids()) for name, pop in populations.items()}
        self.columns: dict[tuple[str, str], _Column] = {}
        self.named: dict[str, Masks] = {}
        self.stack: list[str] = []
        self.set_name: str | None = None

    # -- helpers ----------------------------------------------------------------------------

    def error(self, message: str, key: str, **kw: Any) -> NodeSetError:
        return NodeSetError(message, file=self.sets._source_of(self.set_name), key=key, **kw)

    def empty(self) -> Masks:
        return {name: np.zeros(len(ids), dtype=bool) for name, ids in self.ids.items()}

    def full(self, names: Any = None) -> Masks:
        return {name: np.full(len(ids), names is None or name in names, dtype=bool)
                for name, ids in self.ids.items()}

    def column(self, population: str, attribute: str) -> _Column:
        key = (population, attribute)
        if key not in self.columns:
            self.columns[key] = _Column(self.populations[population].get_attribute(attribute))
        return self.columns[key]

    # -- expressions ------------------------------------------------------------------------

    def evaluate(self, expression: Any, where: str) -> Masks:
        if isinstance(expression, str):
            return self.named_set(expression, where)
        if isinstance(expression, Mapping):
            return self.basic(expression, where)
        if isinstance(expression, list):
            return self.listed(expression, where)
        raise self.error("not a node-set expression", where,
                         expected="a set name, an object of conditions, a list of names or of node ids",
                         found=_type_name(expression))

    def named_set(self, name: str, where: str) -> Masks:
        if name in self.named:
            return self.named[name]
        if name in self.sets:
            if name in self.stack:
                cycle = " -> ".join([*self.stack[self.stack.index(name):], name])
                raise self.error(f"node sets refer to each other in a cycle: {cycle}", name)
            outer, self.set_name = self.set_name, name
            self.stack.append(name)
            try:
                masks = self.evaluate(self.sets._definitions[name], name)
            finally:
                self.stack.pop()
                self.set_name = outer
        elif name in self.populations:  # BMTK: every population name is an implicit set
            masks = self.full({name})
        elif name == ALL:  # BMTK: "all" is every node, unless a set or population has that name
            masks = self.full()
        else:
            raise self.error(f"unknown node set {name!r}", where,
                             expected=_listing("a defined set or a population:", [*self.sets.names,
                                               *(p for p in self.populations if p not in self.sets)]))
        self.named[name] = masks
        return masks

    def listed(self, items: list[Any], where: str) -> Masks:
        if all(isinstance(i, str) for i in items):  # compound set: union of named sets
            masks = self.empty()
            for name in items:
                for pop, mask in self.named_set(name, where).items():
                    masks[pop] = masks[pop] | mask
            return masks
        if all(isinstance(i, numbers.Integral) and not isinstance(i, bool) for i in items):
            return self.basic({"node_id": items}, where)  # BMTK: a list of ids, every population
        raise self.error("a list must hold only node-set names or only node ids", where,
                         expected="[name, ...] or [id, ...]",
                         found=next(_type_name(i) for i in items if not isinstance(i, str)))

    def basic(self, conditions: Mapping[str, Any], where: str) -> Masks:
        """Object of conditions: values OR within a list, AND across keys."""
        masks = self.full()
        if "population" in conditions:
            names = self.population_names(conditions["population"], f"{where}.population")
            masks = {p: m & (p in names) for p, m in masks.items()}
        for key in _ID_KEYS:
            if key in conditions:
                wanted = self.node_ids(conditions[key], f"{where}.{key}")
                masks = {p: m & np.isin(self.ids[p], wanted) if m.any() else m for p, m in masks.items()}
        for attribute, value in conditions.items():
            if attribute == "population" or attribute in _ID_KEYS:
                continue
            key = f"{where}.{attribute}"
            test = self.predicate(value, key)
            holders = [p for p, pop in self.populations.items() if pop.has_attribute(attribute)]
            if not holders:
                raise self.error(f"no population has attribute {attribute!r}", key,
                                 expected=_listing("an attribute of population", sorted(self.populations)))
            for pop, mask in masks.items():
                if not mask.any():
                    continue
                if pop not in holders:  # the attribute exists elsewhere only: nothing matches here
                    masks[pop] = np.zeros_like(mask)
                else:
                    masks[pop] = mask & test(self.column(pop, attribute), pop, key)
        return masks

    # -- condition values ---------------------------------------------------------------------

    def population_names(self, value: Any, key: str) -> set[str]:
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise self.error("population must be a name or a list of names", key,
                             expected="a string or a list of strings", found=value)
        unknown = [n for n in names if n not in self.populations]
        if unknown and self.strict:
            raise self.error(f"unknown population {unknown[0]!r}", key,
                             expected=_listing("one of", sorted(self.populations)))
        return set(names)

    def node_ids(self, value: Any, key: str) -> np.ndarray:
        ids = [value] if isinstance(value, numbers.Integral) and not isinstance(value, bool) else value
        if not isinstance(ids, list) or not all(
            isinstance(i, numbers.Integral) and not isinstance(i, bool) for i in ids
        ):
            raise self.error("node ids must be a list of integers", key, expected="[0, 1, ...]",
                             found=value)
        wanted = np.asarray(ids, dtype=np.int64)
        if (wanted < 0).any():
            raise self.error("node ids must not be negative", key, found=int(wanted.min()))
        return wanted

    def predicate(self, value: Any, key: str) -> Callable[[_Column, str, str], np.ndarray]:
        """Validate a condition value once; return the test to run on each population's column."""
        if value is None:
            raise self.error("null is not a valid value", key,
                             expected="a value, a list of values or an operator object", found=value)
        if _is_scalar(value):
            return self.equals([value], key)
        if isinstance(value, list):
            bad = [v for v in value if not _is_scalar(v)]
            if bad:
                raise self.error("a list of values may hold only strings, numbers and booleans", key,
                                 found=_type_name(bad[0]))
            return self.equals(value, key)
        if isinstance(value, Mapping):
            if not value:
                raise self.error("an operator object needs at least one operator", key,
                                 expected=_listing("one of", [*_COMPARE, _REGEX]), found={})
            tests = [self.operator(op, operand, f"{key}.{op}") for op, operand in value.items()]

            def all_of(column: _Column, pop: str, k: str) -> np.ndarray:
                mask = tests[0](column, pop, k)
                for test in tests[1:]:
                    mask &= test(column, pop, k)
                return mask

            return all_of
        raise self.error("not a valid condition value", key,
                         expected="a value, a list of values or an operator object", found=_type_name(value))

    def equals(self, values: list[Any], key: str) -> Callable[[_Column, str, str], np.ndarray]:
        wants_text = any(isinstance(v, str) for v in values)
        wants_number = any(not isinstance(v, str) for v in values)

        def test(column: _Column, pop: str, k: str) -> np.ndarray:
            kind = column.kind()
            if kind == "number" and wants_text:
                raise self.error(f"attribute is numeric in population {pop!r}", k,
                                 expected="numbers", found=next(v for v in values if isinstance(v, str)))
            if kind == "string" and wants_number:
                raise self.error(f"attribute holds strings in population {pop!r}", k,
                                 expected="strings", found=next(v for v in values if not isinstance(v, str)))
            if not values:
                return np.zeros(len(column.values), dtype=bool)
            if column.values.dtype.kind in "biu":  # exact integer comparison; 2.5 matches nothing
                whole = [int(v) for v in values if float(v).is_integer()]
                return np.isin(column.values, np.asarray(whole, dtype=np.int64))
            if column.numeric:
                return np.isin(column.values, np.asarray(values, dtype=np.float64))
            wanted = set(values)
            return column.where_distinct(lambda u: u in wanted)

        return test

    def operator(self, op: str, operand: Any, key: str) -> Callable[[_Column, str, str], np.ndarray]:
        if op in _COMPARE:
            if not _is_number(operand):
                raise self.error(f"{op} needs a number", key, expected="a number", found=operand)
            compare = _COMPARE[op]

            def test(column: _Column, pop: str, k: str) -> np.ndarray:
                if column.numeric:
                    return compare(column.values, operand)
                if column.kind() == "number":
                    return column.where_distinct(lambda u: bool(compare(u, operand)))
                raise self.error(f"{op} needs a numeric attribute; it holds strings in population {pop!r}",
                                 k, expected="a numeric attribute")

            return test
        if op == _REGEX:
            if not isinstance(operand, str):
                raise self.error("$regex needs a string pattern", key, expected="a string", found=operand)
            try:
                pattern = re.compile(operand)
            except re.error as exc:
                raise self.error(f"invalid regular expression: {exc}", key, found=operand) from None

            def search(column: _Column, pop: str, k: str) -> np.ndarray:
                if column.kind() == "number":
                    raise self.error(f"$regex needs a string attribute; it is numeric in population {pop!r}",
                                     k, expected="a string attribute")
                return column.where_distinct(lambda u: isinstance(u, str) and pattern.search(u) is not None)

            return search
        raise self.error(f"unknown operator {op!r}", key, expected=_listing("one of", [*_COMPARE, _REGEX]))
