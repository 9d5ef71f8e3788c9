"""The popnet engine (BMTK PopNet / DiPDE role): operators, solver, configs, outputs, errors
and the ``cantata.compat.popnet`` run script. Agreement with NEST Monte-Carlo runs is in
test_popnet_montecarlo.py."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cantata.build import NetworkBuilder
from cantata.errors import CantataError, ConfigError, FormatError, SimulationError
from cantata.sim import Simulation
from cantata.sim.engines.population.density import Grid
from cantata.sim.engines.population.rates import PiecewiseRate, read_pop_rates
from cantata.sim.engines.population.solver import Connection, DensityNetwork, InternalPopulation

EXC = {"tau_m": 0.02, "v_min": -0.02, "v_max": 0.02, "dv": 0.0002, "record": True, "update_method": "approx",
       "approx_order": None, "tol": 1e-12}
INH = {"tau_m": 0.01, "v_min": -0.02, "v_max": 0.02, "dv": 0.0002}


# -- operators and solver -------------------------------------------------------------------------

def _dense(op, n):
    a = np.zeros((n, n))
    np.add.at(a, (op.rows, op.cols), op.values)
    return a


@pytest.mark.parametrize("w", [0.0013, 0.002, -0.0007, -0.05, 0.5])
def test_jump_operator_conserves_mass_and_counts_threshold_crossings(w):
    grid = Grid(-0.01, 0.02, 0.001)
    op = grid.jump(w)
    a = _dense(op, grid.n_bins)
    assert np.allclose(a.sum(axis=0), 0.0)                     # mass re-inserted, never lost
    off = a - np.diag(np.diag(a))
    assert (off >= -1e-15).all()
    lost = (grid.edges[1:] + w - grid.edges[-1]) / grid.dv   # part of the shifted bin above v_max
    assert np.allclose(op.fired, np.clip(lost, 0, 1))          # the part pushed past v_max fires


def test_leak_flows_towards_rest_and_reset_sits_at_zero():
    grid = Grid(-0.01, 0.02, 0.001)
    a = _dense(grid.leak(0.02), grid.n_bins)
    assert np.allclose(a.sum(axis=0), 0.0)
    zero = 10                                                  # bins [-1, 0) and [0, 1) mV are sinks
    assert a[zero, zero] == 0 and a[zero - 1, zero - 1] == 0
    assert a[zero, zero + 1] > 0 and a[zero - 1, zero - 2] > 0
    bins, weights = grid.reset_weights()
    assert bins.tolist() == [9, 10] and np.allclose(weights, 0.5)
    bins, weights = Grid(-0.0105, 0.02, 0.001).reset_weights()   # 0 inside a bin
    assert np.isclose((weights * Grid(-0.0105, 0.02, 0.001).centres[bins]).sum(), 0.0)


def _single(rate: float, w: float, dt: float, tstop: float = 0.1) -> DensityNetwork:
    pop = InternalPopulation("p", Grid(-0.02, 0.02, 0.0002), 0.02)
    n = int(round(tstop / dt))
    net = DensityNetwork([pop], {"x": PiecewiseRate.constant(rate)}, [Connection("x", "p", w, 10)], dt, n)
    net.advance(n)
    return net


def test_solver_keeps_probability_and_its_steady_state_does_not_depend_on_dt():
    fine, coarse = _single(150.0, 0.002, 1e-4), _single(150.0, 0.002, 2e-3)
    for net in (fine, coarse):
        mass = net.state[:-1]
        assert (mass >= 0).all() and np.isclose(mass.sum(), 1.0, atol=1e-12)
    assert fine.rates[-1, 0] > 1.0
    assert np.isclose(fine.rates[-1, 0], coarse.rates[-1, 0], rtol=1e-3)
    quiet = _single(0.0, 0.002, 1e-4)
    assert np.all(quiet.rates == 0.0)


def test_delays_shift_the_response_of_a_target():
    grid = Grid(-0.02, 0.02, 0.0002)
    pops = [InternalPopulation(k, grid, 0.01) for k in ("a", "b0", "b5")]
    step = PiecewiseRate(np.array([0.0, 0.01]), np.array([0.0, 300.0]))
    conns = [Connection("x", "a", 0.004, 10), Connection("a", "b0", 0.004, 20, 0.0),
             Connection("a", "b5", 0.004, 20, 0.005)]
    net = DensityNetwork(pops, {"x": step}, conns, 1e-4, 400)
    net.advance(400)
    assert net.rates[:100, 0].max() == 0.0                    # nothing before the step at 10 ms
    b0, b5 = net.rates[:, 1], net.rates[:, 2]
    assert b0.max() > 1.0
    assert np.allclose(b5[49:], b0[:-49], atol=1e-9)          # 5 ms = 50 steps, 49 more than zero delay


def test_external_rate_is_averaged_over_each_step():
    rate = PiecewiseRate(np.array([0.0, 0.15]), np.array([2.0, 6.0]))
    assert np.allclose(rate.mean(np.array([0.1, 0.14, 0.2]), np.array([0.2, 0.16, 0.3])), [4.0, 4.0, 6.0])


# -- SONATA networks and configs -----------------------------------------------------------------

def _network(folder: Path, *, exc=EXC, inh=INH, ext_template: str | None = None, ext_rate: float | None = None,
             exc_template: str = "dipde:Internal", dict_params: bool = False) -> Path:
    """Two internal populations (E, I) and one external one; returns the folder's config."""
    models = folder / "models"
    models.mkdir(parents=True, exist_ok=True)
    (models / "exc.json").write_text(json.dumps(exc))
    (models / "inh.json").write_text(json.dumps(inh))
    internal = NetworkBuilder("internal")
    internal.add_nodes(node_type_id=100, pop_name="exc", ei="e", model_type="population",
                       model_template=exc_template, dynamics_params=({k: v for k, v in exc.items() if v is not None} if dict_params else "exc.json"))
    internal.add_nodes(node_type_id=101, pop_name="inh", ei="i", model_type="population",
                       model_template="dipde:Internal", dynamics_params="inh.json")
    internal.add_edges(source={"ei": "e"}, target={"ei": "i"}, syn_weight=0.004, nsyns=20, delay=0.002)
    internal.add_edges(source={"ei": "i"}, target={"ei": "e"}, syn_weight=-0.002, nsyns=10, delay=0.002)
    internal.build()
    internal.save(output_dir=str(folder / "network"))
    external = NetworkBuilder("external")
    props = {"model_type": "virtual"}
    if ext_template:
        props = {"model_type": "population", "model_template": ext_template}
    if ext_rate is not None:
        props["firing_rate"] = ext_rate
    external.add_nodes(node_type_id=102, pop_name="bg", ei="e", **props)
    external.add_edges(target=internal.nodes(ei="e"), syn_weight=0.003, nsyns=30, delay=0.0)
    external.add_edges(target=internal.nodes(ei="i"), syn_weight=0.003, nsyns=20, delay=0.0)
    external.build()
    external.save(output_dir=str(folder / "network"))
    (folder / "rates.csv").write_text("gid firing_rate\n102 12.5\n")
    net = folder / "network"
    config = {
        "target_simulator": "DiPDE",
        "run": {"tstop": 60.0, "dt": 0.0002},
        "inputs": {"bg_rates": {"input_type": "csv", "module": "pop_rates", "rates": str(folder / "rates.csv"),
                                "node_set": "external"}},
        "output": {"output_dir": str(folder / "output"), "rates_file": "spike_rates.csv", "log_to_console": False},
        "components": {"population_models_dir": str(models)},
        "networks": {
            "nodes": [{"nodes_file": str(net / f"{n}_nodes.h5"), "node_types_file": str(net / f"{n}_node_types.csv")}
                      for n in ("internal", "external")],
            "edges": [{"edges_file": str(net / f"{n}_internal_edges.h5"),
                       "edge_types_file": str(net / f"{n}_internal_edge_types.csv")} for n in ("internal", "external")],
        },
    }
    path = folder / "config.json"
    path.write_text(json.dumps(config))
    return path


