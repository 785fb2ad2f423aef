"""`supervisor replay`: selection replayed on a loop's recorded history."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from supervisor.cli._common import emit, emit_json, start_dir, warn


def replay_command(
    ctx: typer.Context,
    repo: Path | None = typer.Option(
        None,
        "--repo",
        metavar="DIR",
        help="The loop's git repository (a clone of a bundle is fine). Default: the workspace.",
        file_okay=False,
    ),
    config: Path | None = typer.Option(
        None,
        "--config",
        metavar="FILE",
        help="supervisor.yaml to replay with. Default: the workspace's (walk-up from -C/cwd).",
        dir_okay=False,
    ),
    since: str | None = typer.Option(None, "--since", metavar="DATE", help="First day (ISO)."),
    until: str | None = typer.Option(None, "--until", metavar="DATE", help="Last day (ISO)."),
    brief: str | None = typer.Option(
        None, "--brief", metavar="PATH", help="The brief file whose commits are turns."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print versioned JSON (kind: replay)."),
    table: bool = typer.Option(True, "--table/--no-table", help="Print the per-turn table."),
    out: Path | None = typer.Option(
        None,
        "--out",
        metavar="DIR",
        help="Write replay.json, summary.md and agreement.png (matplotlib) into DIR.",
        file_okay=False,
    ),
) -> None:
    """Replay a loop's history: every commit that changed the brief is a turn; selection runs
    on the workspace its first parent holds (read from git objects, no checkout) and is
    compared with the recorded brief — item, phase, task — with the reason for each difference.
    """
    from supervisor.config import find_config, parse_config
    from supervisor.errors import ConfigError
    from supervisor.replay import report
    from supervisor.replay.engine import replay

    path = config if config is not None else find_config(start_dir(ctx))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", path=str(path)) from None
    cfg = parse_config(text, path)
    for w in cfg.warnings:
        warn(w)
    root = repo if repo is not None else cfg.root

    def progress(n: int, total: int) -> None:
        if sys.stderr.isatty() and (n == total or n % 10 == 0):
            sys.stderr.write(f"\rreplaying turn {n}/{total}")
            if n == total:
                sys.stderr.write("\n")

    result = replay(root, cfg, brief=brief, since=since, until=until, progress=progress)
    if out is not None:
        for line in report.write_out(result, out):
            sys.stderr.write(f"wrote {line}\n" if not line.startswith("(") else f"{line}\n")
    if as_json:
        emit_json("replay", result.as_dict())
    else:
        emit(report.text(result, table))
