"""--phi-mode: where spec and c-parity differ (PHYSICS.md §4, §15)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from sim.cli import config_from_args
from sim.config import CrystalConfig, PhiMode
from sim.crystal import RTD, phi_sweep
from sim.simulator import simulate


def _crystal(**kw: object) -> CrystalConfig:
    return CrystalConfig(cell=(100.0, 100.0, 100.0, 90.0, 90.0, 90.0), default_F=1.0, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "count", "step_deg"),
    [
        ({}, 1, 0.0),
        ({"osc_deg": 90.0}, 2, 45.0),
        ({"osc_deg": 90.0, "phi_steps": 9}, 9, 10.0),
        ({"osc_deg": 1.0, "phi_step_deg": 0.3}, 4, 0.3),
        ({"phi_steps": 4}, 4, 0.25),
        ({"phi_step_deg": 2.0}, 2, 2.0),
        ({"phi_steps": 0, "osc_deg": 5.0}, 1, 5.0),
    ],
)
def test_step_rules(kw: dict[str, object], count: int, step_deg: float) -> None:
    sweep = phi_sweep(_crystal(**kw), PhiMode.SPEC)
    assert len(sweep.nominal_rad) == count
    assert sweep.nominal_rad[0] == 0.0
    if count > 1:
        assert (sweep.nominal_rad[1] - sweep.nominal_rad[0]) * RTD == pytest.approx(step_deg)


def test_c_parity_carries_the_last_step_into_phi_zero() -> None:
    crystal = _crystal(osc_deg=90.0, phi_steps=9)
    spec, parity = phi_sweep(crystal, PhiMode.SPEC), phi_sweep(crystal, PhiMode.C_PARITY)
    assert parity.effective_rad[0] == spec.nominal_rad[8] == pytest.approx(math.radians(80))
    assert parity.effective_rad[1:] == spec.effective_rad[1:]
    assert parity.nominal_rad == spec.nominal_rad


def test_c_parity_zero_step_inside_takes_the_step_before() -> None:
    # φ0 = −Δφ: step 1 sits at exactly 0.0 and keeps the lattice of step 0 (§15)
    parity = phi_sweep(_crystal(phi0_deg=-10.0, osc_deg=30.0, phi_steps=3), PhiMode.C_PARITY)
    assert parity.nominal_rad[1] == 0.0
    assert parity.effective_rad == (
        parity.nominal_rad[0],
        parity.nominal_rad[0],
        parity.nominal_rad[2],
    )


@pytest.mark.parametrize("crystal", [_crystal(), _crystal(phi0_deg=5.0, osc_deg=20.0, phi_steps=4)])
def test_modes_agree_for_one_step_or_nonzero_start(crystal: CrystalConfig) -> None:
    assert phi_sweep(crystal, PhiMode.C_PARITY) == phi_sweep(crystal, PhiMode.SPEC)


def test_image_difference_is_exactly_the_swapped_slice(case_args) -> None:
    """c-parity − spec = (I(φ₈) − I(φ₀))/9: only the φ = 0 slice changes (float64)."""
    config = config_from_args(case_args("at021multi"))
    spec = simulate(config, dtype=torch.float64).image
    parity = simulate(replace(config, phi_mode=PhiMode.C_PARITY), dtype=torch.float64).image
    assert not torch.equal(spec, parity)

    def single(phi_deg: float) -> torch.Tensor:
        crystal = replace(config.crystal, phi0_deg=phi_deg, osc_deg=None, phi_steps=None)
        return simulate(replace(config, crystal=crystal), dtype=torch.float64).image

    expected = spec + (single(80.0) - single(0.0)) / 9
    torch.testing.assert_close(parity, expected, rtol=1e-10, atol=1e-12)


def test_modes_identical_images_for_nonzero_start(case_args) -> None:
    config = config_from_args([*case_args("at021multi"), "-phi", "3"])
    spec = simulate(config).image
    parity = simulate(replace(config, phi_mode=PhiMode.C_PARITY)).image
    assert torch.equal(spec, parity)
    assert np.isfinite(spec.numpy()).all()
