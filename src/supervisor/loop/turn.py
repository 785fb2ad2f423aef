"""The two turns of an iteration.

Supervisor turn: render the brief (the library behind `next --write`, under the stall guard),
hand the focus and the ledger baseline to the agent in the state file, one commit.
Agent turn: take the lease (compare-and-swap under the state lock; with sync, also a pushed
claim commit, so a loop on another clone cannot take the same turn), run the agent command
(argv, never a shell; brief path in ``SUPERVISOR_BRIEF``; every process it starts dies with the
turn; output streamed to the iteration log), review the turn from git (branch, commits since
the turn started, the ledger diff: only the focus item may gain content), then read the outcome
from the ledger: no new attempt on the focus item means the loop records a ``failed`` one.
Hand back to the supervisor, one commit. Before either commit, changed files outside the
whitelist block the turn.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from supervisor.config import Config
from supervisor.errors import WorkspaceError
from supervisor.fsio import write_atomic
from supervisor.loop import stall
from supervisor.loop.journal import Journal
from supervisor.loop.review import ledger_at, review_commits, review_ledger
from supervisor.loop.state import (
    Baseline,
    LoopState,
    StateChangedError,
    claim,
    owner_id,
    save_held,
)
from supervisor.loop.sync import GitSide
from supervisor.model import Attempt
from supervisor.workspace import Workspace


@dataclass(frozen=True)
class TurnEnv:
    config: Config
    git: GitSide
    agent: tuple[str, ...]
    timeout: float | None
    branch: str

    @property
    def root(self) -> Path:
        return self.config.root

    @property
    def state_rel(self) -> str:
        return self.config.loop.state


@dataclass(frozen=True)
class TurnReport:
    iteration: int
    actor: str
    log: str
    item: str | None = None
    task: str | None = None
    mode: str | None = None
    escalation: str | None = None
    note: str | None = None
    agent_exit: int | None = None
    agent_timed_out: bool = False
    agent_s: float | None = None
    attempt: int | None = None
    attempt_result: str | None = None
    attempt_by: str | None = None  # "agent" | "loop"
    commit: str | None = None
    left_out: tuple[tuple[str, str], ...] = ()
    resumed: str | None = None  # the status a resumed turn was found in
    duration_s: float | None = None  # the whole turn, agent included

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["left_out"] = [{"path": p, "why": w} for p, w in self.left_out]
        return d


def iteration_of(state: LoopState) -> int:
    """The iteration the next turn belongs to (a supervisor turn from ``ready`` starts one)."""
    fresh = state.expected_actor == "supervisor" and state.status == "ready"
    return state.iteration + 1 if fresh else state.iteration


def supervisor_turn(env: TurnEnv, state: LoopState, j: Journal) -> TurnReport:
    cfg, rel, git = env.config, env.state_rel, env.git
    resumed = state.status if state.status != "ready" else None
    n = iteration_of(state)
    j.actor = "supervisor"
    if resumed:
        j.line(f"resuming the supervisor turn (it was {resumed}); rendering it again")
    git.require_clean(git.scan(), f"iteration {n} supervisor turn")
    owner = owner_id("supervisor")
    last_agent = git.last_commit_of(rel) if not resumed and n > 1 else None

    def running(st: LoopState, took_over: str | None) -> LoopState:
        if not resumed and n > 1:
            st = st.with_commit("agent", last_agent)
        return replace(st, iteration=n, expected_actor="supervisor", status="running",
                       branch=env.branch, note=took_over, turn_base=None)  # fmt: skip

    st, took_over = claim(env.root, rel, state, owner, cfg.loop.lease_seconds, running)
    if took_over:
        j.line(took_over)
    ws = Workspace.find(env.root)
    g = stall.render(ws, st, n)
    brief = cfg.paths.brief
    write_atomic(env.root / brief, g.result.text)
    c, item = g.result.context, g.result.focus.item
    where = f"[{c.item_id}]" + (f" phase {c.phase_id}" if c.phase_id else "")
    where += f" task {c.task_id}" if c.task_id else ""
    if g.blocked is not None:
        j.line(f"stall guard: recorded [{g.blocked.item}] Attempt #{g.blocked.number} (blocked)")
    if g.note:
        j.line(g.note)
    j.line(f"brief {brief}: {where}, mode {c.mode}")
    base = Baseline(
        c.item_id,
        c.phase_id,
        c.task_id,
        c.mode,
        len(item.numbered_attempts),
        item.last_attempt_number,
        brief,
    )
    files = git.scan()
    git.require_clean(files, f"iteration {n} supervisor turn")
    final = replace(
        st,
        expected_actor="agent",
        status="ready",
        lease=None,
        focus=base,
        stall=g.stall,
        parked=g.parked,
        note=g.note or took_over,
    )
    save_held(env.root, rel, final, owner)
    body = f"\n\n{g.note}\n" if g.note else "\n"
    sha = git.commit(
        [*files.commit, rel], f"loop: iteration {n} brief — {where} (mode {c.mode}){body}"
    )
    _report_files(j, files.left_out, sha)
    git.push()
    return TurnReport(
        n,
        "supervisor",
        j.rel,
        c.item_id,
        c.task_id,
        c.mode,
        g.escalation,
        g.note,
        commit=sha,
        left_out=files.left_out,
        resumed=resumed,
    )


def _report_files(j: Journal, left_out: tuple[tuple[str, str], ...], sha: str | None) -> None:
    for path, why in left_out:
        j.line(f"evidence left out: {path} ({why})")
    j.line(f"committed {sha[:12]}" if sha else "nothing committed (no git repository)")


def gained(root: Path, base: Baseline) -> tuple[Attempt, ...]:
    """Attempts the focus item gained since ``base`` (read from the ledger as it is now)."""
    item = Workspace.find(root).ledger().item(base.item)
    if item is None:
        return ()
    numbered = item.numbered_attempts
    last = base.last_attempt
    new = tuple(a for a in numbered if last is None or (a.number_end or a.number or 0) > last)
    if not new and len(numbered) > base.attempts:  # a number reused: the count still grew
        new = numbered[base.attempts :]
    return new


def _run_agent(
    env: TurnEnv, st: LoopState, base: Baseline, n: int, j: Journal, owner: str
) -> tuple[int | None, bool, float, str]:
    """Run the agent command; returns (exit code, timed out, seconds, how it ended)."""
    from supervisor.dispatch import runner

    root, rel = env.root, env.state_rel
    limit = "none" if env.timeout is None else f"{env.timeout:g} s"
    j.line(f"agent: {shlex.join(env.agent)} (brief {base.brief}, timeout {limit})")
    extra = {
        "SUPERVISOR_BRIEF": str(root / base.brief),
        "SUPERVISOR_ITERATION": str(n),
        "SUPERVISOR_FOCUS": base.item,
        "SUPERVISOR_TASK": base.task or "",
    }
    lease = st.lease
    token = lease.agent_token if lease is not None else None

    def started(pid: int) -> None:  # a crashed loop's agent can be found and stopped
        if lease is not None:
            save_held(root, rel, replace(st, lease=replace(lease, agent_pid=pid)), owner)

    result = runner.run(
        env.agent,
        cwd=root,
        env={**os.environ, **dict(env.config.env), **extra},
        stdout=j.path,
        stderr=j.path,
        timeout=env.timeout,
        append=True,
        started=started,
        token=token,
    )
    if result.stragglers:
        j.line(f"killed {result.stragglers} process(es) the agent left running")
    if result.interrupted:
        j.line(f"interrupted after {result.duration_s:.1f} s (process group killed)")
        raise KeyboardInterrupt
    if result.error is not None:
        how = f"failed to start: {result.error}"
    elif result.timed_out:
        how = f"timed out after {limit}; process group killed"
    else:
        how = f"exited {result.exit_code}"
    j.line(f"agent finished: {how} in {result.duration_s:.1f} s")
    return result.exit_code, result.timed_out, result.duration_s, how


def agent_turn(env: TurnEnv, state: LoopState, j: Journal) -> TurnReport:
    from supervisor.record.attempt import AttemptRequest, record_attempt

    cfg, rel, git, root = env.config, env.state_rel, env.git, env.root
    n, base = state.iteration, state.focus
    j.actor = "agent"
    if base is None:
        raise WorkspaceError(
            "the state hands the agent a turn but no focus",
            path=rel,
            hint="run the supervisor role first, or delete the file to start over",
        )
    resumed = state.status if state.status != "ready" else None
    what = f"iteration {n} agent turn"
    git.require_clean(git.scan(), what)
    git.require_branch(what)
    seconds = cfg.loop.lease_seconds + (env.timeout or 0)
    owner = owner_id("agent")
    # the turn is judged against where it started (kept when a turn is resumed); a resumed
    # turn's commits are judged before anything (the lease claim included) is pushed
    turn_base = (state.turn_base if resumed else None) or git.head()
    if resumed:
        review_commits(git, turn_base, what)
    last_sup = git.last_commit_of(rel) if not resumed else None

    def running(st: LoopState, took_over: str | None) -> LoopState:
        from supervisor.dispatch.runner import new_token

        if not resumed:
            st = st.with_commit("supervisor", last_sup)
        lease = replace(st.lease, agent_token=new_token()) if st.lease is not None else None
        return replace(st, status="running", note=took_over, turn_base=turn_base, lease=lease)

    st, took_over = claim(root, rel, state, owner, seconds, running)
    if took_over:
        j.line(took_over)
    if not git.claim(rel, f"loop: iteration {n} agent turn taken\n\nlease: {owner}\n"):
        raise StateChangedError(
            f"another loop took the {what} first: the push of this loop's lease was rejected "
            f"by {git.remote}; the agent was not run",
            path=rel,
            hint="let the other loop finish its turn; rerun to continue from the shared state",
        )
    before = ledger_at(git, root, cfg.paths.ledger, turn_base)
    new = gained(root, base) if resumed else ()
    exit_code, timed_out, took = None, False, None
    how = ""
    if new:
        j.line(
            f"resuming (it was {resumed}): the agent already recorded Attempt "
            f"#{new[-1].number}; closing the turn"
        )
    else:
        if resumed:
            j.line(f"resuming the agent turn (it was {resumed}); running the agent again")
        exit_code, timed_out, took, how = _run_agent(env, st, base, n, j, owner)
    review_commits(git, turn_base, what)
    review_ledger(root, cfg.paths.ledger, before, base.item, what, j)
    if not new:
        new = gained(root, base)
    if new:
        last, by = new[-1], "agent"
        number, outcome = last.number, last.outcome.value
        j.line(f"ledger: [{base.item}] gained Attempt #{number} ({outcome})")
    else:
        summary = (
            f"loop iteration {n}: the agent recorded no attempt for [{base.item}] "
            f"(the agent {how}); log {j.rel}"
        )
        rec = record_attempt(Workspace.find(root), AttemptRequest(base.item, "failed", summary))
        number, outcome, by = rec.number, "failed", "loop"
        j.line(f"ledger: the agent recorded no attempt; recorded Attempt #{number} (failed)")
    files = git.scan()
    git.require_clean(files, what)
    final = replace(st, expected_actor="supervisor", status="ready", lease=None, note=None,
                    turn_base=None)  # fmt: skip
    save_held(root, rel, final, owner)
    where = f"[{base.item}]" + (f" task {base.task}" if base.task else "")
    sha = git.commit(
        [*files.commit, rel],
        f"loop: iteration {n} agent turn — {where} Attempt "
        f"#{number} {outcome} (recorded by the {by})\n",
    )
    _report_files(j, files.left_out, sha)
    git.push()
    return TurnReport(
        n,
        "agent",
        j.rel,
        base.item,
        base.task,
        base.mode,
        agent_exit=exit_code,
        agent_timed_out=timed_out,
        agent_s=took,
        attempt=number,
        attempt_result=outcome,
        attempt_by=by,
        commit=sha,
        left_out=files.left_out,
        resumed=resumed,
    )
