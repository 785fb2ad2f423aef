"""The `supervisor` typer app and its single top-level error handler.

Exit codes: 0 ok, 1 user error (one line, no traceback), 2 reserved for "divergence
found" (`trace diff`), 3 bug (traceback), 130 interrupted. With ``--json`` anywhere on the
command line, errors are a versioned JSON document on stdout (``kind: error``) instead of a
line on stderr; the exit codes stay the same.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from supervisor.errors import EXIT_BUG, EXIT_INTERRUPTED, EXIT_USER, SupervisorError

app = typer.Typer(
    name="supervisor",
    help=(
        "Deterministic supervisor for coding-agent loops: reads plans/active/**/plan.md and "
        "docs/fix_plan.md, picks the next focus, renders the brief, dispatches named "
        "commands, records attempts, lints claims, diffs traces and drives the loop."
    ),
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion (see cli/completion.py)
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        from supervisor.extras import DIST, version

        sys.stdout.write(f"supervisor {version()} ({DIST})\n")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    workspace: Path | None = typer.Option(
        None,
        "-C",
        "--workspace",
        help="Start the search for supervisor.yaml here instead of the current directory.",
        file_okay=False,
    ),
    version: bool = typer.Option(
        False,
        "--version",
        help="Print the version and exit.",
        is_eager=True,
        callback=_print_version,
    ),
) -> None:
    ctx.obj = {"workspace": workspace}


def _register() -> None:
    # Each command module imports only typer at module level; library code is imported
    # inside the command body so `supervisor next` never pays for torch, GitPython or numpy.
    from supervisor.cli import (
        dispatch_cmd,
        init_cmd,
        lint_cmd,
        loop_cmd,
        mcp_cmd,
        next_cmd,
        record_cmd,
        replay_cmd,
        setup_cmd,
        status_cmd,
        trace_cmd,
    )

    app.command("init")(init_cmd.init_command)
    app.command("next")(next_cmd.next_command)
    app.command("status")(status_cmd.status_command)
    app.command("dispatch")(dispatch_cmd.dispatch_command)
    app.command("record-attempt")(record_cmd.record_attempt_command)
    app.add_typer(trace_cmd.app, name="trace")
    app.command("lint", help=lint_cmd.help_text())(lint_cmd.lint_command)
    app.command("loop")(loop_cmd.loop_command)
    app.command("replay")(replay_cmd.replay_command)
    app.command("mcp")(mcp_cmd.mcp_command)
    app.command("setup")(setup_cmd.setup_command)


_register()


def _wants_json(args: list[str]) -> bool:
    """Whether ``--json`` was given (options after a ``--`` are arguments, not options)."""
    head = args[: args.index("--")] if "--" in args else args
    return "--json" in head


def _json_error(problem: str, *, fix: str | None = None, exit_code: int, **fields: object) -> None:
    """``{schema_version, kind: error, path, line, problem, fix, …, exit_code}`` on stdout."""
    from supervisor.cli._common import emit_json

    doc: dict[str, object] = {"path": None, "line": None, "problem": problem, "fix": fix}
    doc.update(fields)
    doc["exit_code"] = exit_code
    emit_json("error", doc)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns the process exit code."""
    args = sys.argv[1:] if argv is None else argv
    as_json = _wants_json(args)
    if argv is None:  # a process of its own: large models may leave the cycle collector
        from supervisor import gcpolicy

        gcpolicy.allow_freeze()
    try:
        result = app(args=args, prog_name="supervisor", standalone_mode=False)
    except SupervisorError as exc:
        if as_json:
            fields = exc.as_dict()
            problem, fix = str(fields.pop("problem")), fields.pop("fix")
            _json_error(problem, fix=None if fix is None else str(fix), exit_code=1, **fields)
        else:
            from supervisor.cli._common import escape_controls

            sys.stderr.write(f"error: {escape_controls(str(exc))}\n")
        return EXIT_USER
    except typer.Abort:
        if as_json:
            _json_error("interrupted", exit_code=EXIT_INTERRUPTED, error="Interrupted")
        else:
            sys.stderr.write("interrupted\n")
        return EXIT_INTERRUPTED
    except typer.TyperException as exc:  # usage errors: bad option, missing argument, ...
        if as_json:
            fix = "see `supervisor --help` and the command's --help"
            _json_error(exc.format_message(), fix=fix, exit_code=EXIT_USER, error="UsageError")
            return EXIT_USER
        import io

        from supervisor.cli._common import escape_controls

        show = getattr(exc, "show", None)
        if callable(show):
            shown = io.StringIO()
            show(file=shown)
            sys.stderr.write(escape_controls(shown.getvalue()))
        else:
            sys.stderr.write(f"error: {escape_controls(exc.format_message())}\n")
        return EXIT_USER
    except KeyboardInterrupt:
        if as_json:
            _json_error("interrupted", exit_code=EXIT_INTERRUPTED, error="Interrupted")
        else:
            sys.stderr.write("interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
    except Exception as exc:
        import traceback

        sys.stderr.write("internal error (this is a bug in supervisor; please report it):\n")
        traceback.print_exc()
        if as_json:
            _json_error(
                f"internal error: {type(exc).__name__}: {exc}",
                fix="this is a bug in supervisor; please report it with the traceback on stderr",
                exit_code=EXIT_BUG,
                error="InternalError",
            )
        return EXIT_BUG
    return int(result) if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
