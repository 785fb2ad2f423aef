"""`supervisor record-attempt`: numbered bullets in the ledger's own style, status and Index
row, plan State cell, Last Updated; evidence before status; clear refusals that change
nothing; --json; --commit of exactly the touched files; injection text stored literally."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest

from supervisor.model import Outcome
from supervisor.parse.ledger import parse_ledger
from supervisor.parse.plan import parse_plan

Run = Callable[..., CompletedProcess[str]]
LEDGER = "docs/fix_plan.md"
PLAN = "plans/active/detector-parity/plan.md"
ATTEMPT_KEYS = [
    "schema_version", "kind", "item", "number", "date", "result", "text", "ledger", "plan", "task",
    "state_from", "state_to", "status_from", "status_to", "last_updated", "artifacts", "metrics",
    "forced", "files", "commit",
]  # fmt: skip


def _diff(old: str, new: str) -> list[str]:
    """Changed lines as ``-old`` / ``+new`` (difflib, no context)."""
    return [
        d
        for d in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
        if d[:1] in "+-" and not d.startswith(("---", "+++"))
    ]


def _snapshot(ws: Path) -> dict[str, bytes]:
    return {
        p.relative_to(ws).as_posix(): p.read_bytes()
        for p in ws.rglob("*")
        if p.is_file() and ".supervisor" not in p.parts
    }


def test_round_trip_on_the_demo_ledger(demo_ws: Path, record: Run) -> None:
    ledger, plan = demo_ws / LEDGER, demo_ws / PLAN
    old, old_plan = ledger.read_text(), plan.read_text()
    r = record(
        ["DETECTOR-PARITY-001", "--result", "partial", "--summary", "Rotation order isolated",
         "--task", "B2", "--state", "in-progress", "--metric", "max_abs=1.2e-4"],
        demo_ws,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        "recorded [DETECTOR-PARITY-001] Attempt #4 (partial) in docs/fix_plan.md; "
        f"task B2 [P] → [P] in {PLAN}\n"
    )
    assert _diff(old, ledger.read_text()) == [
        "-**Last Updated:** 2026-01-05 (galph loop #12)",
        "+**Last Updated:** 2026-02-03 (galph loop #12)",
        "+  * [2026-02-03] Attempt #4 — Result: ⚠️ partial (task B2 stays [P]). Rotation order "
        "isolated. Metrics: max_abs=1.2e-4.",
    ]
    assert plan.read_text() == old_plan
    item = parse_ledger(ledger.read_text(), LEDGER).item("DETECTOR-PARITY-001")
    assert item is not None
    last = item.attempts[-1]
    assert (last.number, last.date, last.outcome) == (4, "2026-02-03", Outcome.PARTIAL)
    assert last.span.start == 41  # right after Attempt #3, inside Attempts History


def test_task_state_status_and_index_row(demo_ws: Path, record: Run, bundles: Any) -> None:
    bundle = bundles("ok-run")
    ledger, plan = demo_ws / LEDGER, demo_ws / PLAN
    old, old_plan = ledger.read_text(), plan.read_text()
    r = record(
        ["DETECTOR-PARITY-001", "--result", "success", "--summary", "Pivot order fixed.",
         "--bundle", bundle, "--task", "B2", "--state", "done", "--status", "done", "--json"],
        demo_ws,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert list(doc) == ATTEMPT_KEYS
    text = (
        f"* [2026-02-03] Attempt #4 — Result: ✅ success (task B2: [P] → [D]; status in_progress "
        f"→ done). Pivot order fixed. Artifacts: `{bundle}/` (`result.txt`). Metrics: bundle=ok, "
        f"exit_codes=0, duration_s={doc['metrics']['duration_s']}."
    )
    assert doc | {"metrics": {}} == {
        "schema_version": 1, "kind": "attempt", "item": "DETECTOR-PARITY-001", "number": 4,
        "date": "2026-02-03", "result": "success", "text": text, "ledger": LEDGER, "plan": PLAN,
        "task": "B2", "state_from": "[P]", "state_to": "[D]", "status_from": "in_progress",
        "status_to": "done", "last_updated": "2026-02-03 (galph loop #12)",
        "artifacts": [f"{bundle}/", f"{bundle}/result.txt"], "metrics": {}, "forced": None,
        "files": [LEDGER, PLAN], "commit": None,
    }  # fmt: skip
    assert list(doc["metrics"]) == ["bundle", "exit_codes", "duration_s"]
    assert _diff(old, ledger.read_text()) == [
        "-**Last Updated:** 2026-01-05 (galph loop #12)",
        "+**Last Updated:** 2026-02-03 (galph loop #12)",
        "-| [DETECTOR-PARITY-001](#detector-parity-001-pix0-under-sample-pivot) | pix0 under SAMPLE pivot | Critical | in_progress |",
        "+| [DETECTOR-PARITY-001](#detector-parity-001-pix0-under-sample-pivot) | pix0 under SAMPLE pivot | Critical | done |",
        "-- Status: in_progress",
        "+- Status: done",
        "+  " + text,
    ]
    assert _diff(old_plan, plan.read_text()) == [
        "-| B2 | Isolate the rotation order for pix0 | [P] | Run pix0-trace for pixels 0 and 64; compare `pix0_vector` with the C log. Mode: Parity. |",
        "+| B2 | Isolate the rotation order for pix0 | [D] | Run pix0-trace for pixels 0 and 64; compare `pix0_vector` with the C log. Mode: Parity. |",
    ]
    task = parse_plan(plan.read_text(), PLAN).task("B2")
    assert task is not None and task.state.value == "done"


def test_placeholder_replaced_and_status_note_kept(demo_ws: Path, record: Run) -> None:
    ledger = demo_ws / LEDGER
    old = ledger.read_text()
    r = record(["noise-flags-002", "--result", "blocked", "--summary", "Spec decision still "
                "pending", "--status", "in_progress"], demo_ws)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert _diff(old, ledger.read_text()) == [
        "-**Last Updated:** 2026-01-05 (galph loop #12)",
        "+**Last Updated:** 2026-02-03 (galph loop #12)",
        "-| [NOISE-FLAGS-002](#noise-flags-002-nonoise-handling) | -nonoise handling | High | blocked |",
        "+| [NOISE-FLAGS-002](#noise-flags-002-nonoise-handling) | -nonoise handling | High | in_progress |",
        "-- Status: blocked (waiting on upstream spec decision)",
        "+- Status: in_progress (waiting on upstream spec decision)",
        "-- Attempts History: none yet",
        "+- Attempts History:",
        "+  * [2026-02-03] Attempt #1 — Result: 🟡 blocked (status blocked → in_progress). Spec "
        "decision still pending.",
    ]


def test_attempts_field_created_when_absent(demo_ws: Path, record: Run) -> None:
    ledger = demo_ws / LEDGER
    ledger.write_text(
        ledger.read_text().replace(
            "- Attempts History: none yet\n- Next Actions:", "- Next Actions:"
        )
    )
    old = ledger.read_text()
    r = record(
        ["DOCS-SYNC-003", "--result", "success", "--summary", "Pivot table drafted"], demo_ws
    )
    assert r.returncode == 0, r.stderr
    new = ledger.read_text()
    assert _diff(old, new)[2:] == [
        "+- Attempts History:",
        "+  * [2026-02-03] Attempt #1 — Result: ✅ success. Pivot table drafted.",
    ]
    lines = new.splitlines()
    at = len(lines) - 1 - lines[::-1].index("- Attempts History:")
    assert lines[at - 1 : at + 3] == [
        "- Depends on: [DETECTOR-PARITY-001]",
        "- Attempts History:",
        "  * [2026-02-03] Attempt #1 — Result: ✅ success. Pivot table drafted.",
        "- Next Actions:",
    ]


def test_prevailing_style_is_kept(demo_ws: Path, record: Run) -> None:
    ledger = demo_ws / LEDGER
    text = ledger.read_text().replace(
        "  * [2025-12-30] Attempt #1 — Result: ✅ success. Defaults restored;",
        "    - [2025-12-30] Attempt #7 (ralph loop — x). Result: ✅ success. Defaults restored;",
    )
    ledger.write_text(text)
    r = record(["CLI-DEFAULTS-001", "--result", "failed", "--summary", "Regressed"], demo_ws)
    assert r.returncode == 0, r.stderr
    assert _diff(text, ledger.read_text())[2:] == [
        "+    - [2026-02-03] Attempt #8. Result: ❌ failed. Regressed."
    ]


def test_plan_marker_style_is_kept(demo_ws: Path, record: Run) -> None:
    plan = demo_ws / PLAN
    plan.write_text(
        plan.read_text().replace("| [D] |", "| `[X]` |").replace("| [ ] |", "| `[ ]` |")
    )
    old = plan.read_text()
    r = record(["DETECTOR-PARITY-001", "--result", "success", "--summary", "s", "--task", "B3",
                "--state", "done", "--force", "verified by hand in the meeting"], demo_ws)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert _diff(old, plan.read_text()) == [
        "-| B3 | Confirm with the unit tests | `[ ]` | `pytest tests/test_detector.py -k pivot` via unit-tests |",
        "+| B3 | Confirm with the unit tests | `[X]` | `pytest tests/test_detector.py -k pivot` via unit-tests |",
    ]
    assert (
        "task B3: `[ ]` → `[X]`). s. Forced (evidence check overridden): verified by hand in the meeting."
        in (demo_ws / LEDGER).read_text()
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--task", "B2", "--state", "done"],
            "task B2 → done needs evidence — cite --bundle DIR or --artifacts PATH, or pass --force REASON to record it anyway (the reason goes into the attempt)",
        ),
        (
            ["--status", "complete"],
            "status complete needs evidence — cite --bundle DIR or --artifacts PATH, or pass --force REASON to record it anyway (the reason goes into the attempt)",
        ),
        (
            ["--status", "finished"],
            "--status 'finished' is not a configured status — use one of: blocked, complete, done, in_planning, in_progress, paused, pending",
        ),
        (["--state", "done"], "--state needs --task ID — name the plan task to update"),
        (
            ["--task", "B2", "--state", "closed"],
            "--state 'closed' is not a task state — use one of: blocked, done, in-progress",
        ),
        (
            ["--task", "Z9"],
            "plans/active/detector-parity/plan.md: no task Z9 in the plan — use one of: A1, A2, B1, B2, B3, B4, C1",
        ),
        (
            ["--bundle", "reports/nope"],
            "reports/nope: bundle not found — pass the directory `supervisor dispatch` printed (reports/<ITEM>/phase_<x>/<STAMP>)",
        ),
        (
            ["--bundle", "/tmp"],
            "/tmp: bundle is outside the workspace (resolves to /tmp) — cite a path inside {ws}",
        ),
        (
            ["--bundle", "docs"],
            "docs: not an evidence bundle (no bundle.json) — cite a directory created by `supervisor dispatch`",
        ),
        (
            ["--artifacts", "../x"],
            "../x: artifact is outside the workspace (resolves to {ws.parent}/x)"
            " — cite a path inside {ws}",
        ),
        (
            ["--artifacts", "reports/missing.log"],
            "reports/missing.log: artifact not found — cite files that exist (paths are workspace-relative)",
        ),
        (["--metric", "oops"], "--metric 'oops' is not key=value — e.g. --metric max_abs=1e-12"),
        (["--date", "2026-13-01"], "--date '2026-13-01' is not a date — use YYYY-MM-DD"),
        (
            ["--result", "great"],
            "--result 'great' is not a result — use one of: blocked, failed, partial, success",
        ),
        (["--summary", " \n "], "--summary is empty — pass --summary TEXT"),
        (
            ["--force", "because"],
            "--force only applies when marking a task or the item done — drop --force (nothing here needs the evidence check overridden)",
        ),
    ],
)
def test_refusals_change_nothing(demo_ws: Path, record: Run, args: list[str], message: str) -> None:
    base = ["DETECTOR-PARITY-001", "--result", "success", "--summary", "x"]
    if "--result" in args or "--summary" in args:
        k = base.index(args[0])
        base = base[:k] + base[k + 2 :]
    before = _snapshot(demo_ws)
    r = record([*base, *args], demo_ws)
    assert (r.returncode, r.stdout) == (1, ""), r.stderr
    assert r.stderr == f"error: {message.format(ws=demo_ws.resolve())}\n"
    assert _snapshot(demo_ws) == before


def test_bad_item_ambiguous_ledger_and_read_only(demo_ws: Path, record: Run) -> None:
    ledger = demo_ws / LEDGER
    r = record(["DETECTOR-PARITY-01", "--result", "success", "--summary", "x"], demo_ws)
    assert (
        r.stderr
        == "error: docs/fix_plan.md: no item DETECTOR-PARITY-01 in the ledger — did you mean DETECTOR-PARITY-001?\n"
    )
    r = record(["NOPE", "--result", "success", "--summary", "x"], demo_ws)
    assert (
        r.stderr
        == "error: docs/fix_plan.md: no item NOPE in the ledger — see `supervisor status`\n"
    )
    ledger.write_text(ledger.read_text() + "\n## [NOISE-FLAGS-002] duplicate\n- Status: blocked\n")
    before = _snapshot(demo_ws)
    r = record(["NOISE-FLAGS-002", "--result", "success", "--summary", "x"], demo_ws)
    assert r.returncode == 1
    assert r.stderr == (
        "error: docs/fix_plan.md:68: ambiguous ledger: [NOISE-FLAGS-002] has 2 sections (lines "
        "51, 68) — merge them into one section, then record the attempt\n"
    )
    ledger.chmod(0o444)
    r = record(["DOCS-SYNC-003", "--result", "success", "--summary", "x"], demo_ws)
    assert (
        r.stderr
        == "error: docs/fix_plan.md: file is read-only — make it writable (chmod u+w) and retry\n"
    )
    assert _snapshot(demo_ws) == before


def test_evidence_before_status(demo_ws: Path, record: Run, bundles: Any) -> None:
    good, bad = bundles("ok-run"), bundles("bad-run")
    other = bundles("ok-run", item="CLI-DEFAULTS-001", phase="A")
    base = ["DETECTOR-PARITY-001", "--summary", "x", "--task", "B2", "--state", "done"]
    fix = "fix the failure and dispatch a new bundle, or pass --force REASON to record it anyway (the reason goes into the attempt)"
    before = _snapshot(demo_ws)
    r = record([*base, "--result", "partial", "--bundle", good], demo_ws)
    assert (
        r.stderr
        == "error: task B2 → done needs --result success, not partial — record the attempt without marking it done, or pass --force REASON to record it anyway (the reason goes into the attempt)\n"
    )
    r = record([*base, "--result", "success", "--bundle", bad], demo_ws)
    assert (
        r.stderr
        == f"error: {bad}: bundle does not back task B2 → done: its status is failed; bad-run failed (exit 4) — {fix}\n"
    )
    r = record([*base, "--result", "success", "--bundle", other], demo_ws)
    assert (
        r.stderr
        == f"error: {other}: bundle does not back task B2 → done: it was dispatched for [CLI-DEFAULTS-001] — {fix}\n"
    )
    assert _snapshot(demo_ws) == before
    (demo_ws / good / "result.txt").write_text("edited after the fact")
    before = _snapshot(demo_ws)
    r = record([*base, "--result", "success", "--bundle", good], demo_ws)
    assert (
        r.stderr
        == f"error: {good}: bundle does not back task B2 → done: result.txt changed after dispatch (SHA256SUMS mismatch) — {fix}\n"
    )
    assert _snapshot(demo_ws) == before
    r = record(
        [*base, "--result", "success", "--bundle", bad, "--force", "flaky CI; passed locally"],
        demo_ws,
    )
    assert r.returncode == 0, r.stderr
    line = (demo_ws / LEDGER).read_text().splitlines()[40]
    assert line.startswith(
        "  * [2026-02-03] Attempt #4 — Result: ✅ success (task B2: [P] → [D]). x. Artifacts: "
    )
    assert re.search(
        r"\. Metrics: bundle=failed, exit_codes=4, duration_s=\d+(\.\d+)?\. Forced \(evidence "
        r"check overridden\): flaky CI; passed locally\.$",
        line,
    )
    r = record(
        [
            "DETECTOR-PARITY-001",
            "--result",
            "success",
            "--summary",
            "artifact only",
            "--artifacts",
            "docs/fix_plan.md",
            "--task",
            "B3",
            "--state",
            "done",
        ],
        demo_ws,
    )
    assert r.returncode == 0, r.stderr


def test_injection_text_is_stored_literally(demo_ws: Path, record: Run, run_cli: Run) -> None:
    (demo_ws / "keep").write_text("k")
    evil = "$(touch pwned); rm -rf keep `touch pwned2` {{ 7*7 }} {% raw %} | ## [EVIL-001] x"
    r = record(
        [
            "DETECTOR-PARITY-001",
            "--result",
            "partial",
            "--summary",
            evil,
            "--metric",
            "cmd=$(touch pwned3)",
        ],
        demo_ws,
    )
    assert r.returncode == 0, r.stderr
    text = (demo_ws / LEDGER).read_text()
    assert f"Result: ⚠️ partial. {evil}. Metrics: cmd=$(touch pwned3)." in text
    assert parse_ledger(text, LEDGER).ids == (
        "CLI-DEFAULTS-001",
        "DETECTOR-PARITY-001",
        "NOISE-FLAGS-002",
        "DOCS-SYNC-003",
    )
    brief = run_cli(["next"], demo_ws).stdout
    assert "$(touch pwned); rm -rf keep `touch pwned2` {{ 7*7 }} {% raw %}" in brief
    assert (demo_ws / "keep").read_text() == "k"
    assert not list(demo_ws.rglob("pwned*"))


def test_multiline_summary_is_one_bullet(demo_ws: Path, record: Run) -> None:
    r = record(
        [
            "DETECTOR-PARITY-001",
            "--result",
            "partial",
            "--summary",
            "line one\n## [EVIL-002] two\n",
        ],
        demo_ws,
    )
    assert r.returncode == 0, r.stderr
    assert "Result: ⚠️ partial. line one ## [EVIL-002] two." in (demo_ws / LEDGER).read_text()


def test_commit_exactly_the_touched_files(
    demo_ws: Path, record: Run, git_repo: Any, identity: dict[str, str]
) -> None:
    git = git_repo(demo_ws)
    (demo_ws / "staged.txt").write_text("staged, not ours")
    git("add", "staged.txt")
    (demo_ws / "supervisor.yaml").write_text(
        (demo_ws / "supervisor.yaml").read_text() + "# local edit\n"
    )
    r = record(
        [
            "DETECTOR-PARITY-001",
            "--result",
            "partial",
            "--summary",
            "committed",
            "--task",
            "B3",
            "--state",
            "in-progress",
            "--commit",
            "--json",
        ],
        demo_ws,
        env=identity,
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["commit"] == git("rev-parse", "HEAD").strip()
    assert git("show", "--name-only", "--format=%s%n%b", "HEAD").splitlines() == [
        "record-attempt: [DETECTOR-PARITY-001] Attempt #4 — partial", "committed", "", "",
        LEDGER, PLAN,
    ]  # fmt: skip
    assert git("diff", "--cached", "--name-only").splitlines() == ["staged.txt"]
    assert git("diff", "--name-only").splitlines() == ["supervisor.yaml"]
    assert git("log", "--format=%an <%ae>", "-1").strip() == "Test Author <author@example.com>"


def test_commit_outside_a_repository_is_refused_first(demo_ws: Path, record: Run) -> None:
    before = _snapshot(demo_ws)
    r = record(
        ["DETECTOR-PARITY-001", "--result", "partial", "--summary", "x", "--commit"], demo_ws
    )
    assert (
        r.stderr
        == f"error: {demo_ws.resolve()}: not inside a git repository — run `git init` (or drop --commit)\n"
    )
    assert _snapshot(demo_ws) == before


def test_json_and_date_sources(demo_ws: Path, record: Run) -> None:
    r = record(
        [
            "DOCS-SYNC-003",
            "--result",
            "partial",
            "--summary",
            "x",
            "--json",
            "--date",
            "2027-03-04",
        ],
        demo_ws,
    )
    doc = json.loads(r.stdout)
    assert (doc["date"], doc["number"], doc["last_updated"]) == (
        "2027-03-04",
        1,
        "2027-03-04 (galph loop #12)",
    )
    r = record(
        ["DOCS-SYNC-003", "--result", "partial", "--summary", "y", "--json"],
        demo_ws,
        env={"SUPERVISOR_DATE": "2027-05-06"},
    )
    assert (json.loads(r.stdout)["date"], json.loads(r.stdout)["number"]) == ("2027-05-06", 2)
    r = record(
        ["DOCS-SYNC-003", "--result", "partial", "--summary", "y"],
        demo_ws,
        env={"SUPERVISOR_DATE": "soon"},
    )
    assert r.stderr == "error: SUPERVISOR_DATE 'soon' is not a date — use YYYY-MM-DD\n"


def test_task_without_state_leaves_the_plan_alone(demo_ws: Path, record: Run) -> None:
    plan = demo_ws / PLAN
    plan.chmod(0o444)  # not locked or rewritten when only named
    r = record(
        ["DETECTOR-PARITY-001", "--result", "partial", "--summary", "x", "--task", "B3", "--json"],
        demo_ws,
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert (doc["task"], doc["plan"], doc["state_from"], doc["state_to"], doc["files"]) == (
        "B3", None, None, None, [LEDGER],
    )  # fmt: skip
    assert doc["text"] == "* [2026-02-03] Attempt #4 — Result: ⚠️ partial (task B3). x."
