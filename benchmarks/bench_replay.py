"""`supervisor replay` on the public loop history, and `supervisor next` on the largest corpus
ledger, with the import-and-full-parse baseline run side by side (machines here are noisy:
read the ratios).

Measured: replay turns per second (whole process, the 306-turn bundle cloned to a temporary
directory, the test fixture's configuration); `next` uncached on the 847 KB ledger (median of
N runs) against the baseline, and the figure recorded before the selection stage gained its
signals (benchmarks/results/next.json as committed then: 0.1736 s, ratio 2.01). Results:
benchmarks/results/replay.json.

    python -m benchmarks.bench_replay [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks._common import stats, supervisor_cli, time_once
from benchmarks.bench_next import BASELINE, LEDGER, SHARED, corpus_workspace

HERE = Path(__file__).resolve().parent
BUNDLE = SHARED / "corpus" / "replay" / "nanobragg-history.bundle"
CONFIG = HERE.parent / "tests" / "fixtures" / "replay" / "nanobragg.yaml"
RESULTS = HERE / "results" / "replay.json"
BEFORE = {"next_cold_s": 0.1736, "ratio_cold": 2.01}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args(argv)
    if not BUNDLE.is_file() or not LEDGER.is_file():
        sys.stderr.write(f"skipped: {BUNDLE} or {LEDGER} is absent\n")
        return 0
    cli = supervisor_cli()
    with tempfile.TemporaryDirectory(prefix="bench-replay-") as tmp:
        repo = Path(tmp) / "nb"
        subprocess.run(["git", "clone", "-q", str(BUNDLE), str(repo)], check=True)
        out = subprocess.run(
            [*cli, "replay", "--repo", str(repo), "--config", str(CONFIG), "--json"],
            cwd=tmp, capture_output=True, text=True, check=True,
        )  # fmt: skip
        summary = json.loads(out.stdout)["summary"]
        replay_s = time_once(
            [*cli, "replay", "--repo", str(repo), "--config", str(CONFIG), "--no-table"], Path(tmp)
        )
        ws = corpus_workspace(Path(tmp) / "ws")
        env = {"SUPERVISOR_NO_CACHE": "1"}
        nexts, bases = [], []
        script = Path(tmp) / "baseline.py"
        script.write_text(BASELINE)
        for _ in range(args.runs):  # interleaved, so drift hits both alike
            nexts.append(time_once([*cli, "next"], ws, env))
            bases.append(time_once([sys.executable, str(script), str(LEDGER)], ws))
    n, b = stats(nexts), stats(bases)
    doc = {
        "benchmark": "replay",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "replay": {
            "turns": summary["turns"],
            "replayed": summary["replayed"],
            "whole_process_s": round(replay_s, 3),
            "turns_per_s": round(summary["turns"] / replay_s, 1),
            "item_rate": summary["item_rate"],
            "step_rate": summary["step_rate"],
            "redo": summary["redo"],
        },
        "next_uncached": n,
        "baseline_import_and_full_parse": b,
        "ratio_next_to_baseline": round(b["median_s"] / n["median_s"], 2),
        "before": BEFORE,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(doc, indent=2) + "\n")
    sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
