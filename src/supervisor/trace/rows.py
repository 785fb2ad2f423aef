"""The ``taps`` entries of the JSON document as UTF-8 text, written straight from the result's
columns.

:func:`supervisor.trace.document.iter_taps` builds each entry as a dict (the definition);
:func:`tap_chunks` writes the same entries without building them, a block of
:data:`BLOCK` taps at a time:

* per-key pieces (label, name, qualifiers) and per-shape/dtype/tolerance pieces are encoded
  once, and a per-tap text column that is the same over a whole block (status, reasons,
  shape, ``nonfinite``, ...) becomes one fixed piece;
* the metric columns are held as two matrices (floats, integers): a block's varying float
  columns are spelled by one orjson call (shortest round-trip, in C; non-finite: ``null``),
  a column with one value in the block is written once, a column equal to an earlier one
  over all taps shares its text, and small integers come from a table;
* the block's pieces are laid out row by row in one list (the fixed ones by list repetition,
  the columns by slice assignment) and joined once: no per-entry Python code runs;
* pieces are one-byte strings carrying UTF-8 (:func:`_wire`), so a block joins at ASCII
  speed and leaves as bytes by a ``latin-1`` copy, with no UTF-8 re-encoding;
* failure reasons come from the vectorized
  :func:`~supervisor.trace.gates.reasons_json_columns`, and the top-K elements of small taps
  from one sort per batch, written rank by rank inside the block.

Entries it does not cover (waived, missing or structurally judged taps, multi-dimensional
binary taps) are encoded from :func:`iter_taps`' dict. The document parses to exactly the
dicts' document (the tests check it); only number spelling differs (``1e-9`` where ``json``
writes ``1e-09``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np
from numpy.typing import NDArray

from supervisor.trace.gates import reasons_json_columns
from supervisor.trace.metrics import COLUMNS, FIELDS
from supervisor.trace.model import Trace
from supervisor.trace.numtext import counts, int_table, int_texts, json_numbers
from supervisor.trace.result import FAIL, PASS, DiffResult

BLOCK = 2048  # taps a chunk: small enough to stay in cache (4096 was 15% slower, one-off)

ENCODE: Callable[[Any], str] = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, separators=(", ", ": ")
).encode

Parts = list[str | list[str]]

_INDEX_FIELDS = ("max_abs_index", "max_rel_index")
SEP = ",\n    "  # between two entries of ``taps`` in the document
_SCALAR_ONLY = ("delta", "rel_delta")
# the metrics object's fixed text around each value (index fields are one-element lists)
_KEYS = [
    f'{", " if k else ""}"{f}": {"[" if f in _INDEX_FIELDS else ""}' for k, f in enumerate(FIELDS)
]
_AFTER = ["]" if f in _INDEX_FIELDS else "" for f in FIELDS]


def _metrics_parts(values: list[str | list[str]], nonfinite: str | list[str]) -> Parts:
    """The ``metrics`` object of 1-D taps as pieces: text, or a column of JSON numbers (one
    per tap), from ``values`` (per column of :data:`COLUMNS`: a block's column, or the one
    JSON number every tap of the block has; non-finite numbers are ``null``) and per tap the
    ``nonfinite`` member that ends the object, or ``""``."""
    parts: Parts = ["{"]
    for before, v, after in zip(_KEYS, values, _AFTER, strict=True):
        parts += [before, v, after] if after else [before, v]
    parts += [nonfinite, "}"]
    return parts


def _nonfinite(
    cols: dict[str, NDArray[Any]], scalar: NDArray[np.bool_]
) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """Per tap, the ``, "nonfinite": {...}`` member that names its non-finite metrics (in
    :data:`FIELDS` order, as :func:`~supervisor.trace.document.clean` does), or ``""``;
    made once per distinct pattern: (texts, pattern ids)."""
    names: list[str] = []
    codes: list[NDArray[np.int64]] = []
    for c, field in zip(COLUMNS, FIELDS, strict=True):
        col = cols[c]
        if col.dtype.kind != "f" or np.isfinite(col).all():
            continue
        code = np.select([np.isnan(col), col == np.inf, col == -np.inf], [1, 2, 3], 0)
        if c in _SCALAR_ONLY:  # null, not a number, on taps of more than one element
            code = np.where(scalar, code, 0)
        if code.any():
            names.append(field)
            codes.append(code.astype(np.int64))
    n = scalar.size
    if not codes:
        return _filled(n, ""), np.zeros(n, dtype=np.int64)
    packed = np.zeros(n, dtype=np.int64)
    for k, code in enumerate(codes):
        packed |= code << (2 * k)
    patterns, inverse = np.unique(packed, return_inverse=True)
    texts = []
    for p in patterns.tolist():
        spelled = {f: ("nan", "inf", "-inf")[(p >> 2 * k & 3) - 1]
                   for k, f in enumerate(names) if p >> 2 * k & 3}  # fmt: skip
        texts.append(f', "nonfinite": {ENCODE(spelled)}' if spelled else "")
    inverse = inverse.reshape(-1)
    return _objects(texts)[inverse], inverse


def _merged(parts: Parts) -> Parts:
    """``parts`` with adjacent fixed pieces joined."""
    merged: Parts = []
    for p in parts:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        else:
            merged.append(p)
    return merged


def _rows(parts: Parts) -> list[str]:
    """Per row, the concatenation of ``parts``."""
    args = [repeat(p) if isinstance(p, str) else p for p in _merged(parts)]
    return list(map("".join, zip(*args, strict=False)))  # repeat(): endless


def _joined(parts: Parts, rows: int, sep: str = SEP) -> str:
    """Every row's concatenation of ``parts``, each followed by ``sep``, as one text (the
    pieces laid out row by row in one list by slice assignment, then joined once)."""
    merged = _merged([*parts, sep] if sep else parts)
    width = len(merged)
    flat = [p if isinstance(p, str) else "" for p in merged] * rows  # the fixed pieces
    for k, p in enumerate(merged):
        if not isinstance(p, str):
            flat[k::width] = p
    return "".join(flat)


def _key_ids(columns: list[NDArray[np.int64]]) -> NDArray[np.int64]:
    """Per row, an id (0..k-1) of its tuple of values across ``columns``."""
    ids = np.zeros(columns[0].size, dtype=np.int64)
    for col in columns:
        if not col.size or (col == col[0]).all():  # one value: no rows told apart
            continue
        _, inv = np.unique(col, return_inverse=True)
        _, ids = np.unique(ids * (int(inv.max()) + 1) + inv, return_inverse=True)
    return ids.reshape(-1)


class _Grid:
    """The metric columns of the taps, floats and integers each as one matrix (a row per
    column of :data:`COLUMNS`, ``delta``/``rel_delta`` NaN on taps of more than one element),
    spelled as JSON a block of taps at a time."""

    def __init__(self, cols: dict[str, NDArray[Any]], scalar: NDArray[np.bool_]) -> None:
        self.kinds = [cols[c].dtype.kind for c in COLUMNS]
        floats = [np.where(scalar, cols[c], np.nan) if c in _SCALAR_ONLY else cols[c]
                  for c in COLUMNS if cols[c].dtype.kind == "f"]  # fmt: skip
        self.floats = np.stack(floats).astype(np.float64, copy=False)
        self.ints = np.stack([cols[c] for c in COLUMNS if cols[c].dtype.kind != "f"])
        # float columns equal, bit for bit, to an earlier one over all taps share its text
        bits = self.floats.view(np.int64)
        keys = bits.sum(axis=1).tolist()  # (wrapping) fingerprints: equal rows alike
        first_of: dict[int, int] = {}
        self.alias: dict[int, int] = {}
        for k, key in enumerate(keys):
            j = first_of.setdefault(key, k)
            if j != k and np.array_equal(bits[j], bits[k]):
                self.alias[k] = j

    def block(self, lo: int, hi: int) -> list[str | list[str]]:
        """Per column (in :data:`COLUMNS` order), for taps ``lo..hi``: the one JSON number
        they all have (``null`` for NaN), or their JSON numbers; the varying float columns
        are spelled by one call."""
        f, i = self.floats[:, lo:hi], self.ints[:, lo:hi]
        bits = f.view(np.int64)
        f_same = (bits == bits[:, :1]).all(axis=1).tolist()
        i_same = (i == i[:, :1]).all(axis=1).tolist()
        firsts = json_numbers(f[:, 0])  # non-finite: null
        spelled = [k for k, same in enumerate(f_same) if not same and k not in self.alias]
        m = hi - lo
        flat = json_numbers(f[spelled].ravel()) if spelled else []
        lists = {k: flat[n * m : (n + 1) * m] for n, k in enumerate(spelled)}
        out: list[str | list[str]] = []
        fk = ik = 0
        for kind in self.kinds:
            if kind == "f":
                out.append(firsts[fk] if f_same[fk] else lists[self.alias.get(fk, fk)])
                fk += 1
            else:
                out.append(str(int(i[ik, 0])) if i_same[ik] else counts(i[ik]))
                ik += 1
        return out


def tap_chunks(
    r: DiffResult, slow: Callable[[int], dict[str, Any]], escape: Callable[[str], str] = str
) -> Iterator[bytes]:
    """The UTF-8 JSON text of every ``taps`` entry, in order, each followed by :data:`SEP`, a
    block of entries a chunk; ``slow(i)`` gives entry ``i`` as a dict where the fast path does
    not apply. ``escape`` is applied to every piece that is not a number (names, paths, ...)."""
    n = len(r)
    if not n:
        return
    cols = r.cols
    fast = r.measured & ((r.status == PASS) | (r.status == FAIL)) & (r.match >= 0)
    for i in r.structural:
        fast[i] = False
    for i in r.waiver_of:
        fast[i] = False
    a, b = r.a, r.b
    text_a, text_b = a.lines_of is not None, b.lines_of is not None
    if a.buffer is None:  # binary: multi-dimensional taps take the general path
        for i in np.flatnonzero(fast).tolist():
            if len(a.shape(i)) > 1:
                fast[i] = False
    scalar = cols["n"] == 1
    nonfinite, nonfinite_code = _nonfinite(cols, scalar)
    grid = _Grid(cols, scalar)
    failing = np.flatnonzero(fast & (r.status == FAIL))
    given, reasons = reasons_json_columns(cols, failing, r.tols, r.tol_id, _wire)
    small = failing[~np.isin(failing, np.fromiter(r.candidates, np.int64, len(r.candidates)))]
    covered, elements = _top_elements(r, small)
    match = np.where(r.match >= 0, r.match, 0)
    # per key: the label (open: "#k" and the closing quote follow) and the name/qualifiers
    bases, heads, numbered = [], [], []
    for (name, quals), reps in zip(r.keys, r.repeats.tolist(), strict=True):
        bases.append(_wire(escape(ENCODE(" ".join([*(f"{k}={v}" for k, v in quals), name]))[:-1])))
        heads.append(_wire(escape(f'"name": {ENCODE(name)}, "qualifiers": {ENCODE(dict(quals))}')))
        numbered.append(reps > 1)
    key_id = r.key_id
    occ = r.occurrence
    label = _objects(bases)[key_id]
    head = _objects(heads)[key_id]
    lines = [t.lines_of for t in (a, b) if t.lines_of is not None]
    ints = int_table(min(max([n + 1, *(int(x.max(initial=0)) + 1 for x in lines)]), 4 * n))
    hashes = _objects(["#" + t for t in int_texts(np.arange(int(occ.max()) + 2), ints).tolist()])
    suffix_code = np.where(np.array(numbered, dtype=bool)[key_id], occ + 1, 0)
    suffix = np.where(suffix_code > 0, hashes[occ + 1], _objects([""]))
    status = _objects(['"pass"', '"fail"', '"waived"', '"missing"'])[r.status]
    why = _filled(n, "[]")
    why_code = np.zeros(n, dtype=np.int64)  # 0: no reasons; else one code a tap
    why[given] = _objects(reasons)
    why_code[given] = np.arange(1, given.size + 1)
    top = _filled(n, "[]")  # taps without listed elements: their whole value
    top_code = np.zeros(n, dtype=np.int64)
    left = np.zeros(n, dtype=bool)
    left[failing] = True
    left[covered] = False
    for i in np.flatnonzero(left).tolist():  # large taps, non-finite elements
        got = r.top_of(i)
        top[i] = _wire(_top_text(got)) if got else "[]"
        top_code[i] = i + 1

    def where(t: Trace, rows: NDArray[np.int64]) -> NDArray[Any]:
        if t.lines_of is not None:  # text traces: line numbers
            return int_texts(t.lines_of[rows], ints)
        return _objects([_wire(escape(ENCODE(t.where(i)))) for i in rows.tolist()])

    where_a, where_b = where(a, np.arange(n, dtype=np.int64)), where(b, match)
    # the shape/dtype/tolerance piece, made once per distinct (shape, dtype, tolerance)
    mid, mid_code = _mids(r, match, text_a, text_b, escape)
    index, occ_t = ints[:n], int_texts(occ, ints)
    slow_rows = np.flatnonzero(~fast)
    for lo in range(0, n, BLOCK):
        hi = min(n, lo + BLOCK)
        parts: Parts = [
            '{"index": ', index[lo:hi].tolist(), ', "label": ', _piece(label, key_id, lo, hi),
            _piece(suffix, suffix_code, lo, hi), '", ', head[lo:hi].tolist(), ', "occurrence": ',
            occ_t[lo:hi].tolist(), ', "status": ', _piece(status, r.status, lo, hi),
            ', "reasons": ', _piece(why, why_code, lo, hi), ', "notes": [], "where": {"a": ',
            where_a[lo:hi].tolist(), ', "b": ', where_b[lo:hi].tolist(), "}, ",
            _piece(mid, mid_code, lo, hi),
            *_metrics_parts(grid.block(lo, hi), _piece(nonfinite, nonfinite_code, lo, hi)),
            ', "top_k": ', *_top_parts(elements, lo, hi, top, top_code), "}",
        ]  # fmt: skip
        s_lo, s_hi = np.searchsorted(slow_rows, [lo, hi]).tolist()
        if s_lo == s_hi:
            yield _joined(parts, hi - lo).encode("latin-1")
            continue
        rows = _rows(parts)
        for i in slow_rows[s_lo:s_hi].tolist():
            rows[i - lo] = _wire(escape(ENCODE(slow(i))))
        yield (SEP.join(rows) + SEP).encode("latin-1")


def _wire(text: str) -> str:
    """``text`` as its UTF-8 bytes, one character a byte (latin-1): pieces in this form join
    into a one-byte-per-character string, which ``encode("latin-1")`` copies out as UTF-8."""
    return text if text.isascii() else text.encode().decode("latin-1")


def _piece(texts: NDArray[Any], codes: NDArray[Any], lo: int, hi: int) -> str | list[str]:
    """Rows ``lo..hi`` of a per-tap text column: one fixed piece when their ``codes`` (equal
    codes, equal texts) are all the same, else the texts."""
    c = codes[lo:hi]
    if (c == c[0]).all():
        text: str = texts[lo]
        return text
    out: list[str] = texts[lo:hi].tolist()
    return out


def _filled(n: int, text: str) -> NDArray[Any]:
    """An object array of ``n`` times ``text`` (``np.full`` casts through a string array:
    30 times slower)."""
    out: NDArray[Any] = np.empty(n, dtype=object)
    out.fill(text)
    return out


def _objects(items: list[str]) -> NDArray[Any]:
    """``items`` as a 1-D object array (to be indexed by an id column)."""
    out: NDArray[Any] = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _mids(
    r: DiffResult,
    match: NDArray[np.int64],
    text_a: bool,
    text_b: bool,
    escape: Callable[[str], str],
) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """Per tap, its ``shape``, ``dtype``, ``tolerance``, ``waiver``, ``would_pass`` pieces
    and the ``metrics`` key (fast-path taps: no waiver), and the id of that text."""
    a, b = r.a, r.b
    n = len(r)

    def shape_ids(t: Any, rows: NDArray[np.int64], text: bool) -> NDArray[np.int64]:
        if text:
            return np.asarray(t.counts, dtype=np.int64)[rows]
        seen: dict[tuple[int, ...], int] = {}
        return np.array([seen.setdefault(t.shape(i), len(seen)) for i in rows.tolist()])

    def dtype_ids(dtypes: tuple[str, ...], rows: NDArray[np.int64]) -> NDArray[np.int64]:
        if len(set(dtypes)) <= 1:
            return np.zeros(rows.size, dtype=np.int64)
        seen: dict[str, int] = {}
        return np.array([seen.setdefault(d, len(seen)) for d in dtypes], dtype=np.int64)[rows]

    rows = np.arange(n, dtype=np.int64)
    ids = _key_ids(
        [
            shape_ids(a, rows, text_a),
            shape_ids(b, match, text_b),
            dtype_ids(a.dtypes, rows),
            dtype_ids(b.dtypes, match),
            r.tol_id.astype(np.int64),
        ]
    )
    first = [0] if not ids.any() else np.unique(ids, return_index=True)[1].tolist()
    texts = []
    for i in first:
        j = int(match[i])
        shape_a = (int(a.counts[i]),) if text_a else a.shape(i)
        shape_b = (int(b.counts[j]),) if text_b else b.shape(j)
        dtypes = ENCODE({"a": a.dtypes[i], "b": b.dtypes[j]})
        texts.append(
            f'"shape": {{"a": {ENCODE(list(shape_a))}, "b": {ENCODE(list(shape_b))}}}, '
            f'"dtype": {escape(dtypes)}, '
            f'"tolerance": {int(r.tol_id[i])}, "waiver": null, "would_pass": null, "metrics": '
        )
    return _objects([_wire(t) for t in texts])[ids], ids


@dataclass(frozen=True)
class _Elements:
    """The top-K elements of the small failing taps the column writer lists, as columns in
    order of tap row, then rank (all values finite)."""

    row: NDArray[np.int64]
    rank: NDArray[np.int64]
    index: NDArray[np.int64]  # flat index (the taps here are 1-D)
    a: NDArray[np.float64]
    b: NDArray[np.float64]
    abs: NDArray[np.float64]
    rel: NDArray[np.float64]


def _top_elements(r: DiffResult, rows: NDArray[np.int64]) -> tuple[NDArray[np.int64], _Elements]:
    """The top-K elements of the small failing taps ``rows``, selected in batches: (the taps
    covered, their elements). Taps of one element list none; taps too large for a batch or
    with a non-finite element are not covered (the general path writes them)."""
    from supervisor.trace.measure import CHUNK
    from supervisor.trace.topk import select_flat

    k = r.policy.top_k
    ints, floats = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    if k <= 0 or not rows.size:
        return ints, _Elements(ints, ints, ints, floats, floats, floats, floats)
    sizes = r.cols["n"][rows]
    keep = (sizes > 1) & (sizes <= CHUNK)
    covered = [rows[sizes <= 1]]
    found: list[tuple[NDArray[Any], ...]] = []
    todo = rows[keep]
    sizes = sizes[keep]
    flat_text = r.a.buffer is not None and r.b.buffer is not None
    ends = np.cumsum(sizes)
    lo = 0
    while lo < todo.size:
        base = int(ends[lo - 1]) if lo else 0
        hi = max(lo + 1, int(np.searchsorted(ends, base + CHUNK, side="right")))
        batch, lengths = todo[lo:hi], sizes[lo:hi]
        lo = hi
        if flat_text:
            assert r.a.buffer is not None and r.b.buffer is not None
            assert r.a.starts is not None and r.b.starts is not None
            shift = np.repeat(np.cumsum(lengths) - lengths, lengths)
            pos = np.arange(int(lengths.sum()), dtype=np.int64) - shift
            xa_all = r.a.buffer[np.repeat(r.a.starts[batch], lengths) + pos]
            xb_all = r.b.buffer[np.repeat(r.b.starts[r.match[batch]], lengths) + pos]
        else:
            pairs = [(r.a.values(i), r.b.values(int(r.match[i]))) for i in batch.tolist()]
            xa_all = np.concatenate([np.ravel(x) for x, _ in pairs]).astype(np.float64)  # type: ignore[arg-type]
            xb_all = np.concatenate([np.ravel(y) for _, y in pairs]).astype(np.float64)  # type: ignore[arg-type]
        segs, idx, key, xa, xb = select_flat(xa_all, xb_all, lengths, k)
        with np.errstate(all="ignore"):
            den = np.maximum(np.abs(xa), np.abs(xb))
            rel = np.where((den > 0) & np.isfinite(key), key / den, np.inf)
        ok = np.isfinite(xa) & np.isfinite(xb) & np.isfinite(key) & np.isfinite(rel)
        bad = np.zeros(batch.size, dtype=bool)
        bad[segs[~ok]] = True
        covered.append(batch[~bad])
        keep = ~bad[segs]  # the elements of the taps written here
        segs = segs[keep]
        first = np.flatnonzero(np.r_[True, segs[1:] != segs[:-1]]) if segs.size else ints
        rank = np.arange(segs.size) - np.repeat(first, np.diff(np.r_[first, segs.size]))
        found.append((batch[segs], rank, idx[keep], xa[keep], xb[keep], key[keep], rel[keep]))
    empty = (ints, ints, ints, floats, floats, floats, floats)
    cols = [np.concatenate(col) for col in zip(empty, *found, strict=True)]
    return np.concatenate(covered), _Elements(*cols)


def _top_parts(
    el: _Elements, lo: int, hi: int, fixed: NDArray[Any], fixed_code: NDArray[np.int64]
) -> Parts:
    """The ``top_k`` values of rows ``lo..hi`` as pieces: a listed tap's elements, a rank at a
    time (when every row lists as many, with fixed pieces between them), else the row's
    ``fixed`` text."""
    s, e = np.searchsorted(el.row, [lo, hi]).tolist()
    if s == e:
        return [_piece(fixed, fixed_code, lo, hi)]
    m = hi - lo
    rows, rank = el.row[s:e] - lo, el.rank[s:e]
    listed = np.zeros(m, dtype=bool)
    listed[rows] = True
    head = fixed[lo:hi].copy()
    head[listed] = "["
    parts: Parts = [head.tolist()]
    numbers = [counts(el.index[s:e])]
    numbers += [json_numbers(x[s:e]) for x in (el.a, el.b, el.abs, el.rel)]
    after = ['], "a": ', ', "b": ', ', "abs": ', ', "rel": ', "}"]
    each = (e - s) // m
    if each * m == e - s and bool((rank == np.tile(np.arange(each), m)).all()):
        # every row lists the same number of elements: rank j is every each-th element
        for j in range(each):
            parts.append('{"index": [' if j == 0 else ', {"index": [')
            for texts, text in zip(numbers, after, strict=True):
                parts += [texts[j::each], text]
        parts.append("]")
        return parts
    columns = [_objects(t) for t in numbers]
    for j in range(int(rank.max()) + 1):
        at = np.flatnonzero(rank == j)

        def spread(piece: str | NDArray[Any], at: NDArray[np.int64] = at) -> list[str]:
            """``piece`` (fixed text, or a column of the block's elements) on the rows that
            list a rank-j element, nothing on the others."""
            out = _filled(m, "")
            out[rows[at]] = piece if isinstance(piece, str) else piece[at]
            spread_out: list[str] = out.tolist()
            return spread_out

        parts.append(spread('{"index": [' if j == 0 else ', {"index": ['))
        for column, text in zip(columns, after, strict=True):
            parts += [spread(column), spread(text)]
    parts.append("]" if listed.all() else np.where(listed, "]", "").astype(object).tolist())
    return parts


def _top_text(top: Any) -> str:
    import math

    parts = []
    for el in top:
        if all(map(math.isfinite, (el.a, el.b, el.abs, el.rel))):
            at = ", ".join(map(str, el.index))
            parts.append(
                f'{{"index": [{at}], "a": {el.a!r}, "b": {el.b!r}, "abs": {el.abs!r}, '
                f'"rel": {el.rel!r}}}'
            )
        else:
            from supervisor.trace.document import _element

            parts.append(ENCODE(_element(el)))
    return "[" + ", ".join(parts) + "]"
