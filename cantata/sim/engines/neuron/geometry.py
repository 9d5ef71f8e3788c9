"""Where a cell's segments are in space: morphology coordinates, then the node's placement.

Segment end points are interpolated along each section's 3-d points (by arc length). Sections
without 3-d points (the axon stub) continue from their parent's attachment point along -y,
their length ``L``. Placement follows the SONATA rule: the soma centre is moved to the origin
(unless the node's ``recenter`` is 0), the cell is rotated about the world axes by
``rotation_angle_zaxis``, then ``_yaxis``, then ``_xaxis`` (radians), and moved to ``x, y, z``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

_STUB_DIRECTION = np.array([0.0, -1.0, 0.0])


def local_segments(sections: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start points [S, 3], end points [S, 3] and diameters [S] of every segment, in section
    order then segment order, in the morphology's own coordinates."""
    starts, ends, diams = [], [], []
    index = {sec: i for i, sec in enumerate(sections)}
    section_points: list[tuple[np.ndarray, np.ndarray] | None] = []
    for sec in sections:
        n3d = int(sec.n3d())
        nseg = int(sec.nseg)
        bounds = np.linspace(0.0, 1.0, nseg + 1)
        if n3d >= 2:
            pts = np.array([[sec.x3d(i), sec.y3d(i), sec.z3d(i)] for i in range(n3d)])
            arc = np.array([sec.arc3d(i) for i in range(n3d)])
            arc = arc / arc[-1] if arc[-1] > 0 else np.linspace(0.0, 1.0, n3d)
        else:
            parent = sec.parentseg()
            origin = np.zeros(3)
            if parent is not None and parent.sec in index:
                parent_pts = section_points[index[parent.sec]]
                if parent_pts is not None:
                    origin = _at(parent_pts, parent.x)
            pts = np.stack([origin, origin + _STUB_DIRECTION * float(sec.L)])
            arc = np.array([0.0, 1.0])
        section_points.append((arc, pts))
        coords = np.column_stack([np.interp(bounds, arc, pts[:, k]) for k in range(3)])
        starts.append(coords[:-1])
        ends.append(coords[1:])
        diams.append(np.array([seg.diam for seg in sec]))
    return np.concatenate(starts), np.concatenate(ends), np.concatenate(diams)


def _at(section: tuple[np.ndarray, np.ndarray], x: float) -> np.ndarray:
    arc, pts = section
    return np.array([np.interp(x, arc, pts[:, k]) for k in range(3)])


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
