"""Ledger parsing: a hand-made ledger with every irregularity, then the real corpus ledgers."""

from __future__ import annotations

from pathlib import Path

import pytest

from supervisor.model import Outcome
from supervisor.parse.ledger import parse_ledger

IRREGULAR = """\
**Last Updated:** 2026-01-05 (galph loop #12)
**Active Focus:**
- CRITICAL: `[AT‑PARALLEL‑002]` — pixel size independence
- untagged line naming [OTHER-ITEM-01]

## Index
| ID | Title | Priority | Status |
| --- | --- | --- | --- |
| [AT-PARALLEL-002](#at-parallel-002-pixel-size) | Pixel size | High | in_planning |
| [OTHER-ITEM-01](#other) | Other | Low | done (archived) |
| [OTHER-ITEM-01](#other) | Other | Low | done (archived) |
| [LOST-ITEM-09](#lost) | Lost heading | Medium | in_progress |

### [AT‑PARALLEL‑002] Pixel Size Independence (HIGH)
- **Status**: in_progress — Phase D evidence outstanding
- **Priority:** **ESCALATED CRITICAL** (tenth routing violation)
- Test Results (2025-09-30 20:00 UTC): 3 passed
- Next Actions (2025-11-30 refresh → galph):
  1. first
 20. twentieth
- Attempts History:
  * [2025-10-01] Attempt #2 — Result: success
  * [2025-10-02] Attempt #2 — Result: failed (repeated number)
  * [2025-10-03] Attempt #5 — Result: partial (gap)
<<<<<<< HEAD
  * [2025-10-04] Attempt #6 — Result: success
=======
  * [2025-10-04] Attempt #6 — Result: failed
>>>>>>> 0123abc
- Exit Criteria: correlation ≥ 0.9999

```
## [NOT-AN-ITEM-1] inside a fence
```

---

- Spec/AT: lost heading body
- Priority: Medium
- Status: in_progress
- Plan Reference: `plans/active/lost-item.md`

---

## [OTHER-ITEM-01] Other
- Status: done
"""


@pytest.fixture(scope="module")
def ledger():  # type: ignore[no-untyped-def]
    return parse_ledger(IRREGULAR, "docs/fix_plan.md")


def test_header(ledger) -> None:  # type: ignore[no-untyped-def]
    assert ledger.title is None
    assert ledger.last_updated == "2026-01-05 (galph loop #12)"
    assert ledger.last_updated_span.start == 1
    assert [(f.tag, f.id) for f in ledger.active_focus] == [
        ("CRITICAL", "AT-PARALLEL-002"),
        (None, "OTHER-ITEM-01"),
    ]


def test_index_rows_keep_duplicates_and_notes(ledger) -> None:  # type: ignore[no-untyped-def]
    assert [(r.id, r.status, r.span.start) for r in ledger.index] == [
        ("AT-PARALLEL-002", "in_planning", 9),
        ("OTHER-ITEM-01", "done (archived)", 10),
        ("OTHER-ITEM-01", "done (archived)", 11),
        ("LOST-ITEM-09", "in_progress", 12),
    ]
    assert ledger.index[0].anchor == "#at-parallel-002-pixel-size"


def test_items_fields_and_labels(ledger) -> None:  # type: ignore[no-untyped-def]
    assert [i.id for i in ledger.items] == ["AT-PARALLEL-002", "LOST-ITEM-09", "OTHER-ITEM-01"]
    item = ledger.item("AT-PARALLEL-002")
    assert item.level == 3 and item.title == "Pixel Size Independence (HIGH)"
    assert item.value("Status") == "in_progress — Phase D evidence outstanding"
    assert item.value("Priority") == "**ESCALATED CRITICAL** (tenth routing violation)"
    tr = item.field("Test Results")
    assert (tr.qualifier, tr.value) == ("2025-09-30 20:00 UTC", "3 passed")
    na = item.field("Next Actions")
    assert na.qualifier == "2025-11-30 refresh → galph"
    assert (na.span.start, na.span.end) == (18, 20)
    assert item.span.start == 14 and item.span.end == 34


def test_attempts_with_repeats_gaps_and_conflicts(ledger) -> None:  # type: ignore[no-untyped-def]
    item = ledger.item("AT-PARALLEL-002")
    assert [a.number for a in item.attempts] == [2, 2, 5, 6, 6]
    assert item.last_attempt_number == 6
    assert [a.outcome for a in item.attempts][:3] == [
        Outcome.SUCCESS,
        Outcome.FAILED,
        Outcome.PARTIAL,
    ]
    assert [(c.span.start, c.span.end) for c in ledger.conflicts] == [(25, 29)]


def test_heading_inside_fence_is_not_an_item(ledger) -> None:  # type: ignore[no-untyped-def]
    assert ledger.item("NOT-AN-ITEM-1") is None


