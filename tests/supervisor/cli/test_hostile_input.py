"""Issue 15, hostile input: one-line `path:line` errors (exit 1, no traceback, nothing changed
on disk) instead of exit-3 tracebacks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

Run = Callable[..., CompletedProcess[str]]
LEDGER = "docs/fix_plan.md"


def _snapshot(ws: Path) -> dict[str, bytes]:
    """Every workspace file but supervisor's own lock/cache directory."""
    files = (p for p in ws.rglob("*") if p.is_file() and ".supervisor" not in p.parts)
    return {p.relative_to(ws).as_posix(): p.read_bytes() for p in files}


@pytest.mark.parametrize(
    "cmd",
    [
        ["next"],
        ["next", "--explain"],
        ["status"],
        ["lint"],
        ["record-attempt", "DETECTOR-PARITY-001", "--result", "partial", "--summary", "s"],
    ],
)
def test_attempt_number_with_5000_digits(demo_ws: Path, run_cli: Run, cmd: list[str]) -> None:
    path = demo_ws / LEDGER
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Attempt #3 —", "Attempt #" + "9" * 5000 + " —"), "utf-8")
    before = _snapshot(demo_ws)
    r = run_cli(cmd, demo_ws, env={"SUPERVISOR_DATE": "2026-02-03"})
    assert (r.returncode, r.stdout) == (1, ""), r.stderr
    assert r.stderr == (
        f"error: {LEDGER}:40: attempt number #999999999999… has 5000 digits (at most 9)"
        " — renumber the attempt\n"
    )
    assert _snapshot(demo_ws) == before


def test_long_attempt_citation_in_prose_is_not_a_crash(demo_ws: Path, run_cli: Run) -> None:
    path = demo_ws / LEDGER
    text = path.read_text(encoding="utf-8")
    cite = "  1. Finish Phase B (B2) as Attempt #" + "7" * 5000 + " planned:"
    path.write_text(text.replace("  1. Finish Phase B (B2):", cite, 1), "utf-8")
    r = run_cli(["lint"], demo_ws)
    assert r.returncode in (0, 1) and "Traceback" not in r.stderr, r.stderr
    assert "error:" not in r.stderr


def _npz_declaring(path: Path, shape: tuple[int, ...], body: int) -> None:
    """An .npz whose one member's header declares ``shape`` float64 but holds ``body`` bytes."""
    import io
    import zipfile

    import numpy as np
    from numpy.lib import format as npformat

    head = io.BytesIO()
    npformat.write_array_header_1_0(
        head, {"descr": np.dtype("<f8").str, "fortran_order": False, "shape": shape}
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("stage.npy", head.getvalue() + bytes(body))


def test_npz_declaring_4_gb_is_refused_before_allocation(tmp_path: Path, run_cli: Run) -> None:
    bomb = tmp_path / "bomb.npz"
    _npz_declaring(bomb, (1 << 29,), 3_800_000)  # 4 GiB declared, 3.8 MB stored
    assert bomb.stat().st_size < 4_000_000
    r = run_cli(["trace", "diff", str(bomb), str(bomb), "--out", str(tmp_path / "out")], tmp_path)
    assert (r.returncode, r.stdout) == (1, ""), r.stderr
    assert r.stderr == (
        f"error: {bomb}: member 'stage' declares shape (536870912,) of float64 (4294967296 "
        "bytes), over the 2147483648-byte limit; refused before allocating — compare smaller "
        "stage tensors, or save this one as .npy (memory-mapped)\n"
    )
    small = tmp_path / "small.npz"
    _npz_declaring(small, (4,), 32)
    r = run_cli(["trace", "diff", str(small), str(small), "--out", str(tmp_path / "o2")], tmp_path)
    assert r.returncode == 0, r.stderr
