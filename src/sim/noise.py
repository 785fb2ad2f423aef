"""Poisson noise as the reference C draws it (PHYSICS.md §12), and a fast vectorized path.

**Exact path** (the default). The C walks the pixels in file order (index s·n_f + f) and
calls the Numerical Recipes ``poidev`` on each mean, all from one ``ran1`` stream seeded
with ``-seed N`` (stored as −N). ``poidev`` takes a variable number of uniform draws per
pixel (k + 1 for a count k below a mean of 12; two or more per rejection trial above), so
where pixel i's draws start in the stream depends on every earlier pixel's value. This
module reproduces it bit for bit:

1. The uniform stream is generated in blocks: the Park–Miller states by vectorized
   jump-ahead (x_n = 16807ⁿ·x_0 mod 2³¹−1 in int64 numpy), then one tight loop over the
   stream for the Bays–Durham shuffle (the only inherently sequential part of ``ran1``).
2. Pixels are consumed in windows: pixels whose mean is below 12 and whose first draw
   already ends ``poidev``'s product loop (draw ≤ e^−m, i.e. a count of 0 in one draw)
   are found with vectorized comparisons (for a band of possible stream offsets at once,
   see :func:`poisson_exact`) and skipped; only pixels that receive photons (or have a
   mean ≥ 12) take a scalar step, with the C's float32 arithmetic (``t *= ran1`` rounded to
   float32, the Lanczos ``gammln``, the single-precision rejection test).

So there is no loop over all pixels; the scalar steps scale with the number of pixels that
see photons. The reference run (256², 82 141 photons) matches the C on every pixel.

**Fast path** (``exact=False``): ``torch.poisson`` on the image's device with a generator
seeded from ``-seed``: fully vectorized, same distribution, different sequence from the C.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray

from sim.rng import _AM, _IA, _IM, _IQ, _IR, _NDIV, _NTAB  # ran1's constants (one place)

_RNMX = 1.0 - 1.2e-7  # compared in float64 against the float32 stream, as the C does
_GAMMLN_COF = (
    76.18009172947146,
    -86.50532032941677,
    24.01409824083091,
    -1.231739572450155,
    0.1208650973866179e-2,
    -0.5395239384953e-5,
)
_SMALL_MEAN = 12.0  # below: product of uniforms; above: Lorentzian rejection
_GAUSS_MEAN = 1.0e6  # above: m + √m·gaussian
_MAX_WINDOW = 1 << 16


def _f32(x: float) -> float:
    """Round a Python float to float32, as the C's float variables do."""
    return float(np.float32(x))


