"""``sim batch FILE``: many ``run``/``trace`` invocations in one process.

A loop that dispatches many small simulations pays the torch import (about 1.5 s) once per
process; a batch pays it once. The file holds one invocation a line, with exactly the flags
of ``sim run``/``sim trace`` (C-style or long, shell quoting), e.g.::

    # blank lines and lines starting with '#' are skipped
    trace --pixel 67 128 --out t1.log -default_F 100 -cell 100 100 100 90 90 90 -N 5
    run --floatfile a.bin -default_F 100 -cell 100 100 100 90 90 90 -N 5 -detpixels 64

Each line runs independently: a failing line reports its own exit code and the next line
still runs. This module parses the file and aggregates the results; running a line is the
CLI's job (the same code path as a separate ``sim`` process).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sim.errors import EXIT_BUG, EXIT_INTERRUPTED, EXIT_OK, EXIT_USER, SimError

COMMANDS = ("run", "trace")
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class BatchLine:
    path: str
    line: int
    argv: tuple[str, ...]  # starts with "run" or "trace"


@dataclass(frozen=True)
class LineResult:
    line: BatchLine
    exit_code: int
    seconds: float


def parse_batch(path: Path) -> tuple[BatchLine, ...]:
    """The invocations of a batch file; ``path:line`` errors for lines that cannot run."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise SimError(f"cannot read batch file: {reason}", path=path) from None
    lines: list[BatchLine] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            argv = shlex.split(stripped)
        except ValueError as exc:
            raise SimError(f"cannot split the line: {exc}", path=path, line=number) from None
        if argv[0] not in COMMANDS:
            raise SimError(
                f"unknown command {argv[0]!r}",
                path=path,
                line=number,
                fix=f"each line starts with one of: {', '.join(COMMANDS)}",
            )
        lines.append(BatchLine(str(path), number, tuple(argv)))
    if not lines:
        raise SimError("batch file has no invocations", path=path, fix="one run/trace a line")
    return tuple(lines)


def run_batch(
    lines: tuple[BatchLine, ...],
    execute: Callable[[BatchLine], int],
    clock: Callable[[], float],
) -> tuple[LineResult, ...]:
    """Run every line (a failure does not stop the batch; Ctrl-C does)."""
    results: list[LineResult] = []
    for line in lines:
        started = clock()
        code = execute(line)
        results.append(LineResult(line, code, clock() - started))
        if code == EXIT_INTERRUPTED:
            break
    return tuple(results)


def batch_exit_code(results: tuple[LineResult, ...]) -> int:
    """130 if interrupted, else 3 if any line hit a bug, else 1 if any failed, else 0."""
    codes = {r.exit_code for r in results}
    for code in (EXIT_INTERRUPTED, EXIT_BUG):
        if code in codes:
            return code
    return EXIT_OK if codes <= {EXIT_OK} else EXIT_USER


def batch_json(results: tuple[LineResult, ...]) -> dict[str, object]:
    """The ``--json`` report (versioned)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "sim-batch",
        "exit_code": batch_exit_code(results),
        "results": [
            {
                "line": r.line.line,
                "command": r.line.argv[0],
                "argv": list(r.line.argv),
                "exit_code": r.exit_code,
                "seconds": round(r.seconds, 6),
            }
            for r in results
        ],
    }
