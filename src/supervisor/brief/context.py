"""The typed brief context: everything the template renders, computed from parsed spans.

Every pointer is a :class:`~supervisor.model.Span` from the parsers, checked against the file
as read (exists, lines in range) before it reaches a template. What the plan and ledger say
reaches the brief verbatim and on one line (:mod:`supervisor.brief.text`): the task's
guidance, the Next Action being worked, the item's risks, the latest attempts. Commands
shown come from the registry in ``supervisor.yaml`` and from the guidance (quoted as data,
never run, with the configured ``env:`` prefixed); mapped tests are checked against the
test files first. The brief's Mode comes from the config and the stall guard only.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

from supervisor.brief.artifacts import ArtifactPaths, plan_artifacts
from supervisor.brief.commands import commands_in, is_test_command, with_env
from supervisor.brief.history import attempt_summary, dependencies, latest_attempts
from supervisor.brief.selectors import MappedTests, check_tests, is_bare_selector
from supervisor.brief.text import excerpt, one_line
from supervisor.config import CommandSpec
from supervisor.dispatch.registry import task_commands
from supervisor.model import Item, Phase, Plan, Span, Task, TaskState
from supervisor.parse.fields import ListEntry, backticked, field_body
from supervisor.select import Focus, Step, open_actions
from supervisor.workspace import Workspace

NO_TESTS = "none — evidence-only"
GUIDANCE_LIMIT = 1200
_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
RISKS_LIMIT = 4000


@dataclass(frozen=True)
class PointerLine:
    anchor: str  # "path:a-b", verified
    note: str


@dataclass(frozen=True)
class SelectorLine:
    """A mapped test id the brief rewrote (class-qualified) or dropped, and why."""

    selector: str
    state: str  # a parse.testids.NodeState value
    shown: str | None  # None when dropped
    reason: str


@dataclass(frozen=True)
class StepDetail:
    """The step's own words and what they cite, as the brief shows them (also in --json)."""

    guidance: str | None  # the task's guidance (or the Next Action), verbatim, bounded
    guidance_source: str | None  # "path:line" it was read from
    commands: tuple[str, ...]  # commands quoted there, env-prefixed (tests excluded)
    tests: tuple[str, ...]  # mapped tests after the check, env-prefixed
    selectors: tuple[SelectorLine, ...]  # ids rewritten or dropped by the check
    artifacts_source: str | None  # "path:line" that names the artifact path; None: computed
    attempts: tuple[PointerLine, ...]  # the latest attempts by number, latest first
    dependencies: tuple[PointerLine, ...]


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
    step: StepDetail | None = None  # what the plan and ledger say about this step

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


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


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?", "…", ".”")) else text + "."


def _programs(commands: tuple[CommandSpec, ...]) -> list[str]:
    """The programs the registry runs (``argv[0]``), which also read as commands in text."""
    return [c.argv[0].rsplit("/", 1)[-1] for c in commands if c.argv and "{" not in c.argv[0]]


