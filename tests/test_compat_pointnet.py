"""``cantata.compat.pointnet``: BMTK's standard PointNet run script, with only its import changed,
gives the same spike files as ``Simulation.from_config(...).run()`` on the same config (NEST)."""

from __future__ import annotations

import runpy
import sys
from importlib.util import find_spec

import numpy as np
import pytest
from sim_network import run_direct, spike_set, write_config, write_network

from cantata.errors import SimulationError
from cantata.sim import Simulation
from cantata.sim.registry import WEIGHT_FUNCTIONS

pytestmark = [pytest.mark.nest, pytest.mark.skipif(find_spec("nest") is None, reason="NEST is not installed")]

# BMTK's run_pointnet.py as sim_setup writes it (config from the command line); only the import differs.
STANDARD_SCRIPT = """\
import sys
from cantata.compat import pointnet


def main(config_file):
    configure = pointnet.Config.from_json(config_file)
    configure.build_env()

    network = pointnet.PointNetwork.from_config(configure)
    sim = pointnet.PointSimulator.from_config(configure, network)
    sim.run()


if __name__ == '__main__':
    main(sys.argv[-1])
"""


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    return write_network(tmp_path_factory.mktemp("compat_pointnet"))


def _with_output(net, name, folder):
    return write_config(net, f"{name}.json", output={"output_dir": str(folder)})


def test_standard_script_writes_the_same_spike_files(net, tmp_path, monkeypatch):
    reference = Simulation.from_config(_with_output(net, "reference", tmp_path / "reference"), progress=False).run()
    assert reference.n_spikes > 50
    script = tmp_path / "run_pointnet.py"
    script.write_text(STANDARD_SCRIPT)
    monkeypatch.setattr(sys, "argv", [str(script), str(_with_output(net, "shim", tmp_path / "shim"))])
    runpy.run_path(str(script), run_name="__main__")
    for name in ("spikes.h5", "spikes.csv"):
        assert (tmp_path / "shim" / name).read_bytes() == (tmp_path / "reference" / name).read_bytes()


def test_simulator_properties_and_result(net, tmp_path):
    from cantata.compat import pointnet

    conf = pointnet.Config.from_json(_with_output(net, "props", tmp_path / "props"))
    sim = pointnet.PointSimulator.from_config(conf, network=pointnet.PointNetwork.from_config(conf), n_thread=1)
    assert (sim.dt, sim.tstop, sim.tstart, sim.n_steps) == (0.1, 200.0, 0.0, 2000)
    assert sim.simulation_time(units="s") == pytest.approx(0.2)
    assert sim.simulation.engine_spec.name == "nest"
    with pytest.raises(NotImplementedError, match=r"run\(tstop=100\).*run.tstop \(200 ms\)"):
        sim.run(tstop=100)
    with pytest.raises(NotImplementedError, match="add_mod.*inputs/reports blocks"):
        sim.add_mod(object())
    result = sim.run(tstop=200.0)  # the config's own tstop is fine
    assert result is sim.result and result.files[0] == tmp_path / "props" / "spikes.h5"
    assert spike_set(*result.spikes.population("cortex")) == spike_set(*run_direct(net)["spikes"])
    with pytest.raises(SimulationError, match="already run"):
        sim.run()


def test_engine_is_nest_whatever_target_simulator_says(net, tmp_path):
    from cantata.compat import pointnet

    cfg = write_config(net, "neuron_target.json", target_simulator="NEURON",
                       output={"output_dir": str(tmp_path / "out")})
    result = pointnet.PointSimulator.from_config(str(cfg)).run()  # a path works as well as a Config
    assert spike_set(*result.spikes.population("cortex")) == spike_set(*run_direct(net)["spikes"])


def test_add_weight_function_registers_the_column_form(tmp_path):
    from cantata.compat import pointnet

    calls = []

    def compat_pointnet_halved(edges, sources, targets):
        calls.append(len(edges))
        return 0.5 * edges["syn_weight"].to_numpy() * edges["nsyns"].to_numpy()

    wnet = write_network(tmp_path / "net", weight_functions={2: "compat_pointnet_halved"})
    network = pointnet.PointNetwork.from_config(str(wnet.config))
    network.add_weight_function(compat_pointnet_halved)  # BMTK's PointNetwork method
    assert WEIGHT_FUNCTIONS.find("compat_pointnet_halved") is compat_pointnet_halved  # not wrapped
    result = pointnet.PointSimulator.from_config(network.config, network).run()
    e = wnet.edges["cortex_cortex"]
    sel = e["type"] == 2
    assert calls == [int(sel.sum())]  # once, with whole columns
    reference = run_direct(wnet, weights={2: 0.5 * -60.0 * e["nsyns"][sel]})
    assert spike_set(*result.spikes.population("cortex")) == spike_set(*reference["spikes"])

    pointnet.add_weight_function(lambda edges, s, t: np.ones(len(edges)), "compat_pointnet_ones")
    assert WEIGHT_FUNCTIONS.find("compat_pointnet_ones")(np.zeros(3), None, None).tolist() == [1.0, 1.0, 1.0]

    @pointnet.synaptic_weight(name="compat_pointnet_decorated")
    def decorated(edges, sources, targets):
        return edges["syn_weight"]

    assert WEIGHT_FUNCTIONS.find("compat_pointnet_decorated") is decorated


def test_bad_calls_say_what_to_do(net, tmp_path):
    from cantata.compat import pointnet

    conf = pointnet.Config.from_json(net.config)
    with pytest.raises(SimulationError, match="as graph or as network"):
        pointnet.PointSimulator.from_config(conf, pointnet.PointNetwork.from_config(conf),
                                            network=pointnet.PointNetwork.from_config(conf))
    other = pointnet.PointNetwork.from_config(_with_output(net, "other", tmp_path / "other"))
    with pytest.raises(SimulationError, match="network made from another config"):
        pointnet.PointSimulator.from_config(conf, other)
    with pytest.raises(NotImplementedError, match="pointnet.cell_model.*nest:<model>"):
        pointnet.cell_model("nest", "point_neuron")
    with pytest.raises(AttributeError, match=r"pointnet\.nest_utils .*Simulation\.from_config"):
        pointnet.nest_utils  # noqa: B018
    with pytest.raises(NotImplementedError, match="properties.*not supported"):
        pointnet.PointNetwork.from_config(conf, seed=1)
    with pytest.raises(TypeError, match="unexpected keyword"):
        other.add_weight_function(lambda e, s, t: 1.0, "compat_pointnet_bad", bogus=True)
    assert not (tmp_path / "other").exists()  # nothing was built or written