def _edit(path: Path, change) -> Path:
    config = json.loads(path.read_text())
    change(config)
    path.write_text(json.dumps(config))
    return path


def _run(path: Path) -> np.ndarray:
    result = Simulation.from_config(path, progress=False).run()
    config = json.loads(path.read_text())
    rates_file = Path(config["output"]["output_dir"]) / config["output"]["rates_file"]
    assert rates_file in result.files
    return np.loadtxt(rates_file, ndmin=2)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, np.ndarray]:
    folder = tmp_path_factory.mktemp("popnet")
    path = _network(folder)
    return path, _run(path)


def test_rates_file_has_bmtk_layout(reference):
    path, table = reference
    text = (path.parent / "output" / "spike_rates.csv").read_text().splitlines()
    assert len(text[0].split(" ")) == 3 and not text[0].startswith("pop")     # no header, as BMTK
    assert table.shape == (2 * 301, 3)                                        # 300 steps + t=0 per population
    assert table[:301, 0].tolist() == [100] * 301 and table[301:, 0].tolist() == [101] * 301
    assert np.allclose(table[:301, 1], np.arange(301) * 0.0002)               # seconds
    assert table[0, 2] == 0.0                                                 # curr_firing_rate default
    assert table[300, 2] > 1.0 and table[-1, 2] > 1.0


