"""The pieces of the loop's trust boundary on their own: the ledger audit (only the focus item
may gain content), the compare-and-swap lease (a stale read never takes the turn; a lost lease
is never written over) and the whitelist's view of our own temp files."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from supervisor.loop.audit import audit_ledger
from supervisor.loop.state import (
    LeaseError,
    LoopState,
    StateChangedError,
    claim,
    load_state,
    owner_id,
    release_if_held,
    save_held,
    save_state,
)
from supervisor.loop.sync import own_temp

LEDGER = """\
# Fix Plan Ledger

**Last Updated:** 2026-01-05 (galph loop #1)
**Active Focus:**
- CRITICAL: `[ALPHA-001]` — localize the divergence.

## Index
| ID | Title | Priority | Status |
| --- | --- | --- | --- |
| [ALPHA-001](#alpha-001-alpha) | Alpha | Critical | in_progress |
| [BETA-002](#beta-002-beta) | Beta | High | in_progress |

## [ALPHA-001] Alpha
- Priority: Critical
- Status: in_progress
- Attempts History:
  * [2026-01-04] Attempt #1 — Result: ✅ success. Plan drafted.

## [BETA-002] Beta
- Priority: High
- Status: in_progress
- Attempts History: none yet
"""

REL = "docs/fix_plan.md"


def _edit(old: str, new: str, text: str = LEDGER) -> str:
    assert old in text
    return text.replace(old, new)


def test_what_record_attempt_writes_passes() -> None:
    after = _edit("2026-01-05 (galph loop #1)", "2026-02-01 (galph loop #1)")
    after = _edit("| Alpha | Critical | in_progress |", "| Alpha | Critical | done |", after)
    after = _edit("- Status: in_progress\n- Attempts History:\n",
                  "- Status: done\n- Attempts History:\n", after)  # fmt: skip
    after = _edit("Plan drafted.\n", "Plan drafted.\n  * [2026-02-01] Attempt #2 — Result: ✅ "
                  "success. Done.\n- Next Actions: none\n", after)  # fmt: skip
    audit = audit_ledger(LEDGER, after, REL, "ALPHA-001")
    assert audit.problems == ()
    assert "+  * [2026-02-01] Attempt #2 — Result: ✅ success. Done." in audit.diff
    assert audit_ledger(LEDGER, LEDGER, REL, "ALPHA-001").diff == ()


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("- Attempts History: none yet\n", "- Attempts History: none yet\n- Note: mine now\n",
         "[BETA-002] was rewritten (now lines 19-23)"),
        ("## [BETA-002] Beta\n", "## [BETA-002] Beta (closed)\n",
         "[BETA-002] was rewritten (now lines 19-22)"),
        ("- CRITICAL: `[ALPHA-001]` — localize the divergence.",
         "- CRITICAL: `[BETA-002]` — forget alpha.",
         "the text outside the item sections (title, header, Index) changed beyond the Last "
         "Updated line and the [ALPHA-001] Index row"),
        ("| Beta | High | in_progress |", "| Beta | High | done |",
         "the text outside the item sections (title, header, Index) changed beyond the Last "
         "Updated line and the [ALPHA-001] Index row"),
        ("  * [2026-01-04] Attempt #1 — Result: ✅ success. Plan drafted.\n", "",
         "[ALPHA-001] lost or rewrote Attempt #1 of its Attempts History (was line 17)"),
        ("Result: ✅ success. Plan drafted.", "Result: ✅ success. Everything proven.",
         "[ALPHA-001] lost or rewrote Attempt #1 of its Attempts History (was line 17)"),
        ("- Attempts History: none yet\n",
         "- Attempts History: none yet\n\n## [GAMMA-003] Gamma\n- Status: done\n",
         "[GAMMA-003] was added (lines 24-25)"),  # and the blank line before it, outside
    ],
)  # fmt: skip
def test_changes_outside_the_focus_item_are_problems(old: str, new: str, problem: str) -> None:
    audit = audit_ledger(LEDGER, _edit(old, new), REL, "ALPHA-001")
    assert audit.problems[0] == problem
    outside = [p for p in audit.problems[1:] if p.startswith("the text outside")]
    assert len(audit.problems) == 1 + len(outside) and ("GAMMA" in problem) == bool(outside)
    assert audit.diff[0] == f"--- a/{REL} (turn start)" and audit.diff[1] == f"+++ b/{REL}"


def test_deleting_or_reordering_items_are_problems() -> None:
    alpha = LEDGER[LEDGER.index("## [ALPHA-001]") : LEDGER.index("## [BETA-002]")]
    beta = LEDGER[LEDGER.index("## [BETA-002]") :]
    head = LEDGER[: LEDGER.index("## [ALPHA-001]")]
    assert audit_ledger(LEDGER, head + alpha.rstrip("\n") + "\n", REL, "ALPHA-001").problems == (
        "[BETA-002] was deleted (it was lines 19-22)",
        "the text outside the item sections (title, header, Index) changed beyond the Last "
        "Updated line and the [ALPHA-001] Index row",  # the blank line before it went too
    )
    swapped = head + beta + "\n" + alpha.rstrip("\n") + "\n"
    assert audit_ledger(LEDGER, swapped, REL, "ALPHA-001").problems == ("items were reordered",)


# --------------------------------------------------------------------------- lease CAS


def test_claim_refuses_a_stale_read_and_changes_nothing(tmp_path: Path) -> None:
    rel = "sync/state.json"
    seen = LoopState()  # read while the file did not exist yet
    other = replace(LoopState(), iteration=1, expected_actor="agent", status="ready")
    save_state(tmp_path, rel, other)
    text = (tmp_path / rel).read_text()
    with pytest.raises(StateChangedError) as err:
        claim(tmp_path, rel, seen, owner_id("supervisor"), 60, lambda st, note: st)
    assert str(err.value) == (
        "sync/state.json: the loop state changed while this loop was taking the turn (now: "
        "iteration 1, agent's turn, ready): another loop took it; nothing was run — let the "
        "other loop finish; rerun to continue from the state as it is now"
    )
    assert (tmp_path / rel).read_text() == text
    # the state as it is now is claimed, and the claim is what was written
    st, note = claim(tmp_path, rel, load_state(tmp_path, rel), owner_id("agent"), 60,
                     lambda st, note: replace(st, status="running"))  # fmt: skip
    assert note is None and st.lease is not None and st.lease.owner == owner_id("agent")
    assert load_state(tmp_path, rel) == st
    # a second claim from the same stale read loses: the lease is live and not its own
    with pytest.raises(LeaseError) as err2:
        claim(tmp_path, rel, other, "agent@elsewhere:1", 60, lambda st, note: st)
    assert "the loop lease is held by" in str(err2.value)
    assert (tmp_path / ".supervisor/.gitignore").read_text().endswith("\n*\n")


def test_a_lost_lease_is_never_written_over(tmp_path: Path) -> None:
    rel = "sync/state.json"
    mine = owner_id("agent")
    st, _ = claim(tmp_path, rel, LoopState(), mine, 60, lambda s, n: replace(s, status="running"))
    assert st.lease is not None
    theirs = replace(st, lease=replace(st.lease, owner="agent@elsewhere:9"))
    save_state(tmp_path, rel, theirs)
    before = json.loads((tmp_path / rel).read_text())
    with pytest.raises(LeaseError) as err:
        save_held(tmp_path, rel, replace(st, status="ready", lease=None), mine)
    assert str(err.value).startswith(
        f"sync/state.json: this loop ({mine}) no longer holds the lease on the turn (now held by "
        "agent@elsewhere:9, iteration 0, supervisor's turn, running)"
    )
    assert release_if_held(tmp_path, rel, mine, lambda s: replace(s, status="blocked")) is None
    assert json.loads((tmp_path / rel).read_text()) == before


def test_own_temp_files_of_whitelisted_files_only() -> None:
    wl = ("input.md", "docs/fix_plan.md", "plans/**", "sync/state.json")
    assert own_temp("docs/.fix_plan.md.k3j9x_2a.tmp", wl)
    assert own_temp("sync/.state.json.ab12cd34.tmp", wl)
    assert own_temp(".input.md.zzzzzzzz.tmp", wl)
    assert own_temp("plans/active/a/.plan.md.abcdefgh.tmp", wl)
    assert not own_temp("src/.main.py.abcdefgh.tmp", wl)  # not a whitelisted file's
    assert not own_temp("docs/.fix_plan.md.tmp", wl)  # not the temp-file pattern
    assert not own_temp("docs/fix_plan.md.abcdefgh.tmp", wl)
