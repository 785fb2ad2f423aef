"""One turn's verdict: our focus against the recorded brief's, and why they differ."""

from __future__ import annotations

from supervisor.config import Config
from supervisor.gitio import CommitInfo
from supervisor.model import Ledger
from supervisor.replay.model import TurnResult
from supervisor.replay.recorded import Recorded
from supervisor.select import Focus, reported_done, status_word


def compare(
    n: int, commit: CommitInfo, recorded: Recorded, focus: Focus, ledger: Ledger, config: Config
) -> TurnResult:
    step = focus.step
    phase = step.phase.id if step.phase is not None else None
    task = step.task.id if step.task is not None else None
    item_ok = focus.item.id == recorded.item
    step_ok = item_ok and (
        (task is not None and task == recorded.task)
        or (phase is not None and phase == recorded.phase)
    )
    redo = False
    if focus.plan is not None and task is not None:
        redo = task in reported_done(focus.item, focus.plan)
    rec_item = ledger.item(recorded.item) if recorded.item else None
    rec_kind = config.statuses.kind(status_word(rec_item, ledger)) if rec_item else None
    reason = ""
    if not item_ok:
        if rec_item is None:
            reason = f"the recorded item {recorded.item} has no section in the ledger"
        else:
            cand = next((c for c in focus.ranking if c.id == rec_item.id), None)
            why = "; ".join(cand.reasons) if cand is not None else "not ranked"
            reason = f"ours by {focus.how}; recorded {rec_item.id}: {why}"
    elif not step_ok:
        reason = (
            f"ours {phase or '-'}/{task or '-'}, recorded "
            f"{recorded.phase or '-'}/{recorded.task or '-'}"
        )
    return TurnResult(
        n, commit.sha, commit.date, commit.subject,
        recorded.item, recorded.phase, recorded.task,
        focus.item.id, phase, task, focus.how,
        item_ok, step_ok, redo, rec_kind == "done", None, reason,
    )  # fmt: skip
