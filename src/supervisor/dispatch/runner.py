"""The only place supervisor starts subprocesses.

Every command runs from an argv list (``shell=False``), with stdin closed, in its own session
(``start_new_session=True``) and with a per-run marker in its environment
(``SUPERVISOR_RUN_TOKEN``, inherited by everything it starts; nested runs append theirs). On
Linux this process is also a child subreaper while a command runs, so descendants orphaned by a
double fork are re-parented here instead of to init. When the command ends (exit, timeout or
Ctrl-C), every process of the run is found and killed before ``run`` returns: its process
group and session, the descendants of any of those, processes carrying the run's marker, and
orphans adopted during the run — so a ``setsid`` daemon dies with the run and nothing writes
into a sealed bundle or a committed ledger afterwards. On timeout or Ctrl-C the leader gets
SIGTERM first, then SIGKILL after a grace period. stdout and stderr go straight to files
(streamed by the kernel, never held in memory).
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GRACE_S = 3.0  # between SIGTERM and SIGKILL
REAP_S = 10.0  # how long to wait for killed processes to disappear
TOKEN_ENV = "SUPERVISOR_RUN_TOKEN"
_PR_SET_CHILD_SUBREAPER = 36
_PR_GET_CHILD_SUBREAPER = 37

_own: set[int] = set()  # leaders of runs and probes still running (never "adopted")
_reaper_lock = threading.Lock()
_reaper_users = 0
_reaper_was: int | None = None


@dataclass(frozen=True)
class RunResult:
    exit_code: int | None  # negative: killed by that signal; None: never started
    duration_s: float
    timed_out: bool = False
    interrupted: bool = False
    error: str | None = None  # why it could not start
    pid: int | None = None
    stragglers: int = 0  # processes of the run still alive after the command ended (killed)


# --------------------------------------------------------------------------- the process table


@dataclass(frozen=True)
class _Proc:
    pid: int
    ppid: int
    pgid: int
    sid: int
    zombie: bool


def _table() -> dict[int, _Proc]:
    """Every process visible in /proc (empty where there is no /proc)."""
    out: dict[int, _Proc] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return out
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        f = stat[stat.rfind(b")") + 2 :].split()
        try:
            out[int(name)] = _Proc(int(name), int(f[1]), int(f[2]), int(f[3]), f[0] == b"Z")
        except (IndexError, ValueError):
            continue
    return out


def _tokens(pid: int) -> tuple[str, ...] | None:
    """The run markers in ``pid``'s environment (None: it has no marker variable)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            env = fh.read()
    except OSError:
        return None
    key = TOKEN_ENV.encode() + b"="
    for entry in env.split(b"\0"):
        if entry.startswith(key):
            return tuple(entry[len(key) :].decode("ascii", "replace").split(","))
    return None


def _children() -> frozenset[int]:
    """This process's children right now."""
    me = os.getpid()
    return frozenset(p.pid for p in _table().values() if p.ppid == me)


def members(
    leader: int | None, token: str | None, existing: frozenset[int] | None = None
) -> set[int]:
    """The live processes of one run: ``leader``'s process group and session, processes
    carrying ``token``, and — when ``existing`` (our children before the run) is given —
    orphans this process adopted during the run that carry no other run's marker; with every
    descendant of those. Never this process."""
    table = _table()
    me = os.getpid()
    found: set[int] = set()
    for p in table.values():
        if leader is not None and leader in (p.pgid, p.sid):  # (the leader itself is reaped)
            found.add(p.pid)
            continue
        marks = _tokens(p.pid) if token is not None or p.ppid == me else None
        if token is not None and marks is not None and token in marks:
            found.add(p.pid)
        elif (existing is not None and p.ppid == me and p.pid not in _own
              and p.pid not in existing
              and (marks is None or (token is not None and token in marks))):  # fmt: skip
            found.add(p.pid)  # adopted: an orphan of the run re-parented to us (subreaper)
    children: dict[int, list[int]] = {}
    for p in table.values():
        children.setdefault(p.ppid, []).append(p.pid)
    todo = list(found)
    while todo:
        for c in children.get(todo.pop(), ()):
            if c not in found:
                found.add(c)
                todo.append(c)
    found.discard(me)
    return {pid for pid in found if not table[pid].zombie}


def _reap_adopted(pids: set[int]) -> None:
    """Collect the exit status of killed processes that are our children but not ``Popen``
    objects (adopted orphans), so they do not linger as zombies."""
    me = os.getpid()
    table = _table()
    for pid in pids:
        p = table.get(pid)
        if p is None or p.ppid != me or pid in _own:
            continue
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return stat[stat.rfind(b")") + 2 :].split()[0] == b"Z"


