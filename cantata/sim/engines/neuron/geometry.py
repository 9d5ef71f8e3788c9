"""Where a cell's segments are in space: morphology coordinates, then the node's placement.

Segment end points are interpolated along each section's 3-d points (by arc length). Sections
without 3-d points (the axon stub) are drawn one of two ways: ``shapeless="stub"`` continues
them from their parent's attachment point along -y, their length ``L``; ``shapeless="neuron"``
places them where NEURON's ``define_shape()`` would (which BMTK calls after making the stub),
without touching the cell. Placement follows the SONATA rule: the soma centre is moved to the
origin (unless the node's ``recenter`` is 0), the cell is rotated about the world axes by
``rotation_angle_zaxis``, then ``_yaxis``, then ``_xaxis`` (radians), and moved to ``x, y, z``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from cantata.sim.engines.neuron.hoc import hoc

_STUB_DIRECTION = np.array([0.0, -1.0, 0.0])
#: Half the fan NEURON's define_shape spreads sibling sections over (radians).
_FAN = 0.4


def local_segments(sections: Sequence[Any], shapeless: str = "stub"
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start points [S, 3], end points [S, 3] and diameters [S] of every segment, in section
    order then segment order, in the morphology's own coordinates."""
    starts, ends, diams = [], [], []
    for sec, (arc, pts) in zip(sections, section_points(sections, shapeless), strict=True):
        bounds = np.linspace(0.0, 1.0, int(sec.nseg) + 1)
        coords = np.column_stack([np.interp(bounds, arc, pts[:, k]) for k in range(3)])
        starts.append(coords[:-1])
        ends.append(coords[1:])
        diams.append(np.array([seg.diam for seg in sec]))
    return np.concatenate(starts), np.concatenate(ends), np.concatenate(diams)


def segment_centres(sections: Sequence[Any], shapeless: str = "neuron") -> np.ndarray:
    """Centre [S, 3] of every segment (the point at ``seg.x`` along the section's 3-d path),
    in section order then segment order, in the morphology's own coordinates."""
    centres = []
    for sec, (arc, pts) in zip(sections, section_points(sections, shapeless), strict=True):
        xs = (np.arange(int(sec.nseg)) + 0.5) / int(sec.nseg)
        centres.append(np.column_stack([np.interp(xs, arc, pts[:, k]) for k in range(3)]))
    return np.concatenate(centres)


