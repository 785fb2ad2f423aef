"""The loop's own signals in selection: continuity (last brief, commit subjects), operator
goals, Active Focus resolved by prefix and plan path, stale entries, the step named by a Next
Action, rows reported done by attempts, leftover rows, and the stall guard by attempt number."""

from __future__ import annotations

from pathlib import Path

from supervisor.config import Config, Selection
from supervisor.mentions import ItemIndex
from supervisor.parse.ledger import parse_ledger
from supervisor.parse.plan import parse_plan
from supervisor.select import choose_item, choose_task, stall_of
from supervisor.signals import Commit, Goal, Signals, parse_goals

CFG = Config(root=Path("."), path=Path("supervisor.yaml"))


def item(ident: str, title: str, status: str = "in_progress", extra: str = "") -> str:
    return f"## [{ident}] {title}\n- Priority: High\n- Status: {status}\n{extra}\n"


def ledger(*items: str, focus: str = ""):  # type: ignore[no-untyped-def]
    head = "# Fix Plan Ledger\n\n**Last Updated:** 2026-01-01\n"
    if focus:
        head += f"**Active Focus:**\n{focus}\n"
    return parse_ledger(head + "\n" + "\n".join(items), "docs/fix_plan.md")


LEDGER = ledger(
    item("CLI-FLAGS-003", "Handle -nonoise and -pix0_vector_mm",
         extra="- Plan Reference: `plans/active/cli/plan.md`"),
    item("ROUTING-GUARD-001", "supervisor.sh automation guard",
         extra="- Plan Reference: `plans/active/guard/plan.md`"),
    item("VECTOR-TRICUBIC-001", "Vectorize tricubic interpolation"),
    focus=(
        "- ROUTING-GUARD: Launch Phase A of `plans/active/guard/plan.md` before automation.\n"
        "- CLI-FLAGS: finish the scaling audit.\n"
    ),
)  # fmt: skip


def test_mentions_by_id_prefix_plan_and_title() -> None:
    idx = ItemIndex(LEDGER)
    assert [(m.item, m.how) for m in idx.mentions("CLI-FLAGS-003 H4 guidance")] == [
        ("CLI-FLAGS-003", "id")
    ]
    assert idx.first("CLI-FLAGS: Phase L") is not None
    assert idx.first("CLI-FLAGS: Phase L").item == "CLI-FLAGS-003"  # type: ignore[union-attr]
    m = idx.first("Launch Phase A of plans/active/guard/plan.md now")
    assert m is not None and (m.item, m.how) == ("ROUTING-GUARD-001", "plan")
    m = idx.first("add support for -nonoise and -pix0_vector_mm", titles=True)
    assert m is not None and (m.item, m.how) == ("CLI-FLAGS-003", "title")
    assert idx.first("SUPERVISOR: vectorization plan sync - tests: not run") is None
    # a single word is an ID prefix only as a leading label
    single = ItemIndex(ledger(item("PARSER-002", "Tolerant parsing")))
    m = single.first("PARSER: read checkbox lists")
    assert m is not None and (m.item, m.how) == ("PARSER-002", "prefix")
    assert single.first("fix the PARSER module") is None
    assert single.first("WIP: PARSER notes") is None


def test_active_focus_header_resolved_by_prefix_and_plan_path() -> None:
    focus = choose_item(LEDGER, CFG)
    assert (focus.item.id, focus.how) == ("ROUTING-GUARD-001", "active-focus")
    assert focus.notes == ("Active Focus line 5 names ROUTING-GUARD-001",)


def test_stale_header_entry_loses_to_continuity() -> None:
    signals = Signals(commits=(Commit("a1b2c3d", "VECTOR-TRICUBIC-001 Phase C1 done"),))
    focus = choose_item(LEDGER, CFG, signals=signals)
    assert (focus.item.id, focus.how) == ("VECTOR-TRICUBIC-001", "continuity")
    assert focus.notes == (
        "continuity: commit a1b2c3d ('VECTOR-TRICUBIC-001 Phase C1 done') worked on "
        "VECTOR-TRICUBIC-001",
    )


def test_stale_header_entry_is_skipped_with_a_reason() -> None:
    lg = ledger(
        item("AAA-0001", "Alpha", status="done"),
        item("BBB-0002", "Beta"),
        item("CCC-0003", "Gamma"),
        focus="- `[CCC-0003]` — old focus\n- `[BBB-0002]` — current",
    )
    # the latest turns worked on a finished item and on BBB: the CCC entry is stale
    signals = Signals(
        commits=(Commit("1111111", "AAA-0001 closed"), Commit("2222222", "BBB-0002 x"))
    )
    focus = choose_item(lg, CFG, signals=signals)
    assert (focus.item.id, focus.how) == ("BBB-0002", "continuity")
    assert focus.notes[0].startswith("continuity passed over AAA-0001 (commit 1111111")


