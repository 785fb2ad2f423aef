"""The ``taps`` entries of the JSON document as text, written straight from the result's columns.

:func:`supervisor.trace.document.iter_taps` builds each entry as a dict (the definition);
:func:`tap_chunks` writes the same entries as JSON text without building them, a block of
entries at a time: per-key pieces (name, qualifiers, label) and per-shape/dtype/tolerance
pieces are encoded once; each metric column is turned into JSON numbers a block at a time by
orjson (shortest round-trip floats, in C), and a column with one value in the whole block is
written once; the block's pieces are laid out row by row in one list (a slice assignment per
column) and joined once, so no per-entry Python code runs. Failure reasons come from the
vectorized :func:`~supervisor.trace.gates.reasons_json_many` and the top-K elements of small
taps from one sort per batch. Entries it does not cover (waived, missing or structurally judged
taps, multi-dimensional taps, non-finite metrics) are encoded from :func:`iter_taps`' dict.
The document parses to exactly the dicts' document (the tests check it); only number spelling
differs (``1e-9`` where ``json`` writes ``1e-09``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from itertools import repeat
from typing import Any

import numpy as np
from numpy.typing import NDArray

from supervisor.trace.gates import reasons_json_many
from supervisor.trace.metrics import COLUMNS, FIELDS
from supervisor.trace.model import Trace
from supervisor.trace.result import FAIL, PASS, DiffResult

BLOCK = 4096

ENCODE: Callable[[Any], str] = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, separators=(", ", ": ")
).encode


def _metrics_parts(values: list[str | list[str]]) -> list[str | list[str]]:
    """The ``metrics`` object of 1-D taps as pieces: text, or a column of JSON numbers (one
    per tap), from ``values`` (per column of :data:`COLUMNS`: a block's column, or the one
    JSON number every tap of the block has)."""
    parts: list[str | list[str]] = ["{"]
    for k, (field, v) in enumerate(zip(FIELDS, values, strict=True)):
        index = field in _INDEX_FIELDS
        parts += [f'{", " if k else ""}"{field}": ' + ("[" if index else ""), v]
        if index:
            parts.append("]")
    parts.append("}")
    return parts


_INDEX_FIELDS = ("max_abs_index", "max_rel_index")
SEP = ",\n    "  # between two entries of ``taps`` in the document


def _args(parts: list[str | list[str]]) -> list[Any]:
    """``parts`` (texts, the same in every row, and columns) as iterables for ``zip``."""
    args: list[Any] = []
    text = ""
    for p in parts:
        if isinstance(p, str):
            text += p
        else:
            if text:
                args.append(repeat(text))
            args.append(p)
            text = ""
    if text:
        args.append(repeat(text))
    return args


def _rows(parts: list[str | list[str]]) -> list[str]:
    """Per row, the concatenation of ``parts``."""
    return list(map("".join, zip(*_args(parts), strict=False)))  # repeat(): endless


def _joined(parts: list[str | list[str]], rows: int, sep: str = SEP) -> str:
    """Every row's concatenation of ``parts``, each followed by ``sep``, as one text (the
    pieces laid out row by row in one list by slice assignment, then joined once)."""
    merged: list[str | list[str]] = []
    for p in [*parts, sep] if sep else parts:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        else:
            merged.append(p)
    width = len(merged)
    flat: list[str] = [""] * (rows * width)
    for k, p in enumerate(merged):
        flat[k::width] = [p] * rows if isinstance(p, str) else p
    return "".join(flat)


def _same_bits(col: NDArray[Any]) -> bool:
    """Every value of ``col`` has the bits of the first (so one JSON spelling fits all)."""
    bits = col.view(np.int64)
    return bool((bits == bits[0]).all())


def _key_ids(columns: list[NDArray[np.int64]]) -> NDArray[np.int64]:
    """Per row, an id (0..k-1) of its tuple of values across ``columns``."""
    ids = np.zeros(columns[0].size, dtype=np.int64)
    for col in columns:
        _, inv = np.unique(col, return_inverse=True)
        _, ids = np.unique(ids * (int(inv.max()) + 1) + inv, return_inverse=True)
    return ids.reshape(-1)


def tap_chunks(
    r: DiffResult, slow: Callable[[int], dict[str, Any]], escape: Callable[[str], str] = str
) -> Iterator[str]:
    """The JSON text of every ``taps`` entry, in order, each followed by :data:`SEP`, a block
    of entries a chunk; ``slow(i)`` gives entry ``i`` as a dict where the fast path does not
    apply. ``escape`` is applied to every piece that is not a number (names, paths, ...)."""
    n = len(r)
    if not n:
        return
    cols = r.cols
    with np.errstate(invalid="ignore"):
        stack = np.stack([cols[c] for c in COLUMNS if c not in ("delta", "rel_delta")])
        finite = np.isfinite(stack).all(axis=0)
        scalar_ok = (cols["n"] != 1) | (np.isfinite(cols["delta"]) & np.isfinite(cols["rel_delta"]))
    fast = (
        finite & scalar_ok & r.measured & ((r.status == PASS) | (r.status == FAIL)) & (r.match >= 0)
    )
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
    failing = np.flatnonzero(fast & (r.status == FAIL))
    reasons = reasons_json_many(cols, failing, r.tols, r.tol_id)
    small = failing[~np.isin(failing, np.fromiter(r.candidates, np.int64, len(r.candidates)))]
    covered, listed, lists = _top_texts(r, small, _texts)
    match = np.where(r.match >= 0, r.match, 0)
    # per key: the label (open: "#k" and the closing quote follow) and the name/qualifiers
    bases, heads, numbered = [], [], []
    for (name, quals), reps in zip(r.keys, r.repeats.tolist(), strict=True):
        bases.append(escape(ENCODE(" ".join([*(f"{k}={v}" for k, v in quals), name]))[:-1]))
        heads.append(escape(f'"name": {ENCODE(name)}, "qualifiers": {ENCODE(dict(quals))}'))
        numbered.append(reps > 1)
    key_id = r.key_id
    occ = r.occurrence
    label = np.array(bases, dtype=object)[key_id]
    head = np.array(heads, dtype=object)[key_id]
    hashes = np.array(["#" + t for t in _texts(occ + 1)], dtype=object)
    suffix = np.where(np.array(numbered, dtype=bool)[key_id], hashes, "")
    status = np.array(['"pass"', '"fail"', '"waived"', '"missing"'], dtype=object)[r.status]
    why = np.full(n, "[]", dtype=object)
    why[list(reasons)] = list(reasons.values())  # fixed text and numbers: nothing to escape
    top = np.full(n, "[]", dtype=object)
    top[listed] = lists
    for i in np.setdiff1d(failing, covered).tolist():  # large taps, non-finite elements
        got = r.top_of(i)
        top[i] = _top_text(got) if got else "[]"

    def where(t: Trace, rows: NDArray[np.int64]) -> list[str]:
        if t.lines_of is not None:  # text traces: line numbers
            return _texts(t.lines_of[rows])
        return [escape(ENCODE(t.where(i))) for i in rows.tolist()]

    where_a, where_b = where(a, np.arange(n, dtype=np.int64)), where(b, match)
    # the shape/dtype/tolerance piece, made once per distinct (shape, dtype, tolerance)
    mid = _mids(r, match, text_a, text_b, escape)
    index = _texts(np.arange(n, dtype=np.int64))
    occ_t = _texts(occ)
    slow_rows = np.flatnonzero(~fast)
    for lo in range(0, n, BLOCK):
        hi = min(n, lo + BLOCK)
        values: list[str | list[str]] = []
        for c in COLUMNS:
            col = cols[c][lo:hi]
            if c in ("delta", "rel_delta"):  # scalars only: NaN (written null) elsewhere
                col = np.where(scalar[lo:hi], col, np.nan)
            col = np.ascontiguousarray(col)
            if not _same_bits(col):
                values.append(_texts(col))
            elif col.dtype.kind == "f" and np.isnan(col[0]):
                values.append("null")
            else:
                values.append(_texts(col[:1])[0])
        parts: list[str | list[str]] = [
            '{"index": ', index[lo:hi], ', "label": ', label[lo:hi].tolist(),
            suffix[lo:hi].tolist(), '", ', head[lo:hi].tolist(), ', "occurrence": ', occ_t[lo:hi],
            ', "status": ', status[lo:hi].tolist(), ', "reasons": ', why[lo:hi].tolist(),
            ', "notes": [], "where": {"a": ', where_a[lo:hi], ', "b": ', where_b[lo:hi], "}, ",
            mid[lo:hi].tolist(), *_metrics_parts(values), ', "top_k": ', top[lo:hi].tolist(), "}",
        ]  # fmt: skip
        s_lo, s_hi = np.searchsorted(slow_rows, [lo, hi]).tolist()
        if s_lo == s_hi:
            yield _joined(parts, hi - lo)
            continue
        block = _rows(parts)
        for i in slow_rows[s_lo:s_hi].tolist():
            block[i - lo] = escape(ENCODE(slow(i)))
        yield SEP.join(block) + SEP


def _mids(
    r: DiffResult,
    match: NDArray[np.int64],
    text_a: bool,
    text_b: bool,
    escape: Callable[[str], str],
) -> NDArray[Any]:
    """Per tap, its ``shape``, ``dtype``, ``tolerance``, ``waiver``, ``would_pass`` pieces
    and the ``metrics`` key (fast-path taps: no waiver)."""
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
    first = np.unique(ids, return_index=True)[1].tolist()
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
    out: NDArray[Any] = np.array(texts, dtype=object)[ids]
    return out


def _texts(col: NDArray[Any]) -> list[str]:
    """JSON numbers of a 1-D int64/float64 array (finite), one string each (orjson: shortest
    round-trip floats, like ``repr`` but with ``1e-9`` for ``1e-09``)."""
    import orjson

    if not col.size:
        return []
    arr = np.ascontiguousarray(col)
    out: list[str] = orjson.dumps(arr, option=orjson.OPT_SERIALIZE_NUMPY).decode()[1:-1].split(",")
    return out


def _top_texts(
    r: DiffResult, rows: NDArray[np.int64], texts: Callable[[NDArray[Any]], list[str]]
) -> tuple[NDArray[np.int64], NDArray[np.int64], list[str]]:
    """``top_k`` JSON of the small failing taps ``rows``, selected in batches: (the taps it
    covers, the covered taps whose list is not empty, their lists). Taps of one element have
    an empty list; taps too large for a batch or with a non-finite element are not covered
    (the general path writes them)."""
    from supervisor.trace.measure import CHUNK
    from supervisor.trace.topk import select_flat

    k = r.policy.top_k
    none = np.zeros(0, dtype=np.int64)
    if k <= 0 or not rows.size:
        return none, none, []
    sizes = r.cols["n"][rows]
    keep = (sizes > 1) & (sizes <= CHUNK)
    covered = [rows[sizes <= 1]]
    listed: list[NDArray[np.int64]] = []
    lists: list[str] = []
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
        # the rows here are 1-D (the fast path's), so an element's index is its flat index
        if not segs.size:
            continue
        a_t, b_t, abs_t, rel_t = (texts(np.where(ok, x, 0.0)) for x in (xa, xb, key, rel))
        last = np.append(segs[1:] != segs[:-1], True)  # an element that ends its tap's list
        tails = np.where(last, "]\x00[", ", ").tolist()  # NUL: never in JSON text: a cut
        parts: list[str | list[str]] = [
            '{"index": [', texts(idx), '], "a": ', a_t, ', "b": ', b_t, ', "abs": ', abs_t,
            ', "rel": ', rel_t, "}", tails,
        ]  # fmt: skip
        texts_b = ("[" + _joined(parts, segs.size, sep=""))[:-2].split("\x00")
        good = ~bad[segs[last]]
        listed.append(batch[segs[last][good]])
        lists += np.array(texts_b, dtype=object)[good].tolist()
    return np.concatenate(covered), np.concatenate([none, *listed]), lists


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
