"""Issue 15, hostile input: one-line `path:line` errors (exit 1, no traceback, nothing changed
on disk) instead of exit-3 tracebacks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

Run = Callable[..., CompletedProcess[str]]
LEDGER = "docs/fix_plan.md"


def _snapshot(ws: Path) -> dict[str, bytes]:
    """Every workspace file but supervisor's own lock/cache directory."""
    files = (p for p in ws.rglob("*") if p.is_file() and ".supervisor" not in p.parts)
    return {p.relative_to(ws).as_posix(): p.read_bytes() for p in files}


@pytest.mark.parametrize(
    "cmd",
    [
        ["next"],
        ["next", "--explain"],
        ["status"],
        ["lint"],
        ["record-attempt", "DETECTOR-PARITY-001", "--result", "partial", "--summary", "s"],
    ],
)
def test_attempt_number_with_5000_digits(demo_ws: Path, run_cli: Run, cmd: list[str]) -> None:
    path = demo_ws / LEDGER
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Attempt #3 —", "Attempt #" + "9" * 5000 + " —"), "utf-8")
    before = _snapshot(demo_ws)
    r = run_cli(cmd, demo_ws, env={"SUPERVISOR_DATE": "2026-02-03"})
    assert (r.returncode, r.stdout) == (1, ""), r.stderr
    assert r.stderr == (
        f"error: {LEDGER}:40: attempt number #999999999999… has 5000 digits (at most 9)"
        " — renumber the attempt\n"
    )
    assert _snapshot(demo_ws) == before


def test_long_attempt_citation_in_prose_is_not_a_crash(demo_ws: Path, run_cli: Run) -> None:
    path = demo_ws / LEDGER
    text = path.read_text(encoding="utf-8")
    cite = "  1. Finish Phase B (B2) as Attempt #" + "7" * 5000 + " planned:"
    path.write_text(text.replace("  1. Finish Phase B (B2):", cite, 1), "utf-8")
    r = run_cli(["lint"], demo_ws)
    assert r.returncode in (0, 1) and "Traceback" not in r.stderr, r.stderr
    assert "error:" not in r.stderr
