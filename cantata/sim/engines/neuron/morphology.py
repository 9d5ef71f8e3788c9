"""SWC morphologies: checked, imported once with NEURON's Import3d, then cloned per cell.

Import3d reads an SWC file into sections (soma, axon, dend, apic, in that order in its ``all``
list). Running it for every cell is slow, so each file is imported once: the 3-d points, the
parent of each section and where it attaches are kept as arrays (:class:`Morphology`), and every
cell gets its own sections rebuilt from them with vectorised ``pt3dadd`` calls. The rebuilt
sections are identical to Import3d's (same points, same connections, same order).

Section numbering follows BMTK (``afferent_section_id`` indexes this list): the Import3d order,
and with an axon stub (``aibs_perisomatic``, ``aibs_allactive``) the reconstructed axon removed
and the two 30 um stub sections appended at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from cantata.errors import FormatError, SimulationError
from cantata.sim.engines.neuron.hoc import hoc

#: SWC type code of each section kind (SWC types above 4 keep Import3d's ``dend_<type>`` name).
SECTION_TYPE_CODES = {"soma": 1, "axon": 2, "dend": 3, "apic": 4}
#: Names that select sections by kind, as used by ``target_sections`` and NeuroML segment groups.
SECTION_ALIASES = {
    "soma": "soma", "somatic": "soma",
    "axon": "axon", "axonal": "axon",
    "dend": "dend", "basal": "dend", "dendritic": "dend",
    "apic": "apic", "apical": "apic",
}  # fmt: skip

STUB_LENGTH = 30.0  # um, each of the two stub sections


@dataclass(frozen=True)
class SectionGeometry:
    """One section of an imported morphology."""

    kind: str  # soma, axon, dend, apic (or dend_<n> for other SWC types)
    points: np.ndarray  # [n, 4]: x, y, z, diam (um), as Import3d stored them
    parent: int  # index of the parent section in Morphology.sections; -1 for the root
    parent_x: float  # where on the parent it attaches
    child_end: float  # which end of this section attaches (0 or 1)
    mean_diam: float  # diameter NEURON reports for the section with nseg=1


@dataclass(frozen=True)
class AxonStub:
    """Replace the reconstructed axon by two stub sections of 30 um each."""

    attach_x: float  # where on the soma the stub attaches
    diams: tuple[float, float] | None  # per stub section; None = from the reconstructed axon


#: Axon treatment per ``model_processing`` (None keeps the reconstructed axon).
AXON_POLICIES: dict[str, AxonStub | None] = {
    "fullaxon": None,
    "aibs_perisomatic": AxonStub(attach_x=0.5, diams=(1.0, 1.0)),
    "aibs_allactive": AxonStub(attach_x=1.0, diams=None),
}


@dataclass(frozen=True)
class Morphology:
    """An SWC file as Import3d reads it, kept as arrays."""

    path: Path
    sections: tuple[SectionGeometry, ...]

    @property
    def n_sections(self) -> int:
        return len(self.sections)

    def kinds(self) -> list[str]:
        return [s.kind for s in self.sections]


def check_swc(path: str | Path) -> np.ndarray:
    """Read an SWC file and check the rules Import3d relies on; return the [n, 7] table.

    Raises :class:`FormatError` naming the file and line for a malformed file.
    """
    path = Path(path)
    rows: list[list[float]] = []
    lines: list[int] = []
    try:
        text = path.read_text()
    except FileNotFoundError as exc:
        raise FormatError("morphology file not found", file=path) from exc
    except UnicodeDecodeError as exc:
        raise FormatError("not a text SWC file", file=path, found=str(exc)) from exc
    for number, line in enumerate(text.splitlines(), start=1):
        body = line.split("#", 1)[0].strip()
        if not body:
            continue
        fields = body.split()
        if len(fields) != 7:
            raise FormatError(
                "malformed SWC row", file=path, key=f"line {number}",
                expected="7 columns: id type x y z radius parent", found=line.strip(),
            )  # fmt: skip
        try:
            rows.append([float(f) for f in fields])
        except ValueError:
            raise FormatError(
                "malformed SWC row", file=path, key=f"line {number}",
                expected="numbers", found=line.strip(),
            ) from None  # fmt: skip
        lines.append(number)
    if not rows:
        raise FormatError("SWC file has no points", file=path)
    table = np.asarray(rows)
    ids, types, parents = table[:, 0], table[:, 1], table[:, 6]
    line_of = np.asarray(lines)
    bad = (ids != np.round(ids)) | (types != np.round(types)) | (parents != np.round(parents))
    if bad.any():
        i = int(np.argmax(bad))
        raise FormatError("SWC id, type and parent must be integers", file=path,
                          key=f"line {line_of[i]}", found=text.splitlines()[line_of[i] - 1])
    uniq, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        raise FormatError("duplicate SWC point id", file=path, key="id",
                          found=int(uniq[counts > 1][0]))
    orphan = (parents != -1) & ~np.isin(parents, ids)
    if orphan.any():
        i = int(np.argmax(orphan))
        raise FormatError("SWC parent id names no point", file=path, key=f"line {line_of[i]}",
                          expected="-1 or an id in the file", found=int(parents[i]))
    if not (types == 1).any():
        raise FormatError("SWC file has no soma point", file=path, key="type",
                          expected="at least one point of type 1")
    if (table[:, 5] < 0).any():
        i = int(np.argmax(table[:, 5] < 0))
        raise FormatError("negative SWC radius", file=path, key=f"line {line_of[i]}",
                          found=float(table[i, 5]))
    return table


@cache
def load_morphology(path: Path) -> Morphology:
    """Import an SWC file once (cached per resolved path) and keep its sections as arrays."""
    path = Path(path).resolve()
    check_swc(path)
    h = hoc()
    reader = h.Import3d_SWC_read()
    reader.quiet = 1
    reader.input(str(path))
    importer = h.Import3d_GUI(reader, 0)
    holder = _Scratch()
    try:
        importer.instantiate(holder)
    except RuntimeError as exc:
        raise FormatError("NEURON's Import3d could not read the morphology", file=path,
                          found=str(exc)) from exc
    secs = list(holder.all)
    index = {sec: i for i, sec in enumerate(secs)}
    sections = []
    for sec in secs:
        n = int(sec.n3d())
        pts = np.array([[sec.x3d(i), sec.y3d(i), sec.z3d(i), sec.diam3d(i)] for i in range(n)])
        parent_seg = sec.parentseg()
        kind = sec.name().rsplit(".", 1)[-1].split("[", 1)[0]
        sections.append(
            SectionGeometry(
                kind=kind,
                points=pts.reshape(n, 4),
                parent=-1 if parent_seg is None else index[parent_seg.sec],
                parent_x=0.0 if parent_seg is None else float(parent_seg.x),
                child_end=float(sec.orientation()),
                mean_diam=float(sec.diam),
            )
        )
    for sec in secs:
        h.delete_section(sec=sec)
    return Morphology(path=path, sections=tuple(sections))


class _Scratch:
    """Holder Import3d fills with section lists."""


def resolve_morphology_file(name: str, directory: Path | None, *, who: str) -> Path:
    """File of a node's ``morphology`` attribute: ``<dir>/<name>`` with or without ``.swc``."""
    if directory is None:
        raise SimulationError("biophysical cells need components.morphologies_dir",
                              key="components.morphologies_dir", found=who)
    base = Path(directory) / name
    for candidate in (base, base.with_name(base.name + ".swc")):
        if candidate.is_file():
            return candidate
    raise SimulationError(f"morphology file not found for {who}", file=base,
                          expected=f"{base} or {base}.swc")


