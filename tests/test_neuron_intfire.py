"""NEURON artificial cells and virtual cells: the 300_intfire example against its reference
output, and the parameter conventions (IntFire time constants in seconds)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_neuron_support import run_cantata, run_python

from cantata.sonata.spikes import SpikeTrains

EXAMPLE = "sonata-examples/300_intfire"


def _by_node(trains: SpikeTrains, population: str) -> tuple[np.ndarray, np.ndarray]:
    ids, times = trains.population(population)
    order = np.lexsort((times, ids))
    return ids[order], times[order]


def test_300_intfire_reproduces_the_reference_spikes(testdata: Path, tmp_path: Path) -> None:
    folder = testdata / EXAMPLE
    before = sorted(p.name for p in (folder / "output").iterdir())
    # run in place (its inputs name node sets "lgn"/"tw": population names), outputs elsewhere
    proc = run_cantata("run", "config.json", "--output-dir", str(tmp_path), "--no-progress", cwd=folder)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ours = SpikeTrains.read(tmp_path / "spikes.h5")
    reference = SpikeTrains.read(folder / "output" / "spikes.h5")
    assert ours.populations == ["v1"]
    ids, times = _by_node(ours, "v1")
    ref_ids, ref_times = _by_node(reference, "v1")
    assert ids.size == ref_ids.size == 4322
    assert np.array_equal(ids, ref_ids)  # every node spikes as often as in the reference
    assert np.abs(times - ref_times).max() < 1e-4
    assert sorted(p.name for p in (folder / "output").iterdir()) == before  # nothing written there


def test_intfire_parameters_use_bmtk_units() -> None:
    result = run_python("""
import json
from cantata.errors import SimulationError
from cantata.sim.engines.neuron.cells import set_point_params
from cantata.sim.engines.neuron.hoc import hoc
h = hoc()
a = h.IntFire1(); set_point_params(a, 'IntFire1', {'tau': 0.024, 'refrac': 0.003, 'type': 'NEURON_IntFire1'},
                                   source=None, who='n')
b = h.IntFire4(); set_point_params(b, 'IntFire4', {'taue': 0.005, 'taui1': 0.01, 'taui2': 0.02, 'taum': 0.05},
                                   source=None, who='n')
c = h.IntFire2(); set_point_params(c, 'IntFire2', {'taum': 0.01, 'taus': 0.02, 'ib': 0.5}, source=None, who='n')
errors = []
for params in ({'tua': 0.02}, {'tau': 'fast'}):
    try:
        set_point_params(h.IntFire1(), 'IntFire1', params, source='cell.json', who='node v1[3]')
    except SimulationError as exc:
        errors.append(str(exc))
print(json.dumps({'a': [a.tau, a.refrac], 'b': [b.taue, b.taui1, b.taui2, b.taum],
                  'c': [c.taum, c.taus, c.ib], 'errors': errors}))
""")
    assert result["a"] == pytest.approx([24.0, 3.0])
    assert result["b"] == pytest.approx([5.0, 10.0, 20.0, 50.0])
    assert result["c"] == pytest.approx([10.0, 20.0, 0.5])
    assert "no parameter 'tua'" in result["errors"][0] and "cell.json" in result["errors"][0]
    assert "not a number" in result["errors"][1] and "node v1[3]" in result["errors"][1]
