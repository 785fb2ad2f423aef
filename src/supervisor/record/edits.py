"""Span edits: replace or insert whole lines, applied bottom-up so earlier spans stay valid,
with a check that nothing outside the intended lines changed.

Line numbers are 1-based. An edit replaces lines ``start..end`` (inclusive) with ``lines``;
``end == start - 1`` inserts before ``start`` (``start == count + 1`` appends).
Line endings are preserved: inserted lines take the file's prevailing ending.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from supervisor.errors import WriteConflictError

_LINES = re.compile(r"[^\n]*\n|[^\n]+$")


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    lines: tuple[str, ...]
    why: str = ""

    @classmethod
    def replace(cls, line: int, text: str, why: str = "") -> Edit:
        return cls(line, line, (text,), why)

    @classmethod
    def insert_after(cls, line: int, lines: Sequence[str], why: str = "") -> Edit:
        return cls(line + 1, line, tuple(lines), why)


def _ending(text: str) -> str:
    return "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """``text`` with ``edits`` applied bottom-up; overlapping edits are a bug."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end), reverse=True)
    lines = _LINES.findall(text)  # split on "\n" only, like the parsers
    nl = _ending(text)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += nl  # re-stripped below when the file had no final newline
        trailing = False
    else:
        trailing = True
    floor = len(lines) + 2
    for e in ordered:
        if not (1 <= e.start <= len(lines) + 1 and e.start - 1 <= e.end <= len(lines)):
            raise ValueError(f"edit {e.start}-{e.end} outside 1-{len(lines)}")
        if e.end >= floor:
            raise ValueError(f"overlapping edits at line {e.start}")
        lines[e.start - 1 : e.end] = [ln + nl for ln in e.lines]
        floor = e.start
    out = "".join(lines)
    if not trailing and out.endswith(nl):
        out = out[: -len(nl)]
    return out


def changed_ranges(old: str, new: str) -> list[tuple[int, int]]:
    """Old-file line ranges (1-based, inclusive; ``(n+1, n)`` for pure insertions after
    line n) that differ between ``old`` and ``new``."""
    a, b = old.split("\n"), new.split("\n")
    out = []
    for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            out.append((i1 + 1, i2))
    return out


def verify_confined(old: str, new: str, allowed: Iterable[tuple[int, int]], path: str) -> None:
    """Refuse a rewrite that changed lines outside the ``allowed`` old-file ranges.

    Judged line by line, not per diff block: adjacent edits merge into one difflib block,
    and each changed old line only needs to lie in some allowed range. An insertion (no old
    line changed) must fall at or next to an allowed range."""
    spans = list(allowed)
    for lo, hi in changed_ranges(old, new):
        if hi < lo:  # pure insertion between old lines hi and lo
            bad = None if any(a - 1 <= lo and hi <= b for a, b in spans) else lo
        else:
            bad = next((n for n in range(lo, hi + 1) if not _covered(n, spans)), None)
        if bad is not None:
            raise WriteConflictError(
                f"an edit would change lines {lo}-{hi} outside the intended entries",
                path=path,
                line=bad,
                hint="nothing was written; this is a bug in the edit — please report it",
            )


def _covered(line: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(a <= line <= b for a, b in spans)
