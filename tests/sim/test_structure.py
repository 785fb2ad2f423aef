"""HKL files, structure-factor lookup and tricubic interpolation (§7.7, §10)."""

from __future__ import annotations

import shlex
from pathlib import Path

import numpy as np
import pytest
import torch

from sim.cli import config_from_args
from sim.errors import SimError
from sim.plan import prepare
from sim.simulator import simulate
from sim.structure import StructureTable, read_hkl
from sim.trace import trace_pixel

F64 = torch.float64


def test_reads_a_dense_grid_with_default_fill(tmp_path: Path) -> None:
    path = tmp_path / "p1.hkl"
    path.write_text("# h k l F\n0 0 0 50\n\n1 -1 2 7.5\n-2 0 1 3\n")
    sf = read_hkl(path, default_F=1.0)
    assert sf.mins == (-2, -1, 0) and sf.maxs == (1, 0, 2) and sf.count == 3
    assert sf.grid.shape == (4, 2, 3)
    assert sf.grid[2, 1, 0] == 50 and sf.grid[3, 0, 2] == 7.5 and sf.grid[0, 1, 1] == 3
    assert (sf.grid == 1.0).sum() == 4 * 2 * 3 - 3
    assert (read_hkl(path, default_F=0.0).grid == 0.0).sum() == 4 * 2 * 3 - 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0 0 0 1\n1 2 3\n", "bad.hkl:2: expected 4 columns, got 3: '1 2 3'"),
        ("0 0 0 1\n1 2 x 4\n", "bad.hkl:2: not a number in '1 2 x 4'"),
        ("0 0.5 0 1\n", "bad.hkl:1: Miller indices must be integers, got 0 0.5 0"),
        ("\n# nothing\n", "bad.hkl:1: no reflections in HKL file"),
    ],
)
def test_malformed_files_report_path_and_line(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "bad.hkl").write_text(text)
    with pytest.raises(SimError) as info:
        read_hkl(tmp_path / "bad.hkl", 0.0)
    assert str(info.value).startswith(
        str(tmp_path / message.split(":", 1)[0]) + ":" + message.split(":", 1)[1]
    )


def test_nearest_lookup_and_default_outside(tmp_path: Path) -> None:
    path = tmp_path / "p1.hkl"
    path.write_text("0 0 0 50\n1 -1 2 7.5\n")
    table = StructureTable.build(read_hkl(path, 2.0), 9.0, F64, torch.device("cpu"))
    hkl0 = torch.tensor(
        [[0.0, 0.0, 0.0], [1.0, -1.0, 2.0], [1.0, 0.0, 0.0], [5.0, 0.0, 0.0]], dtype=F64
    )
    assert table.nearest(hkl0).tolist() == [50.0, 7.5, 2.0, 9.0]


def test_tricubic_reproduces_cubic_polynomials(tmp_path: Path) -> None:
    def poly(h: float, k: float, l: float) -> float:  # noqa: E741
        return 1 + 0.5 * h**3 - 0.2 * k * k * l + 0.1 * h * k * l + l**3 / 7

    span = range(-4, 5)
    lines = [f"{h} {k} {m} {poly(h, k, m)!r}" for h in span for k in span for m in span]
    path = tmp_path / "cubic.hkl"
    path.write_text("\n".join(lines) + "\n")
    table = StructureTable.build(read_hkl(path, 0.0), 0.0, F64, torch.device("cpu"))
    points = torch.tensor([[0.3, -1.7, 1.2], [1.99, 0.01, -1.5], [-2.0, 2.0, 0.0]], dtype=F64)
    assert bool(table.interpolation_ok(points).all())
    expected = [poly(*p) for p in points.tolist()]
    np.testing.assert_allclose(table.tricubic(points).numpy(), expected, rtol=1e-12)
    assert not bool(table.interpolation_ok(torch.tensor([[2.5, 0.0, 0.0]], dtype=F64)).any())


def test_hkl_file_drives_the_image(tmp_path: Path) -> None:
    path = tmp_path / "few.hkl"
    path.write_text("0 0 0 0\n1 0 0 300\n")
    base = shlex.split(
        "-cell 100 100 100 90 90 90 -N 5 -lambda 6.2 -detpixels 64 -distance 100 -oversample 1"
    )
    with_hkl = simulate(config_from_args([*base, "-hkl", str(path)]), dtype=F64).image
    uniform = simulate(config_from_args([*base, "-default_F", "300"]), dtype=F64).image
    # only reflections (1, 0, 0) keep F = 300; F000 = 0 empties the direct-beam spot
    assert float(with_hkl[32, 32]) == 0.0 and float(uniform[32, 32]) > 0
    assert float(with_hkl.max()) <= float(uniform.max())


def test_interpolation_switches_off_at_the_first_out_of_range_sample(tmp_path: Path) -> None:
    """The C warns once, gives that sample default_F and interpolates no more (§10)."""
    path = tmp_path / "small.hkl"
    span = range(-3, 4)
    path.write_text(
        "".join(f"{h} {k} {m} {10 + h + 2 * k + 3 * m}\n" for h in span for k in span for m in span)
    )
    base = shlex.split(
        f"-cell 100 100 100 90 90 90 -N 2 -lambda 1 -detpixels 24 -pixel 0.2 -distance 100 "
        f"-oversample 1 -default_F 7 -hkl {path}"
    )
    config = config_from_args(base)
    assert prepare(config).interpolate  # auto: N <= 2 and an HKL file
    interpolated = simulate(config, dtype=F64).image
    nearest = simulate(config_from_args([*base, "-nointerpolate"]), dtype=F64).image
    # pixel (0, 0) is out of range at once: only its own sample differs (default_F vs nearest)
    differs = (interpolated != nearest).nonzero().tolist()
    assert differs == [[0, 0]]
    trace = trace_pixel(config, (0, 0), dtype=F64)
    assert trace.value == float(interpolated[0, 0])
    assert "TRACE_PY: F_cell 7.0" in trace.lines
    later = trace_pixel(config, (20, 13), dtype=F64)
    assert later.value == float(interpolated[20, 13]) == float(nearest[20, 13])


def test_interpolation_inside_the_grid(tmp_path: Path) -> None:
    path = tmp_path / "wide.hkl"
    span = range(-12, 13)
    path.write_text(
        "".join(f"{h} {k} {m} {20 + h - k + m}\n" for h in span for k in span for m in span)
    )
    base = shlex.split(
        f"-cell 100 100 100 90 90 90 -N 2 -lambda 6 -detpixels 8 -pixel 0.4 -distance 100 "
        f"-oversample 1 -default_F 7 -hkl {path}"
    )
    interpolated = simulate(config_from_args(base), dtype=F64).image
    nearest = simulate(config_from_args([*base, "-nointerpolate"]), dtype=F64).image
    assert bool((interpolated != nearest).all())  # every sample interpolated (F is linear in hkl)
