"""`cantata new DIR [ENGINE]`: a simulation folder with components, a config and a run script."""

from __future__ import annotations

import argparse
from pathlib import Path

from cantata.cli import command


def _split_positionals(args: argparse.Namespace) -> tuple[str, str | None]:
    """DIR and ENGINE from ``new DIR [ENGINE]`` or BMTK's order ``new ENGINE DIR``."""
    from cantata.environment import ENGINE_ALIASES, ENGINES
    from cantata.errors import ConfigError

    known = {*ENGINES, *ENGINE_ALIASES}
    words = args.positionals
    if len(words) == 1:
        directory, engine = words[0], None
    elif len(words) == 2:
        first_is_engine = words[0].lower() in known and words[1].lower() not in known
        directory, engine = (words[1], words[0]) if first_is_engine else (words[0], words[1])
    else:
        raise ConfigError("expected a folder and optionally an engine", key="DIR [ENGINE]",
                          expected="cantata new DIR [neuron|nest|filternet|popnet]", found=" ".join(words) or "nothing")
    if engine is not None and args.engine is not None and engine.lower() != args.engine.lower():
        raise ConfigError("engine given twice with different values", key="--engine",
                          expected=f"{engine} (or leave one out)", found=args.engine)
    return directory, engine or args.engine


def _run(args: argparse.Namespace) -> int:
    from cantata.environment import new_environment

    directory, engine = _split_positionals(args)
    env = new_environment(
        directory, engine or "neuron",
        config_file=args.config_file, run_script=args.run_script, overwrite=args.overwrite,
        network_dir=args.network_dir, output_dir=args.output_dir, tstop=args.tstop, dt=args.dt,
        report_vars=args.report_vars, iclamp=args.iclamp, spikes_inputs=args.spikes_inputs,
        rates_inputs=args.rates_inputs,
        compile_mechanisms=args.compile_mechanisms, include_examples=args.include_examples,
    )
    base = env.base_dir

    def show(path: Path) -> str:
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)

    print(f"{env.engine} environment in {show(base)}")
    print(f"  config:      {show(env.config)}")
    print(f"  run script:  {show(env.run_script)}")
    print(f"  components:  {show(base / 'components')} ({', '.join(env.component_dirs)})")
    for h5, csv in env.nodes:
        print(f"  nodes:       {show(h5)}" + (f" + {csv.name}" if csv else ""))
    for h5, csv in env.edges:
        print(f"  edges:       {show(h5)}" + (f" + {csv.name}" if csv else ""))
    if env.copied:
        print(f"  examples:    {len(env.copied)} file(s) copied into components/")
    if env.mechanisms_build is not None:
        print(f"  mechanisms:  compiled into {env.mechanisms_build}")
    for note in env.notes:
        print(f"note: {note}")
    print(f"run it with: python {show(env.run_script)}")
    return 0


@command("new", "create a simulation folder: components/, a SONATA config and a run script")
def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("positionals", nargs="+", metavar="DIR [ENGINE]",
                        help="folder to create or complete; engine neuron (default), nest, filternet "
                             "or popnet (BMTK's names and order ENGINE DIR work too)")
    parser.add_argument("--engine", help="neuron, nest, filternet or popnet: sets target_simulator")
    parser.add_argument("--config-file", default="config.json", help="config file name (default config.json)")
    parser.add_argument("--run-script", default="run.py", help="run script name (default run.py)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an existing config, run script or example component")
    parser.add_argument("-n", "--network-dir", help="folder of the network files (default DIR/network)")
    parser.add_argument("-o", "--output-dir", help="folder for the results (default DIR/output)")
    parser.add_argument("--tstop", type=float, default=1000.0, help="simulated time in ms (default 1000)")
    parser.add_argument("--dt", type=float, default=0.1, help="time step in ms (default 0.1)")
    parser.add_argument("--report-vars", help="variables to record at the soma, e.g. v,cai")
    parser.add_argument("--iclamp", action="append",
                        help="current clamp amp,delay,duration (nA for NEURON, pA for NEST); "
                             "several with ';' or by repeating the flag")
    parser.add_argument("--spikes-inputs", action="append",
                        help="spike inputs population:file[,population:file] (h5, csv or nwb)")
    parser.add_argument("--rates-inputs", action="append",
                        help="PopNet rate inputs population:file[,population:file] (pop_rates csv)")
    parser.add_argument("--compile-mechanisms", action="store_true",
                        help="compile components/mechanisms with nrnivmodl (NEURON)")
    parser.add_argument("--include-examples", action="store_true",
                        help="copy Cantata's example components (Allen channels for NEURON, "
                             "point-neuron and synapse JSON files; filter or population models)")
    parser.set_defaults(run=_run)
