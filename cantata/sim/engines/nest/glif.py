"""Allen Institute GLIF parameter files mapped onto NEST's ``glif_psc`` / ``glif_cond`` models.

Allen Cell Types Database GLIF models (``neuron_config.json``) use SI units and describe the
model level by its methods; NEST has one model per synapse kind with three switches. The
mapping (also in docs/engines/nest.md):

==========================  =====================================================  ========
NEST parameter              from the Allen file                                    unit
==========================  =====================================================  ========
E_L, V_m (initial)          (El + El_reference) * 1e3                              mV
V_th                        (th_inf * coeffs.th_inf + El_reference) * 1e3          mV
g                           coeffs.G / R_input * 1e9                               nS
C_m                         C * coeffs.C * 1e12                                    pF
t_ref                       spike_cut_length * dt * 1e3                            ms
V_reset (no ``_r``)         El_reference * 1e3                                     mV
th_spike_add (``_r``)       threshold_dynamics_method.params.a_spike * 1e3         mV
th_spike_decay (``_r``)     threshold_dynamics_method.params.b_spike * 1e-3        1/ms
voltage_reset_fraction      voltage_reset_method.params.a                          -
voltage_reset_add           voltage_reset_method.params.b * 1e3                    mV
asc_init (``_asc``)         init_AScurrents * 1e12                                 pA
asc_decay                   1 / asc_tau_array * 1e-3                               1/ms
asc_amps                    asc_amp_array * coeffs.asc_amp_array * 1e12            pA
asc_r                       AScurrent_reset_method.params.r (default 1 each)       -
th_voltage_index (``_a``)   threshold_dynamics_method.params.a_voltage * coeffs.a  1/ms
                            * 1e-3
th_voltage_decay (``_a``)   threshold_dynamics_method.params.b_voltage * coeffs.b  1/ms
                            * 1e-3
tau_syn (``glif_psc``)      the file's ``tau_syn`` or 5.5, 8.5, 2.8, 5.8 (BMTK's)  ms
==========================  =====================================================  ========

The level comes from the template name (``nest:glif_lif_r_asc_psc`` ...: BMTK's names) or, for
``nest:glif_psc``/``nest:glif_cond``, from the file's methods. Keys of the file that are NEST
parameters of the target model (``tau_syn``, ``E_rev``, ``V_m`` ...) are passed on unchanged.
Note that NEST's GLIF models take spikes on receptor ports 1..len(tau_syn), not 0: give edges
a ``receptor_type``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["GLIF_LEVELS", "allen_to_nest", "glif_target", "is_allen_glif"]

#: level name -> (spike_dependent_threshold, after_spike_currents, adapting_threshold)
GLIF_LEVELS: dict[str, tuple[bool, bool, bool]] = {
    "lif": (False, False, False),
    "lif_r": (True, False, False),
    "lif_asc": (False, True, False),
    "lif_r_asc": (True, True, False),
    "lif_r_asc_a": (True, True, True),
}
BMTK_TAU_SYN = (5.5, 8.5, 2.8, 5.8)
_ALLEN_KEYS = {"El_reference", "R_input", "C", "th_inf", "coeffs", "spike_cut_length", "dt"}


def is_allen_glif(params: Mapping[str, Any]) -> bool:
    """True for an Allen GLIF ``neuron_config`` dict (SI units, ``coeffs`` ...)."""
    return _ALLEN_KEYS <= set(params)


def glif_target(model: str) -> tuple[str, str | None]:
    """NEST model and GLIF level of a template name: ``glif_lif_r_psc`` -> (``glif_psc``, ``lif_r``).

    Names without a level (``glif_psc``) give level None (read it from the file); names that
    are not GLIF aliases come back unchanged with level None.
    """
    if not model.startswith("glif_lif"):
        return model, None
    base = model[len("glif_"):]
    kind = "glif_psc"
    for suffix, nest_model in (("_psc", "glif_psc"), ("_cond", "glif_cond")):
        if base.endswith(suffix):
            base, kind = base[: -len(suffix)], nest_model
            break
    if base not in GLIF_LEVELS:
        return model, None
    return kind, base


def level_from_methods(params: Mapping[str, Any]) -> str:
    """The GLIF level an Allen file describes, from its threshold, reset and current methods."""
    threshold = str(_method(params, "threshold_dynamics_method").get("name", "inf"))
    reset = str(_method(params, "voltage_reset_method").get("name", "zero"))
    currents = str(_method(params, "AScurrent_dynamics_method").get("name", "none"))
    level = "lif"
    if threshold in ("spike_component", "three_components_exact", "three_components_forward") or reset == "v_before":
        level += "_r"
    if currents not in ("none", ""):
        level += "_asc"
    if threshold.startswith("three_components"):
        level += "_a"
    return level if level in GLIF_LEVELS else "lif_r_asc_a"


def _method(params: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = params.get(key) or {}
    return value if isinstance(value, dict) else {}


def allen_to_nest(params: Mapping[str, Any], nest_model: str, level: str | None,
                  nest_keys: set[str]) -> dict[str, Any]:
    """NEST parameters for ``nest_model`` from an Allen GLIF file; raises KeyError naming a
    missing Allen key (the caller turns it into a message naming the file)."""
    level = level or level_from_methods(params)
    spike_th, asc, adapting = GLIF_LEVELS[level]
    coeffs = params["coeffs"]
    el_ref = float(params["El_reference"])
    e_l = (float(params.get("El", 0.0)) + el_ref) * 1e3
    out: dict[str, Any] = {
        "E_L": e_l,
        "V_m": e_l,
        "V_th": (float(params["th_inf"]) * float(coeffs.get("th_inf", 1.0)) + el_ref) * 1e3,
        "g": float(coeffs.get("G", 1.0)) / float(params["R_input"]) * 1e9,
        "C_m": float(params["C"]) * float(coeffs.get("C", 1.0)) * 1e12,
        "t_ref": float(params["spike_cut_length"]) * float(params["dt"]) * 1e3,
        "spike_dependent_threshold": spike_th,
        "after_spike_currents": asc,
        "adapting_threshold": adapting,
    }
    if spike_th:
        threshold = _method(params, "threshold_dynamics_method")["params"]
        reset = _method(params, "voltage_reset_method")["params"]
        out["th_spike_add"] = float(threshold["a_spike"]) * 1e3
        out["th_spike_decay"] = float(threshold["b_spike"]) * 1e-3
        out["voltage_reset_fraction"] = float(reset["a"])
        out["voltage_reset_add"] = float(reset["b"]) * 1e3
    else:
        out["V_reset"] = el_ref * 1e3
    if asc:
        taus = np.asarray(params["asc_tau_array"], dtype=float)
        amps = np.asarray(params["asc_amp_array"], dtype=float)
        amp_coeffs = np.asarray(coeffs.get("asc_amp_array", np.ones_like(amps)), dtype=float)
        out["asc_init"] = (np.asarray(params.get("init_AScurrents", np.zeros_like(amps)), dtype=float) * 1e12).tolist()
        out["asc_decay"] = (1.0 / taus * 1e-3).tolist()
        out["asc_amps"] = (amps * amp_coeffs * 1e12).tolist()
        r = _method(params, "AScurrent_reset_method").get("params", {}).get("r")
        out["asc_r"] = [float(v) for v in r] if isinstance(r, list) and len(r) == len(taus) else [1.0] * len(taus)
    if adapting:
        threshold = _method(params, "threshold_dynamics_method")["params"]
        out["th_voltage_index"] = float(threshold["a_voltage"]) * float(coeffs.get("a", 1.0)) * 1e-3
        out["th_voltage_decay"] = float(threshold["b_voltage"]) * float(coeffs.get("b", 1.0)) * 1e-3
    if nest_model == "glif_psc":
        out["tau_syn"] = list(BMTK_TAU_SYN)
    # NEST parameters written in the file itself win
    for key, value in params.items():
        if key in nest_keys and key not in _ALLEN_KEYS:
            out[key] = value
    return out
