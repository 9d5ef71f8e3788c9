"""LGN units: linear spatio-temporal subunits plus a rectifying transfer function.

Unit kinds (built by :mod:`~cantata.sim.engines.filter.cells` from BMTK FilterNet's types):

* single subfield (``tON_TF8``, ``sOFF_TF4`` ...): amplitude +1 (ON) or -1 (OFF). Rate
  ``max(s + spont_fr, 0) * 1000 / frame_rate``, ``s`` the filtered movie: BMTK applies its
  frame-rate factor after the rectifier, except in separable evaluation where it comes first,
  ``max(s * 1000 / frame_rate + spont_fr, 0)``;
* two subfields (``sONsOFF_001`` / ``sONtOFF_001``): a dominant OFF subfield at ``(x, y)``
  and an ON subfield ``sf_sep`` away along ``tuning_angle``, each scaled by ``1000/frame_rate``
  and rectified around half the type's spontaneous rate, then summed;
* ``LGNOnOFFCell``: ON (amplitude +20) and OFF (-20) Gaussians at ``(x, y)`` sharing one
  temporal filter, each scaled by ``1000/frame_rate`` and rectified at 0, then summed.

A subunit's linear response at frame ``i`` is ``amplitude * sum_j K[j] * P[i - j]`` where ``P``
is the movie projected on the unit's Gaussian and ``K`` its temporal kernel at the frame times
(frames before the movie starts count as 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import signal

from cantata.sim.engines.filter.filters import (
    cached_cosine_bump_kernel,
    frames_kernel,
    spatial_kernels,
    zero_crossing,
)
from cantata.sim.runlog import log
from cantata.stimuli.movies import Movie

__all__ = ["TWO_SUBFIELD", "Evaluation", "Subunit", "Unit", "eval_times", "evaluate_units", "on_off_unit",
           "two_subfield_unit"]

#: type -> (spont, max OFF rate, max ON rate, OFF scale, ON time-to-peak, OFF time-to-peak); BMTK's constants
TWO_SUBFIELD: dict[str, tuple[float, float, float, float, float, float]] = {
    "sonsoff": (4.0, 35.0, 21.0, 1.0, 121.0, 115.0),
    "sontoff": (5.5, 46.0, 31.0, 0.7, 93.5, 64.8),
}


@dataclass
class Subunit:
    """One linear filter: Gaussian at ``(x, y)`` with ``sigma`` (movie units), kernel (1 ms steps)."""

    x: float
    y: float
    sigma: tuple[float, float]
    kernel_ms: np.ndarray
    amplitude: float
    rotation: float = 0.0


@dataclass
class Unit:
    """A cell: its subunits and the offsets of its rectifier (one per subunit, or one in all)."""

    subunits: list[Subunit]
    offsets: list[float] = field(default_factory=list)
    #: True: rectify each subunit (two-subfield); False: one rectifier on the single subunit
    per_subunit: bool = False


def _shifted_filter(weights, kpeaks, delays, peak_ms: float) -> tuple[np.ndarray, float]:
    """Kernel whose zero crossing is moved to ``peak_ms`` by extra delay, and the sum of the
    unshifted kernel's positive lobe (BMTK's two-subfield construction: the extra delay is
    added to the given delays before they are truncated to whole ms)."""
    base = cached_cosine_bump_kernel(weights, kpeaks, delays)[:600]
    cross = zero_crossing(base)
    lobe = float(base[:cross].sum())
    offset = peak_ms - cross
    if offset < 0:
        raise ValueError(f"the kernel crosses zero at {cross} ms, later than the type's time to peak {peak_ms} ms")
    return cached_cosine_bump_kernel(weights, kpeaks, np.asarray(delays, dtype=float) + offset), lobe


def two_subfield_unit(kind: str, x: float, y: float, sigma: tuple[float, float], rotation: float,
                      dominant: tuple, non_dominant: tuple, sf_sep: float, tuning_angle: float) -> Unit:
    """A ``sONsOFF``/``sONtOFF`` unit; ``dominant``/``non_dominant`` are (weights, kpeaks, delays)."""
    spont, max_off, max_on, off_scale, on_peak, off_peak = TWO_SUBFIELD[kind]
    on_kernel, on_sum = _shifted_filter(*non_dominant, on_peak)
    off_kernel, off_sum = _shifted_filter(*dominant, off_peak)
    amp_on = 1.0
    amp_off = -off_scale * (max_off / max_on) * (on_sum / off_sum) * amp_on \
        - (spont * (max_off - max_on)) / (max_on * off_sum)
    angle = tuning_angle * np.pi / 180.0
    on_x = np.cos(angle) * sf_sep + x
    on_y = np.sin(angle) * sf_sep + y
    return Unit(
        [Subunit(x, y, sigma, off_kernel, amp_off, rotation), Subunit(on_x, on_y, sigma, on_kernel, amp_on, rotation)],
        [0.5 * spont, 0.5 * spont], per_subunit=True,
    )


DENSE_FRACTION = 0.05    # spatial kernels covering more of the frame than this: dense projection
FFT_NOISE_FLOOR = 1e-13  # relative to sum|K| * max|P|: responses below it are FFT rounding (set to 0)
ON_OFF_AMPLITUDE = 20.0  # BMTK's LGNOnOFFCell: +20 for the ON, -20 for the OFF Gaussian


def on_off_unit(x: float, y: float, sigma_on: tuple[float, float], sigma_off: tuple[float, float],
                temporal: tuple) -> Unit:
    """An ``LGNOnOFFCell``: ON and OFF Gaussians (sigmas as given, in movie units) at ``(x, y)``
    with one temporal filter ``temporal = (weights, kpeaks, delays)``, no spontaneous rate."""
    kernel = cached_cosine_bump_kernel(*temporal)
    return Unit([Subunit(x, y, tuple(sigma_on), kernel, ON_OFF_AMPLITUDE),
                 Subunit(x, y, tuple(sigma_off), kernel, -ON_OFF_AMPLITUDE)], [0.0, 0.0], per_subunit=True)


@dataclass(frozen=True)
class Evaluation:
    """BMTK's ``evaluation_options``: ``separable`` evaluation (every frame, no options), or
    rates sampled from ``t_min`` to ``t_max`` (s, default: the movie's first and last frame)
    keeping every ``downsample``-th sample."""

    downsample: int = 1
    separable: bool = False
    t_min: float | None = None
    t_max: float | None = None


def eval_times(movie: Movie, t_min: float | None = None, t_max: float | None = None) -> np.ndarray:
    """Times (s) at which rates are reported: BMTK's grid ``t_min + k / frame_rate`` up to
    ``t_max`` (defaults: the first and last frame)."""
    t = movie.frame_times
    t_min = t[0] if t_min is None else t_min
    t_max = t[-1] if t_max is None else t_max
    return t_min + np.arange((t_max - t_min) * movie.frame_rate + 1) * (1.0 / movie.frame_rate)


def _sample(frames_response: np.ndarray, movie: Movie, times: np.ndarray) -> np.ndarray:
    """Per-frame responses ``[frames, n]`` read at ``times``: the frame when ``t`` is on one
    (within 1e-12 s), linear interpolation between frames otherwise, 0 outside the movie."""
    fr = movie.frame_rate
    t_frames = movie.frame_times
    ti = times * fr
    lo, hi = np.floor(ti).astype(np.int64), np.ceil(ti).astype(np.int64)
    t_lo, t_hi = lo / fr, hi / fr
    n = frames_response.shape[0]
    lo_c, hi_c = np.clip(lo, 0, n - 1), np.clip(hi, 0, n - 1)
    on_lo = np.abs(t_lo - times) < 1e-12
    on_hi = ~on_lo & (np.abs(t_hi - times) < 1e-12)
    with np.errstate(invalid="ignore", divide="ignore"):
        wa = 1 - (times - t_lo) / (t_hi - t_lo)
        wb = 1 - (t_hi - times) / (t_hi - t_lo)
        between = frames_response[lo_c] * wa[:, None] + frames_response[hi_c] * wb[:, None]
    out = np.where(on_lo[:, None], frames_response[lo_c], np.where(on_hi[:, None], frames_response[hi_c], between))
    outside = (times < t_frames[0]) | (times > t_frames[-1])
    out[outside] = 0.0
    return out


def _transposed(a: np.ndarray, block: int = 512) -> np.ndarray:
    """``a.T`` as a C-contiguous copy, by column blocks (several times faster than one copy on
    large movies)."""
    out = np.empty((a.shape[1], a.shape[0]), dtype=a.dtype)
    for i in range(0, a.shape[1], block):
        out[i:i + block] = a[:, i:i + block].T
    return out


def linear_responses(subunits: list[Subunit], movie: Movie, *, chunk: int = 1024) -> np.ndarray:
    """Filtered movie per frame for each subunit, ``[frames, n_subunits]`` (before rate scaling).

    Per chunk of subunits: the spatial kernels as one sparse matrix, the movie projected on
    them (a sparse product when the kernels cover little of the frame, else a dense one), then
    one FFT convolution with the temporal kernels along time.
    """
    n_frames = movie.n_frames
    flat = movie.data.reshape(n_frames, -1)
    flat_t: np.ndarray | None = None    # pixel-major copy, made once if a sparse product is used
    lags = movie.frame_times
    out = np.empty((n_frames, len(subunits)))
    blind = 0
    for start in range(0, len(subunits), chunk):
        part = subunits[start:start + chunk]
        spatial, n_blind = spatial_kernels(movie.row_range, movie.col_range, np.array([s.x for s in part]),
                                           np.array([s.y for s in part]), np.array([s.sigma for s in part]),
                                           np.array([s.rotation for s in part]))
        blind += n_blind
        if spatial.nnz > DENSE_FRACTION * flat.shape[1] * len(part):
            projected = flat @ spatial.toarray()
        else:
            if flat_t is None:
                flat_t = _transposed(flat)
            projected = np.asarray((spatial.T.tocsr() @ flat_t).T)
        temporal = np.stack([frames_kernel(s.kernel_ms, lags) * s.amplitude for s in part], axis=1)
        support = np.flatnonzero(temporal.any(axis=1))
        temporal = temporal[:support[-1] + 1 if support.size else 1]   # the FFT need not cover the zero tail
        response = signal.fftconvolve(projected, temporal, axes=0)[:n_frames]
        # FFT rounding leaves ~1e-16 of the largest possible response where the input is 0 (gray):
        # below 1e-13 of that bound a response is rounding noise and becomes exactly 0, as BMTK's sums give
        bound = np.abs(temporal).sum(axis=0) * np.abs(projected).max(axis=0, initial=0.0)
        response[np.abs(response) <= FFT_NOISE_FLOOR * bound] = 0.0
        out[:, start:start + len(part)] = response
    if blind:
        log.warning("%d receptive field(s) lie entirely outside the movie frame; as in BMTK they see nothing "
                    "(their units stay at their spontaneous rate)", blind)
    return out


def evaluate_units(units: list[Unit], movie: Movie, options: Evaluation | None = None, *,
                   downsample: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Firing rates (Hz) of every unit on the movie: ``(times in s, rates [times, units])``."""
    options = options or Evaluation()
    if downsample is not None:
        options = Evaluation(int(downsample), options.separable, options.t_min, options.t_max)
    subunits = [s for u in units for s in u.subunits]
    owner = np.repeat(np.arange(len(units)), [len(u.subunits) for u in units])
    frames = linear_responses(subunits, movie)
    if options.separable:
        times, linear = np.arange(movie.n_frames) / movie.frame_rate, frames  # BMTK's separable grid
    else:
        times = eval_times(movie, options.t_min, options.t_max)[::int(options.downsample)]
        linear = _sample(frames, movie, times)
    scale = 1000.0 / movie.frame_rate
    offsets = np.array([o for u in units for o in (u.offsets if u.per_subunit else u.offsets[:1] * len(u.subunits))])
    per_subunit = np.array([u.per_subunit for u in units])[owner]
    # per subunit (two-subfield, ON/OFF): scale, then rectify around its offset. Single units:
    # rectify, then scale (BMTK's non-separable order) or scale, then rectify (separable)
    scaled_first = np.maximum(linear * scale + offsets, 0.0)
    if options.separable:
        rect = scaled_first
    else:
        rect = np.where(per_subunit, scaled_first, np.maximum(linear + offsets, 0.0) * scale)
    rates = np.zeros((times.size, len(units)))
    np.add.at(rates.T, owner, rect.T)
    return times, rates
