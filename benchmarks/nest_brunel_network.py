"""The SONATA Brunel network of scenario S5, built once with Cantata's builder and reused.

The model of NEST's ``brunel_delta_nest.py`` example (Brunel 2000, asynchronous irregular
regime: g = 5, eta = 2): 10,000 excitatory and 2,500 inhibitory ``iaf_psc_delta`` cells, every
cell with exactly CE = 1,000 excitatory and CI = 250 inhibitory sources (``FixedInDegree``, no
autapses or multapses: 15,625,000 recurrent synapses), J = 0.1 mV, inhibitory weight -g J,
delay 1.5 ms, 1 s simulated at dt = 0.1 ms.

Cantata has no Poisson-generator input, so the external drive is a file: NEST's example gives
each cell an independent Poisson train of eta * nu_th * CE = 20 kHz with weight J. Here 2,500
virtual ``ext`` cells fire Poisson trains at 400 Hz (drawn by
:class:`cantata.stimuli.PoissonSpikeGenerator`, times on the 0.1 ms grid) and every cell gets
K_EXT = 50 of them (``FixedInDegree``) with weight J: the same 20 kHz and mean and variance of
the drive per cell; two cells share on average one of their 50 inputs. Every side plays the
same spike file.

Files: ``network/``, ``components/``, ``inputs/ext_spikes.h5`` and ``config.json`` (NEST, 1
thread, spikes to ``output/spikes.h5``). ``network.json`` records the sizes, the counts and the
build time. Smaller sizes (for tests) keep J x CE and the drive per cell: J = 0.1 mV x 1000 / CE,
external rate = 20 kHz x 0.1 mV / (K_EXT x J).

    python -m benchmarks.nest_brunel_network [--out DIR] [--size full|tiny] [--force]
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from benchmarks.script_io import ensure_network, network_main

DEFAULT_OUT = Path(__file__).resolve().parent / "work" / "nest_brunel"
#: Cells, in-degrees and the external pool by size; "full" is the benchmark (K_EXT x 400 Hz =
#: 20 kHz = eta x nu_th x CE with J = 0.1 mV).
SIZES = {
    "full": {"n_exc": 10_000, "n_inh": 2_500, "ce": 1_000, "ci": 250, "n_ext": 2_500, "k_ext": 50},
    "tiny": {"n_exc": 400, "n_inh": 100, "ce": 100, "ci": 25, "n_ext": 100, "k_ext": 20},
}
G = 5.0  # inhibitory weight -G * J
DRIVE_MV_PER_S = 20_000 * 0.1  # external input rate x weight per cell: NEST's example, 20 kHz x J
DELAY = 1.5  # ms
TSTOP, DT = 1000.0, 0.1
#: NEST's brunel_delta_nest.py neuron parameters (mV, ms, pF).
NEURON = {"C_m": 1.0, "tau_m": 20.0, "t_ref": 2.0, "E_L": 0.0, "V_reset": 10.0, "V_m": 0.0, "V_th": 20.0}
SEED = 20240615


def write(out: Path, size: str = "full") -> dict:
    """Build and save the network, the input spikes and the config into ``out``."""
    from cantata.build import FixedInDegree, NetworkBuilder
    from cantata.stimuli import PoissonSpikeGenerator

    dims = SIZES[size]
    ce, ci, n_ext, k_ext = dims["ce"], dims["ci"], dims["n_ext"], dims["k_ext"]
    j = 0.1 * 1000 / ce  # mV
    ext_rate_hz = DRIVE_MV_PER_S / (k_ext * j)
    started = time.perf_counter()
    net, comps, inputs = out / "network", out / "components", out / "inputs"
    for folder in (net, comps / "point_neuron_models", comps / "synaptic_models", inputs):
        folder.mkdir(parents=True, exist_ok=True)
    (comps / "point_neuron_models" / "brunel_delta.json").write_text(json.dumps(NEURON, indent=2) + "\n")
    (comps / "synaptic_models" / "static.json").write_text("{}\n")

    brunel = NetworkBuilder("brunel", seed=SEED)
    for name, ei, n in (("exc", "e", dims["n_exc"]), ("inh", "i", dims["n_inh"])):
        brunel.add_nodes(N=n, pop_name=name, ei=ei, model_type="point_neuron",
                         model_template="nest:iaf_psc_delta", dynamics_params="brunel_delta.json")
    ext = NetworkBuilder("ext", seed=SEED + 1)
    ext.add_nodes(N=n_ext, pop_name="poisson", model_type="virtual")
    synapse = {"delay": DELAY, "dynamics_params": "static.json", "model_template": "static_synapse"}
    brunel.add_edges(source={"ei": "e"}, target=brunel.nodes(), connection_rule=FixedInDegree(ce, seed=SEED + 2),
                     syn_weight=j, **synapse)
    brunel.add_edges(source={"ei": "i"}, target=brunel.nodes(), connection_rule=FixedInDegree(ci, seed=SEED + 3),
                     syn_weight=-G * j, **synapse)
    ext.add_edges(source=ext.nodes(), target=brunel.nodes(), connection_rule=FixedInDegree(k_ext, seed=SEED + 4),
                  syn_weight=j, **synapse)
    brunel.build()
    ext.build()
    brunel.save(net, overwrite=True)
    ext.save(net, overwrite=True)
    built = time.perf_counter() - started

    poisson = PoissonSpikeGenerator(population="ext", seed=SEED + 5, dt=DT)
    poisson.add(range(n_ext), ext_rate_hz, times=(0.0, TSTOP))
    trains = poisson.to_spike_trains()
    _, times = trains.population("ext")
    if times.size and float(times.min()) <= 0.0:
        raise RuntimeError("an input spike fell at t = 0, which NEST cannot deliver: change SEED")
    trains.write_h5(inputs / "ext_spikes.h5", overwrite=True)

    config = {
        "manifest": {"$BASE_DIR": "${configdir}", "$NETWORK_DIR": "$BASE_DIR/network",
                     "$COMPONENTS_DIR": "$BASE_DIR/components"},
        "target_simulator": "NEST",
        "run": {"tstop": TSTOP, "dt": DT, "nsteps_block": 5000, "n_thread": 1},
        "components": {"point_neuron_models_dir": "$COMPONENTS_DIR/point_neuron_models",
                       "synaptic_models_dir": "$COMPONENTS_DIR/synaptic_models"},
        "networks": {
            "nodes": [{"nodes_file": f"$NETWORK_DIR/{name}_nodes.h5",
                       "node_types_file": f"$NETWORK_DIR/{name}_node_types.csv"} for name in ("brunel", "ext")],
            "edges": [{"edges_file": f"$NETWORK_DIR/{name}_edges.h5",
                       "edge_types_file": f"$NETWORK_DIR/{name}_edge_types.csv"}
                      for name in ("brunel_brunel", "ext_brunel")],
        },
        "node_sets": {"ext": {"population": "ext"}},
        "inputs": {"ext_spikes": {"input_type": "spikes", "module": "sonata",
                                  "input_file": "$BASE_DIR/inputs/ext_spikes.h5", "node_set": "ext"}},
        "output": {"output_dir": "$BASE_DIR/output", "log_file": "log.txt", "spikes_file": "spikes.h5",
                   "spikes_sort_order": "time", "overwrite_output_dir": True, "log_to_console": False,
                   "quiet_simulator": True},
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    info = {"out": str(out), "size": size, **dims, "j_mv": j, "ext_rate_hz": ext_rate_hz, "n_nodes": brunel.nnodes + ext.nnodes, "n_edges": int(brunel.nedges + ext.nedges),
            "n_recurrent_edges": int(brunel.nedges), "n_input_spikes": int(trains.n_spikes),
            "build_save_s": round(built, 2)}
    (out / "network.json").write_text(json.dumps(info) + "\n")
    return info


def ensure(out: Path = DEFAULT_OUT, size: str | None = None) -> dict:
    """The network's summary, writing the files first if they are not there yet or (``size``
    given) are of another size."""
    return ensure_network(out, "benchmarks.nest_brunel_network", size=size)


def main() -> None:
    network_main(__doc__, DEFAULT_OUT, write, sizes=SIZES)


if __name__ == "__main__":
    main()
