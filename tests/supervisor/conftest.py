"""Fixtures for supervisor tests: temp workspaces and the CLI run as a real subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def demo_ws(tmp_path: Path) -> Path:
    """A copy of tests/fixtures/ws_demo that a test may change freely."""
    dst = tmp_path / "ws"
    shutil.copytree(FIXTURES / "ws_demo", dst)
    return dst


def _run(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "SUPERVISOR_NO_CACHE": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "supervisor.cli.main", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def run_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `supervisor ARGS` in ``cwd`` as a subprocess (cache off unless env says so)."""
    return _run


@pytest.fixture
def process_gone() -> Callable[[int], bool]:
    """Whether a pid is gone: no such process, or only a zombie left (its parent may not
    reap it in a container)."""

    def gone(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return True
        return stat.rsplit(")", 1)[1].split()[0] == "Z"

    return gone
