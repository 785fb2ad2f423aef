"""Click-facing completers (``autocompletion=`` on typer parameters): the workspace comes
from ``-C`` when given, else the current directory."""

from __future__ import annotations

from pathlib import Path

import typer


def _start(ctx: typer.Context) -> Path:
    value = ctx.find_root().params.get("workspace")
    return Path(value) if value else Path.cwd()


def complete_item_id(ctx: typer.Context, incomplete: str) -> list[str]:
    from supervisor.completion import item_ids

    return item_ids(_start(ctx), incomplete)


def complete_command_name(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    from supervisor.completion import command_names

    if "=" in incomplete:
        return []  # a KEY=VALUE parameter
    return command_names(_start(ctx), incomplete)
