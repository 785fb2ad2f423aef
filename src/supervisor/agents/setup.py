"""`supervisor setup AGENT`: what each coding agent needs to work from the brief.

Per agent, project-level files only (the formats are those of each agent's documentation):

- claude: ``CLAUDE.md`` (instructions), ``.claude/settings.json`` (a ``SessionStart`` hook
  printing the brief, matcher ``startup|resume|clear|compact`` so it re-runs after context
  compaction), ``.mcp.json`` (``mcpServers.supervisor``);
- codex: ``AGENTS.md``, ``.codex/config.toml`` (``[mcp_servers.supervisor]``; Codex reads the
  project file in trusted projects);
- gemini: ``GEMINI.md``, ``.gemini/settings.json`` (``mcpServers.supervisor``);
- aider: ``CONVENTIONS.md``, ``.aider.conf.yml`` (``read:`` the conventions and the brief, so
  every aider start reads the current brief).

:func:`plan` computes every change first (a malformed file is refused with its line and
nothing is written); :func:`apply` writes them. Running it twice changes nothing; ``remove``
takes out exactly what was added.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supervisor.agents import merge
from supervisor.config import Config
from supervisor.errors import NotFoundError, WorkspaceError, choices_hint

AGENTS = ("aider", "claude", "codex", "gemini")
SERVER = "supervisor"
COMPACT_MATCHER = "startup|resume|clear|compact"


@dataclass(frozen=True)
class FileChange:
    path: str  # workspace-relative
    before: str | None  # None: the file does not exist
    after: str | None  # None: the file is (to be) deleted
    what: str  # what supervisor adds there

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "what": self.what,
            "changed": self.changed,
            "exists_after": self.after is not None,
            "content": self.after,
        }


@dataclass(frozen=True)
class SetupPlan:
    agent: str
    remove: bool
    command: str  # how the agent's files call supervisor
    changes: tuple[FileChange, ...]

    @property
    def changed(self) -> tuple[FileChange, ...]:
        return tuple(c for c in self.changes if c.changed)

    def as_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "action": "remove" if self.remove else "add",
            "command": self.command,
            "files": [c.as_dict() for c in self.changes],
        }


def instructions(config: Config, agent: str) -> str:
    """The marked instruction block for the agent's memory file."""
    p = config.paths
    return (
        f"<!-- {merge.BEGIN}: written by `supervisor setup {agent}`; "
        f"`supervisor setup {agent} --remove` takes it out -->\n"
        "## Working from the supervisor brief\n"
        "\n"
        f"This repository is planned by `supervisor` ({config.rel_path}). Every session:\n"
        "\n"
        f"1. Read the brief: `{p.brief}` (or `supervisor next`; MCP tool `next`). Work only on "
        "its focus item and task.\n"
        "2. Produce evidence with registry commands only: `supervisor dispatch NAME "
        "[KEY=VALUE]…` or `supervisor dispatch --focus` (MCP `dispatch`); each run writes a "
        f"bundle under `{p.reports}/`.\n"
        "3. Record the outcome: `supervisor record-attempt ITEM --result "
        'success|partial|failed|blocked --summary "…" [--bundle DIR] [--task ID --state '
        "done]` (MCP `record_attempt`).\n"
        "4. Check your claims: `supervisor lint` (MCP `lint`).\n"
        "\n"
        "Never:\n"
        f"- edit, move or delete anything inside an evidence bundle (`{p.reports}/`);\n"
        "- mark a task or item done without evidence (a bundle whose commands all succeeded, "
        "or existing artifacts);\n"
        f"- renumber or rewrite past attempts in `{p.ledger}`: add new ones with "
        "`record-attempt`.\n"
        f"<!-- {merge.END} -->\n"
    )


def _mcp_entry(command: str) -> dict[str, Any]:
    return {"command": command, "args": ["mcp"]}


def _hook(command: str) -> dict[str, Any]:
    # Claude Code runs hook commands in a shell with CLAUDE_PROJECT_DIR set; SessionStart
    # stdout is added to the session's context.
    return {"type": "command", "command": f'{command} -C "$CLAUDE_PROJECT_DIR" next'}


