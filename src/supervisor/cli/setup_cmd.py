"""`supervisor setup AGENT`: write (or print) what a coding agent needs to work from the brief."""

from __future__ import annotations

import typer

from supervisor.cli._common import emit, emit_json, start_dir, warn


def setup_command(
    ctx: typer.Context,
    agent: str = typer.Argument(..., metavar="claude|codex|gemini|aider", help="The agent."),
    print_only: bool = typer.Option(
        False, "--print", help="Print the files as they would be written; change nothing."
    ),
    remove: bool = typer.Option(
        False, "--remove", help="Take out what setup added (other entries are kept)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print versioned JSON (kind: setup)."),
) -> None:
    """Set an agent up to work from the brief, in the workspace's project files.

    claude: CLAUDE.md instructions, a SessionStart hook in .claude/settings.json that prints
    the brief (also after context compaction), the MCP server in .mcp.json. codex: AGENTS.md,
    [mcp_servers.supervisor] in .codex/config.toml. gemini: GEMINI.md, mcpServers in
    .gemini/settings.json. aider: CONVENTIONS.md, read: in .aider.conf.yml (the conventions
    and the brief). Existing entries are kept; a second run changes nothing; a file that
    cannot be parsed is refused with its line and nothing is written.
    """
    import shutil
    import sys
    from pathlib import Path

    from supervisor.agents import apply, plan
    from supervisor.config import load_config

    config = load_config(start_dir(ctx))
    for w in config.warnings:
        warn(w)
    command = "supervisor"
    if shutil.which(command) is None:  # not on PATH: call the one that is running
        here = Path(sys.executable).parent / "supervisor"
        command = str(here) if here.is_file() else command
    setup = plan(config, agent, command=command, remove=remove)
    if not print_only:
        apply(config.root, setup)
    if as_json:
        emit_json("setup", {**setup.as_dict(), "written": not print_only})
        return
    out = []
    for c in setup.changes:
        if print_only:
            body = "(deleted)\n" if c.after is None else c.after
            out.append(f"==> {c.path} <==\n{body}" + ("" if body.endswith("\n") else "\n"))
            continue
        verb = "removed" if remove else "added"
        state = f"{verb} {c.what}" if c.changed else "unchanged"
        if c.changed and c.after is None:
            state += " (file deleted: nothing else was in it)"
        out.append(f"{c.path}: {state}\n")
    emit("".join(out))
