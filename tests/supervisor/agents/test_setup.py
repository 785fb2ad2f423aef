"""`supervisor setup AGENT` against fixture directories: the files written, a second run
changes nothing, other entries are kept, `--remove` restores the original bytes, malformed
files are refused with their line and nothing is written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
HOOK = 'supervisor -C "$CLAUDE_PROJECT_DIR" next'


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    dst = tmp_path / "ws"
    shutil.copytree(FIXTURES / "ws_demo", dst)
    return dst


def setup(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    bindir = str(Path(sys.executable).parent)  # `supervisor` on PATH: files name it plainly
    env = {**os.environ, "PATH": f"{bindir}:{os.environ.get('PATH', '')}"}
    return subprocess.run(
        [sys.executable, "-m", "supervisor.cli.main", "-C", str(ws), "setup", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def dirs(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_dir())


def roundtrip(ws: Path, agent: str) -> tuple[dict[str, bytes], str]:
    """Set up, check the second run is a no-op, remove, check the tree is back; returns the
    tree after setup and the first run's stdout."""
    before, before_dirs = tree(ws), dirs(ws)
    first = setup(ws, agent)
    assert first.returncode == 0, first.stderr
    after = tree(ws)
    second = setup(ws, agent)
    assert second.returncode == 0, second.stderr
    assert tree(ws) == after
    assert all(line.endswith(": unchanged") for line in second.stdout.splitlines())
    gone = setup(ws, agent, "--remove")
    assert gone.returncode == 0, gone.stderr
    assert tree(ws) == before
    assert dirs(ws) == before_dirs
    again = setup(ws, agent, "--remove")
    assert all(line.endswith(": unchanged") for line in again.stdout.splitlines())
    assert setup(ws, agent).returncode == 0
    assert tree(ws) == after
    return after, first.stdout


def test_claude_in_an_empty_project(ws: Path) -> None:
    files, out = roundtrip(ws, "claude")
    assert out == (
        "CLAUDE.md: added instructions block\n"
        ".claude/settings.json: added SessionStart hook (startup|resume|clear|compact) "
        "printing the brief\n"
        ".mcp.json: added mcpServers.supervisor\n"
    )
    memo = files["CLAUDE.md"].decode()
    assert memo.startswith("<!-- supervisor:begin: written by `supervisor setup claude`")
    assert memo.endswith("<!-- supervisor:end -->\n")
    assert "Read the brief: `input.md`" in memo
    assert "edit, move or delete anything inside an evidence bundle (`reports/`)" in memo
    assert "mark a task or item done without evidence" in memo
    assert "supervisor record-attempt ITEM --result success|partial|failed|blocked" in memo
    assert json.loads(files[".claude/settings.json"]) == {
        "hooks": {
            "SessionStart": [
                {
                    "matcher": "startup|resume|clear|compact",
                    "hooks": [{"type": "command", "command": HOOK}],
                }
            ]
        }
    }
    assert json.loads(files[".mcp.json"]) == {
        "mcpServers": {"supervisor": {"command": "supervisor", "args": ["mcp"]}}
    }


def test_claude_keeps_existing_entries(ws: Path) -> None:
    (ws / "CLAUDE.md").write_text("# Team notes\n\nUse tabs.\n")
    (ws / ".claude").mkdir()
    settings = {
        "permissions": {"allow": ["Bash(make:*)"]},
        "hooks": {
            "SessionStart": [
                {"matcher": "startup", "hooks": [{"type": "command", "command": "x"}]}
            ],
            "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "y"}]}],
        },
    }
    (ws / ".claude" / "settings.json").write_text(json.dumps(settings, indent=2) + "\n")
    mcp = {"mcpServers": {"other": {"command": "other-server"}}}
    (ws / ".mcp.json").write_text(json.dumps(mcp, indent=2) + "\n")
    files, _ = roundtrip(ws, "claude")
    memo = files["CLAUDE.md"].decode()
    assert memo.startswith("# Team notes\n\nUse tabs.\n\n<!-- supervisor:begin")
    doc = json.loads(files[".claude/settings.json"])
    assert doc["permissions"] == settings["permissions"]
    assert doc["hooks"]["PreToolUse"] == settings["hooks"]["PreToolUse"]
    assert doc["hooks"]["SessionStart"] == [
        settings["hooks"]["SessionStart"][0],
        {
            "matcher": "startup|resume|clear|compact",
            "hooks": [{"type": "command", "command": HOOK}],
        },
    ]
    assert json.loads(files[".mcp.json"])["mcpServers"] == {
        "other": {"command": "other-server"},
        "supervisor": {"command": "supervisor", "args": ["mcp"]},
    }


