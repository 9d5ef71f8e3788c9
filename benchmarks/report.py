"""Markdown rendering of a scenario result record (standard library only)."""

from __future__ import annotations

from typing import Any

RATIO_NOTE = (
    "Times are medians of wall time over the repeats, in seconds. **time C/P** = Cantata time / "
    "peer time (below 1: Cantata is faster). **throughput C/P** = peer time / Cantata time, "
    "Cantata's throughput as a fraction of the peer's (above 1: Cantata is faster); a target, "
    "where set, is a minimum throughput C/P. **CPU C/P** is the time ratio of CPU seconds "
    "(user + system), which other processes on the machine disturb far less than wall time; "
    "**best C/P** is the ratio of the fastest wall times, the least disturbed runs. "
    "Peak RSS is the largest resident memory of the side's process."
)


def _num(value: float | None, digits: int = 3) -> str:
    """Seconds (``digits=3``): three significant digits below 10 s; ratios (2): two decimals."""
    if value is None:
        return "–"
    size = abs(value)
    if size >= 100 or digits == 0:
        return f"{value:,.0f}"
    if digits == 2:
        return f"{value:.2g}" if 0 < size < 0.1 else f"{value:.2f}"
    if size < 1:
        return f"{value:.3g}"
    return f"{value:.3f}" if size < 10 else f"{value:.2f}"


def _one_line(text: str | None) -> str:
    first = (text or "").strip().splitlines()
    return (first[0] if first else "").replace("|", "/")[:200]


def markdown(record: dict[str, Any]) -> str:
    """The scenario's table with its header (machine, load, command) as markdown."""
    m = record["machine"]
    lines = [
        f"### {record['title']} (`{record['scenario']}`, size {record['size']})",
        "",
        f"{record['date']}; {m['cpu']}, {m['nproc']} cores, {m['memory_gib']} GiB; "
        f"load before {record['load_before']}, after {record.get('load_after')}; "
        f"{record['repeats']} repeats, {record.get('seconds', '?')} s in all; `{record['command']}`.",
        "",
    ]
    if record.get("peers_versions"):
        listed = ", ".join(f"{k} {v}" for k, v in record["peers_versions"].items())
        lines += [f"Peers' environment: {listed}.", ""]
    if record.get("status") in ("missing", "failed") and not record["pairs"]:
        lines += [f"**{record['status']}**: {_one_line(record.get('detail'))}", ""]
        return "\n".join(lines)
    lines += [RATIO_NOTE, ""]
    has_targets = any(p.get("targets") for p in record["pairs"])
    header = ["pair", "phase", "Cantata", "peer", "time C/P", "throughput C/P", "CPU C/P", "best C/P"]
    if has_targets:
        header.append("target")
    lines += ["| " + " | ".join(header) + " |",
              "|" + "|".join(["---", "---"] + ["---:"] * (len(header) - 2)) + "|"]
    for pair in record["pairs"]:
        lines += _pair_rows(pair, has_targets)
    lines.append("")
    notes = [p for p in record["pairs"] if p.get("description")]
    if notes:
        lines += [f"- **{p['name']}**: {p['description']}" for p in notes]
        lines.append("")
    return "\n".join(lines)


def _pair_rows(pair: dict[str, Any], has_targets: bool) -> list[str]:
    peer_label = pair.get("peer_label") or "no peer"
    title = f"{pair['name']} ({pair['cantata_label']} vs {peer_label})"
    width = 9 if has_targets else 8
    rows = []
    if pair["status"] not in ("ok", "peer missing"):
        cells = [title, f"**{pair['status']}**: {_one_line(pair.get('detail'))}"]
        return ["| " + " | ".join(cells + [""] * (width - 2)) + " |"]
    if pair["status"] == "peer missing":
        cells = [title, f"**peer missing**: {_one_line(pair.get('detail'))}"]
        rows.append("| " + " | ".join(cells + [""] * (width - 2)) + " |")
    c_phases = pair["cantata"]["phases"]
    p_phases = (pair.get("peer") or {}).get("phases", {})
    names = list(c_phases) + [n for n in p_phases if n not in c_phases]
    for name in names:
        c = c_phases.get(name, {}).get("median")
        p = p_phases.get(name, {}).get("median")
        ratio = pair["ratios"].get(name)
        cells = [title if not rows else "", name, _num(c), _num(p), _num(ratio, 2),
                 _num(1 / ratio if ratio else None, 2), _num(pair.get("cpu_ratios", {}).get(name), 2),
                 _num(pair.get("best_ratios", {}).get(name), 2)]
        if has_targets:
            target = pair.get("targets", {}).get(name)
            cells.append("" if not target else
                         f"≥ {target['min_throughput']}: {'met' if target['met'] else '**missed**'}")
        rows.append("| " + " | ".join(cells) + " |")
    c_mem = pair["cantata"]["peak_rss_mb"]["median"]
    p_mem = (pair.get("peer") or {}).get("peak_rss_mb", {}).get("median")
    mem_ratio = pair["ratios"].get("peak_rss_mb")
    cells = ["", "peak RSS (MB)", _num(c_mem, 0), _num(p_mem, 0), _num(mem_ratio, 2), "", "", ""]
    if has_targets:
        cells.append("")
    rows.append("| " + " | ".join(cells) + " |")
    return rows
