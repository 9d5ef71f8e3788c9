"""Cells on NEURON: biophysical (morphology + membrane), artificial point processes, registries.

A node's ``model_template`` is ``directive:name``. Built in:

* ``nml:<file>``: SWC morphology, axon stub, NeuroML biophysics (BMTK's ``NMLLoad``);
* ``ctdb:Biophys1.hoc`` (or ``ctdb:Biophys1``): SWC morphology; with ``model_processing``
  ``aibs_perisomatic``/``aibs_allactive`` the axon stub and the Allen ``*_fit.json`` from
  ``dynamics_params`` are applied;
* ``hoc:<Template>``: a hoc template from ``templates_dir``, called with
  ``dynamics_params["params"]`` (a value or a list) when given;
* ``nrn:<ArtificialCell>``: ``IntFire1``, ``IntFire2``, ``IntFire4`` or any other NEURON
  artificial cell; time constants of the IntFire cells are in seconds in the JSON (BMTK's
  convention for IntFire1) and converted to ms; other parameters are set as given.

Users add cell models with :func:`cell_model` and model processing with
:func:`model_processing`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cantata.errors import SimulationError
from cantata.sim.engines.neuron import biophysics as bio
from cantata.sim.engines.neuron import morphology as morph
from cantata.sim.engines.neuron.hoc import hoc, mechanism_names, parallel_context

#: Time constants given in seconds in point-neuron JSON files, per artificial cell.
SECONDS_PARAMS = {
    "IntFire1": ("tau", "refrac"),
    "IntFire2": ("taum", "taus"),
    "IntFire4": ("taue", "taui1", "taui2", "taum"),
}
_IGNORED_POINT_KEYS = frozenset({"type", "level_of_detail", "comment", "notes", "name"})
#: Directives of biophysical templates that build their own sections (no morphology file).
TEMPLATES_WITHOUT_MORPHOLOGY: set[str] = {"hoc"}


@dataclass
class CellContext:
    """What a cell builder gets for one node."""

    population: str
    node_id: int
    gid: int
    model_type: str
    directive: str  # part of model_template before ':' ('' if none)
    template: str  # part after ':'
    attributes: Mapping[str, Any]  # the node's attributes (types CSV and HDF5 merged)
    dynamics_params: dict[str, Any] | None
    dynamics_file: Path | None
    morphology: Path | None
    components: Mapping[str, Path]
    dL: float

    @property
    def who(self) -> str:
        """How error messages name this node."""
        t = self.attributes.get("node_type_id")
        return f"node {self.population}[{self.node_id}] (node_type_id {t})"


class Cell:
    """A cell owned by this rank; subclasses hold the NEURON objects."""

    def __init__(self, ctx: CellContext) -> None:
        self.population = ctx.population
        self.node_id = ctx.node_id
        self.gid = ctx.gid
        self.model_type = ctx.model_type
        self.attributes = ctx.attributes

    def spike_detector(self, threshold: float) -> Any:
        """A NetCon that fires when this cell spikes (not yet registered with a gid)."""
        raise NotImplementedError

    def synapse_target(self) -> Any:
        """The object NetCons to this cell deliver to (point cells); None for compartments."""
        return None

    def __repr__(self) -> str:
        return f"{self.population}[{self.node_id}]"


class PointCell(Cell):
    """A NEURON artificial cell (IntFire1 and the like)."""

    def __init__(self, ctx: CellContext, obj: Any) -> None:
        super().__init__(ctx)
        self.obj = obj

    def spike_detector(self, threshold: float) -> Any:
        return hoc().NetCon(self.obj, None)

    def synapse_target(self) -> Any:
        return self.obj


class BiophysicalCell(Cell):
    """A multi-compartment cell; ``sections`` are in BMTK's section-id order."""

    def __init__(self, ctx: CellContext) -> None:
        super().__init__(ctx)
        self.sections: list[Any] = []
        self.kinds: list[str] = []
        self.morphology_file: Path | None = ctx.morphology
        self.layout_key: tuple[Any, ...] | None = None
        self.hobj: Any = None  # a user hoc object that owns the sections, if any
        self.v_init: float | None = None  # the node's own starting potential, if given
        self.synapses: list[tuple[Any, int, float]] = []  # (point process, section id, x)
        self.extra: dict[str, Any] = {}

    # BMTK-style section lists, so model-processing functions written for hoc objects work
    @property
    def all(self) -> list[Any]:
        return self.sections

    def of_kind(self, kind: str) -> list[Any]:
        return [s for s, k in zip(self.sections, self.kinds, strict=True) if k == kind]

    @property
    def soma(self) -> list[Any]:
        return self.of_kind("soma")

    @property
    def axon(self) -> list[Any]:
        return self.of_kind("axon")

    @property
    def dend(self) -> list[Any]:
        return self.of_kind("dend")

    @property
    def apic(self) -> list[Any]:
        return self.of_kind("apic")

    def soma_section(self) -> Any:
        soma = self.soma
        if not soma:
            raise SimulationError(f"cell {self!r} has no soma section", key="morphology",
                                  file=self.morphology_file)
        return soma[0]

    def spike_detector(self, threshold: float) -> Any:
        soma = self.soma_section()
        nc = hoc().NetCon(soma(0.5)._ref_v, None, sec=soma)
        nc.threshold = threshold
        return nc


