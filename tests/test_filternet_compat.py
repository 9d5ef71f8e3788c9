"""``cantata.compat.filternet``: BMTK's standard FilterNet run script, with only its import
changed, writes the same rates and spike files as ``Simulation.from_config(...).run()``."""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "bmtk_reference"))
from filternet_model import build_network, write_config

from cantata.errors import ConfigError
from cantata.sim import Simulation

# BMTK's run_filternet.py as sim_setup writes it; only the import differs.
STANDARD_SCRIPT = """\
import os, sys
from cantata.compat import filternet


def run(config_file):
    config = filternet.Config.from_json(config_file)
    config.build_env()

    net = filternet.FilterNetwork.from_config(config)
    sim = filternet.FilterSimulator.from_config(config, net)
    sim.run()


if __name__ == '__main__':
    run(sys.argv[-1])
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    net = build_network(tmp_path, width=16, height=12)
    np.save(tmp_path / "movie.npy", np.random.default_rng(2).uniform(-1, 1, (150, 12, 16)))
    block = {"module": "movie", "data_file": str(tmp_path / "movie.npy"), "frame_rate": 1000.0}
    return write_config(tmp_path, net, block, tstop=150.0,
                        output={"spikes_file": None, "spikes_file_csv": None, "spikes_h5": "spikes.h5",
                                "spikes_csv": "spikes.csv"})


def _moved(config: Path, name: str, folder: Path) -> Path:
    data = json.loads(config.read_text())
    data["output"]["output_dir"] = str(folder)
    path = config.with_name(f"{name}.json")
    path.write_text(json.dumps(data))
    return path


def test_standard_script_writes_the_same_files(config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Simulation.from_config(_moved(config, "reference", tmp_path / "reference"), progress=False).run()
    script = tmp_path / "run_filternet.py"
    script.write_text(STANDARD_SCRIPT)
    monkeypatch.setattr(sys, "argv", [str(script), str(_moved(config, "shim", tmp_path / "shim"))])
    runpy.run_path(str(script), run_name="__main__")
    for name in ("spikes.h5", "spikes.csv", "rates.csv"):
        assert (tmp_path / "shim" / name).read_bytes() == (tmp_path / "reference" / name).read_bytes(), name
    with h5py.File(tmp_path / "shim" / "rates.h5") as a, h5py.File(tmp_path / "reference" / "rates.h5") as b:
        for name in ("node_id", "times", "firing_rates_Hz"):
            np.testing.assert_array_equal(a[f"firing_rates/lgn/{name}"][()], b[f"firing_rates/lgn/{name}"][()])


def test_simulator_and_config_names(config: Path, tmp_path: Path) -> None:
    from cantata.compat import filternet

    data = json.loads(config.read_text())
    data["target_simulator"] = "NEST"  # not consulted: FilterNet always means the filternet engine
    data["conditions"] = {"jitter_lower": 0.9, "jitter_upper": 1.1}
    path = config.with_name("nest.json")
    path.write_text(json.dumps(data))
    conf = filternet.Config.from_json(path)
    assert conf.jitter == (0.9, 1.1)
    sim = filternet.FilterSimulator.from_config(conf, filternet.FilterNetwork.from_config(conf))
    assert sim.simulation.engine_spec.name == "filternet" and sim.tstop == 150.0
    result = sim.run()
    assert sorted(p.name for p in result.files) == ["rates.csv", "rates.h5", "spikes.csv", "spikes.h5"]
    with pytest.raises(NotImplementedError, match="inputs block"):
        sim.add_movie("movie", {})
    with pytest.raises(NotImplementedError, match="lgnmodel"):
        filternet.FilterNetwork.from_config(conf).set_default_processing(print)
    with pytest.raises(AttributeError, match="Supported: Config, FilterNetwork, FilterSimulator"):
        filternet.PopNetwork  # noqa: B018
    assert filternet.Config.from_json(config).jitter is None


def test_bad_config_jitter(config: Path) -> None:
    from cantata.compat import filternet

    data = json.loads(config.read_text())
    data["conditions"] = {"jitter_lower": 1.2, "jitter_upper": 1.1}
    config.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match="jitter_lower <= jitter_upper") as err:
        filternet.Config.from_json(config).jitter  # noqa: B018
    assert "conditions.jitter_lower" in str(err.value)
