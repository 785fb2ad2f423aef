"""The selection stage: workspace in, one typed :class:`~supervisor.select.Focus` out — item,
plan, phase, task, and the reasons — used alike by `next`, `dispatch --focus`, `status` and
`replay`.

The pure rules live in :mod:`supervisor.select`; this module reads what they need from the
workspace (ledger, the item's plan, the loop's signals)."""

from __future__ import annotations

import dataclasses

from supervisor.errors import WorkspaceError
from supervisor.model import Item, Plan
from supervisor.select import NO_STEP, Focus, Step, choose_item, choose_task, named_sources
from supervisor.signals import Signals
from supervisor.workspace import Workspace


def plan_of(ws: Workspace, item: Item) -> Plan | None:
    """The item's plan; a Plan Reference naming only missing files is an error."""
    rel = ws.plan_for(item)
    if rel is None:
        from supervisor.parse.fields import plan_refs

        for f in item.fields:
            missing = [p for p in plan_refs(f.raw) if not ws.exists(p)]
            if f.label.lower().startswith("plan") and missing:
                raise WorkspaceError(
                    f"[{item.id}] plan reference {missing[0]} does not exist",
                    path=ws.ledger_path,
                    line=f.span.start,
                    hint="fix the Plan Reference path or create the plan",
                )
        return None
    return ws.plan(rel)


def choose_focus(
    ws: Workspace, override: str | None = None, signals: Signals | None = None
) -> Focus:
    """Item, plan, phase and task for the next turn, with the reasons for each choice."""
    from supervisor import gcpolicy

    with gcpolicy.paused():  # a large model is in memory: see parse_ledger
        return _choose_focus(ws, override, signals)


def _choose_focus(ws: Workspace, override: str | None, signals: Signals | None) -> Focus:
    from supervisor import signals as sig

    ledger = ws.ledger()
    if signals is None:
        signals = sig.gather(ws)
    focus = choose_item(ledger, ws.config, override, signals)
    plan, step = _plan_and_step(ws, focus.item)
    return dataclasses.replace(focus, plan=plan, step=step)


def _plan_and_step(ws: Workspace, item: Item) -> tuple[Plan | None, Step]:
    """The item's plan and step. With several plans: the one its open Next Action (or latest
    attempt's Next Actions) cites by path, else the first whose step a Next Action names,
    else the first with an actionable task."""
    paths = ws.plans_for(item)
    if len(paths) <= 1:
        plan = plan_of(ws, item)
        return plan, (choose_task(plan, item) if plan is not None else NO_STEP)
    sources = named_sources(item)
    for source, text in sources:
        cited = [p for p in paths if p in text]
        if cited:
            plan = ws.plan(cited[0])
            step = choose_task(plan, item)
            return plan, dataclasses.replace(step, how=f"{step.how}; plan cited by {source}")
    steps = [(ws.plan(p), None) for p in paths]
    chosen = [(plan, choose_task(plan, item)) for plan, _ in steps]
    for plan, step in chosen:
        if step.how.startswith("named by"):
            return plan, step
    for plan, step in chosen:
        if step.task is not None:
            return plan, step
    return chosen[0]
