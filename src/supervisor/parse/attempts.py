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

from supervisor.errors import ParseError
from supervisor.model import Attempt, Field, Outcome
from supervisor.parse.fields import list_entries, paths_in

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
    words = [w.lower() for w in _WORD.findall(text[:120])][:6]
    if words and words[0] in _DECISIVE:  # "⚠️ BLOCKED (timeout)" is blocked, not partial
        return _DECISIVE[words[0]]
    for emoji, outcome in _EMOJI.items():
        if text.startswith(emoji):
            return outcome
    if not words:
        return Outcome.UNKNOWN if not text[0].isalnum() else Outcome.OTHER
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


MAX_DIGITS = 9  # attempt numbers past this are refused, not converted (int limit, sanity)


def attempt_number(digits: str, path: str, line: int) -> int:
    """``int(digits)``, refusing absurdly long numbers with a ``path:line`` error."""
    if len(digits) > MAX_DIGITS:
        shown = digits if len(digits) <= 20 else f"{digits[:12]}…"
        raise ParseError(
            f"attempt number #{shown} has {len(digits)} digits (at most {MAX_DIGITS})",
            path=path or None,
            line=line or None,
            hint="renumber the attempt",
        )
    return int(digits)


def parse_head(
    head: str, path: str = "", line: int = 0
) -> tuple[int | None, int | None, str | None, str | None, str | None, str]:
    """``(number, number_end, date, note, keyword, result)`` of an entry's first line
    (``path`` and ``line`` only place the error for an absurdly long attempt number)."""
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
        number = attempt_number(m.group(1), path, line)
        number_end = attempt_number(m.group(2), path, line) if m.group(2) else number
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


def parse_attempts(field: Field) -> tuple[Attempt, ...]:
    """The entries of an Attempts History field, in file order."""
    out: list[Attempt] = []
    for entry in list_entries(field):
        head, text = entry.head, entry.text
        where = (entry.span.path, entry.span.start)
        number, number_end, date, note, keyword, result = parse_head(head, *where)
        artifacts = tuple(p for p in paths_in(text) if "/" in p)
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
                span=entry.span,
            )
        )
    return tuple(out)