class UniformStream:
    """The C's ``ran1`` stream, generated in vectorized blocks (see module docstring)."""

    def __init__(self, seed: int) -> None:
        idum = 1 if -seed < 1 else -seed  # a seed <= 0 (re)loads the shuffle table
        table = [0] * _NTAB
        for j in range(_NTAB + 7, -1, -1):
            idum = _lcg(idum)
            if j < _NTAB:
                table[j] = idum
        self._idum = idum
        self._table = table
        self._iy = table[0]
        self._values: list[float] = []
        self._array = np.zeros(0, dtype=np.float32)

    def extend(self, count: int) -> None:
        """Append ``count`` more draws."""
        powers = np.array([_IA], dtype=np.int64)  # 16807^1 … 16807^count mod M, by doubling
        while powers.size < count:
            powers = np.concatenate([powers, powers * powers[-1] % _IM])
        states = (powers[:count] * self._idum % _IM).tolist()
        table, iy = self._table, self._iy
        out = [0] * count
        for n, state in enumerate(states):  # the Bays–Durham shuffle: sequential by nature
            j = iy // _NDIV
            iy = table[j]
            table[j] = state
            out[n] = iy
        self._iy = iy
        self._idum = int(states[-1])
        values = (np.asarray(out, dtype=np.float64) * _AM).astype(np.float32)
        values[values > _RNMX] = np.float32(_RNMX)
        self._values.extend(values.tolist())
        self._array = np.concatenate([self._array, values])

    def _ensure(self, stop: int) -> None:
        while len(self._values) < stop:
            self.extend(max(stop - len(self._values), 4096, len(self._values) // 2))

    def values(self, stop: int) -> list[float]:
        """All draws so far as Python floats (for scalar steps), at least ``stop`` of them."""
        self._ensure(stop)
        return self._values

    def array(self, stop: int) -> NDArray[np.float32]:
        """All draws so far as float32, at least ``stop`` of them."""
        self._ensure(stop)
        return self._array


def _lcg(idum: int) -> int:
    k = idum // _IQ
    idum = _IA * (idum - k * _IQ) - _IR * k
    return idum + _IM if idum < 0 else idum


def _gammln(xx: float) -> float:
    """ln Γ(xx), the Lanczos series in double precision, returned as float32."""
    x = y = xx
    tmp = x + 5.5
    tmp -= (x + 0.5) * math.log(tmp)
    ser = 1.000000000190015
    for c in _GAMMLN_COF:
        y += 1.0
        ser += c / y
    return _f32(-tmp + math.log(2.5066282746310005 * ser / x))


class _Poidev:
    """``poidev`` and ``gaussdev`` over one stream position ``pos`` (the C's ``idum``)."""

    def __init__(self, stream: UniformStream) -> None:
        self.stream = stream
        self.pos = 0
        self._gauss_saved: float | None = None

    def _draw(self) -> float:
        values = self.stream.values(self.pos + 1)
        self.pos += 1
        return values[self.pos - 1]

    def small(self, g: float) -> float:
        """``poidev`` below a mean of 12: count float32 products of draws above g = e^−m."""
        pos = self.pos
        values = self.stream.values(pos + 64)
        em, t = -1, 1.0
        while True:
            if pos >= len(values):
                values = self.stream.values(pos + 64)
            em += 1
            t = float(np.float32(t * values[pos]))  # exact double product, rounded as float
            pos += 1
            if not t > g:
                self.pos = pos
                return float(em)

    def _gauss(self) -> float:
        if self._gauss_saved is not None:
            saved, self._gauss_saved = self._gauss_saved, None
            return saved
        while True:
            v1 = _f32(2.0 * self._draw() - 1.0)
            v2 = _f32(2.0 * self._draw() - 1.0)
            rsq = _f32(_f32(v1 * v1) + _f32(v2 * v2))
            if 0.0 < rsq < 1.0:
                break
        fac = _f32(math.sqrt(-2.0 * math.log(rsq) / rsq))
        self._gauss_saved = _f32(v1 * fac)
        return _f32(v2 * fac)

    def __call__(self, xm: float) -> float:
        """One deviate for the float32 mean ``xm``, exactly as the C's float code."""
        if xm > _GAUSS_MEAN:
            return _f32(xm + math.sqrt(xm) * self._gauss())
        if xm < _SMALL_MEAN:
            return self.small(_f32(math.exp(-xm)))
        sq = _f32(math.sqrt(2.0 * xm))
        alxm = _f32(math.log(xm))
        g = _f32(_f32(xm * alxm) - _gammln(_f32(xm + 1.0)))
        while True:
            while True:
                y = _f32(math.tan(math.pi * self._draw()))
                em_f = _f32(_f32(sq * y) + xm)
                if not em_f < 0.0:
                    break
            em_f = float(math.floor(em_f))
            exponent = _f32(_f32(_f32(em_f * alxm) - _gammln(_f32(em_f + 1.0))) - g)
            t = _f32(0.9 * (1.0 + _f32(y * y)) * math.exp(exponent))
            if not self._draw() > t:
                return em_f


def poisson_exact(means: NDArray[np.float32], seed: int) -> NDArray[np.float64]:
    """The C's Poisson draws for ``means`` (float32, file order; NaN = pixel draws nothing).

    ``seed`` is the ``-seed N`` value (the C stores −N). Returns the counts as float64.

    Pixels are taken in windows of W (NaN pixels removed first: they draw nothing). Pixel j
    starts at stream position j + e, where the excess e (extra draws so far) only grows. For
    K candidate excesses at once, a [K, W] comparison marks the pixels whose first draw
    already ends ``poidev`` (a count of 0), and a reversed running minimum gives, for every
    (excess, pixel), the next pixel that is not such a zero. The walk through the window
    then jumps from one photon-bearing pixel to the next, taking one scalar step each.
    """
    flat = np.ascontiguousarray(means, dtype=np.float32).reshape(-1)
    active = np.flatnonzero(~np.isnan(flat))
    m = flat[active]  # [N] means of the pixels that draw
    g = np.exp(-m.astype(np.float64)).astype(np.float32)  # the C's float exp(-m)
    small = m < _SMALL_MEAN
    counts = np.zeros(m.size, dtype=np.float64)
    draw = _Poidev(UniformStream(-seed))
    j, width, depth = 0, 256, 64
    while j < m.size:
        stop = min(m.size, j + width)
        w = stop - j
        e0 = draw.pos - j  # excess at the window start
        offsets = np.arange(depth)[:, None] + np.arange(j, stop)[None, :] + e0  # [K, W]
        uniforms = draw.stream.array(int(offsets[-1, -1]) + 1)[offsets]  # [K, W]
        zero = small[j:stop][None, :] & (uniforms <= g[j:stop][None, :])  # [K, W]
        candidate = np.where(zero, w, np.arange(w)[None, :])  # [K, W]
        following = np.minimum.accumulate(candidate[:, ::-1], axis=1)[:, ::-1]  # [K, W]
        t = 0
        while t < w:
            k = draw.pos - (j + t) - e0
            if k >= depth:  # the excess left this window's table: rebuild from here
                break
            nxt = int(following[k, t])
            draw.pos += nxt - t  # the zero pixels in between: one draw each
            t = nxt
            if t < w:  # a pixel that receives photons (or has a large mean): one scalar step
                xm = float(m[j + t])
                counts[j + t] = draw.small(float(g[j + t])) if small[j + t] else draw(xm)
                t += 1
        j += t
        width = min(width * 2, _MAX_WINDOW) if t == w else max(2 * t, 64)
    result = np.zeros(flat.size, dtype=np.float64)
    result[active] = counts
    return result


def poisson_fast(means: torch.Tensor, seed: int) -> torch.Tensor:
    """Vectorized Poisson counts on ``means``' device (torch.poisson, seeded); NaN → 0."""
    generator = torch.Generator(device=means.device)
    generator.manual_seed(seed & 0xFFFFFFFFFFFFFFFF)
    clean = torch.nan_to_num(means.to(torch.float64), nan=0.0).clamp_min(0.0)
    return torch.poisson(clean, generator=generator)


@dataclass(frozen=True)
class NoiseImage:
    """A noise image as the C writes it: counts + ADC offset, clipped to uint16."""

    pixels: NDArray[np.uint16]  # [n_slow, n_fast]
    photons: float  # sum of the draws, before the offset
    overloads: int  # pixels clipped at 65535


def noise_image(
    image: NDArray[np.float32],
    *,
    seed: int,
    adc: float,
    inside: NDArray[np.bool_] | None = None,
    exact: bool = True,
    device: torch.device | None = None,
) -> NoiseImage:
    """Poisson counts of ``image`` (photons per pixel) + ``adc``, truncated to uint16.

    ``inside``: pixels that are drawn (the ROI); the others draw nothing and hold 0.
    ``device``: where the fast path draws (the run's device); the exact path is on the CPU.
    """
    means = np.asarray(image, dtype=np.float32)
    if inside is not None:
        means = np.where(inside, means, np.float32(np.nan))
    if exact:
        counts = poisson_exact(means, seed).reshape(means.shape)
    else:
        on = torch.from_numpy(np.ascontiguousarray(means)).to(device or torch.device("cpu"))
        counts = poisson_fast(on, seed).cpu().numpy()
    drawn = ~np.isnan(means)
    value = np.where(drawn, counts + adc, 0.0)
    overloads = int(np.count_nonzero(value > 65535.0))
    clipped = np.clip(value, 0.0, 65535.0)
    return NoiseImage(
        pixels=clipped.astype(np.uint16),
        photons=float(counts[drawn].sum()),
        overloads=overloads,
    )
