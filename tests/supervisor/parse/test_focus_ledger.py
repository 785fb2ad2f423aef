"""Ledger shapes: the single-focus ledger (``## Current Focus`` + ``### <timestamp> — label``
attempts, plan at ``plans/active/<ID>/implementation.md``), a configured item heading, and the
error for a ledger of no known shape."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

from supervisor.model import Outcome
from supervisor.parse.focus_ledger import parse_focus_ledger

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "ws_single_focus"
Run = Callable[..., CompletedProcess[str]]


def test_single_focus_ledger_parses_item_fields_and_heading_attempts() -> None:
    text = (FIXTURE / "docs/fix_plan.md").read_text()
    ledger = parse_focus_ledger(text, "docs/fix_plan.md", "Current Focus", "Attempts History")
    (item,) = ledger.items
    assert (item.id, item.title, item.value("Status")) == (
        "PARSER-002", "Tolerant plan parsing", "in_progress",
    )  # fmt: skip
    assert [(a.number, a.date, a.outcome, a.span.anchor) for a in item.attempts] == [
        (1, "2026-01-02T09:00Z", Outcome.SUCCESS, "docs/fix_plan.md:11-12"),
        (2, "2026-01-03T10:30Z", Outcome.FAILED, "docs/fix_plan.md:14-15"),
    ]
    assert item.attempts[0].artifacts == ("reports/PARSER-002/b1/",)


def test_single_focus_workspace_gets_a_brief(tmp_path: Path, run_cli: Run) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(FIXTURE, ws)
    r = run_cli(["next", "--explain"], ws)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert (
        lines[0]
        == "Focus: [PARSER-002] Tolerant plan parsing — chosen by ranking (priority, then status, then ledger order)"
    )
    assert "  plan: plans/active/PARSER-002/implementation.md" in lines
    # B1 is unticked but attempt #1 reports it done; the inline Next Action names B2
    assert "  task: B2 [not_started] in Phase B — named by attempt #2's Next Actions" not in lines
    assert "  task: B2 [not_started] in Phase B — named by Next Actions at line 7" in lines
    brief = run_cli(["next"], ws).stdout
    assert brief.splitlines()[2].startswith("Focus: [PARSER-002] Tolerant plan parsing")


def test_configured_item_heading(tmp_path: Path, run_cli: Run) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(FIXTURE, ws)
    (ws / "docs/fix_plan.md").write_text(
        "# Backlog\n\n## Item PARSER-002: Tolerant plan parsing\n- Status: in_progress\n"
    )
    cfg = ws / "supervisor.yaml"
    cfg.write_text(cfg.read_text() + "ledger:\n  item_heading: 'Item {id}: (?P<title>.*)'\n")
    r = run_cli(["next", "--explain"], ws)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Focus: [PARSER-002] Tolerant plan parsing — ")


def test_unknown_ledger_shape_names_the_patterns_it_expected(tmp_path: Path, run_cli: Run) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(FIXTURE, ws)
    (ws / "docs/fix_plan.md").write_text("# Backlog\n\n## Tasks\n* do things\n")
    r = run_cli(["next"], ws)
    assert r.returncode == 1
    assert r.stderr == (
        "error: docs/fix_plan.md:1: no items found: expected item headings matching "
        "ledger.item_heading '\\[{id}\\]\\s*(?P<title>.*)' (e.g. \"## [EXAMPLE-001] Title\") "
        'or a "## Current Focus" section naming an item ID — add an item section such as '
        '"## [EXAMPLE-001] Title" with - Status: in_progress, or set ledger.item_heading / '
        "ledger.shape in supervisor.yaml (see docs/formats.md#ledger)\n"
    )


def test_bad_item_heading_is_a_config_error(tmp_path: Path, run_cli: Run) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(FIXTURE, ws)
    cfg = ws / "supervisor.yaml"
    cfg.write_text(cfg.read_text() + "ledger:\n  item_heading: 'Item (?P<title>.*)'\n")
    r = run_cli(["next"], ws)
    assert r.returncode == 1
    assert r.stderr.startswith(
        "error: supervisor.yaml:7: 'ledger.item_heading' item_heading must contain {id}"
    )
