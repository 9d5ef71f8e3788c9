"""Movies for receptive-field (FilterNet-role) models: frames ``[time, rows, cols]`` at a frame rate.

Generators follow BMTK FilterNet's movie modules so that the same config gives the same frames:
:func:`full_field_flash`, :func:`drifting_grating` (BMTK's ``graiting``), and :func:`load_movie`
(an ``.npy``/``.npz`` array). Times given to these functions are in ms, as in configs; frame
rates in Hz. Contrast values are nominally in [-1, 1] (0 = gray).
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from cantata.errors import ConfigError, FormatError

__all__ = ["Movie", "drifting_grating", "full_field_flash", "load_movie", "normalize_contrast"]


@dataclass
class Movie:
    """Frames ``data[t, row, col]`` shown at ``frame_rate`` Hz; ``row_range``/``col_range`` give
    each pixel's coordinate (pixels, or degrees for generated gratings)."""

    data: np.ndarray
    frame_rate: float
    row_range: np.ndarray
    col_range: np.ndarray

    @property
    def n_frames(self) -> int:
        return int(self.data.shape[0])

    @property
    def frame_times(self) -> np.ndarray:
        """Onset of each frame in seconds."""
        return np.arange(self.n_frames) * (1.0 / self.frame_rate)

    @classmethod
    def from_array(cls, data: Any, frame_rate: float) -> Movie:
        data = np.asarray(data, dtype=float)
        if data.ndim != 3:
            raise ValueError(f"a movie needs [time, rows, cols] frames, got shape {data.shape}")
        return cls(data, float(frame_rate), np.arange(data.shape[1]), np.arange(data.shape[2]))


def _frame_grid(t_max_s: float, frame_rate: float) -> np.ndarray:
    """Frame times 0, 1/fr, ... up to ``t_max_s`` (inclusive when it falls on a frame), in s."""
    return np.arange(t_max_s * frame_rate + 1) * (1.0 / frame_rate)


def full_field_flash(row_size: int, col_size: int, t_on: float, t_off: float, t_max: float, *,
                     max_intensity: float = 1.0, frame_rate: float = 24.0) -> Movie:
    """Gray (0) screen with every pixel at ``max_intensity`` for ``t_on <= t < t_off`` (ms), up
    to ``t_max`` (ms)."""
    if not t_on < t_off:
        raise ValueError(f"full_field_flash needs t_on < t_off, got t_on={t_on}, t_off={t_off}")
    times = _frame_grid(t_max / 1000.0, float(frame_rate))
    on = (times >= t_on / 1000.0) & (times < t_off / 1000.0)
    level = np.where(on, float(max_intensity), 0.0)
    data = np.broadcast_to(level[:, None, None], (times.size, int(row_size), int(col_size))).copy()
    return Movie(data, float(frame_rate), np.arange(int(row_size)), np.arange(int(col_size)))


def drifting_grating(row_size: float, col_size: float, t_max: float, *, frame_rate: float = 1000.0,
                     gray_screen_dur: float = 0.0, cpd: float = 0.05, temporal_f: float = 4.0,
                     theta: float = 45.0, phase: float = 0.0, contrast: float = 1.0,
                     degrees_per_pixel: float | None = None, y_dir: str = "down") -> Movie:
    """Sinusoidal grating drifting at ``temporal_f`` Hz, ``cpd`` cycles/degree, orientation
    ``theta`` and phase ``phase`` (degrees), after ``gray_screen_dur`` ms of gray, until ``t_max`` ms.

    The screen is ``row_size`` x ``col_size`` degrees sampled every ``degrees_per_pixel``
    (default ``1 / (10 cpd)``).
    """
    if not 0.0 <= contrast <= 1.0:
        raise ValueError(f"grating contrast must be within [0, 1], got {contrast}")
    if y_dir not in ("up", "down"):
        raise ValueError(f"y_dir must be 'up' or 'down', got {y_dir!r}")
    fr = float(frame_rate)
    t_max_s, gray_s = t_max / 1000.0, gray_screen_dur / 1000.0
    dpp = 1.0 / (float(cpd) * 10) if degrees_per_pixel is None else float(degrees_per_pixel)
    rows = np.linspace(0, row_size, int(row_size / dpp), endpoint=True)
    cols = np.linspace(0, col_size, int(col_size / dpp), endpoint=True)
    n_frames = round(fr * (t_max_s - gray_s)) + 1
    times = np.linspace(0, t_max_s - gray_s, n_frames, endpoint=True)
    tt, yy, xx = np.meshgrid(times, rows, cols, indexing="ij")
    theta_rad = np.deg2rad(theta if y_dir == "up" else -theta)
    along = xx * np.cos(theta_rad) + yy * np.sin(theta_rad)
    data = contrast * np.sin(2 * np.pi * (cpd * along - temporal_f * tt) + np.deg2rad(phase))
    if gray_s > 0:
        gray = np.zeros((_frame_grid(gray_s, fr).size, rows.size, cols.size))
        data = np.concatenate([gray, data[1:]])  # the grating's first frame is dropped, as in BMTK
    return Movie(data, fr, rows, cols)


def normalize_contrast(data: np.ndarray, domain: Any = True) -> np.ndarray:
    """Map movie values onto [-1, 1] contrast.

    ``domain=[lo, hi]`` maps that range; otherwise the range is guessed: [0, 1] and [0, 255]
    are mapped, data already within [-1, 1] is kept, anything else uses its own min and max.
    """
    if isinstance(domain, (list, tuple, np.ndarray)):
        if len(domain) != 2 or not domain[0] < domain[1]:
            raise ValueError(f"normalize needs [min_contrast, max_contrast] with min < max, got {list(domain)}")
        lo, hi = float(domain[0]), float(domain[1])
        if data.min() < lo or data.max() > hi:
            raise ValueError(f"movie values [{data.min()}, {data.max()}] fall outside normalize range [{lo}, {hi}]")
    else:
        lo, hi = float(data.min()), float(data.max())
        if lo >= 0.0 and hi <= 1.0:
            lo, hi = 0.0, 1.0
        elif lo >= -1.0 and hi <= 1.0:
            return data
        elif lo >= 0 and hi < 256:
            lo, hi = 0.0, 255.0
    if lo == hi:
        raise ValueError("cannot normalize a movie whose values are all equal; give normalize=[min, max]")
    return (data - lo) * 2.0 / (hi - lo) - 1.0


def load_movie(path: str | PathLike[str], frame_rate: float, *, normalize: Any = False,
               flip_y: bool = False, key: str = "data_file") -> Movie:
    """A movie from an ``.npy`` (or first array of an ``.npz``) file of shape ``[time, rows, cols]``."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("movie file not found", file=path, key=key, expected="an existing .npy file", found=str(path))
    try:
        raw = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise FormatError(f"cannot read movie: {exc}", file=path, key=key, expected="a numpy .npy/.npz array") from None
    if isinstance(raw, np.lib.npyio.NpzFile):
        names = list(raw.files)
        if not names:
            raise FormatError("the .npz file holds no array", file=path, key=key)
        raw = raw[names[0]]
    if raw.ndim != 3 or not np.issubdtype(raw.dtype, np.number):
        raise FormatError("movie array has the wrong shape", file=path, key=key,
                          expected="numbers of shape [time, rows, cols]", found=f"{raw.dtype} {raw.shape}")
    data = np.asarray(raw, dtype=float)
    if normalize:
        data = normalize_contrast(data, normalize)
    if flip_y:
        data = data[:, ::-1, :]
    return Movie.from_array(data, frame_rate)
