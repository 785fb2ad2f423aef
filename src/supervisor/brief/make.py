"""Build a brief: select the focus, build the typed context, render the template."""

from __future__ import annotations

from dataclasses import dataclass

from supervisor.brief.context import BriefContext, Escalation, build_context, escalate
from supervisor.model import Plan
from supervisor.select import Focus, Step
from supervisor.workspace import Workspace

TEMPLATE = "brief.md.j2"


@dataclass(frozen=True)
class BriefResult:
    context: BriefContext
    text: str
    focus: Focus
    plan: Plan | None
    step: Step


def make_brief(
    ws: Workspace, focus_override: str | None = None, escalation: Escalation | None = None
) -> BriefResult:
    """Select the focus and render the brief; ``escalation`` (the loop's stall guard) switches
    the mode and adds its note. Without it the output is exactly `supervisor next`'s."""
    from supervisor.brief.render import render
    from supervisor.focus import choose_focus

    focus = choose_focus(ws, focus_override)
    plan, step = focus.plan, focus.step
    context = build_context(ws, focus, plan, step)
    if escalation is not None:
        context = escalate(context, escalation)
    templates = ws.abs(ws.config.paths.templates)
    text = render(TEMPLATE, context.as_dict(), templates if templates.is_dir() else None)
    return BriefResult(context, text, focus, plan, step)
