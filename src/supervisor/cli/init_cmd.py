"""`supervisor init`: start a workspace here, or adopt an existing ledger and plans."""

from __future__ import annotations

import typer

from supervisor.cli._common import emit, emit_json, start_dir


def init_command(
    ctx: typer.Context,
    adopt: bool = typer.Option(
        False,
        "--adopt",
        help="Keep the repository's ledger and plans; infer supervisor.yaml from them "
        "(statuses, priorities, plan layout, env, Mode, branch) and say what it could not infer.",
    ),
    ledger: str | None = typer.Option(
        None, "--ledger", help="With --adopt: the ledger to adopt (default: docs/fix_plan.md)."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite files that already exist."),
    as_json: bool = typer.Option(False, "--json", help="Print versioned JSON (kind: init)."),
) -> int:
    """Start a workspace in the current directory (or -C DIR): a commented supervisor.yaml,
    docs/fix_plan.md with one example item and its plan under plans/active/, so `supervisor
    next` gives a brief right away. Nothing is overwritten without --force."""
    from supervisor.init import init_workspace

    result = init_workspace(start_dir(ctx), today=_today(), adopt=adopt, force=force, ledger=ledger)
    if as_json:
        emit_json(
            "init",
            {
                "root": str(result.root),
                "adopted": result.adopted,
                "written": list(result.written),
                "ledger": result.ledger,
                "plans": result.plans,
                "inferred": [
                    {"key": v.key, "value": _jsonable(v.value), "from": v.note}
                    for v in result.inferred
                ],
                "not_inferred": list(result.unknown),
            },
        )
        return 0
    lines = [f"wrote {rel}" for rel in result.written]
    if result.adopted:
        lines += [f"  {v.key}: {_show(v.value)} — {v.note}" for v in result.inferred]
        if result.unknown:
            lines.append("could not infer:")
            lines += [f"  {u}" for u in result.unknown]
        lines.append("next: check supervisor.yaml, then `supervisor lint` and `supervisor next`")
    else:
        lines.append("next: `supervisor next` prints the brief for the example task")
    emit("\n".join(lines) + "\n")
    return 0


def _today() -> str:
    """UTC date, or SOURCE_DATE_EPOCH's (reproducible output, as for builds)."""
    import os
    from datetime import UTC, datetime

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    when = datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit() else datetime.now(UTC)
    return when.strftime("%Y-%m-%d")


def _show(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join("=".join(v) if isinstance(v, tuple) else str(v) for v in value)
    return str(value)


def _jsonable(value: object) -> object:
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        return {str(k): str(v) for k, v in value}  # env pairs
    return list(value) if isinstance(value, tuple) else value
