"""DiPDE's ``InternalPopulation`` parameters (a node type's ``dynamics_params``), checked.

Units are DiPDE's: volts and seconds. ``tau_m``, ``v_min``, ``v_max`` and ``dv`` are required;
the other keys DiPDE takes are accepted with DiPDE's defaults (``record`` true,
``curr_firing_rate`` 0, ``update_method`` ``approx``, ``tol`` 1e-12); keys DiPDE keeps as
metadata are allowed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cantata.errors import SimulationError
from cantata.sim.engines.population.density import Grid
from cantata.sim.runlog import log

__all__ = ["REQUIRED", "InternalParams"]

REQUIRED = ("tau_m", "v_min", "v_max", "dv")
UPDATE_METHODS = ("approx", "exact")
_MAX_BINS = 1_000_000


@dataclass(frozen=True)
class InternalParams:
    """Checked parameters of one internal population."""

    tau_m: float
    grid: Grid
    record: bool = True
    initial_rate: float = 0.0
    tol: float = 1e-12

    @classmethod
    def parse(cls, params: Mapping[str, Any], *, file: Any = None, key: str = "dynamics_params") -> InternalParams:
        """Check ``params`` (a ``dynamics_params`` dict); errors name ``file`` and ``key``."""
        missing = [name for name in REQUIRED if name not in params]
        if missing:
            raise SimulationError("dynamics_params of a dipde:Internal population lacks required keys", file=file,
                                  key=key, expected=f"all of {', '.join(REQUIRED)} (volts, seconds)",
                                  found=f"missing {', '.join(missing)}; has {sorted(params) or 'no keys'}")

        def number(name: str, default: float | None = None) -> float:
            value = params.get(name, default)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise SimulationError("must be a finite number", file=file, key=f"{key}.{name}", found=value)
            return float(value)

        tau_m, v_min, v_max, dv = (number(name) for name in REQUIRED)
        if tau_m <= 0:
            raise SimulationError("tau_m must be positive", file=file, key=f"{key}.tau_m",
                                  expected="a time constant > 0 (s)", found=tau_m)
        if dv <= 0:
            raise SimulationError("dv must be positive", file=file, key=f"{key}.dv", expected="a bin width > 0 (V)",
                                  found=dv)
        if not v_min <= 0.0 < v_max:
            raise SimulationError("the voltage range must hold the reset potential 0", file=file,
                                  key=f"{key}.v_min/v_max", expected="v_min <= 0 < v_max (V)",
                                  found=f"v_min={v_min}, v_max={v_max}")
        bins = (v_max - v_min) / dv
        if abs(bins - round(bins)) > 1e-6 * max(1.0, bins):
            raise SimulationError("dv must divide the voltage range v_max - v_min into whole bins", file=file,
                                  key=f"{key}.dv", expected=f"a divisor of {v_max - v_min:g}",
                                  found=f"dv={dv} gives {bins:.4f} bins")
        if round(bins) < 2 or round(bins) > _MAX_BINS:
            raise SimulationError("the voltage grid has too few or too many bins", file=file, key=f"{key}.dv",
                                  expected=f"2 to {_MAX_BINS} bins", found=round(bins))
        if v_max > 1.0:
            log.warning("%s: v_max = %g V; DiPDE's voltages are in volts (20 mV is 0.02)", key, v_max)

        method = params.get("update_method", "approx")
        if method not in UPDATE_METHODS:
            raise SimulationError("unknown update_method", file=file, key=f"{key}.update_method",
                                  expected=" or ".join(UPDATE_METHODS), found=method)
        if params.get("approx_order") is not None:
            log.debug("%s: approx_order is not used: every step is computed to tol", key)
        tol = number("tol", 1e-12)
        if not 0 < tol < 1:
            raise SimulationError("tol must be between 0 and 1", file=file, key=f"{key}.tol", found=tol)
        rate_key = "curr_firing_rate" if "curr_firing_rate" in params else "initial_firing_rate"
        initial = number(rate_key, 0.0)
        if initial < 0:
            raise SimulationError("a firing rate cannot be negative", file=file, key=f"{key}.{rate_key}",
                                  found=initial)
        record = params.get("record", True)
        if not isinstance(record, bool) and record in (0, 1):  # HDF5 keeps booleans as 0/1
            record = bool(record)
        if not isinstance(record, bool):
            raise SimulationError("must be true or false", file=file, key=f"{key}.record", found=record)
        return cls(tau_m=tau_m, grid=Grid(v_min, v_max, dv), record=record, initial_rate=initial, tol=tol)
