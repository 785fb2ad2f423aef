"""Brief parsing: the canonical section order, and every corpus brief's focus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supervisor.parse.brief import parse_brief

CANONICAL = [
    "Summary", "Mode", "Focus", "Branch", "Mapped tests", "Artifacts", "Do Now", "If Blocked",
    "Priorities & Rationale", "How-To Map", "Pitfalls To Avoid", "Pointers", "Next Up",
]  # fmt: skip

# Focus IDs per brief from FORMATS.md "Per-brief table" (the template has none; one brief
# names its focus only by an anchor slug).
EXPECTED_FOCUS = {
    "d8dbf960": None,
    "4790fa13": "STATIC-PYREFLY-001",
    "6cef2091": "VECTOR-GAPS-002",
    "aa53fc36": "VECTOR-GAPS-002",
    "db3aa6bb": "SOURCE-WEIGHT-001",
    "dffe9047": "SOURCE-WEIGHT-001",
    "c323cedc": "VECTOR-PARITY-001",
    "b630de97": "VECTOR-PARITY-001",
    "bb23fb50": "CLI-DEFAULTS-001",
    "125bba5f": "DETERMINISM-001",
    "13b38d78": "TEST-SUITE-TRIAGE-001",
    "679230bf": "TEST-SUITE-TRIAGE-001",
    "e4cc0fa7": "TEST-SUITE-TRIAGE-001",
    "4c4578ff": "TEST-SUITE-TRIAGE-002",
    "40115778": "#test-suite-triage-002-full-pytest-rerun-and-triage",
}


def test_sections_in_order_with_spans() -> None:
    text = "".join(f"{k}: value {n}\n" for n, k in enumerate(CANONICAL))
    text = text.replace("Pointers: value 11\n", "Pointers:\n- docs/fix_plan.md:12-20 — why\n")
    brief = parse_brief(text, "input.md")
    assert [s.key for s in brief.sections] == CANONICAL
    pointers = brief.section("Pointers")
    assert pointers is not None and pointers.body == ("- docs/fix_plan.md:12-20 — why",)
    assert (pointers.span.start, pointers.span.end) == (12, 13)
    assert [(a.target, a.ranges) for a in brief.anchors] == [("docs/fix_plan.md", ((12, 20),))]


@pytest.mark.corpus
def test_every_corpus_brief(corpus_root: Path) -> None:
    briefs = sorted((corpus_root / "briefs").glob("input.*.md"))
    assert len(briefs) == 40
    for path in briefs:
        sha = path.name.split(".")[1]
        brief = parse_brief(path.read_text(encoding="utf-8"), "input.md")
        meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        assert meta["commit"].startswith(sha)
        want = EXPECTED_FOCUS.get(sha, "CLI-FLAGS-003")
        assert brief.focus_id == want, sha
        if sha != "d8dbf960":
            keys = [s.key for s in brief.sections]
            assert "Do Now" in keys and "If Blocked" in keys, sha


@pytest.mark.corpus
def test_canonical_corpus_brief(corpus_root: Path) -> None:
    brief = parse_brief(
        (corpus_root / "briefs" / "input.40115778.md").read_text(encoding="utf-8"), "input.md"
    )
    assert [s.key for s in brief.sections] == CANONICAL
    assert brief.mode == "Docs"
    assert [(a.target, a.ranges) for a in brief.anchors] == [
        ("plans/active/test-suite-triage-phase-h.md", ((78, 90),)),
        ("docs/fix_plan.md", ((1, 25), (918, 965))),
    ]
