"""S302: test selectors collect (``--collect-tests`` only, because collecting imports and so
runs the workspace's test code). Each selector runs as its own
``python -m pytest --collect-only -q`` subprocess, argv only (never a shell), with the
workspace's python (``.venv/bin/python`` when present, else the running interpreter).
Selectors that look like options are refused, never passed on.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from supervisor.lint.findings import Finding, finding
from supervisor.model import Span

TIMEOUT_S = 300.0
_EXIT = {
    1: "tests failed",
    2: "collection errors",
    3: "internal error",
    4: "usage error or not found",
    5: "no tests collected",
}


def workspace_python(root: Path) -> str:
    for rel in (".venv/bin/python", ".venv/Scripts/python.exe", "venv/bin/python"):
        if (root / rel).is_file():
            return str(root / rel)
    return sys.executable


def _reason(out: str, code: int) -> str:
    lines = [ln.strip() for ln in out.splitlines() if ln.strip()]
    for ln in lines:
        if ln.startswith(("ERROR", "E ")) or "error" in ln.lower()[:20]:
            return ln[:200]
    return lines[-1][:200] if lines else _EXIT.get(code, f"exit {code}")


def _pytest_collect(argv: list[str], root: Path, env: dict[str, str]) -> str | None:
    """None when the selector collects, else why not. The child runs in its own session so
    a timeout kills its whole process group (what ``dispatch.runner`` does for commands)."""
    try:
        proc = subprocess.Popen(
            argv,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        return f"cannot run {argv[0]}: {exc.strerror}"
    try:
        out, _ = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return f"collection timed out after {TIMEOUT_S:.0f} s"
    if proc.returncode == 0:
        return None
    text = out.decode("utf-8", "replace")
    return f"pytest exit {proc.returncode}: {_reason(text, proc.returncode)}"


def collect(root: Path, selectors: Iterable[tuple[str, Span]]) -> Iterator[Finding]:
    python = workspace_python(root)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTEST_ADDOPTS", None)
    seen: dict[str, str | None] = {}
    for sel, span in selectors:
        if sel.startswith("-") or "\n" in sel:
            continue  # never pass something that pytest would read as an option
        if sel not in seen:
            argv = [python, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", sel]
            seen[sel] = _pytest_collect(argv, root, env)
        reason = seen[sel]
        if reason is not None:
            yield finding(
                "S302",
                span,
                f"`{sel}` does not collect ({reason})",
                f"fix the selector, or run `pytest --collect-only -q {sel}` to see why",
            )
