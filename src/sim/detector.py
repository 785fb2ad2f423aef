"""Detector geometry (PHYSICS.md §6–§7.3): basis, rotations, pivots, pix0, sensor layers.

Mirrors the reference C: rotate the convention's basis by ``R_xyz(rotx, roty, rotz)`` then
by 2θ about the 2θ axis; place pix0 by the BEAM or SAMPLE pivot; then recompute
close_distance = pix0·o (used in ω), the beam spot and the distance. Everything is built
with torch ops, so distance, beam centre, pixel size and rotations carry gradients.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import torch
from torch import Tensor

from sim import conventions
from sim.config import DetectorConfig, Pivot, Scalar
from sim.crystal import RTD
from sim.geometry import axis_rotation, rot_xyz, unit


@dataclass(frozen=True, eq=False)
class DetectorGeometry:
    """The placed detector; lengths in metres, vectors [3] in the lab frame."""

    n_slow: int
    n_fast: int
    pixel: Tensor  # []
    pix0: Tensor  # [3] position of the corner of pixel (0, 0)
    fdet: Tensor  # [3]
    sdet: Tensor  # [3]
    odet: Tensor  # [3]
    beam: Tensor  # [3] direction the beam travels
    polar: Tensor  # [3] E-vector direction
    spindle: Tensor  # [3]
    close_distance: Tensor  # [] pix0·o
    distance: Tensor  # [] close_distance / r
    f_beam: Tensor  # [] direct-beam spot along f (after placement)
    s_beam: Tensor  # [] direct-beam spot along s
    x_beam: Tensor  # [] -Xbeam/-Ybeam as given or defaulted (SMV header), m
    y_beam: Tensor  # []
    detsize_s: Tensor  # [] detector size along s, m
    pivot: Pivot
    layers: int  # sensor layers (1 without thickness)
    layer_step: float  # Δz, m
    mu: float  # attenuation coefficient, 1/m
    thick: bool  # thickness modelled (else capture = 1)
    curved: bool
    point_pixel: bool


def _vec(v: tuple[float, float, float], dtype: torch.dtype, device: torch.device) -> Tensor:
    return torch.tensor(v, dtype=dtype, device=device)


def sensor_layers(cfg: DetectorConfig) -> tuple[int, float, float, list[str]]:
    """(layers, Δz m, μ 1/m, warnings) by the C's rules (PHYSICS §7.3, checked in its code).

    With T and n_t: Δz = T/(n_t − 1), n_t ≥ 2. T only: n_t = 2, Δz = T/2. Without T (the
    C's initial thickness is 0) there is one layer and capture = 1, even if n_t is given.
    """
    warnings: list[str] = []
    thick = cfg.thickness_um * 1e-6
    mu = -1.0
    if cfg.attenuation_um is not None:
        if math.isinf(cfg.attenuation_um) or cfg.attenuation_um == 0.0:
            thick, mu = 0.0, 0.0
        else:
            mu = 1.0 / (cfg.attenuation_um * 1e-6)
    if thick <= 0.0:
        return 1, 0.0, max(mu, 0.0), warnings
    if mu < 0.0:
        mu = 1.0 / thick
        warnings.append(f"no -detector_abs: attenuation length set to the thickness, {thick:g} m")
    steps = cfg.thick_steps or 0
    if steps <= 0:
        return 2, thick / 2.0, mu, warnings
    steps = max(steps, 2)
    return steps, thick / (steps - 1), mu, warnings


def build_detector(
    cfg: DetectorConfig, dtype: torch.dtype, device: torch.device
) -> tuple[DetectorGeometry, list[str]]:
    """Place the detector (PHYSICS §6.2–§6.3). Returns the geometry and any warnings."""

    def t(x: Scalar) -> Tensor:
        return torch.as_tensor(x, dtype=dtype, device=device)

    def mm(x: Scalar | None) -> Tensor | None:
        return None if x is None else t(x) / 1000.0

    n_slow, n_fast = cfg.pixel_counts()
    pixel = t(cfg.pixel_mm) / 1000.0
    # the C's detector size: pixel·count when a count is given, else the size as given
    detsize_f = pixel * n_fast if cfg.n_fast else t(cfg.detsize_f_mm) / 1000.0
    detsize_s = pixel * n_slow if cfg.n_slow else t(cfg.detsize_s_mm) / 1000.0
    base = conventions.basis(cfg.convention, cfg.vectors)
    beam, f0, s0 = (unit(_vec(v, dtype, device)) for v in (base.beam, base.fdet, base.sdet))
    o_raw = _vec(base.odet, dtype, device)
    o0 = unit(torch.linalg.cross(f0, s0)) if float(o_raw.norm()) != 1.0 else o_raw
    twotheta_axis = unit(_vec(base.twotheta_axis, dtype, device))
    pivot = conventions.pivot(cfg.convention, cfg.pivot)
    centre = conventions.beam_centre(
        cfg.convention,
        detsize_f=detsize_f,
        detsize_s=detsize_s,
        pixel=pixel,
        xbeam=mm(cfg.beam_x_mm),
        ybeam=mm(cfg.beam_y_mm),
        xclose=mm(cfg.close_x_mm),
        yclose=mm(cfg.close_y_mm),
        orgx=None if cfg.org_x is None else t(cfg.org_x),
        orgy=None if cfg.org_y is None else t(cfg.org_y),
    )
    rot = rot_xyz(*(t(x) / RTD for x in cfg.rotation_deg))  # [3, 3]
    two_theta = axis_rotation(twotheta_axis, t(cfg.twotheta_deg) / RTD)  # [3, 3]
    ratio = torch.dot(beam, rot @ o0)
    ratio = torch.where(ratio == 0, torch.full_like(ratio, sys.float_info.min), ratio)
    distance = t(cfg.distance_mm) / 1000.0
    close = (
        torch.abs(ratio * distance) if cfg.close_distance_mm is None else mm(cfg.close_distance_mm)
    )
    assert close is not None
    distance = close / ratio
    fdet, sdet, odet = (two_theta @ (rot @ v) for v in (f0, s0, o0))
    if pivot is Pivot.SAMPLE:
        pix0 = two_theta @ (rot @ (-centre.f_close * f0 - centre.s_close * s0 + close * o0))
    else:
        pix0 = -centre.f_beam * fdet - centre.s_beam * sdet + distance * beam
    close = torch.dot(pix0, odet)
    spot = close / ratio * beam - pix0
    layers, layer_step, mu, warnings = sensor_layers(cfg)
    geometry = DetectorGeometry(
        n_slow=n_slow,
        n_fast=n_fast,
        pixel=pixel,
        pix0=pix0,
        fdet=fdet,
        sdet=sdet,
        odet=odet,
        beam=beam,
        polar=unit(_vec(base.polar, dtype, device)),
        spindle=unit(_vec(base.spindle, dtype, device)),
        close_distance=close,
        distance=close / ratio,
        f_beam=torch.dot(fdet, spot),
        s_beam=torch.dot(sdet, spot),
        x_beam=centre.x_beam,
        y_beam=centre.y_beam,
        detsize_s=detsize_s,
        pivot=pivot,
        layers=layers,
        layer_step=layer_step,
        mu=mu,
        thick=layers > 1 or layer_step > 0.0,
        curved=cfg.curved,
        point_pixel=cfg.point_pixel,
    )
    return geometry, warnings
