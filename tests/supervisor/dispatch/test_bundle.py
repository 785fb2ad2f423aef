"""Bundle layout pieces: unique STAMP directories, SHA256SUMS that `sha256sum -c` accepts,
checksum verification, and the summary.md template (goldens, strict rendering).

Regenerate the goldens after an intended template change with ``SUPERVISOR_UPDATE_GOLDEN=1``.
"""

from __future__ import annotations

import copy
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from supervisor.dispatch.bundle import (
    check_sums,
    commands_text,
    create_dir,
    phase_slug,
    render_summary,
    stamp_of,
    write_sums,
)
from supervisor.errors import TemplateError, UsageError

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "golden"


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("SUPERVISOR_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_stamp_and_phase_slug() -> None:
    assert stamp_of(datetime(2025, 10, 8, 7, 59, 49, tzinfo=UTC)) == "20251008T075949Z"
    assert [phase_slug(p) for p in ("A", "Phase M4", "phase_b", None)] == [
        "phase_a", "phase_m4", "phase_b", "phase_none",
    ]  # fmt: skip
    with pytest.raises(UsageError):
        phase_slug("a/b")


def test_two_bundles_in_the_same_second_get_distinct_directories(tmp_path: Path) -> None:
    first = create_dir(tmp_path / "reports" / "X" / "phase_a", "20251008T075949Z")
    second = create_dir(tmp_path / "reports" / "X" / "phase_a", "20251008T075949Z")
    third = create_dir(tmp_path / "reports" / "X" / "phase_a", "20251008T075949Z")
    assert [s for _, s in (first, second, third)] == [
        "20251008T075949Z", "20251008T075949Z-2", "20251008T075949Z-3",
    ]  # fmt: skip
    assert all(p.is_dir() for p, _ in (first, second, third))


def test_sums_cover_every_file_and_detect_changes(tmp_path: Path, sums_ok: Any) -> None:
    b = tmp_path / "b"
    (b / "diff").mkdir(parents=True)
    (b / "a.log").write_text("alpha\n")
    (b / "diff" / "metrics.json").write_text("{}\n")
    (b / "odd\\name.txt").write_text("backslash\n")
    (b / "new\nline.txt").write_text("newline\n")
    (b / "link").symlink_to(b / "a.log")
    assert write_sums(b) == 4
    text = (b / "SHA256SUMS").read_text()
    assert [line.split("  ", 1)[1] for line in text.splitlines()] == [
        "a.log", "diff/metrics.json", "new\\nline.txt", "odd\\\\name.txt",
    ]  # fmt: skip
    assert text.splitlines()[2].startswith("\\")
    sums_ok(b)
    assert check_sums(b) == []
    (b / "diff" / "metrics.json").write_text('{"edited": true}\n')
    (b / "new\nline.txt").unlink()
    assert check_sums(b) == ["diff/metrics.json", "new\nline.txt"]


def test_commands_text_quotes_argv() -> None:
    cmds = [
        {"name": "t", "argv": ["/bin/echo", "a b", "$(x)"], "env": {"K": "v w"}, "timeout_s": 5.0},
        {"name": "u", "argv": ["/bin/true"], "env": {}, "timeout_s": None},
    ]
    assert commands_text("reports/X/phase_a/S", "S", Path("/ws"), cmds) == (
        "# supervisor dispatch: reports/X/phase_a/S\n"
        "# STAMP: S\n"
        "# cwd: /ws\n"
        "# Each command ran as an argv list (no shell); lines below are shell-quoted argv.\n"
        "\n"
        "## 1. t (timeout 5 s)\n"
        "# env: K='v w'\n"
        "/bin/echo 'a b' '$(x)'\n"
        "\n"
        "## 2. u (no timeout)\n"
        "/bin/true\n"
    )


BUNDLE: dict[str, Any] = {
    "schema_version": 1,
    "kind": "bundle",
    "status": "ok",
    "item": "PHI-PARITY-001",
    "phase": "A",
    "task": "A1",
    "stamp": "20251008T075949Z",
    "path": "reports/PHI-PARITY-001/phase_a/20251008T075949Z",
    "cwd": "/ws",
    "started_at": "2025-10-08T07:59:49Z",
    "finished_at": "2025-10-08T07:59:53Z",
    "duration_s": 3.816,
    "git": {"sha": "0123456789abcdef0123456789abcdef01234567", "branch": "main", "dirty": True},
    "commands": [
        {
            "name": "trace-spec",
            "argv": ["/v/bin/sim", "trace"],
            "params": {"s": "128", "f": "100"},
            "env": {"OMP_NUM_THREADS": "2"},
            "timeout_s": 300.0,
            "status": "ok",
            "exit_code": 0,
            "duration_s": 2.087,
            "stdout": "trace-spec.stdout.log",
            "stderr": "trace-spec.stderr.log",
            "outputs": [{"path": "trace_spec.log", "exists": True}],
            "error": None,
        },
        {
            "name": "trace-diff",
            "argv": ["/v/bin/supervisor", "trace", "diff"],
            "params": {},
            "env": {},
            "timeout_s": 120.0,
            "status": "ok",
            "exit_code": 0,
            "duration_s": 1.5,
            "stdout": "trace-diff.stdout.log",
            "stderr": "trace-diff.stderr.log",
            "outputs": [],
            "error": None,
        },
    ],
}
ENV: dict[str, Any] = {
    "python": {"version": "3.11.7"},
    "platform": {"system": "Linux", "machine": "x86_64"},
    "torch": {"version": "2.13.0+cpu", "device": {"default_device": "cpu"}},
}


def test_summary_golden() -> None:
    _check_golden("summary.md", render_summary({"bundle": BUNDLE, "env": ENV}, None))


def test_summary_golden_interrupted() -> None:
    doc = copy.deepcopy(BUNDLE)
    doc.update(status="interrupted", git=None, task=None)
    first, second = doc["commands"]
    first.update(status="interrupted", exit_code=-15, params={"name": "{{ 7*7 }}"})
    first["outputs"] = [{"path": "trace_spec.log", "exists": False}]
    second.update(status="skipped", exit_code=None, duration_s=None, error="cannot start x")
    env = {**ENV, "torch": None}
    text = render_summary({"bundle": doc, "env": env}, None)
    assert "`name={{ 7*7 }}`" in text
    _check_golden("summary_interrupted.md", text)


def test_workspace_template_overrides_and_is_strict(tmp_path: Path) -> None:
    (tmp_path / "summary.md.j2").write_text("Bundle {{ bundle.stamp }}: {{ bundle.nope }}\n")
    with pytest.raises(TemplateError) as err:
        render_summary({"bundle": BUNDLE, "env": ENV}, tmp_path)
    assert str(err.value).startswith(
        f"{tmp_path.name}/summary.md.j2:1: template uses an undefined variable: "
    )
    (tmp_path / "summary.md.j2").write_text("Bundle {{ bundle.stamp }}\n")
    assert render_summary({"bundle": BUNDLE, "env": ENV}, tmp_path) == "Bundle 20251008T075949Z\n"
