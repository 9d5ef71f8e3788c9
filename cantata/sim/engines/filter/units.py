"""LGN units: linear spatio-temporal subunits plus a rectifying transfer function.

Cell types (``model_template: "lgnmodel:<type>"``, as in BMTK FilterNet):

* single-subfield units, any type name containing ``ON`` (amplitude +1) or ``OFF`` (amplitude
  -1), e.g. ``tON_TF8``, ``sOFF_TF4``: ``rate = max(s + spont_fr, 0) * 1000 / frame_rate``
  where ``s`` is the filtered movie (BMTK applies its frame-rate factor after the rectifier);
* two-subfield units ``sONsOFF_001`` / ``sONtOFF_001``: a dominant OFF subfield at ``(x, y)``
  and an ON subfield ``sf_sep`` away along ``tuning_angle``, each scaled by ``1000/frame_rate``
  and rectified around half the type's spontaneous rate, then summed.

A subunit's linear response at frame ``i`` is ``amplitude * sum_j K[j] * P[i - j]`` where ``P``
is the movie projected on the unit's Gaussian and ``K`` its temporal kernel at the frame times
(frames before the movie starts count as 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import signal

from cantata.sim.engines.filter.filters import (
    cosine_bump_kernel,
    frames_kernel,
    gaussian_spatial_kernel,
    zero_crossing,
)
from cantata.stimuli.movies import Movie

__all__ = ["TWO_SUBFIELD", "Subunit", "Unit", "eval_times", "evaluate_units", "two_subfield_unit"]

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
    unshifted kernel's positive lobe (BMTK's two-subfield construction)."""
    base = cosine_bump_kernel(weights, kpeaks, delays)[:600]
    cross = zero_crossing(base)
    lobe = float(base[:cross].sum())
    offset = peak_ms - cross
    if offset < 0:
        raise ValueError(f"the kernel crosses zero at {cross} ms, later than the type's time to peak {peak_ms} ms")
    return cosine_bump_kernel(weights, kpeaks, np.asarray(delays, dtype=float).astype(int) + offset), lobe


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


def eval_times(movie: Movie) -> np.ndarray:
    """Times (s) at which rates are reported: BMTK's frame grid from the first to the last frame."""
    t = movie.frame_times
    duration = t[-1] - t[0]
    return t[0] + np.arange(duration * movie.frame_rate + 1) * (1.0 / movie.frame_rate)


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


def linear_responses(subunits: list[Subunit], movie: Movie, *, chunk: int = 256) -> np.ndarray:
    """Filtered movie per frame for each subunit, ``[frames, n_subunits]`` (before rate scaling)."""
    n_frames = movie.n_frames
    flat = movie.data.reshape(n_frames, -1)
    lags = movie.frame_times
    out = np.empty((n_frames, len(subunits)))
    for start in range(0, len(subunits), chunk):
        part = subunits[start:start + chunk]
        spatial = np.stack([gaussian_spatial_kernel(movie.row_range, movie.col_range, s.x, s.y, s.sigma, s.rotation)
                            .ravel() for s in part], axis=1)
        temporal = np.stack([frames_kernel(s.kernel_ms, lags) * s.amplitude for s in part], axis=1)
        projected = flat @ spatial
        out[:, start:start + len(part)] = signal.fftconvolve(projected, temporal, axes=0)[:n_frames]
    return out


def evaluate_units(units: list[Unit], movie: Movie, *, downsample: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Firing rates (Hz) of every unit on the movie: ``(times in s, rates [times, units])``."""
    subunits = [s for u in units for s in u.subunits]
    owner = np.repeat(np.arange(len(units)), [len(u.subunits) for u in units])
    times = eval_times(movie)[::int(downsample)]
    linear = _sample(linear_responses(subunits, movie), movie, times)
    scale = 1000.0 / movie.frame_rate
    offsets = np.array([o for u in units for o in (u.offsets if u.per_subunit else u.offsets[:1] * len(u.subunits))])
    per_subunit = np.array([u.per_subunit for u in units])[owner]
    # two-subfield: scale, then rectify each subunit around its offset; single: rectify, then scale
    rect = np.where(per_subunit, np.maximum(linear * scale + offsets, 0.0),
                    np.maximum(linear + offsets, 0.0) * scale)
    rates = np.zeros((times.size, len(units)))
    np.add.at(rates.T, owner, rect.T)
    return times, rates
