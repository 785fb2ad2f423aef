"""``supervisor status``: every item and plan's progress at a glance (a pure report)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from supervisor.model import TaskState
from supervisor.select import latest_attempt, priority_of, rank, status_word
from supervisor.workspace import Workspace


@dataclass(frozen=True)
class PhaseProgress:
    label: str
    title: str
    done: int
    total: int


@dataclass(frozen=True)
class PlanProgress:
    path: str
    initiative: str | None
    phases: tuple[PhaseProgress, ...]
    done: int
    total: int
    in_progress: int
    blocked: int


@dataclass(frozen=True)
class ItemProgress:
    id: str
    title: str
    priority: str
    status: str
    kind: str
    index_status: str | None
    attempts: int
    last_attempt: int | None
    last_outcome: str | None
    plan: str | None
    eligible: bool
    line: int


@dataclass(frozen=True)
class ContractProgress:
    """A contract's discharge: the share of its falsification tests at the ladder's top."""

    path: str
    id: str
    status: str
    discharged: int
    total: int
    percent: int
    top: str
    valid: bool


@dataclass(frozen=True)
class FocusSummary:
    """What the selection stage would choose now (the same answer as `supervisor next`)."""

    item: str | None
    how: str  # the signal that decided, or why nothing could be chosen
    plan: str | None
    phase: str | None
    task: str | None
    step: str  # why this phase and task


@dataclass(frozen=True)
class StatusReport:
    ledger: str
    items: tuple[ItemProgress, ...]
    plans: tuple[PlanProgress, ...]
    contracts: tuple[ContractProgress, ...] = ()
    focus: FocusSummary | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def status_report(ws: Workspace) -> StatusReport:
    ledger = ws.ledger()
    eligible = {c.id: c for c in rank(ledger, ws.config)}
    items: list[ItemProgress] = []
    seen: set[str] = set()
    for item in ledger.items:
        if not item.id or item.id in seen:
            continue
        seen.add(item.id)
        rows = ledger.rows(item.id)
        numbered = item.numbered_attempts
        latest = latest_attempt(item)
        word = status_word(item, ledger)
        items.append(
            ItemProgress(
                id=item.id,
                title=item.title,
                priority=priority_of(item, ledger, ws.config),
                status=word,
                kind=ws.config.statuses.kind(word) or "unknown",
                index_status=rows[0].status if rows else None,
                attempts=len(numbered),
                last_attempt=item.last_attempt_number,
                last_outcome=latest.outcome.value if latest is not None else None,
                plan=ws.plan_for(item),
                eligible=eligible[item.id].eligible,
                line=item.span.start,
            )
        )
    plans = []
    for rel in ws.plan_paths():
        plan = ws.plan(rel)
        tasks = plan.tasks
        phases = tuple(
            PhaseProgress(p.label, p.title, sum(t.state.finished for t in p.tasks), len(p.tasks))
            for p in plan.phases
            if p.tasks
        )
        plans.append(
            PlanProgress(
                path=rel,
                initiative=plan.initiative,
                phases=phases,
                done=sum(t.state.finished for t in tasks),
                total=len(tasks),
                in_progress=sum(t.state is TaskState.IN_PROGRESS for t in tasks),
                blocked=sum(t.state is TaskState.BLOCKED for t in tasks),
            )
        )
    return StatusReport(ledger.path, tuple(items), tuple(plans), _contracts(ws), _focus(ws))


def _focus(ws: Workspace) -> FocusSummary:
    from supervisor.errors import SupervisorError
    from supervisor.focus import choose_focus

    try:
        f = choose_focus(ws)
    except SupervisorError as exc:
        return FocusSummary(None, exc.message, None, None, None, "")
    step = f.step
    return FocusSummary(
        f.item.id,
        f.how,
        f.plan.path if f.plan is not None else None,
        step.phase.id if step.phase is not None else None,
        step.task.id if step.task is not None else None,
        step.how,
    )


def _contracts(ws: Workspace) -> tuple[ContractProgress, ...]:
    from supervisor.cache import listing
    from supervisor.parse.contracts import discharge, parse_contract

    base = ws.config.paths.contracts.rstrip("/")
    names = sorted(n for s in (".yaml", ".yml") for n in listing(ws.abs(base), s))
    ladder = ws.config.lint.contract_ladder
    out = []
    for name in names:
        rel = f"{base}/{name}"
        cf = parse_contract(ws.read_text(rel, what="contract"), rel)
        c = cf.contract
        done, total = discharge(c, ladder) if c is not None else (0, 0)
        out.append(
            ContractProgress(
                path=rel,
                id=(c.id if c else "") or "?",
                status=(c.status.text if c and c.status else "?"),
                discharged=done,
                total=total,
                percent=round(100 * done / total) if total else 0,
                top=ladder[-1],
                valid=c is not None and not cf.problems,
            )
        )
    return tuple(out)


def _bar(done: int, total: int, width: int = 10) -> str:
    if total == 0:
        return "-" * width
    filled = round(width * done / total)
    return "#" * filled + "." * (width - filled)


def render_status(report: StatusReport) -> str:
    lines = []
    f = report.focus
    if f is not None and f.item is not None:
        where = " ".join(
            x for x in (f.phase and f"phase {f.phase}", f.task and f"task {f.task}") if x
        )
        lines += [f"Focus: [{f.item}] {where or '(no actionable task)'} — by {f.how}", ""]
    elif f is not None:
        lines += [f"Focus: none — {f.how}", ""]
    lines.append(f"Items ({report.ledger}):")
    w = max((len(i.id) for i in report.items), default=2)
    for i in report.items:
        last = f"#{i.last_attempt} {i.last_outcome}" if i.last_attempt is not None else "-"
        drift = ""
        if i.index_status is not None and i.index_status.split(" ")[0].lower() != i.status:
            drift = f"  (index: {i.index_status})"
        lines.append(
            f"  {i.id:<{w}}  {i.priority:<8} {i.status:<12} attempts {i.attempts:>3}  "
            f"last {last:<14} {i.plan or '(no plan)'}{drift}"
        )
    lines.append("")
    lines.append("Plans:")
    pw = max((len(p.path) for p in report.plans), default=4)
    for p in report.plans:
        extra = []
        if p.in_progress:
            extra.append(f"{p.in_progress} in progress")
        if p.blocked:
            extra.append(f"{p.blocked} blocked")
        tail = f"  ({', '.join(extra)})" if extra else ""
        lines.append(f"  {p.path:<{pw}}  [{_bar(p.done, p.total)}] {p.done}/{p.total}{tail}")
        for ph in p.phases:
            lines.append(f"    {ph.label:<12} [{_bar(ph.done, ph.total)}] {ph.done}/{ph.total}")
    if report.contracts:
        lines += ["", "Contracts (discharged = falsification tests at the top rung):"]
        cw = max(len(c.id) for c in report.contracts)
        for c in report.contracts:
            bad = "" if c.valid else "  (schema problems: run `supervisor lint`)"
            lines.append(
                f"  {c.id:<{cw}}  [{_bar(c.discharged, c.total)}] {c.discharged}/{c.total} "
                f"{c.top} ({c.percent}%)  status {c.status}  {c.path}{bad}"
            )
    return "\n".join(lines) + "\n"
