"""Registries: the one dispatch mechanism of the simulation core.

Config blocks are turned into objects by looking them up here, never by if/elif chains:

* ``INPUTS``   an ``inputs`` block, keyed by ``(input_type, module)``
* ``REPORTS``  a ``reports`` block, keyed by ``module``
* ``ENGINES``  a simulator engine, by name (chosen from ``target_simulator`` or the model types)
* ``WEIGHT_FUNCTIONS`` the ``weight_function`` named in an edge-types table

Each key may be registered for one engine only (``engine="nest"``); such an entry wins over
an engine-agnostic one. Users add their own with the decorators::

    from cantata.sim import input_module, report_module, synaptic_weight

    @synaptic_weight("gaussian_tuning")
    def gaussian_tuning(edges, sources, targets):
        return edges["syn_weight"].to_numpy() * ...
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from cantata.errors import ConfigError

if TYPE_CHECKING:
    from cantata.sim.engine import Engine

__all__ = [
    "ENGINES",
    "INPUTS",
    "REPORTS",
    "WEIGHT_FUNCTIONS",
    "EngineSpec",
    "Registry",
    "add_weight_function",
    "input_module",
    "load_builtins",
    "register_engine",
    "report_module",
    "synaptic_weight",
]

log = logging.getLogger("cantata")
T = TypeVar("T")


def _norm(value: str) -> str:
    return str(value).strip().lower()


class Registry(Generic[T]):
    """Named entries, optionally specific to one engine; keys are case-insensitive."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._entries: dict[tuple[str | None, tuple[str, ...]], T] = {}

    def add(self, key: str | tuple[str, ...], entry: T, *, engine: str | None = None) -> T:
        """Register ``entry`` under ``key``; a later registration replaces an earlier one."""
        parts = (key,) if isinstance(key, str) else tuple(key)
        self._entries[(None if engine is None else _norm(engine), tuple(_norm(p) for p in parts))] = entry
        return entry

    def find(self, key: str | tuple[str, ...], *, engine: str | None = None) -> T | None:
        """The entry for ``key``: the engine's own first, then the engine-agnostic one."""
        parts = tuple(_norm(p) for p in ((key,) if isinstance(key, str) else key))
        if engine is not None and (_norm(engine), parts) in self._entries:
            return self._entries[(_norm(engine), parts)]
        return self._entries.get((None, parts))

    def keys(self, *, engine: str | None = None) -> list[tuple[str, ...]]:
        """Keys usable with ``engine`` (agnostic ones included), sorted."""
        wanted = {None} if engine is None else {None, _norm(engine)}
        return sorted({k for e, k in self._entries if e in wanted})

    def describe(self, *, engine: str | None = None) -> str:
        """The usable keys as text, for error messages."""
        return ", ".join("/".join(k) for k in self.keys(engine=engine)) or "none registered"

    def __contains__(self, key: object) -> bool:
        return isinstance(key, (str, tuple)) and self.find(key) is not None


@dataclass(frozen=True)
class EngineSpec:
    """How to find and load an engine without importing its simulator.

    ``load`` is called only when a simulation picks this engine. ``simulators`` are the
    ``target_simulator`` values it answers to; ``template_prefixes`` (``"nest"``) and
    ``model_types`` are used to pick an engine when the config names none. ``outputs``, if
    given, turns the generic output settings into the engine's own (e.g. FilterNet's spike-file
    keys) before any output file is planned or checked: ``outputs(config, settings) -> settings``.
    """

    name: str
    load: Callable[[], type[Engine]]
    simulators: tuple[str, ...] = ()
    template_prefixes: tuple[str, ...] = ()
    model_types: tuple[str, ...] = ()
    description: str = ""
    aliases: tuple[str, ...] = field(default=())
    outputs: Callable[[Any, Any], Any] | None = None

    def answers_to(self, simulator: str) -> bool:
        name = _norm(simulator)
        return name == _norm(self.name) or name in {_norm(s) for s in (*self.simulators, *self.aliases)}


INPUTS: Registry[Callable[..., Any]] = Registry("input")
REPORTS: Registry[Callable[..., Any]] = Registry("report")
ENGINES: dict[str, EngineSpec] = {}
WEIGHT_FUNCTIONS: Registry[Callable[..., Any]] = Registry("weight function")


def input_module(
    input_type: str, modules: str | Iterable[str] | None = None, *, engine: str | None = None
) -> Callable[[T], T]:
    """Class decorator: handle ``inputs`` blocks with this ``input_type`` and ``module``(s).

    The class is called as ``cls(name, params)`` and must follow :class:`cantata.sim.modules.InputModule`.
    ``modules=None`` registers ``input_type`` alone (used when a block has no ``module`` key
    or no entry matches its module).
    """
    names = [None] if modules is None else ([modules] if isinstance(modules, str) else list(modules))

    def wrap(cls: T) -> T:
        for module in names:
            INPUTS.add((input_type, module or "*"), cls, engine=engine)
        return cls

    return wrap


