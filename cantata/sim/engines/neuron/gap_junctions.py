"""Gap junctions (electrical synapses) between compartmental cells, on one rank or many.

An edge is a gap junction when its ``is_gap_junction`` attribute (usually an edge-type column,
as BMTK's builder writes it) is true. Its conductance is ``syn_weight`` (uS; a
``weight_function`` applies as for chemical synapses); ``delay`` is not used. Each junction is
two halves, one on each cell, both ``CantataGap`` point processes (Cantata's own mechanism,
``cantata/mechanisms/gap``) of conductance ``g``; each half reads the membrane potential of the
other half's site through ``ParallelContext.source_var``/``target_var``, so the two cells may
live on different MPI ranks, and the current ``g (v - v_partner)`` flows both ways.

Where a half sits: with preset locations, the target's half at ``afferent_section_id``/
``afferent_section_pos`` (or ``sec_id``/``sec_x``) and the source's half at
``efferent_section_id``/``efferent_section_pos`` when those columns exist, else at the same
section id and position on the source cell (BMTK's rule). Without preset locations each half
picks a segment of its own cell among ``target_sections``/``distance_range`` (as random
synapses do), from a generator seeded by ``run.random_seed``, the cell and the edge population,
so the placement does not depend on the number of ranks.

Transfer ids: the half at the source cell publishes its potential under
``base + 2 * edge_id`` and the target's half under ``base + 2 * edge_id + 1``, where ``base``
counts the edges of the edge populations with gap junctions before this one (in circuit order).
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cantata import mechanisms as library
from cantata.errors import FormatError, SimulationError
from cantata.sim.engines.neuron import cells as cellmod
from cantata.sim.engines.neuron import synapses as synmod
from cantata.sim.engines.neuron.hoc import hoc, mechanism_names
from cantata.sim.engines.neuron.weights import edge_weights
from cantata.sonata.types_table import is_missing_value

if TYPE_CHECKING:
    from cantata.sim.engines.neuron.network import NeuronNetwork

log = logging.getLogger("cantata")

MARKER = "is_gap_junction"
MECHANISM = "CantataGap"
_TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "1.0"})
_PRESET_ID = ("afferent_section_id", "sec_id")
_PRESET_POS = ("afferent_section_pos", "sec_x")
_SOURCE_ID, _SOURCE_POS = "efferent_section_id", "efferent_section_pos"
SOURCE_SIDE, TARGET_SIDE = 0, 1


def gap_flags(values: Any) -> np.ndarray:
    """``is_gap_junction`` values as booleans: true, ``"True"``/``"true"``/``"1"``, nonzero
    numbers; missing values are false."""
    array = np.asarray(values)
    if array.dtype == bool:
        return array
    if array.dtype.kind in "iuf":
        return np.nan_to_num(array.astype(float), nan=0.0) != 0
    series = pd.Series(array, dtype=object)
    return series.map(lambda v: v is True or (isinstance(v, (int, float, np.number)) and not pd.isna(v)
                                              and v != 0)
                      or (isinstance(v, str) and v.strip().lower() in _TRUE_WORDS)).to_numpy(bool)


def gap_edge_mask(edges: Any, edge_ids: np.ndarray) -> np.ndarray:
    """Which of ``edge_ids`` are gap junctions (by edge type, unless the HDF5 group has the
    column)."""
    if edge_ids.size == 0 or MARKER not in edges.attribute_names:
        return np.zeros(edge_ids.size, dtype=bool)
    if MARKER in edges.group_attribute_names:
        return gap_flags(edges.get_attribute(MARKER, edge_ids))
    return np.isin(edges.edge_type_ids(edge_ids), _gap_type_ids(edges))


def chemical_edges(edges: Any, edge_ids: np.ndarray) -> np.ndarray:
    """``edge_ids`` without the gap junctions (those are built by :class:`GapJunctions`)."""
    mask = gap_edge_mask(edges, edge_ids)
    return edge_ids[~mask] if mask.any() else edge_ids


def population_has_gaps(edges: Any) -> bool:
    """True if an edge population may hold gap junctions (same answer on every rank)."""
    if MARKER not in edges.attribute_names:
        return False
    if MARKER in edges.group_attribute_names:
        return bool(gap_flags(edges.get_attribute(MARKER)).any())
    return _gap_type_ids(edges).size > 0


def _gap_type_ids(edges: Any) -> np.ndarray:
    types = edges.types
    if MARKER not in types.columns:
        return np.zeros(0, np.int64)
    return types[edges.type_id_column].to_numpy(np.int64)[gap_flags(types[MARKER].to_numpy())]


def load_gap_mechanism() -> None:
    """Compile (once, cached) and load Cantata's ``CantataGap`` mechanism if NEURON lacks it."""
    _, points = mechanism_names()
    if MECHANISM not in points:
        library.load_mechanisms(library.compile_mechanisms(library.gap_mechanisms_dir()))


