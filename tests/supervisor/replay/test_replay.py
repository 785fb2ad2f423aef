"""`supervisor replay` on real git repositories: a small loop history written for the test,
bad input (no brief history, a brief naming no item, an unreadable ledger), and the public
nanoBragg loop history from ../shared with its agreement figures as lower bounds."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

IDENTITY = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_AUTHOR_DATE": "2026-01-05T10:00:00+00:00", "GIT_COMMITTER_DATE": "2026-01-05T10:00:00+00:00",
}  # fmt: skip
BUNDLE = (
    Path(__file__).resolve().parents[3].parent / "shared/corpus/replay/nanobragg-history.bundle"
)
FIXTURE_CONFIG = Path(__file__).resolve().parents[2] / "fixtures/replay/nanobragg.yaml"

CONFIG = """version: 1
paths: {ledger: docs/fix_plan.md, plans: plans/active, brief: input.md}
statuses: {active: [in_progress], done: [done], blocked: [blocked]}
"""
PLAN = """# Plan
### Phase A — Setup
| ID | Task | State | Guidance |
| --- | --- | --- | --- |
| A1 | Probe | [{a1}] | run it |
| A2 | Compare | [ ] | diff it |
"""


def _ledger(alpha: str, beta: str) -> str:
    return (
        "# Fix Plan Ledger\n\n"
        f"## [ALPHA-001] Alpha\n- Priority: High\n- Status: {alpha}\n"
        "- Plan Reference: `plans/active/alpha/plan.md`\n\n"
        f"## [BETA-002] Beta\n- Priority: Low\n- Status: {beta}\n"
    )


def git(where: Path, *args: str) -> str:
    r = subprocess.run(["git", *args], cwd=where, capture_output=True, text=True,
                       env={**os.environ, **IDENTITY}, check=False)  # fmt: skip
    assert r.returncode == 0, r.stderr
    return r.stdout


def commit(repo: Path, files: dict[str, str], subject: str) -> str:
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", subject)
    return git(repo, "rev-parse", "--short=7", "HEAD").strip()


@pytest.fixture
def loop_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "loop"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, {"supervisor.yaml": CONFIG, "docs/fix_plan.md": _ledger("in_progress", "in_progress"),
                  "plans/active/alpha/plan.md": PLAN.format(a1=" ")}, "seed")  # fmt: skip
    commit(repo, {"input.md": "Focus: [ALPHA-001] Alpha\nDo Now: ALPHA-001 A1 — probe\n"},
           "SUPERVISOR: first brief")  # fmt: skip
    commit(repo, {"plans/active/alpha/plan.md": PLAN.format(a1="D")}, "ALPHA-001 A1 probe done")
    commit(repo, {"input.md": "Focus: [ALPHA-001] Alpha — A2\nDo Now: compare\n"},
           "SUPERVISOR: second brief")  # fmt: skip
    commit(repo, {"docs/fix_plan.md": _ledger("done", "in_progress")}, "ALPHA-001 closed")
    commit(repo, {"input.md": "Focus: [BETA-002] Beta\nDo Now: go\n"}, "SUPERVISOR: third")
    commit(repo, {"input.md": "Summary: tidy up\nDo Now: nothing in particular\n"}, "fourth")
    return repo


Run = Callable[..., subprocess.CompletedProcess[str]]


def test_replay_small_history_table_and_json(loop_repo: Path, run_cli: Run) -> None:
    r = run_cli(["replay", "--json"], loop_repo)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert (doc["schema_version"], doc["kind"]) == (1, "replay")
    assert doc["summary"] | {"seconds": 0} == {
        "turns": 4, "replayed": 3, "skipped": 1, "parse_failures": 0, "item_agree": 3,
        "step_agree": 2, "redo": 0, "recorded_done": 0, "seconds": 0, "item_rate": 1.0,
        "step_rate": 0.6667,
    }  # fmt: skip
    rows = [(t["recorded_item"], t["recorded_task"], t["item"], t["task"], t["how"], t["skipped"])
            for t in doc["turns"]]  # fmt: skip
    assert rows == [
        ("ALPHA-001", "A1", "ALPHA-001", "A1", "ranked", None),
        ("ALPHA-001", "A2", "ALPHA-001", "A2", "continuity", None),
        ("BETA-002", None, "BETA-002", None, "ranked", None),  # ALPHA is done: continuity passed
        (None, None, None, None, "", "the recorded brief names no item"),
    ]
    text = run_cli(["replay"], loop_repo).stdout
    assert "  item agreement:          3/3 (100.0%)\n" in text
    assert "  phase-or-task agreement: 2/3 (66.7%)\n" in text
    assert text.rstrip().endswith("--  skipped: the recorded brief names no item")


def test_replay_out_dir_and_window(loop_repo: Path, run_cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = run_cli(["replay", "--since", "2026-01-05", "--until", "2026-01-05", "--out", str(out),
                 "--no-table"], loop_repo)  # fmt: skip
    assert r.returncode == 0, r.stderr
    doc = json.loads((out / "replay.json").read_text())
    assert doc["kind"] == "replay" and doc["summary"]["turns"] == 4
    assert (out / "summary.md").read_text().startswith("# Replay summary\n")
    assert (out / "agreement.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = run_cli(["replay", "--since", "2027-01-01"], loop_repo)
    assert r.returncode == 1
    assert "no commit in the history changes input.md" in r.stderr


def test_replay_without_brief_history_is_an_error(tmp_path: Path, run_cli: Run) -> None:
    repo = tmp_path / "empty"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, {"supervisor.yaml": CONFIG, "docs/fix_plan.md": _ledger("in_progress", "done")},
           "seed")  # fmt: skip
    r = run_cli(["replay"], repo)
    assert r.returncode == 1
    assert r.stderr.startswith(f"error: {repo}: no commit in the history changes input.md")
    assert "Traceback" not in r.stderr


def test_replay_turn_with_unreadable_ledger_is_skipped(tmp_path: Path, run_cli: Run) -> None:
    repo = tmp_path / "bad"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, {"supervisor.yaml": CONFIG, "docs/fix_plan.md": _ledger("in_progress", "done"),
                  "plans/active/alpha/plan.md": PLAN.format(a1=" ")}, "seed")  # fmt: skip
    commit(repo, {"input.md": "Focus: [ALPHA-001] Alpha\n"}, "b1")
    (repo / "docs/fix_plan.md").write_bytes(b"# Ledger\n\xff\xfe broken\n")
    commit(repo, {}, "corrupt the ledger")
    commit(repo, {"input.md": "Focus: [ALPHA-001] Alpha again\n"}, "b2")
    r = run_cli(["replay", "--json"], repo)
    assert r.returncode == 0, r.stderr
    turns = json.loads(r.stdout)["turns"]
    assert turns[0]["item_agrees"] is True
    assert turns[1]["skipped"] == (
        "cannot replay: docs/fix_plan.md:2: not valid UTF-8 (byte 0xff at offset 9) — re-save "
        "the file as UTF-8"
    )
    assert json.loads(r.stdout)["summary"]["parse_failures"] == 1


def test_replay_outside_a_repository(tmp_path: Path, run_cli: Run) -> None:
    (tmp_path / "supervisor.yaml").write_text(CONFIG)
    r = run_cli(["replay", "--repo", str(tmp_path)], tmp_path)
    assert r.returncode == 1
    assert "not a git repository" in r.stderr


@pytest.mark.corpus
@pytest.mark.slow
def test_replay_public_history_agreement(tmp_path: Path, run_cli: Run) -> None:
    if not BUNDLE.is_file():
        pytest.skip(f"{BUNDLE} is absent (../shared/corpus/replay not laid out)")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "nb"
    git(tmp_path, "clone", "-q", str(BUNDLE), str(repo))
    r = run_cli(["replay", "--repo", str(repo), "--config", str(FIXTURE_CONFIG), "--json"],
                tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)["summary"]
    assert s["turns"] == 306
    assert s["parse_failures"] == 0
    assert s["skipped"] <= 1  # the first brief is a template naming no item
    assert s["item_agree"] / s["replayed"] >= 0.85
    assert s["step_agree"] / s["replayed"] >= 0.50
    assert s["redo"] == 0