def test_an_existing_supervisor_server_entry_is_kept(ws: Path) -> None:
    mine = {"mcpServers": {"supervisor": {"command": "/opt/sv/bin/supervisor", "args": ["mcp"]}}}
    text = json.dumps(mine, indent=2) + "\n"
    (ws / ".gemini").mkdir()
    (ws / ".gemini" / "settings.json").write_text(text)
    r = setup(ws, "gemini")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "GEMINI.md: added instructions block\n.gemini/settings.json: unchanged\n"
    assert (ws / ".gemini" / "settings.json").read_text() == text
    assert setup(ws, "gemini", "--remove").returncode == 0
    assert (ws / ".gemini" / "settings.json").read_text() == text  # not ours to remove


def test_codex_merges_into_an_existing_config_toml(ws: Path) -> None:
    (ws / ".codex").mkdir()
    original = 'model = "gpt-5"\n\n[mcp_servers.docs]\ncommand = "docs-mcp"\nargs = []\n'
    (ws / ".codex" / "config.toml").write_text(original)
    (ws / "AGENTS.md").write_text("Agents: be nice.\n")
    files, out = roundtrip(ws, "codex")
    assert (
        out
        == "AGENTS.md: added instructions block\n.codex/config.toml: added [mcp_servers.supervisor]\n"
    )
    config = files[".codex/config.toml"].decode()
    assert config == original + (
        "\n# supervisor:begin: written by `supervisor setup codex`\n"
        "[mcp_servers.supervisor]\n"
        'command = "supervisor"\n'
        'args = ["mcp"]\n'
        "# supervisor:end\n"
    )
    assert tomllib.loads(config)["mcp_servers"] == {
        "docs": {"command": "docs-mcp", "args": []},
        "supervisor": {"command": "supervisor", "args": ["mcp"]},
    }
    assert files["AGENTS.md"].decode().startswith("Agents: be nice.\n\n<!-- supervisor:begin")


def test_a_memory_file_without_final_newline_gets_one(ws: Path) -> None:
    (ws / "GEMINI.md").write_text("Be brief.")
    assert setup(ws, "gemini").returncode == 0
    assert (ws / "GEMINI.md").read_text().startswith("Be brief.\n\n<!-- supervisor:begin")
    assert setup(ws, "gemini", "--remove").returncode == 0
    assert (ws / "GEMINI.md").read_text() == "Be brief.\n"


def test_codex_in_an_empty_project(ws: Path) -> None:
    files, _ = roundtrip(ws, "codex")
    assert tomllib.loads(files[".codex/config.toml"].decode()) == {
        "mcp_servers": {"supervisor": {"command": "supervisor", "args": ["mcp"]}}
    }


def test_gemini(ws: Path) -> None:
    files, out = roundtrip(ws, "gemini")
    assert (
        out
        == "GEMINI.md: added instructions block\n.gemini/settings.json: added mcpServers.supervisor\n"
    )
    assert json.loads(files[".gemini/settings.json"]) == {
        "mcpServers": {"supervisor": {"command": "supervisor", "args": ["mcp"]}}
    }
    assert "`supervisor setup gemini --remove`" in files["GEMINI.md"].decode()


def test_aider_adds_a_read_list(ws: Path) -> None:
    files, out = roundtrip(ws, "aider")
    assert (
        out
        == "CONVENTIONS.md: added instructions block\n.aider.conf.yml: added read: CONVENTIONS.md, input.md\n"
    )
    conf = files[".aider.conf.yml"].decode()
    assert yaml.safe_load(conf) == {"read": ["CONVENTIONS.md", "input.md"]}