def test_engine_is_chosen_by_template_or_name_and_gives_the_same_rates(reference, tmp_path):
    _, table = reference
    path = _network(tmp_path)
    _edit(path, lambda c: c.pop("target_simulator"))                          # dipde: templates pick it
    assert np.array_equal(_run(path), table)
    _edit(path, lambda c: c.update(target_simulator="popnet"))
    assert np.array_equal(_run(path), table)


def test_external_rate_from_node_attribute_and_dynamics_params_in_h5(reference, tmp_path):
    _, table = reference
    path = _network(tmp_path, ext_template="dipde:External", ext_rate=12.5, dict_params=True)
    _edit(path, lambda c: c.pop("inputs"))
    assert np.allclose(_run(path), table)


def test_rates_csv_with_timestamps_gives_a_piecewise_rate(reference, tmp_path):
    _, table = reference
    path = _network(tmp_path)
    (tmp_path / "rates.csv").write_text("gid timestamps firing_rate\n102 0.0 12.5\n102 0.03 0.0\n")
    steps = _run(path)
    assert np.allclose(steps[:151], table[:151])                             # same up to 30 ms
    assert steps[300, 2] < table[300, 2]
    rates = read_pop_rates(tmp_path / "rates.csv")
    assert np.allclose(rates[102].mean(np.array([0.0]), np.array([0.06])), 6.25)


def test_spike_inputs_set_a_constant_rate(tmp_path):
    from cantata.sonata.spikes import SpikeTrains

    path = _network(tmp_path)
    (tmp_path / "rates.csv").write_text("gid firing_rate\n102 50.0\n")
    table = _run(path)
    times = np.array([5.0, 25.0, 45.0])                                     # 3 spikes in 60 ms = 50 Hz
    SpikeTrains.from_arrays(np.zeros(3, dtype=np.int64), times, population="external").write_csv(
        tmp_path / "bg.csv")
    _edit(path, lambda c: c.update(inputs={"bg": {"input_type": "spikes", "module": "csv",
                                                  "input_file": str(tmp_path / "bg.csv"), "node_set": "external"}}))
    assert np.allclose(_run(path), table)


def test_compat_popnet_run_script(reference, tmp_path):
    from cantata.compat import popnet

    _, table = reference
    path = _network(tmp_path)
    configure = popnet.config.from_json(str(path))
    configure.build_env()
    network = popnet.PopNetwork.from_config(configure)
    sim = popnet.PopSimulator.from_config(configure, network)
    assert (sim.dt, sim.tstop, sim.n_steps) == (0.0002, 0.06, 300)
    assert sim.populations == [100, 101]
    result = sim.run()
    assert sim.rates_file in result.files
    assert np.array_equal(np.loadtxt(sim.rates_file), table)
    with pytest.raises(AttributeError, match="popnet.config"):
        popnet.config.load_json  # noqa: B018
    with pytest.raises(NotImplementedError, match="group_by"):
        popnet.PopNetwork.from_config(configure, group_by="node_id")


def test_rates_file_is_protected_when_overwrite_is_off(reference, tmp_path):
    path = _network(tmp_path)
    _run(path)
    _edit(path, lambda c: c["output"].update(overwrite_output_dir=False))
    with pytest.raises(SimulationError, match="overwrite_output_dir"):
        _run(path)


# -- bad input ------------------------------------------------------------------------------------

def _fails(path: Path, error: type[CantataError], *words: str) -> CantataError:
    with pytest.raises(error) as info:
        _run(path)
    for word in words:
        assert word in str(info.value), str(info.value)
    return info.value


@pytest.mark.parametrize(("params", "words"), [
    ({k: v for k, v in EXC.items() if k != "tau_m"}, ["lacks required keys", "missing tau_m", "node_type_id 100"]),
    ({**EXC, "dv": 0.00015}, ["dv must divide", "dynamics_params.dv"]),
    ({**EXC, "tau_m": 0.0}, ["tau_m must be positive"]),
    ({**EXC, "tau_m": -0.01}, ["tau_m must be positive"]),
    ({**EXC, "v_min": 0.005}, ["reset potential 0", "v_min=0.005"]),
    ({**EXC, "v_max": "20 mV"}, ["finite number", "v_max"]),
    ({**EXC, "update_method": "gmres"}, ["unknown update_method", "gmres"]),
    ({**EXC, "record": "yes"}, ["true or false"]),
])
def test_bad_dynamics_params(tmp_path, params, words):
    _fails(_network(tmp_path, exc=params), SimulationError, *words)


