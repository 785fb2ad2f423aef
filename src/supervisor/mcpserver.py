"""`supervisor mcp`: the Model Context Protocol server (stdio) an agent talks to.

Five tools, each a thin call of the library function behind the matching CLI command, so the
MCP answer and the CLI output are the same bytes: ``next`` (brief text; ``next --json`` as
structured content), ``record_attempt``, ``dispatch`` (progress notifications per command),
``lint`` and ``status``. A refused call (the CLI's exit 1) is an MCP tool error whose text is
the CLI's ``path:line: problem — fix`` line. Tool descriptions are short: a model reads them
on every session.

Built on ``MCPServer`` from the official ``mcp`` SDK (FastMCP's successor inside the SDK): it
derives each tool's input schema from the typed signature and validates the arguments, so a
missing or wrongly typed argument is refused naming the argument (and, for the ``Literal``
ones, the valid values) before any workspace file is read.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

# Imported only by `supervisor mcp` (cli/mcp_cmd.py imports this module inside the command):
# the SDK costs about a second to import, which no other command pays.
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, InputRequiredResult, TextContent
from pydantic import ValidationError

from supervisor.errors import SupervisorError

SERVER_NAME = "supervisor"
TOOLS = ("next", "record_attempt", "dispatch", "lint", "status")

Result = Literal["success", "partial", "failed", "blocked"]
State = Literal["done", "in-progress", "blocked"]
Param = str | int | float | bool


def _result(text: str, doc: dict[str, Any] | None = None, error: bool = False) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=doc, is_error=error
    )


def _json(kind: str, payload: dict[str, Any]) -> CallToolResult:
    """The CLI's ``--json`` document: as text (same bytes) and as structured content."""
    from supervisor.cli._common import dumps, envelope

    doc = envelope(kind, payload)
    return _result(dumps(doc), doc)


def _refused(exc: SupervisorError) -> CallToolResult:
    return _result(str(exc), error=True)


def _guarded(call: Callable[[], CallToolResult]) -> CallToolResult:
    try:
        return call()
    except SupervisorError as exc:
        return _refused(exc)


def _param_text(value: Param) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _arguments_text(tool: str, exc: ValidationError) -> str:
    """One line per refused argument, naming it (the pydantic message lists the valid values
    of a Literal), without pydantic's URLs."""
    parts = []
    for err in exc.errors():
        name = ".".join(str(p) for p in err["loc"]) or "arguments"
        if err["type"] == "missing":
            parts.append(f"missing argument '{name}'")
            continue
        got = repr(err.get("input"))
        got = got if len(got) <= 60 else got[:57] + "..."
        parts.append(f"argument '{name}': {err['msg']} (got {got})")
    return f"{tool}: " + "; ".join(parts) + " — see the tool's input schema"


class _Server(MCPServer[Any]):
    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(cause, ValidationError):
                raise ToolError(_arguments_text(name, cause)) from cause
            raise


