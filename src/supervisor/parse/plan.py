"""Phased plans ``plans/active/**/*.md`` -> :class:`Plan`.

Phases are headings ``Phase X — title`` at any level with ``—``, ``-``, ``:`` or no separator
and an optional trailing ``(Complete)``; per-phase ``Goal:`` / ``Prereqs:`` (or ``Prerqs:``) /
``Exit Criteria:`` lines; checklist tables ``ID | Task | State | Guidance`` (any of the header
variants of FORMATS.md §2.3). Every State marker of the corpus is normalized to
:class:`TaskState`, the raw marker kept. Other tables (risks, metrics) are not tasks.
Checkbox task lists are tasks too: ``- [ ] T001 [P] Create …`` (spec-kit ``tasks.md``) or
``- [x] A1: …``, when the text after the box starts with a task ID; the box is the state
(a spec-kit ``[P]`` after the ID means "parallel" and stays in the description).
"""

from __future__ import annotations

import re

from supervisor.model import Field, Phase, Plan, Span, Task, TaskState
from supervisor.parse.fields import plain, scan_fields
from supervisor.parse.markdown import Block, Outline, blocks, outline

_PHASE = re.compile(
    r"^(?:\*\*)?Phase[\s\u00a0\u202f]+([A-Za-z0-9][A-Za-z0-9.\u2011-]*)(?:\*\*)?\s*(.*)$"
)
_NOT_PHASE_IDS = {"overview", "status", "summary", "goals", "plan", "checklist"}
_TRAILING_NOTE = re.compile(r"\s*\(([^()]*)\)\s*$")
_PHASE_LINE = re.compile(
    r"^(?:\*\*)?(Goal|Phase Goal|Prereqs|Prerqs|Prerequisites|Exit Criteria)(?:\*\*)?\s*:"
    r"(?:\*\*)?\s*(.*)$"
)
_CHECKBOX = re.compile(r"^[-*+][ \t]+\[([^\]\[]{0,6})\][ \t]+(.*)$")
_CHECKBOX_ID = re.compile(r"^\**([A-Z]{0,3}\d+[a-z]?(?:\.[0-9A-Za-z]+)*)\**(?::|\s|$)[ \t]*(.*)$")
_MARKER = re.compile(r"\[\s*([^\]\[]{0,8}?)\s*\]")
_STATES: dict[str, TaskState] = {
    "": TaskState.NOT_STARTED,
    "D": TaskState.DONE,
    "X": TaskState.DONE,
    "P": TaskState.IN_PROGRESS,
    "⚠️": TaskState.IN_PROGRESS,
    "⚠": TaskState.IN_PROGRESS,
    "B": TaskState.BLOCKED,
    "~": TaskState.SKIPPED,
    "-": TaskState.SKIPPED,
    "S": TaskState.SKIPPED,
    "SKIP": TaskState.SKIPPED,
    "DEFER": TaskState.SKIPPED,
}
_WORD_STATES: dict[str, TaskState] = {
    "done": TaskState.DONE,
    "complete": TaskState.DONE,
    "completed": TaskState.DONE,
    "✅": TaskState.DONE,
    "open": TaskState.NOT_STARTED,
    "todo": TaskState.NOT_STARTED,
    "pending": TaskState.NOT_STARTED,
    "not started": TaskState.NOT_STARTED,
    "in progress": TaskState.IN_PROGRESS,
    "in_progress": TaskState.IN_PROGRESS,
    "partial": TaskState.IN_PROGRESS,
    "blocked": TaskState.BLOCKED,
    "skipped": TaskState.SKIPPED,
    "deferred": TaskState.SKIPPED,
}


def parse_state(cell: str) -> TaskState | None:
    """The normalized state of a State cell, or None when it holds no recognizable marker."""
    text = cell.strip().strip("`").strip()
    m = _MARKER.match(text)
    if m:
        return _STATES.get(m.group(1).upper() if m.group(1).isascii() else m.group(1))
    if not text:
        return TaskState.NOT_STARTED
    low = plain(text).lower().strip("`*_ .")
    for word, state in _WORD_STATES.items():
        if low == word or low.startswith(word + " "):
            return state
    return None


