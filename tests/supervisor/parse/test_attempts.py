"""Attempt heads in every shape FORMATS.md §1.5–1.6 lists, and outcome classification."""

from __future__ import annotations

import pytest

from supervisor.model import Field, Outcome, Span
from supervisor.parse.attempts import classify, parse_attempts, parse_head


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (
            "[2025-10-15] Attempt #3 — Result: ✅ success (Phase C triage). Extracted it.",
            (3, 3, "2025-10-15", None, "Result", "✅ success (Phase C triage). Extracted it."),
        ),
        (  # em dash inside the parenthetical is not the separator
            "[2025-10-08] Attempt #128 (galph loop — parity evidence) — Result: partial. x",
            (128, 128, "2025-10-08", "galph loop — parity evidence", "Result", "partial. x"),
        ),
        (  # "). Result:" separator and Mode: inside the note
            "[2025-10-06] Attempt #12 (ralph loop i=182, Mode: Parity). Result: failed — y",
            (12, 12, "2025-10-06", "ralph loop i=182, Mode: Parity", "Result", "failed — y"),
        ),
        (  # NBSP and narrow NBSP before the number
            "[2025-10-01] Attempt\u00a0#46 — Result: success",
            (46, 46, "2025-10-01", None, "Result", "success"),
        ),
        (
            "[2025-10-01] Attempt\u202f#7 — Result: blocked",
            (7, 7, "2025-10-01", None, "Result", "blocked"),
        ),
        (
            "[2025-10-11T055456Z] Attempt #0 — Result: planning",
            (0, 0, "2025-10-11T055456Z", None, "Result", "planning"),
        ),
        (
            "[2025-09-29 22:58 UTC] Attempt #10 — Status: partial progress",
            (10, 10, "2025-09-29 22:58 UTC", None, "Status", "partial progress"),
        ),
        ("Attempts #188–#190 landed the fix", (188, 190, None, None, None, "landed the fix")),
        (
            "**Attempt #1 (2025-09-30 debug loop)**: SUCCEEDED ✓",
            (1, 1, None, "2025-09-30 debug loop", None, "SUCCEEDED ✓"),
        ),
        (
            "[YYYY‑MM‑DD] Attempt #1 — Result: pending (to be filled).",
            (1, 1, "YYYY‑MM‑DD", None, "Result", "pending (to be filled)."),
        ),
        (  # no number at all
            "[2025-09-30] Final Verification — Status: SUCCESS",
            (None, None, "2025-09-30", None, "Status", "SUCCESS"),
        ),
        (
            "_Pending Phase A._ Plan tracked at x",
            (None, None, None, None, None, "_Pending Phase A._ Plan tracked at x"),
        ),
        (  # bold result value
            "[2025-10-02] Attempt #5 — Result: **SUCCESS** (all green)",
            (5, 5, "2025-10-02", None, "Result", "**SUCCESS** (all green)"),
        ),
    ],
)
def test_parse_head_variants(head: str, expected: tuple[object, ...]) -> None:
    assert parse_head(head) == expected


@pytest.mark.parametrize(
    ("result", "outcome"),
    [
        ("✅ success (Phase A complete)", Outcome.SUCCESS),
        ("⚠️ **PARTIAL (Phase O)**", Outcome.PARTIAL),
        ("❌ failed — regression", Outcome.FAILED),
        ("**SUCCESS** (all green)", Outcome.SUCCESS),
        ("Phase C1 COMPLETE", Outcome.SUCCESS),
        ("blocked on upstream", Outcome.BLOCKED),
        ("regression. Post-review found gaps", Outcome.FAILED),
        ("📋 planning package", Outcome.OTHER),
        ("supervisor audit", Outcome.OTHER),
        ("", Outcome.UNKNOWN),
        ("partial success", Outcome.PARTIAL),
        ("⚠️ **BLOCKED (timeout)**. Phase K rerun", Outcome.BLOCKED),
        ("✅ **BLOCKER CLEARED — GO for Sprint 1**", Outcome.SUCCESS),
    ],
)
def test_classify(result: str, outcome: Outcome) -> None:
    assert classify(result) is outcome


def _field(raw: str, start: int = 10) -> Field:
    n = raw.count("\n")
    return Field("Attempts History", None, "", raw, Span("docs/fix_plan.md", start, start + n))


def test_entries_with_continuations_nested_bullets_and_fences() -> None:
    raw = "\n".join(
        [
            "- Attempts History:",
            "  * [2025-10-01] Attempt #1 — Result: ✅ success. Artifacts: `reports/a/b/summary.md`.",
            "    Metrics: corr=0.99",
            "    - nested finding",
            "    ```",
            "  * not an entry: inside a fence",
            "    ```",
            "",
            "  * [2025-10-02] Attempt #2 — Result: ❌ failed.",
            "* [2025-10-03] Attempt #3 — Result: partial (flush-left entry)",
        ]
    )
    attempts = parse_attempts(_field(raw))
    assert [a.number for a in attempts] == [1, 2, 3]
    first = attempts[0]
    assert (first.span.start, first.span.end) == (11, 16)
    assert first.artifacts == ("reports/a/b/summary.md",)
    assert "Metrics: corr=0.99" in first.text
    assert attempts[1].span.start == attempts[1].span.end == 18
    assert attempts[2].outcome is Outcome.PARTIAL


def test_inline_placeholder_has_no_entries() -> None:
    assert parse_attempts(_field("- Attempts History: none yet")) == ()
