"""Plans (L111, L112, L118, L119): plan progress against the item's status, whitespace after
table rows, task IDs that repeat within a plan."""

from __future__ import annotations

from collections.abc import Iterator

from supervisor.lint.context import LintContext
from supervisor.lint.findings import Finding, at, finding
from supervisor.lint.fix import trailing_space_rows
from supervisor.model import Ledger
from supervisor.select import status_word


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
