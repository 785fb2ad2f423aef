"""With --json, errors are a versioned JSON object on stdout (exit codes unchanged);
--version on both commands; shell completion of commands, item IDs and registry names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

Run = Callable[..., CompletedProcess[str]]


def test_user_error_as_json(demo_ws: Path, run_cli: Run) -> None:
    r = run_cli(["next", "--json", "--focus", "NOPE-999"], demo_ws)
    assert (r.returncode, r.stderr) == (1, "")
    doc = json.loads(r.stdout)
    assert (doc["schema_version"], doc["kind"], doc["exit_code"]) == (1, "error", 1)
    assert set(doc) >= {"path", "line", "problem", "fix"}
    assert "NOPE-999" in doc["problem"]


def test_config_error_as_json_names_path_and_line(demo_ws: Path, run_cli: Run) -> None:
    (demo_ws / "supervisor.yaml").write_text("version: 2\n")
    r = run_cli(["status", "--json"], demo_ws)
    assert (r.returncode, r.stderr) == (1, "")
    doc = json.loads(r.stdout)
    assert {k: doc[k] for k in ("kind", "path", "line", "problem", "fix", "error")} == {
        "kind": "error",
        "path": "supervisor.yaml",
        "line": 1,
        "problem": "'version' unsupported version",
        "fix": "use version: 1",
        "error": "ConfigError",
    }


def test_missing_ledger_as_json(tmp_path: Path, run_cli: Run) -> None:
    (tmp_path / "supervisor.yaml").write_text("version: 1\n")
    r = run_cli(["lint", "--json"], tmp_path)
    doc = json.loads(r.stdout)
    assert r.returncode == 1
    assert (doc["path"], doc["line"], doc["see"]) == (
        "docs/fix_plan.md", None, "docs/formats.md#ledger",
    )  # fmt: skip


def test_usage_error_as_json(demo_ws: Path, run_cli: Run) -> None:
    r = run_cli(["status", "--json", "--bogus"], demo_ws)
    assert (r.returncode, r.stderr) == (1, "")
    doc = json.loads(r.stdout)
    assert (doc["kind"], doc["error"], doc["problem"]) == (
        "error",
        "UsageError",
        "No such option: --bogus",
    )


def test_without_json_errors_stay_on_stderr(demo_ws: Path, run_cli: Run) -> None:
    r = run_cli(["next", "--focus", "NOPE-999"], demo_ws)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr.startswith("error: ")


def test_json_after_double_dash_is_an_argument(demo_ws: Path, run_cli: Run) -> None:
    r = run_cli(
        ["record-attempt", "NOPE-999", "--result", "success", "--summary", "--", "--json"], demo_ws
    )
    assert r.returncode == 1
    assert r.stdout == ""


def test_version(run_cli: Run, tmp_path: Path) -> None:
    from importlib.metadata import version

    want = version("loop-supervisor")
    r = run_cli(["--version"], tmp_path)
    assert (r.returncode, r.stdout) == (0, f"supervisor {want} (loop-supervisor)\n")
    sim = subprocess.run(
        [sys.executable, "-m", "sim.cli", "--version"], capture_output=True, text=True, timeout=60
    )
    assert (sim.returncode, sim.stdout) == (0, f"sim {want} (loop-supervisor)\n")


def _complete(cwd: Path, words: str, cword: int) -> list[str]:
    env = {**os.environ, "_SUPERVISOR_COMPLETE": "complete_bash", "COMP_WORDS": words,
           "COMP_CWORD": str(cword)}  # fmt: skip
    r = subprocess.run(
        [sys.executable, "-c", "import sys; from supervisor.cli.main import main; sys.exit(main())"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    return r.stdout.split()


def test_completion_script_is_generated(tmp_path: Path, run_cli: Run) -> None:
    r = run_cli(["--show-completion", "bash"], tmp_path)
    assert r.returncode == 0
    assert "_SUPERVISOR_COMPLETE=complete_bash" in r.stdout
    assert "complete -o default -F _supervisor_completion supervisor" in r.stdout


def test_completion_of_commands_items_and_registry(demo_ws: Path) -> None:
    assert _complete(demo_ws, "supervisor rec", 1) == ["record-attempt"]
    assert _complete(demo_ws, "supervisor record-attempt ", 2) == [
        "CLI-DEFAULTS-001", "DETECTOR-PARITY-001", "NOISE-FLAGS-002", "DOCS-SYNC-003",
    ]  # fmt: skip
    assert _complete(demo_ws, "supervisor record-attempt D", 2) == [
        "DETECTOR-PARITY-001", "DOCS-SYNC-003",
    ]  # fmt: skip
    assert _complete(demo_ws, "supervisor dispatch ", 2) == ["pix0-trace", "unit-tests"]
    assert _complete(demo_ws / "docs", "supervisor dispatch u", 2) == ["unit-tests"]
    assert _complete(demo_ws, "supervisor dispatch --item N", 3) == ["NOISE-FLAGS-002"]


def test_completion_outside_a_workspace_is_empty(tmp_path: Path) -> None:
    assert _complete(tmp_path, "supervisor record-attempt ", 2) == []


def test_completion_imports_nothing_heavy(demo_ws: Path) -> None:
    code = (
        "import os, sys\n"
        "os.environ.update(_SUPERVISOR_COMPLETE='complete_bash', COMP_WORDS='supervisor record-attempt ', COMP_CWORD='2')\n"
        "from supervisor.cli.main import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('torch', 'numpy', 'git', 'markdown_it', 'matplotlib') if m in sys.modules)\n"
        "sys.stderr.write(repr(heavy))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=demo_ws, capture_output=True, text=True, timeout=60
    )
    assert r.stderr.strip() == "[]"
    assert "DETECTOR-PARITY-001" in r.stdout
