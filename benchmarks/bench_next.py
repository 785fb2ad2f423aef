"""`supervisor next` (whole process) against a baseline that imports the same libraries and
fully parses the same ledger with markdown-it-py, side by side on this machine.

Workspace: the largest corpus ledger (847 KB, fix_plan.b401d45f.md) plus the corpus plans.
Measured: cold (SUPERVISOR_NO_CACHE=1: parse, select, render) and warm (content-hash cache
hit), each the median of N runs; plus synthetic ledgers with 1x, 10x and 100x the focus
item's attempts, to show how cost grows; plus synthetic ledgers of 1k, 10k and 100k items
(``items_growth``: cost must grow linearly in the number of items) and a plan with one
50 MB line (``long_line``). Results: benchmarks/results/next.json.

    python -m benchmarks.bench_next [--runs N] [--items-only]

``--items-only`` runs only the item-growth and long-line parts (no corpus needed) and writes
benchmarks/results/next_items.json. ``BENCH_ITEMS=1000,10000`` overrides the item counts.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks._common import stats, supervisor_cli, time_once

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("SUPERVISOR_SHARED", HERE.parent.parent / "shared"))
CORPUS = SHARED / "corpus" / "nanobragg"
LEDGER = CORPUS / "ledger" / "fix_plan.b401d45f.md"
RESULTS = HERE / "results" / "next.json"
ITEMS_RESULTS = HERE / "results" / "next_items.json"
ITEM_COUNTS = tuple(int(x) for x in os.environ.get("BENCH_ITEMS", "1000,10000,100000").split(","))
LINE_BYTES = 50_000_000
BASELINE_READ = """
import sys
import typer, yaml, jinja2.sandbox, markdown_it
lines = open(sys.argv[1], encoding="utf-8").read().split("\\n")
"""
LONG_LINE = """
import sys, time
from supervisor.parse.plan import parse_plan
text = open(sys.argv[1], encoding="utf-8").read()
t = time.perf_counter()
plan = parse_plan(text, "plan.md")
print(time.perf_counter() - t, len(plan.tasks))
"""

BASELINE = """
import sys
import typer, yaml, jinja2.sandbox, markdown_it
text = open(sys.argv[1], encoding="utf-8").read()
markdown_it.MarkdownIt("commonmark").enable("table").parse(text)
"""

CONFIG = "version: 1\nbranch: feature/spec-based-2\n"


def corpus_workspace(dst: Path, ledger: Path = LEDGER) -> Path:
    """A workspace made of ``ledger`` plus the corpus's active plans (copies, in ``dst``)."""
    if not CORPUS.is_dir():
        raise SystemExit(f"corpus not found at {CORPUS} (set SUPERVISOR_SHARED)")
    (dst / "docs").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ledger, dst / "docs" / "fix_plan.md")
    if not (dst / "plans" / "active").exists():
        # plain copies: the corpus is read-only, the workspace must be writable
        shutil.copytree(CORPUS / "plans" / "active", dst / "plans" / "active",
                        copy_function=shutil.copyfile)  # fmt: skip
        for d in (dst / "plans").rglob("*"):
            d.chmod(0o755 if d.is_dir() else 0o644)
    (dst / "supervisor.yaml").write_text(CONFIG, encoding="utf-8")
    return dst


def _time(cmd: list[str], cwd: Path, runs: int, env: dict[str, str]) -> dict[str, float]:
    return stats([time_once(cmd, cwd, env) for _ in range(runs)])


def synthetic_ledger(items: int, attempts: int) -> str:
    """A ledger of ``items`` in-progress items with ``attempts`` canonical attempts each."""
    out = ["# Fix Plan Ledger", "", "**Last Updated:** 2026-01-01", "", "## Index",
           "| ID | Title | Priority | Status |", "| --- | --- | --- | --- |"]  # fmt: skip
    out += [
        f"| [SYN-{k:04d}](#syn-{k:04d}) | Item {k} | High | in_progress |" for k in range(items)
    ]
    for k in range(items):
        out += ["", f"## [SYN-{k:04d}] Item {k}", "- Priority: High", "- Status: in_progress",
                "- Attempts History:"]  # fmt: skip
        for n in range(1, attempts + 1):
            out.append(
                f"  * [2026-01-01] Attempt #{n} (ralph loop i={n}, Mode: Parity — x) — Result: "
                f"{'✅ success' if n % 3 else '⚠️ partial'}. Ran the trace; max |Δ| = {n}e-7. "
                f"Artifacts: `reports/SYN-{k:04d}/phase_a/20260101T{n % 240000:06d}Z/`."
            )
        out += ["- Exit Criteria: parity within 1e-6.", "", "---"]
    return "\n".join(out) + "\n"


