"""`supervisor trace diff` as a real subprocess: exit codes 0/1/2, --json schema, --out files."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Run = Callable[..., subprocess.CompletedProcess[str]]
Aprt = Callable[..., Path]

REF = "TRACE_C: a 1 2 3\nTRACE_C: phi_tic=0 b 0.5\nTRACE_C: phi_tic=1 b 0.25\nTRACE_C: c 7\n"
SAME = REF.replace("TRACE_C:", "TRACE_PY:")
DIVERGED = SAME.replace("phi_tic=1 b 0.25", "phi_tic=1 b 0.3")


def _strict(text: str) -> Any:
    def refuse(name: str) -> None:
        raise ValueError(f"non-strict JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, text in (("ref", REF), ("same", SAME), ("div", DIVERGED)):
        out[name] = tmp_path / f"{name}.log"
        out[name].write_text(text)
    return out


def test_exit_0_when_all_pass(run_cli: Run, tmp_path: Path, files: dict[str, Path]) -> None:
    r = run_cli(["trace", "diff", str(files["ref"]), str(files["same"])], tmp_path)
    assert (r.returncode, r.stderr) == (0, "")
    assert "PASS: 4 compared, 4 pass, 0 fail" in r.stdout
    assert "\x1b[" not in r.stdout  # no colour when not a TTY


def test_exit_2_on_divergence(run_cli: Run, tmp_path: Path, files: dict[str, Path]) -> None:
    args = ["trace", "diff", str(files["ref"]), str(files["div"])]
    r = run_cli(args, tmp_path)
    assert (r.returncode, r.stderr) == (2, "")
    assert f"first divergence: #2 phi_tic=1 b ({files['ref']}:3)" in r.stdout
    assert f"last passing tap before it: #1 phi_tic=0 b ({files['ref']}:2)" in r.stdout
    assert "b fails at: phi_tic=1" in r.stdout
    assert run_cli(args, tmp_path).stdout == r.stdout  # deterministic


def test_exit_1_on_bad_input(
    run_cli: Run, tmp_path: Path, files: dict[str, Path], aprt: Aprt
) -> None:
    bad = aprt(tmp_path / "x.aprt", [1.0], magic=b"NOPE")
    r = run_cli(["trace", "diff", str(bad), str(files["ref"])], tmp_path)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (
        f"error: {bad}: bad magic b'NOPE' at offset 0, expected b'APRT' — not an APRT stage "
        "file; pass .npy/.npz or a text trace instead\n"
    )
    short = aprt(tmp_path / "s.aprt", [1.0], count=3)
    r = run_cli(["trace", "diff", str(files["ref"]), str(short)], tmp_path)
    assert r.returncode == 1 and "header (offset 8) claims 3 float32 elements" in r.stderr
    text = tmp_path / "t.log"
    text.write_text("TRACE_PY: a 1 2 oops\n")
    r = run_cli(["trace", "diff", str(files["ref"]), str(text)], tmp_path)
    assert r.returncode == 1 and r.stderr.startswith(f"error: {text}:1: non-numeric value 'oops'")
    assert "Traceback" not in r.stderr
    r = run_cli(["trace", "diff", str(files["ref"]), str(files["ref"]), "--missing", "x"], tmp_path)
    assert (r.returncode, r.stderr) == (
        1,
        "error: --missing 'x' is not valid — use one of: fail, warn\n",
    )


def test_no_common_taps_exits_2(run_cli: Run, tmp_path: Path, files: dict[str, Path]) -> None:
    other = tmp_path / "o.log"
    other.write_text("TRACE_PY: zz 1\n")
    r = run_cli(["trace", "diff", str(files["ref"]), str(other)], tmp_path)
    assert r.returncode == 2 and "no common taps" in r.stdout


def test_json_schema(run_cli: Run, tmp_path: Path, files: dict[str, Path]) -> None:
    r = run_cli(["trace", "diff", str(files["ref"]), str(files["div"]), "--json"], tmp_path)
    assert (r.returncode, r.stderr) == (2, "")
    doc = _strict(r.stdout)
    assert (doc["schema_version"], doc["kind"], doc["reference"]) == (1, "trace_diff", "a")
    assert (doc["verdict"], doc["exit_code"]) == ("fail", 2)
    assert list(doc) == [
        "schema_version", "kind", "reference", "verdict", "exit_code", "reasons", "inputs",
        "counts", "first_divergence", "largest_jump", "first_nonfinite", "only_in_a",
        "only_in_b", "unused_waivers", "policy", "tolerances", "taps",
    ]  # fmt: skip
    a = doc["inputs"]["a"]
    assert (a["path"], a["format"], a["taps"], a["prefixes"]) == (
        str(files["ref"]),
        "text",
        4,
        ["TRACE_C"],
    )
    assert len(a["sha256"]) == 64
    assert doc["counts"] == {
        "taps_a": 4, "taps_b": 4, "compared": 4, "pass": 3, "fail": 1, "waived": 0,
        "missing": 0, "only_in_b": 0,
    }  # fmt: skip
    first = doc["first_divergence"]
    assert (first["index"], first["label"], first["first_failing_qualifier"]) == (
        2,
        "phi_tic=1 b",
        {"phi_tic": "1"},
    )
    assert first["previous_pass"]["label"] == "phi_tic=0 b"
    assert first["where"] == {"a": f"{files['ref']}:3", "b": f"{files['div']}:3"}
    tap = doc["taps"][2]
    assert (tap["status"], tap["where"], tap["qualifiers"]) == (
        "fail",
        {"a": 3, "b": 3},
        {"phi_tic": "1"},
    )
    tol = doc["tolerances"][tap["tolerance"]]
    assert (tol["rtol"], tol["atol"], tol["level"], tol["dtype"]) == (
        1.3e-6,
        1e-5,
        "dtype",
        "float32",
    )
    m = tap["metrics"]
    assert (m["delta"], m["n"], m["mismatch"]) == (0.3 - 0.25, 1, 1)
    assert doc["taps"][0]["metrics"]["delta"] is None  # vectors carry no scalar delta


def test_out_writes_strict_bundle(run_cli: Run, tmp_path: Path, files: dict[str, Path]) -> None:
    nan = tmp_path / "nan.log"
    nan.write_text(DIVERGED.replace("TRACE_PY: a 1 2 3", "TRACE_PY: a 1 nan 3"))
    out = tmp_path / "bundle" / "x"
    r = run_cli(["trace", "diff", str(files["ref"]), str(nan), "--out", str(out)], tmp_path)
    assert r.returncode == 2
    assert r.stderr.startswith(f"wrote {out / 'metrics.json'}")
    doc = _strict((out / "metrics.json").read_text())
    assert doc["kind"] == "trace_diff" and doc["first_nonfinite"]["label"] == "a"
    m = doc["taps"][0]["metrics"]
    assert (m["max_abs"], m["max_abs_a"], m["nan_b"], m["nonfinite_mismatch"]) == (0.0, 1.0, 1, 1)
    assert doc["taps"][0]["top_k"][0] == {
        "index": [1], "a": 2.0, "b": None, "abs": None, "rel": None,
        "nonfinite": {"b": "nan", "abs": "inf", "rel": "inf"},
    }  # fmt: skip
    summary = (out / "summary.md").read_text()
    assert summary.startswith("# Trace diff: FAIL\n")
    assert "first divergence: #0 a" in summary
    assert summary.endswith("Full per-tap metrics: `metrics.json`. Plot: `divergence.svg`.\n")
    svg = (out / "divergence.svg").read_bytes()
    assert svg.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<svg ')
    assert sorted(p.name for p in out.iterdir()) == ["divergence.svg", "metrics.json", "summary.md"]


def test_real_c_log_against_itself(run_cli: Run, tmp_path: Path, sim_reference_root: Path) -> None:
    log = sim_reference_root / "triclinic" / "trace_pixel_368_262.log"
    r = run_cli(["trace", "diff", str(log), str(log), "--json"], tmp_path)
    doc = _strict(r.stdout)
    assert (r.returncode, doc["verdict"], doc["counts"]["pass"]) == (0, "pass", 166)


def test_help_documents_schema_and_exit_codes(run_cli: Run, tmp_path: Path) -> None:
    r = run_cli(["trace", "diff", "--help"], tmp_path)
    assert r.returncode == 0
    for text in ("Config file (--config FILE, YAML", "waivers:", "Exit status: 0", "--waive"):
        assert text in r.stdout


def test_command_modules_import_nothing_heavy() -> None:
    code = (
        "import sys, supervisor.cli.main, supervisor.cli.trace_cmd;"
        "print(sorted(m for m in ('numpy', 'rich', 'matplotlib', 'torch') if m in sys.modules))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout == "[]\n"
