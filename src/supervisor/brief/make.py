"""Build a brief: select the focus, build the typed context, render the template."""

from __future__ import annotations

from dataclasses import dataclass

from supervisor.brief.context import BriefContext, Escalation, build_context, escalate
from supervisor.errors import WorkspaceError
from supervisor.model import Plan
from supervisor.select import Focus, Step, choose_item, choose_task
from supervisor.workspace import Workspace

TEMPLATE = "brief.md.j2"


@dataclass(frozen=True)
class BriefResult:
    context: BriefContext
    text: str
    focus: Focus
    plan: Plan | None
    step: Step


def plan_of(ws: Workspace, focus: Focus) -> Plan | None:
    """The focus item's plan; a Plan Reference naming only missing files is an error."""
    item = focus.item
    rel = ws.plan_for(item)
    if rel is None:
        from supervisor.parse.fields import paths_in

        for f in item.fields:
            missing = [p for p in paths_in(f.raw) if p.endswith(".md") and not ws.exists(p)]
            if f.label.lower().startswith("plan") and missing:
                raise WorkspaceError(
                    f"[{item.id}] plan reference {missing[0]} does not exist",
                    path=ws.ledger_path,
                    line=f.span.start,
                    hint="fix the Plan Reference path or create the plan",
                )
        return None
    return ws.plan(rel)


def make_brief(
    ws: Workspace, focus_override: str | None = None, escalation: Escalation | None = None
) -> BriefResult:
    """Select the focus and render the brief; ``escalation`` (the loop's stall guard) switches
    the mode and adds its note. Without it the output is exactly `supervisor next`'s."""
    from supervisor.brief.render import render

    ledger = ws.ledger()
    if not ledger.items:
        raise WorkspaceError(
            "no items found",
            path=ledger.path,
            line=1,
            hint='add an item section such as "## [EXAMPLE-001] Title" with - Status: in_progress',
        )
    focus = choose_item(ledger, ws.config, focus_override)
    plan = plan_of(ws, focus)
    step = choose_task(plan) if plan is not None else Step(None, None, None, ())
    context = build_context(ws, focus, plan, step)
    if escalation is not None:
        context = escalate(context, escalation)
    templates = ws.abs(ws.config.paths.templates)
    text = render(TEMPLATE, context.as_dict(), templates if templates.is_dir() else None)
    return BriefResult(context, text, focus, plan, step)