def test_headless_body_gets_the_orphan_row_id(ledger) -> None:  # type: ignore[no-untyped-def]
    lost = ledger.item("LOST-ITEM-09")
    assert lost.headless and lost.level == 0
    assert lost.title == "Lost heading"
    assert (lost.span.start, lost.span.end) == (38, 41)


# --------------------------------------------------------------------------- corpus


def _corpus(corpus_root: Path, name: str):  # type: ignore[no-untyped-def]
    path = corpus_root / "ledger" / name
    return parse_ledger(path.read_text(encoding="utf-8"), "docs/fix_plan.md")


@pytest.mark.corpus
def test_every_corpus_ledger_parses(corpus_root: Path) -> None:
    files = sorted((corpus_root / "ledger").glob("*.md"))
    assert len(files) == 16
    for path in files:
        ledger = parse_ledger(path.read_text(encoding="utf-8"), path.name)
        for item in ledger.items:
            assert item.span.start <= item.span.end <= ledger.line_count
            for a in item.attempts:
                assert item.span.start < a.span.start <= a.span.end <= item.span.end


@pytest.mark.corpus
def test_newest_ledger_facts(corpus_root: Path) -> None:
    ledger = _corpus(corpus_root, "fix_plan.eea4715f.md")
    assert ledger.title == "Fix Plan Ledger"
    assert ledger.last_updated == "2025-10-15 (ralph loop i=510, Phase M synthesis complete)"
    assert len(ledger.items) == 29 and len(ledger.index) == 29
    assert [(f.tag, f.id) for f in ledger.active_focus] == [
        ("CRITICAL", "TEST-SUITE-TRIAGE-002"),
        ("CRITICAL", "VECTOR-PARITY-001"),
        ("MONITOR", "DETERMINISM-001"),
    ]
    # the duplicated STAGEA-PARAM-001 row and section
    assert [i.span.start for i in ledger.find("STAGEA-PARAM-001")] == [952, 980]
    assert [r.span.start for r in ledger.rows("STAGEA-PARAM-001")] == [38, 40]
    # index vs section disagreement
    assert ledger.rows("CLI-DEFAULTS-001")[0].status == "done"
    assert ledger.item("CLI-DEFAULTS-001").value("Status") == "in_progress"
    # 174 top-level attempts in 19 of 29 items (FORMATS.md §1.5)
    with_attempts = [i for i in ledger.items if i.numbered_attempts]
    assert len(with_attempts) == 19
    assert sum(len(i.numbered_attempts) for i in ledger.items) == 174
    triage = ledger.item("TEST-SUITE-TRIAGE-002")
    assert triage.value("Priority") == "Critical"
    assert triage.last_attempt_number == 9
    numbers = [a.number for a in ledger.item("DETECTOR-CONFIG-001").attempts]
    assert [n for n in set(numbers) if numbers.count(n) > 1] == [57, 59, 60, 63]


@pytest.mark.corpus
def test_largest_ledger_facts(corpus_root: Path) -> None:
    ledger = _corpus(corpus_root, "fix_plan.b401d45f.md")
    assert len(ledger.items) == 23
    flags = ledger.item("CLI-FLAGS-003")
    assert len(flags.attempts) == 166 and len(flags.numbered_attempts) == 162
    assert flags.last_attempt_number == 205
    routing = ledger.item("ROUTING-SUPERVISOR-001").numbered_attempts[1]
    assert routing.number == 2
    assert routing.note == "galph loop, Mode: Docs — Phase A1/A2 evidence"
    assert routing.outcome is Outcome.SUCCESS


@pytest.mark.corpus
def test_headless_item_and_missing_rows(corpus_root: Path) -> None:
    ledger = _corpus(corpus_root, "fix_plan.4790fa13.md")
    headless = [i for i in ledger.items if i.headless]
    assert [(i.id, i.span.start) for i in headless] == [("STATIC-PYREFLY-001", 2943)]
    assert headless[0].value("Status") == "in_progress"
    no_row = sorted(i.id for i in ledger.items if not ledger.rows(i.id))
    assert len(no_row) == 6


@pytest.mark.corpus
def test_older_eras(corpus_root: Path) -> None:
    conflict = _corpus(corpus_root, "fix_plan.28b5d940.md")
    assert [(c.span.start, c.span.end) for c in conflict.conflicts] == [(9, 14)]
    bullets = _corpus(corpus_root, "fix_plan.a11f61ba.md")
    assert bullets.title is None and bullets.last_updated == "2025-09-30"
    assert (bullets.index[0].id, bullets.index[0].priority, bullets.index[0].status) == (
        "PERF-PYTORCH-004",
        "High",
        "pending",
    )
    legacy = _corpus(corpus_root, "fix_plan.11b1339e.md")
    item = legacy.items[0]
    assert (item.id, item.level) == ("AT-PARALLEL-002", 3)  # spelled with U+2011
    assert [(a.number, a.date) for a in item.attempts] == [(1, "YYYY‑MM‑DD")]
    stub = _corpus(corpus_root, "fix_plan.e504cc9c.md")
    assert stub.items == ()
