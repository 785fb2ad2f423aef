"""Writing a stream of byte chunks from a second thread, so that making the next chunk (CPU,
holding the GIL) overlaps writing the last one and flushing it to disk (system calls, which
release the GIL). With ``sync_every``, the writer thread also ``fdatasync``s the file every
that many bytes, so the caller's final ``fsync`` has little left to wait for."""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterable
from typing import IO

DEPTH = 4  # chunks made ahead of the writer at most (about 5 MB each for trace documents)


def write_chunks(fh: IO[bytes], chunks: Iterable[bytes], *, sync_every: int = 0) -> int:
    """Write ``chunks`` to ``fh`` in order; returns the bytes written. An error on either
    side (making a chunk, or writing one) is raised here, after the writer has stopped."""
    pending: queue.Queue[bytes | None] = queue.Queue(maxsize=DEPTH)
    failed: list[BaseException] = []
    total = 0

    def drain() -> None:
        unsynced = 0
        try:
            while (chunk := pending.get()) is not None:
                fh.write(chunk)
                unsynced += len(chunk)
                if sync_every and unsynced >= sync_every:
                    fh.flush()
                    os.fdatasync(fh.fileno())
                    unsynced = 0
        except BaseException as exc:  # handed to the caller's thread
            failed.append(exc)
            while pending.get() is not None:  # keep the maker from blocking
                pass

    writer = threading.Thread(target=drain, name="write_chunks", daemon=True)
    writer.start()
    try:
        for chunk in chunks:
            if failed:
                break
            pending.put(chunk)
            total += len(chunk)
    finally:
        pending.put(None)
        writer.join()
    if failed:
        raise failed[0]
    return total
