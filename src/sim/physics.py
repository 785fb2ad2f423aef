"""Per-sample physics (PHYSICS.md §7): lattice shape factors, polarization, ω, absorption.

Elementwise torch functions, safe for autograd (no NaN gradients at the removable
singularities) and shape-agnostic: they broadcast over whatever leading axes they get.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from sim.config import Shape

# (sin x / x − cos x)·3/x² has volume ratio 0.723601254558268 between cube and sphere (§7.6)
_ROUND_SCALE = 0.723601254558268


def sincg(x: Tensor, n: Tensor | float) -> Tensor:
    """sin(N·x)/sin(x), equal to N where sin(x) == 0 (the C tests x == 0)."""
    den = torch.sin(x)
    zero = den == 0
    ratio = torch.sin(n * x) / torch.where(zero, torch.ones_like(den), den)
    return torch.where(zero, torch.as_tensor(n, dtype=x.dtype, device=x.device).expand_as(x), ratio)


def sincg_reduced(frac: Tensor, n: Tensor) -> Tensor:
    """|sincg(π·h, N)| from the offset t = h − round(h) ∈ [−½, ½].

    sin(Nπh)/sin(πh) = ±sin(Nπt)/sin(πt): the same magnitude, but the argument stays small,
    so float32 keeps its precision near Bragg peaks. The sign, (−1)^{h0·(N−1)}, is dropped:
    only F_latt² reaches the image. ``frac``: [..., m]; ``n``: [m] cells per axis.

    Without autograd the removable singularity is handled by shifting x by 1e-30 (then
    sin(N·x)/sin(x) == N at t = 0 and no other value changes); with autograd, by ``where``
    so that gradients stay finite and exact.
    """
    x = frac * math.pi
    if not x.requires_grad:
        x = x + 1e-30
        return torch.sin(x * n) / torch.sin(x)
    den = torch.sin(x)
    zero = den == 0
    ratio = torch.sin(n * x) / torch.where(zero, torch.ones_like(den), den)
    return torch.where(zero, n.expand_as(x), ratio)


def sincg_sign(hkl0: Tensor, n: Tensor) -> Tensor:
    """(−1)^{h0·(N−1)}: the sign :func:`sincg_reduced` leaves out (for traces)."""
    odd = torch.remainder(hkl0 * (n - 1), 2) != 0
    return torch.where(odd, -torch.ones_like(hkl0), torch.ones_like(hkl0))


def sinc3(x: Tensor) -> Tensor:
    """3(sin x/x − cos x)/x², equal to 1 at x == 0.

    In float32 the direct formula cancels badly for small x, so |x| < 0.5 uses its series
    1 − x²/10 + x⁴/280 − x⁶/15120 there; float64 keeps the C's formula everywhere.
    """
    small = x.abs() < (0.5 if x.dtype == torch.float32 else 0.0)
    zero = (x == 0) | small
    safe = torch.where(zero, torch.ones_like(x), x)
    value = 3.0 * (torch.sin(safe) / safe - torch.cos(safe)) / (safe * safe)
    x2 = x * x
    series = 1 - x2 / 10 + x2 * x2 / 280 - x2 * x2 * x2 / 15120
    return torch.where(zero, series, value)


def lattice_factor(
    shape: Shape, hkl: Tensor, hkl0: Tensor, n: Tensor, fudge: float, reciprocal: Tensor
) -> Tensor:
    """F_latt for every sample (PHYSICS §7.6), up to the sign for SQUARE.

    hkl, hkl0: [..., 3] fractional and rounded indices; n: [3] cells (Na, Nb, Nc);
    reciprocal: [3 (a*, b*, c*), 3] Å⁻¹ (unrotated, as the C's a_star). Returns [...].
    """
    frac = hkl - hkl0
    if shape is Shape.SQUARE:
        axes = [i for i, count in enumerate(n.tolist()) if count > 1]  # N = 1 contributes 1
        if not axes:
            return torch.ones_like(frac[..., 0])
        if len(axes) < 3:
            frac, n = frac[..., axes], n[axes]
        return sincg_reduced(frac, n).prod(dim=-1)
    volume = n.prod()
    if shape is Shape.ROUND:
        hrad_sqr = (frac * frac * n * n).sum(dim=-1) * fudge
        positive = hrad_sqr > 0
        radius = torch.sqrt(torch.where(positive, hrad_sqr, torch.ones_like(hrad_sqr)))
        radius = torch.where(positive, radius, torch.zeros_like(radius))
        return volume * _ROUND_SCALE * sinc3(math.pi * radius)
    delta = frac @ reciprocal  # [..., 3] Å⁻¹
    rad_star_sqr = (delta * delta).sum(dim=-1) * volume * volume
    if shape is Shape.GAUSS:
        return volume * torch.exp(-(rad_star_sqr / 0.63 * fudge))
    return volume * (rad_star_sqr * fudge < 0.3969).to(hkl.dtype)


def polarization(incident: Tensor, diffracted: Tensor, axis: Tensor, kahn: float) -> Tensor:
    """Kahn polarization factor ½(1 + cos²2θ − K·cos2ψ·sin²2θ) (PHYSICS §7.4).

    incident: [..., 3] or [3]; diffracted: [..., 3]; axis: [3] the E-vector direction.
    """
    cos2t = (incident * diffracted).sum(dim=-1)
    cos2t_sqr = cos2t * cos2t
    sin2t_sqr = 1 - cos2t_sqr
    if kahn == 0.0:
        return 0.5 * (1 + cos2t_sqr)
    b_in = torch.linalg.cross(axis.expand_as(incident), incident, dim=-1)
    b_in = b_in / torch.linalg.vector_norm(b_in, dim=-1, keepdim=True)
    e_in = torch.linalg.cross(incident, b_in, dim=-1)
    e_in = e_in / torch.linalg.vector_norm(e_in, dim=-1, keepdim=True)
    psi = -torch.atan2((diffracted * b_in).sum(dim=-1), (diffracted * e_in).sum(dim=-1))
    return 0.5 * (1 + cos2t_sqr - kahn * torch.cos(2 * psi) * sin2t_sqr)


def solid_angle(
    distance: Tensor, pixel: Tensor, close_distance: Tensor, point_pixel: bool
) -> Tensor:
    """ω = pixel²/R²·close_distance/R, or 1/R² for a point pixel (PHYSICS §7.1)."""
    if point_pixel:
        return 1.0 / (distance * distance)
    return pixel * pixel / (distance * distance) * close_distance / distance


def capture_fraction(layer: Tensor, step: float, mu: float, parallax: Tensor) -> Tensor:
    """Fraction absorbed in sensor layer t: exp(−tΔzμ/ρ) − exp(−(t+1)Δzμ/ρ), ρ = d·o."""
    return torch.exp(-layer * step * mu / parallax) - torch.exp(-(layer + 1) * step * mu / parallax)