def report_module(modules: str | Iterable[str], *, engine: str | None = None) -> Callable[[T], T]:
    """Class decorator: handle ``reports`` blocks whose ``module`` is one of ``modules``.

    The class is called as ``cls(name, params)`` and must follow :class:`cantata.sim.modules.ReportModule`.
    """
    names = [modules] if isinstance(modules, str) else list(modules)

    def wrap(cls: T) -> T:
        for module in names:
            REPORTS.add(module, cls, engine=engine)
        return cls

    return wrap


def synaptic_weight(name: str | Callable[..., Any] | None = None, *, engine: str | None = None) -> Any:
    """Decorator: register a weight function under ``name`` (default: the function's name).

    The function gets whole columns, once per edge type::

        f(edges: DataFrame, sources: DataFrame, targets: DataFrame) -> array of weights

    ``edges`` holds the edge attributes (``syn_weight``, ``nsyns``, ``delay``, edge-type
    columns ...), ``sources``/``targets`` the attributes of each edge's source and target node,
    row-aligned with ``edges``. Its result is the weight of each edge as given to the engine
    (``nsyns`` is not applied on top: the function sees that column).
    """

    def wrap(func: Callable[..., Any], label: str | None = None) -> Callable[..., Any]:
        WEIGHT_FUNCTIONS.add(label or func.__name__, func, engine=engine)
        return func

    if callable(name):  # used bare: @synaptic_weight
        return wrap(name)
    return lambda func: wrap(func, name)


def add_weight_function(func: Callable[..., Any], name: str | None = None, overwrite: bool = True, *,
                        per_edge: bool = True, engine: str | None = None) -> Callable[..., Any]:
    """BMTK's ``add_weight_function``: register ``func`` under ``name`` (default its own name).

    With ``per_edge=True`` (BioNet's form) ``func(edge_props, source, target)`` is called once
    per edge with dict-like rows (``edge_props["syn_weight"]``, ``source["tuning_angle"]``) and
    returns one number. This loops in Python over the edges: fine for porting, slower than a
    column function. ``per_edge=False`` registers a column function, as :func:`synaptic_weight`
    (PointNet's form). With ``overwrite=False`` an existing function of that name is kept.
    Returns the function as registered.
    """
    if not callable(func):
        raise ConfigError("weight function must be callable", key="add_weight_function", found=repr(func))
    label = name or getattr(func, "__name__", None)
    if not label:
        raise ConfigError("weight function needs a name", key="add_weight_function(name=)", found=repr(func))
    if not overwrite and WEIGHT_FUNCTIONS.find(label, engine=engine) is not None:
        return WEIGHT_FUNCTIONS.find(label, engine=engine)
    return WEIGHT_FUNCTIONS.add(label, _per_edge(func) if per_edge else func, engine=engine)


def _per_edge(func: Callable[..., Any]) -> Callable[..., Any]:
    """A column weight function calling BioNet-style ``func(edge, source, target)`` row by row."""

    def columns(edges: Any, sources: Any, targets: Any) -> list[float]:
        rows = zip(edges.to_dict("records"), sources.to_dict("records"), targets.to_dict("records"))
        return [float(func(edge, source, target)) for edge, source, target in rows]

    columns.__name__ = getattr(func, "__name__", "weight_function")
    columns.__doc__ = func.__doc__
    columns.per_edge = func  # type: ignore[attr-defined]
    return columns


def register_engine(spec: EngineSpec) -> EngineSpec:
    """Make an engine available to :class:`cantata.sim.Simulation` (called by engine packages)."""
    ENGINES[_norm(spec.name)] = spec
    return spec


_loaded = False


def load_builtins() -> None:
    """Import the built-in inputs, reports and engine packages (which register themselves).

    Engine packages must not import their simulator at import time; one that fails to import
    is skipped with a warning so that the other engines stay usable.
    """
    global _loaded
    if _loaded:
        return
    _loaded = True
    importlib.import_module("cantata.sim.inputs")
    importlib.import_module("cantata.sim.reports")
    engines = importlib.import_module("cantata.sim.engines")
    for info in pkgutil.iter_modules(engines.__path__):
        if not info.ispkg:
            continue
        try:
            importlib.import_module(f"{engines.__name__}.{info.name}")
        except Exception as exc:  # noqa: BLE001 - a broken engine must not take the others down
            log.warning("engine package %s could not be loaded: %s", info.name, exc)


def lookup_engine(name: str) -> EngineSpec:
    """The engine registered as (or answering to) ``name``; ConfigError naming the known ones."""
    load_builtins()
    for spec in ENGINES.values():
        if spec.answers_to(name):
            return spec
    known = ", ".join(sorted(ENGINES)) or "none"
    raise ConfigError("no simulation engine for this simulator", key="target_simulator",
                      expected=f"one of: {known}", found=name)
