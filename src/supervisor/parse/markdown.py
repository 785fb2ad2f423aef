"""The one markdown-it setup, plus a cheap line-level outline of a markdown text.

The outline (headings, rules, fences, conflict markers with line numbers) is a single pass
over the lines and costs a few milliseconds even on the 847 KB corpus ledger; markdown-it is
then run only over the small regions a caller needs (one item's Attempts History, a plan,
the ledger's Index table). Tokens never leave the ``parse`` package.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
_RULE = re.compile(r"^ {0,3}(?:-[ \t]*){3,}$|^ {0,3}(?:\*[ \t]*){3,}$|^ {0,3}(?:_[ \t]*){3,}$")
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})(.*)$")
_CONFLICT = re.compile(r"^(<{7}|={7}|>{7})(?: |$)")


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    line: int  # 1-based


@dataclass(frozen=True)
class Outline:
    """Line-level structure of a markdown text; all line numbers are 1-based."""

    lines: tuple[str, ...]
    headings: tuple[Heading, ...]
    rules: tuple[int, ...]
    fenced: frozenset[int]  # lines inside (or delimiting) fenced code blocks
    conflicts: tuple[tuple[int, int], ...]  # (start, end) of <<<<<<< … >>>>>>> regions

    def line(self, n: int) -> str:
        return self.lines[n - 1]

    @property
    def line_count(self) -> int:
        return len(self.lines)


def split_lines(text: str) -> list[str]:
    """Lines without terminators; a trailing newline does not make an extra empty line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def outline(text: str) -> Outline:
    lines = split_lines(text)
    headings: list[Heading] = []
    rules: list[int] = []
    fenced: set[int] = set()
    conflicts: list[tuple[int, int]] = []
    fence: str | None = None
    conflict_start: int | None = None
    for i, line in enumerate(lines, start=1):
        if not line:
            continue
        first = line[0]
        if fence is not None:
            fenced.add(i)
            m = _FENCE.match(line)
            closing = m is not None and m.group(1)[0] == fence[0] and not m.group(2).strip()
            if closing and m is not None and len(m.group(1)) >= len(fence):
                fence = None
            continue
        if first in " \t`~":
            m = _FENCE.match(line)
            if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
                fence = m.group(1)
                fenced.add(i)
            continue
        if first == "#":
            hm = _HEADING.match(line)
            if hm:
                headings.append(Heading(len(hm.group(1)), hm.group(2).strip(), i))
        elif first in "-*_" and _RULE.match(line):
            rules.append(i)
        elif first in "<=>" and _CONFLICT.match(line):
            if first == "<":
                conflict_start = i
            elif first == ">" and conflict_start is not None:
                conflicts.append((conflict_start, i))
                conflict_start = None
    return Outline(tuple(lines), tuple(headings), tuple(rules), frozenset(fenced), tuple(conflicts))


# --------------------------------------------------------------------------- markdown-it


@cache
def _md() -> MarkdownIt:
    from markdown_it import MarkdownIt

    # Block structure only: inline tokenizing (emphasis, links, …) is never used and would
    # double the cost of parsing a plan.
    return (
        MarkdownIt("commonmark", {"html": False}).enable("table").disable(["inline", "text_join"])
    )


def tokens(lines: Sequence[str]) -> list[Token]:
    """Block tokens of ``lines``; ``token.map`` is 0-based relative to ``lines[0]``."""
    return _md().parse("\n".join(lines) + "\n")


def inline_text(tok: Token) -> str:
    """The source text of an inline token (markdown kept: backticks, bold markers)."""
    return tok.content


@dataclass(frozen=True)
class Block:
    """A markdown-it block reduced to what parsers need: kind, nesting level, line range."""

    kind: str  # "list_item", "paragraph", "table_row", "heading", "fence", …
    level: int
    start: int  # 0-based, inclusive
    end: int  # 0-based, exclusive
    text: str  # inline content for paragraphs and headings; info for fences
    cells: tuple[str, ...] = ()  # table rows: raw cells
    table: int = -1  # table rows: ordinal of the table in the text
    header: bool = False  # table rows: the header row


def blocks(lines: Sequence[str]) -> list[Block]:
    """Flatten the token stream into blocks with line ranges (tables become rows)."""
    toks = tokens(lines)
    out: list[Block] = []
    table = -1
    in_head = False
    i = 0
    while i < len(toks):
        tok = toks[i]
        t = tok.type
        if t == "table_open":
            table += 1
        elif t in ("thead_open", "thead_close"):
            in_head = t == "thead_open"
        if t in ("list_item_open", "paragraph_open", "heading_open") and tok.map:
            text = ""
            if t != "list_item_open" and i + 1 < len(toks) and toks[i + 1].type == "inline":
                text = toks[i + 1].content
            kind = t[: -len("_open")]
            out.append(Block(kind, tok.level, tok.map[0], tok.map[1], text))
        elif t == "fence" and tok.map:
            out.append(Block("fence", tok.level, tok.map[0], tok.map[1], tok.info))
        elif t == "tr_open" and tok.map:
            # markdown-it drops cells beyond the header's count; split the raw line instead.
            cells = split_row(lines[tok.map[0]])
            row = Block("table_row", tok.level, tok.map[0], tok.map[1], "", cells, table, in_head)
            out.append(row)
        i += 1
    return out


def cell_spans(line: str) -> list[tuple[int, int]]:
    """Offsets ``(start, end)`` of each table cell's text, splitting on ``|`` outside code
    spans and escapes; the empty outer cells of ``| a | b |`` are dropped, so a missing
    leading or trailing pipe changes nothing. Editors use these to replace one cell in place."""
    bounds = [-1]
    tick_run = 0  # length of the backtick run that opened the current code span
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "`":
            j = i
            while j < n and line[j] == "`":
                j += 1
            run = j - i
            if tick_run == 0 and line.find("`" * run, j) != -1:
                tick_run = run
            elif tick_run == run:
                tick_run = 0
            i = j
            continue
        if ch == "|" and tick_run == 0:
            bounds.append(i)
        i += 1
    bounds.append(n)
    spans = [(bounds[k] + 1, bounds[k + 1]) for k in range(len(bounds) - 1)]
    stripped = line.strip()
    if stripped.startswith("|") and spans and not line[slice(*spans[0])].strip():
        spans = spans[1:]
    if stripped.endswith("|") and spans and not line[slice(*spans[-1])].strip():
        spans = spans[:-1]
    return spans


def split_row(line: str) -> tuple[str, ...]:
    """Cells of a table row (see :func:`cell_spans`), stripped."""
    return tuple(line[a:b].strip() for a, b in cell_spans(line))
