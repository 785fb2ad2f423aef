"""Loop presets: `supervisor loop --agent claude|codex|gemini|aider` (and loop.agents) run
stand-in executables of those names found on PATH, which record the argv and stdin they got;
the brief must arrive the way each agent reads a prompt, and their output lands in the log."""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

STAND_IN = """\
#!{python}
import json, os, sys
from pathlib import Path
name = Path(sys.argv[0]).name
record = {{
    "argv": sys.argv[1:],
    "stdin": "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read(),
    "cwd": os.getcwd(),
    "brief": os.environ.get("SUPERVISOR_BRIEF", ""),
}}
Path(os.environ["STAND_IN_RECORDS"], name + ".json").write_text(json.dumps(record))
print(f"{{name}} stand-in: read {{len(record['stdin'])}} characters on stdin")
"""


@pytest.fixture
def stand_ins(tmp_path: Path) -> Callable[..., dict[str, str]]:
    """Executables named after the agents in a bin/ folder; returns the env that puts them on
    PATH (and where they record). The records live outside the workspace."""
    bindir, records = tmp_path / "bin", tmp_path / "records"
    bindir.mkdir()
    records.mkdir()

    def make(*names: str) -> dict[str, str]:
        for name in names:
            exe = bindir / name
            exe.write_text(STAND_IN.format(python=sys.executable))
            exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
        path = f"{bindir}:{os.environ.get('PATH', '')}"
        return {"PATH": path, "STAND_IN_RECORDS": str(records)}

    return make


def _record(env: dict[str, str], name: str) -> dict[str, Any]:
    doc = json.loads((Path(env["STAND_IN_RECORDS"]) / f"{name}.json").read_text())
    assert isinstance(doc, dict)
    return doc


def _log(ws: Path) -> str:
    logs = sorted((ws / "logs").rglob("*.log"))
    return "".join(p.read_text() for p in logs)


@pytest.mark.parametrize(
    ("agent", "argv", "on_stdin"),
    [
        ("claude", ["-p", "--permission-mode", "acceptEdits"], True),
        ("codex", ["exec", "--sandbox", "workspace-write", "-"], True),
        ("gemini", ["--approval-mode", "auto_edit", "-p", "Carry out the brief above."], True),
        ("aider", ["--yes-always", "--message-file", "input.md"], False),
    ],
)
def test_builtin_preset_passes_the_brief_its_way(
    loop_ws: Path,
    loop_cli: Any,
    stand_ins: Callable[..., dict[str, str]],
    agent: str,
    argv: list[str],
    on_stdin: bool,
) -> None:
    env = stand_ins(agent)
    r = loop_cli(loop_ws, "--agent", agent, "--iterations", "1", env=env)
    assert r.returncode == 0, r.stderr
    got = _record(env, agent)
    brief = (loop_ws / "input.md").read_text()
    assert "Focus: [ALPHA-001]" in brief
    assert got["argv"] == argv
    assert got["stdin"] == (brief if on_stdin else "")
    assert Path(got["cwd"]) == loop_ws
    assert got["brief"] == str(loop_ws / "input.md")
    said = f"{agent} stand-in: read {len(brief) if on_stdin else 0} characters on stdin"
    assert said in _log(loop_ws)


def test_loop_agents_defines_a_preset_with_the_prompt_as_argument(
    loop_ws: Path, loop_cli: Any, stand_ins: Callable[..., dict[str, str]], configure: Any
) -> None:
    env = stand_ins("mycoder")
    configure(
        loop_ws,
        "loop:\n",
        'loop:\n  agents:\n    mine:\n      argv: [mycoder, --task, "{prompt}", "--file={brief}"]\n',
    )
    r = loop_cli(loop_ws, "--agent", "mine", "--iterations", "1", env=env)
    assert r.returncode == 0, r.stderr
    got = _record(env, "mycoder")
    brief = (loop_ws / "input.md").read_text()
    assert got["argv"] == ["--task", brief, "--file=input.md"]
    assert got["stdin"] == ""


def test_loop_agents_overrides_a_builtin_and_loop_agent_may_name_it(
    loop_ws: Path, loop_cli: Any, stand_ins: Callable[..., dict[str, str]], configure: Any
) -> None:
    env = stand_ins("claude")
    configure(
        loop_ws,
        "loop:\n",
        "loop:\n  agent: [claude]\n  agents:\n    claude:\n"
        "      argv: [claude, -p, --model, opus]\n      stdin: true\n",
    )
    r = loop_cli(loop_ws, "--iterations", "1", env=env)
    assert r.returncode == 0, r.stderr
    got = _record(env, "claude")
    assert got["argv"] == ["-p", "--model", "opus"]
    assert got["stdin"] == (loop_ws / "input.md").read_text()


def test_a_command_line_still_runs_as_given(
    loop_ws: Path, loop_cli: Any, stand_ins: Callable[..., dict[str, str]]
) -> None:
    env = stand_ins("claude")
    r = loop_cli(loop_ws, "--agent", "claude --print hello", "--iterations", "1", env=env)
    assert r.returncode == 0, r.stderr
    got = _record(env, "claude")
    assert (got["argv"], got["stdin"]) == (["--print", "hello"], "")


def test_unknown_agent_lists_the_presets(loop_ws: Path, loop_cli: Any) -> None:
    r = loop_cli(loop_ws, "--agent", "cursor-agent-xyz", "--iterations", "1")
    assert r.returncode == 1
    assert r.stderr == (
        "error: unknown agent 'cursor-agent-xyz' — use one of: aider, claude, codex, gemini "
        '(presets; more under loop.agents in supervisor.yaml), or pass a command: --agent "CMD ARGS"\n'
    )
    assert not (loop_ws / "sync").exists()


def test_preset_whose_agent_is_not_installed(loop_ws: Path, loop_cli: Any, tmp_path: Path) -> None:
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
    r = loop_cli(loop_ws, "--agent", "codex", "--iterations", "1", env=env)
    assert r.returncode == 1
    assert r.stderr == (
        "error: agent command not found: codex (preset 'codex') — install it, put it on PATH, "
        "or define loop.agents.codex in supervisor.yaml\n"
    )


def test_bad_preset_config_is_a_config_error(loop_ws: Path, loop_cli: Any, configure: Any) -> None:
    configure(loop_ws, "loop:\n", "loop:\n  agents:\n    mine:\n      args: [x]\n")
    r = loop_cli(loop_ws, "--agent", "mine")
    assert r.returncode == 1
    assert r.stderr.startswith(
        "error: supervisor.yaml:22: unknown key 'args' in agent 'mine' — use one of: argv, stdin"
    ), r.stderr
