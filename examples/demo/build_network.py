"""Build the demo network: 400 excitatory + 100 inhibitory iaf_psc_alpha cells driven by
100 virtual thalamic cells, written as SONATA files under network/."""

from __future__ import annotations

import sys
from pathlib import Path

from cantata.build import NetworkBuilder
from cantata.build.rules import FixedInDegree, Probability
from cantata.stimuli import PoissonSpikeGenerator

HERE = Path(__file__).resolve().parent


def build(out: Path = HERE, seed: int = 7) -> None:
    cortex = NetworkBuilder("cortex", seed=seed)
    common = {"model_type": "point_neuron", "model_template": "nest:iaf_psc_alpha"}
    cortex.add_nodes(N=400, pop_name="exc", ei="e", dynamics_params="exc.json", **common)
    cortex.add_nodes(N=100, pop_name="inh", ei="i", dynamics_params="inh.json", **common)

    edge = {"model_template": "static_synapse", "dynamics_params": "static.json", "delay": 1.5}
    cortex.add_edges(source={"ei": "e"}, target={}, connection_rule=Probability(0.1), syn_weight=25.0, **edge)
    cortex.add_edges(source={"ei": "i"}, target={}, connection_rule=Probability(0.1), syn_weight=-200.0, **edge)

    thalamus = NetworkBuilder("thalamus", seed=seed)
    thalamus.add_nodes(N=100, pop_name="tc", model_type="virtual")
    thalamus.add_edges(source=thalamus.nodes(), target=cortex.nodes(), connection_rule=FixedInDegree(20),
                       syn_weight=95.0, **edge)

    for net in (cortex, thalamus):
        net.build()
        net.save(out / "network", overwrite=True)

    gen = PoissonSpikeGenerator("thalamus", seed=seed)
    gen.add(node_ids=range(100), firing_rate=15.0, times=(0.0, 1000.0))
    gen.to_sonata(out / "inputs" / "thalamus_spikes.h5", overwrite=True)


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
