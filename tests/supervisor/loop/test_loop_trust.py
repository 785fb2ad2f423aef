"""The loop's trust boundary (issue 15), with real processes: two loops racing on one workspace
never both run the agent; an agent that commits outside the whitelist, switches branch or
deletes another item's ledger section gets its turn refused and nothing pushed; a `setsid` child
of the agent dies with the turn; non-finite timeouts are one-line errors; our own temp files do
not block a turn."""

from __future__ import annotations

import json
import shutil
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

NOTHING = "nothing was committed or pushed"
RUNS_AGENT = "sh -c 'echo $SUPERVISOR_ITERATION >> \"$RACE_RUNS\"'"


@pytest.mark.slow
def test_two_loops_racing_on_one_workspace_never_both_run_the_agent(
    loop_ws: Path, tmp_path: Path, loop_cli: Any, popen_loop: Any, git: Any
) -> None:
    template = loop_ws
    r = loop_cli(template, "--agent", "true", "--iterations", "1")
    assert r.returncode == 0, r.stderr
    git(template, "reset", "-q", "--hard", "HEAD~1")  # back to the brief: the agent's turn
    assert git(template, "log", "-1", "--format=%s").startswith("loop: iteration 1 brief")
    trials, batch = 20, 5
    doubles, losses, problems = 0, 0, []
    for first in range(0, trials, batch):
        running = []
        for k in range(first, first + batch):
            ws = tmp_path / f"trial{k}"
            shutil.copytree(template, ws, symlinks=True)
            runs = tmp_path / f"runs{k}"
            env = {"RACE_RUNS": str(runs)}
            pair = [popen_loop(ws, "--agent", RUNS_AGENT, "--iterations", "1", env=env)
                    for _ in range(2)]  # fmt: skip
            running.append((ws, runs, pair))
        for ws, runs, pair in running:
            results = [(p.wait(timeout=180), p.communicate()[1]) for p in pair]
            agent_runs = Counter(runs.read_text().split()) if runs.exists() else Counter()
            doubles += sum(n > 1 for n in agent_runs.values())
            if agent_runs["1"] != 1 or not set(agent_runs) <= {"1", "2"}:
                problems.append((ws.name, dict(agent_runs), results))
            for code, err in results:
                if code == 0:
                    continue
                losses += 1
                last = err.splitlines()[-1] if err else ""
                lost = "the loop lease is held by" in last or "the loop state changed" in last
                if code != 1 or not last.startswith("error: sync/state.json: ") or not lost:
                    problems.append((ws.name, code, err))
            log = git(ws, "log", "--format=%s")
            if log.count("loop: iteration 1 agent turn") != 1:
                problems.append((ws.name, log))
            if (ws / "docs/fix_plan.md").read_text().count("Attempt #2 ") != 1:
                problems.append((ws.name, "Attempt #2 not recorded exactly once"))
            if git(ws, "status", "--porcelain") != "":
                problems.append((ws.name, git(ws, "status", "--porcelain")))
    assert doubles == 0, f"{doubles} of {trials} trials ran the agent twice for one iteration"
    assert problems == []
    assert losses >= 1  # the race did happen: some loop lost it and stopped


def test_agent_commit_outside_the_whitelist_is_refused_and_never_pushed(
    remote_pair: tuple[Path, Path, Path], loop_cli: Any, agent_cmd: Any, git: Any, state_of: Any
) -> None:
    bare, sup, _ = remote_pair
    r = loop_cli(sup, "--sync-via-git", "--agent", agent_cmd("commit"), "--iterations", "1")
    assert r.returncode == 1
    base = state_of(sup)["turn_base"]
    assert r.stderr.splitlines()[-1] == (
        f"error: iteration 1 agent turn refused: commits since the turn started "
        f"({base[:12]}..HEAD) touch files outside the loop's whitelist: src/backdoor.py; "
        f"{NOTHING} — drop those commits (git reset {base[:12]} keeps their changes in the work "
        "tree), then rerun"
    )
    remote = git(bare, "log", "--format=%s", "main").splitlines()
    assert "agent: a change outside the whitelist" not in remote
    assert remote[0] == "loop: iteration 1 agent turn taken"  # the lease; not the agent's work
    assert git(bare, "ls-tree", "-r", "--name-only", "main").count("src/") == 0
    st = state_of(sup)
    assert (st["status"], st["lease"]) == ("blocked", None)
    # a rerun resumes the turn and refuses it again: still nothing pushed
    r = loop_cli(sup, "--sync-via-git", "--agent", agent_cmd("work"), "--iterations", "1")
    assert r.returncode == 1 and "touch files outside the loop's whitelist" in r.stderr
    assert "agent: a change outside the whitelist" not in git(bare, "log", "--format=%s", "main")


