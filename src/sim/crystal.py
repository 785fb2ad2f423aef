"""The crystal: cell → real/reciprocal vectors, misset, φ sweep, mosaic domains.

Follows PHYSICS.md §3–§5 and the reference C's order of operations: reciprocal vectors in a
default orientation (or from a MOSFLM A matrix), misset applied to them, real vectors from
their cross products, then reciprocal vectors rebuilt from the real ones. The result is the
reference lattice at φ = 0 (a0, b0, c0, in metres). The per-step lattices are
``U_m · R_u(φ_k) · a0`` for every φ step k and mosaic domain m.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from sim import rng
from sim.config import CrystalConfig, PhiMode, Vec3
from sim.errors import SimError
from sim.geometry import axis_rotation, rot_xyz

# degrees per radian exactly as the C computes it (180·M_1_PI), so x/RTD matches its atof()/RTD
RTD = 180.0 * 0.318309886183790671537767526745028724


@dataclass(frozen=True, eq=False)
class Lattice:
    """The φ = 0, mosaic-free lattice."""

    real: Tensor  # [3 (a, b, c), 3 (x, y, z)] metres: a0, b0, c0
    reciprocal: Tensor  # [3 (a*, b*, c*), 3] Å⁻¹, after misset, unrotated
    volume: Tensor  # [] Å³


@dataclass(frozen=True)
class PhiSweep:
    """The φ steps: nominal angles, and the angles whose lattice each step actually uses."""

    nominal_rad: tuple[float, ...]
    effective_rad: tuple[float, ...]  # differs from nominal only under --phi-mode c-parity


def _cross(u: Tensor, v: Tensor) -> Tensor:
    out: Tensor = torch.linalg.cross(u, v, dim=-1)
    return out


def _rescale(v: Tensor, length: Tensor) -> Tensor:
    norm = torch.linalg.vector_norm(v)
    return v * (length / torch.where(norm > 0, norm, torch.ones_like(norm)))


def _default_reciprocal(cell: tuple[Tensor, ...]) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """a*, b*, c* (Å⁻¹) in the C's default orientation, and V (Å³), from a b c α β γ."""
    a, b, c, al_deg, be_deg, ga_deg = cell
    al, be, ga = al_deg / RTD, be_deg / RTD, ga_deg / RTD
    half = (al + be + ga) / 2
    skew = torch.abs(
        torch.sin(half) * torch.sin(half - al) * torch.sin(half - be) * torch.sin(half - ga)
    )
    volume = 2.0 * a * b * c * torch.sqrt(skew)
    a_len = b * c * torch.sin(al) / volume
    b_len = c * a * torch.sin(be) / volume
    c_len = a * b * torch.sin(ga) / volume
    sin_gs = torch.clamp(c / volume / a_len / b_len, -1.0, 1.0)
    cos_as = (torch.cos(be) * torch.cos(ga) - torch.cos(al)) / (torch.sin(be) * torch.sin(ga))
    cos_bs = (torch.cos(ga) * torch.cos(al) - torch.cos(be)) / (torch.sin(ga) * torch.sin(al))
    cos_gs = (torch.cos(al) * torch.cos(be) - torch.cos(ga)) / (torch.sin(al) * torch.sin(be))
    one = torch.ones_like(cos_as)
    cos_as, cos_bs, cos_gs = (torch.where(x * x > 1.0, one, x) for x in (cos_as, cos_bs, cos_gs))
    zero = torch.zeros_like(a)
    a_star = torch.stack([a_len, zero, zero])
    b_star = b_len * torch.stack([cos_gs, sin_gs, zero])
    c_star = c_len * torch.stack(
        [cos_bs, (cos_as - cos_bs * cos_gs) / sin_gs, volume / (a * b * c * sin_gs)]
    )
    return a_star, b_star, c_star, volume


def misset_angles_rad(cfg: CrystalConfig) -> tuple[float, float, float] | None:
    """``-misset random`` angles (radians) drawn as the C does; None when not random."""
    if not cfg.misset_random:
        return None
    seed = cfg.misset_seed if cfg.misset_seed is not None else int(time.time())
    return rng.random_misset(-seed)


def build_lattice(
    cfg: CrystalConfig, wavelength_A: Tensor, dtype: torch.dtype, device: torch.device
) -> Lattice:
    """Reference lattice a0, b0, c0 (PHYSICS §3), differentiable in cell and misset angles."""

    def t(x: float | Tensor) -> Tensor:
        return torch.as_tensor(x, dtype=dtype, device=device)

    if cfg.cell is not None:
        cell = tuple(t(x) for x in cfg.cell)
        a_star, b_star, c_star, cell_volume = _default_reciprocal(cell)
    else:
        assert cfg.a_matrix is not None
        m = t(torch.tensor(cfg.a_matrix, dtype=torch.float64))  # rows = file lines (x, y, z)
        a_star, b_star, c_star = (m[:, j] * (1.0 / wavelength_A) for j in range(3))

    random_angles = misset_angles_rad(cfg)
    if random_angles is not None:
        rot = rot_xyz(*(t(x) for x in random_angles))
        a_star, b_star, c_star = (rot @ v for v in (a_star, b_star, c_star))
    elif cfg.misset_deg is not None:
        rot = rot_xyz(*(t(x) / RTD for x in cfg.misset_deg))
        a_star, b_star, c_star = (rot @ v for v in (a_star, b_star, c_star))

    bxc, cxa, axb = _cross(b_star, c_star), _cross(c_star, a_star), _cross(a_star, b_star)
    if cfg.cell is not None:
        # force |b*×c*| = a/V etc., so the user's cell takes exactly (the C's vector_rescale)
        bxc = _rescale(bxc, cell[0] / cell_volume)
        cxa = _rescale(cxa, cell[1] / cell_volume)
        axb = _rescale(axb, cell[2] / cell_volume)
        volume = cell_volume
    else:
        volume = 1.0 / torch.dot(a_star, bxc)
    real = torch.stack([bxc, cxa, axb]) * volume  # [3, 3] Å
    a, b, c = real.unbind(0)
    reciprocal = torch.stack([_cross(b, c), _cross(c, a), _cross(a, b)]) / volume
    return Lattice(real=real * 1e-10, reciprocal=reciprocal, volume=volume)


