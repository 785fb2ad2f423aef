"""Per-tap error metrics: their definitions, derived (vectorized) from the raw statistics of
:mod:`supervisor.trace.measure`, and the :class:`Metrics` / :class:`Element` records.

All arithmetic is float64. Elements that are finite on both sides feed the sums, maxima and
norms; NaN/Inf are counted per side, and a position whose non-finite state differs between the
sides (NaN vs a number, +Inf vs −Inf, …) is a *non-finite mismatch* and always counts as a
mismatching element. Same-position NaN (or equal Inf) on both sides agree.

Definitions (Δ = cand − ref, over the finite pairs): ``max_abs`` = max|Δ| (with its index and
both values); ``max_rel`` = max |Δ|/max(|ref|, |cand|) (symmetric; 0 where both are 0);
``rms_diff`` = rms(Δ); ``ref_rms`` = rms(ref); ``rel_rms`` = rms_diff/ref_rms; ``norm_ratio`` =
‖cand‖/‖ref‖ (1 when both are 0); ``cosine`` = ref·cand/(‖ref‖‖cand‖) (1 when both norms are 0,
0 when one is); ``sqnr_db`` = 10·log10(Σref²/ΣΔ²); ``mismatch`` = elements with
|Δ| > atol + rtol·|ref|; ``worst_tol_ratio`` = max |Δ|/(atol + rtol·|ref|); ``rel_err`` (the
plotted error) = rms_diff/max(ref_rms, atol). Scalars also get ``delta`` (signed) and
``rel_delta`` = Δ/|ref|.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class Element:
    index: tuple[int, ...]
    a: float
    b: float
    abs: float  # |Δ|; inf for a non-finite mismatch
    rel: float


@dataclass(frozen=True)
class Metrics:
    n: int
    nan_a: int
    inf_a: int
    nan_b: int
    inf_b: int
    nonfinite_mismatch: int
    delta: float | None
    rel_delta: float | None
    max_abs: float
    max_abs_index: tuple[int, ...]
    max_abs_a: float
    max_abs_b: float
    max_rel: float
    max_rel_index: tuple[int, ...]
    rms_diff: float
    ref_rms: float
    rel_rms: float
    norm_a: float
    norm_b: float
    norm_ratio: float
    cosine: float
    sqnr_db: float
    mismatch: int
    mismatch_fraction: float
    worst_tol_ratio: float
    rel_err: float
    top_k: tuple[Element, ...] = ()

    @property
    def nonfinite(self) -> bool:
        return bool(self.nan_a or self.inf_a or self.nan_b or self.inf_b)


Cols = dict[str, NDArray[Any]]


def flat(values: NDArray[Any]) -> NDArray[Any]:
    return np.asarray(values).reshape(-1)


def derive(raw: Cols, n: NDArray[np.int64], atol: F64) -> Cols:
    """Vectorized derived metrics (module docstring) from the raw statistics."""
    with np.errstate(all="ignore"):
        saa, sbb, sab, sdd = raw["saa"], raw["sbb"], raw["sab"], raw["sdd"]
        nf = n.astype(np.float64)
        norm_a, norm_b = np.sqrt(saa), np.sqrt(sbb)
        rms_diff, ref_rms = np.sqrt(sdd / nf), np.sqrt(saa / nf)

        def ratio(x: F64, y: F64, both_zero: float) -> F64:
            r: F64 = np.where(y == 0, np.where(x == 0, both_zero, np.inf), x / y)
            return r

        zero = (norm_a == 0) | (norm_b == 0)
        cosine = np.where(
            zero,
            np.where(norm_a == norm_b, 1.0, 0.0),
            np.clip(sab / np.sqrt(saa * sbb), -1.0, 1.0),
        )
        sqnr = np.where(sdd == 0, np.inf, np.where(saa == 0, -np.inf, 10.0 * np.log10(saa / sdd)))
        rel_err = np.where(
            raw["nf_mis"] > 0, np.inf, ratio(rms_diff, np.maximum(ref_rms, atol), 0.0)
        )
        scalar = n == 1
        va, vb = raw["abs_a"], raw["abs_b"]
        delta = np.where(scalar, np.where(np.isinf(va) & (va == vb), 0.0, vb - va), np.nan)
        rel_delta = np.where(np.isnan(delta), np.nan, ratio(np.abs(delta), np.abs(va), 0.0))
        rel_delta = np.copysign(rel_delta, np.where(delta < 0, -1.0, 1.0))
        rel_rms, norm_ratio = ratio(rms_diff, ref_rms, 0.0), ratio(norm_b, norm_a, 1.0)
        mismatch_fraction = raw["mismatch"] / nf
    return {
        **raw,
        "n": n,
        "norm_a": norm_a,
        "norm_b": norm_b,
        "rms_diff": rms_diff,
        "ref_rms": ref_rms,
        "rel_rms": rel_rms,
        "norm_ratio": norm_ratio,
        "cosine": cosine,
        "sqnr_db": sqnr,
        "mismatch_fraction": mismatch_fraction,
        "rel_err": rel_err,
        "delta": delta,
        "rel_delta": rel_delta,
    }


# derived columns in the order of the Metrics fields (top_k excepted)
COLUMNS = (
    "n", "nan_a", "inf_a", "nan_b", "inf_b", "nf_mis", "delta", "rel_delta", "max_abs", "abs_at",
    "abs_a", "abs_b", "max_rel", "rel_at", "rms_diff", "ref_rms", "rel_rms", "norm_a", "norm_b",
    "norm_ratio", "cosine", "sqnr_db", "mismatch", "mismatch_fraction", "ratio", "rel_err",
)  # fmt: skip
FIELDS = (
    "n", "nan_a", "inf_a", "nan_b", "inf_b", "nonfinite_mismatch", "delta", "rel_delta",
    "max_abs", "max_abs_index", "max_abs_a", "max_abs_b", "max_rel", "max_rel_index",
    "rms_diff", "ref_rms", "rel_rms", "norm_a", "norm_b", "norm_ratio", "cosine", "sqnr_db",
    "mismatch", "mismatch_fraction", "worst_tol_ratio", "rel_err",
)  # fmt: skip


def metrics_from_row(row: tuple[Any, ...], shape: tuple[int, ...]) -> Metrics:
    """The :class:`Metrics` of one row of Python numbers in :data:`COLUMNS` order (``shape``:
    the reference tap's)."""
    v = list(row)
    if v[0] != 1:
        v[6] = v[7] = None  # delta, rel_delta: scalars only
    v[9], v[13] = unravel(v[9], shape), unravel(v[13], shape)
    return Metrics(*v)


def metrics_at(cols: Cols, i: int, shape: tuple[int, ...]) -> Metrics:
    """The :class:`Metrics` of row ``i`` of derived columns."""
    return metrics_from_row(tuple(cols[c][i].item() for c in COLUMNS), shape)


def unravel(flat_index: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    if len(shape) <= 1:
        return (int(flat_index),)
    return tuple(int(i) for i in np.unravel_index(int(flat_index), shape))