@dataclass
class GapHalf:
    """One half of a junction on this rank (kept alive with the network)."""

    edge_population: str
    edge_id: int
    side: int  # SOURCE_SIDE or TARGET_SIDE
    cell: cellmod.BiophysicalCell
    section_id: int
    x: float
    g: float
    point: Any = field(default=None, repr=False)


class GapJunctions:
    """Every gap-junction half on this rank's cells, wired with ParallelContext transfers."""

    def __init__(self, network: NeuronNetwork) -> None:
        self.network = network
        self.halves: list[GapHalf] = []
        self.active = False  # any gap-junction population in the circuit (same on all ranks)

    def build(self) -> None:
        """Create this rank's halves, then ``setup_transfer`` (collective: call on every rank)."""
        net = self.network
        base = 0
        for name, edges in net.circuit.edges.items():
            if not population_has_gaps(edges):
                continue
            if not self.active:
                load_gap_mechanism()
                self.active = True
            self._population(name, edges, base)
            base += 2 * int(edges.size)
        if self.active:
            net.pc.setup_transfer()
            log.info("NEURON rank %d: gap-junction halves: %d", net.rank, len(self.halves))

    # ------------------------------------------------------------------ one population
    def _population(self, name: str, edges: Any, base: int) -> None:
        net = self.network
        empty = np.zeros(0, np.int64)
        targets = net.local_ids.get(edges.target, empty)
        sources = net.local_ids.get(edges.source, empty)
        incoming = edges.afferent_edges(targets) if targets.size else empty
        outgoing = edges.efferent_edges(sources) if sources.size else empty
        incoming = incoming[gap_edge_mask(edges, incoming)]
        outgoing = outgoing[gap_edge_mask(edges, outgoing)]
        ids = np.union1d(incoming, outgoing)
        if ids.size == 0:
            return
        table = _GapTable.read(edges, ids, net)
        keep = table.usable(net)
        halves = [(np.isin(ids, incoming) & keep, TARGET_SIDE), (np.isin(ids, outgoing) & keep, SOURCE_SIDE)]
        rows = np.concatenate([np.flatnonzero(m) for m, _ in halves])
        sides = np.concatenate([np.full(int(m.sum()), s) for m, s in halves])
        target = sides == TARGET_SIDE
        gids = np.where(target, net.gids(edges.target, table.target[rows]), net.gids(edges.source, table.source[rows]))
        order = np.lexsort((sides, table.edge_ids[rows], gids))  # per cell: by edge id, then side
        rows, sides, gids = rows[order], sides[order], gids[order]
        bounds = np.flatnonzero(np.diff(gids)) + 1
        for block in np.split(np.arange(rows.size), bounds):
            cell = net.cells.get(int(gids[block[0]]))
            if cell is None:  # pragma: no cover - local ids are this rank's cells
                continue
            if not isinstance(cell, cellmod.BiophysicalCell):
                raise SimulationError(
                    f"gap junctions need compartmental cells; {cell!r} is an artificial cell "
                    f"({table.who(int(rows[block[0]]))})", file=edges.types_file or edges.path,
                    key=MARKER, expected="biophysical source and target nodes")
            sec_ids, xs = table.sites(rows[block], sides[block], cell, net)
            for r, side, sid, x in zip(rows[block].tolist(), sides[block].tolist(), sec_ids.tolist(),
                                       xs.tolist(), strict=True):
                self._half(name, table, r, side, cell, sid, x, base)

    def _half(self, name: str, table: _GapTable, row: int, side: int, cell: cellmod.BiophysicalCell,
              section_id: int, x: float, base: int) -> None:
        h = hoc()
        pc = self.network.pc
        edge_id = int(table.edge_ids[row])
        own = base + 2 * edge_id + side
        partner = base + 2 * edge_id + (1 - side)
        section = cell.sections[section_id]
        point = h.CantataGap(section(x))
        point.g = float(table.g[row])
        pc.source_var(section(x)._ref_v, own, sec=section)
        pc.target_var(point, point._ref_vpartner, partner)
        self.halves.append(GapHalf(name, edge_id, side, cell, section_id, x, float(table.g[row]), point))

    def table(self) -> pd.DataFrame:
        """This rank's halves: edge, side (``source``/``target``), node, section id and x, g."""
        return pd.DataFrame({
            "edge_population": [hf.edge_population for hf in self.halves],
            "edge_id": np.array([hf.edge_id for hf in self.halves], dtype=np.int64),
            "side": ["target" if hf.side == TARGET_SIDE else "source" for hf in self.halves],
            "population": [hf.cell.population for hf in self.halves],
            "node_id": np.array([hf.cell.node_id for hf in self.halves], dtype=np.int64),
            "section_id": np.array([hf.section_id for hf in self.halves], dtype=np.int64),
            "section_x": np.array([hf.x for hf in self.halves], dtype=float),
            "g": np.array([hf.g for hf in self.halves], dtype=float),
        })


