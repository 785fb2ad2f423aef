"""`supervisor dispatch`: run named registry commands into one evidence bundle."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from supervisor.cli._common import emit, emit_json, start_dir, warn
from supervisor.cli.completion import complete_command_name, complete_item_id

if TYPE_CHECKING:  # pragma: no cover
    from supervisor.dispatch.session import Prepared


def dispatch_command(
    ctx: typer.Context,
    args: list[str] | None = typer.Argument(
        None,
        metavar="[NAME]... [KEY=VALUE]...",
        autocompletion=complete_command_name,
        help="Registry commands (supervisor.yaml `commands:`) and typed parameters.",
        show_default=False,
    ),
    focus: bool = typer.Option(
        False, "--focus", help="Run the commands the current focus task names (registry order)."
    ),
    item: str | None = typer.Option(
        None,
        "--item",
        metavar="ID",
        help="Bundle under this item (default: the focus item).",
        autocompletion=complete_item_id,
    ),
    phase: str | None = typer.Option(
        None, "--phase", metavar="X", help="Bundle under this phase (default: the item's current)."
    ),
    keep_going: bool = typer.Option(
        False, "--keep-going", help="Run the remaining commands after one fails."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the exact argv of each command; run nothing."
    ),
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print versioned JSON (kind: bundle, or dispatch-plan with --dry-run).",
    ),
) -> None:
    """Run named commands from the registry into reports/<ITEM>/phase_<x>/<STAMP>/.

    Only commands declared in supervisor.yaml run, as argv lists (no shell), with KEY=VALUE
    checked against each parameter's declared type. The bundle holds commands.txt, per-command
    stdout/stderr logs, env.json, bundle.json, summary.md and SHA256SUMS. Exit 0 when every
    command exited with a code its `ok_exit` allows (default 0) and wrote its declared
    outputs, 1 otherwise, 130 when interrupted.
    """
    import signal

    from supervisor.dispatch.session import execute, prepare
    from supervisor.workspace import Workspace

    ws = Workspace.find(start_dir(ctx))
    for w in ws.config.warnings:
        warn(w)
    prepared = prepare(ws, args or [], focus=focus, item=item, phase=phase)
    if dry_run:
        _dry_run(prepared, ws.root, as_json)
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)
    result = execute(ws, prepared, keep_going=keep_going, progress=_progress)
    if as_json:
        doc = {k: v for k, v in result.document.items() if k not in ("schema_version", "kind")}
        emit_json("bundle", doc)
    else:
        emit(f"{result.rel}\n")
    status = result.status
    if status == "ok":
        sys.stderr.write(f"bundle {result.rel}: ok\n")
        return
    if status == "interrupted":
        sys.stderr.write(f"interrupted: partial bundle at {result.rel} (status interrupted)\n")
        raise typer.Exit(130)
    bad = [c for c in result.document["commands"] if c["status"] not in ("ok", "skipped")]
    what = ", ".join(f"{c['name']} {c['status']}" for c in bad)
    sys.stderr.write(f"error: {what} — see {result.rel}/summary.md\n")
    raise typer.Exit(1)


def _progress(line: str) -> None:
    sys.stderr.write(line + "\n")


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM: stop like Ctrl-C, leaving an interrupted bundle


def _dry_run(prepared: Prepared, root: Path, as_json: bool) -> None:
    import shlex

    t = prepared.target
    if as_json:
        cmds = [
            {"name": i.name, "argv": list(i.argv), "env": dict(i.env), "timeout_s": i.timeout,
             "outputs": list(i.outputs)}
            for i in prepared.preview
        ]  # fmt: skip
        emit_json(
            "dispatch-plan",
            {"bundle": prepared.preview_rel, "item": t.item, "phase": t.phase, "task": t.task,
             "cwd": str(root), "commands": cmds},
        )  # fmt: skip
        return
    lines = [f"# bundle: {prepared.preview_rel} (not created: --dry-run)", f"# cwd: {root}"]
    for i in prepared.preview:
        env = [f"{k}={shlex.quote(v)}" for k, v in i.env]
        lines.append(" ".join([*env, shlex.join(i.argv)]))
    emit("\n".join(lines) + "\n")
