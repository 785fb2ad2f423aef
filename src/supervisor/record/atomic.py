"""Locked, verified, atomic rewrites of workspace files.

``rewrite(root, [paths], transform)``: take one lock per file (in a fixed order, so writers
never deadlock), read every file, let ``transform`` compute the new texts (it may raise to
refuse), write the new texts to fsynced temp files, re-read to make sure nobody outside the
lock changed a file meanwhile (if so, drop the temp files and retry from the start), then
rename each temp file over its file. Readers see the old
or the new file, never a torn one; concurrent writers serialize on the locks, so each sees
the other's result (attempt numbers stay unique). Locks live in ``.supervisor/locks/``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path

from supervisor import fsio
from supervisor.errors import WorkspaceError, WriteConflictError

LOCK_DIR = Path(".supervisor") / "locks"
LOCK_TIMEOUT_S = 60.0
RETRIES = 5
APPEND_ROUNDS = 50

Transform = Callable[[dict[str, str]], dict[str, str]]


def _lock_path(root: Path, rel: str) -> Path:
    digest = hashlib.sha256(rel.encode()).hexdigest()[:16]
    return root / LOCK_DIR / f"{Path(rel).name}.{digest}.lock"


def _decode(data: bytes, rel: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise WorkspaceError(
            "not valid UTF-8", path=rel, line=line, hint="re-save the file as UTF-8"
        ) from None


def _read(root: Path, rel: str, max_bytes: int) -> bytes:
    try:
        return fsio.read_bytes(root / rel, shown=rel, max_bytes=max_bytes)
    except FileNotFoundError:
        raise WorkspaceError("file not found", path=rel, hint="create it or fix the path") from None


def _writable(root: Path, rel: str) -> None:
    """Refuse write-protected files, even for root (whose access checks always pass)."""
    path = root / rel
    try:
        protected = not path.stat().st_mode & 0o222
    except OSError:
        return  # a missing file is reported by the read that follows
    target = fsio.target_of(path)
    if protected or not os.access(path, os.W_OK) or not os.access(target.parent, os.W_OK):
        raise WorkspaceError(
            "file is read-only", path=rel, hint="make it writable (chmod u+w) and retry"
        )


def _lock_dir(root: Path) -> Path:
    """``.supervisor/locks``, created on first use; a file in the way is a user error."""
    base = root / LOCK_DIR
    for d in (base.parent, base):
        if d.exists() and not d.is_dir():
            raise WorkspaceError(
                "is not a directory (supervisor keeps its locks and caches there)",
                path=d.relative_to(root).as_posix(),
                hint="move the file away and retry",
            )
    try:
        base.mkdir(parents=True, exist_ok=True)
        ignore = base.parent / ".gitignore"
        if not ignore.exists():
            fsio.write_atomic(
                ignore, "# created by supervisor: locks and caches are never committed\n*\n"
            )
    except OSError as exc:
        raise WorkspaceError(
            f"cannot create the lock directory: {exc.strerror}",
            path=LOCK_DIR.as_posix(),
            hint="check that the workspace is writable",
        ) from None
    return base


def _lock(root: Path, rel: str) -> object:
    from filelock import FileLock

    path = _lock_path(root, rel)
    if path.exists() and not path.is_file():
        raise WorkspaceError(
            "lock file is not a regular file",
            path=path.relative_to(root).as_posix(),
            hint="remove it (no supervisor command is using it) and retry",
        )
    return FileLock(str(path), timeout=LOCK_TIMEOUT_S)


def rewrite(
    root: Path,
    paths: Sequence[str],
    transform: Transform,
    *,
    max_bytes: int = fsio.DEFAULT_MAX_FILE_MB * 2**20,
) -> dict[str, str]:
    """Apply ``transform`` to the current texts of ``paths`` under locks; returns the new
    texts actually written (files whose text did not change are not rewritten).

    The last check that nobody outside the lock changed a file runs after the new texts are
    written to fsynced temp files, right before the renames; bytes appended to a file in the
    instant between that check and the rename are carried over to the new file."""
    from filelock import Timeout

    from supervisor.confine import confine

    rels = sorted(set(paths))
    for rel in rels:  # never write through a symlink that leads out of the workspace
        confine(root, rel, what="the file", error=WorkspaceError, path=rel,
                hint="keep the file (and any symlink target) inside the workspace")  # fmt: skip
    _lock_dir(root)
    for rel in rels:
        _writable(root, rel)
    with ExitStack() as stack:
        for rel in rels:
            lock = _lock(root, rel)
            try:
                stack.enter_context(lock)  # type: ignore[arg-type]
            except Timeout:
                raise WriteConflictError(
                    f"another writer holds the lock for more than {LOCK_TIMEOUT_S:.0f} s",
                    path=rel,
                    hint="retry when the other supervisor command has finished",
                ) from None
            except IsADirectoryError:
                raise WorkspaceError(
                    "lock file is a directory",
                    path=_lock_path(root, rel).relative_to(root).as_posix(),
                    hint="remove it (no supervisor command is using it) and retry",
                ) from None
            target = fsio.target_of(root / rel)
            fsio.sweep_stale(target.parent, target.name)
        for _ in range(RETRIES):
            raw = {rel: _read(root, rel, max_bytes) for rel in rels}
            before = {rel: _decode(data, rel) for rel, data in raw.items()}
            after = transform(dict(before))
            written = {rel: text for rel, text in after.items() if text != before.get(rel)}
            if _commit(root, written, raw, max_bytes):
                return written
    raise WriteConflictError(
        f"the file kept changing while being updated ({RETRIES} tries)",
        path=rels[0],
        hint="stop the other editor and retry; nothing was written",
    )


def _commit(root: Path, written: dict[str, str], raw: dict[str, bytes], max_bytes: int) -> bool:
    """Stage every new text, re-check the files, then rename; False (nothing replaced) when
    a file changed since it was read. Bytes only appended to a file being rewritten are
    carried over onto the end of its new text (re-staged and re-checked), so an outside
    appender neither loses its lines nor starves the writer."""
    data = {rel: text.encode("utf-8") for rel, text in written.items()}
    seen = dict(raw)
    for _ in range(APPEND_ROUNDS):
        staged = {rel: fsio.stage(root / rel, blob) for rel, blob in data.items()}
        with ExitStack() as stack:
            handles = {}
            grown: dict[str, bytes] = {}
            try:
                for rel in seen:
                    try:
                        fh = stack.enter_context(fsio.open_regular(root / rel, shown=rel))
                    except FileNotFoundError:
                        return False  # removed meanwhile: the next try reports it
                    now = fh.read(max_bytes + 1)
                    if now != seen[rel]:
                        if rel not in data or not now.startswith(seen[rel]):
                            return False
                        grown[rel] = now
                    handles[rel] = fh
                if not grown:
                    for s in staged.values():
                        fsio.commit(s)
            finally:
                for s in staged.values():
                    fsio.discard(s)  # no-op for committed files
            if not grown:
                for rel, fh in handles.items():
                    late = fh.read() if rel in staged else b""  # landed on the replaced file
                    if late:
                        _carry_over(root, rel, late)
                return True
        for rel, now in grown.items():
            data[rel] += now[len(seen[rel]) :]
            seen[rel] = now
    return False


def _carry_over(root: Path, rel: str, late: bytes) -> None:
    """Append ``late`` (written to the old file in the instant before our rename)."""
    path = root / rel
    with fsio.open_regular(path, shown=rel) as fh:
        current = fh.read()
    fsio.write_atomic(path, current + late)
