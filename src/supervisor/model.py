"""Frozen models of the workspace files. Every model carries the span it was parsed from.

Lines are 1-based and inclusive; paths are workspace-relative POSIX strings. Markdown tokens
and YAML nodes never appear here: parsers in ``supervisor.parse`` build these and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property


@dataclass(frozen=True, order=True)
class Span:
    """Lines ``start..end`` (1-based, inclusive) of ``path``."""

    path: str
    start: int
    end: int

    def __post_init__(self) -> None:
        if self.start < 1 or self.end < self.start:
            raise ValueError(f"bad span {self.path}:{self.start}-{self.end}")

    @property
    def anchor(self) -> str:
        """``path:N`` for one line, ``path:a-b`` for a range."""
        if self.start == self.end:
            return f"{self.path}:{self.start}"
        return f"{self.path}:{self.start}-{self.end}"

    def __str__(self) -> str:
        return self.anchor


# --------------------------------------------------------------------------- ledger


@dataclass(frozen=True)
class Field:
    """One ``- Label (qualifier): value`` bullet of an item, continuation lines included."""

    label: str  # normalized: bold and qualifier removed, e.g. "Next Actions"
    qualifier: str | None  # "(2025-11-30 refresh)" without parentheses
    value: str  # inline value after the colon (first line)
    raw: str  # the field's source lines exactly as written (bullet included)
    span: Span


class Outcome(StrEnum):
    SUCCESS = "success"
    PARTIAL = "partial"
    FAILED = "failed"
    BLOCKED = "blocked"
    OTHER = "other"  # planning, documentation, supervisor audit, …
    UNKNOWN = "unknown"  # no result keyword or token


@dataclass(frozen=True)
class Attempt:
    """One top-level entry of an item's Attempts History."""

    number: int | None  # None when the entry has no ``#N`` marker
    number_end: int | None  # for ranges ``#188–#190``; else equal to ``number``
    date: str | None  # raw text inside the leading brackets
    note: str | None  # the parenthetical after the number, e.g. "ralph loop i=182, Mode: Parity"
    keyword: str | None  # "Result", "Status" or None
    result: str  # the text after the keyword (or after the head when none)
    outcome: Outcome
    head: str  # the entry's first line without the bullet marker
    text: str  # the whole entry, dedented
    artifacts: tuple[str, ...]
    span: Span

    @property
    def is_attempt(self) -> bool:
        return self.number is not None


@dataclass(frozen=True)
class IndexRow:
    """A row of the ledger's Index (table or bullet era)."""

    id: str
    title: str
    anchor: str | None
    priority: str
    status: str
    span: Span


@dataclass(frozen=True)
class FocusEntry:
    """One Active Focus line: ``- CRITICAL: `[ID]` — text``."""

    tag: str | None
    id: str | None
    text: str
    span: Span


@dataclass(frozen=True)
class ConflictRegion:
    """Committed merge-conflict markers ``<<<<<<< … ======= … >>>>>>>``."""

    span: Span


@dataclass(frozen=True)
class Item:
    """A ledger item ``## [ID] Title`` with its field bullets.

    ``attempts`` is parsed on first use from the Attempts History field, so commands that
    only rank items never pay for the (often very long) histories.
    """

    id: str  # normalized (ASCII hyphens); for a headless section, the recovered ID or ""
    title: str
    level: int  # heading level (2, or 3 in the legacy era); 0 when headless
    fields: tuple[Field, ...]
    span: Span  # heading (or first field when headless) to the end of the section
    headless: bool = False
    preset_attempts: tuple[Attempt, ...] | None = None  # ledgers whose attempts are headings

    def field(self, label: str) -> Field | None:
        """The first field whose label is ``label`` (case-insensitive), else the first that
        starts with it (``Plan Reference`` finds ``Plan References``)."""
        want = label.lower()
        hit = self._labels.get(want)
        if hit is not None:
            return hit
        return next((f for f in self.fields if f.label.lower().startswith(want)), None)

    @cached_property
    def _labels(self) -> dict[str, Field]:
        out: dict[str, Field] = {}
        for f in self.fields:
            out.setdefault(f.label.lower(), f)
        return out

    def value(self, label: str) -> str | None:
        f = self.field(label)
        return None if f is None else f.value

    @property
    def heading_line(self) -> int:
        return self.span.start

    @cached_property
    def attempts(self) -> tuple[Attempt, ...]:
        from supervisor.parse.attempts import parse_attempts

        if self.preset_attempts is not None:
            return self.preset_attempts
        f = self.field("Attempts History") or self.field("Attempts")
        return () if f is None else parse_attempts(f)

    @property
    def numbered_attempts(self) -> tuple[Attempt, ...]:
        return tuple(a for a in self.attempts if a.number is not None)

    @property
    def last_attempt_number(self) -> int | None:
        nums = [a.number_end or a.number for a in self.numbered_attempts]
        return max((n for n in nums if n is not None), default=None)


