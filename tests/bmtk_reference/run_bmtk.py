"""Run a SONATA config with one of BMTK's simulators, as BMTK's standard run scripts do.

Run by the peers' interpreter (``.venv-peers/bin/python``), not by Cantata's:
``python run_bmtk.py ENGINE CONFIG OUTPUT_DIR`` with ENGINE ``bionet``, ``pointnet`` or
``filternet``. OUTPUT_DIR must not exist yet; the run goes through a copy of CONFIG (next to
it) whose ``output.output_dir`` is OUTPUT_DIR (see bmtk_run.py).
"""

from __future__ import annotations

import importlib
import sys

from bmtk_run import check_resolved, prepare_config

# engine -> (network class, simulator class) in bmtk.simulator.<engine>
CLASSES = {
    "bionet": ("BioNetwork", "BioSimulator"),
    "pointnet": ("PointNetwork", "PointSimulator"),
    "filternet": ("FilterNetwork", "FilterSimulator"),
}


def main(engine: str, config_path: str, output_dir: str) -> int:
    """Run BMTK's ``engine`` on ``config_path`` writing into ``output_dir``."""
    network_class, simulator_class = CLASSES[engine]
    copy = prepare_config(config_path, output_dir, f"bmtk_{engine}")
    module = importlib.import_module(f"bmtk.simulator.{engine}")
    conf = module.Config.from_json(str(copy))
    check_resolved(conf, output_dir)
    conf.build_env()
    net = getattr(module, network_class).from_config(conf)
    sim = getattr(module, simulator_class).from_config(conf, net)
    sim.run()
    if engine == "bionet":
        module.nrn.quit_execution()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:4]))