def items_growth(cli: list[str], tmp: Path, runs: int) -> list[dict[str, object]]:
    """`supervisor next` (cold) on ledgers of 1k, 10k and 100k items (one attempt each),
    beside a baseline that imports the same libraries and splits the same file into lines."""
    rows: list[dict[str, object]] = []
    for items in ITEM_COUNTS:
        ws = tmp / f"items{items}"
        (ws / "docs").mkdir(parents=True)
        (ws / "supervisor.yaml").write_text(CONFIG, encoding="utf-8")
        ledger = ws / "docs" / "fix_plan.md"
        ledger.write_text(synthetic_ledger(items, 1), encoding="utf-8")
        n = max(1, runs if items < 100_000 else runs // 3)
        cold = _time([*cli, "next"], ws, n, {"SUPERVISOR_NO_CACHE": "1"})
        base = _time([sys.executable, "-c", BASELINE_READ, str(ledger)], ws, n, {})
        rows.append({"items": items, "ledger_bytes": ledger.stat().st_size,
                     "next_cold_s": cold["median_s"], "baseline_read_s": base["median_s"],
                     "us_per_item": round(1e6 * cold["median_s"] / items, 1),
                     "runs": n})  # fmt: skip
    for prev, row in itertools.pairwise(rows):
        row["growth_vs_previous"] = round(float(str(row["next_cold_s"])) /
                                          float(str(prev["next_cold_s"])), 2)  # fmt: skip
    return rows


def long_line(tmp: Path) -> list[dict[str, object]]:
    """In-process parse_plan of a plan carrying one 50 MB line (words, ``*`` rule, heading)."""
    base = "# Plan\n\n### Phase A — Run\nGoal: g.\n\n| ID | Task | State | Guidance |\n"
    base += "| --- | --- | --- | --- |\n| A1 | t | [ ] | g |\n\n"
    shapes = {"words": "word " * (LINE_BYTES // 5), "stars": "*" * LINE_BYTES,
              "heading": "###### " + "a " * (LINE_BYTES // 2)}  # fmt: skip
    out: list[dict[str, object]] = []
    for name, line in shapes.items():
        path = tmp / f"long_{name}.md"
        path.write_text(base + line + "\n", encoding="utf-8")
        r = subprocess.run([sys.executable, "-c", LONG_LINE, str(path)], check=True,
                           capture_output=True, text=True)  # fmt: skip
        seconds, tasks = r.stdout.split()
        out.append({"shape": name, "line_bytes": len(line),
                    "parse_plan_s": round(float(seconds), 3), "tasks": int(tasks)})  # fmt: skip
        path.unlink()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--items-only", action="store_true", help="only items_growth and long_line")
    args = ap.parse_args(argv)
    cli = supervisor_cli()
    if args.items_only:
        with tempfile.TemporaryDirectory() as tmp:
            doc = {"benchmark": "next_items",
                   "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                   "items_growth": items_growth(cli, Path(tmp), max(3, args.runs // 5)),
                   "long_line": long_line(Path(tmp))}  # fmt: skip
        ITEMS_RESULTS.parent.mkdir(parents=True, exist_ok=True)
        ITEMS_RESULTS.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        print(json.dumps(doc, indent=2))
        return 0
    out: dict[str, object] = {
        "benchmark": "next",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "ledger": {"file": LEDGER.name, "bytes": LEDGER.stat().st_size},
    }
    with tempfile.TemporaryDirectory() as tmp:
        ws = corpus_workspace(Path(tmp) / "ws")
        # interleave the three measurements so machine noise hits them alike
        base, cold, warm = [], [], []
        subprocess.run([*cli, "next"], cwd=ws, check=True, capture_output=True)  # prime cache
        for _ in range(args.runs):
            base.append(_time([sys.executable, "-c", BASELINE, str(LEDGER)], ws, 1, {}))
            cold.append(_time([*cli, "next"], ws, 1, {"SUPERVISOR_NO_CACHE": "1"}))
            warm.append(_time([*cli, "next"], ws, 1, {}))
        med = {k: statistics.median(x["median_s"] for x in v) for k, v in
               (("baseline", base), ("cold", cold), ("warm", warm))}  # fmt: skip
        out["baseline_import_and_full_parse_s"] = round(med["baseline"], 4)
        out["next_cold_s"] = round(med["cold"], 4)
        out["next_warm_s"] = round(med["warm"], 4)
        out["ratio_cold"] = round(med["baseline"] / med["cold"], 2)
        out["ratio_warm"] = round(med["baseline"] / med["warm"], 2)
        out["runs"] = args.runs
        growth = []
        for factor in (1, 10, 100):
            sws = Path(tmp) / f"syn{factor}"
            (sws / "docs").mkdir(parents=True)
            (sws / "supervisor.yaml").write_text(CONFIG, encoding="utf-8")
            ledger = sws / "docs" / "fix_plan.md"
            ledger.write_text(synthetic_ledger(20, 20 * factor), encoding="utf-8")
            runs = 3 if factor == 100 else max(3, args.runs // 3)
            t = _time([*cli, "next"], sws, runs, {"SUPERVISOR_NO_CACHE": "1"})
            w = _time([*cli, "next"], sws, runs, {})
            b = _time([sys.executable, "-c", BASELINE, str(ledger)], sws, runs, {})
            growth.append({"factor": factor, "attempts_per_item": 20 * factor, "items": 20,
                           "ledger_bytes": ledger.stat().st_size, "next_cold_s": t["median_s"],
                           "next_warm_s": w["median_s"], "baseline_s": b["median_s"]})  # fmt: skip
        out["growth"] = growth
        out["items_growth"] = items_growth(cli, Path(tmp), max(3, args.runs // 5))
        out["long_line"] = long_line(Path(tmp))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2))
    print(
        f"next cold {out['next_cold_s']}s, warm {out['next_warm_s']}s; baseline "
        f"{out['baseline_import_and_full_parse_s']}s -> {out['ratio_cold']}x cold, "
        f"{out['ratio_warm']}x warm"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
