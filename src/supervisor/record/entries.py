"""The span edits of one recorded attempt, computed from freshly parsed text, and the
re-parse check that only the intended entries changed.

Ledger: the attempt bullet appended to the item's Attempts History (the field is created when
absent, and an inline placeholder such as ``none yet`` is replaced), the item's Status word and
its Index row(s), and the header's Last Updated date. Plan: the task's State marker.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from supervisor.errors import NotFoundError, WorkspaceError, WriteConflictError, close_matches
from supervisor.model import Item, Ledger, Outcome, Plan, Task, TaskState
from supervisor.parse.fields import first_word, normalize_id
from supervisor.parse.markdown import cell_spans
from supervisor.record import style
from supervisor.record.edits import Edit

# an inline value that only says "nothing yet" (replaced); one with a note is kept
_PLACEHOLDER = re.compile(
    r"^[_*(\s]*(?:none(?: yet)?|n/?a|tbd|pending|—|-|no attempts(?: yet)?)[_*).\s]*$",
    re.IGNORECASE,
)
_AFTER = ("next actions", "risks", "exit criteria")  # a new Attempts History goes before these


def want_id(raw: str) -> str:
    return normalize_id(raw.strip().strip("[]`")).upper()


def one_item(ledger: Ledger, raw: str) -> Item:
    """The item's single section; unknown IDs get close matches, duplicates their lines."""
    ident = want_id(raw)
    hits = ledger.find(ident)
    if not hits:
        near = close_matches(ident, ledger.ids)
        hint = f"did you mean {', '.join(near)}?" if near else "see `supervisor status`"
        raise NotFoundError(f"no item {ident} in the ledger", path=ledger.path, hint=hint)
    if len(hits) > 1:
        lines = ", ".join(str(h.heading_line) for h in hits)
        raise WorkspaceError(
            f"ambiguous ledger: [{ident}] has {len(hits)} sections (lines {lines})",
            path=ledger.path,
            line=hits[1].heading_line,
            hint="merge them into one section, then record the attempt",
        )
    return hits[0]


def next_number(item: Item) -> int:
    """Highest attempt number in any of the item's Attempts fields, plus one."""
    best = [
        n
        for f in item.fields
        if f.label.lower().startswith("attempt")
        for n in [style.highest_number(f.raw, f.span.path, f.span.start)]
        if n is not None
    ]
    return max(best) + 1 if best else 1


def ledger_edits(
    ledger: Ledger,
    lines: Sequence[str],
    item: Item,
    bullet: str,
    status: str | None,
    date: str,
) -> tuple[Edit, ...]:
    """Edits for the attempt ``bullet`` (already formatted), the status and Last Updated."""
    edits: list[Edit] = []
    hist = item.field("Attempts History") or item.field("Attempts")
    if hist is not None:
        entries = hist.raw.count("\n") > 0 or not hist.value
        if not entries and _PLACEHOLDER.fullmatch(hist.value):
            first = lines[hist.span.start - 1]
            head = first.rstrip()[: len(first.rstrip()) - len(hist.value)].rstrip()
            edits.append(Edit(hist.span.start, hist.span.start, (head, bullet)))
        else:
            edits.append(Edit.insert_after(hist.span.end, [bullet]))
    else:
        new = ("- Attempts History:", bullet)
        before = next((f for f in item.fields if f.label.lower().startswith(_AFTER)), None)
        if before is not None:
            edits.append(Edit(before.span.start, before.span.start - 1, new))
        else:
            last = item.fields[-1].span.end if item.fields else item.span.start
            edits.append(Edit.insert_after(last, new))
    if status is not None:
        edits += _status_edits(ledger, lines, item, status)
    lu = ledger.last_updated_span
    if lu is not None:
        line = style.last_updated_line(lines[lu.start - 1], date)
        if line is not None and line != lines[lu.start - 1]:
            edits.append(Edit.replace(lu.start, line))
    return _merge(edits)


def _status_edits(ledger: Ledger, lines: Sequence[str], item: Item, status: str) -> list[Edit]:
    out: list[Edit] = []
    f = item.field("Status")
    if f is not None:
        line = lines[f.span.start - 1]
        out.append(Edit.replace(f.span.start, style.field_line_status(line, f.value, status)))
    else:
        prio = item.field("Priority")
        at = prio.span.end if prio is not None else item.span.start
        out.append(Edit.insert_after(at, [f"- Status: {status}"]))
    for row in ledger.rows(item.id):
        n = row.span.start
        out.append(Edit.replace(n, _row_status(lines, n, status)))
    return out


