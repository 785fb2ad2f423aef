"""Readers: text line forms, dtype inference, .npy/.npz, APRT, directories, bad input."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from supervisor.errors import ParseError
from supervisor.trace.parse import TraceFormatError, read_trace

Write = Callable[[str, str], Path]
Aprt = Callable[..., Path]


def test_tap_form_with_qualifiers(write: Write) -> None:
    t = read_trace(write("t.log", "TRACE_PY: phi_tic=3 ap -55.2 -3.9 42.8\nTRACE_PY: F_cell 100\n"))
    ap, f = t.taps
    assert (ap.name, ap.qualifiers, ap.label) == ("ap", (("phi_tic", "3"),), "phi_tic=3 ap")
    assert ap.values is not None and ap.values.tolist() == [-55.2, -3.9, 42.8]
    assert (ap.line, ap.where) == (1, f"{t.path}:1")
    assert f.values is not None and f.values.tolist() == [100.0]
    assert t.prefixes == ("TRACE_PY",)


def test_prefix_agnostic_and_skipped_lines_counted(write: Write) -> None:
    text = (
        "hello world\n"
        "TRACE_CONFIG: tracing pixel (spixel=368, fpixel=262)\n"
        "\n"
        "TRACE_C: a 1\n"
        "TRACE: hard-coded pixel 512 512\n"
        "TRACE_C: b 2 3\n"
    )
    t = read_trace(write("c.log", text))
    assert [x.label for x in t.taps] == ["a", "b"]
    assert t.prefixes == ("TRACE_C",)
    assert dict(t.skipped) == {
        "blank": 1,
        "not a trace line": 1,
        "prefix TRACE:": 1,
        "prefix TRACE_CONFIG:": 1,
    }
    assert t.lines == 6


def test_prefix_option_picks_the_lines(write: Write) -> None:
    p = write("m.log", "TRACE_C: a 1\nTRACE_C: b 2\nTRACE_PY: a 5\n")
    assert [x.values.tolist() for x in read_trace(p, prefixes=("TRACE_PY",)).taps] == [[5.0]]  # type: ignore[union-attr]


def test_repeated_names_are_numbered_occurrences(write: Write) -> None:
    t = read_trace(write("r.log", "T: x 1\nT: y 2\nT: x 3\nT: phi_tic=0 x 4\nT: x 5\n"))
    assert [(x.label, x.occurrence) for x in t.taps] == [
        ("x", 0),
        ("y", 0),
        ("x", 1),
        ("phi_tic=0 x", 0),
        ("x", 2),
    ]


def test_c_record_and_assignment_forms(write: Write) -> None:
    text = (
        "TRACE_C:Rx=[1 0 0; 0 1 -0; 0 0 1]\n"
        "TRACE_C:angles_rad=rotx:0 roty:0.5 rotz:0 twotheta:0\n"
        "TRACE_C:detector_convention=MOSFLM\n"
        "TRACE_C:Fbeam_m=0.0257\n"
        "TRACE_C_PHI phi_tic=1 phi_deg=0.1 k_frac=-0.6 F_latt=3.5\n"
    )
    t = read_trace(write("c.log", text))
    got = {x.label: (x.values.tolist() if x.values is not None else x.text) for x in t.taps}
    assert got == {
        "Rx": [1.0, 0.0, 0.0, 0.0, 1.0, -0.0, 0.0, 0.0, 1.0],
        "angles_rad": [0.0, 0.5, 0.0, 0.0],
        "detector_convention": "MOSFLM",
        "Fbeam_m": [0.0257],
        "phi_tic=1 phi_deg": [0.1],
        "phi_tic=1 k_frac": [-0.6],
        "phi_tic=1 F_latt": [3.5],
    }
    assert t.taps[2].dtype == "text"


def test_dtype_inference(write: Write) -> None:
    long64 = "T: a 0.000524999999999998 1\nT: b 1 2\n"
    t = read_trace(write("d64.log", long64))
    assert [x.dtype for x in t.taps] == ["float64", "float64"]  # short taps follow the trace
    f32 = "T: a 0.10000000149011612\nT: b 1 2\n"  # float32 0.1 printed as a double
    assert [x.dtype for x in read_trace(write("d32.log", f32)).taps] == ["float32", "float32"]
    short = "T: a 0.1 -1.23457e-05\n"  # C %g output
    assert read_trace(write("ds.log", short)).taps[0].dtype == "float32"
    assert read_trace(write("dg.log", short), dtype="float64").taps[0].dtype == "float64"


def test_nan_and_inf_values_are_read(write: Write) -> None:
    t = read_trace(write("n.log", "T: a nan -inf 1\n"))
    v = t.taps[0].values
    assert v is not None and np.isnan(v[0]) and v[1] == -np.inf and v[2] == 1.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty trace file — the producer wrote nothing"),
        ("   \n\n", "empty trace file — the producer wrote nothing"),
        (
            "T: a 1\nT: b 1 x2 3\n",
            "2: non-numeric value 'x2' in tap 'b' — tap values must be numbers "
            "(nan and inf are allowed)",
        ),
        ("T: a 1\nT: b\n", "2: tap 'b' has no values (truncated line?)"),
        ("T: a 1\nT: 1.5 2\n", "2: expected a tap name, found '1.5'"),
        ("just prose\nno traces here\n", "no trace lines among 2 lines (prefixes seen: none)"),
    ],
)
def test_bad_text_names_file_and_line(write: Write, text: str, message: str) -> None:
    p = write("bad.log", text)
    with pytest.raises(TraceFormatError) as exc:
        read_trace(p)
    assert isinstance(exc.value, ParseError)
    assert str(exc.value).startswith(f"{p}:" if message[0].isdigit() else f"{p}: ")
    assert message in str(exc.value)


def test_binary_garbage_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "x.bin"
    p.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(TraceFormatError, match=re.escape("not a UTF-8 text trace (byte offset 0)")):
        read_trace(p)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TraceFormatError, match="no such file or directory — check the path"):
        read_trace(tmp_path / "nope.log")


def test_npy_keeps_shape_and_dtype(tmp_path: Path) -> None:
    arr = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.save(tmp_path / "embed.npy", arr)
    t = read_trace(tmp_path / "embed.npy")
    (tap,) = t.taps
    assert (tap.name, tap.shape, tap.dtype, t.format) == ("embed", (2, 3), "float32", "npy")
    assert tap.values is not None and tap.values.tolist() == arr.tolist()
    assert len(t.sha256) == 64


def test_truncated_npy(tmp_path: Path) -> None:
    p = tmp_path / "cut.npy"
    np.save(p, np.arange(100, dtype=np.float64))
    p.write_bytes(p.read_bytes()[:200])
    with pytest.raises(TraceFormatError, match=r"cut\.npy: not a readable \.npy file"):
        read_trace(p)


def test_npz_members_in_order(tmp_path: Path) -> None:
    np.savez(tmp_path / "s.npz", zeta=np.ones(2), alpha=np.zeros(3))
    t = read_trace(tmp_path / "s.npz")
    assert [(x.name, x.size) for x in t.taps] == [("zeta", 2), ("alpha", 3)]


def test_aprt_round_trip(tmp_path: Path, aprt: Aprt) -> None:
    vals = [1.5, -2.25, 3.0e-8, 7.0]
    t = read_trace(aprt(tmp_path / "03_attn.aprt", vals, layer=7))
    (tap,) = t.taps
    assert (tap.name, tap.layer, tap.offset, tap.dtype, t.format) == (
        "03_attn",
        7,
        12,
        "float32",
        "aprt",
    )
    assert tap.values is not None and tap.values.tolist() == np.float32(vals).tolist()


def test_aprt_detected_by_magic_without_suffix(tmp_path: Path, aprt: Aprt) -> None:
    t = read_trace(aprt(tmp_path / "stage.bin", [1.0, 2.0]))
    assert t.format == "aprt"


def test_aprt_wrong_magic(tmp_path: Path, aprt: Aprt) -> None:
    p = aprt(tmp_path / "x.aprt", [1.0], magic=b"APRX")
    with pytest.raises(TraceFormatError) as exc:
        read_trace(p)
    assert str(exc.value) == (
        f"{p}: bad magic b'APRX' at offset 0, expected b'APRT' — not an APRT stage file; "
        "pass .npy/.npz or a text trace instead"
    )


def test_aprt_short_body(tmp_path: Path, aprt: Aprt) -> None:
    p = aprt(tmp_path / "x.aprt", [1.0, 2.0], count=5)
    with pytest.raises(TraceFormatError) as exc:
        read_trace(p)
    assert str(exc.value) == (
        f"{p}: body ends at offset 20: 8 bytes from offset 12, but the header (offset 8) "
        "claims 5 float32 elements (20 bytes) — the file is truncated; re-write the stage file"
    )


def test_aprt_truncated_header_and_trailing_bytes(tmp_path: Path, aprt: Aprt) -> None:
    p = tmp_path / "h.aprt"
    p.write_bytes(b"APRT\x01\x00")
    with pytest.raises(TraceFormatError, match="truncated APRT header: 6 bytes, need 12"):
        read_trace(p)
    q = aprt(tmp_path / "t.aprt", [1.0, 2.0], count=1)
    with pytest.raises(TraceFormatError, match="4 unexpected bytes at offset 16"):
        read_trace(q)


def test_directory_matched_by_file_name_in_sorted_order(tmp_path: Path, aprt: Aprt) -> None:
    d = tmp_path / "stages"
    d.mkdir()
    np.save(d / "01_b.npy", np.ones(2, dtype=np.float32))
    aprt(d / "00_a.aprt", [1.0])
    (d / "README.txt").write_text("not a stage\n")
    t = read_trace(d)
    assert [x.name for x in t.taps] == ["00_a", "01_b"]
    assert (t.format, t.lines, dict(t.skipped)) == ("dir", 2, {"files not stage files": 1})
    assert t.taps[0].where == f"{d / '00_a.aprt'}@12"


def test_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(TraceFormatError, match="no stage files"):
        read_trace(tmp_path)


def test_real_c_log_parses(sim_reference_root: Path) -> None:
    t = read_trace(sim_reference_root / "triclinic" / "trace_pixel_368_262.log")
    assert t.prefixes == ("TRACE_C",)
    assert len(t) == 166
    assert dict(t.skipped) == {"prefix TRACE_CONFIG:": 1}
    labels = [x.label for x in t.taps]
    assert labels.count("pix0_vector_meters") == 4  # one block per sub-pixel pass
    assert labels.count("phi_tic=0 k_frac") == 4
    k = next(x for x in t.taps if x.label == "phi_tic=0 k_frac")
    assert k.values is not None and k.values.tolist() == [2.01957023763588]
    assert t.taps[7].text == "MOSFLM"  # detector_convention
    assert t.dtype == "float64"


def test_provenance_digests(tmp_path: Path, aprt: Aprt) -> None:
    import hashlib

    np.save(tmp_path / "x.npy", np.ones(3))
    assert (
        read_trace(tmp_path / "x.npy").sha256
        == hashlib.sha256((tmp_path / "x.npy").read_bytes()).hexdigest()
    )
    d = tmp_path / "d"
    d.mkdir()
    p = aprt(d / "s.aprt", [1.0])
    file_sha = hashlib.sha256(p.read_bytes()).hexdigest()
    expect = hashlib.sha256(f"s.aprt\0{file_sha}\n".encode()).hexdigest()
    assert read_trace(d).sha256 == expect


def test_bad_value_found_in_a_later_block(write: Write) -> None:
    good = "".join(f"T: t{k % 7} {k} {k + 0.5}\n" for k in range(20000))
    p = write("long.log", good + "T: t3 1 2\nT: t5 1 bad\n" + good)
    with pytest.raises(TraceFormatError) as exc:
        read_trace(p)
    assert str(exc.value).startswith(f"{p}:20002: non-numeric value 'bad' in tap 't5'")
    t = read_trace(write("ok.log", good + good))
    assert len(t) == 40000 and t.taps[-1].values.tolist() == [19999.0, 19999.5]  # type: ignore[union-attr]
