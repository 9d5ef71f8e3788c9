"""Build the PopNet example: excitatory and inhibitory populations driven by a thalamic one.

Run from anywhere: ``python examples/popnet/build_network.py``. Writes ``network/`` and
``inputs/external_rates.csv`` next to this file.
"""

from __future__ import annotations

from pathlib import Path

from cantata.build import NetworkBuilder

HERE = Path(__file__).resolve().parent
LGN_TYPE = 200  # node_type_id of the thalamic population: the gid in the rates csv


def build(here: Path = HERE) -> None:
    cortex = NetworkBuilder("cortex")
    cortex.add_nodes(pop_name="exc", ei="e", model_type="population", model_template="dipde:Internal",
                     dynamics_params="exc.json")
    cortex.add_nodes(pop_name="inh", ei="i", model_type="population", model_template="dipde:Internal",
                     dynamics_params="inh.json")
    # syn_weight: voltage jump per spike (V); nsyns: inputs per target neuron; delay: s
    for source, target, weight, nsyns in (("e", "e", 0.001, 10), ("e", "i", 0.001, 40),
                                          ("i", "e", -0.002, 10), ("i", "i", -0.001, 10)):
        cortex.add_edges(source={"ei": source}, target={"ei": target}, syn_weight=weight, nsyns=nsyns, delay=0.002)
    cortex.build()
    cortex.save(output_dir=str(here / "network"), overwrite=True)

    thalamus = NetworkBuilder("thalamus")
    thalamus.add_nodes(node_type_id=LGN_TYPE, pop_name="lgn", model_type="virtual")
    thalamus.add_edges(target=cortex.nodes(ei="e"), syn_weight=0.001, nsyns=100, delay=0.002)
    thalamus.add_edges(target=cortex.nodes(ei="i"), syn_weight=0.001, nsyns=80, delay=0.002)
    thalamus.build()
    thalamus.save(output_dir=str(here / "network"), overwrite=True)

    # gid is the thalamic population's node_type_id; the rate steps from 10 to 12 Hz at 0.25 s
    (here / "inputs").mkdir(exist_ok=True)
    (here / "inputs" / "external_rates.csv").write_text(
        f"gid timestamps firing_rate\n{LGN_TYPE} 0.0 10.0\n{LGN_TYPE} 0.25 12.0\n")


if __name__ == "__main__":
    build()
