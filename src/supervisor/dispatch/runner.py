"""The only place supervisor starts subprocesses.

Every command runs from an argv list (``shell=False``), with stdin closed, in its own session
(``start_new_session=True``) so that its whole process group can be signalled: on timeout or
Ctrl-C the group gets SIGTERM, then SIGKILL after a grace period; when the command itself
exits, stragglers left in its group are killed so nothing writes into a sealed bundle.
stdout and stderr go straight to files (streamed by the kernel, never held in memory).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

GRACE_S = 3.0  # between SIGTERM and SIGKILL


@dataclass(frozen=True)
class RunResult:
    exit_code: int | None  # negative: killed by that signal; None: never started
    duration_s: float
    timed_out: bool = False
    interrupted: bool = False
    error: str | None = None  # why it could not start
    pid: int | None = None


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL it if the leader outlives the grace period
    (a second Ctrl-C skips the grace period)."""
    _signal_group(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired, KeyboardInterrupt):
        proc.wait(GRACE_S)
    _signal_group(proc.pid, signal.SIGKILL)
    proc.wait()


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
) -> RunResult:
    """Run one command to completion, timeout or Ctrl-C; never raises for the command's own
    failures (they are in the result). ``stdout`` and ``stderr`` may be the same file (both
    streams interleaved there); ``append`` adds to existing files instead of replacing them;
    ``started`` is called with the pid (= process group id) once the command runs."""
    start = time.monotonic()
    mode = "ab" if append else "wb"
    with contextlib.ExitStack() as files:
        out = err = files.enter_context(open(stdout, mode))
        if Path(stderr) != Path(stdout):
            err = files.enter_context(open(stderr, mode))
        try:
            proc = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=dict(env),
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
        timed_out = interrupted = False
        try:
            if started is not None:
                started(proc.pid)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                _stop(proc)
            except KeyboardInterrupt:
                interrupted = True
                _stop(proc)
        finally:
            if proc.returncode is None:  # an exception we did not expect: leave nothing behind
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait()
            _signal_group(proc.pid, signal.SIGKILL)  # stragglers the command left running
        return RunResult(proc.returncode, _since(start), timed_out, interrupted, pid=proc.pid)


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
        return out.decode("utf-8", "replace") if proc.returncode == 0 else None

    def cancel(self) -> None:
        proc = self._proc
        if proc is not None and proc.returncode is None:
            _signal_group(proc.pid, signal.SIGKILL)
            proc.communicate()
