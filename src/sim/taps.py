"""Named trace taps: scoped recording of intermediate values for one pixel.

The kernel calls :func:`tap` at each named stage. Nothing is recorded, and nothing derived
is computed (pass a zero-argument callable for derived values), unless a :class:`Recorder`
is active *and* focused on a row of the current chunk::

    with taps.recording((368, 262)) as rec:      # scope: this block
        with rec.focus(row):                     # the simulator focuses the traced pixel
            ...kernel runs, tap() stores value[row]...
    rec.values["hkl_frac"]                       # detached CPU tensors, pixel axis removed

When no recorder is active a tap costs one context-variable lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from torch import Tensor

_ACTIVE: ContextVar[Recorder | None] = ContextVar("sim_taps_recorder", default=None)


class Recorder:
    """Collects tap values for one pixel (``pixel`` = (slow, fast))."""

    def __init__(self, pixel: tuple[int, int]) -> None:
        self.pixel = pixel
        self.values: dict[str, Tensor] = {}
        self._row: int | None = None

    @contextmanager
    def focus(self, row: int) -> Iterator[None]:
        """Record taps from row ``row`` of the chunk computed inside this block."""
        self._row = row
        try:
            yield
        finally:
            self._row = None

    def _store(self, name: str, value: Tensor | Callable[[], Tensor], per_pixel: bool) -> None:
        row = self._row
        if row is None:
            return
        tensor = value() if callable(value) else value
        picked = tensor[row] if per_pixel else tensor
        self.values[name] = picked.detach().to("cpu", copy=True)


@contextmanager
def recording(pixel: tuple[int, int]) -> Iterator[Recorder]:
    """Activate a recorder for ``pixel`` for the duration of the block."""
    recorder = Recorder(pixel)
    token = _ACTIVE.set(recorder)
    try:
        yield recorder
    finally:
        _ACTIVE.reset(token)


def active() -> Recorder | None:
    return _ACTIVE.get()


def tap(name: str, value: Tensor | Callable[[], Tensor], *, per_pixel: bool = True) -> None:
    """Offer a named value; ``per_pixel`` values have the chunk's pixel axis first."""
    recorder = _ACTIVE.get()
    if recorder is not None:
        recorder._store(name, value, per_pixel)
