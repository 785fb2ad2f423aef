"""Locked, verified, atomic rewrites of workspace files.

``rewrite(root, [paths], transform)``: take one lock per file (in a fixed order, so writers
never deadlock), read every file, let ``transform`` compute the new texts (it may raise to
refuse), re-read to make sure nobody outside the lock changed a file meanwhile (if so,
retry from the start), then replace each file by temp + fsync + rename. Readers see the old
or the new file, never a torn one; concurrent writers serialize on the locks, so each sees
the other's result (attempt numbers stay unique). Locks live in ``.supervisor/locks/``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path

from supervisor.errors import WorkspaceError, WriteConflictError
from supervisor.fsio import write_atomic

LOCK_DIR = Path(".supervisor") / "locks"
LOCK_TIMEOUT_S = 60.0
RETRIES = 5

Transform = Callable[[dict[str, str]], dict[str, str]]


def _lock_path(root: Path, rel: str) -> Path:
    digest = hashlib.sha256(rel.encode()).hexdigest()[:16]
    return root / LOCK_DIR / f"{Path(rel).name}.{digest}.lock"


def _read(root: Path, rel: str) -> str:
    path = root / rel
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise WorkspaceError("file not found", path=rel, hint="create it or fix the path") from None
    except OSError as exc:
        raise WorkspaceError(f"cannot read: {exc.strerror}", path=rel) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise WorkspaceError(
            "not valid UTF-8", path=rel, line=line, hint="re-save the file as UTF-8"
        ) from None


def _writable(root: Path, rel: str) -> None:
    """Refuse write-protected files, even for root (whose access checks always pass)."""
    path = root / rel
    try:
        protected = not path.stat().st_mode & 0o222
    except OSError:
        return  # a missing file is reported by the read that follows
    if protected or not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        raise WorkspaceError(
            "file is read-only", path=rel, hint="make it writable (chmod u+w) and retry"
        )


def rewrite(root: Path, paths: Sequence[str], transform: Transform) -> dict[str, str]:
    """Apply ``transform`` to the current texts of ``paths`` under locks; returns the new
    texts actually written (files whose text did not change are not rewritten)."""
    from filelock import FileLock, Timeout

    rels = sorted(set(paths))
    (root / LOCK_DIR).mkdir(parents=True, exist_ok=True)
    ignore = root / LOCK_DIR.parent / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# created by supervisor: locks and caches are never committed\n*\n")
    for rel in rels:
        _writable(root, rel)
    with ExitStack() as stack:
        for rel in rels:
            lock = FileLock(str(_lock_path(root, rel)), timeout=LOCK_TIMEOUT_S)
            try:
                stack.enter_context(lock)
            except Timeout:
                raise WriteConflictError(
                    f"another writer holds the lock for more than {LOCK_TIMEOUT_S:.0f} s",
                    path=rel,
                    hint="retry when the other supervisor command has finished",
                ) from None
        for _ in range(RETRIES):
            before = {rel: _read(root, rel) for rel in rels}
            after = transform(dict(before))
            now = {rel: _read(root, rel) for rel in rels}
            if now != before:  # changed by a writer that does not take our lock: start over
                continue
            written = {rel: text for rel, text in after.items() if text != before.get(rel)}
            for rel, text in written.items():
                write_atomic(root / rel, text)
            return written
    raise WriteConflictError(
        f"the file kept changing while being updated ({RETRIES} tries)",
        path=rels[0],
        hint="stop the other editor and retry; nothing was written",
    )