def parse_plan(text: str, path: str) -> Plan:
    o = outline(text)
    phases = _phases(o, path)
    return Plan(
        path=path,
        title=next((h.text for h in o.headings if h.level == 1), None),
        initiative=_initiative(o, path),
        context=tuple(_context(o, path)),
        phases=tuple(phases),
        span=Span(path, 1, max(1, o.line_count)),
    )


def _context(o: Outline, path: str) -> list[Field]:
    head = next((h for h in o.headings if plain(h.text).lower().startswith("context")), None)
    if head is None:
        return []
    end = next((h.line - 1 for h in o.headings if h.line > head.line), o.line_count)
    return scan_fields(o.lines, head.line + 1, end, path, o.fenced) if end > head.line else []


def _initiative(o: Outline, path: str) -> str | None:
    for f in _context(o, path):
        if f.label.lower() == "initiative":
            return f.value
    for line in o.lines[:40]:  # "**Related fix_plan item:** `[ID]`" metadata blocks
        m = re.match(
            r"^\*\*(?:Related fix_plan item|Initiative|Fix-plan item)s?:?\*\*:?\s*(.*)", line
        )
        if m:
            return m.group(1).strip()
    return None


def _phase_heading(text: str) -> tuple[str, str, str | None] | None:
    m = _PHASE.match(plain(text))
    if not m or m.group(1).lower() in _NOT_PHASE_IDS:
        return None
    ident, rest = m.group(1).rstrip(".:"), m.group(2).strip()
    rest = re.sub(r"^[—–:\-]+\s*", "", rest)
    note = None
    n = _TRAILING_NOTE.search(rest)
    if n:
        note, rest = n.group(1).strip(), rest[: n.start()].strip()
    return ident.replace("\u2011", "-"), rest.rstrip(" —–-:"), note


def _phases(o: Outline, path: str) -> list[Phase]:
    # (start line, level, id, title, note) for each phase heading; None id = loose tables
    marks: list[tuple[int, int, str | None, str, str | None]] = []
    for h in o.headings:
        ph = _phase_heading(h.text)
        if ph is not None:
            marks.append((h.line, h.level, *ph))
    rows = [b for b in blocks(o.lines) if b.kind == "table_row"]
    bounds = [m[0] for m in marks] + [o.line_count + 1]
    phases: list[Phase] = []
    first = marks[0][0] if marks else o.line_count + 1
    loose = _merge(_tasks(rows, path, 1, first - 1, None), _checkboxes(o, path, 1, first - 1, None))
    if loose:
        phases.append(_phase(o, path, None, "", None, 1, first - 1, loose))
    for k, (line, level, ident, title, note) in enumerate(marks):
        end = bounds[k + 1] - 1
        for h in o.headings:  # a non-phase heading of the same or higher level ends it
            if line < h.line <= end and h.level <= level and _phase_heading(h.text) is None:
                end = h.line - 1
                break
        tasks = _merge(_tasks(rows, path, line, end, ident), _checkboxes(o, path, line, end, ident))
        phases.append(_phase(o, path, ident, title, note, line, end, tasks))
    return phases


def _phase(
    o: Outline,
    path: str,
    ident: str | None,
    title: str,
    note: str | None,
    start: int,
    end: int,
    tasks: list[Task],
) -> Phase:
    while end > start and not o.line(end).strip():
        end -= 1
    meta: dict[str, str] = {}
    for n in range(start, end + 1):
        if n in o.fenced:
            continue
        m = _PHASE_LINE.match(o.line(n).strip())
        if m:
            key = {"phase goal": "goal", "prerqs": "prereqs", "prerequisites": "prereqs"}.get(
                m.group(1).lower(), m.group(1).lower()
            )
            meta.setdefault(key, m.group(2).strip())
    return Phase(
        id=ident,
        title=title,
        status_note=note,
        goal=meta.get("goal"),
        prereqs=meta.get("prereqs"),
        exit_criteria=meta.get("exit criteria"),
        tasks=tuple(tasks),
        span=Span(path, start, max(start, end)),
    )


