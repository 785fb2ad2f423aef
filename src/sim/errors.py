"""The simulator's one error type and its exit codes.

A :class:`SimError` is a problem the user can fix (bad option value, impossible cell, missing
or malformed input file). The CLI prints it as one line, ``error: path:line: problem — fix``,
and exits 1. Anything else that escapes is a bug (exit 3, traceback); Ctrl-C exits 130.
"""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_USER = 1
EXIT_BUG = 3
EXIT_INTERRUPTED = 130


class SimError(Exception):
    """A user-fixable problem, rendered as ``path:line: problem — fix``."""

    def __init__(
        self,
        problem: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path = None if path is None else str(path)
        self.line = line
        self.fix = fix

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line is not None else f"{self.path}: "
        tail = f" — {self.fix}" if self.fix else ""
        return f"{where}{self.problem}{tail}"
