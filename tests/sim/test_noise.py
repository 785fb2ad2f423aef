"""The noise generator: the C's ran1 stream, its poidev draws, and the fast path's statistics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from sim.noise import UniformStream, noise_image, poisson_exact, poisson_fast
from sim.rng import Ran1


def _smv_pixels(path: Path) -> np.ndarray:
    return np.frombuffer(path.read_bytes()[512:], dtype="<u2").reshape(256, 256)


@pytest.mark.parametrize("seed", [42, 1, 12345678])
def test_vectorized_stream_equals_scalar_ran1(seed: int) -> None:
    scalar = Ran1(-seed)
    expected = [scalar() for _ in range(10_000)]
    stream = UniformStream(-seed)
    stream.extend(3)  # block boundaries must not matter
    stream.extend(4093)
    got = stream.values(10_000)[:10_000]
    assert got == expected


def test_exact_noise_reproduces_the_c_image_bit_for_bit(sim_reference_root: Path) -> None:
    folder = sim_reference_root / "noise_256"
    c_float = np.fromfile(folder / "float.bin", dtype="<f4").reshape(256, 256)
    c_noise = _smv_pixels(folder / "noise.img")
    result = noise_image(c_float, seed=42, adc=40.0)
    assert np.array_equal(result.pixels, c_noise)
    # the C's own figures: "82141 photons on noise image (0 overloads)"
    assert (
        "82141 photons on noise image (0 overloads)"
        in (folder / "c_stdout_excerpt.txt").read_text()
    )
    assert result.photons == 82141.0
    assert result.overloads == 0


def test_pixels_outside_the_roi_draw_nothing() -> None:
    rng = np.random.default_rng(3)
    means = rng.exponential(2.0, size=400).astype(np.float32)
    means[::7] = 20.0 + means[::7]  # some through the rejection branch
    holes = np.zeros(400, dtype=bool)
    holes[50:90] = True
    masked = np.where(holes, np.float32(np.nan), means)
    with_holes = poisson_exact(masked, seed=9)
    without = poisson_exact(means[~holes], seed=9)
    assert np.array_equal(with_holes[~holes], without)
    assert not with_holes[holes].any()


def test_same_seed_same_draws_other_seed_other_draws() -> None:
    means = np.full(2000, 3.0, dtype=np.float32)
    a, b, c = (poisson_exact(means, seed=s) for s in (5, 5, 6))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("mean", [0.3, 4.0, 30.0, 500.0, 2.0e6])
def test_exact_draws_have_poisson_mean_and_variance(mean: float) -> None:
    n = 20_000
    draws = poisson_exact(np.full(n, mean, dtype=np.float32), seed=11)
    # sample mean within 5 standard errors; variance within 5 standard errors of s²
    assert abs(draws.mean() - mean) < 5 * np.sqrt(mean / n)
    assert abs(draws.var() / mean - 1.0) < 5 * np.sqrt(2.0 / n) + 5 / np.sqrt(n * mean)
    assert np.all(draws == np.floor(draws)) or mean > 1e6


def test_overloads_are_counted_and_clipped() -> None:
    image = np.array([[70000.0, 1.0], [0.0, 65600.0]], dtype=np.float32)
    result = noise_image(image, seed=1, adc=40.0)
    assert result.pixels[0, 0] == 65535
    assert result.overloads >= 1
    assert result.pixels[1, 0] == 40  # a zero mean draws 0, plus the offset


def test_fast_path_matches_poisson_moments_over_100_seeds(sim_reference_root: Path) -> None:
    c_float = np.fromfile(sim_reference_root / "noise_256" / "float.bin", dtype="<f4")
    means = torch.from_numpy(c_float[:4096].copy()).to(torch.float64)  # 16 rows of the C image
    draws = torch.stack([poisson_fast(means, seed) for seed in range(100)])  # [100, 4096]
    mean, var = draws.mean(0), draws.var(0)
    bright = means > 0.5
    # per-pixel mean: z-scores of the 100-seed average look standard normal
    z = (mean - means)[bright] / torch.sqrt(means[bright] / 100)
    assert abs(float(z.mean())) < 0.2
    assert 0.8 < float(z.std()) < 1.2
    # per-pixel variance tracks the mean (Poisson): pooled ratio close to 1
    ratio = float(var[bright].sum() / means[bright].sum())
    assert abs(ratio - 1.0) < 0.05
    again = poisson_fast(means, 7)
    assert torch.equal(again, draws[7])
