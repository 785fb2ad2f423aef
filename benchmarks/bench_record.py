"""`supervisor record-attempt` (whole process) beside `supervisor next` (uncached) on the same
workspace: the largest corpus ledger (847 KB, fix_plan.b401d45f.md) plus the corpus plans.

Measured, interleaved so machine noise hits them alike, median of N runs each:
* record-attempt on CLI-FLAGS-003 (the item with the longest Attempts History) — lock,
  re-read, parse, style detection, span edits, confinement check, re-parse, atomic write;
* the same with ``--task E2 --state in-progress`` (a second file: the plan, locked and edited);
* `supervisor next` with SUPERVISOR_NO_CACHE=1 (parse, select, render) as the baseline.
Target: record-attempt under 0.5 s. Results: benchmarks/results/record.json.

    python -m benchmarks.bench_record [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks._common import stats as _stats
from benchmarks._common import supervisor_cli as _supervisor
from benchmarks._common import time_once as _once
from benchmarks.bench_next import LEDGER, corpus_workspace

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "record.json"
TARGET_S = 0.5
ITEM = "CLI-FLAGS-003"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args(argv)
    cli = _supervisor()
    env = {"SUPERVISOR_NO_CACHE": "1", "SUPERVISOR_DATE": "2026-02-03"}
    record = [*cli, "record-attempt", ITEM, "--result", "partial", "--summary", "benchmark run"]
    with_task = [*record, "--task", "E2", "--state", "in-progress"]
    samples: dict[str, list[float]] = {"next": [], "record": [], "record_task": []}
    with tempfile.TemporaryDirectory() as tmp:
        ws = corpus_workspace(Path(tmp) / "ws")
        for p in ws.rglob("*"):  # copytree kept the corpus's read-only modes
            p.chmod(0o755 if p.is_dir() else 0o644)
        _once([*cli, "next"], ws, env)  # warm the OS file cache
        _once(record, ws, env)
        for _ in range(args.runs):
            samples["next"].append(_once([*cli, "next"], ws, env))
            samples["record"].append(_once(record, ws, env))
            samples["record_task"].append(_once(with_task, ws, env))
        ledger_bytes = (ws / "docs" / "fix_plan.md").stat().st_size
    med = {k: statistics.median(v) for k, v in samples.items()}
    out: dict[str, object] = {
        "benchmark": "record",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "ledger": {
            "file": LEDGER.name,
            "bytes_before": LEDGER.stat().st_size,
            "bytes_after": ledger_bytes,
        },
        "item": ITEM,
        "runs": args.runs,
        "next_cold": _stats(samples["next"]),
        "record_attempt": _stats(samples["record"]),
        "record_attempt_with_task": _stats(samples["record_task"]),
        "ratio_record_to_next": round(med["record"] / med["next"], 2),
        "ratio_record_task_to_next": round(med["record_task"] / med["next"], 2),
        "target_s": TARGET_S,
        "meets_target": max(med["record"], med["record_task"]) < TARGET_S,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2))
    print(
        f"record-attempt {med['record']:.3f}s (with --task {med['record_task']:.3f}s) vs "
        f"next {med['next']:.3f}s -> {out['ratio_record_to_next']}x / "
        f"{out['ratio_record_task_to_next']}x of next; target < {TARGET_S}s: "
        f"{'met' if out['meets_target'] else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
