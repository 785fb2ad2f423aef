"""``path:line`` pointers in free text: ``path:N``, ``path:a-b``, ``path:a-b,c-d`` (hyphen or
en dash), GitHub-style ``path#LN`` / ``path#LN-LM``. Paths must look like files (an extension
or a directory part); URLs are skipped."""

from __future__ import annotations

import re
from collections.abc import Sequence

from supervisor.model import Anchor, Span

_PATH = r"(?P<path>(?<![\w/.:-])(?:[\w.~-]+/)*[\w.-]+\.[A-Za-z0-9]{1,8})"
_RANGE = r"\d+(?:\s?[-–]\s?\d+)?"
_COLON = re.compile(rf"{_PATH}:(?P<ranges>{_RANGE}(?:,{_RANGE})*)(?![\w.])")
_GITHUB = re.compile(rf"{_PATH}#L(?P<a>\d+)(?:-L?(?P<b>\d+))?\b")


def _ranges(text: str) -> tuple[tuple[int, int], ...]:
    out = []
    for part in text.split(","):
        a, _, b = part.replace("–", "-").replace(" ", "").partition("-")
        lo = int(a)
        out.append((lo, int(b) if b else lo))
    return tuple(out)


def find_anchors(lines: Sequence[str], path: str, first_line: int = 1) -> list[Anchor]:
    """Every pointer in ``lines`` (which start at ``first_line`` of ``path``)."""
    out: list[Anchor] = []
    for k, line in enumerate(lines):
        if ":" not in line and "#L" not in line:
            continue
        where = Span(path, first_line + k, first_line + k)
        for m in _COLON.finditer(line):
            if line[max(0, m.start() - 3) : m.start()].endswith("://"):
                continue
            out.append(Anchor(m.group("path"), _ranges(m.group("ranges")), m.group(0), where))
        for m in _GITHUB.finditer(line):
            a = int(m.group("a"))
            b = int(m.group("b")) if m.group("b") else a
            out.append(Anchor(m.group("path"), ((a, b),), m.group(0), where))
    return out
