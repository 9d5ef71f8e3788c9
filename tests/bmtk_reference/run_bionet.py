"""Run a SONATA config with BMTK's BioNet, as BMTK's standard run script does.

Run by the peers' interpreter (``.venv-peers/bin/python``), not by Cantata's:
``python run_bionet.py CONFIG OUTPUT_DIR``. OUTPUT_DIR must not exist yet; the run goes
through a copy of CONFIG (next to it) whose ``output.output_dir`` is OUTPUT_DIR (see bmtk_run.py).
"""

from __future__ import annotations

import sys

from bmtk_run import check_resolved, prepare_config


def main(config_path: str, output_dir: str) -> int:
    """Run BMTK BioNet on ``config_path`` writing into ``output_dir``."""
    copy = prepare_config(config_path, output_dir, "bmtk_bionet")
    from bmtk.simulator import bionet

    conf = bionet.Config.from_json(str(copy))
    check_resolved(conf, output_dir)
    conf.build_env()
    net = bionet.BioNetwork.from_config(conf)
    sim = bionet.BioSimulator.from_config(conf, network=net)
    sim.run()
    bionet.nrn.quit_execution()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:3]))
