"""The streamed JSON document: the column writer says exactly what the per-tap dicts say,
the vectorized reasons match the per-tap ones, and 10⁵ taps come out as parseable JSON."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from supervisor.trace.align import diff_traces
from supervisor.trace.document import build_doc, dumps_strict
from supervisor.trace.gates import gate_reasons, reasons_json_many, reasons_many
from supervisor.trace.parse import read_trace
from supervisor.trace.result import DiffResult
from supervisor.trace.tolerance import Gates, Policy, Waiver

Run = Callable[..., subprocess.CompletedProcess[str]]


def _strict(text: str) -> Any:
    def refuse(name: str) -> None:
        raise ValueError(f"non-strict JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def _both(r: DiffResult) -> tuple[Any, Any]:
    """(streamed column-writer document, per-tap dict document), parsed."""
    fast = dumps_strict(build_doc(r, lazy=True))
    slow = dumps_strict(build_doc(r, lazy=False))
    return _strict(fast), _strict(slow)


def _random_text(rng: np.random.Generator, n: int) -> tuple[str, str]:
    ref, cand = [], []
    for k in range(n):
        m = int(rng.integers(1, 6))
        a = rng.standard_normal(m) * 10.0 ** rng.integers(-8, 3)
        a[rng.random(m) < 0.1] = 0.0
        b = a * (1 + rng.choice([0, 1e-9, 1e-6, 1e-3, 1e-1]) * rng.standard_normal(m))
        b[rng.random(m) < 0.03] += rng.choice([1e-3, np.nan, np.inf])
        q = f"phi_tic={k % 3} " if k % 2 else ""
        ref.append(f"T: {q}t{k % 40} " + " ".join(repr(float(x)) for x in a))
        cand.append(f"T: {q}t{k % 40} " + " ".join(repr(float(x)) for x in b))
    ref.append("T: conv=MOSFLM")
    cand.append("T: conv=XDS")
    ref.append("T: only_ref 1")
    cand.append("T: ünïcode_only_cand 1")
    return "\n".join(ref) + "\n", "\n".join(cand) + "\n"


@pytest.mark.parametrize(
    "policy",
    [
        Policy(),
        Policy(gates=Gates(max_mismatch=0.5, min_cosine=0.999)),
        Policy(gates=Gates(norm_ratio=(0.99, 1.01), max_rel_rms=1e-3), top_k=2),
        Policy(waivers=(Waiver("phi_tic=1 *", "known", "test"),), top_k=0),
    ],
)
def test_column_writer_matches_the_dict_document_text(tmp_path: Path, policy: Policy) -> None:
    ref, cand = _random_text(np.random.default_rng(5), 600)
    (tmp_path / "a.log").write_text(ref)
    (tmp_path / "b.log").write_text(cand)
    r = diff_traces(read_trace(tmp_path / "a.log"), read_trace(tmp_path / "b.log"), policy)
    assert {"pass", "fail", "missing"} <= {r.status_of(i) for i in range(len(r))}
    fast, slow = _both(r)
    assert fast == slow


def test_column_writer_matches_when_top_k_runs_in_several_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from supervisor.trace import measure

    ref, cand = _random_text(np.random.default_rng(9), 600)
    (tmp_path / "a.log").write_text(ref)
    (tmp_path / "b.log").write_text(cand)
    r = diff_traces(read_trace(tmp_path / "a.log"), read_trace(tmp_path / "b.log"), Policy())
    monkeypatch.setattr(measure, "CHUNK", 7)  # the top-K of small taps, 7 elements a batch
    fast, slow = _both(r)
    assert fast == slow
    assert sum(bool(t["top_k"]) for t in fast["taps"]) > 50


def test_column_writer_escapes_every_text_piece(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text("T: k=\u202e t\x7f 1 2\nT: u 1\n")
    (tmp_path / "b.log").write_text("T: k=\u202e t\x7f 1 3\nT: u 1\n")
    r = diff_traces(read_trace(tmp_path / "a.log"), read_trace(tmp_path / "b.log"), Policy())
    from supervisor.cli._common import escape_json_text

    doc = build_doc(r, lazy=True)
    raw = dumps_strict(doc)
    escaped = dumps_strict(doc, escape_json_text)
    assert "\x7f" in raw and "\u202e" in raw
    assert escaped == escape_json_text(raw)
    assert "\x7f" not in escaped and "\u202e" not in escaped
    assert _strict(escaped) == _strict(raw)


def test_column_writer_matches_for_binary_stage_files(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    for side in ("a", "b"):
        (tmp_path / side).mkdir()
    x = rng.standard_normal((3, 4))
    np.save(tmp_path / "a" / "00_grid.npy", x)
    np.save(tmp_path / "b" / "00_grid.npy", x + np.eye(3, 4) * 1e-3)  # 2-D, fails
    v = rng.standard_normal(10).astype(np.float32)
    torch.save({"vec": torch.from_numpy(v), "s": 2.5}, tmp_path / "a" / "01_t.pt")
    w = v.copy()
    w[[2, 7]] += 1.0
    torch.save({"vec": torch.from_numpy(w), "s": 2.5}, tmp_path / "b" / "01_t.pt")
    np.savez(tmp_path / "a" / "02_z.npz", nan=np.array([1.0, np.nan]), ok=np.ones(3))
    np.savez(tmp_path / "b" / "02_z.npz", nan=np.array([1.0, 2.0]), ok=np.ones(3))
    r = diff_traces(read_trace(tmp_path / "a"), read_trace(tmp_path / "b"), Policy())
    assert [r.status_of(i) for i in range(len(r))] == ["fail", "fail", "pass", "fail", "pass"]
    fast, slow = _both(r)
    assert fast == slow
    vec = fast["taps"][1]
    assert [e["index"] for e in vec["top_k"]] == [[2], [7]]
    assert fast["taps"][0]["metrics"]["max_abs_index"] in ([0, 0], [1, 1], [2, 2])


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
def test_vectorized_reasons_equal_per_tap_reasons(tmp_path: Path, gates: Gates) -> None:
    ref, cand = _random_text(np.random.default_rng(11), 400)
    (tmp_path / "a.log").write_text(ref)
    (tmp_path / "b.log").write_text(cand)
    r = diff_traces(
        read_trace(tmp_path / "a.log"), read_trace(tmp_path / "b.log"), Policy(gates=gates)
    )
    rows = np.flatnonzero(r.measured)
    many = reasons_many(r.cols, rows, r.tols, r.tol_id)
    checked = 0
    for i in rows.tolist():
        m, tol = r.metrics(i), r.tol(i)
        assert m is not None and tol is not None
        assert many.get(i, []) == gate_reasons(m, tol), r.label(i)
        checked += bool(many.get(i))
    assert checked > 20
    as_json = reasons_json_many(r.cols, rows, r.tols, r.tol_id)
    assert {i: json.loads(t) for i, t in as_json.items()} == many


def test_json_of_1e5_taps_parses(run_cli: Run, tmp_path: Path) -> None:
    n = 100_000
    rng = np.random.default_rng(2)
    vals = rng.standard_normal((n, 2)) * 100.0
    cand = vals.copy()
    cand[60_000:] *= 1 + 1e-3
    for name, prefix, data in (("ref.log", "TRACE_C", vals), ("cand.log", "TRACE_PY", cand)):
        with (tmp_path / name).open("w") as fh:
            for i, (x, y) in enumerate(data.tolist()):
                fh.write(f"{prefix}: phi_tic={i // 100} tap_{i % 100} {x!r} {y!r}\n")
    out = tmp_path / "bundle"
    args = ["trace", "diff", str(tmp_path / "ref.log"), str(tmp_path / "cand.log"), "--json"]
    r = run_cli([*args, "--out", str(out)], tmp_path)
    assert r.returncode == 2, r.stderr
    assert r.stdout.encode() == (out / "metrics.json").read_bytes()  # written once, both
    doc = _strict(r.stdout)
    assert doc["counts"]["taps_a"] == doc["counts"]["compared"] == n
    assert (doc["counts"]["pass"], doc["counts"]["fail"]) == (60_000, 40_000)
    assert len(doc["taps"]) == n
    assert doc["first_divergence"]["label"] == "phi_tic=600 tap_0"
    tap = doc["taps"][60_000]
    assert (tap["index"], tap["status"], tap["where"]) == (
        60_000,
        "fail",
        {"a": 60_001, "b": 60_001},
    )
    assert tap["metrics"]["max_abs_a"] in (vals[60_000, 0], vals[60_000, 1])
    assert [e["a"] for e in tap["top_k"]] == sorted(vals[60_000].tolist(), key=lambda v: -abs(v))
    assert doc["taps"][5]["metrics"]["max_abs"] == 0.0


def test_plot_thins_long_series_to_their_envelope() -> None:
    from supervisor.trace.plot import thin

    xs = np.arange(12, dtype=np.int64)
    ys = np.array([5.0, 1, 3, 3, 9, 2, 4, 4, 4, 8, 0.5, 7])
    # 12 taps in 2 bins: each bin keeps its highest and lowest points
    kx, ky = thin(xs, ys, 12, bins=2)
    assert (kx.tolist(), ky.tolist()) == ([1, 4, 9, 10], [1.0, 9.0, 8.0, 0.5])
    same = thin(xs[:4], ys[:4], 12, bins=2)
    assert same[0].tolist() == [0, 1, 2, 3]  # few points: all kept
