"""X-ray sources (PHYSICS.md §11): beam divergence grid × spectral dispersion.

By default there is one source: incident direction i = b and λ = λ0. Divergence rotates the
source position −10 m·b about the polarization axis (vertical angle) and then about
unit(b × p) (horizontal angle); dispersion spreads λ linearly over ±disp/2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from sim.config import BeamConfig
from sim.geometry import axis_rotation, unit

SOURCE_DISTANCE_M = 10.0  # the C's default source sits 10 m up-beam


@dataclass(frozen=True, eq=False)
class Sources:
    incident: Tensor  # [Src, 3] unit vectors, direction of travel
    wavelength: Tensor  # [Src] metres


def _fill_in(steps: int | None, span: float | None, step: float | None) -> tuple[int, float, float]:
    """The C's count/range/step rules for divergence (PHYSICS §11 table), then the sanity cut."""
    n = steps if steps is not None else -1
    rng = span if span is not None else -1.0
    stp = step if step is not None else -1.0
    if n <= 0:
        if rng < 0.0:
            n, rng, stp = (1, 0.0, 0.0) if stp <= 0.0 else (2, stp, stp)
        elif stp <= 0.0:
            n, stp = 2, rng
        else:
            n = math.ceil(rng / stp)
    elif rng < 0.0:
        if stp <= 0.0:
            rng, stp = 1.0, 1.0 / n
        else:
            rng, n = stp, 2
    elif stp <= 0.0:
        n = max(n, 2)
        stp = rng / (n - 1)
    if rng <= 0.0 or stp <= 0.0 or n <= 0:
        return 1, 0.0, 0.0
    return n, rng, stp


def _dispersion(cfg: BeamConfig) -> tuple[int, float, float]:
    """(steps, range, step) for λ; the C's initial dispersion is 0, so steps alone do nothing."""
    disp = cfg.dispersion_pct / 100.0
    n = cfg.disp_steps if cfg.disp_steps is not None else -1
    if n <= 0:
        n, step = 2, disp
    else:
        n = max(n, 2)
        step = disp / (n - 1)
    if disp <= 0.0 or step <= 0.0:
        return 1, 0.0, 0.0
    return n, disp, step


def _ratio(x: float, span: float) -> float:
    return x / span if span != 0.0 else (math.nan if x == 0.0 else math.copysign(math.inf, x))


def build_sources(cfg: BeamConfig, beam: Tensor, polar: Tensor, wavelength: Tensor) -> Sources:
    """Sources in the C's order (h outer, v, then λ). beam, polar: [3]; wavelength: [] m.

    A ``-sourcefile`` replaces the divergence × dispersion grid: one source per row.
    """
    if cfg.source_file is not None:
        return _from_file(cfg, beam, wavelength)
    hn, hrange, hstep = _fill_in(
        cfg.hdiv_steps, _mrad(cfg.hdiv_range_mrad), _mrad(cfg.hdiv_step_mrad)
    )
    vn, vrange, vstep = _fill_in(
        cfg.vdiv_steps, _mrad(cfg.vdiv_range_mrad), _mrad(cfg.vdiv_step_mrad)
    )
    dn, disp, dstep = _dispersion(cfg)
    vertical = unit(torch.linalg.cross(beam, polar))
    directions: list[Tensor] = []
    lambdas: list[Tensor] = []
    for hi in range(hn):
        for vi in range(vn):
            h = hstep * hi - hrange / 2.0
            v = vstep * vi - vrange / 2.0
            test = _ratio(h * h - hstep * hstep / 4.0 * (1 - hn % 2), hrange * hrange)
            test += _ratio(v * v - vstep * vstep / 4.0 * (1 - vn % 2), vrange * vrange)
            if cfg.round_div and test * 4.0 > 1.1:
                continue
            position = -10.0 * beam
            if v != 0.0:
                position = axis_rotation(polar, torch.tensor(v).to(beam)) @ position
            if h != 0.0:
                position = axis_rotation(vertical, torch.tensor(h).to(beam)) @ position
            for di in range(dn):
                directions.append(-unit(position))
                lambdas.append(wavelength * (1.0 + dstep * di - disp / 2.0))
    return Sources(incident=torch.stack(directions), wavelength=torch.stack(lambdas))


def _from_file(cfg: BeamConfig, beam: Tensor, wavelength: Tensor) -> Sources:
    assert cfg.source_file is not None
    rows = cfg.source_file.rows
    default = (-SOURCE_DISTANCE_M * beam).tolist()  # the default source's position
    filled = [
        [d if v is None else v for v, d in zip(r.position, default, strict=True)] for r in rows
    ]
    positions = torch.tensor(
        filled,
        dtype=beam.dtype,
        device=beam.device,
    )  # [Src, 3]
    lambdas = [wavelength if row.wavelength_m is None else row.wavelength_m for row in rows]
    return Sources(
        incident=-unit(positions),
        wavelength=torch.stack([torch.as_tensor(x).to(wavelength) for x in lambdas]),
    )


def _mrad(x: float | None) -> float | None:
    return None if x is None else x / 1000.0
