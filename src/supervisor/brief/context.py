"""The typed brief context: everything the template renders, computed from parsed spans.

Every pointer is a :class:`~supervisor.model.Span` from the parsers, checked against the file
as read (exists, lines in range) before it reaches a template. Commands shown come from the
plan task's guidance (quoted as data, never run) and the registry in ``supervisor.yaml``.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import asdict, dataclass
from typing import Any

from supervisor.config import CommandSpec
from supervisor.dispatch.registry import task_commands
from supervisor.model import Item, Phase, Plan, Span, Task, TaskState
from supervisor.parse.fields import backticked, field_body, plain
from supervisor.select import Focus, Step, open_actions
from supervisor.workspace import Workspace

NO_TESTS = "none — evidence-only"
_PYTEST = re.compile(r"^(?:[A-Z_]+=\S+\s+)*(?:python -m )?pytest\b|^tests/\S+\.py(?:::\S+)?$")
_MODE = re.compile(r"\bMode:\s*([A-Za-z+/-]+)")
_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")


@dataclass(frozen=True)
class PointerLine:
    anchor: str  # "path:a-b", verified
    note: str


@dataclass(frozen=True)
class BriefContext:
    summary: str
    mode: str
    focus: str
    branch: str
    mapped_tests: str
    artifacts: str
    do_now: str
    if_blocked: str
    priorities: tuple[PointerLine, ...]
    how_to: tuple[str, ...]
    pitfalls: tuple[str, ...]
    pointers: tuple[PointerLine, ...]
    next_up: str
    stall: str | None
    item_id: str
    item_title: str
    plan_path: str | None
    phase_id: str | None
    task_id: str | None
    task_state: str | None
    selected_by: str
    notes: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def one_line(text: str, limit: int = 240) -> str:
    """Text on one line: list markers dropped, items joined with '; ', clipped at ``limit``."""
    parts = [plain(_LIST_MARK.sub("", ln)).rstrip(" .;") for ln in text.split("\n")]
    s = " ".join("; ".join(p for p in parts if p).split())
    return s if len(s) <= limit else s[: limit - 1].rstrip() + "…"


def phase_label(phase: Phase | None) -> str:
    return phase.label if phase is not None else "no phase"


def record_line(item: Item, task: Task | None, result: str, state: str | None) -> str:
    task_part = f" --task {task.id} --state {state}" if task is not None and state else ""
    bundle = " --bundle <bundle dir>" if result != "blocked" else ""
    return (
        f"`supervisor record-attempt {item.id} --result {result} "
        f'--summary "<one line>"{bundle}{task_part}`'
    )


def dispatch_line(cmd: CommandSpec) -> str:
    params = " ".join(
        f"{p.name}={p.default}" if p.default is not None else f"{p.name}=<{p.type}>"
        for p in cmd.params
        if p.required or p.default is not None
    )
    call = f"supervisor dispatch {cmd.name}" + (f" {params}" if params else "")
    what = f" — {cmd.help}" if cmd.help else ""
    shown = [a if a and not any(c.isspace() for c in a) else shlex.quote(a) for a in cmd.argv]
    argv = " ".join(shown[:8]) + (" …" if len(shown) > 8 else "")
    return f"`{call}`{what} (runs `{argv}`)"


class _Builder:
    """Collects the sections for one (item, plan, step); each method fills one of them."""

    def __init__(self, ws: Workspace, focus: Focus, plan: Plan | None, step: Step) -> None:
        self.ws, self.focus, self.plan, self.step = ws, focus, plan, step
        self.item, self.phase, self.task = focus.item, step.phase, step.task
        task = self.task
        self.commands = task_commands(ws.config, task)  # the same as `dispatch --focus`
        quoted = backticked(task.guidance) if task else []
        self.tests = list(dict.fromkeys(c for c in quoted if _PYTEST.match(c)))
        self.quoted_cmds = [c for c in quoted if " " in c and c not in self.tests]
        slug = f"phase_{self.phase.id.lower()}" if self.phase and self.phase.id else "phase_none"
        self.artifacts = f"{ws.config.paths.reports}/{self.item.id}/{slug}/$STAMP/"
        # with no actionable plan task, the item's first open Next Action is the step
        self.action = next(iter(open_actions(self.item)), None) if task is None else None

    def pointer(self, span: Span, note: str) -> PointerLine:
        ws = self.ws
        if not ws.exists(span.path) or span.end > ws.line_count(span.path):
            raise RuntimeError(f"computed pointer {span.anchor} does not resolve")
        return PointerLine(span.anchor, note)

    def where(self) -> str:
        parts = []
        if self.phase is not None:
            title = f" ({self.phase.title})" if self.phase.title else ""
            parts.append(self.phase.label + title)
        if self.task is not None:
            parts.append(f"task {self.task.id}")
        return ", ".join(parts)

    def mode(self) -> str:
        cfg = self.ws.config
        if self.focus.stall:
            return cfg.stall_mode
        hit = _MODE.search(self.task.guidance) if self.task else None
        return hit.group(1) if hit else cfg.default_mode

    def summary_and_do_now(self) -> tuple[str, str]:
        item, task, stall = self.item, self.task, self.focus.stall
        if task is None:
            if self.action is not None:
                what = one_line(self.action.head, 200)
                record = record_line(item, None, "success|partial|failed", None)
                return (
                    f"[{item.id}] next action: {one_line(self.action.head, 160)}.",
                    f"[{item.id}] Next Action — {what}; then record the outcome with {record}.",
                )
            why = "its plan has no open task" if self.plan else "no plan names it"
            blocked = f" ({len(self.step.blocked)} blocked)" if self.step.blocked else ""
            record = record_line(item, None, "success|partial|blocked", None)
            return (
                f"Advance [{item.id}] {item.title}: {why} and no Next Action is open.",
                f"[{item.id}] — nothing actionable{blocked}: check the item's Exit Criteria "
                f"against the evidence and record the outcome with {record}.",
            )
        desc = one_line(task.description, 160)
        if stall:
            summary = f"Gather evidence on why {task.id} stalls ([{item.id}]): {stall.message}."
        else:
            summary = f"{task.id}: {desc} ([{item.id}] {phase_label(self.phase)})."
        do_now = f"[{item.id}] {self.where()} — {one_line(task.description, 200)}"
        if self.commands:
            runs = ", then ".join(f"`supervisor dispatch {c.name}`" for c in self.commands)
            do_now += f"; run {runs} (evidence lands in `{self.artifacts}`)"
        record = record_line(item, task, "success|partial|failed", "done|in-progress")
        return summary, f"{do_now}; then record the outcome with {record}."

    def priorities(self) -> list[PointerLine]:
        item, task, phase, stall = self.item, self.task, self.phase, self.focus.stall
        out = []
        if task is not None:
            note = f"task {task.id} [{task.state.value}] — {one_line(task.description, 120)}"
            out.append(self.pointer(task.span, note))
        if self.action is not None:
            note = f"first open Next Action: {one_line(self.action.head, 120)}"
            out.append(self.pointer(self.action.span, note))
        if phase is not None:
            goal = f"goal: {one_line(phase.goal, 140)}" if phase.goal else "phase scope"
            out.append(self.pointer(phase.span, f"{phase.label} {goal}"))
            if phase.exit_criteria:
                crit = one_line(phase.exit_criteria, 140)
                out.append(self.pointer(phase.span, f"{phase.label} exit criteria: {crit}"))
        exit_field = item.field("Exit Criteria")
        if exit_field is not None:
            crit = one_line(field_body(exit_field), 140)
            out.append(self.pointer(exit_field.span, f"[{item.id}] exit criteria: {crit}"))
        if stall:
            first, last = stall.attempts[0].span, stall.attempts[-1].span
            span = Span(first.path, first.start, last.end)
            out.append(self.pointer(span, f"stall: {stall.message}"))
        elif item.numbered_attempts:
            a = item.numbered_attempts[-1]
            note = f"latest attempt #{a.number} ({a.outcome.value}): {one_line(a.result, 120)}"
            out.append(self.pointer(a.span, note))
        return out

    def pointers(self) -> list[PointerLine]:
        item, ws = self.item, self.ws
        out = [self.pointer(item.span, f"[{item.id}] ledger section")]
        if self.plan is not None:
            out.append(self.pointer(self.plan.span, "plan"))
        if self.phase is not None:
            out.append(self.pointer(self.phase.span, self.phase.label))
        if self.task is not None:
            out.append(self.pointer(self.task.span, f"task {self.task.id} row"))
        for f in (item.field("Next Actions"), item.field("Reproduction")):
            if f is not None:
                out.append(self.pointer(f.span, f"[{item.id}] {f.label}"))
        cfg_rel = ws.rel(ws.config.path)
        ws.read_text(cfg_rel)
        for c in self.commands:
            out.append(self.pointer(Span(cfg_rel, c.line, c.line), f"command `{c.name}`"))
        return out

    def how_to(self) -> list[str]:
        out = [dispatch_line(c) for c in self.commands]
        out += [f"From the plan: `{c}`" for c in self.quoted_cmds[:6]]
        out += [f"Mapped test: `{t}`" for t in self.tests]
        out.append(f"Evidence bundles go to `{self.artifacts}` (one STAMP per dispatch).")
        states = "done|in-progress|blocked"
        record = record_line(self.item, self.task, "success|partial|failed|blocked", states)
        out.append(f"Record the outcome: {record}")
        out.append("Then `supervisor next` renders the following brief.")
        return out

    def pitfalls(self) -> list[str]:
        item, task, stall = self.item, self.task, self.focus.stall
        out = list(self.ws.config.pitfalls)
        if task is not None:
            out.append(
                f"Do not mark {task.id} done unless the cited bundle exists and its commands "
                "exited 0."
            )
        if stall:
            out.append(f"Do not start another fix for [{item.id}]: {stall.message}.")
        risks = item.field("Risks/Assumptions") or item.field("Risks")
        if risks is not None:
            out.append(f"Mind the item's risks: {one_line(field_body(risks), 200)}")
        phase_tasks = self.phase.tasks if self.phase else ()
        blocked = [*self.step.blocked, *(t for t in phase_tasks if t.state is TaskState.BLOCKED)]
        for b in list(dict.fromkeys(blocked))[:4]:
            out.append(f"Task {b.id} is blocked ({b.raw_state}); do not work around it silently.")
        return out

    def next_up(self) -> str:
        nt = self.step.next_task
        if nt is not None:
            where = f" (Phase {nt.phase_id})" if nt.phase_id else ""
            return f"{nt.id} — {one_line(nt.description, 160)}{where}"
        other = next((c for c in self.focus.ranking if c.eligible and c.id != self.item.id), None)
        return (
            f"[{other.id}] {other.title}" if other else "none — every other item is done or blocked"
        )


@dataclass(frozen=True)
class Escalation:
    """A note the caller (the loop's stall guard) adds to a brief, and optionally a mode that
    replaces the computed one. The note leads the Summary and joins Pitfalls and notes."""

    note: str
    mode: str | None = None


def escalate(context: BriefContext, escalation: Escalation) -> BriefContext:
    """``context`` with ``escalation`` applied (mode switched, note added)."""
    from dataclasses import replace

    note = escalation.note.strip()
    return replace(
        context,
        summary=f"{note} {context.summary}",
        mode=escalation.mode or context.mode,
        pitfalls=tuple(dict.fromkeys((*context.pitfalls, note))),
        notes=(*context.notes, note),
    )


def build_context(ws: Workspace, focus: Focus, plan: Plan | None, step: Step) -> BriefContext:
    b = _Builder(ws, focus, plan, step)
    item, task = focus.item, step.task
    summary, do_now = b.summary_and_do_now()
    where = b.where()
    if_blocked = (
        "Record a blocked attempt with what you tried and what blocks it: "
        f"{record_line(item, task, 'blocked', 'blocked')}; do not mark anything done without "
        "its evidence bundle."
    )
    return BriefContext(
        summary=summary,
        mode=b.mode(),
        focus=f"[{item.id}] {item.title}" + (f" — {where}" if where else ""),
        branch=ws.config.branch,
        mapped_tests="; ".join(f"`{t}`" for t in b.tests) if b.tests else NO_TESTS,
        artifacts=b.artifacts,
        do_now=do_now,
        if_blocked=if_blocked,
        priorities=tuple(b.priorities()),
        how_to=tuple(b.how_to()),
        pitfalls=tuple(dict.fromkeys(b.pitfalls())),
        pointers=tuple(dict.fromkeys(b.pointers())),
        next_up=b.next_up(),
        stall=focus.stall.message if focus.stall else None,
        item_id=item.id,
        item_title=item.title,
        plan_path=plan.path if plan else None,
        phase_id=step.phase.id if step.phase else None,
        task_id=task.id if task else None,
        task_state=task.state.value if task else None,
        selected_by=focus.how,
        notes=focus.notes,
    )