def _kill_all(pids: set[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def _wait_gone(pids: set[int], seconds: float) -> None:
    end = time.monotonic() + seconds
    left = set(pids)
    while left and time.monotonic() < end:
        _reap_adopted(left)
        left = {p for p in left if not _gone(p)}
        if left:
            time.sleep(0.01)


def _kill_run(leader: int | None, token: str | None, existing: frozenset[int] | None) -> int:
    """SIGKILL every process of the run until none is left (a process forking while it is
    being killed is found in the next round); returns how many were killed."""
    killed: set[int] = set()
    if leader is not None:
        _signal_group(leader, signal.SIGKILL)
    for _ in range(100):
        pids = members(leader, token, existing)
        if not pids:
            break
        _kill_all(pids, signal.SIGKILL)
        killed |= pids
        _wait_gone(pids, 0.5)
    _wait_gone(killed, REAP_S)
    return len(killed)


def kill_marked(token: str) -> int:
    """SIGKILL every process carrying ``token`` (and its descendants); returns the count."""
    return _kill_run(None, token, None)


def stop_tree(leader: int | None, token: str | None) -> None:
    """Stop what another (crashed) run left: SIGTERM, a grace period, then SIGKILL to the
    process group ``leader`` and every process carrying ``token``."""
    pids = members(leader, token)
    if leader is not None:
        _signal_group(leader, signal.SIGTERM)
    _kill_all(pids, signal.SIGTERM)
    _wait_gone(pids, GRACE_S)
    _kill_run(leader, token, None)


# --------------------------------------------------------------------------- subreaper


@functools.cache
def _libc() -> Any:
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _prctl(option: int, value: int) -> int | None:
    try:
        import ctypes

        libc = _libc()
        if option == _PR_GET_CHILD_SUBREAPER:
            out = ctypes.c_int(0)
            if libc.prctl(option, ctypes.byref(out), 0, 0, 0) != 0:
                return None
            return out.value
        return 0 if libc.prctl(option, value, 0, 0, 0) == 0 else None
    except (OSError, AttributeError):
        return None


@contextlib.contextmanager
def _subreaper() -> Iterator[None]:
    """Be the child subreaper of this process's descendants while a run is in progress
    (Linux; elsewhere a no-op), restoring the previous setting after the last run."""
    global _reaper_users, _reaper_was
    if not os.path.exists("/proc/self/stat"):
        yield
        return
    with _reaper_lock:
        if _reaper_users == 0:
            _reaper_was = _prctl(_PR_GET_CHILD_SUBREAPER, 0)
            if _reaper_was == 0:
                _prctl(_PR_SET_CHILD_SUBREAPER, 1)
        _reaper_users += 1
    try:
        yield
    finally:
        with _reaper_lock:
            _reaper_users -= 1
            if _reaper_users == 0 and _reaper_was == 0:
                _prctl(_PR_SET_CHILD_SUBREAPER, 0)


# --------------------------------------------------------------------------- running


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _stop(proc: subprocess.Popen[bytes], token: str) -> None:
    """SIGTERM the process group and every marked process, then SIGKILL the run if the leader
    outlives the grace period (a second Ctrl-C skips the grace period)."""
    _signal_group(proc.pid, signal.SIGTERM)
    _kill_all(members(proc.pid, token), signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired, KeyboardInterrupt):
        proc.wait(GRACE_S)
    _signal_group(proc.pid, signal.SIGKILL)
    proc.wait()


def new_token() -> str:
    """A fresh run marker."""
    return secrets.token_hex(8)


def run(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    stdout: Path,
    stderr: Path,
    timeout: float | None,
    append: bool = False,
    started: Callable[[int], None] | None = None,
    token: str | None = None,
) -> RunResult:
    """Run one command to completion, timeout or Ctrl-C; never raises for the command's own
    failures (they are in the result). ``stdout`` and ``stderr`` may be the same file (both
    streams interleaved there); ``append`` adds to existing files instead of replacing them;
    ``started`` is called with the pid (= process group id) once the command runs; ``token``
    is the run's marker (a fresh one by default). Every process the command started is dead
    when this returns."""
    start = time.monotonic()
    mode = "ab" if append else "wb"
    token = token or new_token()
    outer = env.get(TOKEN_ENV)
    child_env = {**env, TOKEN_ENV: f"{outer},{token}" if outer else token}
    with contextlib.ExitStack() as stack:
        out = err = stack.enter_context(open(stdout, mode))
        if Path(stderr) != Path(stdout):
            err = stack.enter_context(open(stderr, mode))
        stack.enter_context(_subreaper())
        existing = _children()
        try:
            proc = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=child_env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                shell=False,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            reason = f"cannot start {argv[0]}: {exc.strerror or exc}"
            err.write(f"supervisor: {reason}\n".encode())
            return RunResult(None, _since(start), error=reason)
        _own.add(proc.pid)
        timed_out = interrupted = False
        stragglers = 0
        try:
            if started is not None:
                started(proc.pid)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                _stop(proc, token)
            except KeyboardInterrupt:
                interrupted = True
                _stop(proc, token)
        finally:
            try:
                if proc.returncode is None:  # an exception we did not expect
                    _signal_group(proc.pid, signal.SIGKILL)
                    proc.wait()
                # stragglers the command left running, escaped ones included
                stragglers = _kill_run(proc.pid, token, existing)
            finally:
                _own.discard(proc.pid)
        return RunResult(proc.returncode, _since(start), timed_out, interrupted, pid=proc.pid,
                         stragglers=stragglers)  # fmt: skip


def _since(start: float) -> float:
    return round(time.monotonic() - start, 3)


class Probe:
    """A small helper process whose stdout (one line of JSON) is read later; used for the
    torch device description so that supervisor itself never imports torch."""

    def __init__(self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str]) -> None:
        self._proc: subprocess.Popen[bytes] | None
        try:
            self._proc = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError:
            self._proc = None
        else:
            _own.add(self._proc.pid)

    def result(self, timeout: float) -> str | None:
        """The probe's stdout when it exited 0 within ``timeout`` s, else None."""
        proc = self._proc
        if proc is None:
            return None
        try:
            out, _ = proc.communicate(timeout=timeout)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            self.cancel()
            return None
        finally:
            if proc.returncode is not None:
                _own.discard(proc.pid)
        return out.decode("utf-8", "replace") if proc.returncode == 0 else None

    def cancel(self) -> None:
        proc = self._proc
        if proc is not None and proc.returncode is None:
            _signal_group(proc.pid, signal.SIGKILL)
            proc.communicate()
        if proc is not None:
            _own.discard(proc.pid)
