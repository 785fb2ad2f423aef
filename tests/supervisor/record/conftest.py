"""Fixtures for record-attempt tests: a fixed attempt date, workspaces built from copies of
corpus ledgers, real evidence bundles, and temp git repositories with a fixed identity."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

DATE = "2026-02-03"
IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
COMMANDS = """
  ok-run:
    argv: ["{python}", -c, "import sys; open(sys.argv[1] + '/result.txt', 'w').write('fine')", "{out}"]
    outputs: [result.txt]
  bad-run:
    argv: ["{python}", -c, "import sys; sys.exit(4)"]
"""

Run = Callable[..., CompletedProcess[str]]


@pytest.fixture
def record(run_cli: Run) -> Run:
    """`supervisor record-attempt ARGS` in ``cwd`` with SUPERVISOR_DATE fixed."""

    def go(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> CompletedProcess[str]:
        return run_cli(["record-attempt", *args], cwd, env={"SUPERVISOR_DATE": DATE, **(env or {})})

    return go


@pytest.fixture
def corpus_ws(corpus_root: Path, tmp_path: Path) -> Callable[[str], Path]:
    """A workspace made of a copy of one corpus ledger plus copies of the corpus plans."""

    def make(name: str) -> Path:
        ws = tmp_path / name.replace(".", "_")
        (ws / "docs").mkdir(parents=True)
        shutil.copyfile(corpus_root / "ledger" / name, ws / "docs" / "fix_plan.md")
        (ws / "docs" / "fix_plan.md").chmod(0o644)
        shutil.copytree(corpus_root / "plans" / "active", ws / "plans" / "active")
        for p in (ws / "plans").rglob("*"):
            p.chmod(0o755 if p.is_dir() else 0o644)
        (ws / "supervisor.yaml").write_text("version: 1\nbranch: main\n", encoding="utf-8")
        return ws

    return make


@pytest.fixture
def bundles(demo_ws: Path, run_cli: Run) -> Callable[..., str]:
    """Dispatch real commands in the demo workspace; returns the bundle's relative path."""
    cfg = demo_ws / "supervisor.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + COMMANDS, encoding="utf-8")

    def make(*names: str, item: str = "DETECTOR-PARITY-001", phase: str = "B") -> str:
        r = run_cli(["dispatch", *names, "--item", item, "--phase", phase], demo_ws)
        assert r.returncode in (0, 1), r.stderr
        return r.stdout.strip()

    return make


def git(cwd: Path, *args: str) -> str:
    r = subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **IDENTITY}, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture
def git_repo() -> Callable[[Path], Callable[..., str]]:
    """Make ``path`` a git repository with everything committed; returns a git runner."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")

    def init(path: Path) -> Callable[..., str]:
        git(path, "init", "-q", "-b", "main")
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", "initial")
        return lambda *args: git(path, *args)

    return init


@pytest.fixture
def identity() -> dict[str, str]:
    """Environment for a fixed git identity, isolated from the user's git config."""
    return dict(IDENTITY)
