"""The `supervisor` typer app and its single top-level error handler.

Exit codes: 0 ok, 1 user error (one line, no traceback), 2 reserved for "divergence
found" (`trace diff`), 3 bug (traceback), 130 interrupted.
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
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


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
) -> None:
    ctx.obj = {"workspace": workspace}


def _register() -> None:
    # Each command module imports only typer at module level; library code is imported
    # inside the command body so `supervisor next` never pays for torch, GitPython or numpy.
    from supervisor.cli import (
        dispatch_cmd,
        lint_cmd,
        loop_cmd,
        next_cmd,
        record_cmd,
        status_cmd,
        trace_cmd,
    )

    app.command("next")(next_cmd.next_command)
    app.command("status")(status_cmd.status_command)
    app.command("dispatch")(dispatch_cmd.dispatch_command)
    app.command("record-attempt")(record_cmd.record_attempt_command)
    app.add_typer(trace_cmd.app, name="trace")
    app.command("lint", help=lint_cmd.help_text())(lint_cmd.lint_command)
    app.command("loop")(loop_cmd.loop_command)


_register()


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns the process exit code."""
    args = sys.argv[1:] if argv is None else argv
    try:
        result = app(args=args, prog_name="supervisor", standalone_mode=False)
    except SupervisorError as exc:
        from supervisor.cli._common import escape_controls

        sys.stderr.write(f"error: {escape_controls(str(exc))}\n")
        return EXIT_USER
    except typer.Abort:
        sys.stderr.write("interrupted\n")
        return EXIT_INTERRUPTED
    except typer.TyperException as exc:  # usage errors: bad option, missing argument, ...
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
        sys.stderr.write("interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
    except Exception:
        import traceback

        sys.stderr.write("internal error (this is a bug in supervisor; please report it):\n")
        traceback.print_exc()
        return EXIT_BUG
    return int(result) if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