def _row_status(lines: Sequence[str], n: int, status: str) -> str:
    line = lines[n - 1]
    if not line.lstrip().startswith("|"):  # bullet-era index: "- [ID] Title — …, Status: x"
        m = re.search(r"(Status:\s*)(.*)$", line)
        if m is not None:
            return line[: m.start(2)] + style.replace_first_word(m.group(2), status)
        head, sep, tail = line.partition(" — ")  # "- [ID] Title — done (note)"
        if not sep or "Priority:" in tail:
            return line
        return head + sep + style.replace_first_word(tail, status)
    col = 3
    for k in range(n - 1, 0, -1):  # the table header: | ID | Title | Priority | Status |
        cells = [lines[k - 1][a:b].strip().strip("*").lower() for a, b in
                 cell_spans(lines[k - 1])]  # fmt: skip
        if cells and cells[0] == "id":
            col = cells.index("status") if "status" in cells else col
            break
    spans = cell_spans(line)
    if col >= len(spans):
        return line
    a, b = spans[col]
    return style.set_cell(line, spans[col], style.replace_first_word(line[a:b].strip(), status))


def _merge(edits: list[Edit]) -> tuple[Edit, ...]:
    """Join insertions at the same point (so their order is the order given)."""
    out: dict[tuple[int, int], Edit] = {}
    for e in edits:
        key = (e.start, e.end)
        if key in out and e.end == e.start - 1:
            prev = out[key]
            out[key] = Edit(e.start, e.end, prev.lines + e.lines, prev.why)
        else:
            out[key] = e
    return tuple(out.values())


def allowed(edits: Sequence[Edit]) -> list[tuple[int, int]]:
    return [(e.start, e.end) for e in edits]


def task_edit(plan: Plan, lines: Sequence[str], task: Task, state: TaskState) -> Edit:
    """The task row with its State cell's marker swapped, in the plan's marker style."""
    marker, ticks = style.marker_for(plan, state)
    line = lines[task.span.start - 1]
    spans = cell_spans(line)
    texts = [line[a:b].strip() for a, b in spans]
    idx = next((j for j in range(1, len(texts)) if texts[j] == task.raw_state and
                style.MARKER.search(texts[j])), None)  # fmt: skip
    if idx is None:
        idx = _state_column(lines, task.span.start)
    if idx is None or idx >= len(spans):
        raise WorkspaceError(
            f"cannot find the State cell of task {task.id}",
            path=plan.path,
            line=task.span.start,
            hint="give the row a State cell such as [ ]",
        )
    cell = style.new_state_cell(texts[idx], marker, ticks)
    return Edit.replace(task.span.start, style.set_cell(line, spans[idx], cell))


def _state_column(lines: Sequence[str], n: int) -> int | None:
    for k in range(n - 1, 0, -1):
        cells = [lines[k - 1][a:b].strip().strip("*").lower() for a, b in
                 cell_spans(lines[k - 1])]  # fmt: skip
        if cells and cells[0].endswith("id"):
            return next((i for i, c in enumerate(cells) if c in ("state", "status")), None)
    return None


def verify_ledger(
    before: Ledger, after: Ledger, ident: str, number: int, date: str, outcome: Outcome,
    status: str | None,
) -> None:  # fmt: skip
    """Re-parse check: the item has exactly one more attempt, numbered and dated as asked,
    the status reads as asked, and no item appeared or vanished."""
    old, new = one_item(before, ident), _single(after, ident)
    problems = []
    if [i.id for i in before.items] != [i.id for i in after.items]:
        problems.append("the set of items changed")
    if len(new.attempts) != len(old.attempts) + 1:
        problems.append(f"expected {len(old.attempts) + 1} attempts, found {len(new.attempts)}")
    else:
        a = new.attempts[-1]
        if (a.number, a.date, a.outcome) != (number, date, outcome):
            problems.append(f"the new attempt reads as #{a.number} [{a.date}] {a.outcome.value}")
    if status is not None:
        got = first_word(new.value("Status") or "")
        rows = [first_word(r.status) for r in after.rows(ident)]
        if got != status or any(r and r != status for r in rows):
            problems.append(f"status reads {got} / index {rows}")
    if problems:
        raise WriteConflictError(
            f"the edited ledger does not re-parse as intended: {'; '.join(problems)}",
            path=before.path,
            line=old.heading_line,
            hint="nothing was written; this is a bug in supervisor — please report it",
        )


def _single(ledger: Ledger, ident: str) -> Item:
    hits = ledger.find(ident)
    if len(hits) != 1:
        raise WriteConflictError(
            f"the edited ledger has {len(hits)} sections for [{ident}]",
            path=ledger.path,
            hint="nothing was written; this is a bug in supervisor — please report it",
        )
    return hits[0]


def verify_plan(before: Plan, after: Plan, task_id: str, state: TaskState) -> None:
    t = after.task(task_id)
    if len(after.tasks) != len(before.tasks) or t is None or t.state is not state:
        raise WriteConflictError(
            f"the edited plan does not re-parse as intended (task {task_id})",
            path=before.path,
            hint="nothing was written; this is a bug in supervisor — please report it",
        )