def build(start: Path) -> MCPServer[Any]:
    """The server for the workspace found from ``start`` (walking up, like the CLI); every
    call re-reads the workspace, so edits between calls are seen."""
    from supervisor import __version__

    server: MCPServer[Any] = _Server(
        SERVER_NAME,
        version=__version__,
        instructions=(
            "Deterministic planning for this repository: `next` gives the brief to work from; "
            "`dispatch` runs registry commands into an evidence bundle; `record_attempt` "
            "records the outcome. Never edit a bundle; never mark done without evidence."
        ),
        log_level="WARNING",
    )

    def workspace() -> Any:
        from supervisor.workspace import Workspace

        return Workspace.find(start)

    @server.tool(
        name="next",
        description="The current brief (what to work on, with pointers and commands). "
        "explain: the ranking of every item with reasons instead. focus: work on this item ID. "
        "Structured content: the brief context (as `supervisor next --json`).",
    )
    def next_tool(focus: str | None = None, explain: bool = False) -> CallToolResult:
        def call() -> CallToolResult:
            from supervisor.brief.outputs import next_outputs
            from supervisor.cli._common import envelope

            out = next_outputs(start, focus)
            doc = envelope("brief", out.document)
            return _result(out.explain if explain else out.text, doc)

        return _guarded(call)

    @server.tool(
        name="record_attempt",
        description="Append a numbered attempt to ITEM's Attempts History (locked; numbers "
        "never collide). task+state update a plan row, status the item. Done needs evidence: "
        "a bundle whose commands all succeeded, or existing artifacts (force: reason).",
    )
    def record_attempt_tool(
        item: str,
        result: Result,
        summary: str,
        bundle: str | None = None,
        artifacts: list[str] | None = None,
        metrics: list[str] | None = None,
        task: str | None = None,
        state: State | None = None,
        status: str | None = None,
        force: str | None = None,
    ) -> CallToolResult:
        def call() -> CallToolResult:
            from supervisor.record.attempt import AttemptRequest, record_attempt

            request = AttemptRequest(
                item=item,
                result=result,
                summary=summary,
                bundle=bundle,
                artifacts=tuple(artifacts or ()),
                metrics=tuple(metrics or ()),
                task=task,
                state=state,
                status=status,
                force=force,
            )
            return _json("attempt", record_attempt(workspace(), request).as_dict())

        return _guarded(call)

    @server.tool(
        name="dispatch",
        description="Run registry commands (supervisor.yaml `commands:`) into a new evidence "
        "bundle; names, or focus=true for the focus task's commands. params: typed values "
        "(name: value). Progress is notified per command. Returns bundle.json.",
    )
    async def dispatch_tool(
        ctx: Context,
        names: list[str] | None = None,
        params: dict[str, Param] | None = None,
        focus: bool = False,
        item: str | None = None,
        phase: str | None = None,
        keep_going: bool = False,
    ) -> CallToolResult:
        import anyio
        import anyio.from_thread
        import anyio.to_thread

        from supervisor.dispatch.session import execute, prepare

        args = [*(names or ()), *(f"{k}={_param_text(v)}" for k, v in (params or {}).items())]
        try:
            ws = workspace()
            prepared = prepare(ws, args, focus=focus, item=item, phase=phase)
        except SupervisorError as exc:
            return _refused(exc)
        total = 2 * len(prepared.specs)  # a "started" and a "finished" line per command
        sent = 0

        def progress(line: str) -> None:
            nonlocal sent
            sent += 1
            anyio.from_thread.run(ctx.report_progress, sent, total, line)

        def run() -> Any:
            return execute(ws, prepared, keep_going=keep_going, progress=progress)

        try:
            done = await anyio.to_thread.run_sync(run)
        except SupervisorError as exc:
            return _refused(exc)
        doc = {k: v for k, v in done.document.items() if k not in ("schema_version", "kind")}
        return _json("bundle", doc)

    @server.tool(
        name="lint",
        description="Check ledger, plans, brief and contracts against the workspace (as "
        "`supervisor lint --json`). paths: only these workspace-relative files. fix_safe: "
        "first apply the mechanical fixes.",
    )
    def lint_tool(paths: list[str] | None = None, fix_safe: bool = False) -> CallToolResult:
        def call() -> CallToolResult:
            from supervisor.lint import lint

            ws = workspace()
            chosen = [ws.root / p for p in paths or ()]
            return _json("lint", lint(ws, chosen, fix_safe=fix_safe).as_dict())

        return _guarded(call)

    @server.tool(
        name="status",
        description="Every ledger item (priority, status, attempts, plan) and every plan's task "
        "progress, as `supervisor status`; structured content as `supervisor status --json`.",
    )
    def status_tool() -> CallToolResult:
        def call() -> CallToolResult:
            from supervisor.cli._common import envelope
            from supervisor.status import render_status, status_report

            report = status_report(workspace())
            return _result(render_status(report), envelope("status", report.as_dict()))

        return _guarded(call)

    return server


def serve(start: Path) -> None:
    """Serve over stdin/stdout until the client closes the connection. The workspace must
    exist before anything is served (a missing one is the usual exit-1 error)."""
    from supervisor.config import find_config

    root = find_config(start).parent
    build(root).run("stdio")