def section_points(sections: Sequence[Any], shapeless: str = "stub"
                   ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per section: normalised arc positions [P] and 3-d points [P, 3]; sections without
    3-d points are drawn by the ``shapeless`` rule (``stub`` or ``neuron``, see the module)."""
    if shapeless not in ("stub", "neuron"):
        raise ValueError(f"shapeless must be 'stub' or 'neuron', not {shapeless!r}")
    drawn: dict[Any, tuple[np.ndarray, np.ndarray]] = {}

    def points(sec: Any) -> tuple[np.ndarray, np.ndarray]:
        found = drawn.get(sec)
        if found is None:
            n3d = int(sec.n3d())
            if n3d >= 2:
                pts = np.array([[sec.x3d(i), sec.y3d(i), sec.z3d(i)] for i in range(n3d)])
                arc = np.array([sec.arc3d(i) for i in range(n3d)])
                found = (arc / arc[-1] if arc[-1] > 0 else np.linspace(0.0, 1.0, n3d), pts)
            elif shapeless == "neuron":
                found = _neuron_shape(sec, points)
            else:
                found = _stub_shape(sec, drawn)
            drawn[sec] = found
        return found

    return [points(sec) for sec in sections]


def _stub_shape(sec: Any, drawn: Mapping[Any, tuple[np.ndarray, np.ndarray]]
                ) -> tuple[np.ndarray, np.ndarray]:
    """From the parent's attachment point along -y (only parents drawn before count)."""
    parent = sec.parentseg()
    origin = np.zeros(3)
    if parent is not None and parent.sec in drawn:
        origin = _at(drawn[parent.sec], parent.x)
    return np.array([0.0, 1.0]), np.stack([origin, origin + _STUB_DIRECTION * float(sec.L)])


def _neuron_shape(sec: Any, points: Any) -> tuple[np.ndarray, np.ndarray]:
    """The straight line NEURON's define_shape() gives a section without 3-d points.

    It starts on the chord between the parent's first and last 3-d points at the connection
    position and stays in the parent's z plane. Its direction in the x-y plane is the chord's
    (reversed when attached to the parent's first half), turned by 90 degrees when attached
    strictly inside the parent, and sections attached at the same position fan out over
    +-0.4 rad in the order of the parent's child list. A section without a parent starts at
    the origin along +x.
    """
    parent = sec.parentseg()
    if parent is None:
        start, angle = np.zeros(3), 0.0
    else:
        psec, at = parent.sec, float(parent.x)
        _, ppts = points(psec)
        first, last = ppts[0], ppts[-1]
        along = at if int(_orientation(psec)) == 0 else 1.0 - at
        start = last * along + first * (1.0 - along)
        dx, dy = last[:2] - first[:2]
        if along < 0.5:
            dx, dy = -dx, -dy
        angle = 0.0 if abs(dx) < 1e-6 and abs(dy) < 1e-6 else float(np.arctan2(dy, dx))
        if 0.0 < at < 1.0:
            angle += np.pi / 2
        siblings = [c for c in psec.children() if float(c.parentseg().x) == at]
        if len(siblings) > 1:
            rank = next(i for i, c in enumerate(siblings) if c == sec)
            angle += rank / (len(siblings) - 1) * 2 * _FAN - _FAN
    end = start + float(sec.L) * np.array([np.cos(angle), np.sin(angle), 0.0])
    return np.array([0.0, 1.0]), np.stack([start, end])


def _orientation(sec: Any) -> float:
    """NEURON's ``section_orientation`` of ``sec`` (0: its 0 end is the one attached)."""
    return float(hoc().section_orientation(sec=sec))


def _at(section: tuple[np.ndarray, np.ndarray], x: float) -> np.ndarray:
    arc, pts = section
    return np.array([np.interp(x, arc, pts[:, k]) for k in range(3)])


def soma_centre(soma_sections: Sequence[Any]) -> np.ndarray:
    """Mean of the 3-d points of the soma sections (the origin when they have none)."""
    pts = [[sec.x3d(i), sec.y3d(i), sec.z3d(i)] for sec in soma_sections for i in range(int(sec.n3d()))]
    return np.mean(np.asarray(pts, dtype=float), axis=0) if pts else np.zeros(3)


def rotation(attributes: Mapping[str, Any]) -> np.ndarray:
    """Rotation matrix of a node: about z, then y, then x (world axes)."""
    def angle(axis: str) -> float:
        value = attributes.get(f"rotation_angle_{axis}axis", 0.0)
        return 0.0 if value is None or not np.isfinite(value) else float(value)

    ax, ay, az = angle("x"), angle("y"), angle("z")
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    rz = np.array([[np.cos(az), -np.sin(az), 0], [np.sin(az), np.cos(az), 0], [0, 0, 1]])
    return rx @ ry @ rz


def place(points: np.ndarray, soma_center: np.ndarray, attributes: Mapping[str, Any]) -> np.ndarray:
    """Morphology coordinates [..., 3] moved to where the node sits in the network."""
    recenter = attributes.get("recenter", 1)
    shifted = points - soma_center if recenter is None or recenter != 0 else points
    position = np.array([float(attributes.get(k, 0.0) or 0.0) for k in ("x", "y", "z")])
    return shifted @ rotation(attributes).T + position


def line_source_transfer(starts: np.ndarray, ends: np.ndarray, electrodes: np.ndarray, *,
                         sigma: float, minimum_distance: float) -> np.ndarray:
    """Potential (mV) at each electrode per nA of membrane current in each segment: [C, S].

    Each segment is a line of uniform current density (the line-source approximation):
    phi = I / (4 pi sigma L) * (asinh(s / r) - asinh((s - L) / r)), with s the electrode's
    position along the segment, r its distance from the segment's axis (at least
    ``minimum_distance``); a segment of zero length is a point source.
    """
    axis = ends - starts  # [S, 3]
    length = np.linalg.norm(axis, axis=1)  # um
    safe = np.where(length > 0, length, 1.0)
    unit = axis / safe[:, None]
    rel = electrodes[:, None, :] - starts[None, :, :]  # [C, S, 3]
    s = np.einsum("csk,sk->cs", rel, unit)
    r2 = np.einsum("csk,csk->cs", rel, rel) - s**2
    r = np.sqrt(np.maximum(r2, minimum_distance**2))
    line = (np.arcsinh(s / r) - np.arcsinh((s - length) / r)) / safe
    point = 1.0 / np.sqrt(np.maximum(np.einsum("csk,csk->cs", rel, rel), minimum_distance**2))
    kernel = np.where(length > 0, line, point)
    # I [nA] / (4 pi sigma [S/m] * [um]) = 1e-9 A / (1e-6 S) ... = 1e-3 V = 1 mV per unit
    return kernel / (4.0 * np.pi * sigma)
