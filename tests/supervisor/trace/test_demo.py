"""End to end: `sim trace` in spec and c-parity φ modes for one pixel, diffed; the diff must
localize the φ carry-over (PHYSICS.md §15) at the first φ-dependent tap, at phi_tic=0."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

Run = Callable[..., subprocess.CompletedProcess[str]]

# AT-PARALLEL-021-style run: 9 φ steps from φ = 0, so the φ = 0 slice is carried over
SIM_ARGS = [
    "--default_F", "100", "--cell", "100", "100", "100", "90", "90", "90", "--lambda", "6.2",
    "--N", "5", "--pixel_size", "0.1", "--distance", "100", "--detpixels", "256",
    "--convention", "mosflm", "--seed", "1", "--phi", "0", "--mosaic", "0", "--oversample", "1",
    "--osc", "90", "--phisteps", "9", "--pixel", "128", "140",
]  # fmt: skip


def _sim_trace(mode: str, out: Path) -> Path:
    r = subprocess.run(
        [sys.executable, "-m", "sim.cli", "trace", *SIM_ARGS, "--phi-mode", mode],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    out.write_text(r.stdout)
    return out


def test_phi_carryover_localized(run_cli: Run, tmp_path: Path) -> None:
    pytest.importorskip("torch")
    spec = _sim_trace("spec", tmp_path / "spec.log")
    cpar = _sim_trace("c-parity", tmp_path / "c-parity.log")
    r = run_cli(
        ["trace", "diff", str(spec), str(cpar), "--json", "--out", str(tmp_path / "o")], tmp_path
    )
    assert r.returncode == 2, r.stderr
    doc = json.loads(r.stdout)
    first = doc["first_divergence"]
    assert (first["name"], first["qualifiers"]) == ("ap", {"phi_tic": "0"})
    assert first["failing_qualifiers"] == [{"phi_tic": "0"}]  # only the φ = 0 step differs
    assert first["previous_pass"]["label"] == "scattering_vec_A_inv"
    assert doc["largest_jump"]["label"] == "phi_tic=0 ap"
    # every other φ step's lattice agrees
    steps = [t for t in doc["taps"] if t["name"] == "ap" and t["qualifiers"]]
    assert [t["status"] for t in steps] == ["fail"] + ["pass"] * 8
    svg = ET.fromstring((tmp_path / "o" / "divergence.svg").read_bytes())
    label = svg.find(".//*[@id='first-divergence-label']")
    assert label is not None and label.text == "first divergence: phi_tic=0 ap"
