"""Bad input to `supervisor next`: one `path:line: problem — fix` line on stderr, exit 1,
no traceback, nothing written (neither input.md nor a cache entry)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

Run = Callable[..., CompletedProcess[str]]


def _fails(run_cli: Run, ws: Path, expected: str) -> None:
    before = sorted(p.relative_to(ws) for p in ws.rglob("*"))
    r = run_cli(["next", "--write"], ws, env={"SUPERVISOR_NO_CACHE": ""})
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert r.stdout == ""
    assert r.stderr == f"error: {expected}\n"
    assert "Traceback" not in r.stderr
    assert sorted(p.relative_to(ws) for p in ws.rglob("*")) == before


def test_missing_config(tmp_path: Path, run_cli: Run) -> None:
    _fails(
        run_cli,
        tmp_path,
        f"no supervisor.yaml found in {tmp_path.resolve()} or any parent directory — run "
        "inside a workspace, pass -C DIR, or start one with `supervisor init` (see docs/formats.md#config)",
    )


def test_missing_ledger(demo_ws: Path, run_cli: Run) -> None:
    (demo_ws / "docs" / "fix_plan.md").unlink()
    _fails(
        run_cli,
        demo_ws,
        "docs/fix_plan.md: ledger not found — create it or set paths.ledger in supervisor.yaml",
    )


def test_ledger_not_utf8(demo_ws: Path, run_cli: Run) -> None:
    path = demo_ws / "docs" / "fix_plan.md"
    path.write_bytes(path.read_bytes().replace(b"## [NOISE", b"## [\xe9NOISE"))
    _fails(
        run_cli,
        demo_ws,
        "docs/fix_plan.md:51: not valid UTF-8 (byte 0xe9 at offset 2423) — re-save the file as UTF-8",
    )


def test_ledger_is_a_directory(demo_ws: Path, run_cli: Run) -> None:
    path = demo_ws / "docs" / "fix_plan.md"
    path.unlink()
    path.mkdir()
    _fails(run_cli, demo_ws, "docs/fix_plan.md: ledger is a directory, expected a file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_ledger_unreadable(demo_ws: Path, run_cli: Run) -> None:
    path = demo_ws / "docs" / "fix_plan.md"
    path.chmod(0)
    _fails(
        run_cli,
        demo_ws,
        "docs/fix_plan.md: cannot read ledger: Permission denied — check its permissions",
    )


def test_ledger_without_items(demo_ws: Path, run_cli: Run) -> None:
    (demo_ws / "docs" / "fix_plan.md").write_text("# Fix Plan Ledger\n\nnothing here\n")
    _fails(
        run_cli,
        demo_ws,
        "docs/fix_plan.md:1: no items found: expected item headings matching ledger.item_heading "
        '\'\\[{id}\\]\\s*(?P<title>.*)\' (e.g. "## [EXAMPLE-001] Title") or a "## Current Focus" '
        'section naming an item ID — add an item section such as "## [EXAMPLE-001] Title" with '
        "- Status: in_progress, or set ledger.item_heading / ledger.shape in supervisor.yaml "
        "(see docs/formats.md#ledger)",
    )


def test_plan_reference_to_missing_file(demo_ws: Path, run_cli: Run) -> None:
    (demo_ws / "plans/active/detector-parity/plan.md").unlink()
    _fails(
        run_cli,
        demo_ws,
        "docs/fix_plan.md:32: [DETECTOR-PARITY-001] plan reference "
        "plans/active/detector-parity/plan.md does not exist — fix the Plan Reference path or "
        "create the plan",
    )


def test_plan_not_utf8(demo_ws: Path, run_cli: Run) -> None:
    path = demo_ws / "plans/active/detector-parity/plan.md"
    path.write_bytes(b"## Context\n\xff\n")
    _fails(
        run_cli,
        demo_ws,
        "plans/active/detector-parity/plan.md:2: not valid UTF-8 (byte 0xff at offset 11) — "
        "re-save the file as UTF-8",
    )


def test_empty_template(demo_ws: Path, run_cli: Run) -> None:
    (demo_ws / "templates").mkdir()
    (demo_ws / "templates" / "brief.md.j2").write_text("  \n")
    _fails(
        run_cli,
        demo_ws,
        "templates/brief.md.j2:1: template is empty — restore its content or delete it",
    )


def test_template_with_undefined_variable(demo_ws: Path, run_cli: Run) -> None:
    (demo_ws / "templates").mkdir()
    (demo_ws / "templates" / "brief.md.j2").write_text("Summary: {{ summary }}\n\n{{ nope }}\n")
    r = run_cli(["next"], demo_ws)
    assert r.returncode == 1
    assert r.stderr.startswith(
        "error: templates/brief.md.j2:3: template uses an undefined variable: 'nope' is "
        "undefined — use only the context's variables: artifacts, branch, do_now,"
    )


def test_template_syntax_error(demo_ws: Path, run_cli: Run) -> None:
    (demo_ws / "templates").mkdir()
    (demo_ws / "templates" / "brief.md.j2").write_text("ok\n{% for x in %}\n")
    _fails(
        run_cli,
        demo_ws,
        "templates/brief.md.j2:2: template syntax error: Expected an expression, got "
        "'end of statement block' — fix the Jinja syntax",
    )


def test_ledger_text_is_data_not_a_template(demo_ws: Path, run_cli: Run) -> None:
    path = demo_ws / "docs" / "fix_plan.md"
    path.write_text(
        path.read_text()
        .replace(
            "- Priority: Critical",
            "- Priority: Critical\n- Risks/Assumptions: {{ 7*7 }} $(rm -rf /)",
        )
        .replace("- Risks/Assumptions: The C forces", "- Note: The C forces")
    )
    r = run_cli(["next"], demo_ws)
    assert r.returncode == 0
    assert "Mind the item's risks: {{ 7*7 }} $(rm -rf /)" in r.stdout


def test_unknown_focus_lists_close_matches(demo_ws: Path, run_cli: Run) -> None:
    r = run_cli(["next", "--focus", "DETECTOR-PARITY-01"], demo_ws)
    assert r.returncode == 1
    assert r.stderr == (
        "error: docs/fix_plan.md: no item DETECTOR-PARITY-01 in the ledger — did you mean "
        "DETECTOR-PARITY-001?\n"
    )


def test_bad_option_is_exit_1(demo_ws: Path, run_cli: Run) -> None:
    r = run_cli(["next", "--bogus"], demo_ws)
    assert r.returncode == 1
    assert "No such option: --bogus" in r.stderr


def test_config_warning_goes_to_stderr(demo_ws: Path, run_cli: Run) -> None:
    cfg = demo_ws / "supervisor.yaml"
    cfg.write_text(cfg.read_text() + "colour: blue\n")
    r = run_cli(["next"], demo_ws)
    assert r.returncode == 0
    assert r.stderr.startswith(
        "warning: supervisor.yaml:34: unknown key 'colour' (ignored) — use one of:"
    )


def test_explain_lists_every_reason_when_nothing_is_eligible(demo_ws: Path, run_cli: Run) -> None:
    ledger = demo_ws / "docs" / "fix_plan.md"
    text = ledger.read_text(encoding="utf-8")
    ledger.write_text(
        text.replace("Status: in_progress", "Status: done").replace(
            "Status: in_planning", "Status: done"
        ),
        encoding="utf-8",
    )
    r = run_cli(["next", "--explain"], demo_ws)
    assert r.returncode == 1
    assert r.stdout.startswith(
        "Focus: none — no eligible item\n"
        "  note: Active Focus names DETECTOR-PARITY-001, but it is done; skipped\n\nRanking:\n"
    )
    assert "  3 - NOISE-FLAGS-002      High     blocked      status blocked (blocked)\n" in r.stdout
    assert r.stdout.endswith("  * focus   + eligible   - not eligible\n")
    assert r.stderr == (
        "error: docs/fix_plan.md: no eligible item: every item is done, blocked, waiting on a "
        "dependency, or has a status outside the configured vocabulary — each item's reason is "
        "listed above; or pass --focus ID\n"
    )
    plain = run_cli(["next"], demo_ws)
    assert plain.returncode == 1 and plain.stdout == ""
    assert "run `supervisor next --explain` for the reasons" in plain.stderr
