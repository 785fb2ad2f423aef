"""Alignment, exact metrics, statuses, first divergence, waivers, aliases, shapes."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from supervisor.trace import measure as measure_mod
from supervisor.trace.align import DiffResult, diff_traces
from supervisor.trace.parse import read_trace
from supervisor.trace.tolerance import Gates, Policy, Rule, Waiver

Diff = Callable[..., DiffResult]


def test_exact_vector_metrics(diff: Diff) -> None:
    r = diff("T: v 3 4\n", "T: v 3 5\n")
    (e,) = r.entries
    m = e.metrics
    assert m is not None
    assert (m.n, m.delta, m.rel_delta) == (2, None, None)
    assert (m.max_abs, m.max_abs_index, m.max_abs_a, m.max_abs_b) == (1.0, (1,), 4.0, 5.0)
    assert (m.max_rel, m.max_rel_index) == (0.2, (1,))
    assert m.rms_diff == math.sqrt(0.5)
    assert m.ref_rms == math.sqrt(12.5)
    assert m.rel_rms == math.sqrt(0.5) / math.sqrt(12.5)
    assert (m.norm_a, m.norm_b) == (5.0, math.sqrt(34.0))
    assert m.norm_ratio == math.sqrt(34.0) / 5.0
    assert m.cosine == 29.0 / math.sqrt(850.0)
    assert m.sqnr_db == pytest.approx(10.0 * math.log10(25.0), rel=1e-15)
    # short values: float32 defaults, rtol 1.3e-6, atol 1e-5
    assert e.tol is not None and (e.tol.rtol, e.tol.atol, e.tol.level) == (1.3e-6, 1e-5, "dtype")
    assert (m.mismatch, m.mismatch_fraction) == (1, 0.5)
    assert m.worst_tol_ratio == 1.0 / (1e-5 + 1.3e-6 * 4.0)
    assert m.rel_err == m.rel_rms
    assert m.top_k == ()
    assert [(x.index, x.a, x.b, x.abs, x.rel) for x in e.top_k] == [((1,), 4.0, 5.0, 1.0, 0.2)]
    assert (e.status, r.verdict, r.exit_code) == ("fail", "fail", 2)


def test_exact_scalar_metrics(diff: Diff) -> None:
    r = diff("T: s 2\nT: t 2\n", "T: s 2.5\nT: t 1.5\n")
    s, t = (e.metrics for e in r.entries)
    assert s is not None and t is not None
    assert (s.delta, s.rel_delta, s.max_abs, s.max_rel) == (0.5, 0.25, 0.5, 0.2)
    assert (s.norm_ratio, s.cosine, s.rel_err) == (1.25, 1.0, 0.25)
    assert (t.delta, t.rel_delta) == (-0.5, -0.25)


def test_zero_norms(diff: Diff) -> None:
    r = diff("T: z 0 0\nT: y 0 0\n", "T: z 0 0\nT: y 0 0.001\n")
    z, y = r.entries
    assert z.metrics is not None and y.metrics is not None
    assert (z.metrics.cosine, z.metrics.norm_ratio, z.metrics.rel_rms) == (1.0, 1.0, 0.0)
    assert z.metrics.sqnr_db == math.inf and z.status == "pass"
    assert (y.metrics.cosine, y.metrics.norm_ratio, y.metrics.rel_rms) == (0.0, math.inf, math.inf)
    assert y.status == "fail"


def test_no_divergence(diff: Diff) -> None:
    text = "T: a 1 2\nT: phi_tic=0 b 3\nT: phi_tic=1 b 4\n"
    r = diff(text, text.replace("T:", "OTHER:"))
    assert (r.verdict, r.exit_code, r.first, r.jump, r.reasons) == ("pass", 0, None, None, ())
    assert r.count("pass") == 3


def test_first_tap_diverges(diff: Diff) -> None:
    r = diff("T: a 1\nT: b 2\n", "T: a 1.5\nT: b 2\n")
    assert r.first is not None
    assert (r.first.index, r.first.previous_pass, r.first.failing_qualifiers) == (0, None, ())


def test_middle_divergence_is_bracketed(diff: Diff) -> None:
    r = diff("T: a 1\nT: b 2\nT: c 3\nT: d 4\n", "T: a 1\nT: b 2\nT: c 3.5\nT: d 4\n")
    assert r.first is not None and (r.first.index, r.first.previous_pass) == (2, 1)
    assert [e.status for e in r.entries] == ["pass", "pass", "fail", "pass"]
    assert r.reasons == ("1 of 4 compared taps fail; first: c",)


def test_divergence_only_in_a_later_loop_step(diff: Diff) -> None:
    ref = "".join(f"T: phi_tic={k} ap 1 2 3\nT: phi_tic={k} k_frac 0.5\n" for k in range(3))
    cand = ref.replace("phi_tic=1 ap 1 2 3", "phi_tic=1 ap 1 2.5 3").replace(
        "phi_tic=2 ap 1 2 3", "phi_tic=2 ap 1 2 3.5"
    )
    r = diff(ref, cand)
    assert r.first is not None
    assert r.label(r.first.index) == "phi_tic=1 ap"
    assert r.label(r.first.previous_pass or 0) == "phi_tic=0 k_frac"
    assert r.first.failing_qualifiers == ((("phi_tic", "1"),), (("phi_tic", "2"),))


def test_alias_mapping(diff: Diff) -> None:
    ref, cand = "T: rot_a 1 2 3\nT: F 1\n", "P: ap 1 2 3\nP: G 1\n"
    none = diff(ref, cand)
    assert none.verdict == "fail" and none.first is None
    assert none.reasons[0].startswith("no common taps: the reference has 2, the candidate 2")
    r = diff(ref, cand, Policy(aliases=(("rot_a", "ap"), ("F", "G"))))
    assert (r.verdict, [e.label for e in r.entries]) == ("pass", ["rot_a", "F"])


def test_nan_on_one_side_is_a_divergence(diff: Diff) -> None:
    r = diff("T: a 1\nT: x 1 nan 3\n", "T: a 1\nT: x 1 2 3\n")
    e = r.entries[1]
    assert e.status == "fail" and r.first is not None and r.first.index == 1
    assert (
        e.reasons[0] == "non-finite on one side at 1 element(s): ref 1 NaN 0 Inf, cand 0 NaN 0 Inf"
    )
    assert r.first_nonfinite == 1
    assert e.top_k[0].index == (1,) and math.isnan(e.top_k[0].a) and e.top_k[0].abs == math.inf


def test_matching_nan_and_inf_agree(diff: Diff) -> None:
    r = diff("T: x 1 nan inf\n", "T: x 1 nan inf\n")
    assert r.entries[0].status == "pass" and r.first_nonfinite == 0
    assert diff("T: x inf\n", "T: x -inf\n").entries[0].status == "fail"


def test_scale_error_with_cosine_one_fails(diff: Diff) -> None:
    r = diff("T: t 1 2 3 4\n", "T: t 100000 200000 300000 400000\n")
    (e,) = r.entries
    assert e.metrics is not None and e.metrics.cosine == 1.0 and e.status == "fail"
    # even with every element let through and only a cosine gate set
    loose = Policy(gates=Gates(max_mismatch=1.0, min_cosine=0.99))
    (e,) = diff("T: t 1 2 3 4\n", "T: t 100000 200000 300000 400000\n", loose).entries
    assert e.status == "fail"
    assert e.reasons[0].startswith("norm ratio 100000: |ratio − 1| 1e+05 >")
    assert e.reasons[1].startswith("relative RMS 1e+05 >")


def test_set_gates(diff: Diff) -> None:
    pol = Policy(gates=Gates(max_mismatch=1.0, norm_ratio=(0.9, 1.1), max_rel_rms=0.5))
    (e,) = diff("T: t 1 2\n", "T: t 1 2.5\n", pol).entries
    assert e.reasons == ("norm ratio 1.20416 outside [0.9, 1.1]",)


def test_waivers_are_never_pass(diff: Diff) -> None:
    pol = Policy(waivers=(Waiver("phi_tic=0 *", "C-PARITY-001"), Waiver("unused*", "old")))
    r = diff(
        "T: phi_tic=0 ap 1\nT: phi_tic=0 bp 2\nT: c 3\n",
        "T: phi_tic=0 ap 9\nT: phi_tic=0 bp 2\nT: c 3\n",
        pol,
    )
    ap, bp, _ = r.entries
    assert (ap.status, ap.would_pass, ap.waiver and ap.waiver.reason) == (
        "waived",
        False,
        "C-PARITY-001",
    )
    assert (bp.status, bp.would_pass) == ("waived", True)
    assert (r.count("pass"), r.count("waived"), r.verdict, r.first) == (1, 2, "pass", None)
    assert [w.pattern for w in r.unused_waivers] == ["unused*"]


def test_no_common_taps_fails(diff: Diff) -> None:
    r = diff("T: a 1\n", "T: b 1\n")
    assert (r.verdict, r.exit_code, r.count("missing"), r.only_b) == ("fail", 2, 1, (0,))


def test_missing_taps_listed_and_fail_only_on_request(diff: Diff) -> None:
    ref, cand = "T: x 1\nT: y 2\n", "T: x 1\nT: z 3\n"
    r = diff(ref, cand)
    assert (r.verdict, [e.status for e in r.entries]) == ("pass", ["pass", "missing"])
    assert [r.b_label(j) for j in r.only_b] == ["z"]
    strict = diff(ref, cand, Policy(missing="fail"))
    assert strict.verdict == "fail" and strict.first is not None and strict.first.index == 1
    assert strict.reasons == ("2 taps on one side only (missing: fail)",)


def test_text_count_mismatch(diff: Diff) -> None:
    (e,) = diff("T: v 1 2 3\n", "T: v 1 2\n").entries
    assert (e.status, e.reasons, e.metrics) == (
        "fail",
        ("3 values vs 2: element counts differ",),
        None,
    )


def test_shape_mismatch_reported(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    for d, shapes in ((a, [(2, 3), (3,), (6,)]), (b, [(3, 2), (4,), (2, 3)])):
        for k, shape in enumerate(shapes):
            np.save(d / f"{k}_t.npy", np.zeros(shape, dtype=np.float32))
    r = diff_traces(read_trace(a), read_trace(b), Policy())
    t0, t1, t2 = r.entries
    assert t0.reasons == ("shape (2, 3) vs (3, 2): same element count, different layout",)
    assert t1.reasons == ("shape (3,) vs (4,): element counts differ (3 vs 4)",)
    assert (t2.status, t2.notes) == ("pass", ("shape (6,) vs (2, 3): compared flat",))


def test_tolerance_levels(diff: Diff) -> None:
    pol = Policy(
        taps=(Rule("a", 1e-3, 1e-4, (), "t"),),
        groups=(Rule("b*", 1e-2, None, (), "g"),),
        dtypes=(("float32", 2e-6, None),),
    )
    r = diff("T: a 1\nT: b1 1\nT: c 1\n", "T: a 1\nT: b1 1\nT: c 1\n", pol)
    got = [(e.tol.level, e.tol.rtol, e.tol.atol) for e in r.entries if e.tol]
    assert got == [("tap", 1e-3, 1e-4), ("group", 1e-2, 1e-5), ("dtype", 2e-6, 1e-5)]
    glob = diff("T: c 1\n", "T: c 1\n", Policy(global_rtol=0.5, global_origin="--rtol/--atol"))
    tol = glob.entries[0].tol
    assert tol is not None and (tol.level, tol.rtol, tol.atol) == ("global", 0.5, 1e-5)


def test_weaker_dtype_text_vs_npy(tmp_path: Path) -> None:
    (tmp_path / "c.log").write_text("T: c 0.100000000000001\n")
    np.save(tmp_path / "c.npy", np.full(1, 0.1, dtype=np.float32))
    r = diff_traces(read_trace(tmp_path / "c.log"), read_trace(tmp_path / "c.npy"), Policy())
    (e,) = r.entries
    assert e.a.dtype == "float64" and e.tol is not None and e.tol.dtype == "float32"
    assert e.status == "pass"  # float32 rounding of 0.1 is within float32 tolerance


def test_largest_jump(diff: Diff) -> None:
    r = diff("T: a 1\nT: b 1\nT: c 1\n", "T: a 1\nT: b 1.001\nT: c 1.1\n", dtype="float64")
    assert r.jump is not None
    assert (r.jump.index, r.jump.previous) == (1, 0)
    assert r.jump.factor == pytest.approx(1e4, rel=1e-9)  # 1e-3 over the 1e-7 rtol floor


def test_big_tensor_chunked_metrics(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    n = 2 * measure_mod.CHUNK + 5
    a = rng.standard_normal(n).astype(np.float32)
    b = a.copy()
    b[[3, measure_mod.CHUNK + 1, n - 1]] += np.float32([0.5, -2.0, 1.0])
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "b.npy", b)
    r = diff_traces(read_trace(tmp_path / "a.npy"), read_trace(tmp_path / "b.npy"), Policy())
    (e,) = r.entries
    m = e.metrics
    assert m is not None
    d = b.astype(np.float64) - a.astype(np.float64)
    assert (m.max_abs, m.max_abs_index) == (float(np.abs(d).max()), (measure_mod.CHUNK + 1,))
    assert m.mismatch == 3
    assert m.rms_diff == pytest.approx(float(np.sqrt(np.mean(d * d))), rel=1e-12)
    assert [x.index for x in e.top_k] == [(measure_mod.CHUNK + 1,), (n - 1,), (3,)]


def test_top_k_order(diff: Diff) -> None:
    (e,) = diff("T: v 0 0 0 0 0 0\n", "T: v 0 5 0 -7 1 0\n", Policy(top_k=3)).entries
    assert [(x.index, x.abs) for x in e.top_k] == [((3,), 7.0), ((1,), 5.0), ((4,), 1.0)]


@pytest.mark.parametrize(
    "gates",
    [
        Gates(),
        Gates(max_mismatch=0.5),
        Gates(max_mismatch=1.0, min_cosine=0.999),
        Gates(max_mismatch=1.0, norm_ratio=(0.999, 1.001), max_rel_rms=1e-3),
        Gates(norm_ratio=(0.5, 2.0), max_rel_rms=10.0),
    ],
)
def test_vectorized_status_agrees_with_reasons(diff: Diff, gates: Gates) -> None:
    rng = np.random.default_rng(3)
    ref, cand = [], []
    for k in range(300):
        n = int(rng.integers(1, 6))
        a = rng.standard_normal(n) * 10.0 ** rng.integers(-8, 3)
        a[rng.random(n) < 0.1] = 0.0
        b = a * (1 + rng.choice([0, 1e-9, 1e-6, 1e-3, 1e-1, 1e5]) * rng.standard_normal(n))
        b[rng.random(n) < 0.05] += rng.choice([1e-6, 1e-3, np.nan, np.inf])
        ref.append(f"T: t{k} " + " ".join(repr(float(x)) for x in a))
        cand.append(f"T: t{k} " + " ".join(repr(float(x)) for x in b))
    r = diff("\n".join(ref) + "\n", "\n".join(cand) + "\n", Policy(gates=gates))
    statuses = [e.status for e in r.entries]
    assert {"pass", "fail"} <= set(statuses)
    for e in r.entries:
        assert (e.status == "fail") == bool(e.reasons), (e.label, e.reasons)


def test_big_tensor_with_nan_takes_the_general_path(tmp_path: Path) -> None:
    n = measure_mod.CHUNK + 10
    a = np.zeros(n, dtype=np.float32)
    b = a.copy()
    b[5] = np.nan
    a[n - 1] = np.inf
    b[n - 1] = np.inf
    b[n - 2] = 0.5
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "b.npy", b)
    (e,) = diff_traces(
        read_trace(tmp_path / "a.npy"), read_trace(tmp_path / "b.npy"), Policy()
    ).entries
    m = e.metrics
    assert m is not None
    assert (m.nan_b, m.inf_a, m.inf_b, m.nonfinite_mismatch, m.mismatch) == (1, 1, 1, 1, 2)
    assert (m.max_abs, m.max_abs_index) == (0.5, (n - 2,))
    assert [x.index for x in e.top_k] == [(5,), (n - 2,)]
