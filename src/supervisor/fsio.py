"""File writes: the only place that replaces workspace files (temp file + fsync + rename)."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

from supervisor.errors import WorkspaceError

STALE_TMP_S = 600.0


def _sweep_stale(directory: Path, name: str) -> None:
    """Remove temp files of ``name`` left by writers killed mid-write (older than 10 min)."""
    now = time.time()
    for tmp in directory.glob(f".{name}.*.tmp"):
        with contextlib.suppress(OSError):
            if now - tmp.stat().st_mtime > STALE_TMP_S:
                tmp.unlink()


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so readers see the old or the new file, never a torn one."""
    path = Path(path)
    directory = path.parent
    _sweep_stale(directory, path.name)
    try:
        mode = path.stat().st_mode & 0o7777 if path.exists() else None
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise WorkspaceError(
            f"cannot write: {exc.strerror}",
            path=str(path),
            hint="check the directory exists and is writable",
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
