"""NWB spike inputs (with selections) and NWB spike output through a NEST run."""

from __future__ import annotations

from importlib.util import find_spec

import numpy as np
import pytest
from sim_network import spike_set, write_config, write_network

from cantata.sim import Simulation
from cantata.sonata.spikes import SpikeTrains
from cantata.sonata.spikes_nwb import write_nwb_spikes

pytestmark = [
    pytest.mark.nest,
    pytest.mark.skipif(find_spec("nest") is None or find_spec("pynwb") is None, reason="needs NEST and pynwb"),
]


def test_nwb_input_time_window_and_nwb_output(tmp_path):
    net = write_network(tmp_path / "net", tstop=150.0)
    ids, times = net.spikes
    nwb_in = write_nwb_spikes(SpikeTrains.from_arrays(ids, times, population="input"), tmp_path / "in.nwb")
    early = times < 60.0
    SpikeTrains.from_arrays(ids[early], times[early], population="input").write_h5(tmp_path / "early.h5")

    via_nwb = write_config(
        net, "nwb.json",
        inputs={"stim": {"input_type": "spikes", "module": "nwb", "input_file": str(nwb_in), "node_set": "inputs",
                         "time_window": [0.0, 60.0]}},
        output={"output_dir": str(tmp_path / "out_nwb"), "spikes_file_nwb": "spikes.nwb"},
    )
    via_h5 = write_config(
        net, "h5.json",
        inputs={"stim": {"input_type": "spikes", "module": "sonata", "input_file": str(tmp_path / "early.h5"),
                         "node_set": "inputs"}},
        output={"output_dir": str(tmp_path / "out_h5")},
    )
    a = Simulation.from_config(via_nwb, progress=False).run().spikes
    b = Simulation.from_config(via_h5, progress=False).run().spikes
    assert a.n_spikes > 0
    assert spike_set(*a.population("cortex")) == spike_set(*b.population("cortex"))

    written = SpikeTrains.read(tmp_path / "out_nwb" / "spikes.nwb")
    h5 = SpikeTrains.read(tmp_path / "out_nwb" / "spikes.h5")
    got, want = written.population("cortex"), h5.population("cortex")
    assert spike_set(*got) == spike_set(*want)
    assert np.allclose(np.sort(got[1]), np.sort(want[1]))
