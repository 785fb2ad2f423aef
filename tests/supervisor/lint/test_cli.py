"""`supervisor lint` as a command: output format, exit codes, --json, PATHS, help, imports,
the repository linting itself clean, and the pre-commit hook manifest."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import yaml

from supervisor.lint import CODES

Run = Callable[..., CompletedProcess[str]]
Edit = tuple[str, str, str]
Mutate = Callable[[Path, list[Edit]], None]
ROW_B = "| [BETA-002](#beta-002-reference-build) | Reference build | High | done |"


def test_repository_lints_itself_clean(repo_root: Path, run_cli: Run) -> None:
    r = run_cli(["lint"], repo_root)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1].startswith("0 errors, ")


def test_clean_exit_zero(clean_ws: Path, run_cli: Run) -> None:
    r = run_cli(["lint"], clean_ws)
    assert (r.returncode, r.stdout, r.stderr) == (0, "0 errors, 0 warnings in 4 files\n", "")


def test_errors_exit_one_warnings_exit_zero(clean_ws: Path, mutate: Mutate, run_cli: Run) -> None:
    mutate(clean_ws, [("docs/fix_plan.md", ROW_B, ROW_B + " ")])
    r = run_cli(["lint"], clean_ws)
    assert r.returncode == 0
    assert r.stdout == (
        "docs/fix_plan.md:11: L118 table row ends in whitespace — strip it (supervisor lint "
        "--fix-safe)\n0 errors, 1 warning in 4 files\n"
    )
    mutate(clean_ws, [("docs/fix_plan.md", "- Status: done", "- Status: shipped")])
    r = run_cli(["lint"], clean_ws)
    assert r.returncode == 1
    assert r.stdout.splitlines()[-1] == "2 errors, 1 warning in 4 files"
    # severities are configurable: turn the errors into warnings, or off
    mutate(clean_ws, [("supervisor.yaml", "", "  severity:\n    L103: warning\n    L104: off\n")])
    r = run_cli(["lint"], clean_ws)
    assert (r.returncode, r.stdout.splitlines()[-1]) == (0, "0 errors, 2 warnings in 4 files")


def test_json_schema(clean_ws: Path, mutate: Mutate, run_cli: Run) -> None:
    mutate(clean_ws, [("docs/fix_plan.md", "- Status: done", "- Status: shipped")])
    r = run_cli(["lint", "--json"], clean_ws)
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert (doc["schema_version"], doc["kind"]) == (1, "lint")
    assert doc["summary"] == {
        "errors": 2,
        "warnings": 0,
        "files": 4,
        "text": "2 errors, 0 warnings in 4 files",
    }
    assert doc["files"][0] == "docs/fix_plan.md" and doc["fixed"] == []
    first = doc["findings"][0]
    assert first == {
        "code": "L103",
        "name": "index-status-mismatch",
        "severity": "error",
        "path": "docs/fix_plan.md",
        "line": 11,
        "end_line": 11,
        "message": "Index says [BETA-002] is 'done' but its section (line 29) says 'shipped'",
        "fix": "set the Index Status to shipped (supervisor lint --fix-safe)",
        "fixable": True,
    }


def test_fix_safe_prints_diff(clean_ws: Path, mutate: Mutate, run_cli: Run) -> None:
    mutate(clean_ws, [("docs/fix_plan.md", ROW_B, ROW_B + "  ")])
    r = run_cli(["lint", "--fix-safe"], clean_ws)
    assert r.returncode == 0
    assert r.stdout.startswith("--- a/docs/fix_plan.md\n+++ b/docs/fix_plan.md\n@@ -8,7 +8,7 @@\n")
    assert f"\n-{ROW_B}  \n+{ROW_B}\n" in r.stdout
    assert r.stdout.endswith("0 errors, 0 warnings in 4 files, 1 line fixed\n")


def test_paths_restrict_and_refuse(clean_ws: Path, run_cli: Run, tmp_path: Path) -> None:
    r = run_cli(["lint", "input.md", "contracts"], clean_ws)
    assert (r.returncode, r.stdout) == (0, "0 errors, 0 warnings in 2 files\n")
    r = run_cli(["lint", "--json", "plans"], clean_ws)
    assert json.loads(r.stdout)["files"] == ["plans/active/alpha/plan.md"]
    r = run_cli(["lint", "nope.md"], clean_ws)
    assert r.returncode == 1
    assert r.stderr == "error: nope.md: no such file or directory — check PATHS\n"
    outside = tmp_path / "elsewhere.md"
    outside.write_text("x\n", encoding="utf-8")
    r = run_cli(["lint", str(outside)], clean_ws)
    assert r.returncode == 1 and "outside the workspace" in r.stderr


def test_list_codes_and_help(clean_ws: Path, run_cli: Run) -> None:
    r = run_cli(["lint", "--list-codes"], clean_ws)
    lines = r.stdout.splitlines()
    assert [ln.split()[0] for ln in lines] == list(CODES)
    assert lines[0].split()[:3] == ["L101", "duplicate-item", "error"]
    help_text = run_cli(["lint", "--help"], clean_ws).stdout
    for code in CODES.values():
        assert f"{code.code}  {code.name}" in help_text


def test_docstring_table_matches_codes() -> None:
    import supervisor.lint as lint_pkg

    doc = lint_pkg.__doc__ or ""
    rows = [ln.split() for ln in doc.splitlines() if ln[:1] in "LPSC" and ln[1:4].isdigit()]
    rows = [r for r in rows if len(r) > 2 and r[2] in ("error", "warning", "off")]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (c.code, c.name, c.severity) for c in CODES.values()
    ]


def test_lint_does_not_import_heavy_libraries(clean_ws: Path, run_cli: Run) -> None:
    import subprocess

    code = (
        "import sys\nfrom supervisor.cli.main import main\nrc = main(['lint'])\n"
        "heavy = sorted(m for m in ('torch', 'jinja2', 'git', 'numpy') if m in sys.modules)\n"
        "print(rc, heavy)\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=clean_ws, capture_output=True, text=True, timeout=60
    )
    assert r.stdout.splitlines()[-1] == "0 []", r.stderr


def test_precommit_hook_manifest(repo_root: Path) -> None:
    hooks = yaml.safe_load((repo_root / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert isinstance(hooks, list) and [h["id"] for h in hooks] == [
        "supervisor-lint",
        "supervisor-lint-system",
    ]
    known = {
        "id", "name", "entry", "language", "alias", "files", "exclude", "types", "types_or",
        "exclude_types", "additional_dependencies", "args", "always_run", "fail_fast",
        "pass_filenames", "description", "language_version", "log_file",
        "minimum_pre_commit_version", "require_serial", "stages", "verbose",
    }  # fmt: skip
    for hook in hooks:
        assert {"id", "name", "entry", "language"} <= set(hook) <= known
        assert hook["entry"] == "supervisor lint"
        assert hook["pass_filenames"] is False
    assert [h["language"] for h in hooks] == ["python", "system"]


def test_rendered_brief_lints_clean(clean_ws: Path, demo_ws: Path, run_cli: Run) -> None:
    """Rule 2 end to end: the pointers `supervisor next` computes pass `supervisor lint`."""
    for ws in (clean_ws, demo_ws):
        assert run_cli(["next", "--write"], ws).returncode == 0
        r = run_cli(["lint", "input.md"], ws)
        assert (r.returncode, r.stdout) == (0, "0 errors, 0 warnings in 1 file\n")
