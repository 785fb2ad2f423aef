"""The ``taps`` entries of the JSON document as text, written straight from the result's columns.

:func:`supervisor.trace.document.iter_taps` builds each entry as a dict (the definition);
:func:`tap_lines` writes the same entries as JSON text without building them: per-key pieces
(name, qualifiers, label base) and per-shape/dtype pieces are encoded once; each metric column
is turned into JSON numbers a block at a time by orjson (shortest round-trip floats, in C);
failure reasons come from the vectorized :func:`~supervisor.trace.gates.reasons_many` and the
top-K elements of small taps from one sort per batch. Entries it does not cover (text taps,
waived, missing or structurally judged taps, multi-dimensional taps, non-finite metrics) are
encoded from :func:`iter_taps`' dict. The document parses to exactly the dicts' document (the
tests check it); only number spelling differs (``1e-9`` where ``json`` writes ``1e-09``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from supervisor.trace.gates import reasons_many
from supervisor.trace.metrics import COLUMNS, unravel
from supervisor.trace.result import FAIL, PASS, DiffResult

BLOCK = 4096

ENCODE: Callable[[Any], str] = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, separators=(", ", ": ")
).encode
_STR: Callable[[str], str] = json.encoder.encode_basestring


_METRICS = (
    '{{"n": {}, "nan_a": {}, "inf_a": {}, "nan_b": {}, "inf_b": {}, "nonfinite_mismatch": {}, '
    '"delta": {}, "rel_delta": {}, "max_abs": {}, "max_abs_index": [{}], "max_abs_a": {}, '
    '"max_abs_b": {}, "max_rel": {}, "max_rel_index": [{}], "rms_diff": {}, "ref_rms": {}, '
    '"rel_rms": {}, "norm_a": {}, "norm_b": {}, "norm_ratio": {}, "cosine": {}, "sqnr_db": {}, '
    '"mismatch": {}, "mismatch_fraction": {}, "worst_tol_ratio": {}, "rel_err": {}}}'
).format  # the metrics object, fields in COLUMNS order; 1-D taps (flat indices)


def _shape_text(shape: tuple[int, ...], cache: dict[tuple[int, ...], str]) -> str:
    s = cache.get(shape)
    if s is None:
        s = cache[shape] = ENCODE(list(shape))
    return s


def tap_lines(r: DiffResult, slow: Callable[[int], dict[str, Any]]) -> Iterator[str]:
    """The JSON text of every ``taps`` entry, in order; ``slow(i)`` gives entry ``i`` as a
    dict where the fast path does not apply."""
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
    if r.a.buffer is None:  # binary: multi-dimensional taps take the general path
        for i in np.flatnonzero(fast).tolist():
            if len(r.a.shape(i)) > 1:
                fast[i] = False
    scalar = cols["n"] == 1
    failing = np.flatnonzero(fast & (r.status == FAIL))
    reasons = reasons_many(cols, failing, r.tols, r.tol_id)
    tops = _top_texts(r, [i for i in failing.tolist() if i not in r.candidates], _texts)
    a, b = r.a, r.b
    text_a, text_b = a.lines_of is not None, b.lines_of is not None
    key_pieces = []
    for (name, quals), reps in zip(r.keys, r.repeats.tolist(), strict=True):
        base = ENCODE(" ".join([*(f"{k}={v}" for k, v in quals), name]))
        key_pieces.append((ENCODE(name), ENCODE(dict(quals)), base[:-1], reps > 1))
    shapes: dict[tuple[int, ...], str] = {}
    dtypes: dict[tuple[str, str], str] = {}
    key_id = r.key_id.tolist()
    occ = r.occurrence.tolist()
    match = r.match.tolist()
    tol_id = r.tol_id.tolist()
    fast_l = fast.tolist()
    status_l = r.status.tolist()
    lines_a = a.lines_of.tolist() if a.lines_of is not None else None
    lines_b = b.lines_of.tolist() if b.lines_of is not None else None
    counts_a = a.counts.tolist()
    counts_b = b.counts.tolist()
    texts = _texts
    for lo in range(0, n, BLOCK):
        hi = min(n, lo + BLOCK)
        block = []
        for c in COLUMNS:
            col = cols[c][lo:hi]
            if c in ("delta", "rel_delta"):  # scalars only: NaN (written null) elsewhere
                col = np.where(scalar[lo:hi], col, np.nan)
            block.append(texts(np.ascontiguousarray(col)))
        metrics = list(map(_METRICS, *block))
        for k, m in enumerate(metrics):
            i = lo + k
            if not fast_l[i]:
                yield ENCODE(slow(i))
                continue
            j = match[i]
            name_t, quals_t, base, numbered = key_pieces[key_id[i]]
            label = f'{base}#{occ[i] + 1}"' if numbered else f'{base}"'
            where_a = lines_a[i] if lines_a is not None else ENCODE(a.where(i))
            where_b = lines_b[j] if lines_b is not None else ENCODE(b.where(j))
            shape_a = (counts_a[i],) if text_a else a.shape(i)
            shape_b = (counts_b[j],) if text_b else b.shape(j)
            dt = (a.dtypes[i], b.dtypes[j])
            dtype_t = dtypes.get(dt)
            if dtype_t is None:
                dtype_t = dtypes[dt] = ENCODE({"a": dt[0], "b": dt[1]})
            if status_l[i] == PASS:
                st, why = '"pass"', "[]"
            else:
                st, why = '"fail"', "[" + ", ".join(map(_STR, reasons.get(i, ()))) + "]"
            top_t = tops.get(i)
            if top_t is None:
                top = r.top_of(i)
                top_t = _top_text(top) if top else "[]"
            yield (
                f'{{"index": {i}, "label": {label}, "name": {name_t}, "qualifiers": {quals_t}, '
                f'"occurrence": {occ[i]}, "status": {st}, "reasons": {why}, "notes": [], '
                f'"where": {{"a": {where_a}, "b": {where_b}}}, '
                f'"shape": {{"a": {_shape_text(shape_a, shapes)}, "b": '
                f"{_shape_text(shape_b, shapes)}}}, "
                f'"dtype": {dtype_t}, "tolerance": {tol_id[i]}, "waiver": null, '
                f'"would_pass": null, "metrics": {m}, "top_k": {top_t}}}'
            )


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
    r: DiffResult, rows: list[int], texts: Callable[[NDArray[Any]], list[str]]
) -> dict[int, str]:
    """``top_k`` JSON of the small failing taps ``rows`` (more than one element), selected in
    batches; taps with a non-finite element are left out (the general path writes them)."""
    from supervisor.trace.measure import CHUNK
    from supervisor.trace.topk import select_flat

    k = r.policy.top_k
    out: dict[int, str] = {}
    if k <= 0 or not rows:
        return out
    sizes = r.cols["n"][rows]
    keep = (sizes > 1) & (sizes <= CHUNK)
    todo = np.asarray(rows, dtype=np.int64)[keep]
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
        bad = set(segs[~ok].tolist())
        rows_b = batch.tolist()
        parts: dict[int, list[str]] = {j: [] for j in range(len(rows_b)) if j not in bad}
        cols = zip(
            segs.tolist(), idx.tolist(), *(texts(np.where(ok, x, 0.0)) for x in (xa, xb, key, rel)),
            strict=True,
        )  # fmt: skip
        for j, ix, ta, tb, tk, tr in cols:
            got = parts.get(j)
            if got is None:
                continue
            shape = () if flat_text else r.a.shape(rows_b[j])
            at = str(ix) if len(shape) <= 1 else ", ".join(map(str, unravel(ix, shape)))
            got.append(f'{{"index": [{at}], "a": {ta}, "b": {tb}, "abs": {tk}, "rel": {tr}}}')
        for j, got in parts.items():
            out[rows_b[j]] = "[" + ", ".join(got) + "]"
    return out


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
