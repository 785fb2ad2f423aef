"""Pass/fail of a measured tap: the element test, non-finite agreement and the gates, as
reasons for one tap (:func:`gate_reasons`) and vectorized over many (:func:`fails`); the two
must agree, and the tests check that they do."""

from __future__ import annotations

import math
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
