"""Golden briefs (fixture workspace and this repository's own workspace), determinism,
the cache, --json, --write and template overrides.

Regenerate goldens after an intended change with ``SUPERVISOR_UPDATE_GOLDEN=1 pytest``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "golden"
Run = Callable[..., CompletedProcess[str]]


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("SUPERVISOR_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_fixture_workspace_golden(demo_ws: Path, run_cli: Run) -> None:
    r = run_cli(["next"], demo_ws)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    _check_golden("ws_demo_brief.md", r.stdout)


def test_repository_workspace_golden(repo_root: Path, run_cli: Run) -> None:
    r = run_cli(["next"], repo_root)
    assert r.returncode == 0, r.stderr
    _check_golden("repo_brief.md", r.stdout)


def test_explain_golden(demo_ws: Path, run_cli: Run) -> None:
    r = run_cli(["next", "--explain"], demo_ws)
    assert r.returncode == 0, r.stderr
    _check_golden("ws_demo_explain.txt", r.stdout)


def test_sections_in_canonical_order(demo_ws: Path, run_cli: Run) -> None:
    from supervisor.parse.brief import parse_brief

    text = run_cli(["next"], demo_ws).stdout
    keys = [s.key for s in parse_brief(text, "input.md").sections]
    assert keys == [
        "Summary", "Mode", "Focus", "Branch", "Mapped tests", "Artifacts", "Do Now",
        "If Blocked", "Priorities & Rationale", "How-To Map", "Pitfalls To Avoid", "Pointers",
        "Next Up",
    ]  # fmt: skip


def test_every_pointer_resolves(demo_ws: Path, run_cli: Run) -> None:
    from supervisor.parse.brief import parse_brief

    brief = parse_brief(run_cli(["next"], demo_ws).stdout, "input.md")
    targets = [a for a in brief.anchors if not a.target.startswith("reports/")]
    assert len(targets) >= 10
    for a in targets:
        lines = (demo_ws / a.target).read_text(encoding="utf-8").splitlines()
        for lo, hi in a.ranges:
            assert 1 <= lo <= hi <= len(lines), a.raw


def test_same_workspace_same_bytes_and_cache_hit_identical(demo_ws: Path, run_cli: Run) -> None:
    cold = run_cli(["next"], demo_ws).stdout
    assert not (demo_ws / ".supervisor").exists()  # SUPERVISOR_NO_CACHE=1 writes nothing
    env = {"SUPERVISOR_NO_CACHE": ""}
    first = run_cli(["next"], demo_ws, env=env)
    entries = list((demo_ws / ".supervisor" / "cache").glob("next-*.json"))
    assert len(entries) == 1
    assert (demo_ws / ".supervisor" / ".gitignore").read_text().endswith("*\n")
    second = run_cli(["next"], demo_ws, env=env)
    assert cold == first.stdout == second.stdout


def test_cache_invalidates_on_any_input_change(demo_ws: Path, run_cli: Run) -> None:
    env = {"SUPERVISOR_NO_CACHE": ""}
    before = run_cli(["next"], demo_ws, env=env).stdout
    plan = demo_ws / "plans/active/detector-parity/plan.md"
    plan.write_text(plan.read_text().replace("| B2 | Isolate", "| B2 | Pin down"), "utf-8")
    after = run_cli(["next"], demo_ws, env=env).stdout
    assert after != before and "B2: Pin down the rotation order" in after
    (demo_ws / "templates").mkdir()
    (demo_ws / "templates" / "brief.md.j2").write_text("Focus: {{ focus }}\n", "utf-8")
    assert run_cli(["next"], demo_ws, env=env).stdout.startswith("Focus: [DETECTOR-PARITY-001]")
    cfg = demo_ws / "supervisor.yaml"
    cfg.write_text(cfg.read_text().replace("feature/parity", "main"), "utf-8")
    (demo_ws / "templates" / "brief.md.j2").write_text("Branch: {{ branch }}\n", "utf-8")
    assert run_cli(["next"], demo_ws, env=env).stdout == "Branch: main\n"


def test_workspace_template_overrides_packaged(demo_ws: Path, run_cli: Run) -> None:
    (demo_ws / "templates").mkdir()
    (demo_ws / "templates" / "brief.md.j2").write_text(
        "{{ item_id }}/{{ task_id }}: {{ do_now }}\n", encoding="utf-8"
    )
    r = run_cli(["next"], demo_ws)
    assert r.stdout.startswith("DETECTOR-PARITY-001/B2: [DETECTOR-PARITY-001] Phase B")


def test_json_contract(demo_ws: Path, run_cli: Run) -> None:
    r = run_cli(["next", "--json"], demo_ws)
    doc = json.loads(r.stdout)
    assert (doc["schema_version"], doc["kind"]) == (1, "brief")
    ctx = doc["context"]
    assert (ctx["item_id"], ctx["phase_id"], ctx["task_id"], ctx["task_state"]) == (
        "DETECTOR-PARITY-001", "B", "B2", "in_progress",
    )  # fmt: skip
    assert ctx["selected_by"] == "active-focus" and ctx["stall"] is None
    assert ctx["pointers"][0] == {
        "anchor": "docs/fix_plan.md:27-47",
        "note": "[DETECTOR-PARITY-001] ledger section",
    }
    assert [x["id"] for x in doc["ranking"]][:1] == ["DETECTOR-PARITY-001"]
    assert doc["text"] == run_cli(["next"], demo_ws).stdout


def test_write_is_atomic_and_quiet(demo_ws: Path, run_cli: Run) -> None:
    r = run_cli(["next", "--write"], demo_ws)
    assert r.returncode == 0 and r.stdout == ""
    assert r.stderr == "wrote input.md (DETECTOR-PARITY-001 phase B task B2)\n"
    assert (demo_ws / "input.md").read_text() == run_cli(["next"], demo_ws).stdout
    assert [p.name for p in demo_ws.iterdir() if p.name.startswith(".input.md")] == []


def test_focus_override_and_stall(demo_ws: Path, run_cli: Run) -> None:
    ledger = demo_ws / "docs/fix_plan.md"
    text = ledger.read_text().replace(
        "Result: ✅ success (Phase B1 tap alignment)", "Result: ❌ failed (tap alignment)"
    )
    text = text.replace(
        "Attempt #1 (ralph loop i=3, Mode: Parity — first pass) — Result: ✅ success",
        "Attempt #1 — Result: blocked",
    )
    ledger.write_text(text, encoding="utf-8")
    r = run_cli(["next"], demo_ws)
    assert "Mode: Evidence" in r.stdout
    assert (
        "Summary: Gather evidence on why B2 stalls ([DETECTOR-PARITY-001]): the last 3 attempts (#1, #2, #3) made no progress (blocked, partial, failed)"
        in r.stdout
    )
    other = run_cli(["next", "--focus", "DOCS-SYNC-003"], demo_ws)
    assert other.returncode == 0
    assert "Focus: [DOCS-SYNC-003] Document pivot rules" in other.stdout


def test_item_without_plan_works_from_its_first_open_next_action(
    demo_ws: Path, run_cli: Run
) -> None:
    out = run_cli(["next", "--focus", "DOCS-SYNC-003"], demo_ws).stdout
    assert (
        "Summary: [DOCS-SYNC-003] next action: Write the pivot table for MOSFLM, XDS and CUSTOM."
        in out
    )
    assert (
        "Do Now: [DOCS-SYNC-003] Next Action — Write the pivot table for MOSFLM, XDS and CUSTOM. "
        "Then record" in out
    )
    assert "- docs/fix_plan.md:66 — [DOCS-SYNC-003] first open Next Action: Write the pivot" in out
    ledger = demo_ws / "docs/fix_plan.md"
    ledger.write_text(
        ledger.read_text().replace("  2. Write the pivot", "  2. ✅ COMPLETE Write the pivot")
    )
    out = run_cli(["next", "--focus", "DOCS-SYNC-003"], demo_ws).stdout
    assert (
        "Summary: Advance [DOCS-SYNC-003] Document pivot rules: no plan names it and no Next Action is open."
        in out
    )


@pytest.mark.parametrize("cmd", [["status"], ["status", "--json"]])
def test_status_runs(demo_ws: Path, run_cli: Run, cmd: list[str]) -> None:
    r = run_cli(cmd, demo_ws)
    assert r.returncode == 0, r.stderr


def test_status_content(demo_ws: Path, run_cli: Run) -> None:
    doc = json.loads(run_cli(["status", "--json"], demo_ws).stdout)
    assert (doc["schema_version"], doc["kind"]) == (1, "status")
    items = {i["id"]: i for i in doc["items"]}
    assert items["DETECTOR-PARITY-001"]["attempts"] == 3
    assert items["DETECTOR-PARITY-001"]["plan"] == "plans/active/detector-parity/plan.md"
    assert items["NOISE-FLAGS-002"]["kind"] == "blocked"
    plan = doc["plans"][0]
    assert (plan["done"], plan["total"], plan["in_progress"], plan["blocked"]) == (3, 7, 1, 1)
    _check_golden("ws_demo_status.txt", run_cli(["status"], demo_ws).stdout)
