"""The text trace reader (line forms documented in :mod:`supervisor.trace.parse`).

One pass over the lines with a fast path for the common ``PREFIX: name v1 v2 …`` line; all
values are collected as strings and converted to float64 in one numpy call, falling back to a
per-line scan only to name the line of a bad value.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from supervisor.escapes import quoted
from supervisor.trace.model import Qualifiers, Trace, TraceFormatError, read_bytes

_HEAD = re.compile(r"^[ \t]*([A-Za-z_]\w*):", re.MULTILINE)
# a word character (letter, _), or an undecodable byte (surrogateescape), then also . - / digits
_NAME = re.compile("(?:[^\\W\\d]|[\udc80-\udcff])[\\w.\\-/\udc80-\udcff]*\\Z")
_SEPARATORS = str.maketrans({"[": " ", "]": " ", ";": " ", ",": " "})
HINT = "trace lines look like 'TRACE_X: [k=v ...] name v1 [v2 ...]'"


def _number_or_none(tok: str) -> float | None:
    try:
        return float(tok)
    except ValueError:
        return None


def _assigned(raw: str) -> list[str] | None:
    """Value tokens of an assignment-form line, or None when they are not all numbers."""
    out = []
    for tok in raw.translate(_SEPARATORS).split():
        v = tok.rsplit(":", 1)[-1]
        if _number_or_none(v) is None:
            return None
        out.append(v)
    return out or None


def _quals(toks: list[str]) -> Qualifiers:
    return tuple(sorted((k, v) for k, _, v in (t.partition("=") for t in toks)))


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.vals: list[str] = []  # value tokens not yet converted
        self.done: list[NDArray[np.float64]] = []  # converted blocks, in order
        self.base = 0  # values converted so far
        self.names: list[str] = []
        self.quals: list[Qualifiers] = []
        self.counts: list[int] = []
        self.texts: list[str | None] = []
        self.lines: list[int] = []
        self.qcache: dict[str, Qualifiers] = {}  # one k=v token -> qualifiers
        self.known: dict[str, str] = {}  # tap names seen, to one shared str object each

    def error(self, line: int, message: str, hint: str = HINT) -> TraceFormatError:
        return TraceFormatError(message, path=self.path, line=line, hint=hint)

    def add(self, name: str, quals: Qualifiers, vals: list[str], line: int) -> None:
        self.names.append(name)
        self.quals.append(quals)
        self.counts.append(len(vals))
        self.texts.append(None)
        self.lines.append(line)
        self.vals.extend(vals)

    def add_text(self, name: str, quals: Qualifiers, raw: str, line: int) -> None:
        self.names.append(name)
        self.quals.append(quals)
        self.counts.append(0)
        self.texts.append(raw)
        self.lines.append(line)

    def assigned(self, name: str, quals: Qualifiers, raw: str, line: int) -> None:
        vals = _assigned(raw)
        if vals is None:
            self.add_text(name, quals, raw, line)
        else:
            self.add(name, quals, vals, line)

    def record(self, toks: list[str], line: int) -> None:
        pairs = [t.partition("=") for t in toks]
        quals = tuple(sorted((k, v) for k, _, v in pairs if k.endswith("_tic")))
        for k, _, v in pairs:
            if not k:
                raise self.error(line, f"empty key in '={v}'")
            if not k.endswith("_tic"):
                self.assigned(k, quals, v, line)

    def is_name(self, tok: str) -> bool:
        if tok in self.known:
            return True
        if _NAME.match(tok) and _number_or_none(tok) is None:
            self.known[tok] = tok
            return True
        return False

    def line(self, toks: list[str], line: int) -> None:
        """A ``PREFIX:`` line's tokens (tap, assignment or record form)."""
        if not toks:
            raise self.error(line, "trace line has no tap name")
        n = len(toks)
        i = 0
        while i < n and "=" in toks[i]:
            i += 1
        if i < n and (toks[i] in self.known or self.is_name(toks[i])):  # tap form
            if n == i + 1:
                raise self.error(line, f"tap '{toks[i]}' has no values (truncated line?)")
            if i == 1:
                quals = self.qcache.get(toks[0]) or self.qcache.setdefault(
                    toks[0], _quals(toks[:1])
                )
            else:
                quals = _quals(toks[:i])
            self.names.append(self.known[toks[i]])
            self.quals.append(quals)
            self.counts.append(n - i - 1)
            self.texts.append(None)
            self.lines.append(line)
            self.vals.extend(toks[i + 1 :])
        elif i == 0:
            raise self.error(line, f"expected a tap name, found {quoted(toks[0])}")
        elif i == len(toks) and i >= 2:  # record form
            self.record(toks, line)
        else:  # [k=v …] name=v1 v2 …
            name, _, first = toks[i - 1].partition("=")
            if not name:
                raise self.error(line, f"empty tap name in {quoted(toks[i - 1])}")
            self.assigned(name, _quals(toks[: i - 1]), " ".join([first, *toks[i:]]).strip(), line)

    def convert(self) -> None:
        """Convert the pending value tokens to float64 (one numpy call a block)."""
        if self.vals:
            try:
                self.done.append(np.array(self.vals, dtype=np.float64))
            except ValueError:
                raise self.bad_value() from None
            self.base += len(self.vals)
            self.vals.clear()

    def bad_value(self) -> TraceFormatError:
        """The first non-numeric pending value, with its tap and line (after a failed block)."""
        k, tok = next((k, t) for k, t in enumerate(self.vals) if _number_or_none(t) is None)
        ends = np.cumsum(np.array(self.counts, dtype=np.int64))
        t = int(np.searchsorted(ends, self.base + k, side="right"))
        return self.error(
            self.lines[t],
            f"non-numeric value {quoted(tok)} in tap {quoted(self.names[t])}",
            "tap values must be numbers (nan and inf are allowed)",
        )