def _tasks(rows: list[Block], path: str, first: int, last: int, phase: str | None) -> list[Task]:
    out: list[Task] = []
    header: dict[int, tuple[int, int, int] | None] = {}  # table -> (id col, state col, width)
    for b in rows:
        line = b.start + 1
        if not first <= line <= last:
            continue
        if b.header:
            header[b.table] = _checklist_columns(b.cells)
            continue
        cols = header.get(b.table)
        if cols is None:
            continue
        task = _task(b.cells, cols, path, line, phase)
        if task is not None:
            out.append(task)
    return out


def _checklist_columns(cells: tuple[str, ...]) -> tuple[int, int, int] | None:
    names = [plain(c).lower() for c in cells]
    if not names or not names[0].endswith("id"):
        return None
    for i, n in enumerate(names):
        if n in ("state", "status"):
            return 0, i, len(names)
    return None


def _task(
    cells: tuple[str, ...], cols: tuple[int, int, int], path: str, line: int, phase: str | None
) -> Task | None:
    id_col, state_col, width = cols
    if len(cells) <= id_col:
        return None
    ident = plain(cells[id_col]).strip("`*_ ")
    rest = [plain(c) for c in cells[id_col + 1 :]]
    if not ident or (cells[id_col].strip().startswith("**") and not any(rest)):
        return None  # bold section row: | **Section 0: Preparation** | | | |
    idx = state_col
    state = parse_state(cells[idx]) if idx < len(cells) else TaskState.NOT_STARTED
    if state is None or len(cells) > width:
        # unescaped pipes shift cells: take the first cell from the State column on that
        # holds a marker; the description absorbs the cells before it
        for j in range(idx, len(cells)):
            if _MARKER.match(cells[j].strip().strip("`")):
                found = parse_state(cells[j])
                if found is not None:
                    idx, state = j, found
                    break
    raw = cells[idx].strip() if idx < len(cells) else ""
    description = " | ".join(c.strip() for c in cells[id_col + 1 : idx])
    guidance = " | ".join(c.strip() for c in cells[idx + 1 :])
    return Task(
        id=ident,
        description=description,
        state=state if state is not None else TaskState.NOT_STARTED,
        raw_state=raw,
        guidance=guidance,
        phase_id=phase,
        span=Span(path, line, line),
    )


def checkbox_parts(line: str) -> tuple[str, str | None, str] | None:
    """``(box, task id or None, text)`` for a flush-left checkbox list item, else None."""
    m = _CHECKBOX.match(line)
    if m is None:
        return None
    ident = _CHECKBOX_ID.match(m.group(2))
    if ident is None:
        return m.group(1), None, m.group(2).strip()
    return m.group(1), ident.group(1), ident.group(2).strip()


def _checkboxes(o: Outline, path: str, first: int, last: int, phase: str | None) -> list[Task]:
    out: list[Task] = []
    for n in range(max(1, first), min(last, o.line_count) + 1):
        if n in o.fenced:
            continue
        parts = checkbox_parts(o.line(n))
        if parts is None:
            continue
        box, ident, text = parts
        if ident is None:
            continue
        state = parse_state(f"[{box}]")
        if state is None:
            continue
        out.append(
            Task(
                id=ident,
                description=text,
                state=state,
                raw_state=f"[{box}]",
                guidance="",
                phase_id=phase,
                span=Span(path, n, n),
            )
        )
    return out


def _merge(rows: list[Task], boxes: list[Task]) -> list[Task]:
    if not boxes:
        return rows
    return sorted(rows + boxes, key=lambda t: t.span.start)
