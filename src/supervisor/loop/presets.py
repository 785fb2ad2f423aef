"""Agent presets for `supervisor loop --agent NAME`: each agent's non-interactive invocation,
with the brief passed the way that agent reads a prompt.

Built in (each from the agent's own documentation of its headless mode):

- ``claude``: ``claude -p --permission-mode acceptEdits``, the brief on standard input
  (print mode reads the prompt from stdin);
- ``codex``: ``codex exec --sandbox workspace-write -``, the brief on standard input
  (``-`` reads the prompt from stdin);
- ``gemini``: ``gemini --approval-mode auto_edit -p TEXT``, the brief on standard input (the
  ``-p`` text is appended to it);
- ``aider``: ``aider --yes-always --message-file BRIEF`` (the brief's path).

``loop.agents:`` in supervisor.yaml adds presets or replaces these (``argv`` with ``{brief}``
for the brief's path and ``{prompt}`` for its text, ``stdin: true`` to feed it on stdin).
The agent's output goes to the iteration log like any agent command's.

The brief is rendered anew every iteration, after the command line is fixed, so a preset that
needs its text (stdin or ``{prompt}``) runs through this module as a launcher:
``python -m supervisor.loop.presets [--stdin] -- ARGV…`` reads ``$SUPERVISOR_BRIEF`` (set by
the loop for every agent turn), fills ``{prompt}``, puts the brief on stdin and ``exec``s the
agent — same process, so the loop's process-group handling (timeouts, Ctrl-C) is unchanged.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

from supervisor.config import AgentPreset, Config
from supervisor.errors import UsageError, choices_hint

GEMINI_PROMPT = "Carry out the brief above."
BUILTIN: tuple[AgentPreset, ...] = (
    AgentPreset("claude", ("claude", "-p", "--permission-mode", "acceptEdits"), stdin=True),
    AgentPreset("codex", ("codex", "exec", "--sandbox", "workspace-write", "-"), stdin=True),
    AgentPreset(
        "gemini", ("gemini", "--approval-mode", "auto_edit", "-p", GEMINI_PROMPT), stdin=True
    ),
    AgentPreset("aider", ("aider", "--yes-always", "--message-file", "{brief}")),
)
BRIEF, PROMPT = "{brief}", "{prompt}"


def presets(config: Config) -> dict[str, AgentPreset]:
    """Every preset by name: the built-in ones, then ``loop.agents`` (which win)."""
    out = {p.name: p for p in BUILTIN}
    out.update({p.name: p for p in config.loop.agents})
    return out


def resolve_agent(option: str | None, config: Config) -> tuple[str, ...]:
    """The agent argv for ``--agent OPTION`` (empty: use ``loop.agent``). A single word that
    names a preset expands to it; anything else is a command line, split like a shell would
    (and run without one). ``loop.agent: [NAME]`` naming a preset expands too."""
    known = presets(config)
    if option is None:
        argv = config.loop.agent
        return expand(known[argv[0]], config) if len(argv) == 1 and argv[0] in known else ()
    try:
        argv = tuple(shlex.split(option))
    except ValueError as exc:
        raise UsageError(f"--agent cannot be split: {exc}", hint="check the quotes") from None
    if not argv:
        raise UsageError("--agent is empty", hint='pass --agent NAME or --agent "CMD ARGS"')
    if len(argv) == 1 and argv[0] in known:
        return expand(known[argv[0]], config)
    if len(argv) == 1 and "/" not in argv[0] and shutil.which(argv[0]) is None:
        raise UsageError(
            f"unknown agent '{argv[0]}'",
            hint=f"{choices_hint(known)} (presets; more under loop.agents in "
            f'{config.rel_path}), or pass a command: --agent "CMD ARGS"',
        )
    return argv


def expand(preset: AgentPreset, config: Config) -> tuple[str, ...]:
    """The argv the loop runs for ``preset``: ``{brief}`` filled in, and the launcher in front
    when the brief's text is needed at run time."""
    exe = preset.argv[0]
    found = (config.root / exe).is_file() if "/" in exe else shutil.which(exe) is not None
    if not found:
        where = f"loop.agents.{preset.name} in {config.rel_path}"
        raise UsageError(
            f"agent command not found: {exe} (preset '{preset.name}')",
            hint=f"install it, put it on PATH, or define {where}",
        )
    argv = tuple(a.replace(BRIEF, config.paths.brief) for a in preset.argv)
    if not preset.stdin and not any(PROMPT in a for a in argv):
        return argv
    flags = ("--stdin",) if preset.stdin else ()
    return (sys.executable, "-m", "supervisor.loop.presets", *flags, "--", *argv)


def launch(args: list[str]) -> int:
    """The launcher: ``[--stdin] -- ARGV…``; never returns when the agent starts."""
    stdin = bool(args) and args[0] == "--stdin"
    rest = args[1:] if stdin else args
    if not rest or rest[0] != "--" or len(rest) < 2:
        sys.stderr.write("usage: python -m supervisor.loop.presets [--stdin] -- CMD [ARGS…]\n")
        return 2
    brief = os.environ.get("SUPERVISOR_BRIEF")
    if not brief:
        sys.stderr.write("supervisor: SUPERVISOR_BRIEF is not set (the loop sets it)\n")
        return 2
    try:
        text = Path(brief).read_text(encoding="utf-8")
        argv = [a.replace(PROMPT, text) for a in rest[1:]]
        if stdin:
            fd = os.open(brief, os.O_RDONLY)
            os.dup2(fd, 0)
            os.close(fd)
        sys.stdout.flush()
        os.execvp(argv[0], argv)
    except OSError as exc:
        sys.stderr.write(f"supervisor: cannot start {rest[1]}: {exc.strerror or exc}\n")
        return 127


if __name__ == "__main__":  # pragma: no cover - run by the loop as the agent command
    sys.exit(launch(sys.argv[1:]))
