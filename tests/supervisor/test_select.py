"""Selection: override, Active Focus, priorities, status, ledger order, dependencies,
blocked items, the stall guard, and the task inside the plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from supervisor.config import Config
from supervisor.errors import NotFoundError
from supervisor.parse.ledger import parse_ledger
from supervisor.parse.plan import parse_plan
from supervisor.select import choose_item, choose_task

CFG = Config(root=Path("."), path=Path("supervisor.yaml"))


def item(ident: str, priority: str, status: str, extra: str = "") -> str:
    return f"## [{ident}] {ident} title\n- Priority: {priority}\n- Status: {status}\n{extra}\n"


def ledger(*items: str, focus: str = ""):  # type: ignore[no-untyped-def]
    head = "# Fix Plan Ledger\n\n**Last Updated:** 2026-01-01\n"
    if focus:
        head += f"**Active Focus:**\n{focus}\n"
    return parse_ledger(head + "\n" + "\n".join(items), "docs/fix_plan.md")


def test_priority_then_status_then_ledger_order() -> None:
    lg = ledger(
        item("LOW-0001", "Low", "in_progress"),
        item("HIGH-0002", "High", "in_planning"),
        item("HIGH-0003", "High", "in_progress"),
        item("HIGH-0004", "High", "in_progress"),
        item("CRIT-0005", "Critical", "done"),
    )
    focus = choose_item(lg, CFG)
    assert focus.item.id == "HIGH-0003" and focus.how == "ranked"
    assert [c.id for c in focus.ranking] == [
        "HIGH-0003", "HIGH-0004", "HIGH-0002", "LOW-0001", "CRIT-0005",
    ]  # fmt: skip
    assert focus.ranking[-1].reasons == ("status done (done)",)


def test_escalated_priority_words_normalize() -> None:
    lg = ledger(
        item("HIGH-0001", "High", "in_progress"),
        item("ESC-00002", "**ESCALATED CRITICAL** (routing)", "in_progress"),
    )
    assert choose_item(lg, CFG).item.id == "ESC-00002"


def test_dependencies_must_be_done() -> None:
    lg = ledger(
        item("AAA-0001", "Critical", "in_progress", "- Depends on: [BBB-0002]"),
        item("BBB-0002", "Low", "in_progress"),
        item("CCC-0003", "Critical", "in_progress", "- Depends on: [DDD-0004], [ZZZ-0009]"),
        item("DDD-0004", "Low", "done"),
    )
    focus = choose_item(lg, CFG)
    assert focus.item.id == "BBB-0002"
    by_id = {c.id: c for c in focus.ranking}
    assert by_id["AAA-0001"].reasons == ("depends on BBB-0002 (active)",)
    assert "depends on ZZZ-0009 (not in the ledger)" in by_id["CCC-0003"].reasons
    assert not by_id["CCC-0003"].eligible


def test_blocked_and_unknown_statuses_are_not_candidates() -> None:
    lg = ledger(
        item("AAA-0001", "Critical", "blocked (upstream)"),
        item("BBB-0002", "Critical", "IMPLEMENTED"),
        item("CCC-0003", "Critical", "weird"),
        item("DDD-0004", "Low", "pending"),
    )
    focus = choose_item(lg, CFG)
    assert focus.item.id == "DDD-0004"
    reasons = {c.id: c.reasons for c in focus.ranking}
    assert reasons["AAA-0001"] == ("status blocked (blocked)",)
    assert reasons["BBB-0002"] == ("status implemented (done)",)
    assert reasons["CCC-0003"] == ("status 'weird' is not in the configured vocabulary",)


def test_active_focus_override_skips_monitor_and_closed() -> None:
    lg = ledger(
        item("AAA-0001", "Critical", "in_progress"),
        item("BBB-0002", "Low", "done"),
        item("CCC-0003", "Low", "in_planning"),
        item("DDD-0004", "Low", "in_progress"),
        focus="- MONITOR: `[DDD-0004]` — watch\n- CRITICAL: `[BBB-0002]` — x\n- `[CCC-0003]` — go",
    )
    focus = choose_item(lg, CFG)
    assert (focus.item.id, focus.how) == ("CCC-0003", "active-focus")
    assert focus.notes == (
        "Active Focus names BBB-0002, but it is done; skipped",
        "Active Focus line 7 names CCC-0003",
    )


def test_cli_override_and_unknown_id() -> None:
    lg = ledger(item("AAA-0001", "Critical", "in_progress"), item("BBB-0002", "Low", "done"))
    focus = choose_item(lg, CFG, "[BBB-0002]")
    assert (focus.item.id, focus.how) == ("BBB-0002", "cli")
    assert focus.notes == ("--focus BBB-0002 chosen although: status done (done)",)
    with pytest.raises(NotFoundError) as exc:
        choose_item(lg, CFG, "AAA-001")
    assert str(exc.value) == (
        "docs/fix_plan.md: no item AAA-001 in the ledger — did you mean AAA-0001?"
    )


def test_nothing_eligible() -> None:
    lg = ledger(item("AAA-0001", "Critical", "done"))
    with pytest.raises(NotFoundError, match="no eligible item"):
        choose_item(lg, CFG)


def _attempts(*results: str) -> str:
    lines = "\n".join(
        f"  * [2026-01-0{n}] Attempt #{n} — Result: {r}" for n, r in enumerate(results, 1)
    )
    return f"- Attempts History:\n{lines}"


@pytest.mark.parametrize(
    ("results", "stalled"),
    [
        (("success", "failed", "partial", "blocked"), True),
        (("failed", "failed"), False),  # fewer than K
        (("failed", "success", "failed", "failed"), False),
        (("📋 planning", "supervisor audit", "❌ failed"), True),
    ],
)
def test_stall_guard(results: tuple[str, ...], stalled: bool) -> None:
    lg = ledger(item("AAA-0001", "High", "in_progress", _attempts(*results)))
    focus = choose_item(lg, CFG)
    assert (focus.stall is not None) is stalled
    if focus.stall:
        assert [a.number for a in focus.stall.attempts] == list(
            range(len(results) - 2, len(results) + 1)
        )
        assert focus.stall.message.startswith("the last 3 attempts (#")


PLAN = """\
### Phase A — done
| ID | Task | State | Guidance |
| --- | --- | --- | --- |
| A1 | x | [D] | |
### Phase B — blocked only
| ID | Task | State | Guidance |
| --- | --- | --- | --- |
| B1 | y | [B] | |
| B2 | z | [-] | |
### Phase C — work
| ID | Task | State | Guidance |
| --- | --- | --- | --- |
| C1 | a | [ ] | |
| C2 | b | [P] | |
| C3 | c | [ ] | |
### Phase D — later
| ID | Task | State | Guidance |
| --- | --- | --- | --- |
| D1 | d | [ ] | |
"""


def test_choose_task_in_progress_first_and_blocked_phases_passed_over() -> None:
    step = choose_task(parse_plan(PLAN, "p.md"))
    assert step.phase is not None and step.phase.id == "C"
    assert step.task is not None and step.task.id == "C2"
    assert step.next_task is not None and step.next_task.id == "C1"
    assert [t.id for t in step.blocked] == ["B1"]


def test_choose_task_when_everything_is_done() -> None:
    step = choose_task(
        parse_plan(PLAN.replace("[ ]", "[D]").replace("[P]", "[D]").replace("[B]", "[D]"), "p.md")
    )
    assert (step.phase, step.task, step.next_task) == (None, None, None)
