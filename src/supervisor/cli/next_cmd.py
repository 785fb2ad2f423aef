"""`supervisor next`: pick the focus and render the brief."""

from __future__ import annotations

import typer


def next_command(ctx: typer.Context) -> None:
    """Pick the next focus and print the brief."""
    raise NotImplementedError
