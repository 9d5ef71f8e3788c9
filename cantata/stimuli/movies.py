"""Movies for receptive-field (FilterNet-role) models: frames ``[time, rows, cols]`` at a frame rate.

Generators follow BMTK FilterNet's movie modules so that the same config gives the same frames:
:func:`full_field_flash`, :func:`drifting_grating` (BMTK's ``graiting``), :func:`looming_disc`
(BMTK's ``looming``) and :func:`load_movie` (an ``.npy``/``.npz`` array). Times given to these
functions are in ms; frame rates in Hz. Contrast values are nominally in [-1, 1] (0 = gray).
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from cantata.errors import ConfigError, FormatError

__all__ = ["Movie", "drifting_grating", "full_field_flash", "load_movie", "looming_disc", "normalize_contrast"]


@dataclass
class Movie:
    """Frames ``data[t, row, col]`` shown at ``frame_rate`` Hz; ``row_range``/``col_range`` give
    each pixel's coordinate (pixels, or degrees for generated gratings)."""

    data: np.ndarray
    frame_rate: float
    row_range: np.ndarray
    col_range: np.ndarray

    def __post_init__(self) -> None:
        shape = np.shape(self.data)
        if len(shape) != 3 or shape[0] < 1 or shape[1] < 2 or shape[2] < 2:
            raise ValueError(f"a movie needs frames [time >= 1, rows >= 2, cols >= 2], got shape {shape}")
        if len(self.row_range) != shape[1] or len(self.col_range) != shape[2]:
            raise ValueError(f"row_range/col_range have {len(self.row_range)}/{len(self.col_range)} values for "
                             f"{shape[1]} rows and {shape[2]} columns")

    @property
    def n_frames(self) -> int:
        return int(self.data.shape[0])

    @property
    def frame_times(self) -> np.ndarray:
        """Onset of each frame in seconds."""
        return np.arange(self.n_frames) * (1.0 / self.frame_rate)

    @classmethod
    def from_array(cls, data: Any, frame_rate: float, row_range: Any = None, col_range: Any = None) -> Movie:
        """Frames ``[time, rows, cols]``; pixel coordinates default to 0, 1, 2 ... (``row_range``/
        ``col_range`` give one increasing, evenly spaced coordinate per row/column)."""
        data = np.asarray(data, dtype=float)
        if data.ndim != 3:
            raise ValueError(f"a movie needs [time, rows, cols] frames, got shape {data.shape}")
        if not (np.isfinite(frame_rate) and frame_rate > 0):
            raise ValueError(f"frame_rate must be a positive number of Hz, got {frame_rate}")
        if not np.isfinite(data).all():
            raise ValueError("the movie holds NaN or infinite values")
        ranges = []
        for name, given, n in (("row_range", row_range, data.shape[1]), ("col_range", col_range, data.shape[2])):
            if given is None:
                ranges.append(np.arange(n))
                continue
            arr = np.asarray(given, dtype=float)
            if arr.shape != (n,) or not (np.diff(arr) > 0).all():
                raise ValueError(f"{name} must hold {n} increasing coordinates (one per pixel), got {given!r}")
            ranges.append(arr)
        return cls(data, float(frame_rate), ranges[0], ranges[1])


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


#: BMTK's looming disc: radius (pixels) at which the disc starts over, growth of its squared radius per frame
LOOMING_MAX_RADIUS = 25
_LOOMING_FRAMES_PER_UNIT = 4.0 / 3.0


def looming_disc(row_size: int, col_size: int, *, t_looming: float = 1000.0, gray_screen_dur: float = 500.0,
                 frame_rate: float = 1000.0) -> Movie:
    """A dark disc (-1 on gray 0) growing from the frame centre, as BMTK's ``looming`` movie.

    ``gray_screen_dur`` ms of gray, then ``t_looming`` ms of disc (frame counts rounded).
    Looming frame ``i`` is dark where the squared distance (pixels) to the centre
    ``(row_size/2, col_size/2)`` is at most ``(i / (4/3)) mod 25**2``. Pixel coordinates run
    from 0 to ``row_size`` (``col_size``) in ``row_size`` (``col_size``) evenly spaced steps.
    """
    for name, value in (("row_size", row_size), ("col_size", col_size)):
        if isinstance(value, bool) or int(value) != value or value < 2:
            raise ValueError(f"looming {name} must be a whole number of pixels >= 2, got {value}")
    if not (frame_rate > 0 and t_looming >= 0 and gray_screen_dur >= 0):
        raise ValueError("looming needs frame_rate > 0, t_looming >= 0 and gray_screen_dur >= 0, got "
                         f"{frame_rate}, {t_looming}, {gray_screen_dur}")
    rows, cols, fr = int(row_size), int(col_size), float(frame_rate)
    n_loom = int(round(fr * t_looming / 1000.0))
    n_gray = int(round(fr * gray_screen_dur / 1000.0))
    if n_loom + n_gray == 0:
        raise ValueError("the looming movie would have no frame (t_looming and gray_screen_dur too short)")
    rr, cc = np.mgrid[:rows, :cols]
    squared = (rr - rows / 2) ** 2 + (cc - cols / 2) ** 2
    reach = (np.arange(n_loom) / _LOOMING_FRAMES_PER_UNIT) % (LOOMING_MAX_RADIUS ** 2)
    data = np.zeros((n_gray + n_loom, rows, cols))
    data[n_gray:] = -(squared[None, :, :] <= reach[:, None, None]).astype(float)
    return Movie(data, fr, np.linspace(0, rows, rows), np.linspace(0, cols, cols))


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
               flip_y: bool = False, row_range: Any = None, col_range: Any = None,
               key: str = "data_file") -> Movie:
    """A movie from an ``.npy`` (or first array of an ``.npz``) file of shape ``[time, rows, cols]``.

    ``normalize`` as :func:`normalize_contrast` (applied before ``flip_y``, as BMTK does);
    ``row_range``/``col_range`` as :meth:`Movie.from_array`. Errors name ``key``.
    """
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
    if raw.shape[0] == 0 or raw.shape[1] == 0 or raw.shape[2] == 0:
        raise FormatError("the movie has no frames or no pixels", file=path, key=key,
                          expected="shape [time >= 1, rows >= 1, cols >= 1]", found=str(raw.shape))
    data = np.asarray(raw, dtype=float)
    if not np.isfinite(data).all():
        raise FormatError("the movie holds NaN or infinite values", file=path, key=key, expected="finite numbers")
    try:
        if normalize:
            data = normalize_contrast(data, normalize)
        if flip_y:
            data = data[:, ::-1, :]
        return Movie.from_array(data, frame_rate, row_range, col_range)
    except ValueError as exc:
        raise ConfigError(str(exc), file=path, key=key) from None
