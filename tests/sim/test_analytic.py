"""Analytic checks of the building blocks: lattice, rotations, shape factors, ω, P_pol."""

from __future__ import annotations

import math
import shlex

import numpy as np
import pytest
import torch

from sim import physics, rng
from sim.config import CrystalConfig, Shape
from sim.crystal import build_lattice
from sim.geometry import axis_rotation, rot_xyz

F64 = torch.float64
CPU = torch.device("cpu")


def _lattice(cell: tuple[float, ...], misset: tuple[float, float, float] | None = None):
    crystal = CrystalConfig(cell=cell, misset_deg=misset, default_F=1.0)  # type: ignore[arg-type]
    return build_lattice(crystal, torch.tensor(1.0, dtype=F64), F64, CPU)


@pytest.mark.parametrize(
    ("cell", "misset"),
    [
        ((100.0, 100.0, 100.0, 90.0, 90.0, 90.0), None),
        ((70.0, 80.0, 90.0, 75.0, 85.0, 95.0), (-89.968546, -31.328953, 177.753396)),
        ((51.2, 62.3, 33.1, 101.0, 77.5, 119.0), (15.0, 25.0, 35.0)),
    ],
)
def test_reciprocal_times_real_is_identity(cell, misset) -> None:
    """a_i·a*_j = δ_ij · V_actual/V: the C rebuilds a* with 1/V of the formula (§3.4), and its
    default orientation (§3.1) makes the real triple product differ from V for oblique cells."""
    lattice = _lattice(cell, misset)
    real = lattice.real * 1e10  # Å
    ratio = torch.linalg.det(real) / lattice.volume
    if all(angle == 90.0 for angle in cell[3:]):
        assert float(ratio) == pytest.approx(1.0, rel=1e-14)
    expected = torch.eye(3, dtype=F64) * ratio
    torch.testing.assert_close(real @ lattice.reciprocal.T, expected, rtol=0, atol=1e-12)
    lengths = torch.linalg.vector_norm(real, dim=-1)
    torch.testing.assert_close(lengths, torch.tensor(cell[:3], dtype=F64), rtol=1e-12, atol=0)


def test_cell_volume_formula() -> None:
    a, b, c, al, be, ga = 70.0, 80.0, 90.0, 75.0, 85.0, 95.0
    ca, cb, cg = (math.cos(math.radians(x)) for x in (al, be, ga))
    expected = a * b * c * math.sqrt(1 - ca * ca - cb * cb - cg * cg + 2 * ca * cb * cg)
    assert float(_lattice((a, b, c, al, be, ga)).volume) == pytest.approx(expected, rel=1e-12)
    ortho = _lattice((10.0, 20.0, 30.0, 90.0, 90.0, 90.0)).real * 1e10
    assert float(torch.linalg.det(ortho)) == pytest.approx(6000.0, rel=1e-12)


def test_rotations_are_orthonormal() -> None:
    angles = [torch.tensor(x, dtype=F64) for x in (0.3, -1.2, 2.5)]
    axis = torch.tensor([1.0, 2.0, 2.0], dtype=F64) / 3
    spin = axis_rotation(axis, torch.tensor([0.0, 0.7, math.pi], dtype=F64))
    for r in (rot_xyz(*angles), *spin):
        torch.testing.assert_close(r @ r.T, torch.eye(3, dtype=F64), rtol=0, atol=1e-14)
        assert float(torch.linalg.det(r)) == pytest.approx(1.0, abs=1e-14)
    torch.testing.assert_close(spin[1] @ axis, axis, rtol=0, atol=1e-15)
    # right-handed: +90° about z takes x to y
    quarter = axis_rotation(
        torch.tensor([0.0, 0.0, 1.0], dtype=F64), torch.tensor(math.pi / 2, dtype=F64)
    )
    torch.testing.assert_close(
        quarter @ torch.tensor([1.0, 0, 0], dtype=F64), torch.tensor([0.0, 1, 0], dtype=F64)
    )


def test_mosaic_domains_are_rotations_within_the_cap() -> None:
    spread = math.radians(0.5)
    umats = np.array(rng.mosaic_domains(spread, 5, -12345))
    np.testing.assert_array_equal(umats[0], np.eye(3))
    for u in umats:
        np.testing.assert_allclose(u @ u.T, np.eye(3), atol=1e-14)
        angle = math.acos(min(1.0, (np.trace(u) - 1) / 2))
        assert angle <= spread * (1 + 1e-6)
    assert not np.allclose(umats[1], umats[2])
    np.testing.assert_array_equal(umats, np.array(rng.mosaic_domains(spread, 5, -12345)))


def test_ran1_stream() -> None:
    gen = rng.Ran1(-1)
    draws = [gen() for _ in range(1000)]
    assert all(0.0 < x < 1.0 for x in draws)
    assert abs(sum(draws) / len(draws) - 0.5) < 0.03
    assert all(float(np.float32(x)) == x for x in draws)  # single-precision outputs, as the C
    again = rng.Ran1(-1)
    assert [again() for _ in range(1000)] == draws