# ------------------------------------------------------------------------------- registries

CellBuilder = Callable[[CellContext], Any]
Processor = Callable[[Any, Mapping[str, Any], Any], Any]
_CELL_MODELS: dict[tuple[str, str], CellBuilder] = {}
_PROCESSORS: dict[str, Processor] = {}


def cell_model(directive: str, model_type: str = "biophysical"
               ) -> Callable[[CellBuilder], CellBuilder]:
    """Register ``fn(ctx: CellContext)`` for ``model_template`` ``directive:...``.

    ``directive`` is either the part before ``:`` (``"hoc"``) or a whole template
    (``"hoc:MyCell"``), which wins. The function returns a :class:`Cell`, or for biophysical
    cells any object with an ``all`` iterable of sections (e.g. a hoc template instance).
    """

    def wrap(fn: CellBuilder) -> CellBuilder:
        _CELL_MODELS[(directive, _canonical_type(model_type))] = fn
        return fn

    return wrap


def model_processing(name: str | None = None) -> Callable[[Processor], Processor]:
    """Register ``fn(cell, attributes, dynamics_params)`` as ``model_processing`` ``name``.

    It runs after the template built the cell (for ``ctdb:`` templates: morphology only) and
    may return a replacement object (or None to keep ``cell``).
    """

    def wrap(fn: Processor) -> Processor:
        _PROCESSORS[name or fn.__name__] = fn
        return fn

    return wrap


def _canonical_type(model_type: str) -> str:
    return "point_process" if model_type in ("point_process", "point_neuron") else model_type


def build_cell(ctx: CellContext) -> Cell:
    """Build one cell with the builder its template and model type name."""
    mtype = _canonical_type(ctx.model_type)
    full = f"{ctx.directive}:{ctx.template}" if ctx.directive else ctx.template
    builder = _CELL_MODELS.get((full, mtype)) or _CELL_MODELS.get((ctx.directive, mtype))
    if builder is None:
        known = sorted({d for d, t in _CELL_MODELS if t == mtype})
        raise SimulationError(
            f"no cell model for model_template {full!r} of {ctx.who}",
            key="model_template", expected=f"one of the directives {known}", found=full,
        )
    made = builder(ctx)
    cell = made if isinstance(made, Cell) else _wrap_hoc(ctx, made)
    processing = ctx.attributes.get("model_processing")
    if isinstance(cell, BiophysicalCell) and isinstance(processing, str) and \
            processing in _PROCESSORS:
        replaced = _PROCESSORS[processing](cell, ctx.attributes, ctx.dynamics_params)
        if replaced is not None and replaced is not cell:
            cell = replaced if isinstance(replaced, Cell) else _wrap_hoc(ctx, replaced)
    if isinstance(cell, BiophysicalCell):
        _finish_biophysical(cell, ctx)
    return cell


