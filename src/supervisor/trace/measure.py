"""Raw per-tap statistics (sums, counts, maxima with their index) computed with numpy:
many small taps measured together in batches (``np.*.reduceat`` per segment), a large tap in
chunks (on a few threads; numpy releases the GIL) that also yield its top-K candidates.
:func:`supervisor.trace.metrics.derive` turns them into the reported metrics.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from supervisor.trace.metrics import F64, Cols, flat

WORKERS = max(1, min(4, (os.cpu_count() or 1) // 2))  # threads for the chunks of a large tap
CHUNK = 1 << 19  # elements per pass over a large tap (float64 temporaries of ~4 MiB each)
BATCH = 1 << 16  # elements per pass over many small taps (more temporaries, so fewer elements)

_SUMS = ("nan_a", "inf_a", "nan_b", "inf_b", "nf_mis", "mismatch", "saa", "sbb", "sab", "sdd")
_INTS = ("nan_a", "inf_a", "nan_b", "inf_b", "nf_mis", "mismatch", "abs_at", "rel_at")
RAW = (*_SUMS, "ratio", "max_abs", "abs_at", "abs_a", "abs_b", "max_rel", "rel_at")


def _segment_stats(a: F64, b: F64, lengths: NDArray[np.int64], atol: F64, rtol: F64) -> Cols:
    """Raw statistics per segment of the flat float64 arrays ``a`` and ``b`` (each ≥ 1 long)."""
    n = a.size
    nseg = lengths.size
    starts = np.zeros(nseg, dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    with np.errstate(all="ignore"):
        nan_a, nan_b = np.isnan(a), np.isnan(b)
        fin_a, fin_b = np.isfinite(a), np.isfinite(b)
        both = fin_a & fin_b
        if both.all():
            a0, b0, nf_mis = a, b, None
        else:
            a0, b0 = np.where(both, a, 0.0), np.where(both, b, 0.0)
            nf_mis = ~both & ~((nan_a & nan_b) | (a == b))
        d = b0 - a0
        ad = np.abs(d)
        aa = np.abs(a0)
        if nseg == 1:
            tol = atol[0] + rtol[0] * aa
        else:
            tol = np.repeat(atol, lengths) + np.repeat(rtol, lengths) * aa
        bad = ad > tol
        if nf_mis is not None:
            bad |= nf_mis
        ratio = np.where(tol > 0, ad / tol, np.where(ad > 0, np.inf, 0.0))
        den = np.maximum(aa, np.abs(b0))
        rel = np.where(den > 0, ad / den, 0.0)

    def add(x: NDArray[Any]) -> NDArray[Any]:
        dt = np.float64 if x.dtype.kind == "f" else np.int64
        return np.add.reduceat(x, starts, dtype=dt)

    zeros = np.zeros(nseg, dtype=np.int64)
    out: Cols = {
        "nan_a": add(nan_a),
        "inf_a": add(~fin_a & ~nan_a),
        "nan_b": add(nan_b),
        "inf_b": add(~fin_b & ~nan_b),
        "nf_mis": add(nf_mis) if nf_mis is not None else zeros,
        "mismatch": add(bad),
        "saa": add(a0 * a0),
        "sbb": add(b0 * b0),
        "sab": add(a0 * b0),
        "sdd": add(d * d),
        "ratio": np.maximum.reduceat(ratio, starts),
    }
    seg = np.repeat(np.arange(nseg), lengths) if nseg > 1 else None
    for key, x in (("abs", ad), ("rel", rel)):
        if seg is None:
            first = np.array([int(np.argmax(x))], dtype=np.int64)
            mx = x[first]
        else:
            mx = np.maximum.reduceat(x, starts)
            pos = np.where(x == mx[seg], np.arange(n), n)
            first = np.minimum.reduceat(pos, starts)
        out[f"max_{key}"] = mx
        out[f"{key}_at"] = first - starts
        if key == "abs":
            out["abs_a"], out["abs_b"] = a[first], b[first]
    return out


def _empty(n: int) -> Cols:
    return {k: np.zeros(n, dtype=np.int64 if k in _INTS else np.float64) for k in RAW}


def _put(out: Cols, rows: NDArray[np.int64] | list[int], part: Cols) -> None:
    for k in RAW:
        out[k][rows] = part[k]


def measure_flat(
    buf_a: F64,
    starts_a: NDArray[np.int64],
    buf_b: F64,
    starts_b: NDArray[np.int64],
    counts: NDArray[np.int64],
    rtol: F64,
    atol: F64,
) -> Cols:
    """Raw statistics of taps stored in flat buffers: tap ``i`` is ``counts[i]`` values from
    ``starts_a[i]`` and ``starts_b[i]``; gathered and measured in batches of ~BATCH values."""
    n = counts.size
    out = _empty(n)
    ends = np.cumsum(counts)
    lo = 0
    while lo < n:
        base = int(ends[lo - 1]) if lo else 0
        hi = max(lo + 1, int(np.searchsorted(ends, base + BATCH, side="right")))
        c = counts[lo:hi]
        offs = np.repeat(np.cumsum(c) - c, c)
        within = np.arange(int(c.sum()), dtype=np.int64) - offs
        a = buf_a[np.repeat(starts_a[lo:hi], c) + within]
        b = buf_b[np.repeat(starts_b[lo:hi], c) + within]
        _put(out, np.arange(lo, hi), _segment_stats(a, b, c, atol[lo:hi], rtol[lo:hi]))
        lo = hi
    return out


Candidate = tuple[float, int, float, float]  # (|Δ| or inf, flat index, ref, cand)


def measure_arrays(
    pairs: Sequence[tuple[NDArray[Any], NDArray[Any]]], rtol: F64, atol: F64, k: int = 0
) -> tuple[Cols, dict[int, list[Candidate]]]:
    """Raw statistics of ``(ref, cand)`` array pairs of equal size ≥ 1: small ones measured
    together, large ones in chunks of CHUNK elements (which also yield their ``k`` top-K
    candidates, by pair index, so they need no second pass)."""
    out = _empty(len(pairs))
    cands: dict[int, list[Candidate]] = {}
    batch: list[int] = []
    filled = 0

    def flush() -> None:
        nonlocal filled
        if batch:
            a = np.concatenate([flat(pairs[i][0]) for i in batch]).astype(np.float64, copy=False)
            b = np.concatenate([flat(pairs[i][1]) for i in batch]).astype(np.float64, copy=False)
            lengths = np.array([pairs[i][0].size for i in batch], dtype=np.int64)
            _put(out, batch, _segment_stats(a, b, lengths, atol[batch], rtol[batch]))
        batch.clear()
        filled = 0

    for i, (a, _) in enumerate(pairs):
        if a.size > CHUNK:
            stats, cands[i] = _big(pairs[i], float(rtol[i]), float(atol[i]), k)
            _put(out, [i], stats)
            continue
        if filled + a.size > BATCH:
            flush()
        batch.append(i)
        filled += int(a.size)
    flush()
    return out, cands


def top_keys(a: F64, b: F64) -> F64:
    """|Δ| where both are finite, 0 where the non-finite states agree, inf where they differ."""
    with np.errstate(all="ignore"):
        both = np.isfinite(a) & np.isfinite(b)
        agree = (np.isnan(a) & np.isnan(b)) | (a == b)
        out: F64 = np.where(both, np.abs(b - a), np.where(agree, 0.0, np.inf))
    return out


def _candidates(key: F64, a: F64, b: F64, k: int, base: int) -> list[Candidate]:
    if k <= 0:
        return []
    n = key.size
    idx = np.argpartition(key, n - k)[n - k :] if n > k else np.arange(n)
    return [(float(key[i]), int(i) + base, float(a[i]), float(b[i])) for i in idx.tolist()]


def _fast_chunk(a: F64, b: F64, atol: float, rtol: float) -> tuple[Cols, F64] | None:
    """Statistics of one all-finite chunk (None if it is not), plus its |Δ| array."""
    if not (math.isfinite(float(a.sum())) and math.isfinite(float(b.sum()))):
        return None  # some NaN/Inf (or a sum overflowed): the general path
    with np.errstate(all="ignore"):
        d = b - a
        # einsum, not BLAS dot: multi-threaded BLAS costs more than it gains on small chunks
        dot = np.einsum
        sdd, saa = float(dot("i,i->", d, d)), float(dot("i,i->", a, a))
        sbb, sab = float(dot("i,i->", b, b)), float(dot("i,i->", a, b))
        ad = np.abs(d, out=d)
        aa = np.abs(a)
        tol = aa * rtol
        tol += atol
        mismatch = int(np.count_nonzero(ad > tol))
        ratio = ad / tol if atol > 0 else np.where(tol > 0, ad / tol, np.where(ad > 0, np.inf, 0.0))
        den = np.maximum(aa, np.abs(b), out=aa)
        np.maximum(den, np.finfo(np.float64).tiny, out=den)  # 0/tiny = 0 where both are 0
        rel = np.divide(ad, den, out=den)
    i_abs, i_rel = int(np.argmax(ad)), int(np.argmax(rel))
    zero = np.zeros(1, dtype=np.int64)
    one = np.ones(1, dtype=np.float64)
    return {
        "nan_a": zero, "inf_a": zero, "nan_b": zero, "inf_b": zero, "nf_mis": zero,
        "mismatch": zero + mismatch, "saa": one * saa, "sbb": one * sbb, "sab": one * sab,
        "sdd": one * sdd, "ratio": one * float(ratio.max()), "max_abs": one * float(ad[i_abs]),
        "abs_at": zero + i_abs, "abs_a": one * float(a[i_abs]), "abs_b": one * float(b[i_abs]),
        "max_rel": one * float(rel[i_rel]), "rel_at": zero + i_rel,
    }, ad  # fmt: skip


def _chunk(
    fa: NDArray[Any], fb: NDArray[Any], s: int, atol: float, rtol: float, k: int
) -> tuple[Cols, list[Candidate]]:
    ca = np.asarray(fa[s : s + CHUNK], dtype=np.float64)
    cb = np.asarray(fb[s : s + CHUNK], dtype=np.float64)
    fast = _fast_chunk(ca, cb, atol, rtol)
    if fast is None:
        one = np.array([ca.size], dtype=np.int64)
        part = _segment_stats(ca, cb, one, np.array([atol]), np.array([rtol]))
        key = top_keys(ca, cb)
    else:
        part, key = fast
    return part, _candidates(key, ca, cb, k, s)


def _big(
    pair: tuple[NDArray[Any], NDArray[Any]], rtol: float, atol: float, k: int
) -> tuple[Cols, list[Candidate]]:
    """One large pair, chunk by chunk on up to WORKERS threads (numpy releases the GIL),
    merged in chunk order (the first index wins ties, as in one pass), and its top-``k``
    candidates."""
    fa, fb = flat(pair[0]), flat(pair[1])
    starts = range(0, fa.size, CHUNK)

    def one(s: int) -> tuple[Cols, list[Candidate]]:
        return _chunk(fa, fb, s, atol, rtol, k)

    if WORKERS > 1 and len(starts) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(WORKERS, len(starts))) as pool:
            parts = list(pool.map(one, starts))
    else:
        parts = [one(s) for s in starts]
    acc: Cols | None = None
    cands: list[Candidate] = []
    for s, (part, found) in zip(starts, parts, strict=True):
        cands += found
        if acc is None:
            acc = part
            continue
        for name in _SUMS:
            acc[name] = acc[name] + part[name]
        acc["ratio"] = np.maximum(acc["ratio"], part["ratio"])
        for name, extra in (("abs", ("abs_a", "abs_b")), ("rel", ())):
            if part[f"max_{name}"][0] > acc[f"max_{name}"][0]:
                acc[f"max_{name}"] = part[f"max_{name}"]
                acc[f"{name}_at"] = part[f"{name}_at"] + s
                for x in extra:
                    acc[x] = part[x]
    assert acc is not None
    return acc, cands