def _auto_prefixes(heads: Counter[str]) -> tuple[str, ...]:
    ranked = [(n, -i, h) for i, (h, n) in enumerate(heads.items())]
    traced = [r for r in ranked if r[2].upper().startswith("TRACE")]
    pool = traced or ranked
    return (max(pool)[2],) if pool else ()


def read_text(p: Path, prefixes: tuple[str, ...], dtype: str | None) -> Trace:
    data = read_bytes(p)
    digest = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if b"\0" in data:  # binary data, not a log with a stray byte
            raise TraceFormatError(
                f"not a UTF-8 text trace (byte offset {exc.start}) and not .npy/.npz/APRT",
                path=p,
                hint="pass a text trace, a .npy/.npz file, an APRT stage file or a directory",
            ) from None
        # bytes that are not UTF-8 are kept (surrogateescape): compared as the bytes they are,
        # shown as \xff (supervisor.escapes)
        text = data.decode("utf-8", "surrogateescape")
    del data
    if not text.strip():
        raise TraceFormatError("empty trace file", path=p, hint="the producer wrote nothing")
    chosen = prefixes or _auto_prefixes(Counter(_HEAD.findall(text, 0, 1 << 16)))
    if not chosen:
        chosen = _auto_prefixes(Counter(_HEAD.findall(text)))
    pset = frozenset(chosen)
    rec_heads = tuple(f"{x}_" for x in chosen)
    r = _Reader(p)
    skipped: Counter[str] = Counter()
    lines = text.splitlines()
    del text
    known, qcache = r.known, r.qcache
    add_name, add_quals, add_count = r.names.append, r.quals.append, r.counts.append
    add_text, add_line, add_vals = r.texts.append, r.lines.append, r.vals.extend
    for lineno, raw in enumerate(lines, 1):
        if not lineno & 0x3FFF:
            r.convert()  # bounded memory: value tokens become floats a block at a time
        head, sep, rest = raw.partition(":")
        if sep and head in pset:
            toks = rest.split()
            # fast paths: "name v…" and "k=v name v…" with a name already seen
            if len(toks) > 1 and toks[0] in known:
                quals: Qualifiers = ()
                k = 1
            elif len(toks) > 2 and toks[1] in known and toks[0] in qcache:
                quals = qcache[toks[0]]
                k = 2
            else:
                r.line(toks, lineno)
                continue
            add_name(known[toks[k - 1]])
            add_quals(quals)
            add_count(len(toks) - k)
            add_text(None)
            add_line(lineno)
            add_vals(toks[k:])
            continue
        if sep and head.strip() in pset:
            r.line(rest.split(), lineno)
            continue
        toks = raw.split()
        if not toks:
            skipped["blank"] += 1
        elif (
            len(toks) > 1
            and toks[0].startswith(rec_heads)
            and ":" not in toks[0]
            and all("=" in t for t in toks[1:])
        ):
            r.record(toks[1:], lineno)
        elif sep and head.strip().isidentifier():
            skipped[f"prefix {head.strip()}:"] += 1
        else:
            skipped["not a trace line"] += 1
    n_lines = len(lines)
    if not r.names:
        heads = Counter(_HEAD.findall("\n".join(lines))).most_common(5)
        seen = ", ".join(f"{h}: ({n})" for h, n in heads) or "none"
        raise TraceFormatError(
            f"no trace lines among {n_lines} lines (prefixes seen: {seen})",
            path=p,
            hint="pass --prefix NAME for the trace prefix, or check the file is a trace",
        )
    del lines
    r.convert()
    buffer = np.concatenate(r.done) if r.done else np.zeros(0, dtype=np.float64)
    r.done.clear()
    counts = np.array(r.counts, dtype=np.int64)
    starts = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    dtypes, note = _dtypes(r, buffer, starts, counts, dtype)
    return Trace(
        path=str(p),
        format="text",
        digest=digest,
        names=tuple(r.names),
        qualifiers=tuple(r.quals),
        dtypes=dtypes,
        texts=tuple(r.texts),
        counts=counts,
        lines_of=np.array(r.lines, dtype=np.int64),
        buffer=buffer,
        starts=starts,
        dtype=",".join(sorted({d for d in dtypes if d != "text"})) or "text",
        dtype_note=note,
        prefixes=tuple(chosen),
        lines=n_lines,
        skipped=tuple(sorted(skipped.items())),
    )