def build_sections(
    morph: Morphology, owner: Any, axon: AxonStub | None
) -> tuple[list[Any], list[str]]:
    """Create ``owner``'s sections from ``morph``; return them in BMTK order with their kinds."""
    h = hoc()
    keep = [i for i, s in enumerate(morph.sections) if axon is None or s.kind != "axon"]
    counters: dict[str, int] = {}
    built: dict[int, Any] = {}
    order: list[Any] = []
    kinds: list[str] = []
    for i in keep:
        geo = morph.sections[i]
        k = counters.get(geo.kind, 0)
        counters[geo.kind] = k + 1
        sec = h.Section(name=f"{geo.kind}[{k}]", cell=owner)
        pts = geo.points
        h.pt3dadd(h.Vector(pts[:, 0]), h.Vector(pts[:, 1]), h.Vector(pts[:, 2]),
                  h.Vector(pts[:, 3]), sec=sec)
        if geo.parent >= 0:
            sec.connect(built[geo.parent](geo.parent_x), geo.child_end)
        built[i] = sec
        order.append(sec)
        kinds.append(geo.kind)
    if axon is not None:
        stub = _stub_sections(morph, owner, axon, order, kinds)
        order.extend(stub)
        kinds.extend(["axon"] * len(stub))
    return order, kinds


