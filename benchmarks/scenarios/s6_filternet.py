"""S6, FilterNet: an LGN network of 2,000 units of ten types on a 120 x 240 drifting grating.

The network, the filters and the config are written once by ``benchmarks/filter_network.py``
into the scenario's work folder; both sides read the same files.

* ``filternet_bmtk``: Cantata's filternet engine (``benchmarks/filter_lgn.py``, what
  ``cantata run`` does) vs BMTK 1.2 FilterNet (``.venv-peers``, ``benchmarks/filter_lgn_bmtk.py``,
  BMTK's standard run script) on the same config (only the output folder differs). Phases:
  build (imports, config, network, movie, units), rates (evaluation, spikes, the rates and spike
  files), total. Target: Cantata at least 2 times faster in total (throughput C/P >= 2) at no
  more memory (the peak RSS row's ratio at most 1).

Both write the rates of every unit at every frame; they must agree sample by sample to 1e-9
relative (:func:`benchmarks.filter_rates.compare_rates`, the rule of
tests/test_filternet_reference.py). Spikes are Poisson draws from different generators (BMTK's
unseeded), so only the rates are compared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.cpu_scripts import cpu_script_side
from benchmarks.filter_network import SIZES, TYPES
from benchmarks.scripts import modules_missing
from benchmarks.spec import PEERS_ENV, Pair, Scenario

#: The scripts, by side.
CANTATA, BMTK = "benchmarks.filter_lgn", "benchmarks.filter_lgn_bmtk"
CHECKS = ("n_units", "n_times", "rates_sum", "rates_weighted", "rates_h5")
PHASES = ("build", "rates", "total")
#: Speed target: minimum throughput C/P of the ``total`` phase.
BMTK_TARGET = 2.0
REQUIRES = ("cantata.sim.engines.filter",)
WORK = ("--work", "{workdir}")


def prepare(params: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Write the network, filters and config once (``benchmarks/filter_network.py``)."""
    from benchmarks.filter_network import ensure

    return {"info": ensure(workdir, params["size"])}


def agree(cantata: dict[str, Any], peer: dict[str, Any]) -> str | None:
    """Equal counts, and every rate sample equal to 1e-9 relative (read from both rates files)."""
    from benchmarks.filter_rates import compare_rates

    return compare_rates(cantata, peer)


def pairs(params: dict[str, Any]) -> list[Pair]:
    dims = SIZES[params["size"]]
    return [
        Pair("filternet_bmtk",
             cpu_script_side("Cantata", CANTATA, args=WORK, check_keys=CHECKS, requires=REQUIRES),
             # BMTK writes into an existing output folder or deletes it: start each run without it.
             cpu_script_side("BMTK", BMTK, env=PEERS_ENV, args=WORK, check_keys=CHECKS, clean=("bmtk_output",)),
             phases=PHASES, agree=agree, min_throughput={"total": BMTK_TARGET},
             description=f"{dims['per_type'] * len(TYPES):,} LGN units of {len(TYPES)} types, {dims['rows']} x "
                         f"{dims['cols']} drifting grating at 1000 Hz, {dims['tstop']:g} ms: Cantata vs BMTK FilterNet"),
    ]


SCENARIO = Scenario(
    name="s6", title="S6 FilterNet (LGN units on a movie)",
    description="2,000 LGN filter units on a 120 x 240 grating: Cantata's filternet engine vs BMTK FilterNet",
    sizes={name: {} for name in SIZES}, pairs=pairs, prepare=f"{__name__}:prepare",
    available=lambda: modules_missing(*REQUIRES, "benchmarks.filter_network"), timeout=900.0,
)
