"""Fixtures for lint tests: a clean workspace to mutate, and lint run in-process."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from supervisor.lint import LintReport, lint
from supervisor.workspace import Workspace

CLEAN = Path(__file__).resolve().parents[2] / "fixtures" / "lint_clean"

Edit = tuple[str, str, str]  # (file, old text, new text); old "" appends new


@pytest.fixture
def clean_ws(tmp_path: Path) -> Path:
    """A copy of tests/fixtures/lint_clean (lints clean) that a test may change."""
    dst = tmp_path / "lint_ws"
    shutil.copytree(CLEAN, dst)
    return dst


def _mutate(ws: Path, edits: list[Edit]) -> None:
    for rel, old, new in edits:
        path = ws / rel
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        if old:
            assert old in text, f"{old!r} not in {rel}"
            text = text.replace(old, new, 1)
        else:
            text += new
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.fixture
def mutate() -> Callable[[Path, list[Edit]], None]:
    """Apply ``(file, old, new)`` text edits to a workspace (``old == ""`` appends)."""
    return _mutate


def _lint(ws: Path, *paths: str, **kw: bool) -> LintReport:
    return lint(Workspace.find(ws), [ws / p for p in paths], **kw)


@pytest.fixture
def run_lint() -> Callable[..., LintReport]:
    """``run_lint(ws, *paths, fix_safe=…, collect_tests=…)`` in-process."""
    return _lint


@pytest.fixture
def corpus_ws(tmp_path: Path, corpus_root: Path) -> Callable[..., Path]:
    """``corpus_ws(ledger_sha, brief_sha=None, plans=False, config=...)``: a temp workspace
    with a corpus ledger version as docs/fix_plan.md (and a corpus brief as input.md, the
    corpus plans under plans/). Corpus files are copied to the temp dir, never the repo."""

    def make(
        ledger: str, brief: str | None = None, plans: bool = False, config: str = "version: 1\n"
    ) -> Path:
        ws = tmp_path / f"ws-{ledger}"
        (ws / "docs").mkdir(parents=True)
        shutil.copyfile(corpus_root / "ledger" / f"fix_plan.{ledger}.md", ws / "docs/fix_plan.md")
        if brief is not None:
            shutil.copyfile(corpus_root / "briefs" / f"input.{brief}.md", ws / "input.md")
        if plans:
            shutil.copytree(corpus_root / "plans", ws / "plans")
        (ws / "supervisor.yaml").write_text(config, encoding="utf-8")
        return ws

    return make
