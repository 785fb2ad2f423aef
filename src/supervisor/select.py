"""Selection: which item, phase and task the next loop works on — pure and explainable.

Order of rules: an explicit ``--focus`` wins; then the ledger's Active Focus (first entry
whose item is active); then candidates (active status, dependencies done) ranked by priority,
then status, then ledger order. Within the item: its plan's first unfinished phase and that
phase's first in-progress task, else its first not-started task. A stall guard looks at the
item's last K attempts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from supervisor.config import Config
from supervisor.errors import NotFoundError, close_matches
from supervisor.model import Attempt, Item, Ledger, Outcome, Phase, Plan, Task, TaskState
from supervisor.parse.fields import (
    BRACKET_ID_RE,
    ListEntry,
    first_word,
    ids_in,
    list_entries,
    normalize_id,
    plain,
)

_CLOSED_ACTION = re.compile(r"^(?:✅|☑|\[[xXD]\]|~~|(?:COMPLETE|DONE|CLOSED|RESOLVED)\b)")
_SKIP_FOCUS_TAGS = {"MONITOR", "WATCH", "ON HOLD", "PAUSED", "READY TO ARCHIVE", "DONE"}


@dataclass(frozen=True)
class Candidate:
    id: str
    title: str
    priority: str  # normalized to the configured vocabulary, or the raw first word
    status: str  # first word of the status, lowercased
    kind: str  # active | blocked | done | unknown
    eligible: bool
    reasons: tuple[str, ...]
    sort_key: tuple[int, int, int]


@dataclass(frozen=True)
class Stall:
    window: int
    attempts: tuple[Attempt, ...]

    @property
    def message(self) -> str:
        nums = ", ".join(f"#{a.number}" if a.number is not None else "?" for a in self.attempts)
        outcomes = ", ".join(a.outcome.value for a in self.attempts)
        return (
            f"the last {self.window} attempts ({nums}) made no progress ({outcomes}); "
            "switch to evidence gathering before another fix"
        )


@dataclass(frozen=True)
class Focus:
    item: Item
    how: str  # "cli", "active-focus" or "ranked"
    ranking: tuple[Candidate, ...]
    notes: tuple[str, ...]
    stall: Stall | None


def status_word(item: Item, ledger: Ledger) -> str:
    value = item.value("Status")
    if value is None:
        rows = ledger.rows(item.id)
        value = rows[0].status if rows else ""
    return first_word(value).lower()


def priority_of(item: Item, ledger: Ledger, config: Config) -> str:
    value = item.value("Priority")
    if value is None:
        rows = ledger.rows(item.id)
        value = rows[0].priority if rows else ""
    text = plain(value).lower()
    words = set(text.replace("(", " ").replace(")", " ").split())
    for p in config.priorities:
        if p.lower() in words:
            return p
    return first_word(value)


def dependencies(item: Item, ledger: Ledger) -> list[str]:
    """IDs from ``Depends on:``: bracketed IDs always, bare ones only if the ledger has them."""
    f = item.field("Depends on") or item.field("Depends")
    if f is None:
        return []
    bracketed = [normalize_id(m.group(1)) for m in BRACKET_ID_RE.finditer(f.raw)]
    bare = [i for i in ids_in(f.raw) if ledger.item(i) is not None]
    return list(dict.fromkeys(bracketed + bare))


def rank(ledger: Ledger, config: Config) -> tuple[Candidate, ...]:
    """Every item with its eligibility and reasons, best first (deterministic)."""
    kinds = {i.id: config.statuses.kind(status_word(i, ledger)) for i in ledger.items if i.id}
    seen: set[str] = set()
    out: list[Candidate] = []
    active_order = [s.lower() for s in config.statuses.active]
    for order, item in enumerate(ledger.items):
        if not item.id or item.id in seen:
            continue
        seen.add(item.id)
        status = status_word(item, ledger)
        kind = kinds.get(item.id) or "unknown"
        prio = priority_of(item, ledger, config)
        reasons: list[str] = []
        eligible = kind == "active"
        if kind == "unknown":
            reasons.append(f"status '{status or '(none)'}' is not in the configured vocabulary")
        elif kind != "active":
            reasons.append(f"status {status} ({kind})")
        rows = ledger.rows(item.id)
        if rows and first_word(rows[0].status).lower() not in ("", status):
            reasons.append(f"index row says {first_word(rows[0].status)}; section wins")
        for dep in dependencies(item, ledger):
            dep_kind = kinds.get(dep)
            if dep_kind != "done":
                eligible = False
                state = "not in the ledger" if dep_kind is None else f"{dep_kind}"
                reasons.append(f"depends on {dep} ({state})")
        p_rank = config.priorities.index(prio) if prio in config.priorities else 99
        s_rank = active_order.index(status) if status in active_order else 99
        if eligible:
            reasons.insert(0, f"priority {prio}, status {status}")
        out.append(
            Candidate(
                item.id,
                item.title,
                prio,
                status,
                kind,
                eligible,
                tuple(reasons),
                (p_rank, s_rank, order),
            )
        )
    out.sort(key=lambda c: (not c.eligible, c.sort_key))
    return tuple(out)


def stall_of(item: Item, window: int) -> Stall | None:
    """A stall when the last ``window`` attempts all ended without success."""
    attempts = [a for a in item.attempts if a.is_attempt]
    if window < 1 or len(attempts) < window:
        return None
    last = tuple(attempts[-window:])
    if any(a.outcome is Outcome.SUCCESS for a in last):
        return None
    return Stall(window, last)


def choose_item(ledger: Ledger, config: Config, override: str | None = None) -> Focus:
    ranking = rank(ledger, config)
    notes: list[str] = []
    by_id = {c.id: c for c in ranking}
    if override:
        want = normalize_id(override.strip().strip("[]`")).upper()
        item = ledger.item(want)
        if item is None:
            near = close_matches(want, ledger.ids)
            hint = f"did you mean {', '.join(near)}?" if near else "see `supervisor status`"
            raise NotFoundError(f"no item {want} in the ledger", path=ledger.path, hint=hint)
        if not by_id[item.id].eligible:
            notes.append(f"--focus {item.id} chosen although: {'; '.join(by_id[item.id].reasons)}")
        return Focus(item, "cli", ranking, tuple(notes), stall_of(item, config.stall_window))
    for entry in ledger.active_focus:
        if entry.id is None or (entry.tag or "").upper() in _SKIP_FOCUS_TAGS:
            continue
        cand = by_id.get(entry.id)
        if cand is None:
            notes.append(f"Active Focus names {entry.id}, which has no section; skipped")
        elif cand.kind != "active":
            notes.append(f"Active Focus names {entry.id}, but it is {cand.status}; skipped")
        else:
            item = ledger.item(entry.id)
            assert item is not None
            if not cand.eligible:
                notes.append(f"Active Focus {entry.id} chosen although: {'; '.join(cand.reasons)}")
            return Focus(
                item, "active-focus", ranking, tuple(notes), stall_of(item, config.stall_window)
            )
    best = next((c for c in ranking if c.eligible), None)
    if best is None:
        raise NotFoundError(
            "no eligible item: every item is done, blocked, waiting on a dependency, or has a "
            "status outside the configured vocabulary",
            path=ledger.path,
            hint="run `supervisor next --explain` for the reasons, or pass --focus ID",
        )
    item = ledger.item(best.id)
    assert item is not None
    return Focus(item, "ranked", ranking, tuple(notes), stall_of(item, config.stall_window))


@dataclass(frozen=True)
class Step:
    """The phase and task chosen inside a plan, plus what follows it."""

    phase: Phase | None
    task: Task | None
    next_task: Task | None
    blocked: tuple[Task, ...]  # blocked tasks passed over on the way


def _actionable(phase: Phase) -> Task | None:
    for want in (TaskState.IN_PROGRESS, TaskState.NOT_STARTED):
        for t in phase.tasks:
            if t.state is want:
                return t
    return None


def _open(task: Task, cur: Task) -> bool:
    return task is not cur and not task.state.finished and task.state is not TaskState.BLOCKED


def choose_task(plan: Plan) -> Step:
    """First unfinished phase with an actionable task; blocked-only phases are passed over."""
    blocked: list[Task] = []
    phases = [p for p in plan.phases if not p.finished]
    for k, phase in enumerate(phases):
        task = _actionable(phase)
        if task is None:
            blocked += [t for t in phase.tasks if t.state is TaskState.BLOCKED]
            continue
        later = [t for t in phase.tasks if _open(t, task)]
        later += [t for p in phases[k + 1 :] for t in p.tasks if _open(t, task)]
        return Step(phase, task, later[0] if later else None, tuple(blocked))
    return Step(phases[0] if phases else None, None, None, tuple(blocked))


def open_actions(item: Item) -> tuple[ListEntry, ...]:
    """The item's Next Actions that are not marked complete (``✅ COMPLETE …``, ``[x]``…)."""
    f = next((f for f in item.fields if "next actions" in f.label.lower()), None)
    if f is None:
        return ()
    return tuple(e for e in list_entries(f) if not _CLOSED_ACTION.match(plain(e.head)))
