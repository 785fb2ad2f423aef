"""Selection: which item, phase and task the next loop works on — pure and explainable.

Order of rules: an explicit ``--focus`` wins; then the ledger's Active Focus (first entry
whose item is active); then candidates (active status, dependencies done) ranked by priority,
then status, then ledger order. Within the item: its plan's first unfinished phase and that
phase's first in-progress task, else its first not-started task. A stall guard looks at the
item's last K attempts.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from supervisor.config import Config
from supervisor.errors import NotFoundError, close_matches
from supervisor.model import Attempt, Item, Ledger, Outcome, Phase, Plan, Task, TaskState
from supervisor.parse.fields import (
    BRACKET_ID_RE,
    ListEntry,
    dependency_ids,
    first_word,
    list_entries,
    normalize_id,
    plain,
)
from supervisor.signals import Signals

if TYPE_CHECKING:  # pragma: no cover
    from supervisor.mentions import ItemIndex

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


class NoEligibleItem(NotFoundError):
    """Nothing can be chosen; carries the ranking and the signals' notes so that `next
    --explain` can still show every item's reason."""

    def __init__(self, ranking: tuple[Candidate, ...], notes: tuple[str, ...], path: str) -> None:
        super().__init__(
            "no eligible item: every item is done, blocked, waiting on a dependency, or has a "
            "status outside the configured vocabulary",
            path=path,
            hint="run `supervisor next --explain` for the reasons, or pass --focus ID",
        )
        self.ranking = ranking
        self.notes = notes


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
class Step:
    """The phase and task chosen inside a plan, plus what follows it."""

    phase: Phase | None
    task: Task | None
    next_task: Task | None
    blocked: tuple[Task, ...]  # blocked tasks passed over on the way
    how: str = ""  # why this phase and task


NO_STEP = Step(None, None, None, ())


@dataclass(frozen=True)
class Focus:
    """The selection stage's answer: the item (and how it was chosen), its plan, phase and
    task, and every signal that decided or was passed over."""

    item: Item
    how: str  # "cli", "continuity", "goal", "active-focus" or "ranked"
    ranking: tuple[Candidate, ...]
    notes: tuple[str, ...]
    stall: Stall | None
    plan: Plan | None = None
    step: Step = NO_STEP


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
    bracketed = {normalize_id(m.group(1)) for m in BRACKET_ID_RE.finditer(f.raw)}
    return [i for i in dependency_ids(f.raw) if i in bracketed or ledger.item(i) is not None]


def rank(ledger: Ledger, config: Config) -> tuple[Candidate, ...]:
    """Every item with its eligibility and reasons, best first (deterministic)."""
    from supervisor import gcpolicy

    with gcpolicy.paused():  # many small objects on a large model: see parse_ledger
        return _rank(ledger, config)


def _rank(ledger: Ledger, config: Config) -> tuple[Candidate, ...]:
    first: dict[str, str] = {}  # an ID's status as its first section says (duplicates happen)
    last: dict[str, str] = {}  # ... and as its last one says (what dependencies see)
    for i in ledger.items:
        if i.id:
            last[i.id] = w = status_word(i, ledger)
            first.setdefault(i.id, w)
    kinds = {ident: config.statuses.kind(w) for ident, w in last.items()}
    seen: set[str] = set()
    out: list[Candidate] = []
    active_order = [s.lower() for s in config.statuses.active]
    for order, item in enumerate(ledger.items):
        if not item.id or item.id in seen:
            continue
        seen.add(item.id)
        status = first[item.id]
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
    """A stall when the item's latest ``window`` attempts — by attempt number, not file
    order — all ended without success."""
    numbered = [a for a in item.attempts if a.is_attempt]
    if window < 1 or len(numbered) < window:
        return None
    ordered = sorted(enumerate(numbered), key=lambda x: (x[1].number_end or x[1].number or 0, x[0]))
    last = tuple(a for _, a in ordered[-window:])
    if any(a.outcome is Outcome.SUCCESS for a in last):
        return None
    return Stall(window, last)


def choose_item(
    ledger: Ledger, config: Config, override: str | None = None, signals: Signals | None = None
) -> Focus:
    """The item for the next turn. In order: ``--focus``; continuity (the item the last turns
    worked on, while it is eligible); the operator's goals (highest first); the ledger's
    Active Focus entries that are not stale; the ranking. Every signal that decided or was
    passed over is named in ``notes``."""
    from supervisor.mentions import ItemIndex

    ranking = rank(ledger, config)
    notes: list[str] = []
    by_id = {c.id: c for c in ranking}
    window = config.stall_window

    def chosen(ident: str, how: str) -> Focus:
        item = ledger.item(ident)
        assert item is not None
        return Focus(item, how, ranking, tuple(notes), stall_of(item, window))

    if override:
        want = normalize_id(override.strip().strip("[]`")).upper()
        item = ledger.item(want)
        if item is None:
            near = close_matches(want, ledger.ids)
            hint = f"did you mean {', '.join(near)}?" if near else "see `supervisor status`"
            raise NotFoundError(f"no item {want} in the ledger", path=ledger.path, hint=hint)
        if not by_id[item.id].eligible:
            notes.append(f"--focus {item.id} chosen although: {'; '.join(by_id[item.id].reasons)}")
        return chosen(item.id, "cli")
    signals = signals if signals is not None else Signals()
    index = ItemIndex(ledger)
    for ident, source in _continuity(signals, index):
        cand = by_id[ident]
        if cand.eligible:
            notes.append(f"continuity: {source} worked on {ident}")
            return chosen(ident, "continuity")
        notes.append(f"continuity passed over {ident} ({source}): {'; '.join(cand.reasons)}")
    if signals.goals_note:
        notes.append(f"goals: {signals.goals_note}")
    for goal in signals.goals:
        m = index.first(goal.text, titles=True)
        where = f" ({goal.span.anchor})" if goal.span else ""
        if m is None:
            notes.append(f"goal {goal.rank}{where} names no ledger item: {_clip(goal.text)}")
            continue
        cand = by_id[m.item]
        if cand.eligible:
            notes.append(f"goal {goal.rank}{where} names {m.item} (by {m.how} {m.token!r})")
            return chosen(m.item, "goal")
        notes.append(f"goal {goal.rank} names {m.item}, passed over: {'; '.join(cand.reasons)}")
    window_signals = dataclasses.replace(
        signals, commits=signals.commits[: config.selection.stale_turns]
    )
    recent = {ident for ident, _ in _continuity(window_signals, index)}
    for entry in ledger.active_focus:
        tag = (entry.tag or "").upper()
        if tag in _SKIP_FOCUS_TAGS:
            continue
        text = f"{entry.tag or ''}: {entry.text}" if entry.tag else entry.text
        named: str | None = entry.id or next(
            (m.item for m in index.mentions(text) if m.how in ("id", "prefix", "plan")), None
        )
        line = entry.span.start
        if named is None:
            notes.append(f"Active Focus line {line} names no ledger item; skipped")
            continue
        ident = named
        entry_cand = by_id.get(ident)
        if entry_cand is None:
            notes.append(f"Active Focus names {ident}, which has no section; skipped")
        elif entry_cand.kind != "active":
            notes.append(f"Active Focus names {ident}, but it is {entry_cand.status}; skipped")
        elif recent and ident not in recent:
            notes.append(
                f"Active Focus line {line} ({ident}) is stale: the latest turns worked on "
                f"{', '.join(sorted(recent))}; skipped"
            )
        elif not entry_cand.eligible:
            notes.append(f"Active Focus {ident} passed over: {'; '.join(entry_cand.reasons)}")
        else:
            notes.append(f"Active Focus line {line} names {ident}")
            return chosen(ident, "active-focus")
    best = next((c for c in ranking if c.eligible), None)
    if best is None:
        raise NoEligibleItem(ranking, tuple(notes), path=ledger.path)
    return chosen(best.id, "ranked")