def _toml_block(command: str) -> str:
    return (
        f"# {merge.BEGIN}: written by `supervisor setup codex`\n"
        f"[mcp_servers.{SERVER}]\n"
        f"command = {_toml_str(command)}\n"
        'args = ["mcp"]\n'
        f"# {merge.END}\n"
    )


def _toml_str(value: str) -> str:
    import json

    return json.dumps(value)  # a TOML basic string for any text without control characters


Edit = Callable[[str | None, str], str | None]


def _edits(config: Config, agent: str, command: str, remove: bool) -> list[tuple[str, str, Edit]]:
    """(path, what, edit) for each file the agent needs."""
    memo = {"claude": "CLAUDE.md", "codex": "AGENTS.md", "gemini": "GEMINI.md"}
    block = instructions(config, agent)
    entry = _mcp_entry(command)
    out: list[tuple[str, str, Edit]] = []

    def memory(name: str) -> None:
        if remove:
            out.append((name, "instructions block", lambda t, p: merge.drop_block(t, p)))
        else:
            out.append((name, "instructions block", lambda t, p: merge.put_block(t, block, p)))

    def server(name: str) -> None:
        what = f"mcpServers.{SERVER}"
        if remove:
            out.append((name, what, lambda t, p: merge.drop_server(t, p, SERVER, entry)))
        else:
            out.append((name, what, lambda t, p: merge.put_server(t, p, SERVER, entry)))

    if agent in memo:
        memory(memo[agent])
    if agent == "claude":
        hook = _hook(command)
        what = f"SessionStart hook ({COMPACT_MATCHER}) printing the brief"
        if remove:
            edit: Edit = lambda t, p: merge.drop_hook(t, p, "SessionStart", hook)  # noqa: E731
        else:
            edit = lambda t, p: merge.put_hook(t, p, "SessionStart", COMPACT_MATCHER, hook)  # noqa: E731
        out.append((".claude/settings.json", what, edit))
        server(".mcp.json")
    elif agent == "codex":
        what = f"[mcp_servers.{SERVER}]"
        if remove:
            out.append((".codex/config.toml", what, lambda t, p: merge.drop_toml_table(t, p)))
        else:
            table = ("mcp_servers", SERVER)
            toml = _toml_block(command)
            out.append(
                (".codex/config.toml", what, lambda t, p: merge.put_toml_table(t, p, table, toml))
            )
    elif agent == "gemini":
        server(".gemini/settings.json")
    elif agent == "aider":
        memory("CONVENTIONS.md")
        files = ("CONVENTIONS.md", config.paths.brief)
        what = f"read: {', '.join(files)}"
        if remove:
            out.append((".aider.conf.yml", what, lambda t, p: merge.drop_read(t, p)))
        else:
            out.append((".aider.conf.yml", what, lambda t, p: merge.put_read(t, p, files)))
    return out


def _read(root: Path, rel: str) -> str | None:
    path = root / rel
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise WorkspaceError("not valid UTF-8", path=rel, hint="re-save it as UTF-8") from None
    except OSError as exc:
        raise WorkspaceError(f"cannot read: {exc.strerror}", path=rel) from None


def plan(
    config: Config, agent: str, *, command: str = "supervisor", remove: bool = False
) -> SetupPlan:
    """Every file change ``setup`` (or ``--remove``) would make; reads, never writes."""
    if agent not in AGENTS:
        raise NotFoundError(f"unknown agent '{agent}'", hint=choices_hint(AGENTS))
    root = config.root
    changes = []
    for rel, what, edit in _edits(config, agent, command, remove):
        before = _read(root, rel)
        changes.append(FileChange(rel, before, edit(before, rel), what))
    return SetupPlan(agent, remove, command, tuple(changes))


def apply(root: Path, setup: SetupPlan) -> None:
    """Write (or delete) the changed files; directories are created as needed."""
    from supervisor.fsio import write_atomic

    for c in setup.changed:
        path = root / c.path
        if c.after is None:
            path.unlink(missing_ok=True)
            _prune(root, path.parent)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, c.after)


def _prune(root: Path, directory: Path) -> None:
    """Remove ``directory`` and its parents below ``root`` while they are empty (the
    ``.claude/``-style folders that setup created)."""
    while directory != root and root in directory.parents:
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent
