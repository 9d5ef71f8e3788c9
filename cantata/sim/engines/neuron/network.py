"""A SONATA circuit instantiated on NEURON: this rank's cells, their synapses, virtual sources.

Every node gets a global id (gid): populations are packed one after another in circuit order.
Non-virtual cells are dealt to ranks round-robin over that order; each rank builds its own cells
and every synapse onto them (``ParallelContext.gid_connect`` by source gid), so edges are read
only for local targets. Virtual nodes are not instantiated: their spike trains are played by one
``PatternStim`` per rank, which delivers them to that rank's connections.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cantata.errors import FormatError, SimulationError
from cantata.sim.engines.neuron import cells as cellmod
from cantata.sim.engines.neuron import synapses as synmod
from cantata.sim.engines.neuron.gap_junctions import GapJunctions, chemical_edges
from cantata.sim.engines.neuron.hoc import hoc, parallel_context
from cantata.sim.engines.neuron.morphology import resolve_morphology_file
from cantata.sim.engines.neuron.weights import edge_weights
from cantata.sonata.types_table import is_missing_value

JsonLoader = Callable[[str, str, str], dict[str, Any]]
VIRTUAL = "virtual"
POINT_TYPES = ("point_process", "point_neuron")
_PRESET_ID = ("afferent_section_id", "sec_id")
_PRESET_POS = ("afferent_section_pos", "sec_x")


@dataclass
class NetworkSettings:
    """Run-wide values the network needs (units: ms, mV, um)."""

    dL: float = 20.0
    spike_threshold: float = -15.0
    seed: int = 0
    components: dict[str, Path] = field(default_factory=dict)


@dataclass
class SynapseRecord:
    """Where the synapses of one edge population landed (one row per NetCon)."""

    population: str
    edge_ids: list[np.ndarray] = field(default_factory=list)
    source_ids: list[np.ndarray] = field(default_factory=list)
    target_ids: list[np.ndarray] = field(default_factory=list)
    type_ids: list[np.ndarray] = field(default_factory=list)
    section_ids: list[np.ndarray] = field(default_factory=list)
    section_x: list[np.ndarray] = field(default_factory=list)
    weights: list[np.ndarray] = field(default_factory=list)
    delays: list[np.ndarray] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        def cat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

        return pd.DataFrame({
            "edge_population": self.population,
            "edge_id": cat(self.edge_ids, np.int64),
            "source_node_id": cat(self.source_ids, np.int64),
            "target_node_id": cat(self.target_ids, np.int64),
            "edge_type_id": cat(self.type_ids, np.int64),
            "section_id": cat(self.section_ids, np.int64),
            "section_x": cat(self.section_x, float),
            "weight": cat(self.weights, float),
            "delay": cat(self.delays, float),
        })


class NeuronNetwork:
    """This rank's part of a circuit on NEURON."""

    def __init__(self, circuit: Any, settings: NetworkSettings, load_json: JsonLoader,
                 selection: Mapping[str, np.ndarray] | None = None) -> None:
        self.circuit = circuit
        self.settings = settings
        self.load_json = load_json  # (reference, components key, where) -> dict
        self.selection = selection  # node ids to instantiate per population (None: all)
        self.pc = parallel_context()
        self.rank, self.size = int(self.pc.id()), int(self.pc.nhost())
        self.offsets = cellmod.node_gid_offsets({n: p.size for n, p in circuit.nodes.items()})
        self.cells: dict[int, cellmod.Cell] = {}
        self.local_ids: dict[str, np.ndarray] = {}
        self.virtual_ids: dict[str, np.ndarray] = {}
        self.layouts = cellmod.LayoutCache()
        self.synapse_records: dict[str, SynapseRecord] = {}
        self._keep: list[Any] = []  # NEURON objects that must outlive the build
        self._pattern: Any = None
        self.n_connections = 0
        self.gap_junctions = GapJunctions(self)  # built by connect()
        self.xstim: Any = None  # xstim.ExtracellularStimulator, made by the first xstim input

    # ------------------------------------------------------------------------------ ids
    def gids(self, population: str, node_ids: np.ndarray) -> np.ndarray:
        """Global ids of ``node_ids`` of ``population``."""
        return self.offsets[population] + np.asarray(node_ids, dtype=np.int64)

    def split_gids(self, gids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(population index into ``population_names``, node id) of each gid."""
        names = list(self.offsets)
        starts = np.array([self.offsets[n] for n in names], dtype=np.int64)
        gids = np.asarray(gids, dtype=np.int64)
        which = np.searchsorted(starts, gids, side="right") - 1
        return which, gids - starts[which]

    @property
    def population_names(self) -> list[str]:
        return list(self.offsets)

    # ---------------------------------------------------------------------------- cells
    def build_cells(self) -> None:
        """Create this rank's cells (round-robin over all non-virtual nodes) and their gids."""
        start = 0
        for name, pop in self.circuit.nodes.items():
            ids = pop.node_ids()
            virtual = self._model_types(pop, ids) == VIRTUAL
            self.virtual_ids[name] = ids[virtual]  # spike sources, whatever the selection
            real = ids[~virtual]
            if self.selection is not None:
                real = real[np.isin(real, self.selection.get(name, np.zeros(0, np.int64)))]
            mine = cellmod.round_robin(real, self.rank, self.size, start)
            start = (start + real.size) % self.size
            self.local_ids[name] = mine
            if mine.size:
                self._build_population(name, pop, mine)

    def _model_types(self, pop: Any, ids: np.ndarray) -> np.ndarray:
        if ids.size == 0:
            return np.zeros(0, dtype=object)
        if not pop.has_attribute("model_type"):
            raise FormatError("nodes need a model_type", file=pop.path, key=f"{pop.h5_path}",
                              expected="model_type in the HDF5 group or the node types CSV")
        values = pop.get_attribute("model_type", ids)
        missing = pd.isna(values)
        if missing.any():
            raise FormatError("node has no model_type", file=pop.types_file or pop.path,
                              key="model_type", found=f"node {pop.name}[{ids[missing][0]}]")
        return values.astype(str)

    def _build_population(self, name: str, pop: Any, ids: np.ndarray) -> None:
        frame = pop.to_dataframe(ids)
        overrides = pop.dynamics_params(ids) if pop.dynamics_param_names else {}
        components = {**self.settings.components,
                      **{k: Path(v) for k, v in pop.config.items() if k.endswith("_dir")}}
        gids = self.gids(name, ids)
        for row, (node_id, attrs) in enumerate(frame.iterrows()):
            attributes = {k: v for k, v in attrs.items() if not is_missing_value(v)}
            ctx = self._context(name, int(node_id), int(gids[row]), attributes, components,
                                {k: v[row] for k, v in overrides.items() if not is_missing_value(v[row])},
                                pop)
            cell = cellmod.build_cell(ctx)
            if "v_init" in attributes and isinstance(cell, cellmod.BiophysicalCell):
                cell.v_init = float(attributes["v_init"])
            threshold = float(attributes.get("spike_threshold", self.settings.spike_threshold))
            self._keep.append(cellmod.register_spike_source(cell, threshold))
            self.cells[cell.gid] = cell

    def _context(self, population: str, node_id: int, gid: int, attrs: dict[str, Any],
                 components: Mapping[str, Path], overrides: Mapping[str, Any], pop: Any
                 ) -> cellmod.CellContext:
        model_type = str(attrs["model_type"])
        template = str(attrs.get("model_template", ""))
        directive, _, name = template.partition(":")
        if not name:
            directive, name = "", directive
        point = model_type in POINT_TYPES
        who = f"node {population}[{node_id}] (node_type_id {attrs.get('node_type_id')})"
        dyn_file = None
        params: dict[str, Any] | None = None
        dyn = attrs.get("dynamics_params")
        if isinstance(dyn, str) and dyn.upper() not in ("NONE", "NULL"):
            key = "point_neuron_models_dir" if point else "biophysical_neuron_models_dir"
            dyn_file = _component_file(components, key, dyn, who)
            params = self.load_json(str(dyn_file), key, who)
        if overrides:
            params = {**(params or {}), **overrides}
        morphology = None
        if model_type == "biophysical" and directive not in cellmod.TEMPLATES_WITHOUT_MORPHOLOGY:
            if "morphology" not in attrs:
                raise SimulationError(f"{who} has no morphology attribute", key="morphology",
                                      file=pop.types_file or pop.path)
            morphology = resolve_morphology_file(str(attrs["morphology"]),
                                                 components.get("morphologies_dir"), who=who)
        return cellmod.CellContext(
            population=population, node_id=node_id, gid=gid, model_type=model_type,
            directive=directive, template=name, attributes=attrs, dynamics_params=params,
            dynamics_file=dyn_file, morphology=morphology, components=components,
            dL=self.settings.dL,
        )

    # ---------------------------------------------------------------------------- edges
    def connect(self) -> None:
        """Create every synapse and NetCon onto this rank's cells."""
        for name, edges in self.circuit.edges.items():
            local = self.local_ids.get(edges.target)
            if local is None:
                if edges.target not in self.offsets:
                    raise FormatError("edge target population is not in the circuit",
                                      file=edges.path, key=f"{edges.h5_path}/target_node_id",
                                      found=edges.target)
                continue
            if edges.source not in self.offsets:
                raise FormatError("edge source population is not in the circuit",
                                  file=edges.path, key=f"{edges.h5_path}/source_node_id",
                                  found=edges.source)
            if local.size:
                self._connect_population(name, edges, local)
        self.gap_junctions.build()  # collective under MPI: every rank gets here

    def _connect_population(self, name: str, edges: Any, local: np.ndarray) -> None:
        edge_ids = chemical_edges(edges, edges.afferent_edges(local))
        if edge_ids.size == 0:
            return
        record = self.synapse_records.setdefault(name, SynapseRecord(name))
        table = _EdgeTable.read(edges, edge_ids, self)
        self.connect_table(edges, table, self.gids(edges.source, table.source), record)

    def connect_table(self, edges: Any, table: _EdgeTable, source_gids: np.ndarray,
                      record: SynapseRecord) -> int:
        """Synapses (or NetCons onto artificial cells) of ``table``'s rows, made on the cells of
        this rank and fed by ``source_gids`` (one per row); returns how many were made. The
        network's own edges come here, and so do inputs that reuse them (``replay``)."""
        before = self.n_connections
        target_gids = self.gids(edges.target, table.target)
        order = np.argsort(target_gids, kind="stable")
        bounds = np.flatnonzero(np.diff(target_gids[order])) + 1
        for block in np.split(order, bounds):
            cell = self.cells.get(int(target_gids[block[0]]))
            if cell is None:
                continue  # the node was not selected for this run, or lives on another rank
            if isinstance(cell, cellmod.BiophysicalCell) and cell.synapse_target() is None:
                self._connect_biophysical(cell, table, block, source_gids, record)
            else:
                self._connect_point(cell, table, block, source_gids, record)
        return self.n_connections - before

    def _connect_point(self, cell: cellmod.Cell, table: _EdgeTable, block: np.ndarray,
                       source_gids: np.ndarray, record: SynapseRecord) -> None:
        target = cell.synapse_target()
        if target is None:  # pragma: no cover - custom Cell subclasses
            raise SimulationError(f"cell {cell!r} cannot receive synapses")
        weights = table.point_weights(block)
        delays = table.delay[block]
        slots = table.weight_index[block]  # NetCon weight slot (0 unless the edges name one)
        gid_connect = self.pc.gid_connect
        keep = self._keep.append
        for src, w, d, k in zip(source_gids[block].tolist(), weights.tolist(), delays.tolist(),
                                slots.tolist(), strict=True):
            nc = gid_connect(src, target)
            if not 0 <= k < int(nc.wcnt()):
                raise SimulationError(f"weight_index {k} out of range for {cell!r} (its NetCons have "
                                      f"{int(nc.wcnt())} weights)", key="weight_index",
                                      expected=f"0..{int(nc.wcnt()) - 1}", found=k)
            nc.weight[k] = w
            nc.delay = d
            keep(nc)
        self.n_connections += block.size
        _append(record, table, block, np.full(block.size, -1), np.full(block.size, np.nan),
                weights, delays)

    def _connect_biophysical(self, cell: cellmod.BiophysicalCell, table: _EdgeTable,
                             block: np.ndarray, source_gids: np.ndarray,
                             record: SynapseRecord) -> None:
        layout = self.layouts.table(cell)
        if table.preset:
            sec_ids, xs = table.section_id[block], table.section_pos[block]
            synmod.check_preset(sec_ids, xs, len(cell.sections), who=lambda i: table.who(block[i]),
                                morphology=str(cell.morphology_file))
            edges = block
        else:
            rng = synmod.cell_rng(self.settings.seed, cell.population, cell.node_id)
            edges, sec_ids, xs = table.place(block, layout, rng, cell)
        weights = table.weight[edges]
        delays = table.delay[edges]
        gid_connect = self.pc.gid_connect
        keep = self._keep.append
        sections = cell.sections
        specs = table.specs
        synapses = cell.synapses
        for e, src, sid, x, w, d in zip(edges.tolist(), source_gids[edges].tolist(),
                                        sec_ids.tolist(), xs.tolist(), weights.tolist(),
                                        delays.tolist(), strict=True):
            syn = specs[table.spec_index[e]].create(sections[sid], x)
            nc = gid_connect(src, syn)
            nc.weight[0] = w
            nc.delay = d
            synapses.append((syn, sid, x))
            keep(nc)
        self.n_connections += edges.size
        _append(record, table, edges, sec_ids, xs, weights, delays)

    # ----------------------------------------------------------------------- virtual input
    def play_spikes(self, gids: np.ndarray, times: np.ndarray) -> None:
        """Deliver spikes from virtual gids at ``times`` (ms) to their targets on this rank."""
        gids = np.asarray(gids, dtype=np.int64)
        times = np.asarray(times, dtype=float)
        if self._pattern is not None:
            old_t, old_g = self._pattern
            times = np.concatenate([old_t, times])
            gids = np.concatenate([old_g, gids])
        order = np.argsort(times, kind="stable")
        self._pattern = (times[order], gids[order])

    def start_pattern(self) -> None:
        """Hand the collected virtual spikes to NEURON (call once, before finitialize)."""
        if self._pattern is None:
            return
        h = hoc()
        times, gids = self._pattern
        tvec, gvec = h.Vector(times), h.Vector(gids.astype(float))
        stim = h.PatternStim()
        stim.play(tvec, gvec)
        self._keep.extend([tvec, gvec, stim])

    # ---------------------------------------------------------------------------- export
    def synapse_table(self) -> pd.DataFrame:
        """Every synapse built on this rank: edge, target, section id/x, weight, delay."""
        frames = [r.frame() for r in self.synapse_records.values()]
        return pd.concat(frames, ignore_index=True) if frames else SynapseRecord("").frame()

    def conditions(self) -> dict[str, set[float]]:
        """``celsius``/``v_init`` values named by the cells' own parameter files."""
        found: dict[str, set[float]] = {}
        for cell in self.cells.values():
            extra = getattr(cell, "extra", {}).get("conditions", {})
            for key, value in extra.items():
                found.setdefault(key, set()).add(value)
        return found


def _append(record: SynapseRecord, table: _EdgeTable, rows: np.ndarray, sec_ids: np.ndarray,
            xs: np.ndarray, weights: np.ndarray, delays: np.ndarray) -> None:
    record.edge_ids.append(table.edge_ids[rows])
    record.source_ids.append(table.source[rows])
    record.target_ids.append(table.target[rows])
    record.type_ids.append(table.type_id[rows])
    record.section_ids.append(np.asarray(sec_ids))
    record.section_x.append(np.asarray(xs, dtype=float))
    record.weights.append(np.asarray(weights, dtype=float))
    record.delays.append(np.asarray(delays, dtype=float))


def _component_file(components: Mapping[str, Path], key: str, name: str, who: str) -> Path:
    directory = components.get(key)
    path = Path(name)
    if not path.is_absolute():
        if directory is None:
            raise SimulationError(f"{who} names dynamics_params {name!r} but the config has no "
                                  f"components.{key}", key=f"components.{key}")
        path = Path(directory) / name
    return path


class _EdgeTable:
    """Columns of the edges onto this rank's cells, and per-edge-type synapse specs."""

    def __init__(self) -> None:
        self.population = ""
        self.edge_ids = np.zeros(0, np.int64)
        self.source = self.target = self.type_id = self.edge_ids
        self.weight = self.delay = np.zeros(0)
        self.nsyns = np.zeros(0, np.int64)
        self.weight_index = np.zeros(0, np.int64)
        self.sign = np.zeros(0)
        self.weighted = np.zeros(0, dtype=bool)
        self.preset = False
        self.section_id = self.edge_ids
        self.section_pos = self.weight
        self.spec_index = self.edge_ids
        self.specs: list[_LazySpec] = []
        self.targets_of_spec: list[tuple[np.ndarray, tuple[float, float]]] = []

    @classmethod
    def read(cls, edges: Any, edge_ids: np.ndarray, net: NeuronNetwork) -> _EdgeTable:
        t = cls()
        t.population, t.edge_ids = edges.name, edge_ids
        t.source = edges.source_node_ids(edge_ids)
        t.target = edges.target_node_ids(edge_ids)
        t.type_id = edges.edge_type_ids(edge_ids)
        names = edges.attribute_names
        for column in ("syn_weight", "delay"):
            if column not in names:
                raise FormatError(f"edges need {column}", file=edges.types_file or edges.path,
                                  key=column, expected="a column in the HDF5 group or edge types")
        t.weight = _numeric(edges, "syn_weight", edge_ids, t)
        t.delay = _numeric(edges, "delay", edge_ids, t)
        if (t.delay < 0).any():
            row = int(np.argmax(t.delay < 0))
            raise FormatError(f"{t.who(row)} has a negative delay", file=edges.types_file or edges.path,
                              key="delay", expected="a delay >= 0 ms", found=float(t.delay[row]))
        t.nsyns = (np.nan_to_num(_numeric(edges, "nsyns", edge_ids, t, required=False), nan=1.0)
                   .astype(np.int64) if "nsyns" in names else np.ones(edge_ids.size, np.int64))
        t.weight_index = (np.nan_to_num(_numeric(edges, "weight_index", edge_ids, t, required=False))
                          .astype(np.int64) if "weight_index" in names else np.zeros(edge_ids.size, np.int64))
        sid = next((c for c in _PRESET_ID if c in names), None)
        pos = next((c for c in _PRESET_POS if c in names), None)
        t.preset = sid is not None and pos is not None
        if t.preset:
            t.section_id = _numeric(edges, sid, edge_ids, t).astype(np.int64)
            t.section_pos = _numeric(edges, pos, edge_ids, t)
        t._types(edges, names, net)
        t.weight, t.weighted = edge_weights(edges, edge_ids, t.weight, net.circuit)
        return t

    def who(self, rows: np.ndarray | int) -> str:
        row = int(np.atleast_1d(rows)[0])
        return (f"edge {self.population}[{int(self.edge_ids[row])}] "
                f"(edge_type_id {int(self.type_id[row])})")

    def _types(self, edges: Any, names: set[str], net: NeuronNetwork) -> None:
        def column(name: str) -> np.ndarray:
            if name in names:
                return edges.get_attribute(name, self.edge_ids)
            return np.full(self.edge_ids.size, None, dtype=object)

        cols = {c: column(c) for c in ("model_template", "dynamics_params", "target_sections",
                                      "distance_range")}
        keys = pd.MultiIndex.from_arrays([pd.Series(cols[c]).astype(str) for c in cols])
        codes, uniques = pd.factorize(keys)
        self.spec_index = codes.astype(np.int64)
        self.sign = np.ones(self.edge_ids.size)
        for k in range(len(uniques)):
            row = int(np.argmax(codes == k))
            who = self.who(row)
            template, dyn, sections, drange = (cols[c][row] for c in cols)
            params: dict[str, Any] = {}
            source = "<no dynamics_params>"
            if not is_missing_value(dyn):
                path = _component_file(net.settings.components, "synaptic_models_dir",
                                       str(dyn), who)
                params = net.load_json(str(path), "synaptic_models_dir", who)
                source = str(path)
            if "sign" in params:
                self.sign[codes == k] = float(params["sign"])
            self.specs.append(_LazySpec(template, params, source, who))
            self.targets_of_spec.append((
                synmod.target_codes(None if is_missing_value(sections) else sections, who=who),
                synmod.distance_bounds(None if is_missing_value(drange) else drange, who=who),
            ))

    def point_weights(self, rows: np.ndarray) -> np.ndarray:
        """NetCon weights onto artificial cells: syn_weight x sign x nsyns (BMTK's rule), or
        the weight function's value as is."""
        if self.preset:
            return self.weight[rows]
        scaled = self.weight[rows] * self.sign[rows] * self.nsyns[rows]
        return np.where(self.weighted[rows], self.weight[rows], scaled)

    def place(self, rows: np.ndarray, layout: Any, rng: np.random.Generator, cell: Any
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Random locations for the ``nsyns`` synapses of each edge in ``rows``."""
        out_rows, out_sec, out_x = [], [], []
        for k in np.unique(self.spec_index[rows]):
            group = rows[self.spec_index[rows] == k]
            counts = self.nsyns[group]
            total = int(counts.sum())
            if total == 0:
                continue
            codes, bounds = self.targets_of_spec[k]
            index, prob = synmod.candidate_segments(layout, codes, bounds)
            if index.size == 0:
                raise SimulationError(
                    f"no segment of {cell!r} matches target_sections/distance_range "
                    f"({self.who(group)})", file=cell.morphology_file, key="target_sections")
            chosen = index[rng.choice(index.size, size=total, p=prob)]
            out_rows.append(np.repeat(group, counts))
            out_sec.append(layout.section_id[chosen])
            out_x.append(layout.x[chosen])
        if not out_rows:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        return np.concatenate(out_rows), np.concatenate(out_sec), np.concatenate(out_x)


class _LazySpec:
    """A synapse spec resolved on first use (point-cell targets never need one)."""

    def __init__(self, template: Any, params: Mapping[str, Any], source: str, who: str) -> None:
        self._args = (template, params, source, who)
        self._spec: synmod.SynapseSpec | None = None

    def create(self, section: Any, x: float) -> Any:
        if self._spec is None:
            template, params, source, who = self._args
            if is_missing_value(template):
                raise SimulationError(f"synapses onto compartments need a model_template ({who})",
                                      key="model_template", expected="e.g. Exp2Syn")
            self._spec = synmod.synapse_spec(str(template), params, source=source, who=who)
        return self._spec.create(section, x)


def _numeric(edges: Any, name: str, edge_ids: np.ndarray, table: _EdgeTable,
             required: bool = True) -> np.ndarray:
    values = edges.get_attribute(name, edge_ids)
    try:
        values = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise FormatError(f"edge attribute {name} is not numeric", file=edges.path,
                          key=name) from None
    if required and np.isnan(values).any():
        row = int(np.argmax(np.isnan(values)))
        raise FormatError(f"{table.who(row)} has no {name}", file=edges.types_file or edges.path,
                          key=name)
    return values

