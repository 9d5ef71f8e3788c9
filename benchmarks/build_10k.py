"""Cantata side of the 10k build benchmark (compare with build_10k_bmtk.py).

10,000 point cells (8,000 exc + 2,000 inh) connected with p = 0.01 (about 1M edges) and 500
virtual cells projecting with p = 0.1 (0.5M edges); build and save as SONATA.

    python -m benchmarks.build_10k [--out DIR]
"""

from __future__ import annotations

import time

try:
    from benchmarks import build_common as bc
except ImportError:  # run as a plain script
    import build_common as bc  # type: ignore


def main() -> None:
    args = bc.arguments(__doc__)
    start = time.perf_counter()
    timer = bc.Timer()
    from cantata.build import NetworkBuilder, Probability, positions_columinar

    with timer.phase("nodes"):
        v1 = NetworkBuilder("v1", seed=1)
        for seed, ((pop_name, ei, params), n) in enumerate(zip(bc.CELL_TYPES, (bc.N_EXC, bc.N_INH)), start=1):
            v1.add_nodes(N=n, pop_name=pop_name, ei=ei, model_type="point_neuron",
                         model_template="nest:iaf_psc_alpha", dynamics_params=params,
                         positions=positions_columinar(n, center=[0, 0, 0], height=400, max_radius=400, seed=seed))
        lgn = NetworkBuilder("lgn", seed=1)
        lgn.add_nodes(N=bc.N_VIRTUAL, pop_name="tON", model_type="virtual")
    with timer.phase("build"):
        for ei, weight in bc.RECURRENT_WEIGHTS:
            v1.add_edges(source={"ei": ei}, target=v1.nodes(), connection_rule=Probability(bc.P_RECURRENT),
                         syn_weight=weight, delay=1.5, dynamics_params="static.json", model_template="static_synapse")
        lgn.add_edges(source=lgn.nodes(), target=v1.nodes(), connection_rule=Probability(bc.P_INPUT),
                      syn_weight=bc.INPUT_WEIGHT, delay=1.0, dynamics_params="static.json",
                      model_template="static_synapse")
        v1.build()
        lgn.build()
    with bc.output_dir(args.out) as out:
        with timer.phase("save"):
            v1.save(out, overwrite=True)
            lgn.save(out, overwrite=True)
        size = bc.folder_size_mb(out)
    bc.report({"benchmark": "build_10k", "tool": "cantata", "n_nodes": v1.nnodes + lgn.nnodes,
               "n_edges": v1.nedges + lgn.nedges, "seconds": timer.phases,
               "total_s": round(time.perf_counter() - start, 4), "output_mb": size})


if __name__ == "__main__":
    main()