def test_continuity_from_the_last_brief_beats_commit_subjects() -> None:
    signals = Signals(
        last_brief="CLI-FLAGS-003",
        last_brief_path="input.md",
        commits=(Commit("abcdef1", "VECTOR-TRICUBIC-001: kernel"),),
    )
    focus = choose_item(LEDGER, CFG, signals=signals)
    assert (focus.item.id, focus.how) == ("CLI-FLAGS-003", "continuity")
    assert focus.notes == ("continuity: the last brief (input.md) worked on CLI-FLAGS-003",)


def test_goals_choose_when_nothing_continues() -> None:
    signals = Signals(goals=(
        Goal(1, "retire the legacy shim entirely", None),
        Goal(2, "vectorize tricubic interpolation first", None),
    ))  # fmt: skip
    focus = choose_item(LEDGER, CFG, signals=signals)
    assert (focus.item.id, focus.how) == ("VECTOR-TRICUBIC-001", "goal")
    assert focus.notes == (
        "goal 1 names no ledger item: retire the legacy shim entirely",
        "goal 2 names VECTOR-TRICUBIC-001 (by title 'interpolation tricubic vectorize')",
    )


def test_goals_file_numbered_tags_in_rank_order() -> None:
    text = (
        "intro\n<goals>\nin order of decreasing priority:\n<2>\nsecond\n</2>\n<1>\nfirst goal\n"
        "</1>\n</goals>\n"
    )
    goals = parse_goals(text, "prompts/sup.md", "<goals>", "</goals>")
    assert [(g.rank, g.text, g.span.anchor if g.span else None) for g in goals] == [
        (1, "first goal", "prompts/sup.md:7-9"),
        (2, "second", "prompts/sup.md:4-6"),
    ]
    listed = parse_goals("## Goals\n- one\n- two\n## End\n", "g.md", "## Goals", "## End")
    assert [(g.rank, g.text) for g in listed] == [(1, "one"), (2, "two")]


PLAN = """# Plan

### Phase A — Setup
| ID | Task | State | Guidance |
| --- | --- | --- | --- |
| A1 | Write docs | [ ] | deferred |
| A2 | Probe | [D] | done |

### Phase B — Build
| ID | Task | State | Guidance |
| --- | --- | --- | --- |
| B1 | Kernel | [D] | |
| B2 | Batch | [ ] | |
| B3 | Gather | [ ] | |

### Phase C — Validate
| ID | Task | State | Guidance |
| --- | --- | --- | --- |
| C1 | Parity | [ ] | |
| C2 | Perf | [ ] | |
"""


def _item(extra: str):  # type: ignore[no-untyped-def]
    return ledger(item("VEC-0001", "Vectorize", extra=extra)).items[0]


def test_leftover_rows_rank_after_the_current_phase() -> None:
    step = choose_task(parse_plan(PLAN, "p.md"), _item(""))
    assert (step.phase and step.phase.id, step.task and step.task.id) == ("B", "B2")
    assert step.how == "the current phase (where progress ends)"
    assert step.next_task is not None and step.next_task.id == "B3"


def test_rows_reported_done_by_a_successful_attempt_count_as_done() -> None:
    attempts = (
        "- Attempts History:\n"
        "  * [2026-01-02] Attempt #1 — Result: success. B2 batch landed per plans/active/p.md.\n"
    )
    step = choose_task(parse_plan(PLAN, "p.md"), _item(attempts))
    assert step.task is not None and step.task.id == "B3"


def test_next_action_naming_a_phase_wins() -> None:
    actions = "- Next Actions:\n  1. Phase C — start the parity run\n"
    step = choose_task(parse_plan(PLAN, "p.md"), _item(actions))
    assert (step.phase and step.phase.id, step.task and step.task.id) == ("C", "C1")
    assert step.how.startswith("named by Next Action at line")
    inline = "- Next Actions: C2 perf sweep first, then the rest\n"
    step = choose_task(parse_plan(PLAN, "p.md"), _item(inline))
    assert step.task is not None and step.task.id == "C2"


def test_stall_guard_orders_attempts_by_number() -> None:
    history = (
        "- Attempts History:\n"
        "  * [2026-01-01] Attempt #45 — Result: failed. x\n"
        "  * [2026-01-03] Attempt #71 — Result: success. y\n"
        "  * [2026-01-02] Attempt #46 — Result: failed. z\n"
        "  * [2026-01-02] Attempt #47 — Result: failed. w\n"
    )
    it = _item(history)
    assert stall_of(it, 3) is None  # #46, #47, #71: the latest succeeded
    stalled = _item(history.replace("#71 — Result: success", "#44 — Result: success"))
    stall = stall_of(stalled, 3)
    assert stall is not None and [a.number for a in stall.attempts] == [45, 46, 47]


