"""Detector conventions (PHYSICS.md §2): lab-frame basis, beam-centre mapping, forced pivot.

| convention | beam b | fast f | slow s | normal o | 2θ axis | polar p | spindle u | pivot |
|---|---|---|---|---|---|---|---|---|
| MOSFLM, DENZO | +x | +z | −y | +x | −z | +z | +z | BEAM |
| ADXV | +z | +x | −y | +z | −x | +x | +x | BEAM |
| XDS | +z | +x | +y | +z | +x | +x | +x | SAMPLE |
| DIALS | +z | +x | +y | +z | +y | +y | +y | SAMPLE |
| CUSTOM | user vectors over the C's initial ones (below) | | | | | | | as requested (BEAM) |
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from sim.config import Convention, CustomVectors, Pivot, Vec3


@dataclass(frozen=True)
class Basis:
    beam: Vec3
    fdet: Vec3
    sdet: Vec3
    odet: Vec3
    twotheta_axis: Vec3
    polar: Vec3
    spindle: Vec3


_MOSFLM = Basis((1, 0, 0), (0, 0, 1), (0, -1, 0), (1, 0, 0), (0, 0, -1), (0, 0, 1), (0, 0, 1))
_BASES: dict[Convention, Basis] = {
    Convention.MOSFLM: _MOSFLM,
    Convention.DENZO: _MOSFLM,
    Convention.ADXV: Basis(
        (0, 0, 1), (1, 0, 0), (0, -1, 0), (0, 0, 1), (-1, 0, 0), (1, 0, 0), (1, 0, 0)
    ),
    Convention.XDS: Basis(
        (0, 0, 1), (1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 0, 0), (1, 0, 0), (1, 0, 0)
    ),
    Convention.DIALS: Basis(
        (0, 0, 1), (1, 0, 0), (0, 1, 0), (0, 0, 1), (0, 1, 0), (0, 1, 0), (0, 1, 0)
    ),
    # the C's initial vectors, which CUSTOM keeps unless the user overrides them
    Convention.CUSTOM: Basis(
        (1, 0, 0), (0, 0, 1), (0, -1, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1), (0, 0, 1)
    ),
}

_FORCED_PIVOT: dict[Convention, Pivot] = {
    Convention.MOSFLM: Pivot.BEAM,
    Convention.DENZO: Pivot.BEAM,
    Convention.ADXV: Pivot.BEAM,
    Convention.XDS: Pivot.SAMPLE,
    Convention.DIALS: Pivot.SAMPLE,
}


def basis(convention: Convention, custom: CustomVectors | None) -> Basis:
    """The convention's vectors, with any user vectors laid over (CUSTOM only)."""
    base = _BASES[convention]
    if custom is None:
        return base
    return Basis(
        beam=custom.beam or base.beam,
        fdet=custom.fdet or base.fdet,
        sdet=custom.sdet or base.sdet,
        odet=custom.odet or base.odet,
        twotheta_axis=custom.twotheta_axis or base.twotheta_axis,
        polar=custom.polar or base.polar,
        spindle=custom.spindle or base.spindle,
    )


def pivot(convention: Convention, requested: Pivot | None) -> Pivot:
    """The C forces the pivot from the convention; only CUSTOM honours the request."""
    return _FORCED_PIVOT.get(convention, requested or Pivot.BEAM)


@dataclass(frozen=True, eq=False)
class BeamCentre:
    """Beam centre (F_beam, S_beam) and near point (F_close, S_close) along f and s, metres."""

    f_beam: Tensor
    s_beam: Tensor
    f_close: Tensor
    s_close: Tensor
    x_beam: Tensor  # -Xbeam/-Ybeam or the convention's default (the SMV header's values)
    y_beam: Tensor


def beam_centre(
    convention: Convention,
    *,
    detsize_f: Tensor,
    detsize_s: Tensor,
    pixel: Tensor,
    xbeam: Tensor | None,
    ybeam: Tensor | None,
    xclose: Tensor | None,
    yclose: Tensor | None,
    orgx: Tensor | None,
    orgy: Tensor | None,
) -> BeamCentre:
    """The C's beam-centre rules per convention (PHYSICS §2), all lengths in metres."""
    zero = torch.zeros_like(pixel)
    f_close = (orgx - 0.5) * pixel if orgx is not None else zero + detsize_f / 2.0
    s_close = (orgy - 0.5) * pixel if orgy is not None else zero + detsize_s / 2.0
    xclose = f_close if xclose is None else xclose
    yclose = s_close if yclose is None else yclose
    if convention in (Convention.MOSFLM, Convention.DENZO):
        xb = (detsize_s + pixel) / 2.0 if xbeam is None else xbeam
        yb = (detsize_f + pixel) / 2.0 if ybeam is None else ybeam
        shift = 0.5 * pixel if convention is Convention.MOSFLM else zero
        return BeamCentre(yb + shift, xb + shift, f_close, s_close, xb, yb)
    if convention is Convention.ADXV:
        xb = (detsize_f + pixel) / 2.0 if xbeam is None else xbeam
        yb = (detsize_s - pixel) / 2.0 if ybeam is None else ybeam
        return BeamCentre(xb, detsize_s - yb, f_close, s_close, xb, yb)
    xb = xclose if xbeam is None else xbeam
    yb = yclose if ybeam is None else ybeam
    if convention is Convention.CUSTOM:
        return BeamCentre(xb, yb, xb, yb, xb, yb)
    return BeamCentre(xb, yb, f_close, s_close, xb, yb)
