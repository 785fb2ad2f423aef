"""L126: an attempt that breaks its item's numbering but fits another item's sequence on
number, date and text is reported as misfiled, with a move (by item and line) as the fix,
never a renumbering; it then no longer counts as a duplicate, gap or step backwards."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from supervisor.lint import LintReport

Edit = tuple[str, str, str]
Lint = Callable[..., LintReport]
Mutate = Callable[[Path, list[Edit]], None]
MakeWs = Callable[..., Path]

L = "docs/fix_plan.md"
A2 = "  * [2026-01-03] Attempt #2 —"


def _codes(report: LintReport) -> list[tuple[str, int]]:
    return [(f.code, f.line) for f in report.findings]


def test_misfiled_entry_is_set_aside(clean_ws: Path, mutate: Mutate, run_lint: Lint) -> None:
    entry = "  * [2026-01-01] Attempt #2 — Result: ✅ [BETA-002] reference rebuilt.\n"
    mutate(clean_ws, [(L, A2, entry + A2)])
    # without L126 the original #2 below it would be L106 (a second #2)
    assert _codes(run_lint(clean_ws)) == [("L126", 21)]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        # the other item already has #1: no room for it there
        ("  * [2026-01-01] Attempt #1 — Result: [BETA-002] rebuilt.\n", [("L106", 21)]),
        # dated before the other item's #1 while numbered after it
        ("  * [2025-12-01] Attempt #2 — Result: [BETA-002] rebuilt.\n", [("L106", 22)]),
        # names its own item too
        ("  * [2026-01-01] Attempt #2 — Result: [BETA-002] for [ALPHA-001].\n", [("L106", 22)]),
        # names no other item
        ("  * [2026-01-01] Attempt #2 — Result: rebuilt.\n", [("L106", 22)]),
        # far past the other item's sequence (the gap, L107, is opt-in)
        ("  * [2026-01-05] Attempt #9 — Result: [BETA-002] rebuilt.\n", [("L108", 22)]),
    ],
)
def test_not_misfiled(
    clean_ws: Path, mutate: Mutate, run_lint: Lint, entry: str, expected: list[tuple[str, int]]
) -> None:
    mutate(clean_ws, [(L, A2, entry + A2)])
    assert _codes(run_lint(clean_ws)) == expected


def test_range_entries_are_never_moved(clean_ws: Path, mutate: Mutate, run_lint: Lint) -> None:
    entry = "  * [2026-01-01] Attempts #2–#3 — Result: [BETA-002] rebuilt.\n"
    mutate(clean_ws, [(L, A2, entry + A2)])
    assert [c for c, _ in _codes(run_lint(clean_ws))] == ["L106"]


@pytest.mark.corpus
def test_corpus_entry_filed_under_the_wrong_item(corpus_ws: MakeWs, run_lint: Lint) -> None:
    """A peak-matching attempt recorded under the CLI-flags item: moved, not renumbered."""
    report = run_lint(corpus_ws("4790fa13"), L)
    assert [f.render() for f in report.findings if f.code == "L126"] == [
        "docs/fix_plan.md:2087: L126 [CLI-FLAGS-003] Attempt #3 (lines 2087-2092) fits "
        "[AT-PARALLEL-012]'s sequence, not this one: it names [AT-PARALLEL-012], which lacks "
        "#3 and has #16 (line 2629); dated 2025-09-30, in step with them — move lines "
        "2087-2092 under [AT-PARALLEL-012]'s Attempts History, before line 2629 (its #16); "
        "keep the number"
    ]
    assert not [f for f in report.findings if f.line == 2087 and f.code in ("L106", "L108")]


def test_lower_number_dated_later_is_not_out_of_order(
    clean_ws: Path, mutate: Mutate, run_lint: Lint
) -> None:
    """A numbering that restarts while the dates run on is in its place in time: moving it
    would break the chronology and renumbering would break its citations, so no L108."""
    a1 = "  * [2026-01-02] Attempt #1 —"
    mutate(clean_ws, [(L, a1, a1.replace("#1", "#7"))])
    assert _codes(run_lint(clean_ws)) == []
    mutate(clean_ws, [(L, A2, A2.replace("2026-01-03", "2026-01-01"))])
    assert _codes(run_lint(clean_ws)) == [("L108", 21)]
