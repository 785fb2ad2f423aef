"""What the loop refuses and how it recovers: the whitelist check before any commit, evidence
caps, the wrong branch, the lease (refused while live, taken over after expiry), Ctrl-C
(`interrupted`, exit 130) and resuming, a crashed turn, the agent timeout, usage errors."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

WHITELIST_HINT = (
    "nothing was committed — commit or discard them (or add them to loop.whitelist / "
    "loop.evidence.allow), then rerun\n"
)


def _dead_pid() -> int:
    r = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                       capture_output=True, text=True, check=True)  # fmt: skip
    return int(r.stdout)


def test_dirty_file_blocks_the_turn_before_any_commit(
    loop_ws: Path, loop_cli: Any, agent_cmd: Any, commits: Any
) -> None:
    (loop_ws / "notes.txt").write_text("scratch\n")
    (loop_ws / "README.md").write_text("edited by hand\n")
    before = commits(loop_ws)
    r = loop_cli(loop_ws, "--agent", agent_cmd("work"), "--iterations", "1")
    assert r.returncode == 1
    assert r.stderr == (
        "error: iteration 1 supervisor turn blocked: files changed outside the loop's "
        "whitelist: README.md, notes.txt; " + WHITELIST_HINT
    )
    assert commits(loop_ws) == before
    assert not (loop_ws / "input.md").exists() and not (loop_ws / "sync").exists()


def test_agent_leaving_a_stray_file_blocks_its_turn_then_resume_closes_it(
    loop_ws: Path, loop_cli: Any, agent_cmd: Any, commits: Any, state_of: Any, git: Any
) -> None:
    r = loop_cli(loop_ws, "--agent", agent_cmd("stray"), "--iterations", "2")
    assert r.returncode == 1
    error = (
        "iteration 1 agent turn blocked: files changed outside the loop's whitelist: stray.txt; "
        + WHITELIST_HINT[:-1]
    )
    assert r.stderr.splitlines()[-1] == f"error: {error}"
    assert commits(loop_ws) == 2  # the initial commit and the brief; the agent turn: none
    st = state_of(loop_ws)
    assert (st["iteration"], st["expected_actor"], st["status"], st["lease"]) == (
        1, "agent", "blocked", None
    )  # fmt: skip
    assert st["note"] == error
    (loop_ws / "stray.txt").unlink()
    r = loop_cli(loop_ws, "--agent", agent_cmd("work"), "--iterations", "1")
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines()[0] == (
        "loop: iteration 1 agent: resuming (it was blocked): the agent already recorded "
        "Attempt #2; closing the turn"
    )
    assert commits(loop_ws) == 3
    assert git(loop_ws, "log", "-1", "--format=%s") == (
        "loop: iteration 1 agent turn — [ALPHA-001] task A1 Attempt #2 success (recorded by "
        "the agent)\n"
    )
    assert git(loop_ws, "status", "--porcelain") == ""
    assert (state_of(loop_ws)["expected_actor"], state_of(loop_ws)["status"]) == (
        "supervisor", "ready"
    )  # fmt: skip
    assert (loop_ws / "docs/fix_plan.md").read_text().count("Attempt #") == 2  # #1 and #2


def test_evidence_allow_list_and_size_caps(
    loop_ws: Path, loop_cli: Any, agent_cmd: Any, configure: Any, git: Any
) -> None:
    configure(
        loop_ws,
        "loop:\n",
        "loop:\n  evidence:\n    allow: ['reports/**/*.txt', 'reports/**/*.bin']\n"
        "    max_file_kb: 2\n    max_turn_kb: 2\n",
    )
    r = loop_cli(loop_ws, "--agent", agent_cmd("evidence"), "--iterations", "1", "--json")
    assert r.returncode == 0, r.stderr
    base = "reports/ALPHA-001/manual"
    turn = json.loads(r.stdout)["turns"][1]
    assert turn["left_out"] == [
        {"path": f"{base}/skip.npy", "why": "not in loop.evidence.allow"},
        {"path": f"{base}/big.bin", "why": "3 KB is over the per-file cap of 2 KB"},
        {"path": f"{base}/med2.txt", "why": "over the per-turn cap of 2 KB"},
    ]
    assert git(loop_ws, "show", "--name-only", "--format=", "HEAD").split() == [
        "docs/fix_plan.md", f"{base}/med1.txt", f"{base}/small.txt", "sync/state.json"
    ]  # fmt: skip
    assert f"loop: iteration 1 agent: evidence left out: {base}/big.bin (3 KB is over the " \
        "per-file cap of 2 KB)" in r.stderr.splitlines()  # fmt: skip
    # left-out evidence does not block later turns
    r = loop_cli(loop_ws, "--agent", agent_cmd("nothing"), "--iterations", "1")
    assert r.returncode == 0, r.stderr


def test_wrong_branch_is_refused(
    loop_ws: Path, loop_cli: Any, agent_cmd: Any, commits: Any, git: Any
) -> None:
    git(loop_ws, "switch", "-q", "-c", "feature")
    r = loop_cli(loop_ws, "--agent", agent_cmd("work"), "--iterations", "1")
    assert r.returncode == 1
    assert r.stderr == (
        "error: the work tree is on branch 'feature', but the loop runs on 'main' — git switch "
        "main, or pass --branch feature (or set branch: in supervisor.yaml)\n"
    )
    assert commits(loop_ws) == 1 and not (loop_ws / "input.md").exists()
    r = loop_cli(loop_ws, "--agent", agent_cmd("work"), "--iterations", "1", "--branch", "feature")
    assert r.returncode == 0, r.stderr
    assert commits(loop_ws) == 3
    assert len(list((loop_ws / "logs/feature/both").iterdir())) == 1


def _write_state(ws: Path, **fields: Any) -> str:
    doc = {"schema_version": 1, "kind": "loop-state", "iteration": 0, "expected_actor":
           "supervisor", "status": "ready", "updated_at": None, "branch": "main", "lease": None,
           "last_commits": {"supervisor": None, "agent": None}, "focus": None, "stall": None,
           "parked": [], "note": None}  # fmt: skip
    doc.update(fields)
    (ws / "sync").mkdir(exist_ok=True)
    text = json.dumps(doc, indent=2) + "\n"
    (ws / "sync/state.json").write_text(text)
    return text


def test_live_lease_is_refused_and_expired_lease_taken_over(
    loop_ws: Path, loop_cli: Any, agent_cmd: Any, commits: Any, state_of: Any
) -> None:
    live = {"owner": "agent@elsewhere:41", "expires_at": "2999-01-01T00:00:00Z"}
    text = _write_state(loop_ws, lease=live)
    r = loop_cli(loop_ws, "--agent", agent_cmd("work"), "--iterations", "1")
    assert r.returncode == 1
    assert r.stderr == (
        "error: sync/state.json: the loop lease is held by agent@elsewhere:41 until "
        "2999-01-01T00:00:00Z — a live lease is never taken over: wait for that loop to finish "
        "(or stop it) and rerun after the lease expires\n"
    )
    assert (loop_ws / "sync/state.json").read_text() == text
    assert commits(loop_ws) == 1

    _write_state(
        loop_ws, lease={"owner": "agent@elsewhere:41", "expires_at": "2020-01-01T00:00:00Z"}
    )
    r = loop_cli(loop_ws, "--agent", agent_cmd("work"), "--iterations", "1")
    assert r.returncode == 0, r.stderr
    note = (
        "lease of agent@elsewhere:41 (expired at 2020-01-01T00:00:00Z) taken over by "
        f"supervisor@{socket.gethostname()}:"
    )
    first = r.stderr.splitlines()[0]
    assert (
        first.startswith(f"loop: iteration 1 supervisor: {note}")
        and first[len(note) + 30 :].isdigit()
    )
    logs = sorted(p.read_text() for p in (loop_ws / "logs/main/both").iterdir())
    assert len(logs) == 2
    assert any(f"loop supervisor: {note}" in log for log in logs)
    assert any(
        "loop supervisor: error: sync/state.json: the loop lease is held" in log for log in logs
    )
    assert commits(loop_ws) == 3
    assert state_of(loop_ws)["lease"] is None


def test_crashed_supervisor_turn_is_redone_with_the_same_iteration(
    loop_ws: Path, loop_cli: Any, agent_cmd: Any, git: Any, state_of: Any
) -> None:
    r = loop_cli(loop_ws, "--agent", agent_cmd("work"), "--iterations", "1")
    assert r.returncode == 0, r.stderr
    st = state_of(loop_ws)
    owner = f"supervisor@{socket.gethostname()}:{_dead_pid()}"
    st.update(iteration=2, status="running",
              lease={"owner": owner, "expires_at": "2999-01-01T00:00:00Z"})  # fmt: skip
    (loop_ws / "sync/state.json").write_text(json.dumps(st))
    r = loop_cli(loop_ws, "--agent", agent_cmd("work"), "--iterations", "1")
    assert r.returncode == 0, r.stderr
    lines = r.stderr.splitlines()
    assert lines[:2] == [
        "loop: iteration 2 supervisor: resuming the supervisor turn (it was running); "
        "rendering it again",
        f"loop: iteration 2 supervisor: lease of {owner} (its process is gone) taken over by "
        f"{owner.split('@')[0]}@{socket.gethostname()}:" + lines[1].rsplit(":", 1)[1],
    ]
    assert git(loop_ws, "log", "--format=%s", "-2").splitlines() == [
        "loop: iteration 2 agent turn — [ALPHA-001] task A2 Attempt #3 success (recorded by the "
        "agent)",
        "loop: iteration 2 brief — [ALPHA-001] phase A task A2 (mode Parity)",
    ]
    assert state_of(loop_ws)["iteration"] == 2


def test_ctrl_c_marks_the_turn_interrupted_and_the_next_run_resumes(
    loop_ws: Path, tmp_path: Path, popen_loop: Any, loop_cli: Any, agent_cmd: Any,
    commits: Any, state_of: Any, process_gone: Any,
) -> None:  # fmt: skip
    pidfile = tmp_path / "agent.pid"
    proc = popen_loop(loop_ws, "--agent", agent_cmd("sleep"), "--iterations", "2",
                      env={"SCRIPTED_AGENT_PID": str(pidfile)})  # fmt: skip
    deadline = time.monotonic() + 60
    while not pidfile.exists() or not pidfile.read_text():
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    agent_pid = int(pidfile.read_text())
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert (
        out
        == "0 iteration(s) done; state sync/state.json: iteration 1, agent's turn, interrupted\n"
    )
    assert err.splitlines()[-3:] == [
        "loop: iteration 1 agent: interrupted after " + err.splitlines()[-3].split("after ")[1],
        "loop: iteration 1 agent: turn marked interrupted: interrupted (Ctrl-C); rerun to resume",
        "interrupted: the turn in progress is marked interrupted in sync/state.json; rerun to "
        "resume",
    ]
    assert re.fullmatch(
        r"\d+\.\d s \(process group killed\)", err.splitlines()[-3].split("after ")[1]
    )
    assert process_gone(agent_pid)
    st = state_of(loop_ws)
    assert (st["iteration"], st["expected_actor"], st["status"], st["lease"], st["note"]) == (
        1, "agent", "interrupted", None, "interrupted (Ctrl-C); rerun to resume"
    )  # fmt: skip
    assert commits(loop_ws) == 2

    r = loop_cli(loop_ws, "--agent", agent_cmd("work"), "--iterations", "2", "--json")
    assert r.returncode == 0, r.stderr
    turns = json.loads(r.stdout)["turns"]
    assert [(t["iteration"], t["actor"], t["resumed"], t["attempt"]) for t in turns] == [
        (1, "agent", "interrupted", 2), (2, "supervisor", None, None), (2, "agent", None, 3)
    ]  # fmt: skip
    assert "loop: iteration 1 agent: resuming the agent turn (it was interrupted); running the " \
        "agent again" in r.stderr.splitlines()  # fmt: skip
    assert state_of(loop_ws)["iteration"] == 2 and commits(loop_ws) == 5


def test_timeout_kills_the_agent_process_group(
    loop_ws: Path, tmp_path: Path, loop_cli: Any, agent_cmd: Any, process_gone: Any
) -> None:
    pidfile = tmp_path / "agent.pid"
    r = loop_cli(loop_ws, "--agent", agent_cmd("sleep"), "--iterations", "1", "--timeout", "1",
                 env={"SCRIPTED_AGENT_PID": str(pidfile)})  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert process_gone(int(pidfile.read_text()))
    assert (
        "recorded no attempt for [ALPHA-001] (the agent timed out after 1 s; process group killed)"
        in (loop_ws / "docs/fix_plan.md").read_text()
    )


def test_usage_errors(loop_ws: Path, loop_cli: Any, agent_cmd: Any) -> None:
    cases = [
        ([], 'error: no agent command — pass --agent "CMD ARGS" or set loop.agent: [argv, …] in '
             "supervisor.yaml\n"),
        (["--agent", "no-such-agent-xyz --go"], "error: agent command not found: "
         "no-such-agent-xyz — install it, or give its path (relative to the workspace) in "
         "--agent\n"),
        (["--agent", "a 'b"], "error: --agent cannot be split: No closing quotation — check the "
         "quotes\n"),
        (["--agent", agent_cmd(), "--role", "agent"], "error: --role agent needs --sync-via-git "
         "— the roles hand off through the shared branch; without --sync-via-git one process "
         "plays both roles (drop --role)\n"),
        (["--agent", agent_cmd(), "--role", "robot", "--sync-via-git"], "error: --role 'robot' "
         "is not a role — use one of: agent, supervisor\n"),
        (["--agent", agent_cmd(), "--sync-via-git"], "error: no git remote named 'origin' — git "
         "remote add origin URL, or set loop.remote in supervisor.yaml\n"),
    ]  # fmt: skip
    for args, message in cases:
        r = loop_cli(loop_ws, *args)
        assert (r.returncode, r.stderr) == (1, message), args
    assert not (loop_ws / "sync").exists()
