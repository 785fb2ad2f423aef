"""Fixtures for the loop tests: a small workspace in a real git repository (fixed identity),
the scripted agent, bare remotes with clones, and the CLI run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

AGENT = Path(__file__).resolve().parent / "scripted_agent.py"

CONFIG = """\
version: 1
project: loopdemo
branch: main
statuses:
  active: [in_progress, pending]
  blocked: [blocked]
  done: [done]
selection:
  stall_window: 9
brief:
  default_mode: Parity
  stall_mode: Evidence
commands:
  probe:
    help: write probe.txt into the bundle
    argv: ["{python}", -c, "import sys; open(sys.argv[1] + '/probe.txt', 'w').write('ok')", "{out}"]
    outputs: [probe.txt]
    timeout: 60
loop:
  iterations: 3
  lease_seconds: 300
  stall:
    iterations: 2
    escalate: mode
"""

LEDGER = """\
# Fix Plan Ledger

**Last Updated:** 2026-01-05 (galph loop #1)
**Active Focus:**
- CRITICAL: `[ALPHA-001]` — localize the divergence.

## Index
| ID | Title | Priority | Status |
| --- | --- | --- | --- |
| [ALPHA-001](#alpha-001-alpha) | Alpha | Critical | in_progress |
| [BETA-002](#beta-002-beta) | Beta | High | in_progress |

## [ALPHA-001] Alpha
- Priority: Critical
- Status: in_progress
- Plan Reference: `plans/active/alpha/plan.md`
- Attempts History:
  * [2026-01-04] Attempt #1 — Result: ✅ success. Plan drafted.

## [BETA-002] Beta
- Priority: High
- Status: in_progress
- Attempts History: none yet
- Next Actions:
  1. Write the pivot note.
"""

PLAN = """\
## Context
- Initiative: ALPHA-001 — localize the divergence.

### Phase A — Baseline
Goal: a baseline.
Exit Criteria: bundles stored.

| ID | Task Description | State | How/Why & Guidance |
| --- | --- | --- | --- |
| A1 | Capture the baseline with `probe` | [ ] | Mode: Parity. |
| A2 | Compare again with `probe` | [ ] | |

### Phase B — Confirm
Goal: confirm.

| ID | Task Description | State | How/Why & Guidance |
| --- | --- | --- | --- |
| B1 | Confirm with `probe` | [ ] | |
"""

IDENTITY = {
    "GIT_AUTHOR_NAME": "Loop Test",
    "GIT_AUTHOR_EMAIL": "loop@example.invalid",
    "GIT_COMMITTER_NAME": "Loop Test",
    "GIT_COMMITTER_EMAIL": "loop@example.invalid",
}

Git = Callable[..., str]
Run = Callable[..., subprocess.CompletedProcess[str]]


def git_in(where: Path, *args: str) -> str:
    r = subprocess.run(
        ["git", *args],
        cwd=where,
        capture_output=True,
        text=True,
        env={**os.environ, **IDENTITY},
        check=False,
    )
    assert r.returncode == 0, f"git {' '.join(args)}: {r.stderr}"
    return r.stdout


def _configure(repo: Path) -> None:
    git_in(repo, "config", "user.name", IDENTITY["GIT_AUTHOR_NAME"])
    git_in(repo, "config", "user.email", IDENTITY["GIT_AUTHOR_EMAIL"])
    git_in(repo, "config", "commit.gpgsign", "false")


def make_workspace(ws: Path) -> Path:
    (ws / "docs").mkdir(parents=True)
    (ws / "plans" / "active" / "alpha").mkdir(parents=True)
    (ws / "supervisor.yaml").write_text(CONFIG, encoding="utf-8")
    (ws / "docs" / "fix_plan.md").write_text(LEDGER, encoding="utf-8")
    (ws / "plans" / "active" / "alpha" / "plan.md").write_text(PLAN, encoding="utf-8")
    (ws / "README.md").write_text("loop test workspace\n", encoding="utf-8")
    git_in(ws, "init", "-q", "-b", "main")
    _configure(ws)
    git_in(ws, "add", "-A")
    git_in(ws, "commit", "-q", "-m", "initial workspace")
    return ws


@pytest.fixture
def loop_ws(tmp_path: Path) -> Path:
    """The loop workspace in a fresh git repository on branch main, one commit."""
    return make_workspace(tmp_path / "ws")


@pytest.fixture
def remote_pair(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A bare remote holding the workspace, and two clones of it (supervisor, agent)."""
    seed = make_workspace(tmp_path / "seed")
    bare = tmp_path / "remote.git"
    git_in(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    git_in(seed, "remote", "add", "origin", str(bare))
    git_in(seed, "push", "-q", "origin", "main")
    clones = []
    for name in ("sup", "agt"):
        git_in(tmp_path, "clone", "-q", str(bare), name)
        _configure(tmp_path / name)
        clones.append(tmp_path / name)
    return bare, clones[0], clones[1]


@pytest.fixture
def git() -> Git:
    return git_in


def commit_count(where: Path, ref: str = "HEAD") -> int:
    return int(git_in(where, "rev-list", "--count", ref).strip())


@pytest.fixture
def commits() -> Callable[..., int]:
    return commit_count


def agent(mode: str = "work") -> str:
    return f"{sys.executable} {AGENT} {mode}"


@pytest.fixture
def agent_cmd() -> Callable[..., str]:
    return agent


def cli_env() -> dict[str, str]:
    return {**os.environ, **IDENTITY, "SUPERVISOR_NO_CACHE": "1", "SUPERVISOR_DATE": "2026-02-01"}


def run_loop(
    ws: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "supervisor.cli.main", "loop", *args],
        cwd=ws,
        env={**cli_env(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def loop_cli() -> Run:
    """Run `supervisor loop ARGS` in a workspace as a subprocess."""
    return run_loop


@pytest.fixture
def popen_loop() -> Callable[..., subprocess.Popen[str]]:
    """Start `supervisor loop ARGS` in the background (for two roles, or Ctrl-C)."""

    def start(ws: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "supervisor.cli.main", "loop", *args],
            cwd=ws,
            env={**cli_env(), **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    return start


def read_state(ws: Path) -> dict[str, Any]:
    doc = json.loads((ws / "sync" / "state.json").read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


@pytest.fixture
def state_of() -> Callable[[Path], dict[str, Any]]:
    return read_state


def set_config(ws: Path, old: str, new: str) -> None:
    """Edit supervisor.yaml (``old`` -> ``new``) and commit it, so the tree stays clean."""
    path = ws / "supervisor.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    git_in(ws, "commit", "-q", "-am", "config")


@pytest.fixture
def configure() -> Callable[[Path, str, str], None]:
    return set_config
