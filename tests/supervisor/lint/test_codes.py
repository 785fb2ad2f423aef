"""Every lint code: triggered by a minimal change to a clean workspace (exact lines and
messages), and absent on the clean one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from supervisor.lint import CODES, LintReport

Edit = tuple[str, str, str]
Lint = Callable[..., LintReport]
Mutate = Callable[[Path, list[Edit]], None]

L = "docs/fix_plan.md"
P = "plans/active/alpha/plan.md"
B = "input.md"
C = "contracts/alpha.yaml"
Y = "supervisor.yaml"
ROW_A = "| [ALPHA-001](#alpha-001-kernel-parity) | Kernel parity | Critical | in_progress |"
ROW_B = "| [BETA-002](#beta-002-reference-build) | Reference build | High | done |"
A1 = "  * [2026-01-02] Attempt #1 —"
A2 = "  * [2026-01-03] Attempt #2 —"
CASES: dict[str, tuple[list[Edit], list[str]]] = {
    "L101": (
        [
            (
                L,
                "",
                "\n---\n\n## [BETA-002] Reference build, again\n- Priority: High\n- Status: done\n",
            )
        ],
        [
            (
                "docs/fix_plan.md:40: L101 [BETA-002] already has a section at line 29 — merge "
                "the two sections into one and delete this heading"
            ),
        ],
    ),
    "L102": (
        [(L, ROW_B, ROW_B + "\n" + ROW_B)],
        [
            (
                "docs/fix_plan.md:12: L102 [BETA-002] already has an Index row at line 11 — "
                "delete the duplicate row"
            ),
        ],
    ),
    "L103": (
        [(L, ROW_A, ROW_A.replace("in_progress", "in_planning"))],
        [
            (
                "docs/fix_plan.md:10: L103 Index says [ALPHA-001] is 'in_planning' but its "
                "section (line 13) says 'in_progress' — set the Index Status to in_progress "
                "(supervisor lint --fix-safe)"
            ),
        ],
    ),
    "L104": (
        [(L, "- Status: done", "- Status: shipped (v2)")],
        [
            (
                "docs/fix_plan.md:31: L104 [BETA-002] status 'shipped' is not in the configured "
                "vocabulary — use one of: in_progress, in_planning, pending, blocked, done (or "
                "add it under statuses: in supervisor.yaml)"
            ),
        ],
    ),
    "L105": (
        [(L, "- Priority: High", "- Priority: **MAXIMUM ESCALATION**")],
        [
            (
                "docs/fix_plan.md:30: L105 [BETA-002] priority 'MAXIMUM ESCALATION' is not one "
                "of the configured priorities — use one of: Critical, High, Medium, Low"
            ),
        ],
    ),
    "L106": (
        [(L, A2, A2.replace("#2", "#1"))],
        [
            (
                "docs/fix_plan.md:21: L106 [ALPHA-001] Attempt #1 is already at line 20 — if "
                "both entries are this item's, give the later one the next free number (attempt "
                "numbers are unique); if it is another item's, move it there"
            ),
        ],
    ),
    "L107": (
        [(L, A2, A2.replace("#2", "#4"))],
        [
            (
                "docs/fix_plan.md:21: L107 [ALPHA-001] attempt numbers skip #2–#3 before "
                "Attempt #4 — record the missing attempts if they happened; never renumber "
                "recorded ones (supervisor record-attempt numbers new attempts consecutively)"
            ),
        ],
    ),
    "L108": (
        [(L, A1, A1.replace("#1", "#3").replace("2026-01-02", "2026-01-04"))],
        [
            (
                "docs/fix_plan.md:21: L108 [ALPHA-001] Attempt #2 comes after #3 (line 20) — "
                "keep Attempts History in increasing order; record new attempts at the end"
            ),
        ],
    ),
    "L109": (
        [(L, "  1. ✅ COMPLETE (Attempt #2)", "  1. ✅ COMPLETE (Attempt #3, Attempts #5–#6)")],
        [
            (
                "docs/fix_plan.md:23: L109 [ALPHA-001] Next Actions cite Attempt #3, #5, #6, "
                "which are not in its Attempts History — record the attempt (supervisor "
                "record-attempt) or correct the citation"
            ),
        ],
    ),
    "L110": (
        [
            (
                L,
                "- Plan Reference: `plans/active/alpha/plan.md`",
                "- Plan Reference: `plans/active/alpha/plan.md`, `plans/archive/alpha-old.md`",
            )
        ],
        [
            (
                "docs/fix_plan.md:18: L110 [ALPHA-001] Plan Reference "
                "`plans/archive/alpha-old.md` does not exist — fix the path, or create the plan "
                "(plans live under plans/active/)"
            ),
        ],
    ),
    "L111": (
        [
            (
                L,
                "- Depends on: [ALPHA-001]",
                "- Depends on: [ALPHA-001]\n- Plan Reference: `plans/active/alpha/plan.md`",
            )
        ],
        [
            (
                "docs/fix_plan.md:31: L111 [BETA-002] is done but plans/active/alpha/plan.md "
                "has unfinished tasks: B1 [ ] — finish or skip those tasks in the plan, or "
                "reopen the item"
            ),
        ],
    ),
    "L112": (
        [(P, "| B1 | Isolate the divergence | [ ] |", "| B1 | Isolate the divergence | [D] |")],
        [
            (
                "docs/fix_plan.md:16: L112 [ALPHA-001] is still in_progress but every task of "
                "plans/active/alpha/plan.md is finished — close the item, or add the remaining "
                "tasks"
            ),
        ],
    ),
    "L113": (
        [(Y, "ledger_max_kb: 64", "ledger_max_kb: 1"), (L, "", "- padding\n" * 120)],
        [
            (
                "docs/fix_plan.md:1: L113 ledger is 2 KB, over lint.ledger_max_kb = 1 — move "
                "done items to an archive file (e.g. docs/fix_plan_archive.md)"
            ),
        ],
    ),
    "L114": (
        [(L, "## [BETA-002] Reference build\n", "")],
        [
            (
                "docs/fix_plan.md:29: L114 item body has no `## [ID]` heading (its Index row is "
                "probably [BETA-002]) — add `## [BETA-002] Reference build` above line 29"
            ),
        ],
    ),
    "L115": (
        [
            (
                L,
                "- Exit Criteria: parity to 1e-12.",
                "<<<<<<< HEAD\n- Exit Criteria: parity to 1e-12.\n=======\n- Exit Criteria: parity to 1e-9.\n>>>>>>> 4dab2ea",
            )
        ],
        [
            (
                "docs/fix_plan.md:25: L115 merge-conflict markers (lines 25-29) — resolve the "
                "conflict and delete the <<<<<<< / ======= / >>>>>>> lines"
            ),
        ],
    ),
    "L116": (
        [(L, ROW_B, ROW_B + "\n| [GAMMA-003](#gamma-003) | Gamma | Low | in_planning |")],
        [
            (
                "docs/fix_plan.md:12: L116 Index row [GAMMA-003] has no `## [GAMMA-003]` "
                "section — add the section or delete the row"
            ),
        ],
    ),
    "L117": (
        [(L, ROW_B + "\n", "")],
        [
            (
                "docs/fix_plan.md:28: L117 [BETA-002] has no Index row — add `| [BETA-002](#…) "
                "| Reference build | <priority> | <status> |` to the Index"
            ),
        ],
    ),
    "L118": (
        [
            (L, ROW_B, ROW_B + "  "),
            (
                P,
                "| A2 | C reference | [D] | `src/c/kernel.c::accumulate` |",
                "| A2 | C reference | [D] | `src/c/kernel.c::accumulate` |\t",
            ),
        ],
        [
            (
                "docs/fix_plan.md:11: L118 table row ends in whitespace — strip it (supervisor "
                "lint --fix-safe)"
            ),
            (
                "plans/active/alpha/plan.md:13: L118 table row ends in whitespace — strip it "
                "(supervisor lint --fix-safe)"
            ),
        ],
    ),
    "L119": (
        [(P, "| B1 | Isolate", "| A1 | Isolate")],
        [
            (
                "plans/active/alpha/plan.md:22: L119 task A1 already appears at line 12 — give "
                "each task a unique ID (record-attempt addresses tasks by ID)"
            ),
        ],
    ),
    "L120": (
        [(L, "- Depends on: [ALPHA-001]", "- Depends on: [ALPHA-001], [NOPE-999]")],
        [
            (
                "docs/fix_plan.md:33: L120 [BETA-002] depends on [NOPE-999], which is not in "
                "the ledger — fix the ID or add the item"
            ),
        ],
    ),
    "L121": (
        [
            (
                L,
                "- Depends on: [ALPHA-001]",
                "- Plan Reference: see the wiki\n- Depends on: [ALPHA-001]",
            )
        ],
        [
            (
                "docs/fix_plan.md:33: L121 [BETA-002] Plan Reference names no plan file: 'see "
                "the wiki' — write the plan's path, e.g. `plans/active/<initiative>/plan.md` "
                "(see docs/formats.md#ledger)"
            ),
        ],
    ),
    "L122": (
        [(L, "- Depends on: [ALPHA-001]", "- Depends on: the alpha work")],
        [
            (
                "docs/fix_plan.md:33: L122 [BETA-002] Depends on names no item ID: 'the alpha "
                "work' — name the items by ID, e.g. `Depends on: [ABC-001], ABC-002` (see "
                "docs/formats.md#ledger)"
            ),
        ],
    ),
    "L123": (
        [
            (
                P,
                "| ID | Task Description | State | How/Why & Guidance |\n| --- | --- | --- | --- |\n| A1",
                "| ID | Task Description | How/Why & Guidance |\n| --- | --- | --- |\n| A1",
            )
        ],
        [
            (
                "plans/active/alpha/plan.md:10: L123 task table has no State column, so its 2 "
                "row(s) are not tasks — add a State column (`| ID | Task | State | Guidance |`) "
                "holding [ ], [P], [D] or [B] (see docs/formats.md#plan)"
            ),
        ],
    ),
    "L124": (
        [("plans/active/gamma.md", "", "# Gamma\n\n### Phase A — Start\n- [ ] write the spec\n")],
        [
            (
                "plans/active/gamma.md:4: L124 checkbox task has no task ID: 'write the spec' — "
                "start it with an ID: `- [ ] T001 …` or `- [ ] A1: …` (see docs/formats.md#plan)"
            ),
        ],
    ),
    "L125": (
        [("plans/active/gamma.md", "", "# Gamma\n\nNotes only.\n")],
        [
            (
                "plans/active/gamma.md:1: L125 plan has no task the parser can read — add a "
                "checklist table `| ID | Task | State | Guidance |` or checkbox tasks `- [ ] "
                "T001 …` under a `### Phase A — title` heading (see docs/formats.md#plan)"
            ),
        ],
    ),
    "L126": (
        [(L, A2, "  * [2026-01-01] Attempt #2 — Result: ✅ [BETA-002] reference rebuilt.\n" + A2)],
        [
            (
                "docs/fix_plan.md:21: L126 [ALPHA-001] Attempt #2 (lines 21-21) fits "
                "[BETA-002]'s sequence, not this one: it names [BETA-002], which lacks #2 and "
                "has #1 (line 36); dated 2026-01-01, in step with them — move lines 21-21 under "
                "[BETA-002]'s Attempts History, after line 36 (its #1); keep the number"
            ),
        ],
    ),
    "L127": (
        [
            (
                L,
                "Result: ⚠️ partial. Divergence near",
                "Result: ✅ success. B1 landed: divergence near",
            )
        ],
        [
            (
                "plans/active/alpha/plan.md:22: L127 task B1 is [ ] but [ALPHA-001] Attempt #2 "
                "(success) reports it done — tick it: `supervisor record-attempt ALPHA-001 --task "
                "B1 --state done …`, or correct the attempt"
            ),
        ],
    ),
    "P201": (
        [(B, "- src/pkg/mod.py#L2", "- src/pkg/gone.py:3 — removed.\n- src/pkg/mod.py#L2")],
        [
            (
                "input.md:17: P201 `src/pkg/gone.py:3`: src/pkg/gone.py does not exist — fix "
                "the path, or drop the pointer until the file exists"
            ),
        ],
    ),
    "P202": (
        [
            (
                B,
                "- src/pkg/mod.py#L2",
                "- src/pkg/mod.py:1-5,6-9 — past the end.\n- src/pkg/mod.py#L2",
            )
        ],
        [
            (
                "input.md:17: P202 `src/pkg/mod.py:1-5,6-9` runs past the end: src/pkg/mod.py "
                "has 7 lines — point at lines within 1-7 (re-run `supervisor next` to recompute "
                "pointers)"
            ),
        ],
    ),
    "P203": (
        [
            (
                B,
                "- src/pkg/mod.py#L2",
                "- /tmp/run/trace.log:3 and ../outside/notes.md:2\n- src/pkg/mod.py#L2",
            )
        ],
        [
            (
                "input.md:17: P203 `../outside/notes.md:2` points outside the workspace — use a "
                "workspace-relative path, or drop the line anchor"
            ),
            (
                "input.md:17: P203 `/tmp/run/trace.log:3` is an absolute path, outside the "
                "workspace — copy the file into the workspace (e.g. the evidence bundle) and "
                "point there"
            ),
        ],
    ),
    "P204": (
        [
            (
                B,
                "- docs/fix_plan.md:13 — the [ALPHA-001] section.",
                "- docs/fix_plan.md:31 — the [ALPHA-001] section.",
            )
        ],
        [
            (
                "input.md:10: P204 `docs/fix_plan.md:31` is cited for [ALPHA-001] but line 31 "
                "is inside [BETA-002] — point at [ALPHA-001]'s section, lines 13-25"
            ),
        ],
    ),
    "P205": (
        [
            ("src/a/util.py", "", "x = 1\n"),
            ("src/b/util.py", "", "y = 2\n"),
            (B, "- src/pkg/mod.py#L2", "- util.py:1 — which one?\n- src/pkg/mod.py#L2"),
        ],
        [
            (
                "input.md:17: P205 `util.py:1`: util.py does not exist and 2 files end with "
                "it: src/a/util.py, src/b/util.py — write the full path of the file meant"
            ),
        ],
    ),
    "S301": (
        [(P, "`src/pkg/mod.py::Kernel::run`", "`src/pkg/mod.py::Kernel::stop`")],
        [
            (
                "plans/active/alpha/plan.md:12: S301 task A1 is done but `Kernel::stop` is not "
                "defined in src/pkg/mod.py — define it, fix the name, or reopen A1"
            ),
        ],
    ),
    "S303": (
        [(P, "`src/c/kernel.c::accumulate`", "`src/c/gone.c::accumulate`")],
        [
            (
                "plans/active/alpha/plan.md:13: S303 task A2 is done but "
                "`src/c/gone.c::accumulate` names src/c/gone.c, which does not exist — add the "
                "file, fix the reference, or reopen A2"
            ),
        ],
    ),
    "S304": (
        [
            (
                B,
                "Mapped tests: checks/check_kernel.py::test_run",
                "Mapped tests: checks/check_kernel.py::test_nope, checks/check_gone.py",
            )
        ],
        [
            (
                "input.md:5: S304 mapped test `checks/check_gone.py`: checks/check_gone.py does "
                "not exist — map an existing test, or say the Do Now step writes it first"
            ),
            (
                "input.md:5: S304 mapped test `checks/check_kernel.py::test_nope`: no function "
                "or class `test_nope` at module level in checks/check_kernel.py — map an "
                "existing test, or say the Do Now step writes it first"
            ),
        ],
    ),
    "C401": (
        [
            (
                C,
                '      notes: ""\n  - id: FT-2',
                '      notes: ""\n      function_name: [run]\n  - id: FT-2',
            ),
            (C, "    if_fails: the reference loses precision.\n", ""),
        ],
        [
            (
                "contracts/alpha.yaml:19: C401 unknown key 'function_name' in "
                "algorithm_evidence — did you mean 'function_names'?"
            ),
            (
                "contracts/alpha.yaml:20: C401 falsification test FT-2 is missing 'if_fails' — "
                "add if_fails (see the contract schema)"
            ),
        ],
    ),
    "C402": (
        [
            (
                C,
                "function_names: [Kernel.run, helper, accumulate]",
                "function_names: [Kernel.run, load_tensor_apr_aprt, accumulate]",
            ),
            (C, "file_paths: [src/c/kernel.c]", "file_paths: [src/c/kernel.c, src/c/apr.c]"),
        ],
        [
            (
                "contracts/alpha.yaml:16: C402 FT-1 is FUNCTIONAL but `load_tensor_apr_aprt` is "
                "not defined in src/pkg/mod.py, src/c/kernel.c — define it, correct "
                "function_names, or lower its status to PARTIAL_ALGORITHM_LEVEL"
            ),
            (
                "contracts/alpha.yaml:26: C402 FT-2 is FUNCTIONAL but `src/c/apr.c` does not "
                "exist — fix the path, or lower its status to PARTIAL_ALGORITHM_LEVEL"
            ),
        ],
    ),
    "C403": (
        [
            (
                C,
                "    status: FUNCTIONAL\n    algorithm_evidence:\n      file_paths: [src/c/kernel.c]",
                "    status: DONE_ISH\n    algorithm_evidence:\n      file_paths: [src/c/kernel.c]",
            )
        ],
        [
            (
                "contracts/alpha.yaml:24: C403 status 'DONE_ISH' is not on the contract ladder "
                "— use one of: BLOCKER_* < PARTIAL_ALGORITHM_LEVEL < FUNCTIONAL "
                "(lint.contract_ladder)"
            ),
        ],
    ),
    "C404": (
        [
            (C, "  - id: FT-2", "  - id: FT-1"),
            (
                "contracts/beta.yml",
                "",
                "metadata: {id: ALPHA-KERNEL, version: 1, status: BLOCKER_NO_CODE}\nfalsification_tests:\n  - {id: FT-9, rule: r, prediction: p, test: checks/x.py, if_fails: f, status: BLOCKER_NO_CODE, algorithm_evidence: {file_paths: [], function_names: [], invariants_enforced: [], notes: ''}}\n",
            ),
        ],
        [
            (
                "contracts/alpha.yaml:1: C404 contract id ALPHA-KERNEL is also used by "
                "contracts/beta.yml — give each contract a unique metadata.id"
            ),
            (
                "contracts/alpha.yaml:19: C404 falsification test FT-1 already appears at line "
                "8 — give each falsification test a unique id"
            ),
            (
                "contracts/beta.yml:1: C404 contract id ALPHA-KERNEL is also used by "
                "contracts/alpha.yaml — give each contract a unique metadata.id"
            ),
        ],
    ),
    "C405": (
        [
            (
                C,
                "    status: FUNCTIONAL\n    algorithm_evidence:\n      file_paths: [src/c/kernel.c]",
                "    status: PARTIAL_ALGORITHM_LEVEL\n    algorithm_evidence:\n      file_paths: [src/c/kernel.c]",
            )
        ],
        [
            (
                "contracts/alpha.yaml:4: C405 contract ALPHA-KERNEL is FUNCTIONAL but test FT-2 "
                "is only PARTIAL_ALGORITHM_LEVEL — lower metadata.status to "
                "PARTIAL_ALGORITHM_LEVEL, or discharge FT-2"
            ),
        ],
    ),
}


def test_clean_workspace_has_no_findings(clean_ws: Path, run_lint: Lint) -> None:
    report = run_lint(clean_ws, collect_tests=True)
    assert report.findings == ()
    assert report.files == (
        "docs/fix_plan.md",
        "plans/active/alpha/plan.md",
        "input.md",
        "contracts/alpha.yaml",
    )
    assert report.summary() == "0 errors, 0 warnings in 4 files"


def test_every_code_has_a_case() -> None:
    # S302 needs --collect-tests (test_selector_collection); P206 is off by default
    # (test_resolution.py enables it)
    assert set(CASES) | {"S302", "P206"} == set(CODES)


@pytest.mark.parametrize("code", sorted(CASES))
def test_code_triggered(code: str, clean_ws: Path, mutate: Mutate, run_lint: Lint) -> None:
    edits, expected = CASES[code]
    mutate(clean_ws, edits)
    report = run_lint(clean_ws)
    severity = CODES[code].severity
    if severity == "off":  # opt-in codes: silent by default, reported once enabled
        assert [f for f in report.findings if f.code == code] == []
        mutate(
            clean_ws, [("supervisor.yaml", "lint:\n", f"lint:\n  severity:\n    {code}: warning\n")]
        )
        report = run_lint(clean_ws)
        severity = "warning"
    assert [f.render() for f in report.findings if f.code == code] == expected
    assert {f.severity for f in report.findings if f.code == code} == {severity}


def test_selector_collection(clean_ws: Path, mutate: Mutate, run_lint: Lint) -> None:
    mutate(clean_ws, [(B, "checks/check_kernel.py::test_run", "checks/check_kernel.py::test_nope")])
    assert [f.code for f in run_lint(clean_ws).findings] == ["S304"]  # static check only
    report = run_lint(clean_ws, collect_tests=True)
    s302 = [f for f in report.findings if f.code == "S302"]
    assert [(f.path, f.line, f.severity) for f in s302] == [("input.md", 5, "error")]
    assert s302[0].message.startswith("`checks/check_kernel.py::test_nope` does not collect ")
