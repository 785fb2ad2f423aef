"""Attempts History entries: ``* [date] Attempt #N (note) — Result: text``.

Entries are found line by line (a bullet at the entry indentation starts one; deeper lines,
fences and continuation lines belong to it), which keeps the 377 KB Attempts History of the
corpus's largest item at a few milliseconds. Each head survives the variants of FORMATS.md
§1.5–1.6: no number, ranges, plural ``Attempts``, NBSP / narrow NBSP before ``#``, ``#0``,
STAMP or ``date time UTC`` dates, placeholders, em dashes inside the parenthetical, ``). Result:``
separators, ``Status:`` or no keyword, bold heads.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from supervisor.model import Attempt, Field, Outcome, Span
from supervisor.parse.fields import paths_in

_BULLET = re.compile(r"^([ \t]*)(?:[*+-]|\d{1,3}[.)])[ \t]+(.*)$")
_DATE = re.compile(r"^\[([^\]\n]{0,40})\][ \t]*")
_NUMBER = re.compile(
    r"^(?:\*\*)?Attempts?(?:\s*#\s*|\s+)(\d+)(?:\s*(?:[–—-]|to)\s*#?\s*(\d+))?(?:\*\*)?",
    re.IGNORECASE,
)
_KEYWORD = re.compile(r"(?:\*\*)?\b(Result|Status)\b(?:\*\*)?\s*:(?:\*\*)?\s*")
_LEAD = re.compile(r"^[\s—–.:,;*-]+")
_WORD = re.compile(r"[A-Za-z][A-Za-z_-]*")

_EMOJI = {"✅": Outcome.SUCCESS, "⚠": Outcome.PARTIAL, "❌": Outcome.FAILED, "🟡": Outcome.BLOCKED}
_WORDS = {
    Outcome.SUCCESS: {
        "success", "successful", "succeeded", "succeed", "pass", "passed", "complete",
        "completed", "done", "resolved", "fixed", "implemented", "verified", "green",
    },
    Outcome.PARTIAL: {"partial", "partially", "progress", "in_progress", "in-progress", "mixed"},
    Outcome.FAILED: {"failed", "fail", "failure", "regression", "broken", "error", "invalid"},
    Outcome.BLOCKED: {"blocked", "stalled", "stuck"},
}  # fmt: skip
_DECISIVE = {w: o for o, ws in _WORDS.items() for w in ws}


def classify(result: str) -> Outcome:
    """Normalize a result text to an :class:`Outcome` (emoji first, then the first words)."""
    text = result.replace("**", "").strip()
    if not text:
        return Outcome.UNKNOWN
    for emoji, outcome in _EMOJI.items():
        if text.startswith(emoji):
            return outcome
    words = [w.lower() for w in _WORD.findall(text[:120])][:6]
    if not words:
        return Outcome.UNKNOWN if not text[0].isalnum() else Outcome.OTHER
    if words[0] in _DECISIVE:
        return _DECISIVE[words[0]]
    if words[0] in ("phase", "task", "step", "stage"):  # "Phase C1 COMPLETE"
        for w in words[1:]:
            if w in _DECISIVE:
                return _DECISIVE[w]
    return Outcome.OTHER


def _paren(text: str) -> tuple[str | None, str]:
    """Split a leading balanced ``( … )`` off ``text``."""
    s = text.lstrip()
    if not s.startswith("("):
        return None, text
    depth = 0
    for i, ch in enumerate(s):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return s[1:i].strip(), s[i + 1 :]
    return None, text


def parse_head(head: str) -> tuple[int | None, int | None, str | None, str | None, str | None, str]:
    """``(number, number_end, date, note, keyword, result)`` of an entry's first line."""
    s = head.strip()
    bold_head = s.startswith("**")
    if bold_head:
        s = s[2:]
    date = None
    m = _DATE.match(s)
    if m:
        date = m.group(1).strip()
        s = s[m.end() :]
    number = number_end = None
    m = _NUMBER.match(s)
    if m:
        number = int(m.group(1))
        number_end = int(m.group(2)) if m.group(2) else number
        s = s[m.end() :]
        if date is None:  # "**Attempt #1 (2025-09-30 debug loop)**: …"
            pass
    note, rest = _paren(s) if number is not None else (None, s)
    if bold_head:
        rest = rest.replace("**", "", 1) if rest.lstrip().startswith("**") else rest
    k = _KEYWORD.search(rest)
    if k and (number is not None or k.start() < 80):
        keyword: str | None = k.group(1).capitalize()
        result = rest[k.end() :]
    else:
        keyword = None
        result = _LEAD.sub("", rest)
    return number, number_end, date, note, keyword, result.strip()


def _entry_starts(lines: Sequence[str], fenced: frozenset[int]) -> list[int]:
    """0-based indices of entry heads within a field's lines (line 0 is the field bullet)."""
    indent: int | None = None
    starts: list[int] = []
    for i in range(1, len(lines)):
        if i in fenced:
            continue
        m = _BULLET.match(lines[i])
        if not m:
            continue
        width = len(m.group(1).expandtabs(4))
        if indent is None:
            indent = width
        if width <= indent:
            starts.append(i)
    return starts


def _fenced_rows(lines: Sequence[str]) -> frozenset[int]:
    out: set[int] = set()
    fence: str | None = None
    for i, line in enumerate(lines):
        s = line.lstrip()
        if fence is None:
            if s.startswith(("```", "~~~")):
                fence = s[:3]
                out.add(i)
        else:
            out.add(i)
            if s.startswith(fence) and not s[3:].strip("`~ "):
                fence = None
    return frozenset(out)


def parse_attempts(field: Field) -> tuple[Attempt, ...]:
    """The entries of an Attempts History field, in file order."""
    lines = field.raw.split("\n")
    starts = _entry_starts(lines, _fenced_rows(lines))
    out: list[Attempt] = []
    for k, s in enumerate(starts):
        e = (starts[k + 1] if k + 1 < len(starts) else len(lines)) - 1
        while e > s and not lines[e].strip():
            e -= 1
        m = _BULLET.match(lines[s])
        head = m.group(2) if m else lines[s].strip()
        number, number_end, date, note, keyword, result = parse_head(head)
        body = lines[s : e + 1]
        cut = len(body[0]) - len(body[0].lstrip())
        text = "\n".join(x[cut:] if x[:cut].strip() == "" else x.lstrip() for x in body)
        artifacts = tuple(p for p in paths_in(text) if "/" in p)
        start = field.span.start + s
        out.append(
            Attempt(
                number=number,
                number_end=number_end,
                date=date,
                note=note,
                keyword=keyword,
                result=result,
                outcome=classify(result),
                head=head,
                text=text,
                artifacts=artifacts,
                span=Span(field.span.path, start, field.span.start + e),
            )
        )
    return tuple(out)