def _wrap_hoc(ctx: CellContext, hobj: Any) -> BiophysicalCell:
    sections = getattr(hobj, "all", None)
    if sections is None:
        soma = getattr(hobj, "soma", None)
        if soma is None:
            raise SimulationError(f"cell model for {ctx.who} gave an object without sections",
                                  key="model_template", expected="an object with 'all' or 'soma'")
        first = soma[0] if hasattr(soma, "__getitem__") else soma
        sections = first.wholetree()
    cell = BiophysicalCell(ctx)
    cell.hobj = hobj
    cell.sections = list(sections)
    cell.kinds = [s.name().rsplit(".", 1)[-1].split("[", 1)[0] for s in cell.sections]
    return cell


def _finish_biophysical(cell: BiophysicalCell, ctx: CellContext) -> None:
    dL = float(ctx.attributes.get("dL", ctx.dL) or ctx.dL)
    if not getattr(cell, "keeps_nseg", False):  # rule cells (netpyne:) set their own nseg
        morph.set_nseg(cell.sections, dL)
    if cell.layout_key is None:
        cell.layout_key = ("hoc", ctx.population, ctx.node_id)
    else:
        cell.layout_key = (*cell.layout_key, dL)


# --------------------------------------------------------------------------- built-in models


def _axon_policy(ctx: CellContext, default: str) -> morph.AxonStub | None:
    processing = ctx.attributes.get("model_processing")
    if not isinstance(processing, str) or not processing or processing in _PROCESSORS:
        processing = default
    if processing not in morph.AXON_POLICIES:
        raise SimulationError(
            f"unknown model_processing for {ctx.who}", key="model_processing",
            expected=f"one of {sorted(morph.AXON_POLICIES)} or a @model_processing function",
            found=processing,
        )
    return morph.AXON_POLICIES[processing]


def _morphology_cell(ctx: CellContext, policy_name: str, axon: morph.AxonStub | None
                     ) -> BiophysicalCell:
    if ctx.morphology is None:
        raise SimulationError(f"{ctx.who} has no morphology", key="morphology")
    shape = morph.load_morphology(ctx.morphology)
    cell = BiophysicalCell(ctx)
    cell.sections, cell.kinds = morph.build_sections(shape, cell, axon)
    cell.layout_key = (str(shape.path), policy_name)
    return cell


@cell_model("nml")
def _nml_cell(ctx: CellContext) -> BiophysicalCell:
    directory = ctx.components.get("biophysical_neuron_models_dir")
    path = Path(directory) / ctx.template if directory else Path(ctx.template)
    membrane = bio.load_nml(path.resolve())
    membrane.check_mechanisms(ctx.who)
    processing = ctx.attributes.get("model_processing")
    name = processing if processing in morph.AXON_POLICIES else "aibs_perisomatic"
    cell = _morphology_cell(ctx, name, _axon_policy(ctx, "aibs_perisomatic"))
    membrane.apply(cell.sections, cell.kinds)
    return cell


def _ctdb_cell(ctx: CellContext) -> BiophysicalCell:
    processing = ctx.attributes.get("model_processing")
    name = processing if processing in morph.AXON_POLICIES else "fullaxon"
    cell = _morphology_cell(ctx, name, _axon_policy(ctx, "fullaxon"))
    if processing in _PROCESSORS:
        return cell  # the user's processing sets the membrane
    if ctx.dynamics_params is None:
        if name != "fullaxon":
            raise SimulationError(f"{ctx.who} needs an Allen *_fit.json as dynamics_params "
                                  f"for model_processing {name}", key="dynamics_params")
        return cell
    source = ctx.dynamics_file or Path("<dynamics_params>")
    membrane = bio.load_allen_json(source, ctx.dynamics_params)
    membrane.check_mechanisms(ctx.who)
    membrane.apply(cell.sections, cell.kinds)
    cell.extra["conditions"] = membrane.conditions
    return cell


cell_model("ctdb:Biophys1.hoc")(_ctdb_cell)
cell_model("ctdb:Biophys1")(_ctdb_cell)
cell_model("ctdb")(_ctdb_cell)


