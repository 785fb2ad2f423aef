"""Pass/fail of a measured tap: the element test, non-finite agreement and the gates, as
reasons for one tap (:func:`gate_reasons`) and vectorized over many (:func:`fails`); the two
must agree, and the tests check that they do."""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import repeat
from typing import Any

import numpy as np
from numpy.typing import NDArray

from supervisor.trace.metrics import Cols, Metrics
from supervisor.trace.tolerance import Resolved

_SLACK = 1.0 + 1e-9  # float rounding room for the derived gates
Judged = tuple[tuple[str, ...], tuple[str, ...]]  # (reasons, notes) of a tap


def gate_reasons(m: Metrics, tol: Resolved) -> list[str]:
    """Why a measured tap fails (empty: it passes). Mirrors the vectorized :func:`fails`."""
    g = tol.gates
    out = []
    if m.nonfinite_mismatch:
        out.append(
            f"non-finite on one side at {m.nonfinite_mismatch} element(s): ref {m.nan_a} NaN "
            f"{m.inf_a} Inf, cand {m.nan_b} NaN {m.inf_b} Inf"
        )
    if m.mismatch_fraction > g.max_mismatch:
        allowed = f" (allowed {g.max_mismatch:g})" if g.max_mismatch else ""
        out.append(
            f"{m.mismatch}/{m.n} element(s) outside |Δ| ≤ {tol.atol:g} + {tol.rtol:g}·|ref|"
            f"{allowed}; worst {m.worst_tol_ratio:.3g}× the tolerance"
        )
    # Derived gates (no value set) are implied by the element test, so they are only checked
    # (and reported) when the element test let the tap through; set gates on relative
    # quantities are skipped where the reference is within atol of zero.
    derived_on = not out
    bound = math.inf if m.ref_rms == 0 else (tol.rtol + tol.atol / m.ref_rms) * _SLACK
    relative_ok = m.ref_rms > tol.atol
    if g.norm_ratio is not None:
        lo, hi = g.norm_ratio
        if relative_ok and not lo <= m.norm_ratio <= hi:
            out.append(f"norm ratio {m.norm_ratio:.6g} outside [{lo:g}, {hi:g}]")
    elif derived_on and not abs(m.norm_ratio - 1.0) <= bound:
        out.append(
            f"norm ratio {m.norm_ratio:.9g}: |ratio − 1| {abs(m.norm_ratio - 1.0):.3g} > "
            f"{bound:.3g} (rtol + atol/rms(ref))"
        )
    if g.max_rel_rms is not None:
        if relative_ok and m.rel_rms > g.max_rel_rms:
            out.append(f"relative RMS {m.rel_rms:.3g} > {g.max_rel_rms:g}")
    elif derived_on and m.rel_rms > bound:
        out.append(f"relative RMS {m.rel_rms:.3g} > {bound:.3g} (rtol + atol/rms(ref))")
    if g.min_cosine is not None and m.cosine < g.min_cosine:
        out.append(f"cosine {m.cosine:.9g} < {g.min_cosine:g}")
    return out


