"""Build the example network: one biophysical cell and 10 virtual thalamic cells, each
connected to it by 5 randomly placed synapses; write 10 Hz Poisson trains for the inputs."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from cantata.build import NetworkBuilder
from cantata.stimuli import PoissonSpikeGenerator

HERE = Path(__file__).resolve().parent
N_INPUTS = 10
INPUT_RATE = 10.0  # Hz
DURATION = 2000.0  # ms
CELL_TUNING = 72.0  # degrees: input 2 matches it exactly
SYN_WEIGHT = 0.004  # uS per synapse before the tuning factor
TUNING_WIDTH = 45.0  # degrees


def build(out: Path = HERE, seed: int = 11) -> None:
    """Write network/ (SONATA nodes and edges) and inputs/thalamus_spikes.h5 under ``out``."""
    cell = NetworkBuilder("cell", seed=seed)
    cell.add_nodes(N=1, pop_name="pyr", model_type="biophysical", model_template="ctdb:Biophys1.hoc",
                   model_processing="aibs_perisomatic", morphology="pyramidal_small.swc",
                   dynamics_params="pyramidal_small_fit.json", tuning_angle=CELL_TUNING)

    thalamus = NetworkBuilder("thalamus", seed=seed)
    thalamus.add_nodes(N=N_INPUTS, pop_name="tc", model_type="virtual",
                       tuning_angle=np.arange(N_INPUTS) * 360.0 / N_INPUTS)
    thalamus.add_edges(source=thalamus.nodes(), target=cell.nodes(), connection_rule=5,
                       syn_weight=SYN_WEIGHT, weight_function="gaussian_tuning", tuning_width=TUNING_WIDTH,
                       delay=2.0, target_sections=["basal", "apical"], distance_range=[0.0, 250.0],
                       model_template="Exp2Syn", dynamics_params="AMPA_thalamic.json")

    for net in (cell, thalamus):
        net.build()
        net.save(out / "network", overwrite=True)

    gen = PoissonSpikeGenerator("thalamus", seed=seed)
    gen.add(node_ids=range(N_INPUTS), firing_rate=INPUT_RATE, times=(0.0, DURATION))
    gen.to_sonata(out / "inputs" / "thalamus_spikes.h5", overwrite=True)


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
