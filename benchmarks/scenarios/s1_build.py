"""S1, network build: Cantata's builder against BMTK's, on the same network description.

The sides are the build engineer's scripts (each prints its phases and counts as JSON):

* ``build_10k``: 10,000 point cells with p = 0.01 plus 500 virtual inputs (about 1.5M edges),
  built and saved as SONATA: ``benchmarks/build_10k.py`` vs ``benchmarks/build_10k_bmtk.py``
  (BMTK's ``iterator='one_to_all'`` form, in ``.venv-peers``).
* ``build_pyrule``: 1,000 cells with a BMTK-style per-pair Python rule and a per-synapse
  property function: ``benchmarks/build_pyrule.py --impl cantata`` vs ``--impl bmtk``.
* ``build_100k``: 100,000 cells and about 10M edges, Cantata only (BMTK's dense per-map
  matrices do not fit): ``benchmarks/build_scale.py``.

The builders draw random connections with their own generators, so edge counts agree only
statistically: within 1 % for ``build_10k`` (binomial spread is about 0.1 %) and 2 % for the
smaller ``build_pyrule``; node counts exactly.
"""

from __future__ import annotations

from typing import Any

from benchmarks.scripts import counts_within, modules_missing, script_side
from benchmarks.spec import PEERS_ENV, Pair, Scenario

CHECKS = ("n_nodes", "n_edges")
PHASES = ("nodes", "build", "save", "total")
REQUIRES = ("cantata.build",)


def pairs(params: dict[str, Any]) -> list[Pair]:
    def cantata(module: str, *args: str):
        return script_side("Cantata", module, args=args, check_keys=CHECKS, requires=REQUIRES)

    def bmtk(module: str, *args: str):
        return script_side("BMTK", module, args=args, env=PEERS_ENV, check_keys=CHECKS)

    return [
        Pair("build_10k", cantata("benchmarks.build_10k"), bmtk("benchmarks.build_10k_bmtk"),
             phases=PHASES, agree=counts_within({"n_nodes": 0.0, "n_edges": 0.01}),
             description="10k cells p=0.01 + 500 virtual inputs (~1.5M edges), built and saved as SONATA"),
        Pair("build_pyrule", cantata("benchmarks.build_pyrule", "--impl", "cantata"),
             bmtk("benchmarks.build_pyrule", "--impl", "bmtk"),
             phases=PHASES, agree=counts_within({"n_nodes": 0.0, "n_edges": 0.02}),
             description="1,000 cells, a per-pair Python connection rule and a per-synapse property rule"),
        Pair("build_100k", cantata("benchmarks.build_scale"), None, phases=PHASES,
             description="100k cells, about 10M edges, Cantata only (BMTK cannot)"),
    ]


SCENARIO = Scenario(
    name="s1",
    title="S1 network build",
    description="Cantata's NetworkBuilder vs BMTK's on the same networks",
    sizes={"full": {}},
    pairs=pairs,
    available=lambda: modules_missing(*REQUIRES),
    timeout=300.0,
)