def test_unknown_model_template(tmp_path):
    _fails(_network(tmp_path, exc_template="nest:iaf_psc_delta"), SimulationError, "dipde:Internal",
           "nest:iaf_psc_delta")
    path = _network(tmp_path / "b", exc_template="dipde:Intern")
    _fails(_edit(path, lambda c: c.update(target_simulator="popnet")), SimulationError, "dipde:Intern")


def test_missing_dynamics_params_file(tmp_path):
    path = _network(tmp_path)
    (tmp_path / "models" / "exc.json").unlink()
    _fails(path, SimulationError, "not found", "exc.json")


@pytest.mark.parametrize(("text", "error", "words"), [
    ("gid rate\n102 12.5\n", FormatError, ["lacks required columns", "firing_rate"]),
    ("id firing_rate\n102 12.5\n", FormatError, ["lacks required columns", "gid"]),
    ("gid firing_rate\n102 -1\n", FormatError, ["negative"]),
    ("gid firing_rate\n102 fast\n", FormatError, ["finite numbers", "fast"]),
    ("gid firing_rate\n102 1\n102 2\n", FormatError, ["more than one rate"]),
    ("gid firing_rate\n7 12.5\n", SimulationError, ["no rate for", "gid 102", "[7]"]),
])
def test_bad_rates_csv(tmp_path, text, error, words):
    path = _network(tmp_path)
    (tmp_path / "rates.csv").write_text(text)
    err = _fails(path, error, *words)
    assert "rates.csv" in str(err)


def test_rates_input_errors(tmp_path):
    path = _network(tmp_path)
    _edit(path, lambda c: c["inputs"]["bg_rates"].pop("node_set"))
    _fails(path, ConfigError, "missing node_set")
    _edit(path, lambda c: c["inputs"]["bg_rates"].update(node_set="internal"))
    _fails(path, SimulationError, "external populations, not internal")
    _edit(path, lambda c: c["inputs"]["bg_rates"].update(node_set="external", rates=str(tmp_path / "none.csv")))
    _fails(path, FormatError, "rates file not found")


def test_external_population_without_a_rate(tmp_path):
    path = _edit(_network(tmp_path), lambda c: c.pop("inputs"))
    _fails(path, SimulationError, "has no firing rate", "node_type_id 102")


def test_edges_without_nsyns_or_syn_weight(tmp_path):
    import h5py

    path = _network(tmp_path)
    with h5py.File(tmp_path / "network" / "internal_internal_edges.h5", "r+") as h5:
        del h5["edges/internal_to_internal/0/nsyns"]
    _fails(path, SimulationError, "need nsyns", "internal_to_internal")
    path = _network(tmp_path / "b")
    types = tmp_path / "b" / "network" / "external_internal_edge_types.csv"
    types.write_text(types.read_text().replace("syn_weight", "weight"))
    _fails(path, SimulationError, "need syn_weight", "external_to_internal")


def test_run_dt_is_checked(tmp_path):
    path = _edit(_network(tmp_path), lambda c: c["run"].update(dt=0.0))
    _fails(path, ConfigError, "run.dt")


def test_record_false_leaves_a_population_out_of_the_rates_file(tmp_path):
    path = _network(tmp_path, inh={**INH, "record": False})
    table = _run(path)
    assert np.unique(table[:, 0]).tolist() == [100]


def test_validate_finds_population_models(tmp_path):
    from cantata.sonata.validate import validate

    path = _network(tmp_path)
    assert not validate(path).errors
    (tmp_path / "models" / "inh.json").unlink()
    assert any("inh.json" in str(p) for p in validate(path).errors)


def test_a_failed_run_keeps_the_rates_computed_so_far(tmp_path, monkeypatch):
    from cantata.sim.engines.population import solver

    path = _edit(_network(tmp_path), lambda c: c["run"].update(nsteps_block=100000))  # blocks of 20 ms
    original = solver.DensityNetwork.advance

    def advance(self, n_end):
        if self.step >= 100:
            raise RuntimeError("injected failure")
        original(self, n_end)

    monkeypatch.setattr(solver.DensityNetwork, "advance", advance)
    with pytest.raises(RuntimeError, match="injected"):
        _run(path)
    output = tmp_path / "output"
    assert not (output / "spike_rates.csv").exists()
    partial = np.loadtxt(output / "spike_rates.partial.csv")
    assert partial.shape == (2 * 101, 3)
