"""`supervisor status`: items and plan progress at a glance."""

from __future__ import annotations

import typer

from supervisor.cli._common import emit, emit_json, start_dir, warn


def status_command(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print versioned JSON (kind: status)."),
) -> None:
    """Every ledger item (priority, status, attempts, plan) and every plan's task progress."""
    from supervisor.status import render_status, status_report
    from supervisor.workspace import Workspace

    ws = Workspace.find(start_dir(ctx))
    for w in ws.config.warnings:
        warn(w)
    report = status_report(ws)
    if as_json:
        emit_json("status", report.as_dict())
    else:
        emit(render_status(report))
