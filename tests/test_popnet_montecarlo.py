"""The popnet engine's population rates against Monte-Carlo runs of NEST ``iaf_psc_delta``.

DiPDE's model is a population of leaky integrate-and-fire neurons with delta synapses, rest and
reset at 0, no refractory period, driven by Poisson inputs. The same neurons are simulated
one by one in NEST (thousands of them, each with its own Poisson inputs) and their population
rate is compared with the density solution:

* steady state within 3 % (single population) and 5 % (recurrent E-I network, where the
  recurrent inputs of the finite network are not exactly Poisson);
* step response (onset from rest and a step of the input rate): every 5 ms bin within 3 % of
  the final rate plus 4 standard errors of the Monte-Carlo bin, the mean absolute difference
  within 3 % of the final rate, both plateaus within 3 %.

Grids use dv = 0.05 mV with jumps of about 1 mV; the density method's error is first order in
dv / w (see docs/engines/popnet.md).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from cantata.sim.engines.population.density import Grid
from cantata.sim.engines.population.rates import PiecewiseRate
from cantata.sim.engines.population.solver import Connection, DensityNetwork, InternalPopulation

nest = pytest.importorskip("nest")

DV = 5e-5          # V
V_MIN = -0.05      # V
V_TH = 0.02        # V
BIN = 5.0          # ms


def _kernel(seed: int) -> None:
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": 0.1, "rng_seed": seed, "local_num_threads": 1})


def _neurons(n: int, tau_m: float):
    """``n`` iaf_psc_delta neurons matching a DiPDE population (``tau_m`` in s)."""
    return nest.Create("iaf_psc_delta", n, params={
        "E_L": 0.0, "V_reset": 0.0, "V_m": 0.0, "V_th": V_TH * 1e3, "V_min": V_MIN * 1e3,
        "tau_m": tau_m * 1e3, "t_ref": 0.0, "I_e": 0.0})


def _poisson(target, times_s: list[float], rates: list[float], weight_v: float, tstop_ms: float) -> None:
    """Independent Poisson inputs to every target, piecewise-constant rate (Hz), jump in V."""
    ends = [*times_s[1:], tstop_ms / 1e3]
    for start, stop, rate in zip(times_s, ends, rates):
        gen = nest.Create("poisson_generator", params={"rate": float(rate), "start": start * 1e3, "stop": stop * 1e3})
        nest.Connect(gen, target, syn_spec={"weight": weight_v * 1e3, "delay": 0.1})


def _spike_times(neurons) -> np.ndarray:
    recorder = nest.Create("spike_recorder")
    nest.Connect(neurons, recorder)
    return recorder


def _binned(times_ms: np.ndarray, n: int, tstop_ms: float) -> np.ndarray:
    counts, _ = np.histogram(times_ms, bins=np.arange(0.0, tstop_ms + BIN / 2, BIN))
    return counts / n / (BIN / 1e3)


def _density(tau_m: float, inputs: list[tuple[list[float], list[float], float]], tstop: float,
             dt: float = 1e-4) -> np.ndarray:
    """Rates of one density population driven by ``inputs`` (times s, rates Hz, weight V)."""
    pop = InternalPopulation("p", Grid(V_MIN, V_TH, DV), tau_m)
    externals = {i: PiecewiseRate(np.array(t), np.array(r)) for i, (t, r, _) in enumerate(inputs)}
    conns = [Connection(i, "p", w, 1.0) for i, (_, _, w) in enumerate(inputs)]
    n = int(round(tstop / dt))
    net = DensityNetwork([pop], externals, conns, dt, n)
    net.advance(n)
    return net.rates[1:, 0]


def _relative(a: float, b: float) -> float:
    return abs(a - b) / b


def test_steady_state_excitatory_and_inhibitory_inputs():
    """E and I Poisson drive, fluctuation-driven (mean 18.8 mV below the 20 mV threshold),
    jumps that are not whole multiples of dv (1.03 mV = 20.6 bins)."""
    tau_m, tstop, n = 0.02, 400.0, 10000
    inputs = [([0.0], [1300.0], 1.03e-3), ([0.0], [400.0], -1.0e-3)]
    rates = _density(tau_m, inputs, tstop / 1e3)
    density = rates[1500:].mean()                       # 150-400 ms

    _kernel(11)
    cells = _neurons(n, tau_m)
    for times, values, weight in inputs:
        _poisson(cells, times, values, weight, tstop)
    recorder = _spike_times(cells)
    nest.Simulate(tstop)
    spikes = recorder.get("events")["times"]
    monte_carlo = np.count_nonzero(spikes >= 150.0) / n / 0.25

    print(f"steady state: density {density:.3f} Hz, NEST {monte_carlo:.3f} Hz")
    assert monte_carlo > 5.0
    assert _relative(density, monte_carlo) < 0.03


def test_step_response_follows_monte_carlo():
    """From rest, input at 1000 Hz, stepping to 1500 Hz at 150 ms (1 mV jumps): the onset and
    step transients in 5 ms bins, each within 3 % of the final rate plus 4 standard errors of
    the Monte-Carlo bin; the plateaus within 3 %."""
    tau_m, tstop, n = 0.02, 300.0, 10000
    inputs = [([0.0, 0.15], [1000.0, 1500.0], 1.0e-3)]
    rates = _density(tau_m, inputs, tstop / 1e3)
    density = rates.reshape(-1, int(BIN / 0.1)).mean(axis=1)

    _kernel(12)
    cells = _neurons(n, tau_m)
    _poisson(cells, *inputs[0], tstop)
    recorder = _spike_times(cells)
    nest.Simulate(tstop + 0.1)
    spikes = recorder.get("events")["times"] - 0.1      # inputs arrive after a 0.1 ms delay
    monte_carlo = _binned(spikes, n, tstop)
    standard_error = np.sqrt(np.maximum(monte_carlo, 1.0) * n * BIN / 1e3) / n / (BIN / 1e3)

    final = monte_carlo[-20:].mean()                   # 200-300 ms
    first = monte_carlo[10:30].mean()                  # 50-150 ms
    error = np.abs(density - monte_carlo)
    print(f"step response: plateaus {density[10:30].mean():.3f}/{first:.3f} and {density[-20:].mean():.3f}/"
          f"{final:.3f} Hz (density/NEST); bins: max error {error.max() / final:.3f}, mean "
          f"{error.mean() / final:.3f} of the final rate; max error/standard error "
          f"{(error / standard_error).max():.2f}")
    assert _relative(density[10:30].mean(), first) < 0.03
    assert _relative(density[-20:].mean(), final) < 0.03
    assert (error <= 0.03 * final + 4 * standard_error).all()
    assert error.mean() < 0.03 * final


RECURRENT = {
    "E": {"tau_m": 0.02, "n": 5000, "ext_rate": 1000.0},
    "I": {"tau_m": 0.01, "n": 2000, "ext_rate": 800.0},
    # (source, target): (in-degree, jump V)
    "edges": {("E", "E"): (10, 1.0e-3), ("E", "I"): (40, 1.0e-3), ("I", "E"): (10, -2.0e-3), ("I", "I"): (10, -1.0e-3)},
    "w_ext": 1.0e-3,
    "delay": 0.002,
}


def _recurrent_network(folder) -> object:
    """The E-I network as SONATA files and a config, built with cantata.build."""
    from cantata.build import NetworkBuilder

    models = folder / "models"
    models.mkdir()
    net = NetworkBuilder("internal")
    for name in ("E", "I"):
        params = {"tau_m": RECURRENT[name]["tau_m"], "v_min": V_MIN, "v_max": V_TH, "dv": DV}
        (models / f"{name}.json").write_text(json.dumps(params))
        net.add_nodes(pop_name=name, model_type="population", model_template="dipde:Internal",
                      dynamics_params=f"{name}.json")
    for (src, tgt), (k, w) in RECURRENT["edges"].items():
        net.add_edges(source={"pop_name": src}, target={"pop_name": tgt}, syn_weight=w, nsyns=k,
                      delay=RECURRENT["delay"])
    net.build()
    net.save(output_dir=str(folder / "network"))
    ext = NetworkBuilder("external")
    for name in ("E", "I"):
        ext.add_nodes(pop_name=f"ext_{name}", model_type="virtual", firing_rate=RECURRENT[name]["ext_rate"])
        ext.add_edges(source={"pop_name": f"ext_{name}"}, target=net.nodes(pop_name=name),
                      syn_weight=RECURRENT["w_ext"], nsyns=1, delay=0.0)
    ext.build()
    ext.save(output_dir=str(folder / "network"))
    config = {
        "target_simulator": "DiPDE",
        "run": {"tstop": 400.0, "dt": 0.0001},
        "output": {"output_dir": str(folder / "output"), "rates_file": "rates.csv", "log_to_console": False},
        "components": {"population_models_dir": str(models)},
        "networks": {
            "nodes": [{"nodes_file": str(folder / "network" / f"{n}_nodes.h5"),
                       "node_types_file": str(folder / "network" / f"{n}_node_types.csv")}
                      for n in ("internal", "external")],
            "edges": [{"edges_file": str(folder / "network" / f"{n}_internal_edges.h5"),
                       "edge_types_file": str(folder / "network" / f"{n}_internal_edge_types.csv")}
                      for n in ("internal", "external")],
        },
    }
    path = folder / "config.json"
    path.write_text(json.dumps(config))
    return path


@pytest.mark.slow
def test_recurrent_excitatory_inhibitory_network(tmp_path):
    """Two recurrently connected populations (E-E, E-I, I-E, I-I, 2 ms delays, external drive
    from firing_rate attributes), run from a SONATA config; NEST runs 5000 + 2000 neurons with
    fixed in-degrees. Steady state (150-400 ms) within 5 %."""
    from cantata.sim import Simulation

    Simulation.from_config(_recurrent_network(tmp_path), progress=False).run()
    table = np.loadtxt(tmp_path / "output" / "rates.csv")
    keys = np.unique(table[:, 0]).astype(int).tolist()
    density = {}
    for key, name in zip(keys, ("E", "I")):
        rows = table[table[:, 0] == key]
        density[name] = rows[rows[:, 1] > 0.15, 2].mean()

    _kernel(13)
    cells = {name: _neurons(RECURRENT[name]["n"], RECURRENT[name]["tau_m"]) for name in ("E", "I")}
    for name in ("E", "I"):
        _poisson(cells[name], [0.0], [RECURRENT[name]["ext_rate"]], RECURRENT["w_ext"], 400.0)
    for (src, tgt), (k, w) in RECURRENT["edges"].items():
        nest.Connect(cells[src], cells[tgt], {"rule": "fixed_indegree", "indegree": k},
                     {"weight": w * 1e3, "delay": RECURRENT["delay"] * 1e3})
    recorders = {name: _spike_times(cells[name]) for name in ("E", "I")}
    nest.Simulate(400.0)
    for name in ("E", "I"):
        spikes = recorders[name].get("events")["times"]
        monte_carlo = np.count_nonzero(spikes >= 150.0) / RECURRENT[name]["n"] / 0.25
        print(f"recurrent {name}: density {density[name]:.3f} Hz, NEST {monte_carlo:.3f} Hz")
        assert monte_carlo > 3.0
        assert _relative(density[name], monte_carlo) < 0.05