@cell_model("hoc")
def _hoc_cell(ctx: CellContext) -> Any:
    h = hoc()
    name = ctx.template.removesuffix(".hoc")
    if not hasattr(h, name):
        _load_templates(ctx.components.get("templates_dir"))
    if not hasattr(h, name):
        raise SimulationError(f"hoc template {name!r} not found for {ctx.who}",
                              file=ctx.components.get("templates_dir"), key="model_template",
                              expected=f"a 'begintemplate {name}' in a .hoc file of templates_dir")
    params = (ctx.dynamics_params or {}).get("params")
    args = params if isinstance(params, list) else ([] if params is None else [params])
    try:
        return getattr(h, name)(*args)
    except RuntimeError as exc:
        raise SimulationError(f"hoc template {name} failed for {ctx.who}", found=str(exc)) from exc


_LOADED_TEMPLATE_DIRS: set[Path] = set()


def _load_templates(directory: Path | None) -> None:
    if directory is None:
        return
    directory = Path(directory).resolve()
    if directory in _LOADED_TEMPLATE_DIRS:
        return
    _LOADED_TEMPLATE_DIRS.add(directory)
    h = hoc()
    for path in sorted(directory.glob("*.hoc")):
        if not h.load_file(str(path)):
            raise SimulationError("could not load hoc file", file=path)


@cell_model("nrn", model_type="point_process")
def _artificial_cell(ctx: CellContext) -> PointCell:
    h = hoc()
    name = ctx.template
    _, points = mechanism_names()
    if name not in points or not hasattr(h, name):
        raise SimulationError(f"unknown NEURON artificial cell {name!r} for {ctx.who}",
                              key="model_template", expected="e.g. nrn:IntFire1", found=name)
    obj = getattr(h, name)()
    set_point_params(obj, name, ctx.dynamics_params or {}, source=ctx.dynamics_file,
                     who=ctx.who)
    return PointCell(ctx, obj)


def set_point_params(obj: Any, name: str, params: Mapping[str, Any], *, source: Path | None,
                     who: str) -> None:
    """Set an artificial cell's parameters (IntFire time constants: seconds -> ms)."""
    seconds = SECONDS_PARAMS.get(name, ())
    for key, value in params.items():
        if key in _IGNORED_POINT_KEYS:
            continue
        if not hasattr(obj, key):
            raise SimulationError(f"{name} has no parameter {key!r} ({who})", file=source,
                                  key=key)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise SimulationError(f"parameter {key!r} of {name} is not a number ({who})",
                                  file=source, key=key, found=value) from None
        setattr(obj, key, number * 1000.0 if key in seconds else number)


# ------------------------------------------------------------------------------ layouts


@dataclass
class LayoutCache:
    """Segment tables shared by the cells of one layout (morphology, processing, dL)."""

    tables: dict[tuple[Any, ...], morph.SegmentTable] = field(default_factory=dict)

    def table(self, cell: BiophysicalCell) -> morph.SegmentTable:
        key = cell.layout_key or ("cell", cell.gid)
        found = self.tables.get(key)
        if found is None:
            found = morph.segment_table(cell.sections, cell.kinds)
            self.tables[key] = found
        return found


def register_spike_source(cell: Cell, threshold: float) -> Any:
    """Give ``cell``'s gid to this rank and its spike detector; return the NetCon."""
    pc = parallel_context()
    nc = cell.spike_detector(threshold)
    pc.set_gid2node(cell.gid, pc.id())
    pc.cell(cell.gid, nc)
    return nc


def node_gid_offsets(sizes: Mapping[str, int]) -> dict[str, int]:
    """First gid of each population: populations in the given order, ids packed."""
    offsets: dict[str, int] = {}
    total = 0
    for name, size in sizes.items():
        offsets[name] = total
        total += int(size)
    return offsets


def round_robin(node_ids: np.ndarray, rank: int, size: int, start: int = 0) -> np.ndarray:
    """This rank's share of ``node_ids``: every ``size``-th one, shifted by ``start``."""
    return node_ids[(np.arange(node_ids.size) + start) % size == rank]
