"""`supervisor mcp`: serve the workspace to an agent over the Model Context Protocol (stdio)."""

from __future__ import annotations

import typer

from supervisor.cli._common import start_dir


def mcp_command(ctx: typer.Context) -> None:
    """Serve next, record_attempt, dispatch, lint and status as MCP tools over stdin/stdout.

    Point an agent's MCP configuration at `supervisor mcp` (or run `supervisor setup AGENT`).
    The workspace is found like every command: -C DIR, else walking up from the current
    directory to supervisor.yaml. Each tool calls the same library function as its command,
    so the answers are the CLI's output; a refused call is an MCP tool error carrying the
    `path:line: problem — fix` text. Runs until the client closes the connection.
    """
    from supervisor.errors import UsageError

    try:
        from supervisor.mcpserver import serve
    except ModuleNotFoundError as exc:
        if exc.name is None or not exc.name.startswith("mcp"):
            raise
        raise UsageError(
            "the MCP server needs the `mcp` package, which is not installed",
            hint="install the extra: pip install 'supervisor[mcp]' (./dev setup does)",
        ) from None
    serve(start_dir(ctx))