def phi_steps(cfg: CrystalConfig) -> tuple[int, float]:
    """(n_φ, Δφ in rad) by the C's rules (PHYSICS §4)."""
    steps, osc, step = cfg.phi_steps, cfg.osc_deg, cfg.phi_step_deg
    osc_r = None if osc is None else osc / RTD
    step_r = None if step is None else step / RTD
    if steps is None:
        if osc_r is None:
            n, dphi = (1, 0.0) if step_r is None else (2, step_r)
        elif step_r is None:
            n, dphi = 2, osc_r / 2.0
        else:
            n, dphi = math.ceil(osc_r / step_r), step_r
    else:
        n = max(steps, 1)
        if osc_r is None:
            n, dphi = (n, (1.0 / RTD) / n) if step_r is None else (2, step_r)
        else:
            dphi = osc_r / n if step_r is None else step_r
    return n, dphi


def phi_sweep(cfg: CrystalConfig, mode: PhiMode) -> PhiSweep:
    """φ steps (PHYSICS §4) and, for c-parity, the carried-over lattice angles (§15)."""
    n, dphi = phi_steps(cfg)
    phi0 = cfg.phi0_deg / RTD
    nominal = tuple(phi0 + dphi * k for k in range(n))
    if mode is PhiMode.SPEC:
        return PhiSweep(nominal, nominal)
    # C-PARITY-001: a step at exactly 0.0 keeps the lattice of the step computed before it
    # (cyclically: step 0 inherits the last step of the previous pass); all-zero → a0.
    effective = []
    for k, phi in enumerate(nominal):
        if phi == 0.0:
            earlier = [nominal[(k - j) % n] for j in range(1, n + 1)]
            phi = next((p for p in earlier if p != 0.0), 0.0)
        effective.append(phi)
    return PhiSweep(nominal, tuple(effective))


def mosaic_setup(cfg: CrystalConfig) -> tuple[float, int, list[str]]:
    """(spread in rad, domain count, warnings) by the C's rules (PHYSICS §5)."""
    spread, count = cfg.mosaic_spread_deg, cfg.mosaic_domains
    warnings: list[str] = []
    if count is None:
        if spread is None or spread == 0.0:
            return 0.0, 1, warnings
        warnings.append("finite mosaicity with no domain count: using 10 mosaic domains")
        return spread / RTD, 10, warnings
    if spread is None:
        warnings.append("mosaic domains given without a spread: using 1 domain")
        return 0.0, 1, warnings
    if spread == 0.0:
        return 0.0, 1, warnings
    return spread / RTD, count, warnings


def domain_matrices(
    cfg: CrystalConfig, dtype: torch.dtype, device: torch.device
) -> tuple[Tensor, list[str]]:
    """Mosaic rotations U_m, [D, 3, 3], drawn with the C's generator; U_0 = identity."""
    spread, count, warnings = mosaic_setup(cfg)
    if spread == 0.0:
        return torch.eye(3, dtype=dtype, device=device)[None], warnings
    umats = rng.mosaic_domains(spread, count, -cfg.mosaic_seed)
    return torch.tensor(umats, dtype=dtype, device=device), warnings


def rotated_lattices(real: Tensor, axis: Tensor, phi_rad: Tensor, umats: Tensor) -> Tensor:
    """Lattice of every (φ step, domain): rows a, b, c = U_m · R_u(φ_k) · (a0, b0, c0).

    real: [3 (a, b, c), 3]; phi_rad: [n_phi]; umats: [D, 3, 3] → [n_phi, D, 3 (a, b, c), 3].
    """
    spun = real[None] @ axis_rotation(axis, phi_rad).transpose(-1, -2)  # [n_phi, 3, 3]
    return spun[:, None] @ umats.transpose(-1, -2)[None]  # [n_phi, D, 3, 3]


def read_a_matrix(path: Path) -> tuple[Vec3, Vec3, Vec3]:
    """First three lines of a MOSFLM matrix file: x, y, z components of a*, b*, c*."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SimError(
            f"cannot read orientation matrix: {exc.__class__.__name__}", path=path
        ) from None
    rows: list[Vec3] = []
    for number, text in enumerate(lines[:3], start=1):
        fields = text.split()
        try:
            x, y, z = (float(f) for f in fields[:3])
        except ValueError:
            raise SimError(
                f"expected three numbers, got {text.strip()!r}",
                path=path,
                line=number,
                fix="a MOSFLM matrix starts with 3 lines of 3 numbers (a* b* c* components)",
            ) from None
        rows.append((x, y, z))
    if len(rows) < 3:
        raise SimError(
            f"only {len(rows)} line(s); a MOSFLM matrix starts with 3 lines of 3 numbers",
            path=path,
            line=len(lines) or None,
        )
    return rows[0], rows[1], rows[2]
