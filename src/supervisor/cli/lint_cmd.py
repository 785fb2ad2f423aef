"""`supervisor lint`: claims versus reality in the ledger, plans, brief and contracts."""

from __future__ import annotations

from pathlib import Path

import typer

from supervisor.cli._common import dumps, emit, emit_json, start_dir, warn

HELP = """Check the ledger, plans, brief and contracts against the workspace: pointers resolve,
statuses agree, attempt numbers are unique, claimed functions and tests exist, contract
statuses do not outrun their evidence. Each finding prints as `path:line: CODE message —
fix` (or --format json/github/sarif); exit 1 when there are errors (warnings alone exit
0). PATHS restricts the check to those files (directories expand to their .md/.yaml
files). Severities: `lint.severity` in supervisor.yaml (error, warning or off per code).

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
    as_json: bool = typer.Option(
        False, "--json", help="Print versioned JSON (kind: lint); same as --format json."
    ),
    fmt: str = typer.Option(
        "text",
        "--format",
        metavar="text|json|github|sarif",
        help="Output: text (path:line: CODE message — fix), json (versioned, kind: lint), "
        "github (GitHub Actions annotations), sarif (SARIF 2.1.0 for code scanning).",
    ),
    fix_safe: bool = typer.Option(
        False,
        "--fix-safe",
        help="First apply mechanical fixes (L103 Index status, L118 table whitespace, and P206 "
        "short pointer -> full path when P206 is enabled) through the locked atomic write "
        "path; print the diff.",
    ),
    collect_tests: bool = typer.Option(
        False,
        "--collect-tests",
        help="Also run `pytest --collect-only` on each mapped/contract test selector (S302); "
        "this imports and so runs the workspace's test code.",
    ),
    list_codes: bool = typer.Option(False, "--list-codes", help="Print the code table and exit."),
) -> int:
    from supervisor.errors import UsageError, choices_hint
    from supervisor.lint import formats, lint
    from supervisor.lint.findings import codes_table
    from supervisor.workspace import Workspace

    if list_codes:
        emit(codes_table())
        return 0
    if fmt not in formats.FORMATS:
        raise UsageError(f"unknown --format '{fmt}'", hint=choices_hint(formats.FORMATS))
    if as_json and fmt not in ("text", "json"):
        raise UsageError(f"--json conflicts with --format {fmt}", hint="give one of them")
    fmt = "json" if as_json else fmt
    ws = Workspace.find(start_dir(ctx))
    for w in ws.config.warnings:
        warn(w)
    report = lint(ws, paths or (), fix_safe=fix_safe, collect_tests=collect_tests)
    if fmt == "json":
        emit_json("lint", report.as_dict())
    elif fmt == "github":
        emit(formats.render_github(report, formats.repo_prefix(ws.root)))
    elif fmt == "sarif":
        from supervisor import __version__

        doc = formats.sarif_document(report, formats.repo_prefix(ws.root), __version__)
        emit(dumps(doc))
    else:
        emit(formats.render_text(report))
    return 1 if report.errors else 0
