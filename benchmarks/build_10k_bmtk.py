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
    from benchmarks import build_common as bc
except ImportError:  # run as a plain script
    import build_common as bc  # type: ignore

RNG = np.random.default_rng(1)


def bernoulli_to_all(source, targets, p, same_network):
    """Counts for every target: 1 with probability p, never the source itself."""
    counts = (RNG.random(len(targets)) < p).astype(np.uint8)
    if same_network:
        counts[source.node_id] = 0  # targets are all nodes, in id order
    return counts


def main() -> None:
    args = bc.arguments(__doc__)
    start = time.perf_counter()
    timer = bc.Timer()
    from bmtk.builder import NetworkBuilder
    from bmtk.builder.auxi.node_params import positions_columinar

    np.random.seed(1)
    with timer.phase("nodes"):
        v1 = NetworkBuilder("v1")
        for (pop_name, ei, params), n in zip(bc.CELL_TYPES, (bc.N_EXC, bc.N_INH)):
            v1.add_nodes(N=n, pop_name=pop_name, ei=ei, model_type="point_neuron",
                         model_template="nest:iaf_psc_alpha", dynamics_params=params,
                         positions=positions_columinar(N=n, center=[0, 0, 0], height=400, max_radius=400))
        lgn = NetworkBuilder("lgn")
        lgn.add_nodes(N=bc.N_VIRTUAL, pop_name="tON", model_type="virtual")
    with timer.phase("build"):
        for ei, weight in bc.RECURRENT_WEIGHTS:
            v1.add_edges(source={"ei": ei}, target=v1.nodes(), connection_rule=bernoulli_to_all,
                         connection_params={"p": bc.P_RECURRENT, "same_network": True}, iterator="one_to_all",
                         syn_weight=weight, delay=1.5, dynamics_params="static.json", model_template="static_synapse")
        lgn.add_edges(source=lgn.nodes(), target=v1.nodes(), connection_rule=bernoulli_to_all,
                      connection_params={"p": bc.P_INPUT, "same_network": False}, iterator="one_to_all",
                      syn_weight=bc.INPUT_WEIGHT, delay=1.0, dynamics_params="static.json",
                      model_template="static_synapse")
        v1.build()
        lgn.build()
    with bc.output_dir(args.out) as out:
        with timer.phase("save"):
            v1.save(output_dir=str(out))
            lgn.save(output_dir=str(out))
        size = bc.folder_size_mb(out)
    bc.report({"benchmark": "build_10k", "tool": "bmtk", "n_nodes": v1.nnodes + lgn.nnodes,
               "n_edges": int(v1.nedges + lgn.nedges), "seconds": timer.phases,
               "total_s": round(time.perf_counter() - start, 4), "output_mb": size})


if __name__ == "__main__":
    main()