def test_aider_extends_an_existing_block_list(ws: Path) -> None:
    original = "model: sonnet\nread:\n  - NOTES.md\n  - input.md\n# keep me\nauto-commits: false\n"
    (ws / ".aider.conf.yml").write_text(original)
    files, _ = roundtrip(ws, "aider")
    conf = files[".aider.conf.yml"].decode()
    assert conf == (
        "model: sonnet\nread:\n  - NOTES.md\n  - input.md\n"
        "  - CONVENTIONS.md  # added by supervisor setup\n"
        "# keep me\nauto-commits: false\n"
    )
    assert yaml.safe_load(conf)["read"] == ["NOTES.md", "input.md", "CONVENTIONS.md"]


def test_print_writes_nothing(ws: Path) -> None:
    before = tree(ws)
    r = setup(ws, "gemini", "--print")
    assert r.returncode == 0, r.stderr
    assert tree(ws) == before
    assert r.stdout.startswith("==> GEMINI.md <==\n<!-- supervisor:begin")
    assert '==> .gemini/settings.json <==\n{\n  "mcpServers": {\n    "supervisor": {\n' in r.stdout


def test_json_document(ws: Path) -> None:
    r = setup(ws, "codex", "--json")
    doc = json.loads(r.stdout)
    assert (doc["schema_version"], doc["kind"], doc["agent"], doc["action"]) == (
        1, "setup", "codex", "add",
    )  # fmt: skip
    assert [(f["path"], f["changed"]) for f in doc["files"]] == [
        ("AGENTS.md", True),
        (".codex/config.toml", True),
    ]
    assert doc["files"][1]["content"] == (ws / ".codex" / "config.toml").read_text()


@pytest.mark.parametrize(
    ("agent", "rel", "text", "message"),
    [
        ("claude", ".claude/settings.json", '{\n  "hooks": {\n    "SessionStart": [,]\n  }\n}\n',
         ".claude/settings.json:3: not valid JSON (Expecting value)"),
        ("claude", ".mcp.json", '{"mcpServers": ["x"]}\n',
         '.mcp.json:1: "mcpServers" is not a JSON object'),
        ("gemini", ".gemini/settings.json", "[1]\n",
         ".gemini/settings.json:1: the top level is not a JSON object"),
        ("codex", ".codex/config.toml", 'model = "x"\n[mcp_servers\n',
         ".codex/config.toml:2: not valid TOML"),
        ("codex", ".codex/config.toml", 'mcp_servers = { docs = { command = "d" } }\n',
         ".codex/config.toml:1: cannot add [mcp_servers.supervisor] to this file"),
        ("aider", ".aider.conf.yml", "read: [NOTES.md]\n",
         ".aider.conf.yml:1: read: is not a block list — write it as `read:` followed by"),
        ("aider", ".aider.conf.yml", "model: x\nread: [a\n",
         ".aider.conf.yml:3: not valid YAML"),
    ],
)  # fmt: skip
def test_malformed_config_is_refused_and_nothing_written(
    ws: Path, agent: str, rel: str, text: str, message: str
) -> None:
    (ws / rel).parent.mkdir(parents=True, exist_ok=True)
    (ws / rel).write_text(text)
    before = tree(ws)
    r = setup(ws, agent)
    assert r.returncode == 1
    assert r.stderr.startswith(f"error: {message}"), r.stderr
    assert "Traceback" not in r.stderr
    assert tree(ws) == before
    r = setup(ws, agent, "--remove")  # nothing of ours in there: refused or unchanged
    assert r.returncode == (1 if ("not valid" in message or "top level" in message) else 0)
    assert tree(ws) == before


def test_unknown_agent_lists_the_known_ones(ws: Path) -> None:
    r = setup(ws, "cursor")
    assert r.returncode == 1
    assert r.stderr == "error: unknown agent 'cursor' — use one of: aider, claude, codex, gemini\n"
    assert r.stdout == ""


def test_broken_marker_block_is_refused(ws: Path) -> None:
    (ws / "CLAUDE.md").write_text("notes\n<!-- supervisor:begin -->\nhalf a block\n")
    r = setup(ws, "claude")
    assert r.returncode == 1
    assert r.stderr.startswith("error: CLAUDE.md:2: broken supervisor block")
