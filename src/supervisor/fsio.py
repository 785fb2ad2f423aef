"""File reads and writes at the trust boundary: the only place that replaces workspace files.

Writes go to a temp file beside the target (``.<name>.<pid>.<random>.tmp``), are fsynced,
then renamed over it, so readers see the old or the new file, never a torn one. A symlinked
file is written through: the temp file goes beside the link's target and replaces the
target, so the link stays a link. New files get the usual ``0666 & ~umask`` mode; an existing
file keeps its mode. Temp files left by writers that died mid-write (their pid is gone, or,
for temp names without a pid, older than ten minutes) are removed at the next write or lock
of that file.

Reads of workspace text (ledger, plans) refuse what is not a regular file (a FIFO would
block, ``/dev/zero`` never ends) and files larger than a limit, before reading them.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from supervisor.errors import WorkspaceError

STALE_TMP_S = 600.0
DEFAULT_MAX_FILE_MB = 128
_TMP = re.compile(r"^\..+\.[A-Za-z0-9_]{3,}\.tmp$")


def is_temp_name(name: str) -> bool:
    """Whether ``name`` is one of our temp files (``.<file>.[<pid>.]<random>.tmp``); the loop's
    whitelist ignores these."""
    return _TMP.match(name) is not None


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    except OverflowError:
        return False
    return True


def sweep_stale(directory: Path, name: str) -> list[Path]:
    """Remove temp files of ``name`` left by dead writers; returns the paths removed."""
    now = time.time()
    removed = []
    try:
        candidates = [p for p in directory.iterdir() if p.name.startswith(f".{name}.")]
    except OSError:
        return []
    own = re.compile(rf"^\.{re.escape(name)}\.(?:(\d{{1,10}})\.)?[A-Za-z0-9_]{{3,}}\.tmp$")
    for tmp in candidates:
        m = own.match(tmp.name)
        if m is None:
            continue
        pid = m.group(1)
        with contextlib.suppress(OSError):
            if pid is not None:
                stale = int(pid) != os.getpid() and not _alive(int(pid))
            else:
                stale = now - tmp.lstat().st_mtime > STALE_TMP_S
            if stale and not tmp.is_dir():
                tmp.unlink()
                removed.append(tmp)
    return removed


def umask() -> int:
    """The process umask, read without changing it where the OS allows."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def target_of(path: Path) -> Path:
    """The file a write to ``path`` must replace: ``path`` itself, or a symlink's target."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


@dataclass(frozen=True)
class Staged:
    """A fully written, fsynced temp file waiting to replace ``target``."""

    path: Path  # the path as the caller named it
    target: Path  # what gets replaced (a symlink's target)
    tmp: Path


def _fail(path: Path, what: str, exc: OSError) -> WorkspaceError:
    return WorkspaceError(
        f"cannot {what}: {exc.strerror or exc}",
        path=str(path),
        hint="check the directory exists and is writable",
    )


def stage(path: Path, text: str | bytes) -> Staged:
    """Write ``text`` to a temp file beside ``path``'s target and fsync it (nothing replaced)."""
    path = Path(path)
    target = target_of(path)
    directory = target.parent
    sweep_stale(directory, target.name)
    try:
        st = target.stat()
    except FileNotFoundError:
        mode = 0o666 & ~umask()
    except OSError as exc:
        raise _fail(path, "write", exc) from None
    else:
        if not stat.S_ISREG(st.st_mode):
            raise WorkspaceError(
                "not a regular file", path=str(path), hint="replace it with a regular file"
            )
        mode = stat.S_IMODE(st.st_mode)
    tmp = directory / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise _fail(path, "write", exc) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return Staged(path, target, tmp)


def commit(staged: Staged) -> None:
    """Rename the staged temp file over its target and make the rename durable."""
    try:
        os.replace(staged.tmp, staged.target)
    except OSError as exc:
        discard(staged)
        raise _fail(staged.path, "write", exc) from None
    with contextlib.suppress(OSError):
        dfd = os.open(staged.target.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def discard(staged: Staged) -> None:
    with contextlib.suppress(OSError):
        os.unlink(staged.tmp)


def write_atomic(path: Path, text: str | bytes) -> None:
    """Replace ``path`` (or the file it links to) with ``text``: old or new, never torn."""
    staged = stage(path, text)
    try:
        commit(staged)
    except BaseException:
        discard(staged)
        raise


def open_regular(path: Path, *, shown: str, what: str = "file") -> BinaryIO:
    """``path`` opened for binary reading without blocking on a FIFO or device; anything
    but a regular file is a :class:`WorkspaceError`. ``FileNotFoundError`` passes through."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise WorkspaceError(
            f"cannot read {what}: {exc.strerror}", path=shown, hint="check its permissions"
        ) from None
    fh = os.fdopen(fd, "rb")
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        fh.close()
        if stat.S_ISDIR(st.st_mode):
            raise WorkspaceError(f"{what} is a directory, expected a file", path=shown)
        raise WorkspaceError(
            f"{what} is not a regular file ({_kind(st.st_mode)})",
            path=shown,
            hint="point it at a regular file",
        )
    return fh


def read_bytes(path: Path, *, shown: str, max_bytes: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; anything else is a
    :class:`WorkspaceError` naming ``shown``. ``FileNotFoundError`` passes through."""
    with open_regular(path, shown=shown, what=what) as fh:
        st = os.fstat(fh.fileno())
        if st.st_size > max_bytes:
            raise too_large(shown, what, st.st_size, max_bytes)
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise WorkspaceError(f"cannot read {what}: {exc.strerror}", path=shown) from None
    if len(data) > max_bytes:  # grew while being read
        raise too_large(shown, what, len(data), max_bytes)
    return data


def too_large(shown: str, what: str, size: int, max_bytes: int) -> WorkspaceError:
    return WorkspaceError(
        f"{what} is larger than the limit ({size / 2**20:.1f} MB > {max_bytes / 2**20:g} MB)",
        path=shown,
        hint="shrink it, or raise limits.max_file_mb in supervisor.yaml",
    )


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):  # fmt: skip
        if test(mode):
            return name
    return "not a file"
