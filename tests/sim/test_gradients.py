"""Differentiability (gradcheck in float64), float32/float64 agreement, devices."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sim.cli import config_from_args
from sim.config import BeamConfig, CrystalConfig, DetectorConfig, SimConfig
from sim.simulator import simulate


def _image(
    distance: torch.Tensor,
    cell_a: torch.Tensor,
    beam_x: torch.Tensor,
    misset_z: torch.Tensor,
    pixel: torch.Tensor,
    wavelength: torch.Tensor,
) -> torch.Tensor:
    config = SimConfig(
        crystal=CrystalConfig(
            cell=(cell_a, 30.0, 40.0, 88.0, 91.0, 93.0),
            misset_deg=(10.0, 20.0, misset_z),
            n_cells=(3, 3, 3),
            default_F=10.0,
        ),
        detector=DetectorConfig(
            distance_mm=distance, pixel_mm=pixel, n_fast=5, n_slow=4, beam_x_mm=beam_x, oversample=1
        ),
        beam=BeamConfig(wavelength_A=wavelength, polarization=0.5),
    )
    return simulate(config).image


def test_gradcheck_continuous_parameters() -> None:
    params = tuple(
        torch.tensor(v, dtype=torch.float64, requires_grad=True)
        for v in (60.0, 25.0, 1.1, 30.0, 0.5, 1.5)
    )
    assert _image(*params).dtype == torch.float64  # dtype follows the inputs
    assert torch.autograd.gradcheck(_image, params, eps=1e-6, atol=1e-7, rtol=1e-4)


def test_gradients_reach_every_parameter() -> None:
    params = [
        torch.tensor(v, dtype=torch.float64, requires_grad=True)
        for v in (60.0, 25.0, 1.1, 30.0, 0.5, 1.5)
    ]
    _image(*params).sum().backward()
    for p in params:
        assert p.grad is not None and torch.isfinite(p.grad) and p.grad != 0


def test_float32_agrees_with_float64(case_args) -> None:
    config = config_from_args(case_args("triclinic"))
    img32 = simulate(config, dtype=torch.float32).image
    img64 = simulate(config, dtype=torch.float64).image
    assert img32.dtype == torch.float32 and img64.dtype == torch.float64
    diff = (img32.double() - img64).abs()
    assert float(diff.max()) <= 1e-4 * float(img64.max())
    significant = img64 > 1e-3 * img64.max()
    assert float((diff[significant] / img64[significant]).max()) < 1e-3
    corr = np.corrcoef(img32.double().numpy().ravel(), img64.numpy().ravel())[0, 1]
    assert corr > 0.999999


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")
def test_cuda_matches_cpu(case_args) -> None:
    config = config_from_args(case_args("rot532"))
    cpu = simulate(config, dtype=torch.float64).image
    gpu = simulate(config, dtype=torch.float64, device="cuda").image
    assert gpu.device.type == "cuda"
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-9, atol=1e-12)
