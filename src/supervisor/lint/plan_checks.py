"""Plans (L111, L112, L118, L119, L123–L125): plan progress against the item's status,
whitespace after table rows, task IDs that repeat within a plan, and task forms the parser
cannot read (a task table without a State column, a checkbox without a task ID, a plan with
no readable task at all)."""

from __future__ import annotations

from collections.abc import Iterator

from supervisor.lint.context import LintContext
from supervisor.lint.findings import Finding, at, finding
from supervisor.lint.fix import trailing_space_rows
from supervisor.model import Ledger
from supervisor.parse.fields import plain
from supervisor.select import reported_done, status_word


def check_plan(ctx: LintContext, rel: str) -> Iterator[Finding]:
    plan = ctx.plan(rel)
    first: dict[str, int] = {}
    for t in plan.tasks:
        if t.id in first:
            yield finding(
                "L119",
                t.span,
                f"task {t.id} already appears at line {first[t.id]}",
                "give each task a unique ID (record-attempt addresses tasks by ID)",
            )
        else:
            first[t.id] = t.span.start
    yield from table_space(ctx, rel)
    yield from unreadable_tasks(ctx, rel)


def unreadable_tasks(ctx: LintContext, rel: str) -> Iterator[Finding]:
    """L123 task tables without a State column; when the plan has no task at all, L124 for
    each checkbox without a task ID, else L125 once."""
    from supervisor.parse.markdown import blocks
    from supervisor.parse.plan import checkbox_parts

    o = ctx.outline(rel)
    rows = [b for b in blocks(o.lines) if b.kind == "table_row"]
    stateless = 0
    for b in rows:
        if not b.header:
            continue
        names = [plain(c).lower() for c in b.cells]
        has_task = any("task" in n for n in names[1:])
        has_state = any(n in ("state", "status") for n in names)
        if names and names[0].endswith("id") and has_task and not has_state:
            n_rows = sum(1 for r in rows if r.table == b.table and not r.header)
            stateless += 1
            yield finding(
                "L123",
                at(rel, b.start + 1),
                f"task table has no State column, so its {n_rows} row(s) are not tasks",
                "add a State column (`| ID | Task | State | Guidance |`) holding [ ], [P], "
                "[D] or [B] (see docs/formats.md#plan)",
            )
    if ctx.plan(rel).tasks or stateless:
        return
    boxes = 0
    for n in range(1, o.line_count + 1):
        parts = None if n in o.fenced else checkbox_parts(o.line(n))
        if parts is not None and parts[1] is None:
            boxes += 1
            yield finding(
                "L124",
                at(rel, n),
                f"checkbox task has no task ID: {parts[2][:50]!r}",
                "start it with an ID: `- [ ] T001 …` or `- [ ] A1: …` (see docs/formats.md#plan)",
            )
    if not boxes:
        yield finding(
            "L125",
            at(rel, 1),
            "plan has no task the parser can read",
            "add a checklist table `| ID | Task | State | Guidance |` or checkbox tasks "
            "`- [ ] T001 …` under a `### Phase A — title` heading (see docs/formats.md#plan)",
        )


def table_space(ctx: LintContext, rel: str) -> Iterator[Finding]:
    o = ctx.outline(rel)
    for n in trailing_space_rows(o.lines, o.fenced):
        yield finding(
            "L118",
            at(rel, n),
            "table row ends in whitespace",
            "strip it (supervisor lint --fix-safe)",
        )


def plan_progress(ctx: LintContext, ledger: Ledger) -> Iterator[Finding]:
    seen: set[str] = set()
    for item in ledger.items:
        if not item.id or item.id in seen:
            continue
        seen.add(item.id)
        kind = ctx.config.statuses.kind(status_word(item, ledger))
        if kind not in ("done", "active"):
            continue
        rel = ctx.plan_for(item)
        if rel is None:
            continue
        tasks = ctx.plan(rel).tasks
        if not tasks:
            continue
        status = item.field("Status")
        where = (
            at(status.span.path, status.span.start) if status else at(ledger.path, item.span.start)
        )
        open_ = [t for t in tasks if not t.state.finished]
        if kind == "done" and open_:
            names = ", ".join(f"{t.id} {t.state.marker}" for t in open_[:5])
            more = f", … ({len(open_)} in all)" if len(open_) > 5 else ""
            yield finding(
                "L111",
                where,
                f"[{item.id}] is done but {rel} has unfinished tasks: {names}{more}",
                "finish or skip those tasks in the plan, or reopen the item",
            )
        elif kind == "active" and not open_:
            yield finding(
                "L112",
                where,
                f"[{item.id}] is still {status_word(item, ledger)} but every "
                f"task of {rel} is finished",
                "close the item, or add the remaining tasks",
            )


def reported_rows(ctx: LintContext, ledger: Ledger) -> Iterator[Finding]:
    """L127: a task row left open although a successful attempt of its item reports it done
    (selection already counts it done; the plan should say so)."""
    seen: set[str] = set()
    for item in ledger.items:
        if not item.id or item.id in seen:
            continue
        seen.add(item.id)
        if ctx.config.statuses.kind(status_word(item, ledger)) != "active":
            continue
        rel = ctx.plan_for(item)
        if rel is None:
            continue
        plan = ctx.plan(rel)
        done = reported_done(item, plan)
        for t in plan.tasks:
            if t.id in done and not t.state.finished:
                number = done[t.id]
                which = f"Attempt #{number}" if number is not None else "an attempt"
                yield finding(
                    "L127",
                    t.span,
                    f"task {t.id} is {t.state.marker} but [{item.id}] {which} (success) "
                    "reports it done",
                    f"tick it: `supervisor record-attempt {item.id} --task {t.id} --state done "
                    "…`, or correct the attempt",
                )