class _Builder:
    """Collects the sections for one (item, plan, step); each method fills one of them."""

    def __init__(self, ws: Workspace, focus: Focus, plan: Plan | None, step: Step) -> None:
        self.ws, self.focus, self.plan, self.step = ws, focus, plan, step
        self.item, self.phase, self.task = focus.item, step.phase, step.task
        cfg = ws.config
        task = self.task
        self.commands = task_commands(cfg, task)  # the same as `dispatch --focus`
        self.action = self._action()
        self.plan_lines = self._plan_lines()
        # the step's own words: the task's guidance, else the Next Action being worked
        self.guidance: str | None = None
        self.guidance_span: Span | None = None
        if task is not None and task.guidance.strip():
            self.guidance, self.guidance_span = excerpt(task.guidance, GUIDANCE_LIMIT), task.span
        elif task is None and self.action is not None:
            self.guidance = excerpt(_LIST_MARK.sub("", self.action.text, 1), GUIDANCE_LIMIT)
            self.guidance_span = self.action.span
        here = f"task {task.id}" if task is not None else "the Next Action"
        quoted = [(q, here) for q in backticked(task.guidance)] if task else []
        if self.action is not None:
            quoted += [(q, "the Next Action") for q in backticked(self.action.text)]
        source: dict[str, str] = {}  # each span in order, with the first place it is quoted
        for q, where in quoted:
            source.setdefault(q, where)
        programs = _programs(cfg.commands)
        cited = [q for q in source if is_test_command(q) or is_bare_selector(q)]
        self.mapped: MappedTests = check_tests(ws.root, cited)
        self.tests = [
            with_env(t if is_test_command(t) else f"pytest {t}", cfg.env, programs)
            for t in self.mapped.tests
        ]
        runs = [c for c in commands_in(source, programs) if not is_test_command(c)]
        self.run_cmds = [(with_env(c, cfg.env, programs), source[c]) for c in runs]
        slug = f"phase_{self.phase.id.lower()}" if self.phase and self.phase.id else "phase_none"
        self.bundle_dir = f"{cfg.paths.reports}/{self.item.id}/{slug}/$STAMP/"
        step_text = task.guidance if task else (self.action.text if self.action else "")
        step_span = task.span if task else (self.action.span if self.action else None)
        given = plan_artifacts(
            cfg.paths.reports, self.item, plan, self.plan_lines, self.phase, step_text, step_span
        )
        self.artifacts: ArtifactPaths = given or ArtifactPaths((self.bundle_dir,), None)

    def _action(self) -> ListEntry | None:
        """The open Next Action being worked: with no plan task, the first open one; with a
        task, the first open one that names the task (or its phase)."""
        actions = open_actions(self.item)
        if self.task is None:
            return next(iter(actions), None)
        names = [re.escape(self.task.id)]
        if self.phase is not None and self.phase.id:
            names.append(rf"Phase\s+{re.escape(self.phase.id)}")  # NBSPs included
        pattern = re.compile(rf"(?<![\w.])(?:{'|'.join(names)})(?!\w)")
        return next((a for a in actions if pattern.search(a.text)), None)

    def _action_head(self, limit: int) -> str:
        assert self.action is not None
        return excerpt(_LIST_MARK.sub("", self.action.text, 1), limit).rstrip(".")

    def _plan_lines(self) -> list[str]:
        if self.plan is None:
            return []
        return self.ws.read_text(self.plan.path, what="plan").splitlines()

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
        """From the config and the stall guard only; text in a plan never sets it."""
        cfg = self.ws.config
        return cfg.stall_mode if self.focus.stall else cfg.default_mode

    def _no_task_reason(self) -> str:
        plan = self.plan
        if plan is None:
            return "no plan names it"
        if not self.plan_lines:
            return f"its plan {plan.path} is empty"
        if not plan.tasks:
            return f"its plan {plan.path} has no tasks"
        return "its plan has no open task"

    def summary_and_do_now(self) -> tuple[str, str]:
        item, task, stall = self.item, self.task, self.focus.stall
        if task is None:
            if self.action is not None:
                what = _sentence(self.guidance or one_line(self.action.head, 200))
                head = self._action_head(160)
                record = record_line(item, None, "success|partial|failed", None)
                return (
                    f"[{item.id}] next action: {_sentence(head)}",
                    f"[{item.id}] Next Action — {what} Then record the outcome with {record}.",
                )
            why = self._no_task_reason()
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
        do_now = f"[{item.id}] {self.where()} — {_sentence(one_line(task.description, 200))}"
        if self.guidance:
            do_now += f" Plan guidance: \u201c{self.guidance}\u201d"
        if self.commands:
            runs = ", then ".join(f"`supervisor dispatch {c.name}`" for c in self.commands)
            do_now += f" Run {runs} (evidence lands in `{self.bundle_dir}`)."
        record = record_line(item, task, "success|partial|failed", "done|in-progress")
        return summary, f"{do_now} Then record the outcome with {record}."

    def priorities(self) -> list[PointerLine]:
        item, task, phase, stall = self.item, self.task, self.phase, self.focus.stall
        out = []
        if task is not None:
            note = f"task {task.id} [{task.state.value}] — {one_line(task.description, 120)}"
            out.append(self.pointer(task.span, note))
        if self.action is not None:
            which = "first open Next Action" if task is None else "Next Action being worked"
            which = f"[{item.id}] {which}"
            out.append(self.pointer(self.action.span, f"{which}: {self._action_head(120)}"))
        if phase is not None and self.plan_lines:
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
            lo, hi = min(first.start, last.start), max(first.end, last.end)
            out.append(self.pointer(Span(first.path, lo, hi), f"stall: {stall.message}"))
        out += self.attempts
        out += self.dependencies
        return out

    @cached_property
    def attempts(self) -> list[PointerLine]:
        item = self.item
        return [
            self.pointer(a.span, f"[{item.id}] {attempt_summary(a)}") for a in latest_attempts(item)
        ]

    @cached_property
    def dependencies(self) -> list[PointerLine]:
        ledger = self.ws.ledger()
        out = []
        for dep in dependencies(self.item, ledger, self.ws.config):
            f = self.item.field("Depends on") or self.item.field("Depends")
            span = dep.item.span if dep.item is not None else (f.span if f else self.item.span)
            out.append(self.pointer(span, dep.summary()))
        return out

    def pointers(self) -> list[PointerLine]:
        item, ws = self.item, self.ws
        out = [self.pointer(item.span, f"[{item.id}] ledger section")]
        if self.plan is not None and self.plan_lines:
            out.append(self.pointer(self.plan.span, "plan"))
        if self.phase is not None and self.plan_lines:
            out.append(self.pointer(self.phase.span, self.phase.label))
        if self.task is not None:
            out.append(self.pointer(self.task.span, f"task {self.task.id} row"))
        for f in (item.field("Next Actions"), item.field("Reproduction")):
            if f is not None:
                out.append(self.pointer(f.span, f"[{item.id}] {f.label}"))
        if self.artifacts.source is not None:
            out.append(self.pointer(self.artifacts.source, "where this step's evidence goes"))
        cfg_rel = ws.rel(ws.config.path)
        ws.read_text(cfg_rel)
        for c in self.commands:
            out.append(self.pointer(Span(cfg_rel, c.line, c.line), f"command `{c.name}`"))
        return out

    def how_to(self) -> list[str]:
        out = [dispatch_line(c) for c in self.commands]
        out += [f"Run (from {where}): `{c}`" for c, where in self.run_cmds]
        out += [f"Mapped test: `{t}`" for t in self.tests]
        for n in self.mapped.notes:
            if n.shown is not None:
                out.append(f"Mapped test `{n.selector}` cited as `{n.shown}`: {n.reason}.")
            else:
                out.append(
                    f"Not mapped: `{n.selector}` — {n.reason}; pytest would collect nothing."
                )
        for c in self.mapped.dropped_commands:
            out.append(f"Not run: `{c}` — none of its tests would be collected.")
        if self.commands:
            out.append(f"Evidence bundles go to `{self.bundle_dir}` (one STAMP per dispatch).")
        if self.artifacts.source is not None:
            given, named = self.artifacts.text, self.artifacts.source.anchor
            out.append(f"Keep this step's evidence under `{given}` (named at {named}).")
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
            out.append(f"Mind the item's risks: {one_line(field_body(risks), RISKS_LIMIT)}")
        if task is None and self.action is not None:
            out.append(
                "Do not mark the Next Action complete unless the evidence it asks for exists."
            )
        if self.plan is not None and not self.plan.tasks:
            out.append(f"Do not invent tasks: {self._no_task_reason()}; add them to it first.")
        phase_tasks = self.phase.tasks if self.phase else ()
        blocked = [*self.step.blocked, *(t for t in phase_tasks if t.state is TaskState.BLOCKED)]
        for b in list(dict.fromkeys(blocked))[:4]:
            out.append(f"Task {b.id} is blocked ({b.raw_state}); do not work around it silently.")
        return out

    def selector_lines(self) -> tuple[SelectorLine, ...]:
        return tuple(
            SelectorLine(n.selector, n.state, n.shown, n.reason) for n in self.mapped.notes
        )

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
    priorities = b.priorities()
    return BriefContext(
        summary=summary,
        mode=b.mode(),
        focus=f"[{item.id}] {item.title}" + (f" — {where}" if where else ""),
        branch=ws.config.branch,
        mapped_tests="; ".join(f"`{t}`" for t in b.tests) if b.tests else NO_TESTS,
        artifacts=b.artifacts.text,
        do_now=do_now,
        if_blocked=if_blocked,
        priorities=tuple(dict.fromkeys(priorities)),
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
        step=StepDetail(
            guidance=b.guidance,
            guidance_source=b.guidance_span.anchor if b.guidance_span else None,
            commands=tuple(c for c, _ in b.run_cmds),
            tests=tuple(b.tests),
            selectors=b.selector_lines(),
            artifacts_source=b.artifacts.source.anchor if b.artifacts.source else None,
            attempts=tuple(b.attempts),
            dependencies=tuple(b.dependencies),
        ),
    )
