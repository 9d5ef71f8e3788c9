"""Cantata side of the 10k build benchmark (compare with build_10k_bmtk.py).

10,000 point cells (8,000 exc + 2,000 inh) connected with p = 0.01 (about 1M edges) and 500
virtual cells projecting with p = 0.1 (0.5M edges); build and save as SONATA.

    python -m benchmarks.build_10k [--out DIR]
"""

from __future__ import annotations

import time

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


def main() -> None:
    args = arguments(__doc__)
    start = time.perf_counter()
    timer = Timer()
    from cantata.build import NetworkBuilder, Probability, positions_columinar

    with timer.phase("nodes"):
        v1 = NetworkBuilder("v1", seed=1)
        v1.add_nodes(N=N_EXC, pop_name="exc", ei="e", model_type="point_neuron",
                     model_template="nest:iaf_psc_alpha", dynamics_params="exc.json",
                     positions=positions_columinar(N_EXC, center=[0, 0, 0], height=400, max_radius=400, seed=1))
        v1.add_nodes(N=N_INH, pop_name="inh", ei="i", model_type="point_neuron",
                     model_template="nest:iaf_psc_alpha", dynamics_params="inh.json",
                     positions=positions_columinar(N_INH, center=[0, 0, 0], height=400, max_radius=400, seed=2))
        lgn = NetworkBuilder("lgn", seed=1)
        lgn.add_nodes(N=N_VIRTUAL, pop_name="tON", model_type="virtual")
    with timer.phase("build"):
        for ei, weight in (("e", 2.0), ("i", -8.0)):
            v1.add_edges(source={"ei": ei}, target=v1.nodes(), connection_rule=Probability(P_RECURRENT),
                         syn_weight=weight, delay=1.5, dynamics_params="static.json", model_template="static_synapse")
        lgn.add_edges(source=lgn.nodes(), target=v1.nodes(), connection_rule=Probability(P_INPUT),
                      syn_weight=3.0, delay=1.0, dynamics_params="static.json", model_template="static_synapse")
        v1.build()
        lgn.build()
    with output_dir(args.out) as out:
        with timer.phase("save"):
            v1.save(out, overwrite=True)
            lgn.save(out, overwrite=True)
        size = folder_size_mb(out)
    report({"benchmark": "build_10k", "tool": "cantata", "n_nodes": v1.nnodes + lgn.nnodes,
            "n_edges": v1.nedges + lgn.nedges, "seconds": timer.phases,
            "total_s": round(time.perf_counter() - start, 4), "output_mb": size})


if __name__ == "__main__":
    main()
