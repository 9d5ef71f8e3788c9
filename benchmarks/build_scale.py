"""Scale benchmark: 100,000 cells and about 10M edges, built and saved with Cantata.

Targets (issue): under 60 s and under 3 GB peak memory on a 2-core machine; memory grows
with the number of edges, never with sources x targets (10^10 pairs here).

    python -m benchmarks.build_scale [--out DIR]
"""

from __future__ import annotations

import time

try:
    from benchmarks import build_common as bc
except ImportError:  # run as a plain script
    import build_common as bc  # type: ignore

N_EXC, N_INH, P = 80_000, 20_000, 1e-3
N_VIRTUAL, P_INPUT = 1_000, 0.01
LIMIT_S, LIMIT_MB = 60.0, 3 * 1024


def main() -> None:
    args = bc.arguments(__doc__)
    start = time.perf_counter()
    timer = bc.Timer()
    from cantata.build import NetworkBuilder, Probability, positions_box

    with timer.phase("nodes"):
        net = NetworkBuilder("v1", seed=1)
        side = (0.0, 1000.0)
        for seed, ((pop_name, ei, params), n) in enumerate(zip(bc.CELL_TYPES, (N_EXC, N_INH)), start=1):
            net.add_nodes(N=n, pop_name=pop_name, ei=ei, model_type="point_neuron",
                          model_template="nest:iaf_psc_alpha", dynamics_params=params,
                          positions=positions_box(n, side, side, side, seed=seed))
        lgn = NetworkBuilder("lgn", seed=1)
        lgn.add_nodes(N=N_VIRTUAL, pop_name="tON", model_type="virtual")
    with timer.phase("build"):
        for ei, weight in bc.RECURRENT_WEIGHTS:
            net.add_edges(source={"ei": ei}, target=net.nodes(), connection_rule=Probability(P),
                          syn_weight=weight, delay=1.5, model_template="static_synapse")
        lgn.add_edges(source=lgn.nodes(), target=net.nodes(), connection_rule=Probability(P_INPUT),
                      syn_weight=bc.INPUT_WEIGHT, delay=1.0, model_template="static_synapse")
        net.build()
        lgn.build()
    with bc.output_dir(args.out) as out:
        with timer.phase("save"):
            net.save(out, overwrite=True)
            lgn.save(out, overwrite=True)
        size = bc.folder_size_mb(out)
    total = time.perf_counter() - start
    peak = bc.peak_rss_mb()
    bc.report({"benchmark": "build_scale", "tool": "cantata", "n_nodes": net.nnodes + lgn.nnodes,
               "n_edges": net.nedges + lgn.nedges, "seconds": timer.phases, "total_s": round(total, 4),
               "output_mb": size, "limits": {"total_s": LIMIT_S, "peak_rss_mb": LIMIT_MB},
               "within_limits": bool(total < LIMIT_S and peak < LIMIT_MB)})


if __name__ == "__main__":
    main()
