"""The repository's own initiative, end to end through its registry: Phase A traces both φ
modes, Phase B diffs them — `trace diff` must localize the carry-over at the first per-φ
lattice tap, `phi_tic=0 ap` (PHYSICS.md §15: the φ = 0 step takes the lattice of the last
step) — and record-attempt marks the tasks done from those bundles."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

Run = Callable[..., CompletedProcess[str]]


def _value(trace: str, tap: str) -> float:
    line = next(x for x in trace.splitlines() if x.startswith(f"TRACE_PY: {tap} "))
    return float(line.split()[-1])


def test_phase_a_and_b_localize_the_phi_carryover(
    repo_ws: Path, run_cli: Run, bundle_doc: Any, sums_ok: Any
) -> None:
    env = {"SUPERVISOR_DATE": "2026-11-24"}
    a = run_cli(["dispatch", "--focus"], repo_ws)
    assert a.returncode == 0, a.stderr
    (bundle_a,) = (repo_ws / "reports" / "PHI-PARITY-001" / "phase_a").iterdir()
    spec = (bundle_a / "trace_spec.log").read_text()
    cpar = (bundle_a / "trace_cparity.log").read_text()
    # pixel (67, 128): the reference C images hold 19.07 (spec) and 3.27 (c-parity) there
    assert round(_value(spec, "floatimage_accumulated"), 2) == 19.07
    assert round(_value(cpar, "floatimage_accumulated"), 2) == 3.27
    rel_a = bundle_a.relative_to(repo_ws).as_posix()
    r = run_cli(
        ["record-attempt", "PHI-PARITY-001", "--result", "success", "--bundle", rel_a,
         "--summary", "spec and c-parity traces captured", "--task", "A1", "--state", "done"],
        repo_ws, env=env,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr

    b = run_cli(["dispatch", "trace-spec", "trace-cparity", "trace-diff", "--phase", "B"], repo_ws)
    assert b.returncode == 0, b.stderr  # trace-diff exits 2 (divergence), an ok_exit code
    (bundle_b,) = (repo_ws / "reports" / "PHI-PARITY-001" / "phase_b").iterdir()
    doc = bundle_doc(bundle_b)
    assert [(c["name"], c["exit_code"], c["status"]) for c in doc["commands"]] == [
        ("trace-spec", 0, "ok"), ("trace-cparity", 0, "ok"), ("trace-diff", 2, "ok"),
    ]  # fmt: skip
    sums_ok(bundle_b)
    metrics = json.loads((bundle_b / "diff" / "metrics.json").read_text())
    first = metrics["first_divergence"]
    assert (first["name"], first["qualifiers"]) == ("ap", {"phi_tic": "0"})
    assert first["previous_pass"]["label"] == "scattering_vec_A_inv"
    failing = {t["label"] for t in metrics["taps"] if t["status"] == "fail"}
    assert "phi_tic=0 ap" in failing
    assert all(not x.startswith("phi_tic=") or x.startswith("phi_tic=0 ") for x in failing)
    assert (bundle_b / "diff" / "divergence.svg").read_text().endswith("</svg>\n")

    rel_b = bundle_b.relative_to(repo_ws).as_posix()
    r = run_cli(
        ["record-attempt", "PHI-PARITY-001", "--result", "success", "--bundle", rel_b,
         "--summary", "first divergence: phi_tic=0 ap", "--task", "B1", "--state", "done"],
        repo_ws, env=env,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    ledger = (repo_ws / "docs" / "fix_plan.md").read_text()
    assert "  * [2026-11-24] Attempt #2 — Result: ✅ success (task B1: [ ] → [D])." in ledger
    assert run_cli(["lint"], repo_ws).returncode == 0
