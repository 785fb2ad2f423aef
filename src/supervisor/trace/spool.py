"""Writing a stream of byte chunks from a second thread, so that making the next chunk (CPU,
holding the GIL) overlaps writing the last one and flushing it to disk (system calls, which
release the GIL). With ``sync_every``, the writer thread also ``fdatasync``s the file every
that many bytes, so a final ``fsync`` has little left to wait for; ``then`` runs on the writer
thread after the last chunk (to sync, close and rename the file while the caller goes on)."""

from __future__ import annotations

import errno
import os
import queue
import sys
import threading
from collections.abc import Callable, Iterable
from typing import IO

DEPTH = 8  # chunks made ahead of the writer at most (about 2.5 MB each for trace documents)
SWITCH_S = 0.0005  # the interpreter's thread switch interval while a writer thread runs
_END, _ABORT = object(), object()
# sendfile refused for this pair of files (macOS sends only to sockets): copy instead
_NO_SENDFILE = {errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOTSOCK}
_datasync = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync


class Spool:
    """One writer thread for ``fh``: :meth:`feed` chunks, then :meth:`close`."""

    def __init__(
        self, fh: IO[bytes], *, sync_every: int = 0, then: Callable[[], None] | None = None
    ) -> None:
        self._fh = fh
        self._sync_every = sync_every
        self._then = then
        self._pending: queue.Queue[object] = queue.Queue(maxsize=DEPTH)
        self._failed: list[BaseException] = []
        self._ended = False
        self.written = 0
        # The maker holds the GIL nearly all the time; each write returns to wait for it, by
        # default up to 5 ms a time (a one-off timing: 122 MB in 2.4 MB writes took 0.38 s beside a
        # busy thread, 0.08 s at 0.5 ms). Restored by close().
        _quick_switch(+1)
        self._thread = threading.Thread(target=self._drain, name="spool", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        unsynced = 0
        fd = _fd_of(self._fh) if hasattr(os, "writev") else None
        last: object = None
        try:
            while True:
                batch, last = self._next_batch()
                if batch:
                    self._write(fd, batch)
                    unsynced += sum(map(len, batch))
                if last is _ABORT:
                    return
                if self._sync_every and unsynced >= self._sync_every:
                    self._fh.flush()
                    _datasync(self._fh.fileno())
                    unsynced = 0
                if last is _END:
                    break
            if self._then is not None:
                self._then()
        except BaseException as exc:  # handed to the caller's thread by close()
            self._failed.append(exc)
            while last is not _END and last is not _ABORT:  # keep feed() from blocking
                last = self._pending.get()

    def _next_batch(self) -> tuple[list[bytes], object]:
        """The chunks waiting (at least one item): (chunks, the end marker met or None)."""
        batch: list[bytes] = []
        item = self._pending.get()
        while True:
            if item is _END or item is _ABORT:
                return batch, item
            assert isinstance(item, bytes)
            batch.append(item)
            try:
                item = self._pending.get_nowait()
            except queue.Empty:
                return batch, None

    def _write(self, fd: int | None, batch: list[bytes]) -> None:
        """One system call for the chunks waiting (the writer needs the GIL once a batch,
        not once a chunk, while the maker holds it), or ``write`` where there is no fd."""
        if fd is None:
            for chunk in batch:
                self._fh.write(chunk)
            return
        self._fh.flush()
        views = [memoryview(c) for c in batch]
        while views:
            done = os.writev(fd, views)
            while views and done >= len(views[0]):
                done -= len(views[0])
                views.pop(0)
            if views and done:
                views[0] = views[0][done:]

    def feed(self, chunks: Iterable[bytes]) -> None:
        """Queue ``chunks`` in order (stops early once the writer has failed)."""
        for chunk in chunks:
            if self._failed:
                return
            self._pending.put(chunk)
            self.written += len(chunk)

    def end(self) -> None:
        """No more chunks: the writer writes what is queued and runs ``then`` while the
        caller goes on (:meth:`close` waits for it)."""
        if not self._ended:
            self._ended = True
            self._pending.put(_END)

    def close(self, *, abort: bool = False) -> None:
        """Wait for the writer: all chunks written and ``then`` run (or, with ``abort`` and
        before :meth:`end`, the chunks queued so far written and ``then`` skipped); its
        error, if any, is raised here (not with ``abort``: the caller's own error is the one
        to show)."""
        if not self._ended:
            self._ended = True
            self._pending.put(_ABORT if abort else _END)
        self._thread.join()
        _quick_switch(-1)
        if self._failed and not abort:
            raise self._failed[0]


_switching = threading.Lock()
_writers = [0, 0.0]  # writer threads running, the switch interval before the first


def _quick_switch(delta: int) -> None:
    """Count a writer thread in (+1) or out (-1): the short switch interval holds while any
    runs, and the previous one comes back after the last."""
    with _switching:
        if delta > 0 and not _writers[0]:
            _writers[1] = sys.getswitchinterval()
            sys.setswitchinterval(min(_writers[1], SWITCH_S))
        _writers[0] += delta
        if delta < 0 and not _writers[0]:
            sys.setswitchinterval(_writers[1])


def _fd_of(fh: IO[bytes]) -> int | None:
    """The file descriptor under ``fh`` (None for in-memory files)."""
    try:
        return fh.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        return None


def write_chunks(fh: IO[bytes], chunks: Iterable[bytes], *, sync_every: int = 0) -> int:
    """Write ``chunks`` to ``fh`` in order from a writer thread; returns the bytes written. An
    error on either side (making a chunk, or writing one) is raised here, after the writer
    has stopped."""
    spool = Spool(fh, sync_every=sync_every)
    try:
        spool.feed(chunks)
    except BaseException:
        spool.close(abort=True)
        raise
    spool.close()
    return spool.written


def send_file(path: str | os.PathLike[str], out: IO[bytes]) -> None:
    """Copy the file at ``path`` to ``out`` (flushed first), by ``sendfile`` in the kernel
    where the OS allows, else through a buffer."""
    import shutil

    out.flush()
    with open(path, "rb") as src:
        dst = _fd_of(out)
        if dst is not None and hasattr(os, "sendfile"):
            size, offset = os.fstat(src.fileno()).st_size, 0
            try:
                while offset < size:
                    sent = os.sendfile(dst, src.fileno(), offset, size - offset)
                    if not sent:
                        break
                    offset += sent
                return
            except OSError as exc:
                if offset or exc.errno not in _NO_SENDFILE:
                    raise
        shutil.copyfileobj(src, out)
    out.flush()
