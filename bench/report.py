"""Turn a pytest-benchmark JSON into markdown tables of ratios against fastlstm.

    python -m pytest bench --benchmark-only --benchmark-json=bench/results.json
    python bench/report.py bench/results.json

One table per benchmark group (workload and size).  For each implementation:
the steps one call computes (peers timed on a prefix of the work show fewer),
the median and minimum time of a call, the throughput in steps per second
(from the median), and how many times faster fastlstm is (its steps/s over
the peer's; 1.00 for fastlstm itself).  Where the benchmark recorded a target
speed-up, the last column says whether it is met, judged on the row the target
is about (``target_by``, plain fastlstm unless said otherwise).  The host's CPU
and SIMD instruction set head the report.  Peers that were skipped
(not installed, or unable to express the semantics) are listed with the
reason.  Nothing here is asserted; these are measurements.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from bench import host as _host  # noqa: E402  (the script also runs as a file)

REFERENCE = "fastlstm"


def _seconds(t: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if t >= scale:
            return f"{t / scale:.3g} {unit}"
    return f"{t / 1e-9:.3g} ns"


def _rate(r: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if r >= scale:
            return f"{r / scale:.3g} {unit}"
    return f"{r:.3g}"


def _ratio(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"{x:.2f}" if x < 10 else f"{x:.3g}"


def _steps(n: int) -> str:
    k = len(str(n)) - 1
    return f"10^{k}" if n == 10 ** k else f"{n:,}"


def _rows(data: dict) -> dict[str, list[dict]]:
    """Benchmarks by table, in the order they ran: a peer timed on a prefix of the work
    has a pytest-benchmark group of its own, and ``extra_info["table"]`` names the
    workload's group, whose table it joins (rows are compared in steps per second)."""
    groups: dict[str, list[dict]] = {}
    for bench in data.get("benchmarks", []):
        info = bench.get("extra_info", {})
        steps = info.get("steps")
        median = bench["stats"]["median"]
        table = info.get("table") or bench.get("group") or bench["name"]
        groups.setdefault(table, []).append(dict(
            implementation=info.get("implementation", bench["name"]),
            steps=steps, median=median, min=bench["stats"]["min"],
            rounds=bench["stats"]["rounds"], target=info.get("target"),
            target_by=info.get("target_by", REFERENCE),
            rate=steps / median if steps else None))
    return groups


def group_table(rows: list[dict], skipped: list[dict]) -> list[str]:
    """Markdown lines of one group's table."""
    rate = {r["implementation"]: r["rate"] for r in rows if r["rate"]}
    ref = next((r for r in rows if r["implementation"] == REFERENCE and r["rate"]), None)
    lines = ["| implementation | steps per call | median | min | rounds | steps/s "
             "| fastlstm is x faster | target |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in sorted(rows, key=lambda r: -(r["rate"] or 0.0)):
        speedup = ref["rate"] / r["rate"] if ref and r["rate"] else None
        # A target is judged on the row it is about (the compiled machine's
        # target on the machine row, not on plain fastlstm).
        by = rate.get(r["target_by"])
        if r["target"] is None or by is None or not r["rate"]:
            target = ""
        else:
            ratio = by / r["rate"]
            who = "" if r["target_by"] == REFERENCE else f"{r['target_by']} "
            target = (f"{who}≥ {r['target']:g}x: {ratio:.3g}x, "
                      f"{'met' if ratio >= r['target'] else '**missed**'}")
        lines.append("| {} | {} | {} | {} | {} | {} | {} | {} |".format(
            r["implementation"], _steps(r["steps"]) if r["steps"] else "?",
            _seconds(r["median"]), _seconds(r["min"]), r["rounds"],
            _rate(r["rate"]) if r["rate"] else "?",
            _ratio(speedup), target))
    for s in skipped:
        lines.append(f"| {s['implementation']} | skipped: {s['reason']} | – | – | – | – | – | |")
    return lines


def render(data: dict) -> str:
    """The whole report as markdown."""
    machine = data.get("machine_info", {})
    cpu = machine.get("cpu", {})
    out = ["Measured {} on {} ({} logical CPUs), Python {}.".format(
        data.get("datetime", "?")[:19].replace("T", " "), cpu.get("brand_raw", "?"),
        cpu.get("count", "?"), machine.get("python_version", "?"))]
    if "host" in data:
        out.append(_host.line(data["host"]) + ".")
    skipped_by_group: dict[str, list[dict]] = {}
    for s in data.get("skipped", []):
        skipped_by_group.setdefault(s["group"], []).append(s)
    groups = _rows(data)
    for group in list(groups) + [g for g in skipped_by_group if g not in groups]:
        out += ["", f"### {group}", ""]
        out += group_table(groups.get(group, []), skipped_by_group.get(group, []))
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", help="a file written by pytest --benchmark-json")
    args = parser.parse_args(argv)
    with open(args.json, encoding="utf-8") as f:
        sys.stdout.write(render(json.load(f)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