@dataclass(frozen=True)
class Ledger:
    path: str
    title: str | None
    last_updated: str | None
    last_updated_span: Span | None
    active_focus: tuple[FocusEntry, ...]
    index: tuple[IndexRow, ...]
    items: tuple[Item, ...]
    conflicts: tuple[ConflictRegion, ...]
    line_count: int

    def find(self, item_id: str) -> tuple[Item, ...]:
        """All sections with this ID (duplicates happen), in file order."""
        return self._items_by_id.get(item_id.strip().strip("[]").upper(), ())

    def item(self, item_id: str) -> Item | None:
        hits = self.find(item_id)
        return hits[0] if hits else None

    def rows(self, item_id: str) -> tuple[IndexRow, ...]:
        return self._rows_by_id.get(item_id.strip().strip("[]").upper(), ())

    # Built once on first lookup, so per-item lookups stay O(1) on 100k-item ledgers.
    @cached_property
    def _items_by_id(self) -> dict[str, tuple[Item, ...]]:
        out: dict[str, list[Item]] = {}
        for i in self.items:
            out.setdefault(i.id.upper(), []).append(i)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def _rows_by_id(self) -> dict[str, tuple[IndexRow, ...]]:
        out: dict[str, list[IndexRow]] = {}
        for r in self.index:
            out.setdefault(r.id.upper(), []).append(r)
        return {k: tuple(v) for k, v in out.items()}

    @property
    def ids(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for i in self.items:
            if i.id:
                seen.setdefault(i.id, None)
        return tuple(seen)


# --------------------------------------------------------------------------- plans


class TaskState(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"
    SKIPPED = "skipped"

    @property
    def finished(self) -> bool:
        return self in (TaskState.DONE, TaskState.SKIPPED)

    @property
    def marker(self) -> str:
        return _MARKERS[self]


_MARKERS = {
    TaskState.NOT_STARTED: "[ ]",
    TaskState.IN_PROGRESS: "[P]",
    TaskState.DONE: "[D]",
    TaskState.BLOCKED: "[B]",
    TaskState.SKIPPED: "[S]",
}


@dataclass(frozen=True)
class Task:
    """A checklist row ``| ID | Task | State | Guidance |``."""

    id: str
    description: str
    state: TaskState
    raw_state: str  # the State cell as written, e.g. "`[D]`", "[X]", ""
    guidance: str
    phase_id: str | None
    span: Span  # the row's line


@dataclass(frozen=True)
class Phase:
    id: str | None  # "A", "M4", "3"; None for tables outside any phase heading
    title: str
    status_note: str | None  # trailing "(Complete)" etc. without parentheses
    goal: str | None
    prereqs: str | None
    exit_criteria: str | None
    tasks: tuple[Task, ...]
    span: Span  # heading to the line before the next phase heading

    @property
    def finished(self) -> bool:
        return all(t.state.finished for t in self.tasks)

    @property
    def label(self) -> str:
        return f"Phase {self.id}" if self.id else "Checklist"


@dataclass(frozen=True)
class Plan:
    path: str
    title: str | None
    initiative: str | None  # the Context "Initiative:" value
    context: tuple[Field, ...]
    phases: tuple[Phase, ...]
    span: Span

    @property
    def tasks(self) -> tuple[Task, ...]:
        return tuple(t for p in self.phases for t in p.tasks)

    def task(self, task_id: str) -> Task | None:
        for t in self.tasks:
            if t.id == task_id:
                return t
        return None


# --------------------------------------------------------------------------- briefs


@dataclass(frozen=True)
class Anchor:
    """A ``path:N`` / ``path:a-b[,c-d]`` / ``path#LN[-LM]`` pointer found in a file."""

    target: str  # the path as written (workspace-relative in well-formed files)
    ranges: tuple[tuple[int, int], ...]  # inclusive line ranges; ``:1`` is ((1, 1),)
    raw: str
    span: Span  # where the pointer was written


@dataclass(frozen=True)
class BriefSection:
    key: str  # "Do Now", "Pointers", "Next Up (optional)", …
    value: str  # text on the key's own line
    body: tuple[str, ...]  # the lines that follow, up to the next key
    span: Span


@dataclass(frozen=True)
class Brief:
    path: str
    sections: tuple[BriefSection, ...]
    focus: str | None  # the Focus reference as written
    focus_id: str | None  # an item ID extracted from Focus, Active Focus or Do Now
    mode: str | None  # Mode: (or Phase: in older briefs)
    anchors: tuple[Anchor, ...]  # every pointer anywhere in the brief

    def section(self, key: str) -> BriefSection | None:
        want = key.lower()
        return next((s for s in self.sections if s.key.lower() == want), None)
