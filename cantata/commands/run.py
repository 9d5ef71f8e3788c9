"""`cantata run CONFIG`: run a SONATA simulation config on the engine it asks for."""

from __future__ import annotations

import argparse

from cantata.cli import command


def _load_plugin(target: str) -> None:
    """Import a Python file or module so that its @synaptic_weight / @input_module ... register."""
    import importlib
    import importlib.util
    from pathlib import Path

    from cantata.errors import ConfigError

    path = Path(target)
    if path.suffix == ".py":
        if not path.is_file():
            raise ConfigError("plugin file not found", key="--plugin", found=str(path))
        spec = importlib.util.spec_from_file_location(f"cantata_plugin_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        try:
            importlib.import_module(target)
        except ImportError as exc:
            raise ConfigError(f"cannot import plugin: {exc}", key="--plugin", found=target) from None


def _run(args: argparse.Namespace) -> int:
    from cantata.sim.simulation import Simulation

    for plugin in args.plugin:
        _load_plugin(plugin)
    sim = Simulation.from_config(args.config, threads=args.threads, output_dir=args.output_dir, engine=args.engine,
                                 progress=not args.no_progress)
    result = sim.run()
    print(f"{result.n_spikes} spikes; simulated {sim.settings.tstop:g} ms in {result.run_seconds:.2f} s "
          f"(network built in {result.build_seconds:.2f} s)")
    for path in result.files:
        print(f"  {path}")
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text}")
    return value


@command("run", "run a SONATA simulation config (NEST point networks, NEURON ...)")
def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="the simulation config (json)")
    parser.add_argument("--threads", type=_positive_int, default=None,
                        help="threads for the engine (default: run.n_threads, else 1)")
    parser.add_argument("--output-dir", default=None,
                        help="write the outputs here instead of the config's output_dir")
    parser.add_argument("--engine", default=None, help="engine to use instead of the config's target_simulator")
    parser.add_argument("--plugin", action="append", default=[], metavar="FILE_OR_MODULE",
                        help="import this Python file or module first, e.g. to register weight functions "
                             "(repeatable)")
    parser.add_argument("--no-progress", action="store_true", help="do not show the progress line")
    parser.set_defaults(run=_run)
