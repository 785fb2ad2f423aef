"""One `supervisor loop` run: resolve the options, then take turns until the iterations are
done — both roles in one process, or one role coordinating with the other through the state
file on the shared branch (``--sync-via-git``).

Safety: Ctrl-C marks the turn in progress ``interrupted`` (the caller exits 130); an error in
the middle of a turn marks it ``blocked`` with the error as its note; a crash leaves
``running`` with a lease that expires (or whose process is gone). The next run resumes: the
iteration counter continues and the turn in progress is redone (the supervisor's) or closed
(the agent's, when its attempt is already in the ledger) or redone (when it is not).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from supervisor.config import Config, load_config
from supervisor.errors import SupervisorError, UsageError, WorkspaceError, choices_hint
from supervisor.loop.journal import Journal
from supervisor.loop.state import LoopState, load_state, owner_id, release_if_held
from supervisor.loop.sync import GitSide
from supervisor.loop.turn import TurnEnv, TurnReport, agent_turn, iteration_of, supervisor_turn

ROLES = ("both", "supervisor", "agent")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class LoopOptions:
    agent: tuple[str, ...] = ()  # empty: loop.agent from supervisor.yaml
    iterations: int | None = None  # None: loop.iterations
    timeout: float | None = None  # None: loop.timeout
    branch: str | None = None  # None: branch from supervisor.yaml
    sync: bool = False
    role: str = "both"
    poll_s: float = 5.0  # how often a waiting role pulls
    wait_s: float | None = None  # give up waiting for the other role after this long


@dataclass(frozen=True)
class LoopResult:
    status: str  # "ok" | "interrupted"
    role: str
    sync: bool
    branch: str
    iterations: int  # iterations completed by this run (turns of this role)
    turns: tuple[TurnReport, ...]
    state: LoopState
    state_path: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "role": self.role,
            "sync": self.sync,
            "branch": self.branch,
            "iterations": self.iterations,
            "turns": [t.as_dict() for t in self.turns],
            "state_path": self.state_path,
            "state": self.state.as_dict(),
        }


class LoopWaitError(SupervisorError):
    """The other role did not hand over within ``--wait`` seconds."""


def _agent_argv(options: LoopOptions, config: Config) -> tuple[str, ...]:
    argv = options.agent or config.loop.agent
    if not argv:
        raise UsageError(
            "no agent command",
            hint='pass --agent "CMD ARGS" or set loop.agent: [argv, …] in supervisor.yaml',
        )
    exe = argv[0]
    path = Path(exe) if Path(exe).is_absolute() else config.root / exe
    found = path.is_file() if "/" in exe else shutil.which(exe) is not None
    if not found:
        raise UsageError(
            f"agent command not found: {exe}",
            hint="install it, or give its path (relative to the workspace) in --agent",
        )
    return argv


def _check_timeout(seconds: float) -> None:
    """``--timeout``: the same bounds as ``loop.timeout`` (finite, positive, at most 30 days)."""
    import math

    from supervisor.config import MAX_SECONDS

    if not (math.isfinite(seconds) and 0.001 <= seconds <= MAX_SECONDS):
        raise UsageError(
            f"--timeout {seconds:g} is not a usable number of seconds",
            hint=f"give a finite number from 0.001 to {MAX_SECONDS} (30 days)",
        )


class Session:
    def __init__(self, start: Path, options: LoopOptions, progress: Progress) -> None:
        if options.role not in ROLES:
            raise UsageError(f"--role {options.role!r} is not a role", hint=choices_hint(ROLES[1:]))
        if options.role != "both" and not options.sync:
            raise UsageError(
                f"--role {options.role} needs --sync-via-git",
                hint="the roles hand off through the shared branch; without --sync-via-git one "
                "process plays both roles (drop --role)",
            )
        config = load_config(start)
        self.config = config
        self.options = options
        self.progress = progress
        self.role = options.role
        self.plays = ("supervisor", "agent") if self.role == "both" else (self.role,)
        agent = _agent_argv(options, config) if "agent" in self.plays else ()
        self.iterations = options.iterations or config.loop.iterations
        if options.timeout is not None:
            _check_timeout(options.timeout)
        timeout = config.loop.timeout if options.timeout is None else options.timeout
        self.branch = options.branch or config.branch
        self.journal: Journal | None = None
        self.git = GitSide(config, self.branch, options.sync, self._log)
        self.env = TurnEnv(config, self.git, agent, timeout, self.branch)

    def _log(self, text: str) -> None:
        if self.journal is not None:
            self.journal.line(text)
        else:
            self.progress(text)

    def _journal(self, iteration: int) -> Journal:
        j = self.journal
        if j is None or j.iteration != iteration or self.role != "both":
            loop = self.config.loop
            j = Journal(
                self.config.root, loop.logs, self.branch, self.role, iteration, self.progress
            )
            self.journal = j
        return j

    # ------------------------------------------------------------------ turns

    def _counts(self, actor: str) -> bool:
        return actor == ("supervisor" if self.role == "supervisor" else "agent")

    def _state_for_turn(self) -> LoopState:
        """The state to act on: pulled first with sync; waits while it is the other role's
        turn."""
        root, rel = self.config.root, self.config.loop.state
        deadline = None if self.options.wait_s is None else time.monotonic() + self.options.wait_s
        announced = False
        while True:
            state = load_state(root, rel)
            mine = state.expected_actor in self.plays
            if self.options.sync and not (mine and state.status != "ready"):
                dirty = self.git.tracked_dirty()
                if dirty:
                    raise WorkspaceError(
                        f"uncommitted changes to tracked files block git pull --rebase: "
                        f"{', '.join(dirty[:12])}",
                        hint="commit or discard them, then rerun",
                    )
                self.git.pull()
                self.git.publish_pending()
                state = load_state(root, rel)
                mine = state.expected_actor in self.plays
            if mine:
                return state
            if not announced:
                other = state.expected_actor
                self.progress(
                    f"waiting for the {other} to hand over (state: iteration {state.iteration}, "
                    f"{other}'s turn, {state.status}); pulling every {self.options.poll_s:g} s"
                )
                announced = True
            if deadline is not None and time.monotonic() >= deadline:
                raise LoopWaitError(
                    f"waited {self.options.wait_s:g} s for the {state.expected_actor}'s hand-off "
                    f"(iteration {state.iteration}, status {state.status})",
                    path=rel,
                    hint=f"start the {state.expected_actor} role, or rerun with a longer --wait",
                )
            time.sleep(self.options.poll_s)

    def _mark(self, status: str, note: str) -> LoopState | None:
        """Mark this process's running turn (if any) ``status``, releasing the lease."""
        root, rel = self.config.root, self.config.loop.state
        for actor in self.plays:
            try:
                marked = release_if_held(
                    root, rel, owner_id(actor),
                    lambda st: replace(st, status=status, lease=None, note=note),
                )  # fmt: skip
            except SupervisorError:
                return None
            if marked is not None:
                if self.journal is not None:
                    self.journal.line(f"turn marked {status}: {note}")
                return marked
        return None

    def run(self) -> LoopResult:
        self.git.check()
        turns: list[TurnReport] = []
        done = 0
        status = "ok"
        try:
            while done < self.iterations:
                state = self._state_for_turn()
                actor = state.expected_actor
                j = self._journal(iteration_of(state))
                began = time.monotonic()
                turn = supervisor_turn if actor == "supervisor" else agent_turn
                report = turn(self.env, state, j)
                took = round(time.monotonic() - began, 3)
                turns.append(replace(report, duration_s=took))
                if self._counts(actor):
                    done += 1
        except KeyboardInterrupt:
            status = "interrupted"
            self._mark("interrupted", "interrupted (Ctrl-C); rerun to resume")
        except SupervisorError as exc:
            if self.journal is not None:
                self.journal.write(f"error: {exc}")
            self._mark("blocked", str(exc))
            raise
        final = load_state(self.config.root, self.config.loop.state)
        return LoopResult(status, self.role, self.options.sync, self.branch, done, tuple(turns),
                          final, self.config.loop.state)  # fmt: skip


def run_loop(start: Path, options: LoopOptions, progress: Progress | None = None) -> LoopResult:
    """Run the loop in the workspace containing ``start``; progress lines go to ``progress``."""
    return Session(start, options, progress or (lambda line: None)).run()
