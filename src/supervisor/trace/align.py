"""Align two traces, judge every tap, and find where they part. Pure functions.

The FIRST argument is the reference (``supervisor trace diff REF CANDIDATE``): taps are
matched by (name, qualifiers, occurrence) and listed in the reference's order, so looped and
repeated taps line up one-to-one; aliases rename both sides first (and two single-tensor files,
``.npy`` or APRT, are compared whatever their names). Per tap the status is

* ``pass``    — every check holds (elements within tolerance, gates, shapes, non-finite agree);
* ``fail``    — some check does not (the reasons say which);
* ``waived``  — a waiver matches (known, intended divergence); never counted as a pass;
* ``missing`` — the tap is in the reference only (a failure only with ``missing: fail``).

The first divergence is the first failing tap in reference order, with the last passing tap
before it (the pair that brackets the defect) and, for looped taps, every qualifier at which
that tap fails. The largest jump is the tap whose relative error grows most over the compared
tap before it (errors below the tap's rtol, or its dtype's epsilon, count as that floor).

Judging is vectorized over taps (a 10⁵-tap trace is one pass of numpy); :class:`Entry`
objects with metrics and reasons are built on demand (:meth:`DiffResult.entry`).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from supervisor.escapes import quoted
from supervisor.trace.gates import Judged, fails
from supervisor.trace.measure import Candidate, measure_arrays, measure_flat
from supervisor.trace.metrics import Cols, derive
from supervisor.trace.model import Qualifiers, Trace, key_ids, label_of, occurrences_of
from supervisor.trace.result import (
    FAIL,
    MISSING,
    PASS,
    STATUSES,
    WAIVED,
    DiffResult,
    Divergence,
    Entry,
    Jump,
)
from supervisor.trace.tolerance import Policy, Resolved, Waiver, weaker

__all__ = ["STATUSES", "DiffResult", "Divergence", "Entry", "Jump", "diff_traces"]

EPS = {"float16": 2.0**-10, "bfloat16": 2.0**-7, "float32": 2.0**-23}


def _structural(
    a: Trace, i: int, b: Trace, j: int
) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
    """(reasons, notes): reasons a pair is judged whole (None: measure it element-wise)."""
    ta, tb = a.texts[i], b.texts[j]
    if ta is not None or tb is not None:
        if ta is not None and tb is not None:
            return (() if ta == tb else (f"text differs: {quoted(ta)} vs {quoted(tb)}",)), ()
        return ("a text tap on one side and a numeric tap on the other",), ()
    na, nb = int(a.counts[i]), int(b.counts[j])
    if a.buffer is not None and b.buffer is not None:  # text traces: flat values
        if na != nb:
            return (f"{na} values vs {nb}: element counts differ",), ()
        return ((), ("empty on both sides",)) if na == 0 else (None, ())
    sa, sb = a.shape(i), b.shape(j)
    if na != nb:
        return (f"shape {sa} vs {sb}: element counts differ ({na} vs {nb})",), ()
    if sa != sb and len(sa) > 1 and len(sb) > 1:
        return (f"shape {sa} vs {sb}: same element count, different layout",), ()
    if na == 0:
        return (), ("empty on both sides",)
    return None, ((f"shape {sa} vs {sb}: compared flat",) if sa != sb else ())


def _single(t: Trace) -> bool:
    return t.format in ("npy", "aprt", "pt") and len(t) == 1


def _codes(dtypes: tuple[str, ...], table: dict[str, int]) -> NDArray[np.int64]:
    return np.fromiter(map(table.__getitem__, dtypes), dtype=np.int64, count=len(dtypes))


def diff_traces(a: Trace, b: Trace, policy: Policy) -> DiffResult:
    """Compare candidate ``b`` against reference ``a`` under ``policy``."""
    alias = policy.alias_map()
    names_a = tuple(alias.get(x, x) for x in a.names) if alias else a.names
    names_b = tuple(alias.get(x, x) for x in b.names) if alias else b.names
    if _single(a) and _single(b):  # one tensor file each: compared whatever their names
        names_b = names_a
    keys, (ids_a, ids_b) = key_ids((names_a, a.qualifiers), (names_b, b.qualifiers))
    occ_a, occ_b = occurrences_of(ids_a), occurrences_of(ids_b)
    n = ids_a.size
    # match (key, occurrence) pairs through one sorted key array
    span = int(max(occ_a.max(initial=0), occ_b.max(initial=0))) + 1
    kb = ids_b * span + occ_b
    order = np.argsort(kb, kind="stable")
    sorted_kb = kb[order]
    ka = ids_a * span + occ_a
    pos = np.minimum(np.searchsorted(sorted_kb, ka), max(sorted_kb.size - 1, 0))
    hit = sorted_kb[pos] == ka if sorted_kb.size else np.zeros(n, dtype=bool)
    match = np.where(hit, order[pos] if sorted_kb.size else 0, -1).astype(np.int64)
    has = match >= 0
    # tolerance: one resolution per (key, dtype a, dtype b), one entry per distinct result
    dnames = sorted({*a.dtypes, *b.dtypes})
    dtable = {d: k for k, d in enumerate(dnames)}
    da, db = _codes(a.dtypes, dtable), _codes(b.dtypes, dtable)
    combo = (ids_a * len(dnames) + da) * len(dnames) + np.where(has, db[np.maximum(match, 0)], 0)
    uniq, inverse = np.unique(combo[has], return_inverse=True)
    distinct: dict[Resolved, int] = {}  # equal resolutions share one entry
    which = np.zeros(uniq.size, dtype=np.int64)
    for k, c in enumerate(uniq.tolist()):
        rest, cb = divmod(c, len(dnames))
        kid, ca = divmod(rest, len(dnames))
        x, y = dnames[ca], dnames[cb]
        dt = "text" if "text" in (x, y) else weaker(x, y)
        name, quals = keys[kid]
        which[k] = distinct.setdefault(
            policy.resolve(name, label_of(name, quals), dt), len(distinct)
        )
    tols = list(distinct)
    tol_id = np.zeros(n, dtype=np.int64)
    tol_id[has] = which[inverse]
    # waivers: one match per key
    waiver_of: dict[int, Waiver] = {}
    if policy.waivers:
        by_key = [policy.waiver(name, label_of(name, q)) for name, q in keys]
        for i in np.flatnonzero(has).tolist():
            w = by_key[int(ids_a[i])]
            if w is not None:
                waiver_of[i] = w
    # which pairs are measured element-wise; the rest are judged structurally
    structural: dict[int, Judged] = {}
    if a.buffer is not None and b.buffer is not None:
        # in text traces a tap has no values exactly when it is a text tap
        mb = np.maximum(match, 0)
        plain = has & (a.counts == b.counts[mb]) & (a.counts > 0)
        odd = np.flatnonzero(has & ~plain).tolist()
    else:
        plain = np.zeros(n, dtype=bool)
        odd = np.flatnonzero(has).tolist()
    for i in odd:
        reasons, notes = _structural(a, i, b, int(match[i]))
        if reasons is None:
            plain[i] = True
            if notes:
                structural[i] = ((), notes)
        else:
            structural[i] = (reasons, notes)
    todo = np.flatnonzero(plain).tolist()
    cols, cands = _measure(a, b, match, todo, tols, tol_id, n, policy.top_k)
    status = np.full(n, MISSING, dtype=np.int8)
    status[has] = PASS
    for i, (why, _) in structural.items():
        if why:
            status[i] = FAIL
    if todo:
        rows = np.array(todo, dtype=np.int64)
        sub = cols if len(todo) == n else {k: v[rows] for k, v in cols.items()}
        status[rows[fails(sub, tols, tol_id[rows])]] = FAIL
    for i in waiver_of:
        status[i] = WAIVED
    matched = np.zeros(len(names_b), dtype=bool)
    matched[match[has]] = True
    only_b = tuple(np.flatnonzero(~matched).tolist())
    used = {id(w) for w in waiver_of.values()}
    result = DiffResult(
        a, b, policy, names_a, occ_a, keys, ids_a, np.bincount(ids_a, minlength=len(keys)), match,
        status, plain, cols, structural, tol_id, tuple(tols), waiver_of, only_b, "pass", (),
        None, None, None, tuple(w for w in policy.waivers if id(w) not in used), cands,
    )  # fmt: skip
    return _summarize(result)


def _measure(
    a: Trace,
    b: Trace,
    match: NDArray[np.int64],
    todo: list[int],
    tols: list[Resolved],
    tol_id: NDArray[np.int64],
    n: int,
    k: int,
) -> tuple[Cols, dict[int, list[Candidate]]]:
    """Derived metric columns (full length) and top-K candidates of large taps, by row."""
    rows = np.array(todo, dtype=np.int64)
    cands: dict[int, list[Candidate]] = {}
    rtol = np.array([t.rtol for t in tols] or [0.0])[tol_id[rows]]
    atol = np.array([t.atol for t in tols] or [0.0])[tol_id[rows]]
    counts = a.counts[rows]
    if not todo:
        raw, _ = measure_arrays([], rtol, atol)
    elif a.buffer is not None and b.buffer is not None:
        assert a.starts is not None and b.starts is not None
        sa, sb = a.starts[rows], b.starts[match[rows]]
        raw = measure_flat(a.buffer, sa, b.buffer, sb, counts, rtol, atol)
    else:
        pairs = []
        for i in todo:
            va, vb = a.values(i), b.values(int(match[i]))
            assert va is not None and vb is not None
            pairs.append((va, vb))
        raw, by_pair = measure_arrays(pairs, rtol, atol, k)
        cands = {todo[p]: c for p, c in by_pair.items()}
    sub = derive(raw, counts, atol)
    if len(todo) == n:  # every tap measured: the rows are already in order
        return sub, cands
    full: Cols = {}
    for name, v in sub.items():
        col = np.zeros(n, dtype=v.dtype)
        col[rows] = v
        full[name] = col
    return full, cands


def _summarize(r: DiffResult) -> DiffResult:
    import dataclasses

    status, policy = r.status, r.policy
    failing = status == FAIL
    if policy.missing == "fail":
        failing = failing | (status == MISSING)
    fail_idx = np.flatnonzero(failing)
    first = None
    if fail_idx.size:
        f = int(fail_idx[0])
        passes = np.flatnonzero(status[:f] == PASS)
        prev = int(passes[-1]) if passes.size else None
        name = r.names[f]
        quals: dict[Qualifiers, None] = {}  # distinct, in order
        for i in fail_idx.tolist():
            if r.names[i] == name and r.a.qualifiers[i]:
                quals[r.a.qualifiers[i]] = None
                if len(quals) == 50:
                    break
        first = Divergence(f, prev, tuple(quals))
    compared = int(np.count_nonzero(r.match >= 0))
    reasons = []
    if compared == 0:
        reasons.append(
            f"no common taps: the reference has {len(r.a)}, the candidate {len(r.b)}, none "
            "match by name and qualifiers (check --alias, --prefix, or the files)"
        )
    n_fail = int(np.count_nonzero(status == FAIL))
    if n_fail and first is not None:
        reasons.append(f"{n_fail} of {compared} compared taps fail; first: {r.label(first.index)}")
    missing = int(np.count_nonzero(status == MISSING))
    if policy.missing == "fail" and (missing or r.only_b):
        reasons.append(f"{missing + len(r.only_b)} taps on one side only (missing: fail)")
    c = r.cols
    nonfinite = r.measured & ((c["nan_a"] + c["inf_a"] + c["nan_b"] + c["inf_b"]) > 0)
    nf_idx = np.flatnonzero(nonfinite)
    return dataclasses.replace(
        r,
        verdict="fail" if reasons else "pass",
        reasons=tuple(reasons),
        first=first,
        jump=_largest_jump(r),
        first_nonfinite=int(nf_idx[0]) if nf_idx.size else None,
    )


def _largest_jump(r: DiffResult) -> Jump | None:
    idx = np.flatnonzero(r.measured & (r.status != WAIVED))
    if not idx.size:
        return None
    floors = np.array([max(EPS.get(t.dtype, 2.0**-52), t.rtol) for t in r.tols] or [0.0])
    floor = floors[r.tol_id[idx]]
    err = r.cols["rel_err"][idx]
    prev = np.concatenate([[0.0], err[:-1]])
    with np.errstate(all="ignore"):
        size = np.log10(np.maximum(err, floor)) - np.log10(np.maximum(prev, floor))
        size = np.where(np.isinf(err) & ~np.isinf(prev), np.inf, size)
        size = np.where(np.isnan(size), -np.inf, size)
    k = int(np.argmax(size))
    if not size[k] > 0:
        return None
    factor = math.inf if math.isinf(size[k]) else float(10.0 ** size[k])
    before = int(idx[k - 1]) if k else None
    return Jump(int(idx[k]), before, float(err[k]), float(prev[k]) if k else None, factor)