class _GapTable:
    """Columns of the gap-junction edges touching this rank's cells."""

    def __init__(self, edges: Any, edge_ids: np.ndarray) -> None:
        self.edges = edges
        self.edge_ids = edge_ids
        self.source = edges.source_node_ids(edge_ids)
        self.target = edges.target_node_ids(edge_ids)
        self.type_id = edges.edge_type_ids(edge_ids)
        self.g = np.zeros(edge_ids.size)
        self.nsyns = np.ones(edge_ids.size, np.int64)
        self.preset: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        self.spec_index = np.zeros(edge_ids.size, np.int64)
        self.specs: list[tuple[np.ndarray, tuple[float, float]]] = []

    @property
    def file(self) -> Any:
        return self.edges.types_file or self.edges.path

    def who(self, row: int) -> str:
        return (f"gap junction {self.edges.name}[{int(self.edge_ids[row])}] "
                f"(edge_type_id {int(self.type_id[row])})")

    @classmethod
    def read(cls, edges: Any, edge_ids: np.ndarray, net: NeuronNetwork) -> _GapTable:
        t = cls(edges, edge_ids)
        names = edges.attribute_names
        if "syn_weight" not in names:
            raise FormatError("gap-junction edges need a conductance", file=t.file, key="syn_weight",
                              expected="syn_weight (uS) in the edge types or the HDF5 group",
                              found=f"no syn_weight column ({t.who(0)})")
        g = _numbers(edges, "syn_weight", edge_ids, t)
        bad = ~np.isfinite(g) | (g < 0)
        if bad.any():
            row = int(np.argmax(bad))
            raise FormatError(f"{t.who(row)} has no usable conductance", file=t.file, key="syn_weight",
                              expected="a finite syn_weight >= 0 (uS)", found=float(g[row]))
        t.g, _ = edge_weights(edges, edge_ids, g, net.circuit)
        if "nsyns" in names:
            t.nsyns = np.nan_to_num(_numbers(edges, "nsyns", edge_ids, t), nan=1.0).astype(np.int64)
        same = (edges.source == edges.target) & (t.source == t.target)
        if same.any():
            row = int(np.argmax(same))
            raise FormatError(f"{t.who(row)} couples node {int(t.source[row])} with itself", file=edges.path,
                              key="source_node_id", expected="two different cells")
        sid = next((c for c in _PRESET_ID if c in names), None)
        pos = next((c for c in _PRESET_POS if c in names), None)
        if sid is not None and pos is not None:
            trg_id = _numbers(edges, sid, edge_ids, t).astype(np.int64)
            trg_x = _numbers(edges, pos, edge_ids, t)
            own = _SOURCE_ID in names and _SOURCE_POS in names
            src_id = _numbers(edges, _SOURCE_ID, edge_ids, t).astype(np.int64) if own else trg_id
            src_x = _numbers(edges, _SOURCE_POS, edge_ids, t) if own else trg_x
            t.preset = (src_id, src_x, trg_id, trg_x)
        else:
            t._placement_specs(names)
        return t

    def _placement_specs(self, names: set[str]) -> None:
        def column(name: str) -> np.ndarray:
            if name in names:
                return self.edges.get_attribute(name, self.edge_ids)
            return np.full(self.edge_ids.size, None, dtype=object)

        sections, ranges = column("target_sections"), column("distance_range")
        keys = pd.MultiIndex.from_arrays([pd.Series(sections).astype(str), pd.Series(ranges).astype(str)])
        codes, uniques = pd.factorize(keys)
        self.spec_index = codes.astype(np.int64)
        for k in range(len(uniques)):
            row = int(np.argmax(codes == k))
            who = self.who(row)
            self.specs.append((
                synmod.target_codes(None if is_missing_value(sections[row]) else sections[row], who=who),
                synmod.distance_bounds(None if is_missing_value(ranges[row]) else ranges[row], who=who),
            ))

    def usable(self, net: NeuronNetwork) -> np.ndarray:
        """Edges to build: both ends are cells of this run; ``nsyns`` 0 means no junction.

        A virtual end is an error; an end left out by the config's ``node_set`` drops the edge
        on both ranks (every rank decides alike)."""
        edges = self.edges
        for end, pop in ((self.source, edges.source), (self.target, edges.target)):
            virtual = np.isin(end, net.virtual_ids.get(pop, np.zeros(0, np.int64)))
            if virtual.any():
                row = int(np.argmax(virtual))
                raise SimulationError(f"{self.who(row)} touches virtual node {pop}[{int(end[row])}]",
                                      file=self.file, key=MARKER,
                                      expected="gap junctions between biophysical cells")
        keep = self.nsyns > 0
        if net.selection is not None:
            for end, pop in ((self.source, edges.source), (self.target, edges.target)):
                keep &= np.isin(end, net.selection.get(pop, np.zeros(0, np.int64)))
        if (self.nsyns[keep] > 1).any():
            log.warning("%s: gap-junction edges with nsyns > 1 get one junction each (as BMTK)", edges.name)
        return keep

    def sites(self, rows: np.ndarray, sides: np.ndarray, cell: cellmod.BiophysicalCell,
              net: NeuronNetwork) -> tuple[np.ndarray, np.ndarray]:
        """Section ids and positions of the halves ``rows``/``sides`` on ``cell``."""
        if self.preset is not None:
            src_id, src_x, trg_id, trg_x = self.preset
            target = sides == TARGET_SIDE
            sec_ids = np.where(target, trg_id[rows], src_id[rows])
            xs = np.where(target, trg_x[rows], src_x[rows])
            synmod.check_preset(sec_ids, xs, len(cell.sections), who=lambda i: self.who(int(rows[i])),
                                morphology=str(cell.morphology_file or self.edges.path))
            return sec_ids, xs
        layout = net.layouts.table(cell)
        rng = np.random.default_rng([int(net.settings.seed), zlib.crc32(cell.population.encode()),
                                     int(cell.node_id), zlib.crc32(f"gap:{self.edges.name}".encode())])
        sec_ids = np.zeros(rows.size, np.int64)
        xs = np.zeros(rows.size)
        for k in np.unique(self.spec_index[rows]):
            chosen = np.flatnonzero(self.spec_index[rows] == k)
            codes, bounds = self.specs[k]
            index, prob = synmod.candidate_segments(layout, codes, bounds)
            if index.size == 0:
                raise SimulationError(f"no segment of {cell!r} matches target_sections/distance_range "
                                      f"({self.who(int(rows[chosen[0]]))})", file=cell.morphology_file,
                                      key="target_sections")
            picks = index[rng.choice(index.size, size=chosen.size, p=prob)]
            sec_ids[chosen] = layout.section_id[picks]
            xs[chosen] = layout.x[picks]
        return sec_ids, xs


def _numbers(edges: Any, name: str, edge_ids: np.ndarray, table: _GapTable) -> np.ndarray:
    try:
        values = np.asarray(edges.get_attribute(name, edge_ids), dtype=float)
    except (TypeError, ValueError):
        raise FormatError(f"edge attribute {name} is not numeric", file=table.file, key=name) from None
    if np.isnan(values).any() and name != "nsyns":
        row = int(np.argmax(np.isnan(values)))
        raise FormatError(f"{table.who(row)} has no {name}", file=table.file, key=name,
                          expected="a number" if name != "syn_weight" else "a conductance in uS")
    return values
