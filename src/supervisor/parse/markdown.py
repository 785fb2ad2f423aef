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

# Both checks are linear in the line length (no backtracking over a 50 MB line): the
# heading's closing run of ``#``/blanks is stripped with rstrip, a rule is tested with str ops.
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*)$")
_CELL_TOKEN = re.compile(r"\\.?|`+|\|")


def _heading(line: str) -> tuple[int, str] | None:
    m = _HEADING.match(line)
    return (len(m.group(1)), m.group(2).rstrip(" \t#").strip()) if m else None


def _is_rule(line: str) -> bool:
    """A thematic break: 3+ of one of ``-*_``, blanks between, up to 3 spaces of indent."""
    s = line.lstrip(" ")
    if len(line) - len(s) > 3 or not s or s[0] not in "-*_":
        return False
    head = s[:8].replace(" ", "").replace("\t", "")
    if head != s[0] * len(head):
        return False  # "- Status: …", "**bold**": the common case, decided at once
    body = s.replace(" ", "").replace("\t", "")
    return len(body) >= 3 and body == s[0] * len(body)


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
            hm = _heading(line)
            if hm:
                headings.append(Heading(hm[0], hm[1], i))
        elif first in "-*_" and _is_rule(line):
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


MAX_BLOCK_LINE = 65_536  # longer lines are cut for the block pass (see tokens)


def tokens(lines: Sequence[str]) -> list[Token]:
    """Block tokens of ``lines``; ``token.map`` is 0-based relative to ``lines[0]``.

    Block structure is decided by the start of a line, so lines longer than
    :data:`MAX_BLOCK_LINE` are cut for this pass (markdown-it's per-character Python rules
    would spend tens of seconds on one 50 MB line); :func:`blocks` restores their text."""
    cut = [ln[:MAX_BLOCK_LINE] if len(ln) > MAX_BLOCK_LINE else ln for ln in lines]
    return _md().parse("\n".join(cut) + "\n")


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
                if any(len(ln) > MAX_BLOCK_LINE for ln in lines[tok.map[0] : tok.map[1]]):
                    text = _full_text(lines[tok.map[0] : tok.map[1]], t == "heading_open")
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


def _full_text(lines: Sequence[str], heading: bool) -> str:
    """The inline text of a paragraph or heading with a line cut by :func:`tokens`."""
    if heading:
        m = _heading(lines[0])
        return m[1] if m else lines[0].strip().lstrip("#").strip()
    return "\n".join(ln.strip() for ln in lines).strip()


def cell_spans(line: str) -> list[tuple[int, int]]:
    """Offsets ``(start, end)`` of each table cell's text, splitting on ``|`` outside code
    spans and escapes; the empty outer cells of ``| a | b |`` are dropped, so a missing
    leading or trailing pipe changes nothing. Editors use these to replace one cell in place."""
    if "`" not in line and "\\" not in line:  # no code spans or escapes: split at C speed
        bounds = [-1]
        at = line.find("|")
        while at != -1:
            bounds.append(at)
            at = line.find("|", at + 1)
        bounds.append(len(line))
        return _trim_outer(line, bounds)
    bounds = [-1]
    tick_run = 0  # length of the backtick run that opened the current code span
    closer: dict[int, int] = {}  # run length -> next position of such a run (-1: none left)
    for m in _CELL_TOKEN.finditer(line):
        tok = m.group()
        if tok[0] == "\\":
            continue
        if tok[0] == "`":
            run, j = len(tok), m.end()
            if tick_run == 0:
                known = closer.get(run)
                if known is None or (known != -1 and known < j):
                    known = closer[run] = line.find(tok, j)
                if known != -1:
                    tick_run = run
            elif tick_run == run:
                tick_run = 0
            continue
        if tick_run == 0:
            bounds.append(m.start())
    bounds.append(len(line))
    return _trim_outer(line, bounds)


def _trim_outer(line: str, bounds: list[int]) -> list[tuple[int, int]]:
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
