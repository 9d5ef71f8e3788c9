"""`cantata plot raster|rates|traces SOURCE -o FILE.png`."""

from __future__ import annotations

import argparse

from cantata.cli import command


def _run(args: argparse.Namespace) -> int:
    from cantata.analysis import plot_raster, plot_rates, plot_traces
    from cantata.sonata.circuit import Circuit

    if args.kind == "raster":
        circuit = None
        if args.color_by:
            from cantata.analysis.sources import as_config

            config = as_config(args.source)
            if config is None:
                from cantata.errors import ConfigError

                raise ConfigError("--color-by needs the node attributes of a circuit", key="--color-by",
                                  expected="a simulation config (json) as SOURCE", found=str(args.source))
            circuit = Circuit.from_config(config)
        plot_raster(args.source, args.output, color_by=args.color_by, circuit=circuit)
    elif args.kind == "rates":
        plot_rates(args.source, args.output, bin_ms=args.bin_ms)
    else:
        ids = [int(v) for v in args.node_ids.split(",")] if args.node_ids else None
        plot_traces(args.source, args.output, report=args.report, node_ids=ids)
    print(f"wrote {args.output}")
    return 0


@command("plot", "plot spikes (raster, rates) or report traces to a PNG")
def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=["raster", "rates", "traces"])
    parser.add_argument("source", help="simulation config (json) or a spike/report file")
    parser.add_argument("-o", "--output", required=True, help="PNG file to write")
    parser.add_argument("--color-by", help="raster: node attribute to colour by (config source)")
    parser.add_argument("--bin-ms", type=float, default=10.0, help="rates: bin width in ms")
    parser.add_argument("--report", help="traces: report name in the config")
    parser.add_argument("--node-ids", help="traces: comma-separated node ids")
    parser.set_defaults(run=_run)
