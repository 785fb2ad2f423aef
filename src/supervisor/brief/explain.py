"""``--explain``: the ranking with the reasons for every item, and what was chosen inside."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from supervisor.select import Candidate, NoEligibleItem

if TYPE_CHECKING:  # pragma: no cover
    from supervisor.brief.make import BriefResult


def ranking_json(ranking: tuple[Candidate, ...]) -> list[dict[str, Any]]:
    return [
        {
            "rank": n,
            "id": c.id,
            "title": c.title,
            "priority": c.priority,
            "status": c.status,
            "kind": c.kind,
            "eligible": c.eligible,
            "reasons": list(c.reasons),
        }
        for n, c in enumerate(ranking, start=1)
    ]


def explain_text(result: BriefResult) -> str:
    f, c = result.focus, result.context
    how = {
        "cli": "chosen by --focus",
        "continuity": "chosen by continuity (the item the latest turns worked on)",
        "goal": "chosen by the operator's goals",
        "active-focus": "chosen by the ledger's Active Focus",
        "ranked": "chosen by ranking (priority, then status, then ledger order)",
    }[f.how]
    lines = [f"Focus: [{c.item_id}] {c.item_title} — {how}"]
    lines += [f"  note: {n}" for n in f.notes]
    if result.plan is None:
        lines.append("  plan: none found (no Plan Reference and no plan names the item)")
    else:
        lines.append(f"  plan: {result.plan.path}")
        step = result.step
        if step.task is not None and step.phase is not None:
            lines.append(
                f"  task: {step.task.id} [{step.task.state.value}] in {step.phase.label} — "
                f"{step.how or 'first in-progress else not-started task'}"
            )
        else:
            lines.append("  task: none actionable")
        for b in step.blocked:
            lines.append(f"  passed over blocked task {b.id} ({b.raw_state})")
    if f.stall:
        lines.append(f"  stall guard: {f.stall.message}")
    lines += ["", *ranking_lines(f.ranking, c.item_id)]
    return "\n".join(lines) + "\n"


def ranking_lines(ranking: tuple[Candidate, ...], focus: str | None) -> list[str]:
    lines = ["Ranking:"]
    width = max((len(x.id) for x in ranking), default=2)
    for n, x in enumerate(ranking, start=1):
        mark = "*" if x.id == focus else ("+" if x.eligible else "-")
        lines.append(
            f"{n:>3} {mark} {x.id:<{width}}  {x.priority:<8} {x.status:<12} {'; '.join(x.reasons)}"
        )
    lines.append("")
    lines.append("  * focus   + eligible   - not eligible")
    return lines


def nothing_eligible_text(exc: NoEligibleItem) -> str:
    """`--explain` when no item can be chosen: the signals' notes and every item's reason."""
    lines = ["Focus: none — no eligible item"]
    lines += [f"  note: {n}" for n in exc.notes]
    lines += ["", *ranking_lines(exc.ranking, None)]
    return "\n".join(lines) + "\n"
