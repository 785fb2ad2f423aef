"""No lost writes: concurrent `record-attempt` processes get distinct, consecutive attempt
numbers and keep every summary; a writer killed at a random moment (SIGKILL, no clean-up)
leaves either the old or the new ledger, never a torn one.

The kill test does not need a hook in production code: it SIGKILLs writers at random delays
on an ~850 KB ledger, where a large share of each run is parsing, editing, verifying and writing,
and checks the invariant after every kill (old bytes or old + exactly one attempt)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from supervisor.parse.ledger import parse_ledger

LEDGER = "docs/fix_plan.md"


def _cli(ws: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "supervisor.cli.main", "-C", str(ws), "record-attempt", *args]


def test_twenty_concurrent_writers(demo_ws: Path) -> None:
    env = {**os.environ, "SUPERVISOR_DATE": "2026-02-03", "SUPERVISOR_NO_CACHE": "1"}
    procs = [
        subprocess.Popen(
            _cli(demo_ws, "DETECTOR-PARITY-001", "--result", "partial", "--summary", f"writer {k}"),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(20)
    ]
    results = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0] * 20, [e for _, e in results]
    text = (demo_ws / LEDGER).read_text()
    item = parse_ledger(text, LEDGER).item("DETECTOR-PARITY-001")
    assert item is not None
    numbers = [a.number for a in item.attempts]
    assert numbers == list(range(1, 24))  # 3 existing + 20 new, consecutive, in file order
    for k in range(20):
        assert text.count(f"Result: ⚠️ partial. writer {k}.\n") == 1
    said = sorted(int(out.split("Attempt #")[1].split(" ")[0]) for out, _ in results)
    assert said == list(range(4, 24))


def _synthetic_ledger(items: int, attempts: int) -> str:
    out = ["# Fix Plan Ledger", "", "**Last Updated:** 2026-01-01 (seed)", "", "## Index",
           "| ID | Title | Priority | Status |", "| --- | --- | --- | --- |"]  # fmt: skip
    out += [
        f"| [SYN-{k:03d}](#syn-{k:03d}) | Item {k} | High | in_progress |" for k in range(items)
    ]
    for k in range(items):
        out += ["", f"## [SYN-{k:03d}] Item {k}", "- Priority: High", "- Status: in_progress",
                "- Attempts History:"]  # fmt: skip
        out += [
            f"  * [2026-01-01] Attempt #{n} — Result: ✅ success. Ran the trace; max |Δ| = {n}e-7 "
            f"over the detector with a long explanatory tail to make the file large. "
            f"Artifacts: `reports/SYN-{k:03d}/phase_a/20260101T{n:06d}Z/`."
            for n in range(1, attempts + 1)
        ]
        out += ["- Exit Criteria: parity.", "", "---"]
    return "\n".join(out) + "\n"


def test_killed_writers_leave_old_or_new_never_torn(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "docs").mkdir(parents=True)
    (ws / "supervisor.yaml").write_text("version: 1\n", encoding="utf-8")
    path = ws / LEDGER
    path.write_text(_synthetic_ledger(20, 200), encoding="utf-8")
    assert path.stat().st_size > 800_000
    env = {**os.environ, "SUPERVISOR_DATE": "2026-02-03", "SUPERVISOR_NO_CACHE": "1"}
    rng = random.Random(4)
    prev = path.read_text(encoding="utf-8")
    prev_n = 200
    outcomes = {"old": 0, "new": 0}
    for k in range(14):
        proc = subprocess.Popen(
            _cli(ws, "SYN-007", "--result", "partial", "--summary", f"try {k}"),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now = path.read_text(encoding="utf-8")
        item = parse_ledger(now, LEDGER).item("SYN-007")
        assert item is not None
        if now == prev:
            outcomes["old"] += 1
            continue
        lines, old_lines = now.splitlines(), prev.splitlines()
        assert len(lines) == len(old_lines) + 1
        assert item.last_attempt_number == prev_n + 1
        assert item.attempts[-1].head.endswith(f"Result: ⚠️ partial. try {k}.")
        outcomes["new"] += 1
        prev, prev_n = now, prev_n + 1
    assert outcomes["old"] + outcomes["new"] == 14, outcomes
    # a later writer is not blocked by the dead ones (their locks died with them)
    r = subprocess.run(
        _cli(ws, "SYN-007", "--result", "success", "--summary", "after the kills"),
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    final = parse_ledger(path.read_text(encoding="utf-8"), LEDGER).item("SYN-007")
    assert final is not None and final.last_attempt_number == prev_n + 1
