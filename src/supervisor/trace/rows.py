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
from supervisor.trace.metrics import COLUMNS
from supervisor.trace.result import FAIL, PASS, DiffResult

BLOCK = 4096

ENCODE: Callable[[Any], str] = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, separators=(", ", ": ")
).encode
_STR: Callable[[str], str] = json.encoder.encode_basestring


def _metrics(
    n: str, nan_a: str, inf_a: str, nan_b: str, inf_b: str, nf_mis: str, delta: str,
    rel_delta: str, max_abs: str, abs_at: str, abs_a: str, abs_b: str, max_rel: str, rel_at: str,
    rms_diff: str, ref_rms: str, rel_rms: str, norm_a: str, norm_b: str, norm_ratio: str,
    cosine: str, sqnr: str, mismatch: str, mism_frac: str, ratio: str, rel_err: str,
) -> str:  # fmt: skip
    """The metrics object of a 1-D tap from its JSON numbers, in :data:`COLUMNS` order."""
    return (
        f'{{"n": {n}, "nan_a": {nan_a}, "inf_a": {inf_a}, "nan_b": {nan_b}, "inf_b": {inf_b}, '
        f'"nonfinite_mismatch": {nf_mis}, "delta": {delta}, "rel_delta": {rel_delta}, '
        f'"max_abs": {max_abs}, "max_abs_index": [{abs_at}], "max_abs_a": {abs_a}, '
        f'"max_abs_b": {abs_b}, "max_rel": {max_rel}, "max_rel_index": [{rel_at}], '
        f'"rms_diff": {rms_diff}, "ref_rms": {ref_rms}, "rel_rms": {rel_rms}, '
        f'"norm_a": {norm_a}, "norm_b": {norm_b}, "norm_ratio": {norm_ratio}, '
        f'"cosine": {cosine}, "sqnr_db": {sqnr}, "mismatch": {mismatch}, '
        f'"mismatch_fraction": {mism_frac}, "worst_tol_ratio": {ratio}, "rel_err": {rel_err}}}'
    )


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
        head = f', "name": {ENCODE(name)}, "qualifiers": {ENCODE(dict(quals))}, "occurrence": '
        key_pieces.append((head, base[:-1], reps > 1))
    mids: dict[tuple[Any, ...], str] = {}
    dtypes_a, dtypes_b = a.dtypes, b.dtypes
    whys = {i: "[" + ", ".join(map(_STR, why)) + "]" for i, why in reasons.items()}
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
        metrics = list(map(_metrics, *block))
        for k, m in enumerate(metrics):
            i = lo + k
            if not fast_l[i]:
                yield ENCODE(slow(i))
                continue
            j = match[i]
            head, base, numbered = key_pieces[key_id[i]]
            label = f'{base}#{occ[i] + 1}"' if numbered else f'{base}"'
            where_a = lines_a[i] if lines_a is not None else ENCODE(a.where(i))
            where_b = lines_b[j] if lines_b is not None else ENCODE(b.where(j))
            shape_a = (counts_a[i],) if text_a else a.shape(i)
            shape_b = (counts_b[j],) if text_b else b.shape(j)
            mid_key = (shape_a, shape_b, dtypes_a[i], dtypes_b[j], tol_id[i])
            mid = mids.get(mid_key)
            if mid is None:
                mid = mids[mid_key] = (
                    f'"shape": {{"a": {ENCODE(list(shape_a))}, "b": {ENCODE(list(shape_b))}}}, '
                    f'"dtype": {ENCODE({"a": mid_key[2], "b": mid_key[3]})}, '
                    f'"tolerance": {tol_id[i]}, "waiver": null, "would_pass": null, "metrics": '
                )
            if status_l[i] == PASS:
                st = '"pass", "reasons": [], "notes": [], "where": {"a": '
            else:
                st = f'"fail", "reasons": {whys.get(i, "[]")}, "notes": [], "where": {{"a": '
            top_t = tops.get(i)
            if top_t is None:
                top = r.top_of(i)
                top_t = _top_text(top) if top else "[]"
            yield (
                f'{{"index": {i}, "label": {label}{head}{occ[i]}, "status": {st}{where_a}, '
                f'"b": {where_b}}}, {mid}{m}, "top_k": {top_t}}}'
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
        for j in range(len(rows_b)):  # taps with no differing element: an empty list
            out[rows_b[j]] = "[]"
        # the rows here are 1-D (the fast path's), so an element's index is its flat index
        numbers = (texts(np.where(ok, x, 0.0)) for x in (xa, xb, key, rel))
        els = list(map(_element_text, texts(idx), *numbers))
        cuts = (np.flatnonzero(np.diff(segs)) + 1).tolist()
        for s, e in zip([0, *cuts], [*cuts, len(els)], strict=True):
            if s == e:
                continue
            j = int(segs[s])
            if j in bad:
                del out[rows_b[j]]
            else:
                out[rows_b[j]] = "[" + ", ".join(els[s:e]) + "]"
    return out


def _element_text(at: str, a: str, b: str, key: str, rel: str) -> str:
    return f'{{"index": [{at}], "a": {a}, "b": {b}, "abs": {key}, "rel": {rel}}}'


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
