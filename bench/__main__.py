"""Run every benchmark and print one table of ratios against baselines measured in the
same run; the table is also written to bench/results.md.

    make bench                    # everything
    python -m bench survey        # only some: survey, scoring, dashboard, report
"""

from __future__ import annotations

import importlib
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SUITES = ("survey", "scoring", "dashboard", "report")


def _scoring_rows() -> list[dict]:
    from bench import bench_scoring

    rows = []
    for entry in bench_scoring.run():
        rows.append(
            {
                "benchmark": f"scoring {entry['responses']:,} responses x {entry['items']} items",
                "measured_ms": entry["score_round_s"] * 1000,
                "baseline_ms": entry["baseline_s"] * 1000,
                "baseline": "pandas groupby mean, same frame",
                "ratio": entry["time_ratio"],
                "target": "<= 3 s and <= 2 GiB"
                if entry["responses"] >= 100_000
                else "(information)",
                "ok": entry["within_target"],
                "note": f"peak RSS {entry['score_round_maxrss_mib']:.0f} MiB",
            }
        )
    return rows


def _suite_rows(name: str) -> list[dict]:
    if name == "scoring":
        return _scoring_rows()
    module = importlib.import_module(f"bench.bench_{name}")
    return module.run()


def _markdown(rows: list[dict], seconds: float) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, Python "
        f"{platform.python_version()}, {seconds:.0f} s in all. Ratios are against baselines "
        "measured in the same run.",
        "",
        "| benchmark | measured | baseline | ratio | target | ok |",
        "|---|---:|---:|---:|---|---|",
    ]
    for row in rows:
        note = f" ({row['note']})" if row.get("note") else ""
        lines.append(
            f"| {row['benchmark']}{note} | {row['measured_ms']:.2f} ms | "
            f"{row['baseline_ms']:.2f} ms ({row['baseline']}) | {row['ratio']:.2f}x | "
            f"{row['target']} | {'yes' if row['ok'] else '**no**'} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """Run the chosen suites (default all) and write the table."""
    chosen = argv or list(SUITES)
    start = time.perf_counter()
    rows: list[dict] = []
    for name in chosen:
        try:
            rows.extend(_suite_rows(name))
        except ModuleNotFoundError as error:
            print(f"skipping {name}: {error}", file=sys.stderr)
    table = _markdown(rows, time.perf_counter() - start)
    (ROOT / "results.md").write_text(table, encoding="utf-8")
    print(table)
    return 0 if all(row["ok"] for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
