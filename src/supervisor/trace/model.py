"""Frozen trace models: a :class:`Trace` is a columnar, ordered list of taps; :class:`Tap` is
one of them as an object (built on demand, so a 10⁵-line trace costs no 10⁵ objects).

Each tap remembers where it came from: path and 1-based line for text traces, path and byte
offset of the data for binary files.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain, count
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from supervisor.errors import ParseError
from supervisor.trace.order import Order

Qualifiers = tuple[tuple[str, str], ...]


class TraceFormatError(ParseError):
    """A trace file is empty, truncated, or not the format it claims to be."""


def label_of(name: str, qualifiers: Qualifiers) -> str:
    """``phi_tic=0 k_frac``: the qualifiers, then the name."""
    if not qualifiers:
        return name
    return " ".join([*(f"{k}={v}" for k, v in qualifiers), name])


@dataclass(frozen=True, eq=False)
class Tap:
    """One named tap: numeric ``values`` (any shape) or, for text taps, ``text``."""

    name: str
    qualifiers: Qualifiers
    occurrence: int  # 0-based among this trace's taps with the same name and qualifiers
    values: NDArray[Any] | None
    text: str | None
    dtype: str  # numpy dtype name of the values ("float64", "float32", …) or "text"
    source: str
    line: int | None = None  # 1-based (text traces)
    offset: int | None = None  # byte offset of the data (binary files)
    layer: int | None = None  # APRT header layer

    @property
    def size(self) -> int:
        return 0 if self.values is None else int(self.values.size)

    @property
    def shape(self) -> tuple[int, ...]:
        return () if self.values is None else tuple(self.values.shape)

    @property
    def label(self) -> str:
        return label_of(self.name, self.qualifiers)

    @property
    def where(self) -> str:
        if self.line is not None:
            return f"{self.source}:{self.line}"
        return f"{self.source}@{self.offset}" if self.offset is not None else self.source


@dataclass(frozen=True, eq=False)
class Trace:
    """An ordered list of taps, stored by column.

    Text traces keep every numeric value in one float64 ``buffer`` (tap ``i`` is
    ``buffer[starts[i] : starts[i] + counts[i]]``); binary traces keep one array per tap.
    """

    path: str
    format: str  # text | npy | npz | aprt | dir
    digest: str  # sha256 of the input; "" until asked for (binary inputs: see sha256)
    names: tuple[str, ...]
    qualifiers: tuple[Qualifiers, ...]
    dtypes: tuple[str, ...]  # per tap; "text" for a text tap
    texts: tuple[str | None, ...]
    counts: NDArray[np.int64]  # elements per tap (0 for a text tap)
    lines_of: NDArray[np.int64] | None = None  # text: 1-based line per tap
    buffer: NDArray[np.float64] | None = None
    starts: NDArray[np.int64] | None = None
    arrays: tuple[NDArray[Any] | None, ...] = ()
    offsets: tuple[int | None, ...] = ()
    layers: tuple[int | None, ...] = ()
    dtype: str = ""  # the taps' dtypes, comma-joined
    dtype_note: str = ""
    prefixes: tuple[str, ...] = ()
    lines: int = 0  # text: lines read; dir: files read
    skipped: tuple[tuple[str, int], ...] = ()  # (reason, count): lines or files not read
    sources: tuple[str, ...] = field(default=())  # per tap file (dir); empty: ``path``
    order: Order | None = None  # binary traces: the order the files (or taps) were read in

    def __len__(self) -> int:
        return len(self.names)

    @cached_property
    def sha256(self) -> str:
        """sha256 of the file, or for a directory of ``name\\0sha256\\n`` of its stage files
        (``name``: the file name's bytes as stored, UTF-8 or not), or for arrays passed in
        Python of each one's name, dtype, shape and bytes."""
        if self.digest:
            return self.digest
        if self.format == "memory":  # arrays passed in Python: hash what they hold
            h = hashlib.sha256()
            for i, name in enumerate(self.names):
                h.update(os.fsencode(f"{name}\0{self.dtypes[i]}\0{self.shape(i)}\n"))
                v = self.values(i)
                if v is not None:
                    h.update(np.ascontiguousarray(v).tobytes())
                else:
                    h.update(os.fsencode(str(self.texts[i])))
            return h.hexdigest()
        if self.format != "dir":
            return sha256_file(Path(self.path))
        h = hashlib.sha256()
        for f in dict.fromkeys(self.sources):
            h.update(b"%s\0%s\n" % (os.fsencode(Path(f).name), sha256_file(Path(f)).encode()))
        return h.hexdigest()

    def values(self, i: int) -> NDArray[Any] | None:
        if self.buffer is not None and self.starts is not None:
            if self.texts[i] is not None:
                return None
            s = int(self.starts[i])
            return self.buffer[s : s + int(self.counts[i])]
        return self.arrays[i]

    def shape(self, i: int) -> tuple[int, ...]:
        v = self.values(i)
        return () if v is None else tuple(v.shape)

    def source(self, i: int) -> str:
        return self.sources[i] if self.sources else self.path

    def where(self, i: int) -> str:
        if self.lines_of is not None:
            line = int(self.lines_of[i])
            return f"{self.source(i)}:{line}"
        off = self.offsets[i] if self.offsets else None
        return f"{self.source(i)}@{off}" if off is not None else self.source(i)

    @cached_property
    def occurrences(self) -> tuple[int, ...]:
        _, (ids,) = key_ids((self.names, self.qualifiers))
        return tuple(occurrences_of(ids).tolist())

    def tap(self, i: int) -> Tap:
        return Tap(
            self.names[i],
            self.qualifiers[i],
            self.occurrences[i],
            self.values(i),
            self.texts[i],
            self.dtypes[i],
            self.source(i),
            int(self.lines_of[i]) if self.lines_of is not None else None,
            self.offsets[i] if self.offsets else None,
            self.layers[i] if self.layers else None,
        )

    @cached_property
    def taps(self) -> tuple[Tap, ...]:
        return tuple(self.tap(i) for i in range(len(self)))


def key_ids(
    *columns: tuple[tuple[str, ...], tuple[Qualifiers, ...]],
) -> tuple[list[tuple[str, Qualifiers]], list[NDArray[np.int64]]]:
    """Integer ids of (name, qualifiers), shared by all ``columns``: (keys by id, ids each)."""
    keys = dict.fromkeys(chain.from_iterable(zip(n, q, strict=True) for n, q in columns))
    pos = dict(zip(keys, count()))
    ids = [
        np.fromiter(map(pos.__getitem__, zip(n, q, strict=True)), dtype=np.int64, count=len(n))
        for n, q in columns
    ]
    return list(keys), ids


def occurrences_of(ids: NDArray[np.int64]) -> NDArray[np.int64]:
    """0-based occurrence of each id among the earlier equal ids (vectorized)."""
    n = ids.size
    if not n:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    s = ids[order]
    first = np.flatnonzero(np.concatenate([[True], s[1:] != s[:-1]]))
    group_start = np.repeat(first, np.diff(np.concatenate([first, [n]])))
    occ = np.empty(n, dtype=np.int64)
    occ[order] = np.arange(n, dtype=np.int64) - group_start
    return occ


def read_bytes(p: Path) -> bytes:
    try:
        return p.read_bytes()
    except OSError as exc:
        raise TraceFormatError(
            f"cannot read: {exc.strerror}", path=p, hint="check the path"
        ) from None


def sha256_file(p: Path) -> str:
    h = hashlib.sha256()
    with p.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def from_taps(path: str, fmt: str, taps: list[Tap], **extra: Any) -> Trace:
    """A binary trace from its taps (one array each)."""
    return Trace(
        path=path,
        format=fmt,
        digest="",
        names=tuple(t.name for t in taps),
        qualifiers=tuple(t.qualifiers for t in taps),
        dtypes=tuple(t.dtype for t in taps),
        texts=tuple(t.text for t in taps),
        counts=np.array([t.size for t in taps], dtype=np.int64),
        arrays=tuple(t.values for t in taps),
        offsets=tuple(t.offset for t in taps),
        layers=tuple(t.layer for t in taps),
        sources=tuple(t.source for t in taps),
        dtype=",".join(sorted({t.dtype for t in taps})) or "none",
        **extra,
    )
