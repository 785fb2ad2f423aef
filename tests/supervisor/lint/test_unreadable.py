"""Every form the parsers cannot read is a lint finding with a fix (L121–L125), plan
references without backticks are checked for existence (L110), bare `Depends on` IDs for
membership (L120), and `lint` without a ledger is an error."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

Run = Callable[..., CompletedProcess[str]]
EPOCH = {"SOURCE_DATE_EPOCH": "1767225600"}

EXTRA_ITEMS = """
## [TASK-9] Second item
- Priority: Medium
- Status: pending
- Plan Reference: plans/active/t1/plan.md
- Depends on: EXAMPLE-001, GONE-404

## [TASK-10] Third item
- Priority: Low
- Status: pending
- Plan Reference: see the plan
- Depends on: the second item

## [TASK-11] Fourth item
- Priority: Low
- Status: pending
- Plan Reference: plans/active/missing/plan.md
- Depends on: none
"""
INDEX_ROWS = (
    "| [TASK-9](#t9) | Second item | Medium | pending |\n"
    "| [TASK-10](#t10) | Third item | Low | pending |\n"
    "| [TASK-11](#t11) | Fourth item | Low | pending |\n"
)


def _workspace(tmp_path: Path, run_cli: Run) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    assert run_cli(["init"], ws, env=EPOCH).returncode == 0
    ledger = ws / "docs" / "fix_plan.md"
    text = ledger.read_text().replace(
        "| High | in_progress |\n", "| High | in_progress |\n" + INDEX_ROWS
    )
    ledger.write_text(text + EXTRA_ITEMS)
    plans = ws / "plans" / "active"
    (plans / "t1").mkdir()
    (plans / "t1" / "plan.md").write_text(
        "# T1\n\n## Phase 1: Setup\n- [ ] T001 Create project\n- [x] T002 [P] Init deps\n"
    )
    (plans / "t2").mkdir()
    (plans / "t2" / "plan.md").write_text(
        "# T2\n\n### Phase A\n| ID | Task | Guidance |\n| --- | --- | --- |\n| A1 | do | x |\n"
        "| A2 | more | y |\n"
    )
    (plans / "t3.md").write_text("# T3\n\n- [ ] write docs\n- [ ] ship\n")
    (plans / "t4.md").write_text("# T4\n\nJust prose.\n")
    return ws


def test_unreadable_forms_are_findings(tmp_path: Path, run_cli: Run) -> None:
    ws = _workspace(tmp_path, run_cli)
    r = run_cli(["lint"], ws)
    assert r.returncode == 1, r.stderr
    assert r.stdout.splitlines() == [
        "docs/fix_plan.md:29: L120 [TASK-9] depends on [GONE-404], which is not in the ledger — fix the ID or add the item",
        "docs/fix_plan.md:34: L121 [TASK-10] Plan Reference names no plan file: 'see the plan' — write the plan's path, e.g. `plans/active/<initiative>/plan.md` (see docs/formats.md#ledger)",
        "docs/fix_plan.md:35: L122 [TASK-10] Depends on names no item ID: 'the second item' — name the items by ID, e.g. `Depends on: [ABC-001], ABC-002` (see docs/formats.md#ledger)",
        "docs/fix_plan.md:40: L110 [TASK-11] Plan Reference `plans/active/missing/plan.md` does not exist — fix the path, or create the plan (plans live under plans/active/)",
        "plans/active/t2/plan.md:4: L123 task table has no State column, so its 2 row(s) are not tasks — add a State column (`| ID | Task | State | Guidance |`) holding [ ], [P], [D] or [B] (see docs/formats.md#plan)",
        "plans/active/t3.md:3: L124 checkbox task has no task ID: 'write docs' — start it with an ID: `- [ ] T001 …` or `- [ ] A1: …` (see docs/formats.md#plan)",
        "plans/active/t3.md:4: L124 checkbox task has no task ID: 'ship' — start it with an ID: `- [ ] T001 …` or `- [ ] A1: …` (see docs/formats.md#plan)",
        "plans/active/t4.md:1: L125 plan has no task the parser can read — add a checklist table `| ID | Task | State | Guidance |` or checkbox tasks `- [ ] T001 …` under a `### Phase A — title` heading (see docs/formats.md#plan)",
        "6 errors, 2 warnings in 6 files",
    ]


def test_checkbox_plan_progress_is_counted(tmp_path: Path, run_cli: Run) -> None:
    ws = _workspace(tmp_path, run_cli)
    doc = json.loads(run_cli(["status", "--json"], ws).stdout)
    plans = {p["path"]: p for p in doc["plans"]}
    t1 = plans["plans/active/t1/plan.md"]
    assert (t1["done"], t1["total"]) == (1, 2)


def test_lint_without_a_ledger_is_an_error(tmp_path: Path, run_cli: Run) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "supervisor.yaml").write_text("version: 1\npaths: {ledger: docs/ledger.md}\n")
    r = run_cli(["lint"], ws)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (
        "error: docs/ledger.md: ledger not found, so there is nothing to lint — create it "
        "(`supervisor init`) or set paths.ledger in supervisor.yaml (see docs/formats.md#ledger)\n"
    )
