"""`cantata info PATH`: what a SONATA config or data file holds.

PATH may be a circuit or simulation config (json), a nodes or edges file (h5, with an
optional ``--types`` CSV), a types CSV, a spike file (h5 or csv) or a frame report (h5).
The summary is printed as text, or as JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from cantata.cli import command
from cantata.errors import FormatError

MAX_ATTRIBUTES = 40


# ----------------------------------------------------------------------------------------------
# describing


def describe(path: Path, types: Path | None = None) -> dict[str, Any]:
    """A JSON-ready summary of ``path``; ``kind`` says what the file is."""
    if not path.exists():
        raise FormatError("file not found", file=path)
    if path.is_dir():
        raise FormatError("is a folder", file=path, expected="a config (json) or a SONATA data file")
    if path.suffix.lower() == ".json":
        if types is not None:
            raise FormatError("--types applies to nodes and edges files only", file=path)
        return describe_config(path)
    import h5py

    if h5py.is_hdf5(path):
        with h5py.File(path, "r") as h5:
            roots = set(h5.keys())
        for kind in ("nodes", "edges"):
            if kind in roots:
                return describe_network_file(path, kind, types)
        if types is not None:
            raise FormatError("--types applies to nodes and edges files only", file=path)
        if "report" in roots:
            return describe_report(path)
        if "spikes" in roots or path.suffix.lower() == ".nwb":
            return describe_spikes(path)
        raise FormatError("not a SONATA data file", file=path,
                          expected="an HDF5 file with /nodes, /edges, /spikes or /report",
                          found=", ".join(f"/{k}" for k in sorted(roots)) or "an empty file")
    if types is not None:
        raise FormatError("--types applies to nodes and edges files only", file=path)
    if _looks_like_types_table(path):
        return describe_types_table(path)
    return describe_spikes(path)


def describe_config(path: Path) -> dict[str, Any]:
    from cantata.sonata.circuit import Circuit
    from cantata.sonata.config import load_config

    config = load_config(path)
    run = config.run
    info: dict[str, Any] = {
        "kind": "config",
        "path": str(path),
        "files": [str(p) for p in config.sources],
        "target_simulator": config.target_simulator,
        "run": {k: run[k] for k in ("tstart", "tstop", "dt") if k in run},
        "inputs": {name: {k: block.get(k) for k in ("input_type", "module", "node_set") if k in block}
                   for name, block in config.inputs.items()},
        "reports": {name: {k: block.get(k) for k in ("module", "variable_name", "cells", "sections") if k in block}
                    for name, block in config.reports.items()},
        "node_sets": sorted(config.node_sets) if _node_sets_readable(config) else None,
        "output_dir": str(config.output_dir) if any(k in config for k in ("run", "output")) else None,
    }
    with Circuit.from_config(config) as circuit:
        info["nodes"] = {name: _node_summary(pop) for name, pop in circuit.nodes.items()}
        info["edges"] = {name: _edge_summary(pop) for name, pop in circuit.edges.items()}
    return info


def _node_sets_readable(config: Any) -> bool:
    from cantata.errors import CantataError

    try:
        config.node_sets  # noqa: B018 - reads the node sets files
    except CantataError:
        return False
    return True


def describe_network_file(path: Path, kind: str, types: Path | None) -> dict[str, Any]:
    from cantata.sonata.circuit import Circuit

    entry = [(path, types)]
    with Circuit.from_files(**{kind: entry}) as circuit:
        if kind == "nodes":
            populations = {name: _node_summary(pop) for name, pop in circuit.nodes.items()}
        else:
            populations = {name: _edge_summary(pop) for name, pop in circuit.edges.items()}
    return {"kind": kind, "path": str(path), "types_file": None if types is None else str(types),
            "populations": populations}


def _type_counts(pop: Any, label_columns: tuple[str, ...]) -> list[dict[str, Any]]:
    type_col = pop.type_id_column
    ids, counts = np.unique(pop.get_attribute(type_col), return_counts=True)
    table = pop.types.set_index(type_col) if len(pop.types) else None
    rows = []
    for tid, count in zip(ids.tolist(), counts.tolist()):
        row: dict[str, Any] = {type_col: tid, "count": count}
        if table is not None and tid in table.index:
            for column in label_columns:
                if column in table.columns and _present(table.at[tid, column]):
                    row[column] = _plain(table.at[tid, column])
        rows.append(row)
    return rows


def _node_summary(pop: Any) -> dict[str, Any]:
    return {
        "file": str(pop.path),
        "types_file": None if pop.types_file is None else str(pop.types_file),
        "size": pop.size,
        "node_types": _type_counts(pop, ("model_type", "model_name", "model_template")),
        "attributes": sorted(pop.attribute_names),
    }


def _edge_summary(pop: Any) -> dict[str, Any]:
    return {
        "file": str(pop.path),
        "types_file": None if pop.types_file is None else str(pop.types_file),
        "size": pop.size,
        "source": pop.source,
        "target": pop.target,
        "edge_types": _type_counts(pop, ("model_template", "dynamics_params")),
        "attributes": sorted(pop.attribute_names),
    }


def describe_spikes(path: Path) -> dict[str, Any]:
    from cantata.sonata.spikes import SpikeTrains

    trains = SpikeTrains.read(path)
    populations = {}
    for name in trains.populations:
        ids, times = trains.population(name)
        populations[name] = {
            "spikes": int(ids.size),
            "nodes_with_spikes": int(np.unique(ids).size),
            "first_ms": float(times.min()) if times.size else None,
            "last_ms": float(times.max()) if times.size else None,
        }
    return {"kind": "spikes", "path": str(path), "spikes": trains.n_spikes, "populations": populations}


def describe_report(path: Path) -> dict[str, Any]:
    from cantata.sonata.reports import FrameReport

    populations = {}
    with FrameReport.open(path) as report:
        for name in report.populations:
            pop = report[name]
            frames, columns = pop.shape
            populations[name] = {
                "nodes": int(pop.node_ids.size), "columns": int(columns), "frames": int(frames),
                "tstart": pop.tstart, "tstop": pop.tstop, "dt": pop.dt,
                "variable": pop.variable or None, "units": pop.units or None, "dtype": str(pop.dtype),
            }
    return {"kind": "report", "path": str(path), "populations": populations}


def describe_types_table(path: Path) -> dict[str, Any]:
    from cantata.sonata.types_table import read_types_csv

    table = read_types_csv(path)
    id_column = "node_type_id" if "node_type_id" in table.columns else "edge_type_id"
    return {"kind": "types", "path": str(path), "id_column": id_column, "rows": len(table),
            "type_ids": table[id_column].tolist(), "columns": list(table.columns)}


def _looks_like_types_table(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            header = fh.readline().replace('"', " ").split()
    except OSError:
        return False
    return "node_type_id" in header or "edge_type_id" in header


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value))


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


# ----------------------------------------------------------------------------------------------
# text


def render(info: dict[str, Any]) -> str:
    """The summary as readable text."""
    kind = info["kind"]
    if kind == "config":
        return _render_config(info)
    if kind in ("nodes", "edges"):
        lines = [f"{kind} file {info['path']}"]
        lines += _render_populations(kind, info["populations"])
        return "\n".join(lines)
    if kind == "spikes":
        lines = [f"spike file {info['path']}: {info['spikes']} spikes"]
        for name, pop in info["populations"].items():
            span = f", {pop['first_ms']:g}..{pop['last_ms']:g} ms" if pop["spikes"] else ""
            lines.append(f"  {name}: {pop['spikes']} spikes from {pop['nodes_with_spikes']} nodes{span}")
        return "\n".join(lines)
    if kind == "report":
        lines = [f"report file {info['path']}"]
        for name, pop in info["populations"].items():
            what = " ".join(str(v) for v in (pop["variable"], f"[{pop['units']}]" if pop["units"] else None) if v)
            lines.append(f"  {name}: {what or 'values'} of {pop['nodes']} nodes ({pop['columns']} columns), "
                         f"{pop['frames']} frames, {pop['tstart']:g}..{pop['tstop']:g} ms every {pop['dt']:g} ms")
        return "\n".join(lines)
    return (f"{info['id_column'][:4]} types table {info['path']}: {info['rows']} types "
            f"({_listing(info['type_ids'])})\n  columns: {', '.join(info['columns'])}")


def _render_config(info: dict[str, Any]) -> str:
    lines = [f"config {info['path']}"]
    if len(info["files"]) > 1:
        lines.append("  files: " + ", ".join(Path(f).name for f in info["files"]))
    run = info["run"]
    if run or info["target_simulator"]:
        parts = [f"simulator {info['target_simulator']}"] if info["target_simulator"] else []
        parts += [f"{k} {v:g} ms" if isinstance(v, (int, float)) else f"{k} {v}" for k, v in run.items()]
        lines.append("  run: " + ", ".join(parts))
    for section in ("inputs", "reports"):
        if info[section]:
            items = [f"{name} ({', '.join(str(v) for v in block.values())})" for name, block in info[section].items()]
            lines.append(f"  {section}: " + "; ".join(items))
    if info["node_sets"]:
        lines.append("  node sets: " + _listing(info["node_sets"]))
    elif info["node_sets"] is None:
        lines.append("  node sets: unreadable (see cantata validate)")
    if info["output_dir"]:
        lines.append(f"  output: {info['output_dir']}")
    lines += _render_populations("nodes", info["nodes"])
    lines += _render_populations("edges", info["edges"])
    return "\n".join(lines)


def _render_populations(kind: str, populations: dict[str, dict[str, Any]]) -> list[str]:
    total = sum(p["size"] for p in populations.values())
    noun = kind[:-1]
    lines = [f"{noun} populations: {len(populations)} ({total} {kind})"]
    for name, pop in populations.items():
        files = Path(pop["file"]).name + (f" + {Path(pop['types_file']).name}" if pop["types_file"] else "")
        link = f"{pop['source']} -> {pop['target']}, " if kind == "edges" else ""
        lines.append(f"  {name}: {link}{pop['size']} {kind} ({files})")
        types = []
        for row in pop[f"{noun}_types"]:
            labels = " ".join(str(v) for k, v in row.items() if k not in (f"{noun}_type_id", "count"))
            types.append(f"{row[f'{noun}_type_id']} x{row['count']}" + (f" {labels}" if labels else ""))
        lines.append(f"    {noun} types: " + ("; ".join(types) if types else "none"))
        lines.append(f"    attributes: {_listing(pop['attributes'], MAX_ATTRIBUTES)}")
    return lines


def _listing(items: list[Any], limit: int = 20) -> str:
    shown = ", ".join(str(i) for i in items[:limit])
    return shown + (f", ... ({len(items) - limit} more)" if len(items) > limit else "")


# ----------------------------------------------------------------------------------------------
# command


def _run(args: argparse.Namespace) -> int:
    info = describe(Path(args.path), None if args.types is None else Path(args.types))
    print(json.dumps(info, indent=2, default=str) if args.json else render(info))
    return 0


@command("info", "summarise a config, nodes/edges file, spike file or report file")
def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="config (json), nodes/edges h5, types csv, spikes h5/csv or report h5")
    parser.add_argument("--types", help="types CSV to read with a nodes or edges h5 file")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.set_defaults(run=_run)
