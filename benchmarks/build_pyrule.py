"""Per-pair Python rule benchmark, the same script under Cantata or BMTK.

1,000 cells; a BMTK-style rule ``rule(source, target, **params)`` called for each of the
10^6 pairs, plus a per-synapse ``add_properties`` function. Issue target: Cantata no slower
than BMTK.

    python -m benchmarks.build_pyrule --impl cantata
    .venv-peers/bin/python -m benchmarks.build_pyrule --impl bmtk
"""

from __future__ import annotations

import argparse
import time

import numpy as np

try:
    from benchmarks.build_common import Timer, folder_size_mb, output_dir, report
except ImportError:  # run as a plain script
    from build_common import Timer, folder_size_mb, output_dir, report  # type: ignore

N_CELLS, P = 1000, 0.05


def distance_rule(source, target, p, length):
    """BMTK-style rule: Bernoulli with a distance-dependent probability, 1-3 synapses."""
    if source.node_id == target.node_id:
        return 0
    d = np.linalg.norm(np.asarray(source["positions"]) - np.asarray(target["positions"]))
    if np.random.random() < p * np.exp(-d / length):
        return np.random.randint(1, 4)
    return 0


def weight_rule(source, target, mean):
    return mean * (1.0 + 0.1 * np.random.standard_normal())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--impl", choices=("cantata", "bmtk"), default="cantata")
    parser.add_argument("--out", help="output folder (default: temporary)")
    args = parser.parse_args()
    start = time.perf_counter()
    timer = Timer()
    if args.impl == "bmtk":
        from bmtk.builder import NetworkBuilder
    else:
        from cantata.build import NetworkBuilder

    np.random.seed(3)
    with timer.phase("nodes"):
        net = NetworkBuilder("v1")
        net.add_nodes(N=N_CELLS, pop_name="exc", model_type="point_neuron", model_template="nest:iaf_psc_alpha",
                      positions=np.random.uniform(0, 300, size=(N_CELLS, 3)))
    with timer.phase("build"):
        cm = net.add_edges(source=net.nodes(), target=net.nodes(), connection_rule=distance_rule,
                           connection_params={"p": P * 4, "length": 150.0}, delay=1.0,
                           model_template="static_synapse")
        cm.add_properties("syn_weight", rule=weight_rule, rule_params={"mean": 2.0}, dtypes=float)
        net.build()
    with output_dir(args.out) as out:
        with timer.phase("save"):
            if args.impl == "bmtk":
                net.save(output_dir=str(out))
            else:
                net.save(out, overwrite=True, compression="gzip")  # BMTK's default compression
        size = folder_size_mb(out)
    report({"benchmark": "build_pyrule", "tool": args.impl, "n_nodes": N_CELLS, "n_edges": int(net.nedges),
            "seconds": timer.phases, "total_s": round(time.perf_counter() - start, 4), "output_mb": size})


if __name__ == "__main__":
    main()