def fails(c: Cols, tols: list[Resolved], tol_id: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Vectorized :func:`gate_reasons` (non-empty ⇔ True) over measured rows ``c``."""

    def per(f: Any) -> NDArray[np.float64]:
        return np.array([f(t) for t in tols], dtype=np.float64)[tol_id]

    nan = math.nan
    rtol, atol = per(lambda t: t.rtol), per(lambda t: t.atol)
    max_mm = per(lambda t: t.gates.max_mismatch)
    lo = per(lambda t: t.gates.norm_ratio[0] if t.gates.norm_ratio else nan)
    hi = per(lambda t: t.gates.norm_ratio[1] if t.gates.norm_ratio else nan)
    max_rr = per(lambda t: nan if t.gates.max_rel_rms is None else t.gates.max_rel_rms)
    min_cos = per(lambda t: nan if t.gates.min_cosine is None else t.gates.min_cosine)
    ref_rms, nr, rr = c["ref_rms"], c["norm_ratio"], c["rel_rms"]
    with np.errstate(all="ignore"):
        elem = (c["nf_mis"] > 0) | (c["mismatch_fraction"] > max_mm)
        bound = np.where(ref_rms == 0, np.inf, (rtol + atol / ref_rms) * _SLACK)
        rel_ok = ref_rms > atol
        nr_fail = np.where(
            np.isnan(lo), ~elem & ~(np.abs(nr - 1.0) <= bound), rel_ok & ~((lo <= nr) & (nr <= hi))
        )
        rr_fail = np.where(np.isnan(max_rr), ~elem & (rr > bound), rel_ok & (rr > max_rr))
        cos_fail = ~np.isnan(min_cos) & (c["cosine"] < min_cos)
    out: NDArray[np.bool_] = elem | nr_fail | rr_fail | cos_fail
    return out


def reasons_many(
    c: Cols,
    rows: NDArray[np.int64],
    tols: tuple[Resolved, ...],
    tol_id: NDArray[np.int64],
    *,
    common: bool = True,
) -> dict[int, list[str]]:
    """:func:`gate_reasons` of the measured ``rows`` at once: the conditions are evaluated as
    arrays and only the reasons that apply are formatted (same text, tested to agree).
    ``common=False`` leaves out the rows that fail the element test alone."""
    if not rows.size:
        return {}
    tid = tol_id[rows]

    def per(f: Any) -> NDArray[np.float64]:
        return np.array([f(t) for t in tols], dtype=np.float64)[tid]

    nan = math.nan
    rtol, atol = per(lambda t: t.rtol), per(lambda t: t.atol)
    max_mm = per(lambda t: t.gates.max_mismatch)
    has_nr = per(lambda t: t.gates.norm_ratio is not None) > 0
    lo = per(lambda t: t.gates.norm_ratio[0] if t.gates.norm_ratio else nan)
    hi = per(lambda t: t.gates.norm_ratio[1] if t.gates.norm_ratio else nan)
    max_rr = per(lambda t: nan if t.gates.max_rel_rms is None else t.gates.max_rel_rms)
    min_cos = per(lambda t: nan if t.gates.min_cosine is None else t.gates.min_cosine)
    col = {k: c[k][rows] for k in ("nf_mis", "mismatch_fraction", "ref_rms", "norm_ratio")}
    ref_rms, nr, rr, cos = col["ref_rms"], col["norm_ratio"], c["rel_rms"][rows], c["cosine"][rows]
    with np.errstate(all="ignore"):
        nf = col["nf_mis"] > 0
        elem = col["mismatch_fraction"] > max_mm
        derived_on = ~(nf | elem)
        bound = np.where(ref_rms == 0, np.inf, (rtol + atol / ref_rms) * _SLACK)
        rel_ok = ref_rms > atol
        nr_set = has_nr & rel_ok & ~((lo <= nr) & (nr <= hi))
        nr_derived = ~has_nr & derived_on & ~(np.abs(nr - 1.0) <= bound)
        rr_set = ~np.isnan(max_rr) & rel_ok & (rr > max_rr)
        rr_derived = np.isnan(max_rr) & derived_on & (rr > bound)
        cos_fail = ~np.isnan(min_cos) & (cos < min_cos)
    any_ = nf | elem | nr_set | nr_derived | rr_set | rr_derived | cos_fail
    out: dict[int, list[str]] = {}
    # the common case, the element test alone, from one cached middle part per tolerance
    only_elem = elem & ~(nf | nr_set | nr_derived | rr_set | rr_derived | cos_fail)
    pick = np.flatnonzero(any_ if common else any_ & ~only_elem)  # the rows given reasons
    cols_l = {k: c[k][rows[pick]].tolist() for k in ("nan_a", "inf_a", "nan_b", "inf_b", "nf_mis")}
    mismatch, n = c["mismatch"][rows[pick]].tolist(), c["n"][rows[pick]].tolist()
    ratio = c["ratio"][rows[pick]].tolist()
    flags = [x[pick].tolist() for x in (nf, elem, nr_set, nr_derived, rr_set, rr_derived, cos_fail)]
    nr_l, rr_l, cos_l, bound_l = (x[pick].tolist() for x in (nr, rr, cos, bound))
    tid_l, rows_l = tid[pick].tolist(), rows[pick].tolist()
    mids: dict[int, str] = {}
    for ti in set(tid_l):
        t = tols[ti]
        allowed = f" (allowed {t.gates.max_mismatch:g})" if t.gates.max_mismatch else ""
        mids[ti] = f" element(s) outside |Δ| ≤ {t.atol:g} + {t.rtol:g}·|ref|{allowed}; worst "
    alone = only_elem[pick].tolist()
    for k in (k for k in range(pick.size) if alone[k]) if common else ():
        out[rows_l[k]] = [f"{mismatch[k]}/{n[k]}{mids[tid_l[k]]}{ratio[k]:.3g}× the tolerance"]
    for k in (k for k in range(pick.size) if not alone[k]):
        t = tols[tid_l[k]]
        g = t.gates
        why = []
        if flags[0][k]:
            why.append(
                f"non-finite on one side at {cols_l['nf_mis'][k]} element(s): ref "
                f"{cols_l['nan_a'][k]} NaN {cols_l['inf_a'][k]} Inf, cand {cols_l['nan_b'][k]} "
                f"NaN {cols_l['inf_b'][k]} Inf"
            )
        if flags[1][k]:
            allowed = f" (allowed {g.max_mismatch:g})" if g.max_mismatch else ""
            why.append(
                f"{mismatch[k]}/{n[k]} element(s) outside |Δ| ≤ {t.atol:g} + {t.rtol:g}·|ref|"
                f"{allowed}; worst {ratio[k]:.3g}× the tolerance"
            )
        if flags[2][k]:
            assert g.norm_ratio is not None
            lo_g, hi_g = g.norm_ratio
            why.append(f"norm ratio {nr_l[k]:.6g} outside [{lo_g:g}, {hi_g:g}]")
        if flags[3][k]:
            why.append(
                f"norm ratio {nr_l[k]:.9g}: |ratio − 1| {abs(nr_l[k] - 1.0):.3g} > "
                f"{bound_l[k]:.3g} (rtol + atol/rms(ref))"
            )
        if flags[4][k]:
            why.append(f"relative RMS {rr_l[k]:.3g} > {g.max_rel_rms:g}")
        if flags[5][k]:
            why.append(f"relative RMS {rr_l[k]:.3g} > {bound_l[k]:.3g} (rtol + atol/rms(ref))")
        if flags[6][k]:
            why.append(f"cosine {cos_l[k]:.9g} < {g.min_cosine:g}")
        out[rows_l[k]] = why
    return out


def reasons_json_many(
    c: Cols,
    rows: NDArray[np.int64],
    tols: tuple[Resolved, ...],
    tol_id: NDArray[np.int64],
    wire: Callable[[str], str] = str,
) -> dict[int, str]:
    """:func:`reasons_many` as JSON arrays of strings (the same texts), by row."""
    given, texts = reasons_json_columns(c, rows, tols, tol_id, wire)
    return dict(zip(given.tolist(), texts, strict=True))


def reasons_json_columns(
    c: Cols,
    rows: NDArray[np.int64],
    tols: tuple[Resolved, ...],
    tol_id: NDArray[np.int64],
    wire: Callable[[str], str] = str,
) -> tuple[NDArray[np.int64], list[str]]:
    """:func:`reasons_many` as JSON arrays of strings: (the rows given reasons, their texts);
    the common case, the element test alone, is formatted a column at a time. ``wire`` is
    applied to every piece of text that is not a number (the JSON writer's byte form)."""
    import json

    from supervisor.trace.numtext import counts as _counts
    from supervisor.trace.numtext import g3

    enc = json.encoder.encode_basestring
    rare = reasons_many(c, rows, tols, tol_id, common=False)
    given = np.fromiter(rare, dtype=np.int64, count=len(rare))
    texts = [wire("[" + ", ".join(map(enc, why)) + "]") for why in rare.values()]
    if not rows.size:
        return given, texts
    tid = tol_id[rows]
    max_mm = np.array([t.gates.max_mismatch for t in tols], dtype=np.float64)[tid]
    with np.errstate(invalid="ignore"):
        elem = (c["nf_mis"][rows] <= 0) & (c["mismatch_fraction"][rows] > max_mm)
    common = elem & ~np.isin(rows, given)
    rows_c = rows[common]
    if not rows_c.size:
        return given, texts
    mids = []
    for t in tols:
        allowed = f" (allowed {t.gates.max_mismatch:g})" if t.gates.max_mismatch else ""
        mid = f" element(s) outside |Δ| ≤ {t.atol:g} + {t.rtol:g}·|ref|{allowed}; worst "
        mids.append(wire(enc(mid)[1:-1]))
    texts += map(
        "".join,
        zip(
            repeat('["'),
            _counts(c["mismatch"][rows_c]),
            repeat("/"),
            _counts(c["n"][rows_c]),
            np.array(mids, dtype=object)[tid[common]].tolist(),
            g3(c["ratio"][rows_c]),
            repeat(wire('× the tolerance"]')),
        ),
    )
    return np.concatenate([given, rows_c]), texts
