"""Where a bundle goes: ``<reports>/<ITEM>/phase_<x>/``.

The item is ``--item`` (checked against the ledger) or the current focus item (the same
selection as ``supervisor next``); the phase is ``--phase`` (checked against the item's plan)
or the item's current phase. The focus task comes along for ``dispatch --focus``.
"""

from __future__ import annotations

from dataclasses import dataclass

from supervisor.dispatch.bundle import phase_slug
from supervisor.errors import NotFoundError, choices_hint, close_matches
from supervisor.model import Task
from supervisor.workspace import Workspace


@dataclass(frozen=True)
class Target:
    item: str
    phase: str | None  # the phase ID as the plan writes it
    task: str | None  # the focus task, when the bundle is for the current step
    slug: str  # "phase_a"


def locate(ws: Workspace, item_id: str | None, phase: str | None) -> tuple[Target, Task | None]:
    """The bundle location: the given item (else the current focus item) and the given phase
    (else that item's current phase); also the current task (or None)."""
    from supervisor.focus import choose_focus, plan_of
    from supervisor.parse.fields import normalize_id
    from supervisor.select import NO_STEP, choose_task

    ledger = ws.ledger()
    if item_id is not None:
        want = normalize_id(item_id.strip().strip("[]`")).upper()
        item = ledger.item(want)
        if item is None:
            near = close_matches(want, ledger.ids)
            hint = f"did you mean {', '.join(near)}?" if near else "see `supervisor status`"
            raise NotFoundError(f"no item {want} in the ledger", path=ledger.path, hint=hint)
        plan = plan_of(ws, item)
        step = choose_task(plan, item) if plan is not None else NO_STEP
    else:
        focus = choose_focus(ws)
        item, plan, step = focus.item, focus.plan, focus.step
    if phase is None:
        ident = step.phase.id if step.phase is not None else None
        task = step.task
    else:
        slug = phase_slug(phase)
        ident = slug.removeprefix("phase_")
        if plan is not None:
            ids = [p.id for p in plan.phases if p.id]
            match = next((p for p in ids if p.lower() == ident), None)
            if match is None:
                raise NotFoundError(
                    f"[{item.id}]'s plan has no phase {phase}",
                    path=plan.path,
                    hint=choices_hint(ids),
                )
            ident = match
        task = step.task if step.phase is not None and step.phase.id == ident else None
    target = Target(item.id, ident, task.id if task else None, phase_slug(ident))
    return target, task
