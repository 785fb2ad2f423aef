"""The known drifts of the corpus (FORMATS.md, "Observed drift" and §1.6–1.7) are found.

Brief anchors can only be checked where the brief's parent ledger is in the corpus (its
.json sidecar names ``parent_ledger_commit``); there the P202 findings must match the
out-of-range anchors of ``analysis/pointer_check.json`` exactly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from supervisor.lint import LintReport

pytestmark = pytest.mark.corpus
Lint = Callable[..., LintReport]
MakeWs = Callable[..., Path]
L = "docs/fix_plan.md"


def _render(report: LintReport, *codes: str) -> list[str]:
    return [f.render() for f in report.findings if f.code in codes]


def test_newest_ledger(corpus_ws: MakeWs, run_lint: Lint) -> None:
    # L107 (attempt gaps) is opt-in: enabled here to see the corpus's known gaps
    config = "version: 1\nlint:\n  severity:\n    L107: warning\n"
    report = run_lint(corpus_ws("eea4715f", plans=True, config=config), L)
    assert _render(report, "L101", "L102", "L103") == [
        f"{L}:14: L103 Index says [CLI-DEFAULTS-001] is 'done' but its section (line 178) says "
        "'in_progress' — set the Index Status to in_progress (supervisor lint --fix-safe)",
        f"{L}:26: L103 Index says [TEST-GOLDEN-001] is 'in_planning' but its section (line 552) "
        "says 'in_progress' — set the Index Status to in_progress (supervisor lint --fix-safe)",
        f"{L}:40: L102 [STAGEA-PARAM-001] already has an Index row at line 38 — delete the "
        "duplicate row",
        f"{L}:980: L101 [STAGEA-PARAM-001] already has a section at line 952 — merge the two "
        "sections into one and delete this heading",
    ]
    duplicates = [(f.line, f.message) for f in report.findings if f.code == "L106"]
    detector = [(n, m) for n, m in duplicates if "DETECTOR-CONFIG-001" in m]
    assert detector == [
        (343, "[DETECTOR-CONFIG-001] Attempt #57 is already at line 342"),
        (347, "[DETECTOR-CONFIG-001] Attempt #59 is already at line 345"),
        (348, "[DETECTOR-CONFIG-001] Attempt #60 is already at line 346"),
        (352, "[DETECTOR-CONFIG-001] Attempt #63 is already at line 351"),
    ]
    # FORMATS §1.6: 5 items repeat a number, 2 go backwards, TEST-SUITE-TRIAGE-001 has gaps
    repeat = {m.split("]")[0][1:] for _, m in duplicates}
    assert repeat == {
        "TEST-SUITE-TRIAGE-001", "DETECTOR-CONFIG-001", "DETERMINISM-001",
        "VECTOR-PARITY-001", "DTYPE-NEUTRAL-001",
    }  # fmt: skip
    backwards = {f.message.split("]")[0][1:] for f in report.findings if f.code == "L108"}
    assert backwards == {"TEST-SUITE-TRIAGE-001", "DETECTOR-CONFIG-001"}
    gaps = [f.message for f in report.findings if f.code == "L107"]
    assert "[TEST-SUITE-TRIAGE-001] attempt numbers skip #47–#69 before Attempt #70" in gaps
    # Next Actions claim "✅ COMPLETE (Attempt #10)" but the history stops at #9
    assert _render(report, "L109")[0] == (
        f"{L}:69: L109 [TEST-SUITE-TRIAGE-002] Next Actions cite Attempt #10, which is not in "
        "its Attempts History — record the attempt (supervisor record-attempt) or correct the "
        "citation"
    )
    assert [f.line for f in report.findings if f.code == "L113"] == [1]  # 387 KB > 256 KB
    assert report.errors > 0


def test_headless_item(corpus_ws: MakeWs, run_lint: Lint) -> None:
    report = run_lint(corpus_ws("4790fa13"), L)
    assert _render(report, "L114") == [
        f"{L}:2943: L114 item body has no `## [ID]` heading (its Index row is probably "
        "[STATIC-PYREFLY-001]) — add `## [STATIC-PYREFLY-001] Run pyrefly analysis and triage` "
        "above line 2943"
    ]
    # one row with no heading (the headless item's), six sections with no row
    assert [f.code for f in report.findings if f.code in ("L116", "L117")] == ["L117"] * 6


def test_conflict_markers(corpus_ws: MakeWs, run_lint: Lint) -> None:
    report = run_lint(corpus_ws("28b5d940"), L)
    assert _render(report, "L115") == [
        f"{L}:9: L115 merge-conflict markers (lines 9-14) — resolve the conflict and delete the "
        "<<<<<<< / ======= / >>>>>>> lines"
    ]


def test_out_of_vocabulary_status(corpus_ws: MakeWs, run_lint: Lint) -> None:
    config = (
        "version: 1\nstatuses:\n  active: [in_progress, in_planning, pending]\n"
        "  blocked: [blocked, paused]\n  done: [done, complete]\n"
    )
    report = run_lint(corpus_ws("b00ada76", config=config), L)
    assert [(f.line, f.message) for f in report.findings if f.code == "L104"] == [
        (23, "[CLI-FLAGS-003] status 'queued' is not in the configured vocabulary"),
        (645, "[CLI-FLAGS-003] status 'queued' is not in the configured vocabulary"),
    ]


def test_fix_safe_on_newest_ledger(corpus_ws: MakeWs, run_lint: Lint) -> None:
    ws = corpus_ws("eea4715f")
    before = (ws / L).read_text(encoding="utf-8").splitlines()
    report = run_lint(ws, L, fix_safe=True)
    assert [(r.codes, r.lines) for r in report.fixed] == [(("L103",), (14, 26))]
    after = (ws / L).read_text(encoding="utf-8").splitlines()
    changed = [n + 1 for n, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert changed == [14, 26]
    assert after[13].endswith("| High | in_progress |")
    assert not [f for f in report.findings if f.code == "L103"]


def _sidecar(corpus_root: Path, sha: str) -> dict[str, str]:
    doc: dict[str, str] = json.loads(
        (corpus_root / "briefs" / f"input.{sha}.json").read_text(encoding="utf-8")
    )
    return doc


def test_brief_anchors_against_parent_ledger(
    corpus_root: Path, corpus_ws: MakeWs, run_lint: Lint
) -> None:
    checks = json.loads((corpus_root / "analysis" / "pointer_check.json").read_text("utf-8"))
    ledgers = {p.name.split(".")[1] for p in (corpus_root / "ledger").glob("fix_plan.*.md")}
    tried = 0
    for brief in checks["briefs"]:
        sha = brief["commit"][:8]
        parent = _sidecar(corpus_root, sha)["parent_ledger_commit"][:8]
        anchors = [a for a in brief["anchors"] if a["path"] == L]
        if parent not in ledgers or not anchors:
            continue
        tried += 1
        report = run_lint(corpus_ws(parent, brief=sha), "input.md")
        found = {f.message.split("`")[1] for f in report.findings if f.code == "P202"}
        found = {a for a in found if a.startswith(f"{L}:")}
        broken = {a["entry"].split()[1] for a in anchors if a["status"] == "out_of_range"}
        assert found == broken, sha
    assert tried == 4


def test_newest_brief_overshoots(corpus_ws: MakeWs, run_lint: Lint) -> None:
    report = run_lint(corpus_ws("40115778", brief="40115778"), "input.md")
    p202 = [f.render() for f in report.findings if f.code == "P202" and L in f.message]
    assert len(p202) == 1
    assert p202[0].endswith(
        ": P202 `docs/fix_plan.md:1-25,918-965` runs past the end: docs/fix_plan.md has 943 "
        "lines — point at lines within 1-943 (re-run `supervisor next` to recompute pointers)"
    )


def test_whole_corpus_lints_without_crashing(corpus_root: Path, tmp_path: Path) -> None:
    import shutil

    from supervisor.lint import lint
    from supervisor.workspace import Workspace

    ws = tmp_path / "corpus"
    shutil.copytree(corpus_root, ws)
    (ws / "supervisor.yaml").write_text("version: 1\n", encoding="utf-8")
    report = lint(Workspace.find(ws), [ws])
    kinds = {rel.split("/")[0] for rel in report.files}
    assert kinds == {"ledger", "briefs", "plans", "MANIFEST.md"}
    assert len(report.files) >= 90
    codes = {f.code for f in report.findings}
    assert {"L101", "L103", "L106", "L114", "L115", "P201", "P202"} <= codes
