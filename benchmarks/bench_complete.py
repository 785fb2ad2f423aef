"""Shell completion of item IDs (`supervisor record-attempt <TAB>`) on the 847 KB corpus
ledger, beside two baselines run interleaved on the same machine: the bare CLI start-up
(`supervisor --version`) and a command that parses the whole ledger (`supervisor status`).
Completion should cost about the start-up, not a parse. Medians; whole processes.
Results: benchmarks/results/complete.json.

    python -m benchmarks.bench_complete [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks._common import stats, supervisor_cli, time_once

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("SUPERVISOR_SHARED", HERE.parent.parent / "shared"))
LEDGER = SHARED / "corpus" / "nanobragg" / "ledger" / "fix_plan.b401d45f.md"
RESULTS = HERE / "results" / "complete.json"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args(argv)
    if not LEDGER.is_file():
        sys.stderr.write(f"skipped: corpus ledger not found at {LEDGER}\n")
        return 0
    cli = supervisor_cli()
    complete_env = {
        "_SUPERVISOR_COMPLETE": "complete_bash",
        "COMP_WORDS": "supervisor record-attempt ",
        "COMP_CWORD": "2",
        "SUPERVISOR_NO_CACHE": "1",
    }
    cases = {
        "startup: supervisor --version": ([*cli, "--version"], {}),
        "complete: record-attempt <TAB>": (cli, complete_env),
        "parse: supervisor status": ([*cli, "status"], {"SUPERVISOR_NO_CACHE": "1"}),
    }
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        (ws / "docs").mkdir()
        shutil.copyfile(LEDGER, ws / "docs" / "fix_plan.md")
        (ws / "supervisor.yaml").write_text("version: 1\n", encoding="utf-8")
        samples: dict[str, list[float]] = {k: [] for k in cases}
        for cmd, env in cases.values():  # warm-up
            time_once(cmd, ws, env, check=False)
        for _ in range(args.runs):
            for name, (cmd, env) in cases.items():
                samples[name].append(time_once(cmd, ws, env, check=False))
    results = {k: stats(v) for k, v in samples.items()}
    base = results["startup: supervisor --version"]["median_s"]
    for r in results.values():
        r["vs_startup"] = round(r["median_s"] / base, 2)
    doc = {
        "schema_version": 1,
        "benchmark": "complete",
        "ledger_bytes": LEDGER.stat().st_size,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "results": results,
    }
    RESULTS.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    for k, r in results.items():
        sys.stdout.write(f"{k:<34} {r['median_s']:.3f} s  ({r['vs_startup']}x start-up)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
