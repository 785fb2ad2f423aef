"""`supervisor next`: pick the focus and render the brief."""

from __future__ import annotations

import sys

import typer

from supervisor.cli._common import emit, emit_json, start_dir, warn
from supervisor.cli.completion import complete_item_id


def next_command(
    ctx: typer.Context,
    write: bool = typer.Option(
        False, "--write", help="Write the brief to the configured path (input.md) atomically."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print the brief context as versioned JSON (kind: brief)."
    ),
    explain: bool = typer.Option(
        False, "--explain", help="Print the ranking of every item with the reasons instead."
    ),
    focus: str | None = typer.Option(
        None,
        "--focus",
        metavar="ID",
        help="Work on this item, overriding continuity, goals, Active Focus and ranking.",
        autocompletion=complete_item_id,
    ),
    no_cache: bool = typer.Option(
        False, "--no-cache", help="Recompute even if no input changed (also SUPERVISOR_NO_CACHE=1)."
    ),
) -> None:
    """Pick the next focus (item, phase, task) and print the brief an agent works from.

    Selection: --focus; else continuity (the item of the last brief and of the newest commit
    subjects); else the operator's goals; else the ledger's Active Focus (stale entries
    skipped); else the best eligible item by priority, status, ledger order. Within it: the
    step its Next Action names, else where the plan's progress ends. Same workspace, same
    bytes out; --explain names every signal.
    """
    from supervisor.brief.outputs import next_outputs
    from supervisor.errors import NotFoundError

    try:
        out = next_outputs(start_dir(ctx), focus, use_cache=not no_cache)
    except NotFoundError as exc:
        from supervisor.select import NoEligibleItem

        if not explain or not isinstance(exc, NoEligibleItem):
            raise
        from supervisor.brief.explain import nothing_eligible_text

        emit(nothing_eligible_text(exc))
        hint = "each item's reason is listed above; or pass --focus ID"
        raise NotFoundError(exc.message, path=exc.path, hint=hint) from None
    for w in out.warnings:
        warn(w)
    if write:
        from supervisor.fsio import write_atomic

        write_atomic(out.root / out.brief_path, out.text)
        sys.stderr.write(f"wrote {out.brief_path} ({out.where})\n")
    if as_json:
        emit_json("brief", out.document)
    elif explain:
        emit(out.explain)
    elif not write:
        emit(out.text)