def test_sincg_limits() -> None:
    n = torch.tensor([5.0], dtype=F64)
    x = torch.tensor([0.0, 1e-9, math.pi, 0.3], dtype=F64)
    values = physics.sincg(x, 5.0)
    assert values[0] == 5.0
    assert float(values[1]) == pytest.approx(5.0, rel=1e-12)
    assert float(values[2]) == pytest.approx(5.0, rel=1e-9)  # sin(5π)/sin(π) → N at integers
    assert float(values[3]) == pytest.approx(math.sin(1.5) / math.sin(0.3), rel=1e-14)
    frac = torch.tensor([[0.0], [0.5], [-0.5], [0.2]], dtype=F64)
    reduced = physics.sincg_reduced(frac, n)[:, 0]
    assert reduced[0] == 5.0
    assert float(reduced[1]) == pytest.approx(1.0, rel=1e-14)  # sin(5π/2)/sin(π/2)
    assert float(reduced[2]) == pytest.approx(1.0, rel=1e-14)
    # the reduced form has the magnitude of sincg(π·h) at h = 7.2
    assert float(reduced[3]) == pytest.approx(
        abs(math.sin(5 * math.pi * 7.2) / math.sin(math.pi * 7.2)), rel=1e-9
    )


def test_sinc3_is_continuous_in_both_dtypes() -> None:
    for dtype in (torch.float32, torch.float64):
        x = torch.tensor([0.0, 0.4999, 0.5001, 1.0], dtype=dtype)
        values = physics.sinc3(x).double()
        exact = [1.0, *(3 * (math.sin(v) / v - math.cos(v)) / v**2 for v in (0.4999, 0.5001, 1.0))]
        np.testing.assert_allclose(
            values.numpy(), exact, rtol=2e-6 if dtype == torch.float32 else 1e-12
        )


def test_other_shapes_peak_at_the_reciprocal_lattice_point() -> None:
    hkl = torch.tensor([[1.0, 2.0, 3.0], [1.4, 2.0, 3.0]], dtype=F64)
    hkl0 = torch.ceil(hkl - 0.5)
    n = torch.tensor([4.0, 4.0, 4.0], dtype=F64)
    star = torch.eye(3, dtype=F64) * 0.05
    for shape in (Shape.ROUND, Shape.GAUSS, Shape.TOPHAT):
        values = physics.lattice_factor(shape, hkl, hkl0, n, 1.0, star)
        assert float(values[0]) == pytest.approx(
            64.0 * (0.723601254558268 if shape is Shape.ROUND else 1.0)
        )
        assert float(values[1]) < float(values[0])


def test_polarization_known_geometries() -> None:
    incident = torch.tensor([1.0, 0.0, 0.0], dtype=F64)
    e_vector = torch.tensor([0.0, 0.0, 1.0], dtype=F64)
    forward = torch.tensor([1.0, 0.0, 0.0], dtype=F64)
    along_b = torch.tensor([0.0, 1.0, 0.0], dtype=F64)  # 2θ = 90°, perpendicular to E
    along_e = torch.tensor([0.0, 0.0, 1.0], dtype=F64)  # 2θ = 90°, along E
    assert float(physics.polarization(incident, forward, e_vector, 0.0)) == 1.0
    assert float(physics.polarization(incident, along_b, e_vector, 0.0)) == pytest.approx(0.5)
    assert float(physics.polarization(incident, along_b, e_vector, 1.0)) == pytest.approx(1.0)
    assert float(physics.polarization(incident, along_e, e_vector, 1.0)) == pytest.approx(
        0.0, abs=1e-15
    )
    assert float(physics.polarization(incident, along_e, e_vector, 0.5)) == pytest.approx(0.25)


def test_solid_angle_known_geometries() -> None:
    pixel, close = torch.tensor(1e-4, dtype=F64), torch.tensor(0.1, dtype=F64)
    on_axis = physics.solid_angle(torch.tensor(0.1, dtype=F64), pixel, close, point_pixel=False)
    assert float(on_axis) == pytest.approx(1e-6, rel=1e-14)
    oblique = physics.solid_angle(torch.tensor(0.2, dtype=F64), pixel, close, point_pixel=False)
    assert float(oblique) == pytest.approx(1e-8 / 0.04 * 0.5, rel=1e-14)  # pixel²/R² · cos
    point = physics.solid_angle(torch.tensor(0.2, dtype=F64), pixel, close, point_pixel=True)
    assert float(point) == pytest.approx(25.0, rel=1e-14)


def test_capture_fractions_sum_to_the_absorbed_total() -> None:
    layers = torch.arange(5, dtype=F64)
    parallax = torch.tensor(0.8, dtype=F64)
    capture = physics.capture_fraction(layers, 112.5e-6, 2000.0, parallax)
    assert float(capture.sum()) == pytest.approx(
        1 - math.exp(-5 * 112.5e-6 * 2000.0 / 0.8), rel=1e-13
    )


def test_mosflm_matrix_gives_the_same_lattice_as_the_cell(tmp_path) -> None:
    from sim.cli import config_from_args
    from sim.crystal import read_a_matrix
    from sim.errors import SimError
    from sim.plan import prepare

    # a MOSFLM A matrix holds a*, b*, c* as columns, times the wavelength (6.2 Å here)
    (tmp_path / "cubic.mat").write_text("0.062 0 0\n0 0.062 0\n0 0 0.062\n 1 2 3 (U matrix …)\n")
    common = shlex.split("-default_F 1 -lambda 6.2 -misset 10 20 30 -detpixels 8")
    from_mat = prepare(config_from_args([*common, "-mat", str(tmp_path / "cubic.mat")]), F64)
    from_cell = prepare(
        config_from_args([*common, "-cell", "100", "100", "100", "90", "90", "90"]), F64
    )
    torch.testing.assert_close(from_mat.lattices, from_cell.lattices, rtol=1e-12, atol=1e-22)
    (tmp_path / "bad.mat").write_text("0.062 0 0\n0 x 0\n")
    with pytest.raises(SimError, match=r"bad\.mat:2: expected three numbers, got '0 x 0'"):
        read_a_matrix(tmp_path / "bad.mat")
