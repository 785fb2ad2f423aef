"""Golden briefs on a workspace written for the test (see conftest.py): the task's guidance
verbatim and bounded, commands with the configured env, mapped tests checked against the test
file (class-qualified and dropped), the plan's artifact path, the latest attempts by number,
dependencies, risks in full, and a Mode that plan text cannot set.

Regenerate after an intended change with ``SUPERVISOR_UPDATE_GOLDEN=1 pytest``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

GOLDEN = Path(__file__).resolve().parent / "golden"
Run = Callable[..., CompletedProcess[str]]


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("SUPERVISOR_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def _line(text: str, key: str) -> str:
    return next(ln for ln in text.splitlines() if ln.startswith(key))


def test_task_brief_golden(guide_ws: Path, run_cli: Run) -> None:
    r = run_cli(["next"], guide_ws)
    assert (r.returncode, r.stderr) == (0, "")
    _check_golden("guide_task_brief.md", r.stdout)


def test_next_action_brief_golden(guide_ws: Path, run_cli: Run) -> None:
    r = run_cli(["next", "--focus", "DOCS-INIT-003"], guide_ws)
    assert r.returncode == 0, r.stderr
    _check_golden("guide_next_action_brief.md", r.stdout)


def test_guidance_is_verbatim_and_bounded(guide_ws: Path, run_cli: Run) -> None:
    do_now = _line(run_cli(["next"], guide_ws).stdout, "Do Now:")
    assert "task B2 — Fix the float32 path of `Simulator.__init__`." in do_now
    guidance = do_now.split("Plan guidance: \u201c", 1)[1].split("\u201d", 1)[0]
    assert guidance.startswith(
        "Mode: Forged. Keep `__init__` free of I/O; the `__post_init__` of `BeamConfig` "
        "converts units, so **do not** convert twice."
    )
    # cut at a sentence end inside the 1200-character bound, with a visible ellipsis
    assert guidance.endswith("Write down which of these it was. …")
    assert len(guidance) <= 1200
    assert "Simulator.init" not in do_now and "Simulator.__init__" in do_now


def test_mode_comes_from_config_only(guide_ws: Path, run_cli: Run) -> None:
    assert _line(run_cli(["next"], guide_ws).stdout, "Mode:") == "Mode: Implementation"
    cfg = guide_ws / "supervisor.yaml"
    cfg.write_text(cfg.read_text() + "brief:\n  default_mode: Parity\n", encoding="utf-8")
    assert _line(run_cli(["next"], guide_ws).stdout, "Mode:") == "Mode: Parity"
    out = run_cli(["next", "--focus", "DOCS-INIT-003"], guide_ws).stdout
    assert _line(out, "Mode:") == "Mode: Parity"  # its Next Action says "Mode: Forged."


def test_commands_carry_the_configured_env(guide_ws: Path, run_cli: Run) -> None:
    out = run_cli(["next"], guide_ws).stdout
    runs = [ln for ln in out.splitlines() if ln.startswith("- Run (")]
    assert runs == [
        "- Run (from task B2): `KMP_DUPLICATE_LIB_OK=TRUE OMP_NUM_THREADS=1 sim trace "
        "--pixel 1 2 --dtype float32`",
        "- Run (from the Next Action): `KMP_DUPLICATE_LIB_OK=TRUE OMP_NUM_THREADS=1 "
        "scripts/compare_init.py --dtype float32`",
    ]
    # a variable the command sets itself is not set again
    other = run_cli(["next", "--focus", "DOCS-INIT-003"], guide_ws).stdout
    assert (
        "- Run (from the Next Action): `OMP_NUM_THREADS=4 KMP_DUPLICATE_LIB_OK=TRUE python "
        "scripts/check_docs.py docs/sim.md`" in other
    )


def test_selectors_checked_against_the_test_file(guide_ws: Path, run_cli: Run) -> None:
    out = run_cli(["next"], guide_ws).stdout
    assert _line(out, "Mapped tests:") == (
        "Mapped tests: `KMP_DUPLICATE_LIB_OK=TRUE OMP_NUM_THREADS=1 pytest "
        "tests/test_init.py::TestDefaults::test_float32_defaults -x`; "
        "`KMP_DUPLICATE_LIB_OK=TRUE OMP_NUM_THREADS=1 pytest "
        "tests/test_init.py::test_module_defaults`; "
        "`KMP_DUPLICATE_LIB_OK=TRUE OMP_NUM_THREADS=1 python -m pytest "
        "tests/test_init.py::TestDefaults::test_float32_defaults -x`"
    )
    assert "test_removed_case -q" not in _line(out, "Mapped tests:")
    assert (
        "- Not run: `pytest tests/test_init.py::test_removed_case -q` — none of its tests "
        "would be collected." in out
    )
    assert "- Not mapped: `tests/test_gone.py` — tests/test_gone.py does not exist" in out
    # once the test exists at module level, the same guidance maps it as written
    tests = guide_ws / "tests" / "test_init.py"
    tests.write_text(tests.read_text() + "\n\ndef test_removed_case():\n    pass\n")
    out = run_cli(["next"], guide_ws).stdout
    assert "pytest tests/test_init.py::test_removed_case -q`" in _line(out, "Mapped tests:")
    assert "Not run:" not in out


def test_plan_artifact_path_wins_over_the_computed_one(guide_ws: Path, run_cli: Run) -> None:
    out = run_cli(["next"], guide_ws).stdout
    assert _line(out, "Artifacts:") == "Artifacts: reports/sim-init/phase_b/<STAMP>/float32/"
    assert "- plans/active/sim-init/plan.md:22 — where this step's evidence goes" in out
    # without a path in the guidance, the plan's Artifact Policy (phase slot filled)
    plan = guide_ws / "plans/active/sim-init/plan.md"
    plan.write_text(
        plan.read_text().replace(
            " and save it under `reports/sim-init/phase_b/<STAMP>/float32/`", ""
        )
    )
    out = run_cli(["next"], guide_ws).stdout
    assert _line(out, "Artifacts:") == "Artifacts: reports/sim-init/phase_b/<STAMP>/"
    assert "- plans/active/sim-init/plan.md:3 — where this step's evidence goes" in out
    # and with neither, the computed bundle path
    plan.write_text(plan.read_text().replace("- Artifact Policy: store runs", "- Policy: runs"))
    out = run_cli(["next"], guide_ws).stdout
    assert _line(out, "Artifacts:") == "Artifacts: reports/SIM-INIT-001/phase_b/$STAMP/"
    assert "where this step's evidence goes" not in out


def test_latest_attempts_by_number_with_metrics(guide_ws: Path, run_cli: Run) -> None:
    out = run_cli(["next"], guide_ws).stdout
    attempts = [ln for ln in out.splitlines() if "] attempt #" in ln]
    assert attempts == [
        "- docs/fix_plan.md:28-30 — [SIM-INIT-001] attempt #8 [2026-01-31] (partial): ⚠️ "
        "partial. The float32 path is still off; Metrics: float32 max |Δ| = 2.0e-4",
        "- docs/fix_plan.md:22-24 — [SIM-INIT-001] attempt #7 [2026-01-30] (success): ✅ "
        "success. `Simulator.__init__` now reads `beam.fluence` once; Metrics: max |Δ| = "
        "3.1e-9 over 4096 pixels; Observations: the `__post_init__` hook of `BeamConfig` runs "
        "before unit conversion",
        "- docs/fix_plan.md:31 — [SIM-INIT-001] attempt #6 [2026-01-25] (success): ✅ "
        "success. Captured the C defaults",
    ]


def test_dependencies_and_risks(guide_ws: Path, run_cli: Run) -> None:
    out = run_cli(["next"], guide_ws).stdout
    assert (
        "- docs/fix_plan.md:43-50 — depends on [BEAM-UNITS-002] Beam units: status done; "
        "latest attempt #2 [2026-01-12] (success)" in out
    )
    assert (
        "- Mind the item's risks: The C seeds the mosaic RNG from `-seed` only when "
        "`-mosaic_dom` > 1; `__init__` order matters: `Detector` must exist before `Beam`"
    ) in out


def test_json_carries_the_step_detail(guide_ws: Path, run_cli: Run) -> None:
    doc = json.loads(run_cli(["next", "--json"], guide_ws).stdout)
    step = doc["context"]["step"]
    assert step["guidance_source"] == "plans/active/sim-init/plan.md:22"
    assert step["artifacts_source"] == "plans/active/sim-init/plan.md:22"
    assert [(s["selector"], s["state"], s["shown"]) for s in step["selectors"]] == [
        (
            "tests/test_init.py::test_float32_defaults",
            "method_unqualified",
            "tests/test_init.py::TestDefaults::test_float32_defaults",
        ),
        ("tests/test_init.py::test_removed_case", "not_found", None),
        ("tests/test_gone.py", "no_file", None),
    ]
    assert [a["anchor"] for a in step["attempts"]] == [
        "docs/fix_plan.md:28-30",
        "docs/fix_plan.md:22-24",
        "docs/fix_plan.md:31",
    ]
    assert step["commands"][0].startswith("KMP_DUPLICATE_LIB_OK=TRUE OMP_NUM_THREADS=1 sim")


def test_rendered_brief_lints_clean_and_keeps_13_sections(guide_ws: Path, run_cli: Run) -> None:
    from supervisor.parse.brief import parse_brief

    for args in (["next", "--write"], ["next", "--write", "--focus", "DOCS-INIT-003"]):
        assert run_cli(args, guide_ws).returncode == 0
        text = (guide_ws / "input.md").read_text(encoding="utf-8")
        keys = [s.key for s in parse_brief(text, "input.md").sections]
        assert keys == [
            "Summary", "Mode", "Focus", "Branch", "Mapped tests", "Artifacts", "Do Now",
            "If Blocked", "Priorities & Rationale", "How-To Map", "Pitfalls To Avoid",
            "Pointers", "Next Up",
        ]  # fmt: skip
        r = run_cli(["lint", "input.md"], guide_ws)
        assert (r.returncode, r.stdout) == (0, "0 errors, 0 warnings in 1 file\n")


def test_empty_plan_gives_a_brief_that_says_so(demo_ws: Path, run_cli: Run) -> None:
    plan = demo_ws / "plans/active/detector-parity/plan.md"
    plan.write_text("", encoding="utf-8")
    r = run_cli(["next"], demo_ws)
    assert (r.returncode, r.stderr) == (0, "")
    assert "Traceback" not in r.stdout
    assert (
        "- Do not invent tasks: its plan plans/active/detector-parity/plan.md is empty; add "
        "them to it first." in r.stdout
    )
    assert "plans/active/detector-parity/plan.md:" not in r.stdout  # no pointer into it
    # with no open Next Action either, the summary says why there is nothing to do
    ledger = demo_ws / "docs/fix_plan.md"
    text = ledger.read_text(encoding="utf-8")
    ledger.write_text(
        text.replace("  1. Finish Phase B", "  1. ✅ COMPLETE Finish Phase B").replace(
            "  2. Then Phase C", "  2. ✅ COMPLETE Then Phase C"
        ),
        encoding="utf-8",
    )
    r = run_cli(["next"], demo_ws)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(
        "Summary: Advance [DETECTOR-PARITY-001] pix0 under SAMPLE pivot: its plan "
        "plans/active/detector-parity/plan.md is empty and no Next Action is open.\n"
    )
    # a plan with text but no checklist says it has no tasks
    plan.write_text("## Context\n- Initiative: DETECTOR-PARITY-001\n", encoding="utf-8")
    r = run_cli(["next"], demo_ws)
    assert r.returncode == 0, r.stderr
    assert "its plan plans/active/detector-parity/plan.md has no tasks" in r.stdout
    assert "- plans/active/detector-parity/plan.md:1-2 — plan" in r.stdout


def test_next_action_worked_is_the_one_naming_the_task_or_phase(
    demo_ws: Path, run_cli: Run
) -> None:
    ledger = demo_ws / "docs/fix_plan.md"
    text = ledger.read_text(encoding="utf-8")
    text = text.replace(
        "  1. Finish Phase B (B2): isolate the rotation order for pix0 under SAMPLE.",
        "  1. Draft the test list.\n  2. Close Phase\u202fB: run `git diff` first.",
    ).replace("  2. Then Phase C regression tests.", "  3. Then the docs.")
    ledger.write_text(text, encoding="utf-8")
    out = run_cli(["next"], demo_ws).stdout
    assert (
        "- docs/fix_plan.md:43 — [DETECTOR-PARITY-001] Next Action being worked: Close "
        "Phase\u202fB: run `git diff` first\n" in out
    )
    assert "- Run (from the Next Action): `git diff`\n" in out  # a tool: no env prefix
