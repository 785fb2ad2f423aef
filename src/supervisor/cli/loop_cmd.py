"""`supervisor loop`: drive an agent through the plan, iteration after iteration."""

from __future__ import annotations

import sys

import typer

from supervisor.cli._common import emit, emit_json, start_dir, warn


def loop_command(
    ctx: typer.Context,
    agent: str | None = typer.Option(
        None,
        "--agent",
        metavar='NAME|"CMD ARGS"',
        help="A preset (claude, codex, gemini, aider, or loop.agents) or the agent command "
        "(split like a shell would, run without one); default loop.agent.",
    ),
    iterations: int | None = typer.Option(
        None,
        "--iterations",
        min=1,
        metavar="N",
        help="Iterations to run (default loop.iterations).",
    ),
    timeout: float | None = typer.Option(
        None,
        "--timeout",
        metavar="S",
        help="Seconds before the agent and every process it started are killed "
        "(default loop.timeout; at most 30 days).",
    ),
    branch: str | None = typer.Option(
        None, "--branch", metavar="B", help="The branch the loop runs on (default: branch:)."
    ),
    sync: bool = typer.Option(
        False,
        "--sync-via-git",
        help="Pull --rebase before each turn and push after it (remote: loop.remote).",
    ),
    role: str | None = typer.Option(
        None,
        "--role",
        metavar="supervisor|agent",
        help="With --sync-via-git: play one role; without --role one process plays both.",
    ),
    poll: float = typer.Option(
        5.0, "--poll", min=0.01, metavar="S", help="How often a waiting role pulls (seconds)."
    ),
    wait: float | None = typer.Option(
        None, "--wait", min=0.0, metavar="S", help="Give up waiting for the other role after S s."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a versioned summary (kind: loop)."),
) -> None:
    """Run the agent loop: render the brief, commit it, run the agent, check the ledger.

    Each iteration: the brief is rendered (as `next --write`) and committed; the agent runs
    with SUPERVISOR_BRIEF set (argv, no shell; its process group is killed on timeout); if the
    focus item gained no attempt, the loop records a failed one; one commit per turn, only
    whitelisted files and evidence within the caps. Hand-off state: loop.state
    (sync/state.json). Logs: logs/<branch>/<role>/iter-NNNNN_<STAMP>.log. Exit 0 when done,
    1 on an error (nothing committed for the turn), 130 when interrupted (rerun to resume).
    """
    import signal

    from supervisor.config import load_config
    from supervisor.loop import LoopOptions, run_loop
    from supervisor.loop.presets import resolve_agent

    config = load_config(start_dir(ctx))
    argv = resolve_agent(agent, config)  # NAME: a preset; else "CMD ARGS" as before
    options = LoopOptions(
        agent=argv,
        iterations=iterations,
        timeout=timeout,
        branch=branch,
        sync=sync,
        role=role or "both",
        poll_s=poll,
        wait_s=wait,
    )
    signal.signal(signal.SIGHUP, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)
    for w in config.warnings:
        warn(w)
    result = run_loop(start_dir(ctx), options, _progress)
    if as_json:
        emit_json("loop", result.as_dict())
    else:
        s = result.state
        emit(
            f"{result.iterations} iteration(s) done; state {result.state_path}: iteration "
            f"{s.iteration}, {s.expected_actor}'s turn, {s.status}\n"
        )
    if result.status == "interrupted":
        sys.stderr.write(
            f"interrupted: the turn in progress is marked interrupted in {result.state_path}; "
            "rerun to resume\n"
        )
        raise typer.Exit(130)


def _progress(line: str) -> None:
    from supervisor.cli._common import escape_controls

    sys.stderr.write(f"loop: {escape_controls(line)}\n")
    sys.stderr.flush()


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM, SIGHUP: stop like Ctrl-C
