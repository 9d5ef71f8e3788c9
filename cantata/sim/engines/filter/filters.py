"""Receptive-field filters of LGN units: a 2-D Gaussian in space, a cosine-bump kernel in time.

The numbers follow BMTK FilterNet's ``lgnmodel`` so that responses agree with it:

* temporal: two raised-cosine bumps on a log-time axis (offset ``b = 0.3`` ms, centres at
  ``log(kpeaks)``, bump width from the fixed range 100-200 ms), sampled every 1 ms over 600 ms,
  each bump unit-normalised, shifted by its delay (whole ms), renormalised and summed with
  ``weights``. Index ``k`` of the result is the response ``k`` ms after a stimulus frame.
* spatial: a centred delta blurred by ``scipy.ndimage.gaussian_filter`` (``mode="nearest"``),
  moved to the unit's ``(x, y)`` (and rotated) by bilinear resampling with zeros outside,
  clipped as scikit-image's ``warp`` clips, then normalised to sum 1. ``x`` runs along movie
  columns, ``y`` along rows, both in the movie's own coordinates (``col_range``/``row_range``:
  pixels, or degrees for generated gratings).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from scipy import ndimage, sparse

__all__ = ["cached_cosine_bump_kernel", "cosine_bump_kernel", "frames_kernel", "gaussian_spatial_kernel",
           "spatial_kernels", "zero_crossing"]

_EPS = 1e-20            # keeps log() finite at 0, as in BMTK
_B = 0.3                # log-time offset (ms)
_Y_RANGE = (100.0, 200.0)  # fixed bump-spacing range (ms)
_N_SAMPLES = 600        # kernel length before the delays (ms, 1 ms steps)
KERNEL_DT = 0.001       # seconds between temporal-kernel samples


def _unit_columns(a: np.ndarray) -> np.ndarray:
    return a / np.sqrt((a ** 2).sum(axis=0))


def cosine_bump_kernel(weights: Sequence[float], kpeaks: Sequence[float], delays: Sequence[float]) -> np.ndarray:
    """Temporal kernel sampled every 1 ms (index = lag in ms) from two cosine bumps.

    ``weights[0] > 0``, ``kpeaks[0] < kpeaks[1]`` (ms, the sharper peak first) and
    ``delays[0] <= delays[1]`` (ms, truncated to whole ms), as BMTK requires.
    """
    w = np.asarray(weights, dtype=float)
    kp = np.asarray(kpeaks, dtype=float)
    d = np.asarray(delays, dtype=float).astype(int)
    if w.shape != (2,) or kp.shape != (2,) or d.shape != (2,):
        raise ValueError(f"weights, kpeaks and delays need two values each, got {w.tolist()}, {kp.tolist()}, "
                         f"{d.tolist()}")
    if not (kp[0] < kp[1] and w[0] > 0 and d[0] <= d[1]):
        raise ValueError("cosine-bump kernel needs kpeaks[0] < kpeaks[1], weights[0] > 0 and delays[0] <= delays[1]; "
                         f"got weights={w.tolist()}, kpeaks={kp.tolist()}, delays={d.tolist()}")
    y_lo, y_hi = np.log(np.asarray(_Y_RANGE) + _B + _EPS)
    spacing = y_hi - y_lo
    centres = np.log(kp + _EPS)
    t_max = np.exp(y_hi + 2 * spacing) - _EPS - _B
    lags = np.arange(0, t_max, 1.0)
    log_t = np.log(lags + _B + _EPS)
    phase = np.clip((log_t[:, None] - centres[None, :]) * np.pi / spacing / 2, -np.pi, np.pi)
    basis = ((np.cos(phase) + 1) / 2)[::-1]            # latest lag first
    if basis.shape[0] < _N_SAMPLES:
        basis = np.vstack([np.zeros((_N_SAMPLES - basis.shape[0], 2)), basis])
    elif basis.shape[0] > _N_SAMPLES:
        basis = basis[-1 - _N_SAMPLES:-1]               # BMTK's window: the lag-0 row is dropped
    basis = _unit_columns(basis)
    first = np.concatenate([basis[:, 0], np.zeros(d[0])])
    second = np.concatenate([basis[:, 1], np.zeros(d[1])])[d[1] - d[0]:]
    shifted = _unit_columns(np.column_stack([first, second]))
    return (shifted @ w)[::-1].copy()


@lru_cache(maxsize=4096)
def _kernel_for(key: tuple[float, float, float, float, int, int]) -> np.ndarray:
    kernel = cosine_bump_kernel(key[0:2], key[2:4], key[4:6])
    kernel.setflags(write=False)
    return kernel


def cached_cosine_bump_kernel(weights: Sequence[float], kpeaks: Sequence[float],
                              delays: Sequence[float]) -> np.ndarray:
    """:func:`cosine_bump_kernel`, shared (read-only) between units with the same parameters."""
    w = np.asarray(weights, dtype=float)
    kp = np.asarray(kpeaks, dtype=float)
    d = np.asarray(delays, dtype=float)
    if w.shape != (2,) or kp.shape != (2,) or d.shape != (2,):
        return cosine_bump_kernel(w, kp, d)  # raises the readable error
    return _kernel_for((*w.tolist(), *kp.tolist(), *d.astype(int).tolist()))


def frames_kernel(kernel_ms: np.ndarray, frame_times: np.ndarray) -> np.ndarray:
    """The 1-ms kernel linearly interpolated at ``frame_times`` (s, lag of each frame), 0 beyond it."""
    support = np.arange(kernel_ms.size) * KERNEL_DT
    return np.interp(frame_times, support, kernel_ms, left=0.0, right=0.0)


def zero_crossing(kernel: np.ndarray) -> int:
    """Index where the kernel first falls through 0 between its maximum and its minimum."""
    hi, lo = int(np.argmax(kernel)), int(np.argmin(kernel))
    seg = kernel[hi:lo]
    below = np.flatnonzero((seg[:-1] >= 0) & (seg[1:] < 0))
    if below.size == 0:
        raise ValueError("temporal kernel does not cross zero between its maximum and its minimum")
    return hi + int(below[0]) + 1


def _bilinear_zero_outside(image: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Bilinear samples of ``image`` at fractional (rows, cols); pixels outside count as 0."""
    n_r, n_c = image.shape
    r0, c0 = np.floor(rows), np.floor(cols)
    r1, c1 = np.ceil(rows), np.ceil(cols)
    dr, dc = rows - r0, cols - c0

    def pixel(r: np.ndarray, c: np.ndarray) -> np.ndarray:
        inside = (r >= 0) & (r < n_r) & (c >= 0) & (c < n_c)
        out = np.zeros(r.shape)
        out[inside] = image[r[inside].astype(np.int64), c[inside].astype(np.int64)]
        return out

    top = (1 - dc) * pixel(r0, c0) + dc * pixel(r0, c1)
    bottom = (1 - dc) * pixel(r1, c0) + dc * pixel(r1, c1)
    return (1 - dr) * top + dr * bottom


