"""`supervisor init` in an empty directory, then `next` (golden brief), and its refusals:
existing files, partial workspaces, a ledger in another place — nothing written on error."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "golden"
Run = Callable[..., CompletedProcess[str]]
EPOCH = {"SOURCE_DATE_EPOCH": "1767225600"}  # 2026-01-01


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("SUPERVISOR_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_init_then_next_gives_a_brief_naming_the_example_task(tmp_path: Path, run_cli: Run) -> None:
    ws = tmp_path / "proj"
    ws.mkdir()
    r = run_cli(["init"], ws, env=EPOCH)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == (
        "wrote supervisor.yaml\nwrote docs/fix_plan.md\nwrote plans/active/example/plan.md\n"
        "next: `supervisor next` prints the brief for the example task\n"
    )
    assert sorted(_tree(ws)) == [
        "docs/fix_plan.md", "plans/active/example/plan.md", "supervisor.yaml",
    ]  # fmt: skip
    assert "**Last Updated:** 2026-01-01\n" in (ws / "docs/fix_plan.md").read_text()
    brief = run_cli(["next"], ws)
    assert (brief.returncode, brief.stderr) == (0, "")
    assert brief.stdout.splitlines()[2] == (
        "Focus: [EXAMPLE-001] First item — Phase A (Get started), task A1"
    )
    _check_golden("init_brief.md", brief.stdout)
    lint = run_cli(["lint"], ws)
    assert (lint.returncode, lint.stdout) == (0, "0 errors, 0 warnings in 2 files\n")


def test_init_config_is_commented_and_loads(tmp_path: Path, run_cli: Run) -> None:
    from supervisor.config import load_config

    assert run_cli(["init"], tmp_path, env=EPOCH).returncode == 0
    text = (tmp_path / "supervisor.yaml").read_text()
    assert text.count("#") >= 15
    cfg = load_config(tmp_path)
    assert cfg.warnings == ()
    assert cfg.statuses.active == ("in_progress", "pending")
    assert cfg.default_mode == "Implementation"
    assert [c.name for c in cfg.commands] == ["tests"]


def test_init_json(tmp_path: Path, run_cli: Run) -> None:
    import json

    r = run_cli(["init", "--json"], tmp_path, env=EPOCH)
    doc = json.loads(r.stdout)
    assert (doc["schema_version"], doc["kind"], doc["adopted"]) == (1, "init", False)
    assert doc["written"] == [
        "supervisor.yaml", "docs/fix_plan.md", "plans/active/example/plan.md",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (
            {"supervisor.yaml": "version: 1\n"},
            "supervisor.yaml: already exists (a partial workspace: no docs/fix_plan.md); init "
            "never overwrites a file — pass --force to overwrite it, or `supervisor init "
            "--adopt` to keep your ledger and plans",
        ),
        (
            {"docs/fix_plan.md": "# Fix Plan Ledger\n"},
            "docs/fix_plan.md: already exists; init never overwrites a file — pass --force to "
            "overwrite it, or `supervisor init --adopt` to keep your ledger and plans",
        ),
        (
            {"notes/fix_plan.md": "# Fix Plan Ledger\n"},
            "notes/fix_plan.md: a ledger already exists here — run `supervisor init --adopt` "
            "to keep it and write only supervisor.yaml",
        ),
    ],
    ids=["config-without-ledger", "ledger-exists", "ledger-elsewhere"],
)
def test_init_refuses_and_writes_nothing(
    tmp_path: Path, run_cli: Run, setup: dict[str, str], expected: str
) -> None:
    for rel, text in setup.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    before = _tree(tmp_path)
    r = run_cli(["init"], tmp_path, env=EPOCH)
    assert (r.returncode, r.stdout, r.stderr) == (1, "", f"error: {expected}\n")
    assert _tree(tmp_path) == before


def test_init_force_overwrites(tmp_path: Path, run_cli: Run) -> None:
    (tmp_path / "supervisor.yaml").write_text("version: 1\n")
    r = run_cli(["init", "--force"], tmp_path, env=EPOCH)
    assert r.returncode == 0, r.stderr
    assert "statuses:" in (tmp_path / "supervisor.yaml").read_text()


def test_init_into_a_directory_named_by_C(tmp_path: Path, run_cli: Run) -> None:
    target = tmp_path / "a b"
    target.mkdir()
    r = run_cli(["-C", str(target), "init"], tmp_path, env=EPOCH)
    assert r.returncode == 0, r.stderr
    assert 'project: "a b"' in (target / "supervisor.yaml").read_text()


def test_ledger_option_needs_adopt(tmp_path: Path, run_cli: Run) -> None:
    r = run_cli(["init", "--ledger", "x.md"], tmp_path)
    assert (r.returncode, r.stderr) == (
        1, "error: --ledger only applies with --adopt — add --adopt\n",
    )  # fmt: skip
    assert _tree(tmp_path) == {}