def _clip(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _continuity(signals: Signals, index: ItemIndex) -> list[tuple[str, str]]:
    """Items the latest turns worked on, newest first: the last brief's focus, then commit
    subjects that name an item (by ID or ID prefix)."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    if signals.last_brief:
        ident = index.by_id(signals.last_brief) or index.by_prefix(signals.last_brief)
        if ident is not None:
            out.append((ident, f"the last brief ({signals.last_brief_path})"))
            seen.add(ident)
    for c in signals.commits:
        for m in index.mentions(c.subject):
            if m.how in ("id", "prefix") and m.item not in seen:
                seen.add(m.item)
                out.append((m.item, f"commit {c.sha} ({_clip(c.subject, 60)!r})"))
    return out


def _actionable(phase: Phase, done: Mapping[str, object] = {}) -> Task | None:
    for want in (TaskState.IN_PROGRESS, TaskState.NOT_STARTED):
        for t in phase.tasks:
            if t.state is want and t.id not in done:
                return t
    return None


def _open(task: Task, cur: Task, done: Mapping[str, object]) -> bool:
    return (
        task is not cur
        and not task.state.finished
        and task.state is not TaskState.BLOCKED
        and task.id not in done
    )


def step_named(text: str, plan: Plan) -> tuple[str | None, str | None]:
    """The phase and task of ``plan`` that ``text`` names first (``Phase C``, ``C3``,
    ``B2.1a``; the longest task ID wins at a position, so ``B2.1a`` beats ``B2.1``)."""
    task_ids = sorted({t.id for t in plan.tasks if t.id}, key=len, reverse=True)
    best: tuple[int, str] | None = None
    for tid in task_ids:
        m = re.search(rf"(?<![\w.]){re.escape(tid)}(?![\w]|\.\w)", text)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), tid)
    if best is not None:
        task = plan.task(best[1])
        return (task.phase_id if task else None), best[1]
    phase_ids = sorted({p.id for p in plan.phases if p.id}, key=len, reverse=True)
    best = None
    for pid in phase_ids:
        m = re.search(rf"\bPhase\s+{re.escape(pid)}(?![\w.])", text)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), pid)
    return (best[1] if best else None), None


def named_sources(item: Item) -> list[tuple[str, str]]:
    """Texts that may name the step being worked, newest first: the latest attempt's Next
    Actions (what the last turn said comes next), the item's first open Next Action (list or
    inline), the status note."""
    out: list[tuple[str, str]] = []
    latest = latest_attempt(item)
    if latest is not None:
        m = re.search(r"Next Actions?\s*(?:\([^)]*\))?\s*:\s*(.*)", latest.text, re.S)
        if m:
            out.append((f"attempt #{latest.number}'s Next Actions", m.group(1)))
    actions = open_actions(item)
    if actions:
        out.append((f"Next Action at line {actions[0].span.start}", actions[0].text))
    else:  # written inline: ``- Next Actions: C2 perf sweep first, then …``
        f = next((f for f in item.fields if "next action" in f.label.lower()), None)
        if f is not None and f.value.strip() and not _CLOSED_ACTION.match(plain(f.value)):
            out.append((f"Next Actions at line {f.span.start}", f.value))
    status = item.value("Status")
    if status and "(" in status:
        out.append(("the status note", status))
    return out


def latest_attempt(item: Item) -> Attempt | None:
    """The attempt with the highest number (file order breaks ties)."""
    numbered = [a for a in item.attempts if a.number is not None]
    if not numbered:
        return None
    return max(enumerate(numbered), key=lambda x: (x[1].number_end or x[1].number or 0, x[0]))[1]


_PROGRESS = (TaskState.DONE, TaskState.SKIPPED, TaskState.IN_PROGRESS)


def choose_task(plan: Plan, item: Item | None = None) -> Step:
    """The phase and task to work: one named by the item's open Next Action, latest attempt or
    status note when it is unfinished; else the current phase — where the plan's progress
    ends — and its first in-progress (else not-started) task. Rows a successful attempt
    reports done count as done; leftover open rows of earlier phases come after the current
    phase; blocked-only phases are passed over."""
    done = reported_done(item, plan) if item is not None else {}
    phases = list(plan.phases)
    blocked: list[Task] = []

    def unfinished(p: Phase) -> bool:
        return any(not t.state.finished and t.id not in done for t in p.tasks)

    def step(k: int, task: Task, how: str) -> Step:
        # a row that stands for a sub-phase (task M5 with its own "Phase M5" table): descend
        sub = next((i for i, p in enumerate(phases) if p.id == task.id and i != k), None)
        inner = _actionable(phases[sub], done) if sub is not None else None
        if sub is not None and inner is not None:
            k, task, how = sub, inner, f"{how}; row {task.id} is detailed in its own phase"
        order = phases[k:] + phases[:k]
        later = [t for p in order for t in p.tasks if _open(t, task, done)]
        passed = [  # blocked tasks of blocked-only phases before this one
            t
            for p in phases[:k]
            if unfinished(p) and _actionable(p, done) is None
            for t in p.tasks
            if t.state is TaskState.BLOCKED
        ]
        passed += [t for t in blocked if t not in passed]
        return Step(phases[k], task, later[0] if later else None, tuple(passed), how)

    if item is not None:
        for source, text in named_sources(item):
            pid, tid = step_named(text, plan)
            task = plan.task(tid) if tid else None
            if task is not None and (task.state.finished or task.id in done):
                task = None
            k = next((i for i, p in enumerate(phases) if p.id == pid), None)
            if k is None:
                continue
            if task is None or task.state is TaskState.BLOCKED:
                task = _actionable(phases[k], done)
            if task is not None:
                return step(k, task, f"named by {source}")
    progress = [
        k
        for k, p in enumerate(phases)
        if any(
            t.state.finished or t.state is TaskState.IN_PROGRESS or t.id in done for t in p.tasks
        )
    ]
    start = progress[-1] if progress else 0
    for k in [*range(start, len(phases)), *range(start)]:
        phase = phases[k]
        if not unfinished(phase):
            continue
        task = _actionable(phase, done)
        if task is None:
            blocked += [t for t in phase.tasks if t.state is TaskState.BLOCKED]
            continue
        how = "the current phase (where progress ends)" if k >= start else "a leftover row"
        return step(k, task, how)
    rest = [p for p in phases if unfinished(p)]
    return Step(rest[0] if rest else None, None, None, tuple(blocked), "no actionable task")


def open_actions(item: Item) -> tuple[ListEntry, ...]:
    """The item's Next Actions that are not marked complete (``✅ COMPLETE …``, ``[x]``…)."""
    f = next((f for f in item.fields if "next actions" in f.label.lower()), None)
    if f is None:
        return ()
    return tuple(e for e in list_entries(f) if not _CLOSED_ACTION.match(plain(e.head)))