def test_agent_switching_branch_is_refused_and_nothing_is_committed_or_pushed(
    remote_pair: tuple[Path, Path, Path], loop_cli: Any, agent_cmd: Any, git: Any
) -> None:
    bare, sup, _ = remote_pair
    before = git(bare, "rev-parse", "main")
    r = loop_cli(sup, "--sync-via-git", "--agent", agent_cmd("branch"), "--iterations", "1")
    assert r.returncode == 1
    assert r.stderr.splitlines()[-1] == (
        "error: iteration 1 agent turn refused: the work tree is on branch 'agent-side', but "
        f"the loop runs on 'main'; {NOTHING} — look at what was done there, git switch main, "
        "then rerun"
    )
    remote = git(bare, "log", "--format=%s", "main").splitlines()
    assert remote[0] == "loop: iteration 1 agent turn taken" and len(remote) == 3
    assert git(bare, "rev-parse", "main") != before  # brief and lease only
    assert git(sup, "log", "-1", "--format=%s", "agent-side") == (
        "loop: iteration 1 agent turn taken\n"
    )  # the loop made no commit on the agent's branch
    assert git(bare, "branch", "--list", "agent-side") == ""


def test_ledger_vandalism_is_refused_with_the_diff_in_the_log(
    loop_ws: Path, loop_cli: Any, agent_cmd: Any, commits: Any, state_of: Any
) -> None:
    r = loop_cli(loop_ws, "--agent", agent_cmd("vandal"), "--iterations", "1")
    assert r.returncode == 1
    last = r.stderr.splitlines()[-1]
    log_rel = last.split("the diff is in ")[1].split(";")[0]
    assert last == (
        "error: iteration 1 agent turn refused: the ledger changed outside [ALPHA-001]: "
        "[BETA-002] was deleted (it was lines 20-25); the text outside the item sections (title, "
        "header, Index) changed beyond the Last Updated line and the [ALPHA-001] Index row; "
        f"the diff is in {log_rel}; {NOTHING} — restore the other items (docs/fix_plan.md as of "
        "the turn's start), keep only [ALPHA-001]'s additions, then rerun"
    )
    assert commits(loop_ws) == 2  # the initial commit and the brief
    log = (loop_ws / log_rel).read_text()
    assert "-## [BETA-002] Beta" in log and "-  1. Write the pivot note." in log
    assert "+  * [2026-02-01] Attempt #2 — Result: ✅ success" in log  # the focus's gain shown
    assert state_of(loop_ws)["status"] == "blocked"


def test_a_setsid_child_of_the_agent_dies_with_the_turn(
    loop_ws: Path, tmp_path: Path, loop_cli: Any, agent_cmd: Any, process_gone: Any, git: Any
) -> None:
    pidfile = tmp_path / "daemon.pid"
    r = loop_cli(loop_ws, "--agent", agent_cmd("daemon"), "--iterations", "1",
                 env={"SCRIPTED_AGENT_PID": str(pidfile)})  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert process_gone(int(pidfile.read_text()))
    assert "loop: iteration 1 agent: killed 1 process(es) the agent left running" in r.stderr
    time.sleep(1.0)  # past the daemon's write, had it survived
    assert "ESCAPED DAEMON" not in (loop_ws / "docs/fix_plan.md").read_text()
    assert git(loop_ws, "status", "--porcelain") == ""


@pytest.mark.parametrize("value", ["nan", "inf", "1e12", "0"])
def test_timeout_must_be_finite(
    loop_ws: Path, loop_cli: Any, agent_cmd: Any, commits: Any, value: str
) -> None:
    r = loop_cli(loop_ws, "--agent", agent_cmd(), "--iterations", "1", "--timeout", value)
    shown = {"1e12": "1e+12"}.get(value, value)
    assert (r.returncode, r.stderr) == (1, (
        f"error: --timeout {shown} is not a usable number of seconds — give a finite number "
        "from 0.001 to 2592000 (30 days)\n"
    ))  # fmt: skip
    assert commits(loop_ws) == 1 and not (loop_ws / "sync").exists()