def test_selection_config_parses_goals_file() -> None:
    from supervisor.config import parse_config

    cfg = parse_config(
        "version: 1\nselection:\n  goals: [CLI-FLAGS-003]\n  goals_file: {path: prompts/s.md}\n"
        "  history: 5\n",
        Path("supervisor.yaml"),
    )
    assert cfg.selection.goals == ("CLI-FLAGS-003",)
    assert cfg.selection.goals_file is not None
    assert cfg.selection.goals_file.start == "<current long-term goals>"
    assert cfg.selection == Selection(
        goals=("CLI-FLAGS-003",), goals_file=cfg.selection.goals_file, history=5
    )


def test_next_follows_a_new_commit_subject_even_from_the_cache(demo_ws: Path) -> None:
    """Continuity reads commit subjects; the `next` cache is keyed on HEAD so a commit that
    names another item is seen even when no file `next` reads has changed."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "SUPERVISOR_NO_CACHE": "0", "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid"}  # fmt: skip

    def run(*args: str) -> str:
        r = subprocess.run(args, cwd=demo_ws, env=env, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        return r.stdout

    def focus_line() -> str:
        out = run(sys.executable, "-m", "supervisor.cli.main", "next", "--explain")
        return out.splitlines()[0]

    (demo_ws / ".gitignore").write_text(".supervisor/\n")
    ledger = demo_ws / "docs/fix_plan.md"  # DOCS-SYNC-003 may start now
    ledger.write_text(ledger.read_text().replace("- Depends on: [DETECTOR-PARITY-001]\n", ""))
    run("git", "init", "-q", "-b", "main")
    run("git", "add", "-A")
    run("git", "commit", "-qm", "seed the workspace")
    assert focus_line().startswith("Focus: [DETECTOR-PARITY-001] ")
    assert focus_line().startswith("Focus: [DETECTOR-PARITY-001] ")  # now a cache hit
    run("git", "commit", "-q", "--allow-empty", "-m", "DOCS-SYNC-003: outline the docs pass")
    assert focus_line() == (
        "Focus: [DOCS-SYNC-003] Document pivot rules — chosen by continuity (the item the latest "
        "turns worked on)"
    )


def test_goals_file_missing_or_empty_is_named_in_explain(demo_ws: Path) -> None:
    import os
    import subprocess
    import sys

    cfg = demo_ws / "supervisor.yaml"
    text = cfg.read_text().replace(
        "selection:\n", "selection:\n  goals_file: {path: prompts/goals.md}\n"
    )
    cfg.write_text(text)
    env = {**os.environ, "SUPERVISOR_NO_CACHE": "1"}

    def explain() -> str:
        r = subprocess.run([sys.executable, "-m", "supervisor.cli.main", "next", "--explain"],
                           cwd=demo_ws, env=env, capture_output=True, text=True)  # fmt: skip
        assert r.returncode == 0, r.stderr
        return r.stdout

    assert "  note: goals: goals file prompts/goals.md not found\n" in explain()
    (demo_ws / "prompts").mkdir()
    (demo_ws / "prompts/goals.md").write_text("no markers here\n")
    assert (
        "  note: goals: prompts/goals.md: no goals between '<current long-term goals>' and "
        "'</current long-term goals>'\n" in explain()
    )


def test_selection_and_ledger_config_errors() -> None:
    import pytest

    from supervisor.config import parse_config
    from supervisor.errors import ConfigError

    cases = {
        "selection:\n  goals_file: {start: x}\n": (
            "supervisor.yaml:3: 'selection.goals_file' goals_file needs a path — add path: FILE"
        ),
        "ledger:\n  shape: nested\n": (
            "supervisor.yaml:3: 'ledger.shape' unknown ledger shape 'nested' — use one of: "
            "auto, sections, single-focus"
        ),
        "ledger:\n  item_heading: '[{id}'\n": (
            "supervisor.yaml:3: 'ledger.item_heading' item_heading is not a valid regular "
            "expression: unterminated character set at position 0"
        ),
    }
    for extra, message in cases.items():
        with pytest.raises(ConfigError) as info:
            parse_config("version: 1\n" + extra, Path("supervisor.yaml"))
        assert str(info.value) == message
    cfg = parse_config("version: 1\nselection:\n  history: 5\n  nope: 1\n", Path("supervisor.yaml"))
    assert cfg.warnings == (
        "supervisor.yaml:4: unknown key 'nope' in 'selection' (ignored) — use one of: goals, "
        "goals_file, history, stale_turns, stall_window",
    )
