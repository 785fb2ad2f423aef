"""Top-K differing elements of a tap: the K largest |Δ| (non-finite mismatches first), small
taps sorted together in one pass per batch, large ones chunk by chunk."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from supervisor.trace.measure import CHUNK, Candidate, top_keys
from supervisor.trace.metrics import Element, flat, unravel


def _element(key: float, i: int, va: float, vb: float, shape: tuple[int, ...]) -> Element:
    den = max(abs(va), abs(vb))
    rel = key / den if den > 0 and math.isfinite(key) else math.inf
    return Element(unravel(i, shape), va, vb, key, rel)


def from_candidates(cands: list[Candidate], shape: tuple[int, ...], k: int) -> tuple[Element, ...]:
    """The top ``k`` of candidate elements (largest |Δ| first, then index), |Δ| > 0 only."""
    cands = sorted(cands, key=lambda c: (-c[0], c[1]))
    return tuple(_element(*c, shape) for c in cands[:k] if c[0] > 0)


def top_k(a: NDArray[Any], b: NDArray[Any], shape: tuple[int, ...], k: int) -> tuple[Element, ...]:
    """The ``k`` elements with the largest |Δ| (non-finite mismatches first), |Δ| > 0 only."""
    if k <= 0:
        return ()
    fa, fb = flat(a), flat(b)
    cands: list[Candidate] = []
    for s in range(0, fa.size, CHUNK):
        ca = np.asarray(fa[s : s + CHUNK], dtype=np.float64)
        cb = np.asarray(fb[s : s + CHUNK], dtype=np.float64)
        key = top_keys(ca, cb)
        idx = np.argpartition(-key, k - 1)[:k] if key.size > k else np.arange(key.size)
        cands += [(float(key[i]), int(i) + s, float(ca[i]), float(cb[i])) for i in idx.tolist()]
    return from_candidates(cands, shape, k)


Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Selected = tuple[Ints, Ints, Floats, Floats, Floats]


def select_many(pairs: Sequence[tuple[NDArray[Any], NDArray[Any]]], k: int) -> Selected:
    """The top ``k`` elements of each small pair (largest |Δ| first, |Δ| > 0) in one sort:
    arrays (pair number, flat index, |Δ|, a, b), grouped by pair in order."""
    a = np.concatenate([flat(x) for x, _ in pairs]).astype(np.float64, copy=False)
    b = np.concatenate([flat(y) for _, y in pairs]).astype(np.float64, copy=False)
    return select_flat(a, b, np.array([x.size for x, _ in pairs], dtype=np.int64), k)


def select_flat(a: Floats, b: Floats, lengths: Ints, k: int) -> Selected:
    """:func:`select_many` of pairs laid end to end in ``a`` and ``b`` (``lengths`` each):
    the pairs of one length are sorted as the rows of one matrix (ties: lower index first)."""
    starts = np.zeros(lengths.size, dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    key = top_keys(a, b)
    found: list[Ints] = []  # flat positions of the selected elements, per length
    ranks: list[Ints] = []
    for size in np.flatnonzero(np.bincount(lengths)).tolist():  # the lengths there are
        if not size:
            continue
        pairs = np.flatnonzero(lengths == size)
        # (pairs, size): row p holds pair p's keys
        pos = starts[pairs][:, None] + np.arange(size, dtype=np.int64)[None, :]
        keys = key[pos]
        order = np.argsort(-keys, axis=1, kind="stable")[:, :k]  # (pairs, min(k, size))
        top = np.take_along_axis(keys, order, axis=1) > 0
        found.append(np.take_along_axis(pos, order, axis=1)[top])
        ranks.append(np.broadcast_to(np.arange(order.shape[1]), order.shape)[top])
    none = np.zeros(0, dtype=np.int64)
    sel, rank = np.concatenate([none, *found]), np.concatenate([none, *ranks])
    seg = np.repeat(np.arange(lengths.size), lengths)[sel]
    width = min(k, int(lengths.max(initial=0))) or 1
    sel = sel[np.argsort(seg * width + rank, kind="stable")]  # by pair, then by rank
    segs = np.repeat(np.arange(lengths.size), lengths)[sel]
    return segs, sel - starts[segs], key[sel], a[sel], b[sel]


def top_k_many(
    items: Sequence[tuple[NDArray[Any], NDArray[Any], tuple[int, ...]]], k: int
) -> list[tuple[Element, ...]]:
    """:func:`top_k` of many taps: small ones sorted together in one pass per batch."""
    results: list[tuple[Element, ...]] = [()] * len(items)
    if k <= 0:
        return results
    batch: list[int] = []
    filled = 0

    def flush() -> None:
        nonlocal filled
        if not batch:
            return
        segs, idx, key, va, vb = select_many([(items[i][0], items[i][1]) for i in batch], k)
        found: dict[int, list[Element]] = {}
        rows = zip(segs.tolist(), idx.tolist(), key.tolist(), va.tolist(), vb.tolist(), strict=True)
        for j, i, kv, x, y in rows:
            found.setdefault(j, []).append(_element(kv, i, x, y, items[batch[j]][2]))
        for j, els in found.items():
            results[batch[j]] = tuple(els)
        batch.clear()
        filled = 0

    for i, (a, b, shape) in enumerate(items):
        if a.size > CHUNK:
            results[i] = top_k(a, b, shape, k)
            continue
        if filled + a.size > CHUNK:
            flush()
        batch.append(i)
        filled += int(a.size)
    flush()
    return results
