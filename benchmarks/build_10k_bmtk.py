"""BMTK side of the 10k build benchmark (plain BMTK API; compare with build_10k.py).

Same network as build_10k.py: 10,000 point cells connected with p = 0.01 and 500 virtual
cells projecting with p = 0.1, built with BMTK's vectorised form of a Python rule
(``iterator='one_to_all'``: one call per source returns the counts for every target) and
saved with BMTK's defaults (gzip). Needs BMTK (run it in the peers environment):

    .venv-peers/bin/python -m benchmarks.build_10k_bmtk [--out DIR]
"""

from __future__ import annotations

import time

import numpy as np

try:
    from benchmarks.build_common import (
        N_EXC,
        N_INH,
        N_VIRTUAL,
        P_INPUT,
        P_RECURRENT,
        Timer,
        arguments,
        folder_size_mb,
        output_dir,
        report,
    )
except ImportError:  # run as a plain script
    from build_common import (  # type: ignore
        N_EXC,
        N_INH,
        N_VIRTUAL,
        P_INPUT,
        P_RECURRENT,
        Timer,
        arguments,
        folder_size_mb,
        output_dir,
        report,
    )

RNG = np.random.default_rng(1)


def bernoulli_to_all(source, targets, p, same_network):
    """Counts for every target: 1 with probability p, never the source itself."""
    counts = (RNG.random(len(targets)) < p).astype(np.uint8)
    if same_network:
        counts[source.node_id] = 0  # targets are all nodes, in id order
    return counts


def main() -> None:
    args = arguments(__doc__)
    start = time.perf_counter()
    timer = Timer()
    from bmtk.builder import NetworkBuilder
    from bmtk.builder.auxi.node_params import positions_columinar

    np.random.seed(1)
    with timer.phase("nodes"):
        v1 = NetworkBuilder("v1")
        v1.add_nodes(N=N_EXC, pop_name="exc", ei="e", model_type="point_neuron",
                     model_template="nest:iaf_psc_alpha", dynamics_params="exc.json",
                     positions=positions_columinar(N=N_EXC, center=[0, 0, 0], height=400, max_radius=400))
        v1.add_nodes(N=N_INH, pop_name="inh", ei="i", model_type="point_neuron",
                     model_template="nest:iaf_psc_alpha", dynamics_params="inh.json",
                     positions=positions_columinar(N=N_INH, center=[0, 0, 0], height=400, max_radius=400))
        lgn = NetworkBuilder("lgn")
        lgn.add_nodes(N=N_VIRTUAL, pop_name="tON", model_type="virtual")
    with timer.phase("build"):
        for ei, weight in (("e", 2.0), ("i", -8.0)):
            v1.add_edges(source={"ei": ei}, target=v1.nodes(), connection_rule=bernoulli_to_all,
                         connection_params={"p": P_RECURRENT, "same_network": True}, iterator="one_to_all",
                         syn_weight=weight, delay=1.5, dynamics_params="static.json", model_template="static_synapse")
        lgn.add_edges(source=lgn.nodes(), target=v1.nodes(), connection_rule=bernoulli_to_all,
                      connection_params={"p": P_INPUT, "same_network": False}, iterator="one_to_all",
                      syn_weight=3.0, delay=1.0, dynamics_params="static.json", model_template="static_synapse")
        v1.build()
        lgn.build()
    with output_dir(args.out) as out:
        with timer.phase("save"):
            v1.save(output_dir=str(out))
            lgn.save(output_dir=str(out))
        size = folder_size_mb(out)
    report({"benchmark": "build_10k", "tool": "bmtk", "n_nodes": v1.nnodes + lgn.nnodes,
            "n_edges": int(v1.nedges + lgn.nedges), "seconds": timer.phases,
            "total_s": round(time.perf_counter() - start, 4), "output_mb": size})


if __name__ == "__main__":
    main()
