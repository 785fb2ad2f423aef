"""The stall guard, from ledger state only (commits and file churn never count as progress).

Progress on the focus means a new successful attempt, a change of the task's State, or a change
of the item's Status. When the same item/task has been the focus for ``loop.stall.iterations``
completed iterations without progress, the guard escalates as configured:

* ``mode``: the brief switches to ``brief.stall_mode`` and says why;
* ``block``: the task (else the item) is marked blocked through ``record_attempt`` and the
  brief, now on the next task, says so;
* ``next``: the item is parked and the brief moves to the next eligible candidate (the item
  stays parked until its state changes).
"""

from __future__ import annotations

from dataclasses import dataclass

from supervisor.brief.context import Escalation
from supervisor.brief.make import BriefResult, make_brief
from supervisor.loop.state import LoopState, Parked, StallRecord
from supervisor.model import Outcome
from supervisor.record.attempt import AttemptRequest, Recorded, record_attempt
from supervisor.select import status_word
from supervisor.workspace import Workspace


@dataclass(frozen=True)
class Guarded:
    """A brief rendered under the stall guard, and what the guard did."""

    result: BriefResult
    stall: StallRecord
    parked: tuple[Parked, ...]
    escalation: str | None  # "mode" | "block" | "next" | "parked" | None
    note: str | None
    blocked: Recorded | None  # the attempt that marked the task blocked


def key_of(result: BriefResult) -> str:
    c = result.context
    return f"{c.item_id}/{c.task_id or '-'}"


def signature_of(result: BriefResult, ws: Workspace) -> str:
    item, task = result.focus.item, result.step.task
    successes = sum(1 for a in item.attempts if a.is_attempt and a.outcome is Outcome.SUCCESS)
    state = task.state.value if task is not None else "-"
    return f"successes={successes};task={state};status={status_word(item, ws.ledger()) or '-'}"


def _next_candidate(result: BriefResult, exclude: set[str]) -> str | None:
    for c in result.focus.ranking:
        if c.eligible and c.id not in exclude:
            return c.id
    return None


def _where(result: BriefResult) -> str:
    c = result.context
    return f"[{c.item_id}]" + (f" task {c.task_id}" if c.task_id else "")


def render(ws: Workspace, state: LoopState, iteration: int) -> Guarded:
    """The brief for ``iteration``: selection as `supervisor next`, then the stall guard."""
    cfg = ws.config
    limit, how = cfg.loop.stall_iterations, cfg.loop.stall_escalate
    result = make_brief(ws)
    override: str | None = None
    note: str | None = None
    escalation: str | None = None
    # parked items stay parked while their state is unchanged
    parked = list(state.parked)
    natural = result.focus.item.id
    mine = next((p for p in parked if p.item == natural), None)
    if mine is not None:
        if mine.signature != signature_of(result, ws):
            parked.remove(mine)
        else:
            other = _next_candidate(result, {p.item for p in parked})
            if other is not None:
                override, escalation = other, "parked"
                note = (
                    f"Loop stall guard: [{natural}] stays parked (no progress since it was "
                    f"set aside); working on [{other}] instead."
                )
                result = make_brief(ws, override, Escalation(note))
    key, sig = key_of(result), signature_of(result, ws)
    prev = state.stall
    count = prev.iterations + 1 if prev and prev.key == key and prev.signature == sig else 0
    blocked: Recorded | None = None
    if count >= limit:
        where, extra = _where(result), ""
        if how == "next":
            item = result.focus.item.id
            other = _next_candidate(result, {p.item for p in parked} | {item})
            if other is None:
                how, extra = "mode", " (no other eligible candidate to move to)"
            else:
                parked.append(Parked(item, sig))
                note = (
                    f"Loop stall guard: {where} made no progress in {count} iterations "
                    f"(no new successful attempt, no state change); [{item}] is parked and "
                    f"the loop moved to the next candidate [{other}]."
                )
                result = make_brief(ws, other, Escalation(note))
                key, sig, count = key_of(result), signature_of(result, ws), 0
        escalation = how
        if how == "block":
            blocked = _block(ws, result, count, iteration)
            ws = Workspace.find(ws.root)
            task = f"task {blocked.task}" if blocked.task else "the item"
            note = (
                f"Loop stall guard: {where} made no progress in {count} iterations; {task} "
                f"was marked blocked (Attempt #{blocked.number}) and the focus moved on."
            )
            result = make_brief(ws, override, Escalation(note))
            key, sig, count = key_of(result), signature_of(result, ws), 0
        elif how == "mode":
            mode = cfg.stall_mode
            note = (
                f"Loop stall guard: {where} has been the focus for {count} iterations without "
                f"progress (no new successful attempt, no task state change){extra}; mode "
                f"switched to {mode}: find out why it stalls before another fix."
            )
            result = make_brief(ws, override, Escalation(note, mode=mode))
    record = StallRecord(key, sig, count, escalation)
    return Guarded(result, record, tuple(parked), escalation, note, blocked)


def _block(ws: Workspace, result: BriefResult, count: int, iteration: int) -> Recorded:
    c = result.context
    why = (
        f"loop stall guard (iteration {iteration}): no progress in {count} iterations "
        "(no new successful attempt, no task state change)"
    )
    if c.task_id is not None:
        req = AttemptRequest(
            item=c.item_id,
            result="blocked",
            summary=f"{why}; task {c.task_id} marked blocked",
            task=c.task_id,
            state="blocked",
        )
    else:
        status = ws.config.statuses.blocked[0] if ws.config.statuses.blocked else "blocked"
        req = AttemptRequest(
            item=c.item_id, result="blocked", summary=f"{why}; item marked {status}", status=status
        )
    return record_attempt(ws, req)
