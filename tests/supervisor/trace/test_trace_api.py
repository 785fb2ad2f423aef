"""The Python API in pytest: ``supervisor.trace.compare`` and ``assert_traces_close``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from supervisor.errors import UsageError
from supervisor.trace import assert_traces_close, compare


def test_compare_arrays_and_tensors_pass() -> None:
    ref = {"embed": np.arange(4.0), "attn": torch.ones(2, 2), "scale": 0.5}
    cand = {"embed": np.arange(4.0) + 1e-9, "attn": torch.ones(2, 2), "scale": 0.5}
    r = compare(ref, cand)
    assert (r.passed, r.exit_code, r.count("pass")) == (True, 0, 3)
    assert r.summary().splitlines() == [
        "reference (a): <reference> [memory, 3 taps, float32,float64]",
        "candidate (b): <candidate> [memory, 3 taps, float32,float64]",
        "PASS: 3 compared, 3 pass, 0 fail, 0 waived, 0 only in a, 0 only in b",
    ]
    assert assert_traces_close(ref, cand).passed


def test_assert_traces_close_fails_with_the_first_divergence_summary() -> None:
    ref = {"embed": np.arange(4.0), "attn": np.full(3, 2.0), "head": np.ones(2)}
    cand = {"embed": np.arange(4.0), "attn": np.array([2.0, 2.5, 2.0]), "head": np.zeros(2)}
    with pytest.raises(AssertionError) as err:
        assert_traces_close(ref, cand)
    assert str(err.value) == "\n".join(
        [
            "reference (a): <reference> [memory, 3 taps, float64]",
            "candidate (b): <candidate> [memory, 3 taps, float64]",
            "FAIL: 3 compared, 1 pass, 2 fail, 0 waived, 0 only in a, 0 only in b",
            "  2 of 3 compared taps fail; first: attn",
            "first divergence: #1 attn (<reference>) — 1/3 element(s) outside "
            "|Δ| ≤ 1e-07 + 1e-07·|ref|; worst 1.67e+06× the tolerance",
            "  last passing tap before it: #0 embed (<reference>)",
            "largest jump: #1 attn, rel err 0.144 (×1.44e+06 over #0)",
            "  at [1]: a=2.0 b=2.5 |Δ|=0.5 rel=0.2",
        ]
    )


def test_tolerances_as_keywords() -> None:
    ref, cand = {"x": np.array([1.0, 2.0])}, {"x": np.array([1.0, 2.001])}
    assert not compare(ref, cand).passed
    assert compare(ref, cand, rtol=1e-3).passed
    assert compare(ref, cand, tol={"x": (1e-3, None)}).passed
    assert compare(ref, cand, tol=["x=1e-3,0"]).passed
    assert compare(ref, cand, waive=["x"]).count("waived") == 1
    assert compare({"a": ref["x"]}, cand, alias={"a": "x"}, rtol=1e-3).passed
    with pytest.raises(UsageError) as err:
        compare(ref, cand, rtoll=1e-3)
    assert str(err.value) == (
        "unknown option(s): rtoll — use one of: alias, atol, config, dtype, max_mismatch, "
        "max_rel_rms, min_cosine, missing, norm_ratio, order, prefixes, rtol, tol, top_k, waive"
    )


def test_compare_paths_with_order(tmp_path: Path) -> None:
    for side, bad in (("ref", 0.0), ("cand", 0.25)):
        d = tmp_path / side
        d.mkdir()
        for k, name in enumerate(("embed", "attn", "head")):
            np.save(d / f"{name}.npy", np.full(3, k + (bad if name == "attn" else 0.0)))
    r = compare(tmp_path / "ref", str(tmp_path / "cand"), order="head,embed,attn")
    assert [r.label(i) for i in range(len(r))] == ["head", "embed", "attn"]
    assert r.first is not None and r.label(r.first.index) == "attn"
    with pytest.raises(UsageError, match="--order 'mlp' matches no stage file or tap"):
        compare(tmp_path / "ref", tmp_path / "cand", order="head,mlp")
    mem = compare({"a": 1.0, "b": 2.0}, {"b": 2.0, "a": 1.5}, order="b,a")
    assert [mem.label(i) for i in range(len(mem))] == ["b", "a"]
    (tmp_path / "t.log").write_text("T: x 1\n")
    with pytest.raises(UsageError) as err:
        compare(tmp_path / "t.log", tmp_path / "t.log", order="x")
    assert str(err.value) == (
        "--order sets the order of stage files and of the tensors of one file; both traces are "
        "text traces, whose taps keep their line order — drop --order, or pass directories of "
        "stage files"
    )


def test_in_a_pytest_file(tmp_path: Path) -> None:
    """Used as users would: a test module calling assert_traces_close, run by pytest."""
    np.savez(tmp_path / "ref.npz", a=np.ones(3), b=np.arange(3.0))
    np.savez(tmp_path / "cand.npz", a=np.ones(3), b=np.arange(3.0) * 2)
    (tmp_path / "test_user.py").write_text(
        "from supervisor.trace import assert_traces_close\n"
        "def test_same():\n"
        "    assert_traces_close('ref.npz', 'ref.npz')\n"
        "def test_diverged():\n"
        "    assert_traces_close('ref.npz', 'cand.npz')\n"
    )
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1, r.stdout
    assert "1 failed, 1 passed" in r.stdout
    assert "AssertionError: reference (a): ref.npz [npz, 2 taps, float64]" in r.stdout
    assert "first divergence: #1 b (ref.npz) — 2/3 element(s) outside" in r.stdout


def test_package_import_stays_light() -> None:
    code = (
        "import sys, supervisor.trace\n"
        "print(sorted(m for m in ('numpy', 'torch') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "[]\n"


def test_arrays_in_memory_have_a_content_digest_and_a_bundle(tmp_path: Path) -> None:
    """A result of arrays passed in Python makes the JSON document and the --out bundle (its
    inputs are hashed from what they hold: no file to read)."""
    import json

    from supervisor.trace.document import build_doc, dumps_strict
    from supervisor.trace.report import write_bundle

    ref = {"a": np.array([1.0, 2.0]), "b": 3.0}
    r = compare(ref, {"a": np.array([1.0, 2.5]), "b": 3.0})
    doc = json.loads(dumps_strict(build_doc(r, lazy=True)))
    a, b = doc["inputs"]["a"], doc["inputs"]["b"]
    assert (a["path"], a["format"], b["path"]) == ("<reference>", "memory", "<candidate>")
    assert a["sha256"] != b["sha256"] and len(a["sha256"]) == 64
    again = compare({"a": np.array([1.0, 2.0]), "b": 3.0}, ref)
    assert again.a.sha256 == a["sha256"] == again.b.sha256  # same arrays, same digest
    assert compare({"a": np.array([1.0, 2.0], dtype=np.float32)}, ref).a.sha256 != a["sha256"]
    written = write_bundle(tmp_path / "o", build_doc(r, lazy=True), r)
    assert [p.name for p in written] == ["metrics.json", "summary.md", "divergence.svg"]
    assert json.loads((tmp_path / "o" / "metrics.json").read_text())["verdict"] == "fail"