def _clip_to_input_range(moved: np.ndarray, canvas: np.ndarray) -> np.ndarray:
    """Clip the resampled image to the range of the image it came from, as scikit-image's
    ``warp`` does (0.19 and later): the range takes in 0 (the value outside the image) only
    when 0 lies outside it and some output pixel reaches 0. So a wide Gaussian with no zero
    pixel, moved by less than a pixel, has its edge pixels raised to the canvas minimum."""
    lo, hi = float(canvas.min()), float(canvas.max())
    if not lo <= 0.0 <= hi and moved.min() <= 0.0 <= moved.max():
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    return np.clip(moved, lo, hi)


def _translation(tx: float, ty: float) -> np.ndarray:
    return np.array([[1.0, 0.0, tx], [0.0, 1.0, ty], [0.0, 0.0, 1.0]])


def gaussian_spatial_kernel(row_range: np.ndarray, col_range: np.ndarray, x: float, y: float,
                            sigma: tuple[float, float], rotation: float = 0.0,
                            origin: tuple[float, float] | None = (0.0, 0.0), *,
                            allow_outside: bool = False) -> np.ndarray:
    """Normalised Gaussian weights over the movie's pixels, shape ``[rows, cols]``.

    ``sigma = (sigma_x, sigma_y)`` and ``x, y`` are in the units of ``col_range``/``row_range``;
    ``rotation`` in degrees; ``origin=None`` puts ``(0, 0)`` at the frame centre. A Gaussian
    that misses the frame entirely raises ValueError, or with ``allow_outside`` gives all
    zeros (what BMTK does: such a unit sees nothing).
    """
    row_range = np.asarray(row_range, dtype=float)
    col_range = np.asarray(col_range, dtype=float)
    d_row, d_col = row_range[1] - row_range[0], col_range[1] - col_range[0]
    # BMTK builds the kernel on a [cols, rows] canvas; we do the same and transpose at the end
    h, w = col_range.size, row_range.size
    canvas = np.zeros((h, w))
    rs = [h // 2 - 1, h // 2] if h % 2 == 0 else [h // 2]
    cs = [w // 2 - 1, w // 2] if w % 2 == 0 else [w // 2]
    canvas[np.ix_(rs, cs)] = 0.25
    canvas = ndimage.gaussian_filter(canvas, (float(sigma[0]) / d_col, float(sigma[1]) / d_row), mode="nearest",
                                     cval=0)
    # inverse map (output pixel -> canvas pixel), in canvas (x = axis 1, y = axis 0) coordinates
    tx, ty = -float(y) / d_row, -float(x) / d_col
    if origin is not None:
        tx += -(origin[1] - (row_range[-1] + row_range[0]) / 2) / d_row
        ty += -(origin[0] - (col_range[-1] + col_range[0]) / 2) / d_col
    shift_y, shift_x = h / 2.0, w / 2.0
    theta = np.deg2rad(rotation)
    rotate = np.array([[np.cos(theta), -np.sin(theta), 0.0], [np.sin(theta), np.cos(theta), 0.0], [0, 0, 1.0]])
    rotation_about_centre = _translation(shift_x, shift_y) @ rotate @ _translation(-shift_x, -shift_y)
    matrix = rotation_about_centre @ _translation(tx, ty)
    out_y, out_x = np.meshgrid(np.arange(h, dtype=float), np.arange(w, dtype=float), indexing="ij")
    src_x = matrix[0, 0] * out_x + matrix[0, 1] * out_y + matrix[0, 2]
    src_y = matrix[1, 0] * out_x + matrix[1, 1] * out_y + matrix[1, 2]
    moved = _bilinear_zero_outside(canvas, src_y, src_x)
    moved = _clip_to_input_range(moved, canvas)
    total = np.abs(moved.sum())
    if total == 0 and allow_outside:
        return np.zeros((w, h))
    if total == 0:
        raise ValueError(f"the Gaussian at x={x}, y={y} (sigma {sigma}) lies entirely outside the movie frame")
    return (moved / total).T.copy()


def _blurred_axis(n: int, sigma_px: float) -> np.ndarray:
    """One factor of the blurred centred delta: the canvas of :func:`gaussian_spatial_kernel` is
    the outer product of these two profiles (up to rounding; each holds 0.5 at the centre)."""
    profile = np.zeros(n)
    profile[[n // 2 - 1, n // 2] if n % 2 == 0 else [n // 2]] = 0.5
    if sigma_px > 1e-15:  # gaussian_filter leaves an axis alone below this
        profile = ndimage.gaussian_filter1d(profile, sigma_px, mode="nearest")
    return profile


def _moved_axis(profile: np.ndarray, shift: float) -> np.ndarray:
    """``profile`` linearly resampled at ``index + shift``, zero outside."""
    n = profile.size
    pos = np.arange(n, dtype=float) + shift
    lo, hi = np.floor(pos), np.ceil(pos)
    frac = pos - lo

    def at(i: np.ndarray) -> np.ndarray:
        inside = (i >= 0) & (i < n)
        out = np.zeros(n)
        out[inside] = profile[i[inside].astype(np.int64)]
        return out

    return (1 - frac) * at(lo) + frac * at(hi)


def spatial_kernels(row_range: np.ndarray, col_range: np.ndarray, x: np.ndarray, y: np.ndarray,
                    sigma: np.ndarray, rotation: np.ndarray) -> tuple[sparse.csc_matrix, int]:
    """The :func:`gaussian_spatial_kernel` of each unit as one sparse column over the movie's
    flattened pixels (``row * n_cols + col``): ``[rows * cols, units]``, and how many units see
    no pixel (all-zero columns).

    Unrotated Gaussians whose blur reaches a zero pixel (the usual case: truncated at 4 sigma)
    are built from two 1-D profiles, O(rows + cols) each, and keep only their support; the
    others go through :func:`gaussian_spatial_kernel` itself. Both agree to rounding.
    """
    row_range = np.asarray(row_range, dtype=float)
    col_range = np.asarray(col_range, dtype=float)
    d_row, d_col = row_range[1] - row_range[0], col_range[1] - col_range[0]
    n_rows, n_cols = row_range.size, col_range.size
    mid_row = (row_range[-1] + row_range[0]) / 2     # origin (0, 0), as gaussian_spatial_kernel
    mid_col = (col_range[-1] + col_range[0]) / 2
    blurred: dict[tuple[int, float], np.ndarray] = {}

    def profile(axis: int, n: int, sigma_px: float, key: float) -> np.ndarray:
        if (axis, key) not in blurred:
            blurred[(axis, key)] = _blurred_axis(n, sigma_px)
        return blurred[(axis, key)]

    indices, values, counts = [], [], []
    blind = 0
    for i in range(len(x)):
        s0, s1 = float(sigma[i][0]), float(sigma[i][1])
        done = False
        if rotation[i] == 0:
            col_p = profile(0, n_cols, s0 / d_col, s0)
            row_p = profile(1, n_rows, s1 / d_row, s1)
            if col_p.min() <= 0.0 or row_p.min() <= 0.0:   # a zero pixel: no clipping, separable
                tx = -float(y[i]) / d_row
                tx += -(0.0 - mid_row) / d_row
                ty = -float(x[i]) / d_col
                ty += -(0.0 - mid_col) / d_col
                along_cols, along_rows = _moved_axis(col_p, ty), _moved_axis(row_p, tx)
                total = abs(along_cols.sum() * along_rows.sum())
                r_idx, c_idx = np.flatnonzero(along_rows), np.flatnonzero(along_cols)
                if total == 0 or r_idx.size == 0 or c_idx.size == 0:
                    pixels, weights = np.zeros(0, dtype=np.int64), np.zeros(0)
                else:
                    pixels = (r_idx[:, None] * n_cols + c_idx[None, :]).ravel()
                    weights = (along_rows[r_idx][:, None] * along_cols[c_idx][None, :]).ravel() / total
                done = True
        if not done:
            dense = gaussian_spatial_kernel(row_range, col_range, float(x[i]), float(y[i]), (s0, s1),
                                            float(rotation[i]), allow_outside=True).ravel()
            pixels = np.flatnonzero(dense)
            weights = dense[pixels]
        blind += int(pixels.size == 0)
        indices.append(pixels)
        values.append(weights)
        counts.append(pixels.size)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    matrix = sparse.csc_matrix((np.concatenate(values) if values else np.zeros(0),
                                np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64), indptr),
                               shape=(n_rows * n_cols, len(x)))
    return matrix, blind
