"""`supervisor status`: items and plan progress at a glance."""

from __future__ import annotations

import typer


def status_command(ctx: typer.Context) -> None:
    """Items and plan progress at a glance."""
    raise NotImplementedError
