"""`--sync-via-git`: two roles on two clones of one bare remote hand off through
sync/state.json on the shared branch; one process with both roles pushes each turn; a
conflicting pull is aborted and reported, never resolved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SYNC = ("--sync-via-git", "--poll", "0.1", "--wait", "60")


def _remote_log(git: Any, bare: Path) -> list[tuple[str, str]]:
    rows = git(bare, "log", "--format=%H %s", "--reverse", "main").splitlines()
    return [(r[:40], r[41:]) for r in rows]


def test_two_roles_hand_off_through_the_remote(
    remote_pair: tuple[Path, Path, Path], popen_loop: Any, agent_cmd: Any, git: Any
) -> None:
    bare, sup, agt = remote_pair
    p_sup = popen_loop(sup, *SYNC, "--role", "supervisor", "--iterations", "2")
    p_agt = popen_loop(agt, *SYNC, "--role", "agent", "--agent", agent_cmd("work"),
                       "--iterations", "2")  # fmt: skip
    out_s, err_s = p_sup.communicate(timeout=120)
    out_a, err_a = p_agt.communicate(timeout=120)
    assert p_sup.returncode == 0, err_s
    assert p_agt.returncode == 0, err_a
    assert out_s == "2 iteration(s) done; state sync/state.json: iteration 2, agent's turn, ready\n"
    assert out_a == (
        "2 iteration(s) done; state sync/state.json: iteration 2, supervisor's turn, ready\n"
    )
    log = _remote_log(git, bare)
    assert [s for _, s in log] == [
        "initial workspace",
        "loop: iteration 1 brief — [ALPHA-001] phase A task A1 (mode Parity)",
        "loop: iteration 1 agent turn taken",  # the lease, pushed before the agent runs
        "loop: iteration 1 agent turn — [ALPHA-001] task A1 Attempt #2 success (recorded by the "
        "agent)",
        "loop: iteration 2 brief — [ALPHA-001] phase A task A2 (mode Parity)",
        "loop: iteration 2 agent turn taken",
        "loop: iteration 2 agent turn — [ALPHA-001] task A2 Attempt #3 success (recorded by the "
        "agent)",
    ]
    shas = [h for h, _ in log]
    claim = json.loads(git(bare, "show", f"{shas[2]}:sync/state.json"))
    assert (claim["iteration"], claim["expected_actor"], claim["status"]) == (1, "agent", "running")
    assert claim["lease"]["owner"].startswith("agent@") and claim["turn_base"] == shas[1]
    assert (
        git(bare, "show", "-s", "--format=%b", shas[2]) == f"lease: {claim['lease']['owner']}\n\n"
    )
    # each role's commits come from its own clone: briefs from sup, agent turns from agt
    assert git(agt, "rev-parse", "HEAD").strip() == shas[-1]
    assert git(sup, "rev-parse", "HEAD").strip() == shas[4]
    final = json.loads(git(bare, "show", "main:sync/state.json"))
    assert (final["iteration"], final["expected_actor"], final["status"], final["lease"]) == (
        2, "supervisor", "ready", None
    )  # fmt: skip
    assert final["last_commits"] == {"supervisor": shas[4], "agent": shas[3]}
    handoff = json.loads(git(bare, "show", f"{shas[4]}:sync/state.json"))
    assert (handoff["expected_actor"], handoff["iteration"]) == ("agent", 2)
    assert handoff["last_commits"] == {"supervisor": shas[1], "agent": shas[3]}
    assert handoff["focus"]["task"] == "A2"
    # each role logs under its own name; the agent's output is in the agent's log
    sup_logs = sorted(p.name[:10] for p in (sup / "logs/main/supervisor").iterdir())
    agt_logs = sorted((agt / "logs/main/agent").iterdir())
    assert sup_logs == ["iter-00001", "iter-00002"] and len(agt_logs) == 2
    assert "scripted agent (work): iteration 2" in agt_logs[1].read_text()
    assert "loop: waiting for the supervisor to hand over (state: iteration 0, supervisor's " \
        "turn, ready); pulling every 0.1 s" in err_a.splitlines()  # fmt: skip
    assert git(agt, "status", "--porcelain") == "" and git(sup, "status", "--porcelain") == ""


def test_one_process_with_sync_pushes_every_turn_and_a_conflict_is_reported(
    remote_pair: tuple[Path, Path, Path], loop_cli: Any, agent_cmd: Any, git: Any, commits: Any
) -> None:
    bare, sup, agt = remote_pair
    r = loop_cli(sup, "--sync-via-git", "--agent", agent_cmd("work"), "--iterations", "1")
    assert r.returncode == 0, r.stderr
    assert [s for _, s in _remote_log(git, bare)][1:] == [
        "loop: iteration 1 brief — [ALPHA-001] phase A task A1 (mode Parity)",
        "loop: iteration 1 agent turn taken",
        "loop: iteration 1 agent turn — [ALPHA-001] task A1 Attempt #2 success (recorded by the "
        "agent)",
    ]
    assert "loop: iteration 1 agent: git: pushed the lease to origin refs/heads/main" in r.stderr
    assert "loop: iteration 1 agent: git: pushed HEAD to origin refs/heads/main" in r.stderr

    # the other clone is stale and has a local commit that conflicts with the remote ledger
    ledger = agt / "docs/fix_plan.md"
    ledger.write_text(ledger.read_text().replace("(galph loop #1)", "(edited by hand)"))
    git(agt, "commit", "-q", "-am", "hand edit")
    head = git(agt, "rev-parse", "HEAD")
    r = loop_cli(agt, "--sync-via-git", "--agent", agent_cmd("work"), "--iterations", "1")
    assert r.returncode == 1
    assert r.stderr == (
        "error: git pull --rebase from origin/main conflicts in docs/fix_plan.md; the rebase was "
        "aborted and nothing was resolved — resolve by hand (git pull --rebase origin main, fix, "
        "git rebase --continue), then rerun\n"
    )
    assert git(agt, "rev-parse", "HEAD") == head and commits(agt) == 2
    assert git(agt, "status", "--porcelain") == ""
    assert not (agt / ".git/rebase-merge").exists() and not (agt / ".git/rebase-apply").exists()
    assert not (agt / "sync").exists()


def test_sync_refuses_uncommitted_tracked_changes_before_pulling(
    remote_pair: tuple[Path, Path, Path], loop_cli: Any, agent_cmd: Any, git: Any
) -> None:
    _, sup, _ = remote_pair
    (sup / "docs/fix_plan.md").write_text("# edited\n")
    r = loop_cli(sup, "--sync-via-git", "--agent", agent_cmd("work"), "--iterations", "1")
    assert r.returncode == 1
    assert r.stderr == (
        "error: uncommitted changes to tracked files block git pull --rebase: "
        "docs/fix_plan.md — commit or discard them, then rerun\n"
    )