def _wide(buffer: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Values that carry 12 or more significant digits: scaled to 11 integer digits, they
    are not whole numbers (exact for shortest round-trip output such as Python's repr)."""
    with np.errstate(all="ignore"):
        ax = np.abs(buffer)
        ok = np.isfinite(ax) & (ax > 0)
        e = np.floor(np.log10(np.where(ok, ax, 1.0)))
        m = ax * np.power(10.0, 10.0 - e)
        out: NDArray[np.bool_] = ok & np.isfinite(m) & (np.abs(m - np.rint(m)) > 1e-4)
    return out


def _dtypes(
    r: _Reader,
    buffer: NDArray[np.float64],
    starts: NDArray[np.int64],
    counts: NDArray[np.int64],
    given: str | None,
) -> tuple[tuple[str, ...], str]:
    """Per tap: float64 when some value carries >= 12 significant digits, unless every value is
    exactly a float32 (a float32 printed as a double: float32); taps whose values are all short
    take float64 if any tap is float64, else float32 (the trace's precision)."""
    is_text = np.array([t is not None for t in r.texts], dtype=bool)
    if given:
        return tuple("text" if t else given for t in is_text.tolist()), "given (--dtype)"
    numeric = ~is_text
    nums = np.flatnonzero(numeric)
    wide = np.zeros(len(counts), dtype=bool)
    exact = np.ones(len(counts), dtype=bool)
    if nums.size:
        wide[nums] = np.logical_or.reduceat(_wide(buffer), starts[nums])
        with np.errstate(all="ignore"):
            exact_el = (buffer.astype(np.float32).astype(np.float64) == buffer) | np.isnan(buffer)
        exact[nums] = np.logical_and.reduceat(exact_el, starts[nums])
    f32, f64 = wide & exact & numeric, wide & ~exact & numeric
    default = "float64" if f64.any() else "float32"
    code = np.where(is_text, 0, np.where(f32, 1, np.where(f64, 2, 3)))
    names = ("text", "float32", "float64", default)  # one str object per dtype name
    note = (
        f"inferred per tap: {int(f64.sum())} float64 (>= 12 significant digits), "
        f"{int(f32.sum())} float32 (full-length values, all exactly float32), "
        f"{int((numeric & ~wide).sum())} short ({default}, the trace's precision)"
    )
    return tuple(map(names.__getitem__, code.tolist())), note