@pytest.mark.parametrize(("value", "shown"), [(".nan", "nan"), (".inf", "inf")])
def test_lease_seconds_must_be_finite(
    loop_ws: Path, loop_cli: Any, agent_cmd: Any, configure: Any, commits: Any, value: str,
    shown: str,
) -> None:  # fmt: skip
    configure(loop_ws, "lease_seconds: 300", f"lease_seconds: {value}")
    line = (loop_ws / "supervisor.yaml").read_text().splitlines().index(f"  lease_seconds: {value}")
    r = loop_cli(loop_ws, "--agent", agent_cmd(), "--iterations", "1")
    assert (r.returncode, r.stderr) == (1, (
        f"error: supervisor.yaml:{line + 1}: 'loop.lease_seconds' must be a finite number of "
        f"seconds, got {shown}\n"
    ))  # fmt: skip
    assert commits(loop_ws) == 2 and not (loop_ws / "sync").exists()


def test_our_own_temp_files_neither_block_nor_get_committed(
    loop_ws: Path, loop_cli: Any, agent_cmd: Any, git: Any
) -> None:
    stale = loop_ws / "docs/.fix_plan.md.k3j9x_2a.tmp"  # left by a writer killed mid-write
    stale.write_text("half a ledger")
    (loop_ws / "sync").mkdir()
    other = loop_ws / "sync/.state.json.ab12cd34.tmp"  # another loop's write in progress
    other.write_text("{")
    r = loop_cli(loop_ws, "--agent", agent_cmd("work"), "--iterations", "1", "--json")
    assert r.returncode == 0, r.stderr
    assert [t["commit"] is not None for t in json.loads(r.stdout)["turns"]] == [True, True]
    tracked = git(loop_ws, "ls-files").split()
    assert stale.name not in " ".join(tracked) and other.name not in " ".join(tracked)
    # a temp-looking file of something outside the whitelist still blocks
    (loop_ws / ".README.md.zz99zz99.tmp").write_text("x")
    r = loop_cli(loop_ws, "--agent", agent_cmd("work"), "--iterations", "1")
    assert r.returncode == 1 and ".README.md.zz99zz99.tmp" in r.stderr


def _wait_for(path: Path, proc: Any) -> int:
    deadline = time.monotonic() + 60
    while not path.exists() or not path.read_text():
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    return int(path.read_text())


def test_a_crashed_loops_agent_and_its_escaped_child_are_stopped_on_takeover(
    loop_ws: Path, tmp_path: Path, popen_loop: Any, loop_cli: Any, agent_cmd: Any,
    process_gone: Any, state_of: Any,
) -> None:  # fmt: skip
    pidfile = tmp_path / "agent.pid"
    proc = popen_loop(loop_ws, "--agent", agent_cmd("lurk"), "--iterations", "1",
                      env={"SCRIPTED_AGENT_PID": str(pidfile)})  # fmt: skip
    agent_pid = _wait_for(pidfile, proc)
    child = _wait_for(Path(f"{pidfile}.child"), proc)
    proc.kill()  # the loop crashes; its agent (own session) and the agent's child live on
    proc.communicate(timeout=60)
    st = state_of(loop_ws)
    lease = st["lease"]
    assert (st["status"], lease["agent_pid"]) == ("running", agent_pid)
    assert not process_gone(agent_pid) and not process_gone(child)
    lease["expires_at"] = "2020-01-01T00:00:00Z"  # time passes: the lease expires
    (loop_ws / "sync/state.json").write_text(json.dumps(st))
    r = loop_cli(loop_ws, "--agent", agent_cmd("work"), "--iterations", "1")
    assert r.returncode == 0, r.stderr
    assert (
        "(expired at 2020-01-01T00:00:00Z) taken over by agent@" in r.stderr
        and f"its agent (process group {agent_pid}) was still running and was stopped" in r.stderr
    )
    assert process_gone(agent_pid) and process_gone(child)


def test_sighup_stops_the_loop_like_ctrl_c(
    loop_ws: Path, tmp_path: Path, popen_loop: Any, agent_cmd: Any, process_gone: Any,
    state_of: Any,
) -> None:  # fmt: skip
    pidfile = tmp_path / "agent.pid"
    proc = popen_loop(loop_ws, "--agent", agent_cmd("lurk"), "--iterations", "1",
                      env={"SCRIPTED_AGENT_PID": str(pidfile)})  # fmt: skip
    agent_pid = _wait_for(pidfile, proc)
    child = _wait_for(Path(f"{pidfile}.child"), proc)
    proc.send_signal(signal.SIGHUP)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert process_gone(agent_pid) and process_gone(child)
    st = state_of(loop_ws)
    assert (st["status"], st["lease"], st["note"]) == (
        "interrupted", None, "interrupted (Ctrl-C); rerun to resume"
    )  # fmt: skip