_DONE_WORDS = re.compile(r"\b(?:complete[sd]?|done|finished|closed|landed|passed|resolved)\b", re.I)


def reported_done(item: Item, plan: Plan) -> dict[str, int | None]:
    """Tasks of ``plan`` that a successful attempt of ``item`` reports done: the attempt's
    first line names the task ID (``Attempt #12 — Result: success. B3 landed …``), or names its
    phase (``Phase B``) next to a completion word. Only attempts made while the item followed
    this plan count (from the first attempt that cites the plan's path on; the last five when
    none does), since task IDs repeat across an item's plans. Maps task ID -> attempt number."""
    ids = sorted({t.id for t in plan.tasks if t.id}, key=len, reverse=True)
    phases = {p.id: p for p in plan.phases if p.id}
    numbered = sorted(
        (a for a in item.attempts if a.number is not None),
        key=lambda a: a.number_end or a.number or 0,
    )
    cites = _plan_citation(plan.path)
    first = next((k for k, a in enumerate(numbered) if cites.search(a.text)), None)
    scope = numbered[first:] if first is not None else numbered[-5:]
    task_re = _alternation(ids, r"(?<![\w.])(", r")(?![\w]|\.\w)")
    phase_re = _alternation(sorted(phases, key=len, reverse=True), r"\bPhase\s+(", r")\b(?![.\w])")
    out: dict[str, int | None] = {}
    for a in scope:
        if a.outcome is not Outcome.SUCCESS:
            continue
        line = a.head
        if task_re is not None:
            for m in task_re.finditer(line):
                out.setdefault(m.group(1), a.number)
        if phase_re is not None and _DONE_WORDS.search(line):
            for m in phase_re.finditer(line):
                for t in phases[m.group(1)].tasks:
                    out.setdefault(t.id, a.number)
    return out


def _alternation(words: list[str], before: str, after: str) -> re.Pattern[str] | None:
    """One pattern matching any of ``words`` (longest first, so ``B2.1`` beats ``B2``)."""
    if not words:
        return None
    return re.compile(before + "|".join(re.escape(w) for w in words) + after)


def _plan_citation(path: str) -> re.Pattern[str]:
    """Matches a citation of the plan: its path, or its directory for ``…/<dir>/plan.md``."""
    stem = path.rsplit("/", 1)
    name = stem[-1]
    if name in ("plan.md", "implementation.md", "README.md") and len(stem) == 2:
        key = stem[0].rsplit("/", 1)[-1] + "/"
    else:
        key = name
    return re.compile(re.escape(key))
