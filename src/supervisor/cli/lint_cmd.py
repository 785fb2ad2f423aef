"""`supervisor lint`: claims versus reality in the ledger, plans, brief and contracts."""

from __future__ import annotations

from pathlib import Path

import typer

from supervisor.cli._common import emit, emit_json, start_dir, warn

HELP = """Check the ledger, plans, brief and contracts against the workspace: pointers resolve,
statuses agree, attempt numbers are unique, claimed functions and tests exist, contract
statuses do not outrun their evidence. Each finding prints as `path:line: CODE message —
fix`; exit 1 when there are errors (warnings alone exit 0). PATHS restricts the check to
those files (directories expand to their .md/.yaml files). Severities: `lint.severity` in
supervisor.yaml (error, warning or off per code).

Codes (default severity):

\b
"""


def help_text() -> str:
    """The command's help with the code table (click keeps the `\\b` block unwrapped)."""
    from supervisor.lint.findings import codes_table

    return HELP + codes_table()


def lint_command(
    ctx: typer.Context,
    paths: list[Path] | None = typer.Argument(None, help="Only these files (default: all)."),
    as_json: bool = typer.Option(False, "--json", help="Print versioned JSON (kind: lint)."),
    fix_safe: bool = typer.Option(
        False,
        "--fix-safe",
        help="First apply mechanical fixes (L103 Index status, L118 table whitespace) through "
        "the locked atomic write path; print the diff.",
    ),
    collect_tests: bool = typer.Option(
        False,
        "--collect-tests",
        help="Also run `pytest --collect-only` on each mapped/contract test selector (S302); "
        "this imports and so runs the workspace's test code.",
    ),
    list_codes: bool = typer.Option(False, "--list-codes", help="Print the code table and exit."),
) -> int:
    from supervisor.lint import lint
    from supervisor.lint.findings import codes_table
    from supervisor.workspace import Workspace

    if list_codes:
        emit(codes_table())
        return 0
    ws = Workspace.find(start_dir(ctx))
    for w in ws.config.warnings:
        warn(w)
    report = lint(ws, paths or (), fix_safe=fix_safe, collect_tests=collect_tests)
    if as_json:
        emit_json("lint", report.as_dict())
    else:
        out = [r.diff for r in report.fixed]
        out += [f.render() + "\n" for f in report.findings]
        out.append(report.summary() + "\n")
        emit("".join(out))
    return 1 if report.errors else 0
