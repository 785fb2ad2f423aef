"""Kernel stages for one chunk of pixels: geometry, then the lattice sum.

Axes (see :mod:`sim.simulator`): P pixels, T passes (layer × sub-pixel slow × fast, the
C's loop order), Src sources, K lattices (φ major, mosaic domain minor).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from sim import physics, taps
from sim.config import Shape
from sim.geometry import axis_rotation
from sim.plan import Plan


@dataclass
class RunState:
    interpolate: bool  # the C turns interpolation off for good at the first out-of-range sample


def positions(plan: Plan, s_idx: Tensor, f_idx: Tensor) -> Tensor:
    """Sub-pixel positions P = pix0 + Fdet·f + Sdet·s + Odet·o, [P, T, 3] (§6.4)."""
    det, n, dt = plan.detector, plan.oversample, plan.dtype
    sub = torch.arange(n, dtype=dt, device=plan.device)  # [n]
    size = det.pixel / n
    fdet = size * (f_idx.to(dt)[:, None] * n + sub) + size / 2  # [P, n (fast)]
    sdet = size * (s_idx.to(dt)[:, None] * n + sub) + size / 2  # [P, n (slow)]
    odet = torch.arange(det.layers, dtype=dt, device=plan.device) * det.layer_step  # [L]
    pos = (
        fdet[:, None, None, :, None] * det.fdet  # [P, 1, 1, n(f), 3]
        + sdet[:, None, :, None, None] * det.sdet  # [P, 1, n(s), 1, 3]
        + odet[None, :, None, None, None] * det.odet  # [1, L, 1, 1, 3]
        + det.pix0
    )  # [P, L, n(s), n(f), 3]
    pos = pos.reshape(s_idx.shape[0], -1, 3)  # [P, T, 3]
    if det.curved:
        # every pixel at `distance`: rotate distance·b about s by P_y/distance, then about f
        start = det.distance * det.beam  # [3]
        turn_s = axis_rotation(det.sdet, pos[..., 1] / det.distance)  # [P, T, 3, 3]
        turn_f = axis_rotation(det.fdet, pos[..., 2] / det.distance)
        pos = (turn_f @ (turn_s @ start[:, None]))[..., 0]
    return pos


def geometry(
    plan: Plan, s_idx: Tensor, f_idx: Tensor
) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """Per-pass factors and scattering vectors of a chunk.

    Returns ω [P, T], capture [P, T], P_pol [P, T, Src] (each the value the C holds at that
    pass), S [P, T, Src, 3] in m⁻¹ and d [P, T, 3].
    """
    cfg, det, src = plan.config.detector, plan.detector, plan.sources
    n_pass_layer = plan.oversample**2
    pos = positions(plan, s_idx, f_idx)  # [P, T, 3]
    airpath = torch.linalg.vector_norm(pos, dim=-1)  # [P, T]
    diffracted = pos / airpath[..., None]  # [P, T, 3]
    taps.tap("pixel_pos_meters", pos)
    taps.tap("R_distance_meters", airpath)
    taps.tap("diffracted_vec", diffracted)

    # ω: cached from the first sub-pixel unless -oversample_omega
    omega = physics.solid_angle(
        airpath if cfg.oversample_omega else airpath[:, :1],
        det.pixel,
        det.close_distance,
        det.point_pixel,
    ).expand_as(airpath)
    # capture: first sub-pixel of each layer unless -oversample_thick
    if det.thick:
        layer = torch.arange(det.layers, dtype=plan.dtype, device=plan.device)
        layer = layer.repeat_interleave(n_pass_layer)  # [T]
        parallax = diffracted @ det.odet  # [P, T]
        if not cfg.oversample_thick:
            parallax = parallax[:, ::n_pass_layer].repeat_interleave(n_pass_layer, dim=1)
        capture = physics.capture_fraction(layer, det.layer_step, det.mu, parallax)
    else:
        capture = torch.ones_like(airpath)
    taps.tap("omega_pass", omega)
    taps.tap("capture_pass", capture)

    # S = (d − i)/λ                                                          [P, T, Src, 3]
    scattering = (diffracted[:, :, None, :] - src.incident) / src.wavelength[:, None]
    taps.tap("scattering_vec_A_inv", scattering)
    # polarization: first sub-pixel and first source unless -oversample_polar
    kahn = plan.config.beam.polarization
    if plan.config.beam.nopolar:
        polar = torch.ones_like(scattering[..., 0])
    elif cfg.oversample_polar:
        polar = physics.polarization(src.incident, diffracted[:, :, None, :], det.polar, kahn)
    else:
        first = physics.polarization(src.incident[0], diffracted[:, 0], det.polar, kahn)  # [P]
        polar = first[:, None, None].expand_as(scattering[..., 0])
    taps.tap("polar_pass", polar)
    return omega, capture, polar, scattering, diffracted


def dmin_skip(plan: Plan, scattering: Tensor) -> Tensor | None:
    """Passes the C skips because dmin > 0.5/stol (PHYSICS §7.2), [P, T, Src]."""
    dmin = plan.config.beam.dmin_A * 1e-10
    if dmin <= 0.0:
        return None
    stol = 0.5 * torch.linalg.vector_norm(scattering, dim=-1)
    skip: Tensor = (stol > 0) & (dmin > 0.5 / torch.where(stol > 0, stol, torch.ones_like(stol)))
    return skip


def lattice_sum(
    plan: Plan,
    scattering: Tensor,
    skipped: Tensor | None,
    state: RunState,
    omega: Tensor,
    capture: Tensor,
    polar: Tensor,
) -> Tensor:
    """I = I_bg + Σ F_cell²·F_latt² over passes, sources and lattices, [P] (§7.5–§7.8)."""
    n_p, n_t, n_src, _ = scattering.shape
    lattices = plan.lattices.reshape(-1, 3)  # [K·3 (a, b, c per lattice), 3]
    taps.tap("lattices", plan.lattices, per_pixel=False)
    hkl = (scattering.reshape(-1, 3) @ lattices.T).reshape(n_p, n_t, n_src, -1, 3)  # [P,T,Src,K,3]
    hkl0 = torch.ceil(hkl - 0.5)
    reciprocal = plan.lattice.reciprocal.to(plan.dtype)
    f_latt = physics.lattice_factor(
        plan.config.crystal.shape, hkl, hkl0, plan.cells, plan.config.crystal.fudge, reciprocal
    )  # [P, T, Src, K]
    taps.tap("hkl_frac", hkl)
    taps.tap("hkl_rounded", hkl0)
    taps.tap("F_latt", lambda: f_latt * _square_sign(plan, hkl0).prod(dim=-1))
    taps.tap("F_latt_axes", lambda: _signed_axes(plan, hkl, hkl0))
    f_cell = _structure_factors(plan, hkl, hkl0, f_latt, skipped, state)  # [P,T,Src,K] or []
    taps.tap("F_cell", lambda: torch.as_tensor(f_cell, dtype=plan.dtype).expand_as(f_latt))
    term = f_latt * f_latt * (f_cell * f_cell)  # [P, T, Src, K]
    if skipped is not None:
        term = torch.where(skipped[..., None], torch.zeros_like(term), term)
    cfg = plan.config.detector
    if cfg.oversample_thick or cfg.oversample_polar or cfg.oversample_omega:
        return _ordered_sum(plan, term, skipped, omega, capture, polar)
    return plan.background + term.sum(dim=(1, 2, 3))


def _square_sign(plan: Plan, hkl0: Tensor) -> Tensor:
    """Per-axis sign of sincg(π·h, N) that the reduced form drops, [..., 3] (traces only)."""
    if plan.config.crystal.shape is not Shape.SQUARE:
        return torch.ones_like(hkl0)
    sign = physics.sincg_sign(hkl0, plan.cells)
    return torch.where(plan.cells > 1, sign, torch.ones_like(sign))


def _signed_axes(plan: Plan, hkl: Tensor, hkl0: Tensor) -> Tensor:
    """sincg(π·h, Na), sincg(π·k, Nb), sincg(π·l, Nc) with signs (1 where N = 1), [..., 3]."""
    factors = physics.sincg_reduced(hkl - hkl0, plan.cells) * _square_sign(plan, hkl0)
    return torch.where(plan.cells > 1, factors, torch.ones_like(factors))


def _structure_factors(
    plan: Plan, hkl: Tensor, hkl0: Tensor, f_latt: Tensor, skipped: Tensor | None, state: RunState
) -> Tensor:
    """F_cell per sample: default_F, nearest HKL, or tricubic interpolation (§7.7, §10)."""
    table = plan.structure
    if table is None:
        return torch.tensor(plan.config.crystal.default_F, dtype=plan.dtype, device=plan.device)
    if not state.interpolate:
        return table.nearest(hkl0)
    # samples the C evaluates F for: not dmin-skipped, and F_latt != 0 unless there is water
    evaluated = torch.ones_like(f_latt, dtype=torch.bool) if plan.background else f_latt != 0
    if skipped is not None:
        evaluated = evaluated & ~skipped[..., None]
    bad = (evaluated & ~table.interpolation_ok(hkl)).reshape(-1)  # C loop order
    flat_hkl = hkl.reshape(-1, 3)
    if not bool(bad.any()):
        good = table.interpolation_ok(flat_hkl)
        safe = torch.where(good[:, None], flat_hkl, table.mins + 2)
        return torch.where(good, table.tricubic(safe), table.nearest(hkl0.reshape(-1, 3))).reshape(
            f_latt.shape
        )
    # the first out-of-range sample gets default_F; interpolation is off from then on
    first = int(torch.nonzero(bad)[0])
    state.interpolate = False
    order = torch.arange(bad.shape[0], device=bad.device)
    good = table.interpolation_ok(flat_hkl) & (order < first)
    safe = torch.where(good[:, None], flat_hkl, table.mins + 2)
    nearest = table.nearest(hkl0.reshape(-1, 3))
    value = torch.where(good, table.tricubic(safe), nearest)
    value = torch.where(order == first, torch.full_like(value, table.default_F), value)
    return value.reshape(f_latt.shape)


def _ordered_sum(
    plan: Plan, term: Tensor, skipped: Tensor | None, omega: Tensor, capture: Tensor, polar: Tensor
) -> Tensor:
    """The C's -oversample_* accumulation: I += x; I *= w after every sample (§7.8).

    I = I_bg·Π w + Σ_j x_j·Π_{i ≥ j} w_i over samples in loop order, computed in log space:
    w is constant within a (pass, source) group of K samples.
    """
    cfg = plan.config.detector
    weight = torch.ones_like(polar)  # [P, T, Src]
    if cfg.oversample_thick:
        weight = weight * capture[..., None]
    if cfg.oversample_polar:
        weight = weight * polar
    if cfg.oversample_omega:
        weight = weight * omega[..., None]
    if skipped is not None:
        weight = torch.where(skipped, torch.ones_like(weight), weight)
    n_k = term.shape[-1]
    log_w = torch.log(weight).reshape(weight.shape[0], -1)  # [P, G] groups in loop order
    group_total = n_k * log_w
    later = group_total.flip(-1).cumsum(-1).flip(-1) - group_total  # Σ over later groups
    k = torch.arange(n_k, dtype=plan.dtype, device=plan.device)
    exponent = (n_k - k) * log_w[..., None] + later[..., None]  # [P, G, K]
    factor = torch.exp(exponent).reshape(term.shape)
    total = (term * factor).sum(dim=(1, 2, 3))
    return total + plan.background * torch.exp(group_total.sum(-1))