def _stub_sections(
    morph: Morphology, owner: Any, axon: AxonStub, order: Sequence[Any], kinds: Sequence[str]
) -> list[Any]:
    h = hoc()
    if "soma" not in kinds:
        raise FormatError("an axon stub needs a soma section", file=morph.path)
    soma = order[kinds.index("soma")]
    diams = axon.diams
    if diams is None:
        axon_diams = [s.mean_diam for s in morph.sections if s.kind == "axon"]
        diams = (axon_diams[0], axon_diams[-1]) if axon_diams else (1.0, 1.0)
    first = h.Section(name="axon[0]", cell=owner)
    second = h.Section(name="axon[1]", cell=owner)
    for sec, diam in zip((first, second), diams, strict=True):
        sec.L = STUB_LENGTH
        sec.diam = diam
    first.connect(soma(axon.attach_x), 0)
    second.connect(first(1), 0)
    return [first, second]


def set_nseg(sections: Sequence[Any], dL: float) -> np.ndarray:
    """Set ``nseg = 1 + 2*int(L/(2*dL))`` on every section; return the nseg array."""
    if not dL > 0:
        raise SimulationError("dL must be positive", key="run.dL", found=dL)
    lengths = np.fromiter((s.L for s in sections), float, len(sections))
    nseg = 1 + 2 * (lengths / (2 * dL)).astype(int)
    for sec, n in zip(sections, nseg.tolist(), strict=True):
        sec.nseg = n
    return nseg


@dataclass(frozen=True)
class SegmentTable:
    """Per-segment arrays of one cell layout, in section order then segment order."""

    section_id: np.ndarray  # int64
    x: np.ndarray  # segment centre, in [0, 1]
    kind_code: np.ndarray  # SWC type code of the section (soma 1, axon 2, dend 3, apic 4)
    length: np.ndarray  # um
    distance: np.ndarray  # path distance of the segment centre from the soma centre, um

    @property
    def size(self) -> int:
        return int(self.section_id.size)


def segment_table(sections: Sequence[Any], kinds: Sequence[str]) -> SegmentTable:
    """Measure the segments of one built cell (all cells of the same layout share the table)."""
    h = hoc()
    soma = next((s for s, k in zip(sections, kinds, strict=True) if k == "soma"), sections[0])
    h.distance(0, soma(0.5))
    sec_ids, xs, codes, lengths, dists = [], [], [], [], []
    for i, (sec, kind) in enumerate(zip(sections, kinds, strict=True)):
        n = int(sec.nseg)
        code = SECTION_TYPE_CODES.get(kind, 0)
        for seg in sec:
            sec_ids.append(i)
            xs.append(seg.x)
            codes.append(code)
            lengths.append(sec.L / n)
            dists.append(h.distance(seg))
    return SegmentTable(
        section_id=np.asarray(sec_ids, dtype=np.int64),
        x=np.asarray(xs),
        kind_code=np.asarray(codes, dtype=np.int64),
        length=np.asarray(lengths),
        distance=np.asarray(dists),
    )
