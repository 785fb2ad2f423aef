"""The reference C's random numbers: Numerical Recipes ``ran1`` and the mosaic rotations.

Reproducing the generator bit for bit is what makes the mosaic domain orientations (and
``-misset random``) match the C (PHYSICS.md §5). Plain Python: it runs a handful of times
per simulation, never per pixel.
"""

from __future__ import annotations

import math

import numpy as np

_IA = 16807
_IM = 2147483647
_AM = 1.0 / _IM
_IQ = 127773
_IR = 2836
_NTAB = 32
_NDIV = 1 + (_IM - 1) // _NTAB
_RNMX = float(np.float32(1.0 - 1.2e-7))

Matrix3 = tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]]


class Ran1:
    """Park–Miller minimal standard LCG with a Bays–Durham shuffle (``ran1``).

    ``seed`` is the C's ``idum``: a value <= 0 (re)loads the shuffle table, as the C's
    ``-mosaic_seed N`` (stored as -N) does.
    """

    def __init__(self, seed: int) -> None:
        self._idum = seed
        self._iy = 0
        self._iv = [0] * _NTAB

    def _step(self) -> None:
        k = self._idum // _IQ
        self._idum = _IA * (self._idum - k * _IQ) - _IR * k
        if self._idum < 0:
            self._idum += _IM

    def __call__(self) -> float:
        if self._idum <= 0 or not self._iy:
            self._idum = 1 if -self._idum < 1 else -self._idum
            for j in range(_NTAB + 7, -1, -1):
                self._step()
                if j < _NTAB:
                    self._iv[j] = self._idum
            self._iy = self._iv[0]
        self._step()
        j = self._iy // _NDIV
        self._iy = self._iv[j]
        self._iv[j] = self._idum
        temp = float(np.float32(_AM * self._iy))
        return _RNMX if temp > _RNMX else temp


def mosaic_rotation(spread_rad: float, rng: Ran1) -> Matrix3:
    """A random rotation within a spherical cap of ``spread_rad`` (the C's umat, row-major).

    Three draws r1, r2, r3 in [-1, 1]; axis from (r1, r2); angle spread·(1-r3²)^(1/3) in
    single precision, as the C's float argument and ``powf``.
    """
    r1 = 2.0 * rng() - 1.0
    r2 = 2.0 * rng() - 1.0
    r3 = 2.0 * rng() - 1.0
    xyrad = math.sqrt(1.0 - r2 * r2)
    cap = np.float32(
        np.float32(spread_rad) * np.power(np.float32(1.0 - r3 * r3), np.float32(1 / 3))
    )
    rot = float(cap)
    v1, v2, v3 = xyrad * math.sin(math.pi * r1), xyrad * math.cos(math.pi * r1), r2
    c, s = math.cos(rot), math.sin(rot)
    t = 1.0 - c
    return (
        (c + t * v1 * v1, t * v1 * v2 - s * v3, t * v1 * v3 + s * v2),
        (t * v1 * v2 + s * v3, c + t * v2 * v2, t * v2 * v3 - s * v1),
        (t * v1 * v3 - s * v2, t * v2 * v3 + s * v1, c + t * v3 * v3),
    )


def mosaic_domains(spread_rad: float, count: int, seed: int) -> list[Matrix3]:
    """The C's domain list: one stream, and domain 0 replaced by the identity."""
    rng = Ran1(seed)
    umats = [mosaic_rotation(spread_rad, rng) for _ in range(count)]
    umats[0] = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))
    return umats


def rotation_to_misset(u: Matrix3) -> tuple[float, float, float]:
    """Angles (rx, ry, rz) in radians with Rz·Ry·Rx = u (the C's ``umat2misset``)."""
    (uxx, uxy, _), (uyx, uyy, _), (uzx, uzy, uzz) = u
    if uzx * uzx < 1.0:
        return (
            math.atan2(uzy, uzz),
            math.atan2(-uzx, math.sqrt(uzy * uzy + uzz * uzz)),
            math.atan2(uyx, uxx),
        )
    return (math.pi, math.pi / 2, math.atan2(uxy, -uyy))


def random_misset(seed: int) -> tuple[float, float, float]:
    """``-misset random``: a cap of 90 taken as radians (C-IMPL-BUG-002), as angles (rad)."""
    return rotation_to_misset(mosaic_rotation(90.0, Ran1(seed)))
