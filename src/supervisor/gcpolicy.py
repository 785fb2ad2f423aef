"""How supervisor uses Python's cycle collector on large models.

A parsed 100k-item ledger is hundreds of thousands of long-lived, acyclic objects (frozen
dataclasses, freed by reference counting). Every full cycle collection rescans them all, and
collections triggered while they are built, ranked or rendered took most of the time. So:

* :func:`paused` switches the collector off while a model is built or walked;
* a one-shot process (the CLI) may :func:`allow_freeze`: after a large parse the objects that
  exist are moved to the permanent generation (:func:`gc.freeze`), so later collections skip
  them. Long-running processes (the MCP server) leave it off, so nothing is pinned for good.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

LARGE_BYTES = 1 << 20  # a model parsed from more text than this counts as large

_freeze = False


def allow_freeze() -> None:
    """Let large parses freeze what they built (call once, from a short-lived process)."""
    global _freeze
    _freeze = True


@contextmanager
def paused(*, large: bool = False) -> Iterator[None]:
    """The collector off for the block; with ``large`` and freezing allowed, what exists at
    the end is moved out of later collections."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if large and _freeze:
            gc.freeze()
        if enabled:
            gc.enable()
