"""The vectorized kernel against explicit loops in the C's order, and sampling rules."""

from __future__ import annotations

import math
import shlex

import pytest
import torch

from sim import physics
from sim.cli import config_from_args
from sim.kernel import positions
from sim.plan import R_E_SQR, prepare
from sim.simulator import simulate

ARGS = shlex.split(
    "-cell 60 70 80 85 95 100 -misset 10 20 30 -N 4 -default_F 50 -lambda 1.2 -detpixels 12 "
    "-pixel 0.3 -distance 80 -oversample 2 -detector_thick 300 -thicksteps 2 -detector_abs 400 "
    "-phi 3 -osc 20 -phisteps 3 -mosaic 1 -mosaic_dom 2 -dispersion 10 -dispsteps 2 -polar 0.7"
)


def _loop_value(plan, s: int, f: int, flags: tuple[bool, bool, bool]) -> float:
    """One pixel, written as the C's nested loops (PHYSICS §7–§8), in float64."""
    thick_flag, polar_flag, omega_flag = flags
    det, src = plan.detector, plan.sources
    n = plan.oversample
    intensity, omega, polar, capture = 0.0, None, None, None
    for layer in range(det.layers):
        capture = None
        for js in range(n):
            for jf in range(n):
                fdet = det.pixel / n * (f * n + jf) + det.pixel / n / 2
                sdet = det.pixel / n * (s * n + js) + det.pixel / n / 2
                pos = (
                    fdet * det.fdet + sdet * det.sdet + layer * det.layer_step * det.odet + det.pix0
                )
                airpath = torch.linalg.vector_norm(pos)
                d = pos / airpath
                if omega is None or omega_flag:
                    omega = physics.solid_angle(airpath, det.pixel, det.close_distance, False)
                if capture is None or thick_flag:
                    capture = physics.capture_fraction(
                        torch.tensor(float(layer), dtype=torch.float64),
                        det.layer_step,
                        det.mu,
                        d @ det.odet,
                    )
                for k_src in range(src.wavelength.shape[0]):
                    incident = src.incident[k_src]
                    scattering = (d - incident) / src.wavelength[k_src]
                    if polar is None or polar_flag:
                        polar = physics.polarization(
                            incident, d, det.polar, plan.config.beam.polarization
                        )
                    for lattice in plan.lattices.reshape(-1, 3, 3):
                        hkl = lattice @ scattering
                        f_latt = 1.0
                        for x, cells in zip(hkl.tolist(), plan.config.crystal.n_cells, strict=True):
                            t = x - math.ceil(x - 0.5)  # |sincg(πx, N)| = |sin(Nπt)/sin(πt)|
                            f_latt *= math.sin(cells * math.pi * t) / math.sin(math.pi * t)
                        intensity += 50.0**2 * f_latt**2
                        intensity *= float(capture) if thick_flag else 1.0
                        intensity *= float(polar) if polar_flag else 1.0
                        intensity *= float(omega) if omega_flag else 1.0
    value = R_E_SQR * plan.fluence * intensity / plan.steps
    value *= 1.0 if thick_flag else float(capture)
    value *= 1.0 if polar_flag else float(polar)
    return value * (1.0 if omega_flag else float(omega))


@pytest.mark.parametrize("flags", [(False, False, False), (True, True, True), (False, True, False)])
def test_kernel_matches_explicit_loops(flags: tuple[bool, bool, bool]) -> None:
    names = ("-oversample_thick", "-oversample_polar", "-oversample_omega")
    extra = [name for name, on in zip(names, flags, strict=True) if on]
    config = config_from_args([*ARGS, *extra])
    plan = prepare(config, torch.float64)
    assert (plan.detector.layers, plan.n_sources, plan.n_phi, plan.n_domains) == (2, 2, 3, 2)
    assert plan.steps == 2 * 2 * 3 * 4
    image = simulate(config, dtype=torch.float64).image
    for s, f in [(0, 0), (5, 7), (11, 3)]:
        assert float(image[s, f]) == pytest.approx(_loop_value(plan, s, f, flags), rel=1e-10)


@pytest.mark.parametrize(("lam", "expected"), [("1.0", 2), ("6.2", 1)])
def test_auto_oversample(lam: str, expected: int) -> None:
    args = f"-cell 100 100 100 90 90 90 -N 5 -default_F 1 -lambda {lam} -distance 100 -pixel 0.1".split()
    assert prepare(config_from_args(args)).oversample == expected


def test_roi_leaves_other_pixels_zero() -> None:
    args = shlex.split(
        "-cell 100 100 100 90 90 90 -N 5 -default_F 100 -lambda 6.2 -detpixels 40 -roi 5 9 10 30"
    )
    image = simulate(config_from_args(args), dtype=torch.float64).image
    full = simulate(config_from_args(args[:-5]), dtype=torch.float64).image
    inside = torch.zeros_like(image, dtype=torch.bool)
    inside[10:31, 5:10] = True
    assert torch.equal(image[inside], full[inside])
    assert bool((image[~inside] == 0).all())


def test_water_background_and_dmin() -> None:
    base = shlex.split(
        "-cell 100 100 100 90 90 90 -N 5 -default_F 100 -lambda 6.2 -detpixels 32 -oversample 1"
    )
    plain = simulate(config_from_args(base), dtype=torch.float64).image
    wet = simulate(config_from_args([*base, "-water", "100"]), dtype=torch.float64).image
    assert bool((wet > plain).all())
    cut = simulate(config_from_args([*base, "-dmin", "300"]), dtype=torch.float64).image
    assert float(cut[16, 16]) == float(plain[16, 16])  # low angle kept
    assert float(cut[0, 0]) == 0.0 < float(plain[0, 0])  # corner d ≈ 274 Å: beyond -dmin, skipped


@pytest.mark.parametrize(("shape_flag", "count"), [("-round_div", 5), ("-square_div", 9)])
def test_divergence_grid(shape_flag: str, count: int) -> None:
    args = shlex.split(
        "-cell 100 100 100 90 90 90 -N 5 -default_F 1 -detpixels 8 -hdivrange 0.2 -vdivrange 0.2 "
        f"-hdivsteps 3 -vdivsteps 3 -dispersion 2 -dispsteps 3 {shape_flag}"
    )
    plan = prepare(config_from_args(args), torch.float64)
    assert plan.n_sources == count * 3
    norms = torch.linalg.vector_norm(plan.sources.incident, dim=-1)
    torch.testing.assert_close(norms, torch.ones_like(norms))
    # the corners (±0.1, ±0.1) mrad are cut by the round grid; λ spans ±1 %
    tilt = torch.arccos(plan.sources.incident @ plan.detector.beam).max()
    expected = math.hypot(1e-4, 1e-4) if count == 9 else 1e-4
    assert float(tilt) == pytest.approx(expected, rel=1e-6)
    lambdas = sorted(set(round(x * 1e12) for x in plan.sources.wavelength.tolist()))
    assert lambdas == [99, 100, 101]  # pm
    assert plan.steps == plan.n_sources * plan.oversample**2


def test_curved_detector_keeps_every_pixel_at_the_distance() -> None:
    args = shlex.split("-cell 100 100 100 90 90 90 -N 5 -default_F 1 -detpixels 16 -curved_det")
    plan = prepare(config_from_args(args), torch.float64)
    s_idx, f_idx = torch.tensor([0, 5, 15]), torch.tensor([3, 9, 15])
    radius = torch.linalg.vector_norm(positions(plan, s_idx, f_idx), dim=-1)
    torch.testing.assert_close(radius, torch.full_like(radius, 0.1))
