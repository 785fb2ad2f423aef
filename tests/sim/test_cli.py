"""The `sim` command line, as real subprocesses (bad input) and in-process (exit codes)."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim import cli

SMALL = shlex.split("-cell 70 80 90 75 85 95 -default_F 100 -N 3 -detpixels 16 -oversample 1")


def _sim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "-cell", "70", "80", "90", "100", "30", "40", "-default_F", "1"],
         "error: impossible cell: angles 100 30 40 do not close — each angle must be smaller than "
         "the sum of the other two, and the three must add up to less than 360°"),
        (["run", *SMALL, "-pixel", "0"], "error: -pixel must be > 0, got 0"),
        (["run", *SMALL, "-distance", "-5"], "error: -distance must be > 0, got -5"),
        (["run", *SMALL, "-detpixels", "0"], "error: detector pixel count (fast) must be >= 1, got 0"),
        (["run", *SMALL, "--convention", "spiral"],
         "error: unknown convention 'spiral' — valid conventions: mosflm, denzo, adxv, xds, dials, custom"),
        (["run", *SMALL, "-hkl", "missing.hkl"], "error: missing.hkl: HKL file not found — check the -hkl path"),
        (["run", *SMALL, "-hkl", "bad.hkl"],
         "error: bad.hkl:3: expected 4 columns, got 3: '1 2 3' — each line must be 'h k l F': "
         "three integer indices and a structure factor"),
        (["trace", *SMALL, "--pixel", "16", "2"],
         "error: pixel (s, f) = (16, 2) is outside the 16×16 detector — the slow index must be in "
         "[0, 15], the fast in [0, 15]"),
        (["trace", *SMALL], "error: missing --pixel S F — give the slow and fast index of the pixel to trace"),
        (["run", *SMALL, "-frobnicate", "3"],
         "error: unknown option -frobnicate — see 'sim run --help' for the options and C flags"),
        (["run", "-cell", "70", "80", "90", "75", "85", "95"],
         "error: no structure factors — give -hkl FILE, or -default_F F for a constant F"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_1(args: list[str], message: str, tmp_path: Path) -> None:
    (tmp_path / "bad.hkl").write_text("0 0 0 10\n1 0 0 20\n1 2 3\n")
    result = _sim(*args, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == message + "\n"
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == [tmp_path / "bad.hkl"]  # nothing written


def test_run_writes_the_float_image(case_args, reference, tmp_path: Path) -> None:
    args = [*case_args("at001_256"), "-nopgm", "-nonoise", "-noprogress", "-floatfile", "out.bin"]
    result = _sim("run", *args, "--png", "view.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("wrote out.bin: 256x256 float32, sum 41202.")
    image = np.fromfile(tmp_path / "out.bin", dtype="<f4").reshape(256, 256)
    np.testing.assert_allclose(image, reference("at001_256"), rtol=1e-4, atol=1e-6)
    assert (tmp_path / "view.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_trace_out_writes_the_same_text(tmp_path: Path) -> None:
    printed = _sim("trace", *SMALL, "--pixel", "3", "4", "--dtype", "float64", cwd=tmp_path)
    written = _sim(
        "trace", *SMALL, "--pixel", "3", "4", "--dtype", "float64", "--out", "t.txt", cwd=tmp_path
    )
    assert printed.returncode == written.returncode == 0
    assert written.stdout == ""
    text = (tmp_path / "t.txt").read_text()
    assert text == printed.stdout
    lines = text.splitlines()
    # default MOSFLM centre (detsize + pixel)/2 plus the ½-pixel shift: 0.9 mm
    assert (
        lines[0] == "TRACE_PY: pix0_vector_meters 0.1 0.0009000000000000001 -0.0009000000000000001"
    )
    assert all(line.startswith("TRACE_PY: ") for line in lines)
    assert lines[-1].startswith("TRACE_PY: floatimage_accumulated ")


def test_interrupt_exits_130(monkeypatch, capsys) -> None:
    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("sim.simulator.simulate", interrupted)
    assert cli.main(["run", *SMALL]) == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_unexpected_error_exits_3_with_traceback(monkeypatch, capsys) -> None:
    def broken(*_: object, **__: object) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr("sim.simulator.simulate", broken)
    assert cli.main(["run", *SMALL]) == 3
    err = capsys.readouterr().err
    assert err.startswith("internal error (this is a bug in sim; please report it):\nTraceback")
    assert err.rstrip().endswith("ZeroDivisionError: boom")


def test_c_flags_map_onto_options() -> None:
    values = cli.parse_args(
        "run",
        shlex.split(
            "-misset -89.9 -31.3 177.7 -pixel 0.2 -mosflm -round_xtal -misset_seed 3 -Xbeam 5 -nopgm -seed 7"
        ),
    )
    assert values["misset"] == (-89.9, -31.3, 177.7)
    assert values["pixel_size"] == 0.2
    assert values["convention"] == "mosflm"
    assert values["shape"] == "round"
    assert values["pivot"] == "beam"
    assert cli.parse_args("run", ["-misset", "random"])["misset_random"] is True
    assert cli.parse_args("run", shlex.split("-twotheta 5 -distance 90"))["pivot"] == "beam"
    assert cli.parse_args("run", shlex.split("-distance 90 -twotheta 5"))["pivot"] == "sample"


def test_help_lists_the_flag_mapping(capsys) -> None:
    assert cli.main(["run", "--help"]) == 0
    out = capsys.readouterr().out
    assert "-pixel -> --pixel_size" in out and "--detector_rotx" in out
