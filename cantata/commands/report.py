"""`cantata report SOURCE`: a printed summary of a simulation's spikes."""

from __future__ import annotations

import argparse

from cantata.cli import command


def _run(args: argparse.Namespace) -> int:
    from cantata.analysis import population_rates
    from cantata.analysis.sources import as_config, load_spikes
    from cantata.errors import ConfigError
    from cantata.sonata.circuit import Circuit

    config = as_config(args.source)
    if args.group_by is not None and config is None:
        raise ConfigError("node attributes come from the network of a simulation config", key="--group-by",
                          expected="a config (json) source", found=str(args.source))
    spikes = load_spikes(args.source)
    circuit = Circuit.from_config(config) if config is not None else None
    print(f"{spikes.n_spikes} spikes in {len(spikes.populations)} population(s)")
    table = population_rates(spikes if config is None else config, circuit=circuit, group_by=args.group_by)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


@command("report", "summarise a simulation's spikes: counts and rates per population")
def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", help="simulation config (json) or a spike file (h5/csv)")
    parser.add_argument("--group-by", help="node attribute to group rates by (config source)")
    parser.set_defaults(run=_run)
