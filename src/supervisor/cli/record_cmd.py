"""`supervisor record-attempt`: append a numbered attempt to the ledger and update status."""

from __future__ import annotations

import typer

from supervisor.cli._common import emit, emit_json, start_dir, warn
from supervisor.cli.completion import complete_item_id


def record_attempt_command(
    ctx: typer.Context,
    item: str = typer.Argument(
        ...,
        metavar="ITEM",
        help="The ledger item ID, e.g. CLI-FLAGS-003.",
        autocompletion=complete_item_id,
    ),
    result: str = typer.Option(
        ..., "--result", metavar="success|partial|failed|blocked", help="The attempt's outcome."
    ),
    summary: str = typer.Option(..., "--summary", metavar="TEXT", help="One line: what was done."),
    bundle: str | None = typer.Option(
        None, "--bundle", metavar="DIR", help="Evidence bundle from `supervisor dispatch`."
    ),
    artifacts: list[str] = typer.Option(
        [],
        "--artifacts",
        metavar="PATH",
        help="A cited path (repeat for more), workspace-relative.",
    ),
    metric: list[str] = typer.Option(
        [], "--metric", metavar="KEY=VALUE", help="A metric to record (repeat for more)."
    ),
    task: str | None = typer.Option(None, "--task", metavar="ID", help="The plan task worked on."),
    state: str | None = typer.Option(
        None, "--state", metavar="done|in-progress|blocked", help="New State of --task."
    ),
    status: str | None = typer.Option(
        None, "--status", metavar="NEW", help="New item Status (and its Index row)."
    ),
    commit: bool = typer.Option(False, "--commit", help="git commit exactly the files changed."),
    force: str | None = typer.Option(
        None, "--force", metavar="REASON", help="Mark done without backing evidence (recorded)."
    ),
    date: str | None = typer.Option(
        None,
        "--date",
        metavar="YYYY-MM-DD",
        help="Attempt date (default: $SUPERVISOR_DATE, else today in UTC).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print versioned JSON (kind: attempt)."),
) -> None:
    """Append `* [DATE] Attempt #N — Result: …` to ITEM's Attempts History.

    N is the item's highest attempt number plus one, computed under a lock, so concurrent
    writers never collide. The bullet copies the item's existing style. --task/--state update
    the plan row, --status the item and its Index row; Last Updated gets the attempt date.
    Done needs evidence: a bundle whose commands all succeeded, or existing --artifacts
    (or --force REASON, which is written into the attempt).
    """
    from supervisor.record.attempt import AttemptRequest, record_attempt
    from supervisor.workspace import Workspace

    ws = Workspace.find(start_dir(ctx))
    for w in ws.config.warnings:
        warn(w)
    request = AttemptRequest(
        item=item,
        result=result,
        summary=summary,
        bundle=bundle,
        artifacts=tuple(artifacts),
        metrics=tuple(metric),
        task=task,
        state=state,
        status=status,
        force=force,
        date=date,
        commit=commit,
    )
    done = record_attempt(ws, request)
    if as_json:
        emit_json("attempt", done.as_dict())
        return
    parts = [f"recorded [{done.item}] Attempt #{done.number} ({done.result}) in {done.ledger}"]
    if done.state_to is not None:
        parts.append(f"task {done.task} {done.state_from} → {done.state_to} in {done.plan}")
    if done.status_to is not None:
        parts.append(f"status {done.status_from} → {done.status_to}")
    if done.forced:
        parts.append("forced")
    emit("; ".join(parts) + "\n")
    if done.commit:
        emit(f"committed {done.commit[:12]}: {', '.join(done.files)}\n")
