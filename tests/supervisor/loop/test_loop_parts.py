"""The loop's parts in-process: whitelist globs and turn-file classes, the state file (round
trip, validation errors), and the lease rules."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from supervisor.errors import WorkspaceError
from supervisor.gitio import Change
from supervisor.loop.state import (
    Baseline,
    Lease,
    LeaseError,
    LoopState,
    StallRecord,
    acquire,
    load_state,
    save_state,
)
from supervisor.loop.sync import Policy, classify, matches

NOW = datetime(2026, 2, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("path", "patterns", "expected"),
    [
        ("plans/active/a/plan.md", ["plans/**"], True),
        ("plans", ["plans/**"], True),
        ("plansx/a.md", ["plans/**"], False),
        ("input.md", ["input.md"], True),
        ("docs/input.md", ["input.md"], False),
        ("reports/A/phase_a/S/bundle.json", ["reports/**/*.json"], True),
        ("reports/bundle.json", ["reports/**/*.json"], True),
        ("reports/A/x.npy", ["reports/**/*.json"], False),
        ("docs/fix_plan.md", ["docs/*.md"], True),
        ("docs/sub/fix_plan.md", ["docs/*.md"], False),
        ("logs/main/both/iter-00001_X.log", ["logs/"], True),
        ("a.txt", ["?.txt"], True),
    ],
)
def test_globs(path: str, patterns: list[str], expected: bool) -> None:
    assert matches(path, patterns) is expected


def test_classify_whitelist_evidence_caps_and_blocked(tmp_path: Path) -> None:
    files = {
        "reports/A/big.bin": 3072, "reports/A/med1.txt": 1536, "reports/A/med2.txt": 1536,
        "reports/A/small.txt": 10, "reports/A/skip.npy": 10,
    }  # fmt: skip
    for rel, size in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x" * size)
    policy = Policy(
        whitelist=("input.md", "docs/fix_plan.md", "plans/**", "sync/state.json"),
        evidence=("reports/**/*.txt", "reports/**/*.bin"),
        max_file_kb=2,
        max_turn_kb=2,
        ignored=("logs/**",),
        reports=("reports/**",),
    )
    changes = [Change("??", p) for p in files] + [
        Change(" M", "docs/fix_plan.md"), Change("??", "input.md"), Change("??", "notes.txt"),
        Change(" M", "src/app.py"), Change("??", "logs/main/both/iter-00001_X.log"),
        Change(" D", "plans/active/a/plan.md"), Change(" M", "reports/old/tracked.json"),
    ]  # fmt: skip
    got = classify(tmp_path, changes, policy)
    assert got.docs == ("docs/fix_plan.md", "input.md", "plans/active/a/plan.md")
    assert got.evidence == ("reports/A/med1.txt", "reports/A/small.txt")
    assert got.left_out == (
        ("reports/A/skip.npy", "not in loop.evidence.allow"),
        ("reports/A/big.bin", "3 KB is over the per-file cap of 2 KB"),
        ("reports/A/med2.txt", "over the per-turn cap of 2 KB"),
    )
    assert got.blocked == ("notes.txt", "reports/old/tracked.json", "src/app.py")


def test_default_whitelist_follows_paths(tmp_path: Path) -> None:
    from supervisor.config import parse_config

    cfg = parse_config(
        "version: 1\npaths: {ledger: docs/ledger.md, plans: work/plans, brief: brief.md}\n"
        "loop: {state: state/loop.json, logs: out/logs}\n",
        tmp_path / "supervisor.yaml",
    )
    policy = Policy.of(cfg)
    assert policy.whitelist == ("brief.md", "docs/ledger.md", "work/**", "state/loop.json")
    assert policy.ignored == ("out/logs/**",)
    cfg = parse_config("version: 1\nloop: {whitelist: [a.md]}\n", tmp_path / "supervisor.yaml")
    assert Policy.of(cfg).whitelist == ("a.md", "sync/state.json")


def test_state_round_trip(tmp_path: Path) -> None:
    state = LoopState(
        iteration=4,
        expected_actor="agent",
        status="ready",
        branch="main",
        lease=Lease("agent@h:1", "2026-02-01T13:00:00Z", 77, "f00d"),
        focus=Baseline("A-1", "B", "B2", "Parity", 3, 3, "input.md"),
        turn_base="0123abcd",
        stall=StallRecord("A-1/B2", "successes=1;task=in_progress;status=in_progress", 2, "mode"),
    ).with_commit("supervisor", "abc")
    written = save_state(tmp_path, "sync/state.json", state, now=NOW)
    doc = json.loads((tmp_path / "sync/state.json").read_text())
    assert doc == {
        "schema_version": 1,
        "kind": "loop-state",
        "iteration": 4,
        "expected_actor": "agent",
        "status": "ready",
        "updated_at": "2026-02-01T12:00:00Z",
        "branch": "main",
        "lease": {"owner": "agent@h:1", "expires_at": "2026-02-01T13:00:00Z", "agent_pid": 77,
                  "agent_token": "f00d"},
        "last_commits": {"supervisor": "abc", "agent": None},
        "focus": {"item": "A-1", "phase": "B", "task": "B2", "mode": "Parity", "attempts": 3,
                  "last_attempt": 3, "brief": "input.md"},
        "stall": {"key": "A-1/B2", "signature": "successes=1;task=in_progress;status=in_progress",
                  "iterations": 2, "escalated": "mode"},
        "parked": [],
        "note": None,
        "turn_base": "0123abcd",
    }  # fmt: skip
    assert load_state(tmp_path, "sync/state.json") == written
    assert load_state(tmp_path, "missing.json") == LoopState()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "{not json",
            "sync/state.json:1: loop state is not valid JSON: Expecting property name enclosed "
            "in double quotes — fix the file, or delete it to start over (the iteration counter "
            "restarts at 1)",
        ),
        (
            '{"kind": "loop-state", "schema_version": 1, "iteration": 1, '
            '"expected_actor": "robot", "status": "ready"}',
            "sync/state.json: loop state is invalid: 'expected_actor' must be one of "
            "supervisor, agent — fix the file, or delete it to start over (the iteration "
            "counter restarts at 1)",
        ),
        (
            '{"kind": "loop-state", "schema_version": 1, "iteration": -1}',
            "sync/state.json: loop state is invalid: 'iteration' must be a non-negative integer "
            "— fix the file, or delete it to start over (the iteration counter restarts at 1)",
        ),
    ],
)
def test_bad_state_file(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "sync").mkdir()
    (tmp_path / "sync/state.json").write_text(text)
    with pytest.raises(WorkspaceError) as err:
        load_state(tmp_path, "sync/state.json")
    assert str(err.value) == message


def test_live_lease_is_refused() -> None:
    state = LoopState(lease=Lease("agent@elsewhere:1", "2026-02-01T12:30:00Z"))
    with pytest.raises(LeaseError) as err:
        acquire(state, "supervisor@here:2", 60, "sync/state.json", now=NOW)
    assert str(err.value) == (
        "sync/state.json: the loop lease is held by agent@elsewhere:1 until "
        "2026-02-01T12:30:00Z — a live lease is never taken over: wait for that loop to finish "
        "(or stop it) and rerun after the lease expires"
    )


def test_expired_lease_is_taken_over() -> None:
    state = LoopState(lease=Lease("agent@elsewhere:1", "2026-02-01T11:59:59Z"))
    got, note = acquire(state, "supervisor@here:2", 90, "sync/state.json", now=NOW)
    assert got.lease == Lease("supervisor@here:2", "2026-02-01T12:01:30Z")
    assert note == (
        "lease of agent@elsewhere:1 (expired at 2026-02-01T11:59:59Z) taken over by "
        "supervisor@here:2"
    )
    own, note = acquire(got, "supervisor@here:2", 60, "sync/state.json", now=NOW)
    assert note is None and own.lease == Lease("supervisor@here:2", "2026-02-01T12:01:00Z")


def test_orphaned_lease_on_this_host_is_taken_over() -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    owner = f"agent@{socket.gethostname()}:{dead.stdout.strip()}"
    state = LoopState(lease=Lease(owner, "2999-01-01T00:00:00Z"))
    _, note = acquire(state, "supervisor@here:2", 60, "sync/state.json", now=NOW)
    assert note == f"lease of {owner} (its process is gone) taken over by supervisor@here:2"
    alive = LoopState(lease=Lease(f"agent@{socket.gethostname()}:{os.getpid()}",
                                  "2999-01-01T00:00:00Z"))  # fmt: skip
    with pytest.raises(LeaseError):
        acquire(alive, "supervisor@here:2", 60, "sync/state.json", now=NOW)


def test_expired_lease_stops_the_orphaned_agent() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    try:
        owner = f"agent@{socket.gethostname()}:1999999999"
        state = LoopState(lease=Lease(owner, "2026-02-01T11:00:00Z", child.pid))
        _, note = acquire(state, "agent@here:2", 60, "sync/state.json", now=NOW)
        assert note == (
            f"lease of {owner} (expired at 2026-02-01T11:00:00Z) taken over by agent@here:2; its "
            f"agent (process group {child.pid}) was still running and was stopped"
        )
        assert child.wait(timeout=10) is not None
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_escalation_changes_the_brief_and_its_absence_changes_nothing(
    demo_ws: Path, run_cli: Any
) -> None:
    from supervisor.brief.context import Escalation
    from supervisor.brief.make import make_brief
    from supervisor.workspace import Workspace

    plain = make_brief(Workspace.find(demo_ws))
    assert plain.text == run_cli(["next"], demo_ws).stdout
    assert make_brief(Workspace.find(demo_ws), None, None).text == plain.text
    note = "Loop stall guard: [DETECTOR-PARITY-001] task B2 stalls."
    esc = make_brief(Workspace.find(demo_ws), escalation=Escalation(note, mode="Evidence"))
    c, p = esc.context, plain.context
    assert c.mode == "Evidence" and p.mode == "Parity"
    assert c.summary == f"{note} {p.summary}"
    assert c.pitfalls == (*p.pitfalls, note) and c.notes == (*p.notes, note)
    assert esc.text.splitlines()[:2] == [f"Summary: {note} {p.summary}", "Mode: Evidence"]
    assert make_brief(Workspace.find(demo_ws), escalation=Escalation(note)).context.mode == "Parity"
