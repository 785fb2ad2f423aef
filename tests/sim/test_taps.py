"""Trace taps: scoped, focused, zero cost when off; and the trace line format."""

from __future__ import annotations

import re
import shlex

import torch

from sim import taps
from sim.cli import config_from_args
from sim.trace import trace_pixel


def test_tap_is_a_no_op_without_a_recorder() -> None:
    calls: list[int] = []

    def derived() -> torch.Tensor:
        calls.append(1)
        return torch.zeros(3)

    assert taps.active() is None
    taps.tap("x", derived)
    assert calls == []


def test_recording_is_scoped_and_needs_focus() -> None:
    value = torch.arange(12.0).reshape(4, 3)
    with taps.recording((1, 2)) as recorder:
        assert taps.active() is recorder
        taps.tap("unfocused", value)
        with recorder.focus(2):
            taps.tap("row", value)
            taps.tap("global", value[0], per_pixel=False)
            taps.tap("lazy", lambda: value * 2)
    assert taps.active() is None
    assert set(recorder.values) == {"row", "global", "lazy"}
    assert recorder.values["row"].tolist() == [6.0, 7.0, 8.0]
    assert recorder.values["global"].tolist() == [0.0, 1.0, 2.0]
    assert recorder.values["lazy"].tolist() == [12.0, 14.0, 16.0]


LINE = re.compile(r"^TRACE_PY: (?:\w+=\d+ )*[A-Za-z_][\w]* (?:\S+)( \S+)*$")


def test_every_line_has_the_documented_form() -> None:
    args = shlex.split(
        "-cell 100 100 100 90 90 90 -N 5 -default_F 100 -lambda 6.2 -detpixels 16 -osc 30 -phisteps 3"
    )
    trace = trace_pixel(config_from_args(args), (3, 4), emit_rot_stars=True)
    for line in trace.lines:
        assert LINE.match(line), line
        for word in line.split()[2:]:
            if "=" not in word and not word.isidentifier():
                float(word)
    assert "TRACE_PY: hkl_rounded " in "\n".join(trace.lines)
    rounded = next(line for line in trace.lines if line.startswith("TRACE_PY: hkl_rounded "))
    assert all(re.fullmatch(r"-?\d+", w) for w in rounded.split()[2:])
    # one pass (n_os = 1): ap bp cp, 3 rotated stars, V_actual, then phi_deg hkl_frac k_frac
    # F_latt_b F_latt, for each of the 3 φ steps
    qualified = [
        line.split()[1:3] for line in trace.lines if line.split()[1].startswith("phi_tic=")
    ]
    assert len(qualified) == 3 * 12
    assert [name for q, name in qualified if q == "phi_tic=2"] == [
        "ap", "bp", "cp", "rot_a_star", "rot_b_star", "rot_c_star", "V_actual",
        "phi_deg", "hkl_frac", "k_frac", "F_latt_b", "F_latt",
    ]  # fmt: skip
