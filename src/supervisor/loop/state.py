"""The loop's hand-off state, ``sync/state.json``: whose turn it is, how far the loop got,
who holds the lease, the focus handed to the agent, and the stall guard's memory.

Frozen dataclasses, written atomically (temp + fsync + rename). The lease is enforced: a live
lease held by another loop is never taken; an expired one (or one whose process is gone on this
host) is taken over with a note. Taking the lease is a compare-and-swap under a file lock beside
the state (``.supervisor/locks/``): the state is re-read under the lock and the lease is taken
only when it is still the state the caller decided on, so two loops on one workspace never both
start a turn; every later write of the holder re-checks, under the lock, that it still holds it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from supervisor.errors import SupervisorError, WorkspaceError
from supervisor.fsio import write_atomic

SCHEMA_VERSION = 1
KIND = "loop-state"
ACTORS = ("supervisor", "agent")
STATUSES = ("ready", "running", "interrupted", "blocked")


LOCK_DIR = Path(".supervisor") / "locks"
LOCK_TIMEOUT_S = 30.0


class LeaseError(SupervisorError):
    """Another loop holds a live lease on the turn."""


class StateChangedError(LeaseError):
    """The state changed between reading it and taking the lease: another loop took the turn."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def owner_id(actor: str) -> str:
    """``actor@host:pid`` for this process."""
    return f"{actor}@{socket.gethostname()}:{os.getpid()}"


def _host_pid(owner: str) -> tuple[str, int | None]:
    host, _, pid = owner.partition("@")[2].rpartition(":")
    return host, int(pid) if pid.isdigit() else None


def alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this host (zombies count as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@dataclass(frozen=True)
class Lease:
    owner: str  # actor@host:pid
    expires_at: str  # ISO UTC
    agent_pid: int | None = None  # the agent's process (group) while it runs
    agent_token: str | None = None  # marker in the agent's environment (its whole tree)

    def expired(self, now: datetime) -> bool:
        return now >= parse_iso(self.expires_at)

    @property
    def local(self) -> bool:
        return _host_pid(self.owner)[0] == socket.gethostname()

    def orphaned(self) -> bool:
        """True when the owner ran on this host and neither it nor its agent is alive."""
        pid = _host_pid(self.owner)[1]
        if not self.local or pid is None or alive(pid):
            return False
        return self.agent_pid is None or not alive(self.agent_pid)


@dataclass(frozen=True)
class Baseline:
    """The focus handed to the agent and the item's attempts at that moment: the outcome of a
    turn is read from the ledger against this, never from git noise."""

    item: str
    phase: str | None
    task: str | None
    mode: str
    attempts: int  # numbered attempts of the item
    last_attempt: int | None
    brief: str  # workspace-relative brief path


@dataclass(frozen=True)
class StallRecord:
    key: str  # "ITEM/TASK" (or "ITEM/-")
    signature: str  # successes, task state, item status
    iterations: int  # completed iterations on this key without progress
    escalated: str | None = None  # the escalation applied at the last render


@dataclass(frozen=True)
class Parked:
    """An item the stall guard moved away from (escalate: next), until it shows progress."""

    item: str
    signature: str


@dataclass(frozen=True)
class LoopState:
    iteration: int = 0
    expected_actor: str = "supervisor"
    status: str = "ready"
    updated_at: str | None = None
    branch: str | None = None
    lease: Lease | None = None
    last_commits: tuple[tuple[str, str | None], ...] = (("supervisor", None), ("agent", None))
    focus: Baseline | None = None
    stall: StallRecord | None = None
    parked: tuple[Parked, ...] = ()
    note: str | None = None
    turn_base: str | None = None  # HEAD when the running agent turn started (judged from it)

    def commit_of(self, actor: str) -> str | None:
        return dict(self.last_commits).get(actor)

    def with_commit(self, actor: str, sha: str | None) -> LoopState:
        commits = dict(self.last_commits)
        commits[actor] = sha
        return replace(self, last_commits=tuple((a, commits.get(a)) for a in ACTORS))

    def as_dict(self) -> dict[str, Any]:
        def obj(x: Any) -> Any:
            return None if x is None else asdict(x)

        return {
            "schema_version": SCHEMA_VERSION,
            "kind": KIND,
            "iteration": self.iteration,
            "expected_actor": self.expected_actor,
            "status": self.status,
            "updated_at": self.updated_at,
            "branch": self.branch,
            "lease": obj(self.lease),
            "last_commits": dict(self.last_commits),
            "focus": obj(self.focus),
            "stall": obj(self.stall),
            "parked": [obj(p) for p in self.parked],
            "note": self.note,
            "turn_base": self.turn_base,
        }


def _bad(rel: str, what: str) -> WorkspaceError:
    return WorkspaceError(
        f"loop state is invalid: {what}",
        path=rel,
        hint="fix the file, or delete it to start over (the iteration counter restarts at 1)",
    )


def _sub(doc: Any, cls: type, rel: str, key: str) -> Any:
    if doc is None:
        return None
    if not isinstance(doc, dict):
        raise _bad(rel, f"'{key}' must be an object")
    try:
        return cls(**doc)
    except TypeError as exc:
        raise _bad(rel, f"'{key}': {exc}") from None


def from_dict(doc: Any, rel: str) -> LoopState:
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        raise _bad(rel, f"not a {KIND} document")
    if doc.get("schema_version") != SCHEMA_VERSION:
        raise _bad(rel, f"unsupported schema_version {doc.get('schema_version')!r}")
    it = doc.get("iteration")
    if isinstance(it, bool) or not isinstance(it, int) or it < 0:
        raise _bad(rel, "'iteration' must be a non-negative integer")
    if doc.get("expected_actor") not in ACTORS:
        raise _bad(rel, f"'expected_actor' must be one of {', '.join(ACTORS)}")
    if doc.get("status") not in STATUSES:
        raise _bad(rel, f"'status' must be one of {', '.join(STATUSES)}")
    commits = doc.get("last_commits") or {}
    if not isinstance(commits, dict):
        raise _bad(rel, "'last_commits' must be an object")
    lease = _sub(doc.get("lease"), Lease, rel, "lease")
    if lease is not None:
        try:
            parse_iso(lease.expires_at)
        except (TypeError, ValueError):
            raise _bad(rel, "'lease.expires_at' must be YYYY-MM-DDTHH:MM:SSZ") from None
    return LoopState(
        iteration=it,
        expected_actor=doc["expected_actor"],
        status=doc["status"],
        updated_at=doc.get("updated_at"),
        branch=doc.get("branch"),
        lease=lease,
        last_commits=tuple((a, commits.get(a)) for a in ACTORS),
        focus=_sub(doc.get("focus"), Baseline, rel, "focus"),
        stall=_sub(doc.get("stall"), StallRecord, rel, "stall"),
        parked=tuple(_sub(p, Parked, rel, "parked") for p in doc.get("parked") or ()),
        note=doc.get("note"),
        turn_base=_opt_str(doc.get("turn_base"), rel, "turn_base"),
    )


def _opt_str(value: Any, rel: str, key: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise _bad(rel, f"'{key}' must be a string or null")
    return value


def load_state(root: Path, rel: str) -> LoopState:
    """The state in ``root/rel``; a fresh state (iteration 0, supervisor's turn) if missing."""
    path = root / rel
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return LoopState()
    except (OSError, UnicodeDecodeError) as exc:
        raise _bad(rel, f"cannot read it ({exc})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WorkspaceError(
            f"loop state is not valid JSON: {exc.msg}",
            path=rel,
            line=exc.lineno,
            hint="fix the file, or delete it to start over (the iteration counter restarts at 1)",
        ) from None
    return from_dict(doc, rel)


def save_state(root: Path, rel: str, state: LoopState, now: datetime | None = None) -> LoopState:
    """Write ``state`` (stamped with ``updated_at``) atomically; returns what was written."""
    state = replace(state, updated_at=iso(now or utcnow()))
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(state.as_dict(), indent=2, ensure_ascii=False) + "\n")
    return state


def acquire(
    state: LoopState, owner: str, seconds: float, rel: str, now: datetime | None = None
) -> tuple[LoopState, str | None]:
    """``state`` with the lease given to ``owner`` for ``seconds``, and a note when an expired
    (or orphaned) lease was taken over. A live lease held by someone else is refused; the
    agent left running by an expired lease's crashed loop is stopped first."""
    now = now or utcnow()
    note = None
    held = state.lease
    if held is not None and held.owner != owner:
        if not held.expired(now) and not held.orphaned():
            running = held.local and held.agent_pid is not None and alive(held.agent_pid)
            extra = f" (its agent, process group {held.agent_pid}, is running)" if running else ""
            raise LeaseError(
                f"the loop lease is held by {held.owner} until {held.expires_at}{extra}",
                path=rel,
                hint="a live lease is never taken over: wait for that loop to finish (or stop "
                "it) and rerun after the lease expires",
            )
        why = f"expired at {held.expires_at}" if held.expired(now) else "its process is gone"
        note = f"lease of {held.owner} ({why}) taken over by {owner}"
        if held.local and held.agent_pid is not None and alive(held.agent_pid):
            _stop_agent(held.agent_pid, held.agent_token)
            note += (
                f"; its agent (process group {held.agent_pid}) was still running and was stopped"
            )
        elif held.local and held.agent_token is not None:
            _stop_agent(None, held.agent_token)  # daemons its agent left behind
    lease = Lease(owner, iso(now + timedelta(seconds=seconds)))
    return replace(state, lease=lease), note


def _stop_agent(pgid: int | None, token: str | None) -> None:
    """Stop a crashed loop's agent: its process group, and with its token every process it
    started (escaped ones included)."""
    from supervisor.dispatch import runner

    runner.stop_tree(pgid, token)


# --------------------------------------------------------------------------- compare-and-swap


def _lock_path(root: Path, rel: str) -> Path:
    digest = hashlib.sha256(rel.encode()).hexdigest()[:16]
    folder = root / LOCK_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
        ignore = folder.parent / ".gitignore"
        if not ignore.exists():
            with contextlib.suppress(FileExistsError), open(ignore, "x", encoding="utf-8") as fh:
                fh.write("# created by supervisor: locks and caches are never committed\n*\n")
    except OSError as exc:
        raise _no_lock(rel, folder, exc) from None
    return folder / f"loop-state.{digest}.lock"


def _no_lock(rel: str, where: Path, exc: OSError) -> WorkspaceError:
    return WorkspaceError(
        f"cannot take the loop state's lock at {where}: {exc.strerror or exc}",
        path=rel,
        hint=f"make {LOCK_DIR} a writable directory (move away a file or folder in its way)",
    )


@contextlib.contextmanager
def locked(root: Path, rel: str) -> Iterator[None]:
    """Hold the state's file lock (one machine: every loop on this workspace takes it)."""
    from filelock import FileLock, Timeout

    path = _lock_path(root, rel)
    lock = FileLock(str(path), timeout=LOCK_TIMEOUT_S)
    try:
        lock.acquire()
    except OSError as exc:
        raise _no_lock(rel, path, exc) from None
    except Timeout:
        raise LeaseError(
            f"another loop holds the state lock for more than {LOCK_TIMEOUT_S:.0f} s",
            path=rel,
            hint="retry when the other `supervisor loop` has finished its state update",
        ) from None
    try:
        yield
    finally:
        lock.release()


def _changed(rel: str, now: LoopState) -> StateChangedError:
    lease = f", lease {now.lease.owner}" if now.lease is not None else ""
    return StateChangedError(
        f"the loop state changed while this loop was taking the turn (now: iteration "
        f"{now.iteration}, {now.expected_actor}'s turn, {now.status}{lease}): another loop "
        "took it; nothing was run",
        path=rel,
        hint="let the other loop finish; rerun to continue from the state as it is now",
    )


def claim(
    root: Path,
    rel: str,
    seen: LoopState,
    owner: str,
    seconds: float,
    update: Callable[[LoopState, str | None], LoopState],
) -> tuple[LoopState, str | None]:
    """Take the lease for ``owner`` as one compare-and-swap: under the lock, re-read the state;
    unless it is still ``seen`` (what the caller decided on), refuse; else acquire, apply
    ``update`` (given the take-over note) and save. Returns what was written and the note."""
    with locked(root, rel):
        now = load_state(root, rel)
        if now.as_dict() != seen.as_dict():
            acquire(now, owner, seconds, rel)  # a live lease of another: its own message
            raise _changed(rel, now)
        st, note = acquire(now, owner, seconds, rel)
        return save_state(root, rel, update(st, note)), note


def _lost(rel: str, owner: str, now: LoopState) -> LeaseError:
    held = now.lease.owner if now.lease is not None else "nobody"
    return LeaseError(
        f"this loop ({owner}) no longer holds the lease on the turn (now held by {held}, "
        f"iteration {now.iteration}, {now.expected_actor}'s turn, {now.status})",
        path=rel,
        hint="another loop took the turn over (the lease expired?); nothing more was written: "
        "raise loop.lease_seconds if turns run longer",
    )


def save_held(root: Path, rel: str, state: LoopState, owner: str) -> LoopState:
    """Write ``state`` only while the file still shows ``owner``'s lease (checked under the
    lock); raises :class:`LeaseError` when it was lost."""
    with locked(root, rel):
        now = load_state(root, rel)
        if now.lease is None or now.lease.owner != owner:
            raise _lost(rel, owner, now)
        return save_state(root, rel, state)


def release_if_held(
    root: Path, rel: str, owner: str, update: Callable[[LoopState], LoopState]
) -> LoopState | None:
    """Under the lock: when ``owner`` holds the running turn, write ``update(state)`` and return
    it; otherwise change nothing and return None."""
    with locked(root, rel):
        now = load_state(root, rel)
        if now.status != "running" or now.lease is None or now.lease.owner != owner:
            return None
        return save_state(root, rel, update(now))
