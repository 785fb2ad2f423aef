"""The single-focus ledger shape: one ``## Current Focus`` section naming the item, and an
``## Attempts History`` section whose entries are ``### <timestamp> — <label>`` headings.

    # Ledger
    ## Current Focus
    [PARSER-002] Tolerant plan parsing      (or: - Item: PARSER-002 — Tolerant plan parsing)
    - Status: in_progress
    - Next Actions: B2 then B3
    ## Attempts History
    ### 2026-01-03T10:00Z — Attempt #2: B1 landed (success)
    …

The result is the same :class:`~supervisor.model.Ledger` as the sectioned shape: one item,
its fields from the Current Focus section, its attempts from the history headings (numbered
by ``#N`` in the label, else by order). Heading texts are configurable (``ledger:`` in
supervisor.yaml).
"""

from __future__ import annotations

import re

from supervisor.model import Attempt, Item, Ledger, Outcome, Span
from supervisor.parse.attempts import classify
from supervisor.parse.fields import ID_PATTERN, normalize_id, paths_in, scan_fields
from supervisor.parse.markdown import Outline, outline

_ID = re.compile(rf"(?<![A-Za-z0-9-])\[?({ID_PATTERN})\]?(?![A-Za-z0-9])")
_NUM = re.compile(r"(?:Attempt\s*)?#\s*(\d{1,6})\b")
_ENTRY = re.compile(r"^(?P<date>.+?)\s+[—–-]{1,2}\s+(?P<label>.+)$")


def parse_focus_ledger(text: str, path: str, focus_heading: str, history_heading: str) -> Ledger:
    """The ledger as one item; raises nothing (an unreadable shape yields no items)."""
    o = outline(text)
    focus = _section(o, focus_heading)
    history = _section(o, history_heading)
    items: tuple[Item, ...] = ()
    if focus is not None:
        (h_line, h_level), end = focus
        fields = scan_fields(o.lines, h_line + 1, end, path, o.fenced) if end > h_line else []
        ident, title = _named(o, h_line, end)
        if ident is not None:
            attempts = _attempts(o, path, history) if history is not None else ()
            items = (
                Item(
                    ident, title, h_level, tuple(fields), Span(path, h_line, end),
                    preset_attempts=attempts,
                ),
            )  # fmt: skip
    return Ledger(
        path=path,
        title=next((h.text for h in o.headings if h.level == 1), None),
        last_updated=None,
        last_updated_span=None,
        active_focus=(),
        index=(),
        items=items,
        conflicts=(),
        line_count=o.line_count,
    )


def _section(o: Outline, name: str) -> tuple[tuple[int, int], int] | None:
    """``((heading line, level), last line)`` of the first heading whose text is ``name``."""
    want = name.strip().lstrip("#").strip().lower()
    for k, h in enumerate(o.headings):
        if h.text.strip().lower() == want:
            end = o.line_count
            for nxt in o.headings[k + 1 :]:
                if nxt.level <= h.level:
                    end = nxt.line - 1
                    break
            while end > h.line and not o.line(end).strip():
                end -= 1
            return (h.line, h.level), end
    return None


def _named(o: Outline, start: int, end: int) -> tuple[str | None, str]:
    """The first ID in the section's text, and the rest of that line as the title."""
    for n in range(start + 1, end + 1):
        line = o.line(n)
        m = _ID.search(line)
        if m:
            title = line[m.end() :].strip(" \t*_`—–-:")
            return normalize_id(m.group(1)), title
    return None, ""


def _attempts(o: Outline, path: str, history: tuple[tuple[int, int], int]) -> tuple[Attempt, ...]:
    (h_line, h_level), end = history
    heads = [h for h in o.headings if h_line < h.line <= end and h.level == h_level + 1]
    out: list[Attempt] = []
    for k, h in enumerate(heads):
        last = heads[k + 1].line - 1 if k + 1 < len(heads) else end
        while last > h.line and not o.line(last).strip():
            last -= 1
        body = "\n".join(o.lines[h.line : last])
        m = _ENTRY.match(h.text.strip())
        date, label = (m.group("date").strip(), m.group("label").strip()) if m else (None, h.text)
        num = _NUM.search(label)
        number = int(num.group(1)) if num else k + 1
        out.append(
            Attempt(
                number=number,
                number_end=number,
                date=date,
                note=None,
                keyword=None,
                result=label,
                outcome=_outcome(label, body),
                head=h.text.strip(),
                text=f"{h.text.strip()}\n{body}".rstrip(),
                artifacts=tuple(p for p in paths_in(body) if "/" in p),
                span=Span(path, h.line, last),
            )
        )
    return tuple(out)


_OUTCOME_WORD = re.compile(
    r"\b(success(?:ful)?|succeeded|passed|done|partial|failed|failure|blocked)\b", re.I
)
_OUTCOMES = {
    "success": Outcome.SUCCESS, "successful": Outcome.SUCCESS, "succeeded": Outcome.SUCCESS,
    "passed": Outcome.SUCCESS, "done": Outcome.SUCCESS, "partial": Outcome.PARTIAL,
    "failed": Outcome.FAILED, "failure": Outcome.FAILED, "blocked": Outcome.BLOCKED,
}  # fmt: skip


def _outcome(label: str, body: str) -> Outcome:
    """An outcome word anywhere in the heading label (``… (success)``), else the body's
    ``Result:`` line, else the body's first words."""
    m = _OUTCOME_WORD.search(label)
    if m:
        return _OUTCOMES[m.group(1).lower()]
    r = re.search(r"Result\s*:\s*(.*)", body)
    return classify(r.group(1) if r else body.strip()[:200])
