"""S302: test selectors collect (``--collect-tests`` only, because collecting imports and so
runs the workspace's test code). Each selector runs as its own
``python -m pytest --collect-only -q`` subprocess, argv only (never a shell), with the
workspace's python (``.venv/bin/python`` when present, else the running interpreter).
Selectors that look like options are refused, never passed on.
"""

from __future__ import annotations

import os
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
    """None when the selector collects, else why not. Runs through ``dispatch.runner`` (the
    only subprocess caller): argv only, own process group, killed on timeout."""
    import tempfile

    from supervisor.dispatch.runner import run

    with tempfile.TemporaryDirectory(prefix="supervisor-collect-") as tmp:
        log = Path(tmp) / "collect.log"
        result = run(argv, cwd=root, env=env, stdout=log, stderr=log, timeout=TIMEOUT_S,
                     append=True)  # fmt: skip
        out = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    if result.error is not None:
        return f"cannot run {argv[0]}: {result.error}"
    if result.timed_out:
        return f"collection timed out after {TIMEOUT_S:.0f} s"
    code = result.exit_code if result.exit_code is not None else -1
    if code == 0:
        return None
    return f"pytest exit {code}: {_reason(out, code)}"


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
