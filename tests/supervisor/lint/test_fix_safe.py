"""`--fix-safe`: only mechanical fixes (L103, L118), through the locked atomic write path,
with a unified diff; the result re-lints clean for those codes and nothing else changed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from supervisor.lint import LintReport

Edit = tuple[str, str, str]
Lint = Callable[..., LintReport]
Mutate = Callable[[Path, list[Edit]], None]

LEDGER = "docs/fix_plan.md"
PLAN = "plans/active/alpha/plan.md"
ROW_A = "| [ALPHA-001](#alpha-001-kernel-parity) | Kernel parity | Critical | in_progress |"
ROW_B = "| [BETA-002](#beta-002-reference-build) | Reference build | High | done |"
TASK = "| A2 | C reference | [D] | `src/c/kernel.c::accumulate` |"
DRIFT = [
    (LEDGER, ROW_A, ROW_A.replace("| in_progress |", "|  done (archived)  |") + " "),
    (LEDGER, ROW_B, ROW_B + "\t "),
    (PLAN, TASK, TASK + "  "),
]

EXPECTED_DIFF = "".join(
    line + "\n"
    for line in (
        "--- a/docs/fix_plan.md",
        "+++ b/docs/fix_plan.md",
        "@@ -7,8 +7,8 @@",
        " ## Index",
        " | ID | Title | Priority | Status |",
        " | --- | --- | --- | --- |",
        "-" + ROW_A.replace("| in_progress |", "|  done (archived)  |") + " ",
        "-" + ROW_B + "\t ",
        "+" + ROW_A.replace("| in_progress |", "|  in_progress  |"),
        "+" + ROW_B,
        " ",
        " ## [ALPHA-001] Kernel parity",
        " - Spec/AT: `src/pkg/mod.py:1-3` (the kernel) and `src/c/kernel.c:2`.",
    )
)


def test_fix_round_trip(clean_ws: Path, mutate: Mutate, run_lint: Lint) -> None:
    before = {p: (clean_ws / p).read_text(encoding="utf-8") for p in (LEDGER, PLAN)}
    mutate(clean_ws, DRIFT)
    drifted = run_lint(clean_ws)
    assert [(f.code, f.path, f.line) for f in drifted.findings] == [
        ("L103", LEDGER, 10),
        ("L118", LEDGER, 10),
        ("L118", LEDGER, 11),
        ("L118", PLAN, 13),
    ]
    fixed = run_lint(clean_ws, fix_safe=True)
    assert fixed.findings == ()
    assert [(r.path, r.codes, r.lines) for r in fixed.fixed] == [
        (LEDGER, ("L103", "L118"), (10, 11)),
        (PLAN, ("L118",), (13,)),
    ]
    assert fixed.fixed[0].diff == EXPECTED_DIFF
    assert fixed.summary() == "0 errors, 0 warnings in 4 files, 3 lines fixed"
    # only the intended lines changed: the status cell keeps its padding, the rest is as it was
    ledger = (clean_ws / LEDGER).read_text(encoding="utf-8")
    assert ledger == before[LEDGER].replace("| in_progress |", "|  in_progress  |", 1)
    assert (clean_ws / PLAN).read_text(encoding="utf-8") == before[PLAN]
    assert (clean_ws / ".supervisor" / "locks").is_dir()  # went through record.atomic
    assert run_lint(clean_ws, fix_safe=True).fixed == ()  # idempotent


def test_fix_respects_off_and_paths(clean_ws: Path, mutate: Mutate, run_lint: Lint) -> None:
    mutate(clean_ws, [*DRIFT, ("supervisor.yaml", "", "  severity: {L118: off}\n")])
    report = run_lint(clean_ws, LEDGER, fix_safe=True)
    assert [(r.path, r.codes) for r in report.fixed] == [(LEDGER, ("L103",))]
    assert report.files == (LEDGER,)
    assert (clean_ws / PLAN).read_text(encoding="utf-8").count(TASK + "  ") == 1
    assert (clean_ws / LEDGER).read_text(encoding="utf-8").count("\t \n") == 1


def test_fix_leaves_unfixable_rows(clean_ws: Path, mutate: Mutate, run_lint: Lint) -> None:
    """A bullet-era Index row is reported but never rewritten."""
    bullets = "- [ALPHA-001] Kernel parity — Priority: Critical, Status: in_planning\n"
    mutate(clean_ws, [(LEDGER, ROW_A + "\n" + ROW_B + "\n", bullets)])
    report = run_lint(clean_ws, fix_safe=True)
    assert report.fixed == ()
    assert [f.code for f in report.findings] == ["L103", "L117"]


def test_fix_safe_with_many_adjacent_lines(clean_ws: Path, mutate: Mutate, run_lint: Lint) -> None:
    """Issue 15, item 8: four adjacent table rows with trailing whitespace are fixed in one
    go (the confinement check used to compare one diff block with one edit span)."""
    text = (clean_ws / PLAN).read_text(encoding="utf-8")
    rows = [ln for ln in text.splitlines() if ln.startswith("|")][:4]
    mutate(clean_ws, [(PLAN, row + "\n", row + "  \n") for row in rows])
    drifted = run_lint(clean_ws)
    assert [(f.code, f.line) for f in drifted.findings] == [("L118", n) for n in (10, 11, 12, 13)]
    fixed = run_lint(clean_ws, fix_safe=True)
    assert fixed.findings == ()
    assert [(r.path, r.lines) for r in fixed.fixed] == [(PLAN, (10, 11, 12, 13))]
    assert (clean_ws / PLAN).read_text(encoding="utf-8") == text
