"""Ledger and plan text carried into a brief verbatim: on one line, bounded, never rewritten.

Markdown is data here. Inline code (`` `Simulator.__init__` ``), dunder names and bold
markers reach the brief exactly as written; the only changes are joining lines (so text can
never start a brief section of its own) and, past a bound, a cut at a line or sentence
boundary marked with a visible ``…``. A cut never lands inside an inline code span.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"
_CODE = re.compile(r"`[^`\n]*`")
_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_SENTENCE = re.compile(r"[.!?;](?=\s)")
_SPACE = re.compile(r"[ \t\r\n\u00a0\u202f]+")


def _code_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _CODE.finditer(text)]


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a < pos < b for a, b in spans)


def _cut(text: str, limit: int, boundaries: list[int]) -> str:
    """``text`` cut to at most ``limit`` characters (ellipsis included): at the last boundary
    past half the limit, else at the last space, never inside inline code."""
    if len(text) <= limit:
        return text
    room = max(1, limit - len(ELLIPSIS) - 1)
    spans = _code_spans(text)
    good = [b for b in boundaries if limit // 2 <= b <= room and not _inside(b, spans)]
    if not good:
        good = [i for i, c in enumerate(text[: room + 1]) if c == " " and not _inside(i, spans)]
    end = good[-1] if good else room
    for a, b in spans:  # no boundary at all: at least never split a code span
        if a < end < b:
            end = a
    return text[:end].rstrip() + " " + ELLIPSIS


def excerpt(text: str, limit: int = 1200) -> str:
    """``text`` on one line, verbatim, cut at a line or sentence boundary past ``limit``.

    Lines are joined with a single space (their indentation dropped); ``<br>`` tags of table
    cells count as line ends for cutting but stay in the text."""
    parts: list[str] = []
    boundaries: list[int] = []
    pos = 0
    for raw in text.split("\n"):
        if pos > limit:
            break  # whole lines only, so no code span is cut short here
        ln = raw.strip()
        if not ln:
            continue
        if parts:
            pos += 1
        parts.append(ln)
        for m in _SENTENCE.finditer(ln):
            boundaries.append(pos + m.end())
        for m in _BREAK.finditer(ln):
            boundaries.append(pos + m.end())
        pos += len(ln)
        boundaries.append(pos)
    flat = " ".join(parts)
    return _cut(flat, limit, sorted(set(boundaries)))


def one_line(text: str, limit: int = 240) -> str:
    """A list or paragraph as one line: list markers dropped, entries joined with ``'; '``,
    whitespace collapsed, clipped at a word boundary past ``limit``. Nothing else changes."""
    parts: list[str] = []
    size = 0
    for raw in text.split("\n"):
        if size > limit:
            break  # whole lines only, so no code span is cut short here
        part = _SPACE.sub(" ", _LIST_MARK.sub("", raw)).strip().rstrip(" .;")
        if part:
            parts.append(part)
            size += len(part) + 2
    return _cut("; ".join(parts), limit, [])
