"""`supervisor loop` on one machine, one process playing both roles: a real scripted agent in
a real git repository. Attempts accumulate, plan states advance, one commit per turn, the
hand-off state in every commit, the loop's own `failed` attempts, logs, and --json."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

ALPHA = "[ALPHA-001]"


def _loop_commits(git: Callable[..., str], ws: Path) -> list[tuple[str, str]]:
    rows = git(ws, "log", "--format=%H %s", "--reverse").splitlines()
    return [(r[:40], r[41:]) for r in rows if r[41:].startswith("loop: ")]


def _subjects(git: Callable[..., str], ws: Path) -> list[str]:
    return [s for _, s in _loop_commits(git, ws)]


def _shas(git: Callable[..., str], ws: Path) -> list[str]:
    return [h for h, _ in _loop_commits(git, ws)]


def _files(git: Callable[..., str], ws: Path, sha: str) -> list[str]:
    return sorted(git(ws, "show", "--name-only", "--format=", sha).split())


def _state_at(git: Callable[..., str], ws: Path, sha: str) -> dict[str, Any]:
    doc = json.loads(git(ws, "show", f"{sha}:sync/state.json"))
    assert isinstance(doc, dict)
    return doc


def test_three_iterations_advance_the_plan(
    loop_ws: Path, loop_cli: Any, agent_cmd: Any, git: Any, commits: Any, state_of: Any
) -> None:
    r = loop_cli(loop_ws, "--agent", agent_cmd("work"), "--iterations", "3", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert (doc["schema_version"], doc["kind"], doc["status"]) == (1, "loop", "ok")
    assert (doc["iterations"], doc["role"], doc["sync"], doc["branch"]) == (
        3,
        "both",
        False,
        "main",
    )
    assert [
        (t["iteration"], t["actor"], t["task"], t["mode"], t["attempt"], t["attempt_result"],
         t["attempt_by"], t["agent_exit"])
        for t in doc["turns"]
    ] == [
        (1, "supervisor", "A1", "Parity", None, None, None, None),
        (1, "agent", "A1", "Parity", 2, "success", "agent", 0),
        (2, "supervisor", "A2", "Parity", None, None, None, None),
        (2, "agent", "A2", "Parity", 3, "success", "agent", 0),
        (3, "supervisor", "B1", "Parity", None, None, None, None),
        (3, "agent", "B1", "Parity", 4, "success", "agent", 0),
    ]  # fmt: skip

    # the ledger and the plan advanced, through the agent's own record-attempt
    ledger = (loop_ws / "docs/fix_plan.md").read_text()
    heads = re.findall(r"Attempt #(\d+) — Result: ✅ success \(task (\w+): \[ \] → \[D\]\)", ledger)
    assert heads == [("2", "A1"), ("3", "A2"), ("4", "B1")]
    plan = (loop_ws / "plans/active/alpha/plan.md").read_text()
    assert re.findall(r"^\| (\w+) \|.*\| \[(.)\] \|", plan, re.M) == [
        ("A1", "D"), ("A2", "D"), ("B1", "D")
    ]  # fmt: skip

    # one commit per turn, each with only whitelisted files and evidence
    assert commits(loop_ws) == 1 + 6
    assert _subjects(git, loop_ws) == [
        f"loop: iteration 1 brief — {ALPHA} phase A task A1 (mode Parity)",
        f"loop: iteration 1 agent turn — {ALPHA} task A1 Attempt #2 success (recorded by the agent)",
        f"loop: iteration 2 brief — {ALPHA} phase A task A2 (mode Parity)",
        f"loop: iteration 2 agent turn — {ALPHA} task A2 Attempt #3 success (recorded by the agent)",
        f"loop: iteration 3 brief — {ALPHA} phase B task B1 (mode Parity)",
        f"loop: iteration 3 agent turn — {ALPHA} task B1 Attempt #4 success (recorded by the agent)",
    ]
    shas = _shas(git, loop_ws)
    assert [t["commit"] for t in doc["turns"]] == shas
    for k, sha in enumerate(shas):
        files = _files(git, loop_ws, sha)
        if k % 2 == 0:
            assert files == ["input.md", "sync/state.json"]
        else:
            bundle = {f.rsplit("/", 1)[0] for f in files if f.startswith("reports/")}
            assert len(bundle) == 1, files
            (b,) = bundle
            assert re.fullmatch(r"reports/ALPHA-001/phase_[ab]/\d{8}T\d{6}Z(-\d+)?", b)
            assert files == sorted([
                "docs/fix_plan.md", "plans/active/alpha/plan.md", "sync/state.json",
                *(f"{b}/{n}" for n in ("SHA256SUMS", "bundle.json", "commands.txt", "env.json",
                                       "probe.stderr.log", "probe.stdout.log", "probe.txt",
                                       "summary.md")),
            ])  # fmt: skip
    assert git(loop_ws, "status", "--porcelain") == ""

    # the hand-off state committed by every turn
    for k, sha in enumerate(shas):
        st = _state_at(git, loop_ws, sha)
        n = k // 2 + 1
        assert (st["iteration"], st["status"], st["lease"]) == (n, "ready", None)
        assert st["expected_actor"] == ("agent" if k % 2 == 0 else "supervisor")
        assert st["last_commits"] == {
            "supervisor": shas[k - 1 - (k % 2 == 0)] if k >= 1 else None,
            "agent": shas[k - 1 - (k % 2 == 1)] if k >= 2 else None,
        }
    tasks = ["A1", "A2", "B1"]
    st = state_of(loop_ws)
    assert st == _state_at(git, loop_ws, shas[-1])
    assert st["focus"] == {"item": "ALPHA-001", "phase": "B", "task": "B1", "mode": "Parity",
                           "attempts": 3, "last_attempt": 3, "brief": "input.md"}  # fmt: skip
    assert st["stall"] == {"key": "ALPHA-001/B1", "iterations": 0, "escalated": None,
                           "signature": "successes=3;task=not_started;status=in_progress"}  # fmt: skip
    assert st["parked"] == [] and st["note"] is None and st["branch"] == "main"
    assert doc["state"] == st and doc["state_path"] == "sync/state.json"

    # per-iteration logs with the agent's output streamed in, and live progress on stderr
    logs = sorted((loop_ws / "logs/main/both").iterdir())
    assert len(logs) == 3
    for n, log in enumerate(logs, start=1):
        assert re.fullmatch(rf"iter-0000{n}_\d{{8}}T\d{{6}}Z\.log", log.name), log.name
    assert [t["log"] for t in doc["turns"]] == [
        f"logs/main/both/{p.name}" for p in logs for _ in "sa"
    ]
    for n, log in enumerate(logs, start=1):
        text = log.read_text()
        assert f"scripted agent (work): iteration {n}, Focus: {ALPHA} Alpha" in text
        assert f"loop supervisor: brief input.md: {ALPHA} phase" in text
        assert f"loop agent: ledger: {ALPHA} gained Attempt #{n + 1} (success)" in text
        assert f"task {tasks[n - 1]}" in text
    lines = r.stderr.splitlines()
    assert lines[:2] == [
        f"loop: iteration 1 supervisor: brief input.md: {ALPHA} phase A task A1, mode Parity",
        f"loop: iteration 1 supervisor: committed {shas[0][:12]}",
    ]
    assert f"loop: iteration 3 agent: committed {shas[5][:12]}" == lines[-1]
    assert (loop_ws / "logs/.gitignore").read_text().endswith("*\n")


def test_agent_that_records_nothing_gets_failed_attempts_and_the_stall_guard(
    loop_ws: Path, loop_cli: Any, agent_cmd: Any, git: Any, state_of: Any
) -> None:
    r = loop_cli(loop_ws, "--agent", agent_cmd("nothing"), "--iterations", "3")
    assert r.returncode == 0, r.stderr
    assert (
        r.stdout
        == "3 iteration(s) done; state sync/state.json: iteration 3, supervisor's turn, ready\n"
    )
    ledger = (loop_ws / "docs/fix_plan.md").read_text()
    logs = sorted(p.name for p in (loop_ws / "logs/main/both").iterdir())
    failed = [
        f"  * [2026-02-01] Attempt #{n + 1} — Result: ❌ failed. loop iteration {n}: the agent "
        f"recorded no attempt for {ALPHA} (the agent exited 0); log logs/main/both/{logs[n - 1]}."
        for n in (1, 2, 3)
    ]
    assert "\n".join(failed) in ledger
    assert _subjects(git, loop_ws)[1::2] == [
        f"loop: iteration {n} agent turn — {ALPHA} task A1 Attempt #{n + 1} failed (recorded by "
        "the loop)"
        for n in (1, 2, 3)
    ]
    note = (
        f"Loop stall guard: {ALPHA} task A1 has been the focus for 2 iterations without progress "
        "(no new successful attempt, no task state change); mode switched to Evidence: find out "
        "why it stalls before another fix."
    )
    shas = _shas(git, loop_ws)
    briefs = [git(loop_ws, "show", f"{sha}:input.md") for sha in shas[::2]]
    assert [b.splitlines()[1] for b in briefs] == ["Mode: Parity", "Mode: Parity", "Mode: Evidence"]
    assert briefs[2].startswith(f"Summary: {note} A1: Capture the baseline with `probe`")
    assert f"- {note}\n" in briefs[2]  # also among the pitfalls
    assert f"loop: iteration 3 supervisor: {note}" in r.stderr.splitlines()
    st = state_of(loop_ws)
    assert st["stall"] == {"key": "ALPHA-001/A1", "iterations": 2, "escalated": "mode",
                           "signature": "successes=1;task=not_started;status=in_progress"}  # fmt: skip
    assert _state_at(git, loop_ws, shas[4])["note"] == note
    assert st["focus"]["attempts"] == 3 and st["focus"]["last_attempt"] == 3


def test_stall_escalation_block_marks_the_task_blocked(
    loop_ws: Path, loop_cli: Any, agent_cmd: Any, git: Any, state_of: Any, configure: Any
) -> None:
    configure(loop_ws, "escalate: mode", "escalate: block")
    r = loop_cli(loop_ws, "--agent", agent_cmd("nothing"), "--iterations", "3")
    assert r.returncode == 0, r.stderr
    ledger = (loop_ws / "docs/fix_plan.md").read_text()
    assert (
        "  * [2026-02-01] Attempt #4 — Result: 🟡 blocked (task A1: [ ] → [B]). loop stall guard "
        "(iteration 3): no progress in 2 iterations (no new successful attempt, no task state "
        "change); task A1 marked blocked.\n"
    ) in ledger
    assert "Attempt #5 — Result: ❌ failed. loop iteration 3:" in ledger
    plan = (loop_ws / "plans/active/alpha/plan.md").read_text()
    assert "| A1 | Capture the baseline with `probe` | [B] |" in plan
    brief = (loop_ws / "input.md").read_text()
    note = (
        f"Loop stall guard: {ALPHA} task A1 made no progress in 2 iterations; task A1 was marked "
        "blocked (Attempt #4) and the focus moved on."
    )
    assert brief.startswith(f"Summary: {note} A2: Compare again with `probe`")
    assert brief.splitlines()[1] == "Mode: Parity"
    assert (
        _subjects(git, loop_ws)[4]
        == f"loop: iteration 3 brief — {ALPHA} phase A task A2 (mode Parity)"
    )
    assert _files(git, loop_ws, _shas(git, loop_ws)[4]) == [
        "docs/fix_plan.md", "input.md", "plans/active/alpha/plan.md", "sync/state.json"
    ]  # fmt: skip
    st = state_of(loop_ws)
    assert st["stall"] == {"key": "ALPHA-001/A2", "iterations": 0, "escalated": "block",
                           "signature": "successes=1;task=not_started;status=in_progress"}  # fmt: skip
    assert st["focus"]["task"] == "A2"


def test_stall_escalation_next_parks_the_item(
    loop_ws: Path, loop_cli: Any, agent_cmd: Any, git: Any, state_of: Any, configure: Any
) -> None:
    configure(loop_ws, "escalate: mode", "escalate: next")
    r = loop_cli(loop_ws, "--agent", agent_cmd("nothing"), "--iterations", "4")
    assert r.returncode == 0, r.stderr
    shas = _shas(git, loop_ws)
    briefs = [git(loop_ws, "show", f"{sha}:input.md") for sha in shas[::2]]
    assert [b.splitlines()[2] for b in briefs] == [
        "Focus: [ALPHA-001] Alpha — Phase A (Baseline), task A1",
        "Focus: [ALPHA-001] Alpha — Phase A (Baseline), task A1",
        "Focus: [BETA-002] Beta",
        "Focus: [BETA-002] Beta",
    ]
    assert briefs[2].startswith(
        f"Summary: Loop stall guard: {ALPHA} task A1 made no progress in 2 iterations (no new "
        f"successful attempt, no state change); {ALPHA} is parked and the loop moved to the next "
        "candidate [BETA-002]. [BETA-002] next action: Write the pivot note."
    )
    # iteration 4: continuity (the last brief worked on BETA) keeps BETA in focus, so the
    # parked ALPHA is not even the natural choice any more
    assert briefs[3].startswith("Summary: [BETA-002] next action: Write the pivot note.")
    st = state_of(loop_ws)
    assert st["parked"] == [
        {"item": "ALPHA-001", "signature": "successes=1;task=not_started;status=in_progress"}
    ]
    assert st["stall"]["key"] == "BETA-002/-" and st["stall"]["iterations"] == 1
    ledger = (loop_ws / "docs/fix_plan.md").read_text()
    beta = ledger[ledger.index("## [BETA-002]") :]
    assert (
        "Attempt #1 — Result: ❌ failed. loop iteration 3: the agent recorded no attempt for [BETA-002]"
        in beta
    )
    assert "Attempt #2 — Result: ❌ failed. loop iteration 4:" in beta


def test_agent_exit_code_and_no_attempt(loop_ws: Path, loop_cli: Any, agent_cmd: Any) -> None:
    r = loop_cli(loop_ws, "--agent", agent_cmd("exit3"), "--iterations", "1", "--json")
    assert r.returncode == 0, r.stderr
    turn = json.loads(r.stdout)["turns"][1]
    assert (turn["agent_exit"], turn["attempt"], turn["attempt_by"]) == (3, 2, "loop")
    assert (
        "recorded no attempt for [ALPHA-001] (the agent exited 3)"
        in (loop_ws / "docs/fix_plan.md").read_text()
    )


def test_agent_command_from_config(
    loop_ws: Path, loop_cli: Any, agent_cmd: Any, configure: Any
) -> None:
    argv = json.dumps(agent_cmd("work").split())
    configure(loop_ws, "loop:\n", f"loop:\n  agent: {argv}\n")
    r = loop_cli(loop_ws, "--iterations", "1")
    assert r.returncode == 0, r.stderr
    assert "gained Attempt #2 (success)" in r.stderr
