"""`supervisor init --adopt` on real (corpus) ledgers: the inferred vocabularies, plan layout,
env and Mode, each with where it came from; what it cannot infer; and its refusals."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from supervisor.config import load_config

Run = Callable[..., CompletedProcess[str]]


def _corpus_repo(tmp_path: Path, corpus_root: Path, sha: str, plans: bool) -> Path:
    ws = tmp_path / "repo"
    (ws / "docs").mkdir(parents=True)
    shutil.copyfile(corpus_root / "ledger" / f"fix_plan.{sha}.md", ws / "docs/fix_plan.md")
    if plans:
        shutil.copytree(corpus_root / "plans" / "active", ws / "plans" / "active")
    return ws


@pytest.mark.corpus
def test_adopt_newest_corpus_ledger(tmp_path: Path, corpus_root: Path, run_cli: Run) -> None:
    ws = _corpus_repo(tmp_path, corpus_root, "eea4715f", plans=True)
    r = run_cli(["init", "--adopt"], ws)
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    cfg = load_config(ws)
    assert cfg.warnings == ()
    assert cfg.paths.ledger == "docs/fix_plan.md"
    assert cfg.paths.plans == "plans/active"
    assert cfg.statuses.active == ("in_progress", "in_planning")
    assert cfg.statuses.blocked == ("blocked",)
    assert cfg.statuses.done == ("done",)
    assert cfg.priorities == ("Critical", "High", "Medium", "Low")
    assert dict(cfg.env) == {
        "CUDA_VISIBLE_DEVICES": "-1",
        "KMP_DUPLICATE_LIB_OK": "TRUE",
        "NB_C_BIN": "./golden_suite_generator/nanoBragg",
        "NB_RUN_PARALLEL": "1",
    }
    assert cfg.default_mode == "Docs"
    text = (ws / "supervisor.yaml").read_text()
    assert (
        "  active: [in_progress, in_planning]  # Status words in docs/fix_plan.md "
        "(uses: in_progress 14, in_planning 29)\n"
    ) in text
    assert (
        "  plans: plans/active  # 9 Plan Reference(s) in docs/fix_plan.md point there "
        "(plans/active/<initiative>.md)\n"
    ) in text
    assert "could not infer:\n" in r.stdout
    assert (
        "  env: left out (each set in only one command): PYTHONPATH=src — add any that every "
        "command needs\n"
    ) in r.stdout
    assert (
        "  branch: not a git repository (or a detached HEAD) — set the loop's branch\n" in r.stdout
    )
    # the adopted workspace works: next picks the ledger's Active Focus
    brief = run_cli(["next"], ws)
    assert brief.returncode == 0, brief.stderr
    assert "Focus: [TEST-SUITE-TRIAGE-002]" in brief.stdout
    # only supervisor.yaml was written
    assert sorted(p.name for p in ws.iterdir()) == ["docs", "plans", "supervisor.yaml"]


@pytest.mark.corpus
def test_adopt_bullet_index_era(tmp_path: Path, corpus_root: Path, run_cli: Run) -> None:
    ws = _corpus_repo(tmp_path, corpus_root, "a11f61ba", plans=False)
    r = run_cli(["init", "--adopt", "--json"], ws)
    assert r.returncode == 0, r.stderr
    import json

    doc = json.loads(r.stdout)
    assert (doc["kind"], doc["adopted"], doc["written"]) == ("init", True, ["supervisor.yaml"])
    got = {v["key"]: v["value"] for v in doc["inferred"]}
    assert got["statuses.active"] == ["pending"]
    assert got["statuses.done"] == ["done"]
    assert got["priorities"] == ["High", "Medium"]
    assert [v["from"] for v in doc["inferred"] if v["key"] == "paths.ledger"] == [
        "8 `## [ID] Title` item sections, an Index bullet list"
    ]
    assert (
        "statuses.blocked: no blocked status word found in docs/fix_plan.md"
        in (doc["not_inferred"])
    )


def test_adopt_reads_the_git_branch(tmp_path: Path, run_cli: Run) -> None:
    ws = tmp_path / "repo"
    (ws / "notes").mkdir(parents=True)
    (ws / "notes" / "fix_plan.md").write_text(
        "# Ledger\n\n## [WIDGET-001] Widget\n- Priority: P1\n- Status: todo\n\n"
        "## [WIDGET-002] Gadget\n- Priority: P0\n- Status: shipped\n"
        "- Reproduction: `OMP_NUM_THREADS=4 make test` then `OMP_NUM_THREADS=4 make bench`\n\n"
        "## [WIDGET-003] Gizmo\n- Priority: P2\n- Status: frobbing\n",
        encoding="utf-8",
    )
    subprocess.run(["git", "init", "-q", "-b", "trunk", str(ws)], check=True)
    r = run_cli(["init", "--adopt"], ws)
    assert r.returncode == 0, r.stderr
    cfg = load_config(ws)
    assert cfg.branch == "trunk"
    assert cfg.paths.ledger == "notes/fix_plan.md"
    assert cfg.priorities == ("P0", "P1", "P2")
    assert (cfg.statuses.active, cfg.statuses.done) == (("todo",), ("shipped",))
    assert dict(cfg.env) == {"OMP_NUM_THREADS": "4"}
    assert (
        "  statuses: could not classify frobbing (1) — add each to active, blocked or done\n"
        in r.stdout
    )


def _fails(run_cli: Run, ws: Path, args: list[str], expected: str) -> None:
    before = sorted(p.relative_to(ws).as_posix() for p in ws.rglob("*"))
    r = run_cli(args, ws)
    assert (r.returncode, r.stdout, r.stderr) == (1, "", f"error: {expected}\n")
    assert sorted(p.relative_to(ws).as_posix() for p in ws.rglob("*")) == before


def test_adopt_without_a_ledger(tmp_path: Path, run_cli: Run) -> None:
    _fails(
        run_cli,
        tmp_path,
        ["init", "--adopt"],
        "docs/fix_plan.md: no ledger found to adopt (looked for docs/fix_plan.md and any "
        "fix_plan.md) — pass --ledger PATH, or run `supervisor init` without --adopt to start a "
        "workspace (see docs/formats.md#ledger)",
    )


def test_adopt_with_two_ledgers(tmp_path: Path, run_cli: Run) -> None:
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "fix_plan.md").write_text("## [ABC-001] x\n- Status: done\n")
    _fails(
        run_cli,
        tmp_path,
        ["init", "--adopt"],
        "found 2 ledgers: a/fix_plan.md, b/fix_plan.md — pass --ledger PATH to pick one",
    )


def test_adopt_unrecognised_ledger(tmp_path: Path, run_cli: Run) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "fix_plan.md").write_text("# Notes\n\n- buy milk\n")
    _fails(
        run_cli,
        tmp_path,
        ["init", "--adopt"],
        "docs/fix_plan.md:1: not a ledger this tool can read: no `## [ID] Title` item sections "
        "— give each item a heading such as `## [ABC-001] Title` with a `- Status:` field "
        "(see docs/formats.md#ledger)",
    )


def test_adopt_non_utf8_ledger(tmp_path: Path, run_cli: Run) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "fix_plan.md").write_bytes(b"# L\n\n## [ABC-001] caf\xe9\n")
    _fails(
        run_cli,
        tmp_path,
        ["init", "--adopt"],
        "docs/fix_plan.md:3: not valid UTF-8 (byte 0xe9 at offset 21) — re-save the file as UTF-8",
    )


def test_adopt_keeps_an_existing_config(tmp_path: Path, run_cli: Run) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "fix_plan.md").write_text("## [ABC-001] x\n- Status: done\n")
    (tmp_path / "supervisor.yaml").write_text("version: 1\n")
    _fails(
        run_cli,
        tmp_path,
        ["init", "--adopt"],
        "supervisor.yaml: already exists; init never overwrites a file — pass --force to "
        "overwrite it",
    )


def test_adopt_ledger_option_must_exist(tmp_path: Path, run_cli: Run) -> None:
    _fails(
        run_cli,
        tmp_path,
        ["init", "--adopt", "--ledger", "nope.md"],
        "nope.md: --ledger names no file — give the ledger's path (docs/fix_plan.md)",
    )


def test_adopt_vocabulary_edge_cases(tmp_path: Path) -> None:
    from supervisor.init.adopt import adopt
    from supervisor.parse.ledger import parse_ledger

    text = (
        "## [AAA-001] a\n- Priority: **ESCALATED CRITICAL** (routing)\n- Status: COMPLETE\n\n"
        "## [AAA-002] b\n- Priority: High\n- Status: complete (archived)\n\n"
        "## [AAA-003] c\n- Priority: Whenever\n- Status: complete\n"
        "- Reproduction: `STAMP=$(date) make x` and `STAMP=$(date) make y`\n"
    )
    a = adopt(tmp_path, "fix_plan.md", parse_ledger(text, "fix_plan.md"), text)
    assert a.get("statuses.done") == ("complete",)
    assert a.get("priorities") == ("CRITICAL", "High")
    assert a.get("env") is None
    assert "priorities: could not rank Whenever (1) — add them to `priorities` in order" in (
        a.unknown
    )
    assert not any("ESCALATED" in u for u in a.unknown)
