"""Where a cell's segments are in space: morphology coordinates, then the node's placement.

Segment end points are interpolated along each section's 3-d points (by arc length). Sections
without 3-d points (the axon stub, a hoc template's soma given by ``L`` and ``diam``) are drawn
where NEURON's ``define_shape()`` would put them (BMTK calls it after making the stub), without
touching the cell. Placement follows the SONATA rule: the soma centre is moved to the
origin (unless the node's ``recenter`` is 0), the cell is rotated about the world axes by
``rotation_angle_zaxis``, then ``_yaxis``, then ``_xaxis`` (radians), and moved to ``x, y, z``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from cantata.sim.engines.neuron.hoc import hoc

#: Half the fan NEURON's define_shape spreads sibling sections over (radians).
_FAN = 0.4


def local_segments(sections: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start points [S, 3], end points [S, 3] and diameters [S] of every segment, in section
    order then segment order, in the morphology's own coordinates."""
    starts, ends, diams = [], [], []
    for sec, (arc, pts) in zip(sections, section_points(sections), strict=True):
        bounds = np.linspace(0.0, 1.0, int(sec.nseg) + 1)
        coords = np.column_stack([np.interp(bounds, arc, pts[:, k]) for k in range(3)])
        starts.append(coords[:-1])
        ends.append(coords[1:])
        diams.append(np.array([seg.diam for seg in sec]))
    return np.concatenate(starts), np.concatenate(ends), np.concatenate(diams)


def segment_centres(sections: Sequence[Any]) -> np.ndarray:
    """Centre [S, 3] of every segment (the point at ``seg.x`` along the section's 3-d path),
    in section order then segment order, in the morphology's own coordinates."""
    centres = []
    for sec, (arc, pts) in zip(sections, section_points(sections), strict=True):
        xs = (np.arange(int(sec.nseg)) + 0.5) / int(sec.nseg)
        centres.append(np.column_stack([np.interp(xs, arc, pts[:, k]) for k in range(3)]))
    return np.concatenate(centres)


def section_points(sections: Sequence[Any]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per section: normalised arc positions [P] and 3-d points [P, 3]; sections without
    3-d points are drawn as NEURON's ``define_shape()`` would draw them."""
    drawn: dict[Any, tuple[np.ndarray, np.ndarray]] = {}

    def points(sec: Any) -> tuple[np.ndarray, np.ndarray]:
        found = drawn.get(sec)
        if found is None:
            n3d = int(sec.n3d())
            if n3d >= 2:
                pts = np.array([[sec.x3d(i), sec.y3d(i), sec.z3d(i)] for i in range(n3d)])
                arc = np.array([sec.arc3d(i) for i in range(n3d)])
                found = (arc / arc[-1] if arc[-1] > 0 else np.linspace(0.0, 1.0, n3d), pts)
            else:
                found = _neuron_shape(sec, points)
            drawn[sec] = found
        return found

    return [points(sec) for sec in sections]


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


def line_source_transfer(starts: np.ndarray, ends: np.ndarray, electrodes: np.ndarray, *, sigma: float,
                         minimum_distance: float | np.ndarray | None = None) -> np.ndarray:
    """Potential (mV) at each electrode per nA of membrane current in each segment: [C, S].

    Each segment is a line of uniform current density (the line-source approximation, as
    BMTK's BioNet computes it): with ``a`` the electrode's distance along the segment's axis
    from the segment's centre (taken positive), ``r`` its distance from the axis and ``L`` the
    length, phi = I / (4 pi sigma L) * ln((a + L/2 + sqrt((a + L/2)^2 + r^2)) /
    (a - L/2 + sqrt((a - L/2)^2 + r^2))). ``minimum_distance`` (a number, or one per segment)
    raises ``r`` to at least that value where the electrode lies beside the segment or less
    than that distance beyond its end; None or 0 leaves ``r`` as it is. A segment of zero
    length is a point source. An electrode on the axis of a segment, inside it, with no
    minimum distance gives an infinite value.
    """
    mid = 0.5 * (starts + ends)  # [S, 3]
    axis = ends - starts
    length = np.linalg.norm(axis, axis=1)  # um
    safe = np.where(length > 0, length, 1.0)
    rel = electrodes[:, None, :] - mid[None, :, :]  # [C, S, 3]
    r2 = np.einsum("csk,csk->cs", rel, rel)
    along = np.abs(np.einsum("csk,sk->cs", rel, axis)) / safe
    perp2 = np.maximum(r2 - along**2, 0.0)
    up, low = along + 0.5 * length, along - 0.5 * length
    floor = np.zeros(length.shape) if minimum_distance is None else \
        np.broadcast_to(np.asarray(minimum_distance, dtype=float), length.shape)
    perp2 = np.where(low < floor, np.maximum(perp2, floor**2), perp2)
    with np.errstate(divide="ignore", invalid="ignore"):
        below = np.sqrt(low**2 + perp2)  # low + below cancels for low < 0: use r^2 / (below - low)
        den = np.where(low < 0, perp2 / (below - low), low + below)
        line = np.log((up + np.sqrt(up**2 + perp2)) / den) / safe
        point = 1.0 / np.sqrt(np.maximum(r2, floor**2))
    kernel = np.where(length > 0, line, point)
    # I [nA] / (4 pi sigma [S/m] * [um]) = 1e-9 A / (1e-6 S) = 1e-3 V: 1 mV per unit
    return kernel / (4.0 * np.pi * sigma)
