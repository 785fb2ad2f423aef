"""Structure factors (PHYSICS.md §7.7, §10): HKL text files, default_F, lookup.

An HKL file holds one reflection per line, ``h k l F`` (P1, no symmetry, no Friedel
pairs). It is read once into a dense grid over [h_min, h_max] × [k_min, k_max] ×
[l_min, l_max]; listed points get their F, the others default_F (the C pre-fills only when
default_F ≠ 0, else 0). Lookup takes the nearest reflection (h0, k0, l0) and falls back to
default_F outside the grid; optional tricubic interpolation follows the C's ``polin3``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor

from sim.errors import SimError
from sim.memory import check_grid


@dataclass(frozen=True, eq=False)
class StructureFactors:
    """A parsed HKL file as a dense grid (float64), indexed from (h_min, k_min, l_min)."""

    path: str
    mins: tuple[int, int, int]
    grid: NDArray[np.float64]  # [n_h, n_k, n_l]
    count: int  # reflections listed in the file

    @property
    def maxs(self) -> tuple[int, int, int]:
        return (
            self.mins[0] + self.grid.shape[0] - 1,
            self.mins[1] + self.grid.shape[1] - 1,
            self.mins[2] + self.grid.shape[2] - 1,
        )


def _parse_line(path: Path, number: int, text: str) -> tuple[int, int, int, float]:
    fields = text.split()
    fix = "each line must be 'h k l F': three integer indices and a structure factor"
    if len(fields) != 4:
        raise SimError(
            f"expected 4 columns, got {len(fields)}: {text.strip()!r}",
            path=path,
            line=number,
            fix=fix,
        )
    try:
        values = [float(f) for f in fields]
    except ValueError:
        raise SimError(
            f"not a number in {text.strip()!r}", path=path, line=number, fix=fix
        ) from None
    if not all(math.isfinite(v) for v in values):
        raise SimError(f"non-finite value in {text.strip()!r}", path=path, line=number, fix=fix)
    h, k, l, f = values  # noqa: E741 - Miller index l
    if not all(v == int(v) for v in (h, k, l)):
        raise SimError(
            f"Miller indices must be integers, got {h:g} {k:g} {l:g}",
            path=path,
            line=number,
            fix=fix,
        )
    return int(h), int(k), int(l), f


def read_hkl(path: Path, default_F: float) -> StructureFactors:
    """Read an HKL text file; blank lines and lines starting with ``#`` are skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SimError("HKL file not found", path=path, fix="check the -hkl path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SimError(f"cannot read HKL file ({exc.__class__.__name__})", path=path) from None
    rows = [
        _parse_line(path, number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not rows:
        raise SimError(
            "no reflections in HKL file", path=path, line=1, fix="expected lines of 'h k l F'"
        )
    hkl = np.array([r[:3] for r in rows], dtype=np.int64)  # [n, 3]
    mins = hkl.min(axis=0)
    shape = tuple(int(x) for x in hkl.max(axis=0) - mins + 1)
    check_grid(math.prod(shape), f"the HKL index range {shape[0]}×{shape[1]}×{shape[2]}", path)
    grid = np.full(shape, default_F, dtype=np.float64)
    idx = hkl - mins
    grid[idx[:, 0], idx[:, 1], idx[:, 2]] = [r[3] for r in rows]
    return StructureFactors(str(path), (int(mins[0]), int(mins[1]), int(mins[2])), grid, len(rows))


@dataclass(frozen=True, eq=False)
class StructureTable:
    """The grid on the compute device, flattened, for vectorized lookups."""

    values: Tensor  # [n_h * n_k * n_l]
    mins: Tensor  # [3]
    maxs: Tensor  # [3]
    strides: Tensor  # [3] (n_k·n_l, n_l, 1)
    dims: tuple[int, int, int]
    default_F: float

    @staticmethod
    def build(
        sf: StructureFactors, default_F: float, dtype: torch.dtype, device: torch.device
    ) -> StructureTable:
        n_h, n_k, n_l = sf.grid.shape
        return StructureTable(
            values=torch.as_tensor(sf.grid.reshape(-1), dtype=dtype, device=device),
            mins=torch.tensor(sf.mins, dtype=dtype, device=device),
            maxs=torch.tensor(sf.maxs, dtype=dtype, device=device),
            strides=torch.tensor([n_k * n_l, n_l, 1], dtype=torch.int64, device=device),
            dims=(n_h, n_k, n_l),
            default_F=default_F,
        )

    def nearest(self, hkl0: Tensor) -> Tensor:
        """F at rounded indices hkl0 [..., 3] (integral floats); default_F outside the grid."""
        inside = ((hkl0 >= self.mins) & (hkl0 <= self.maxs)).all(dim=-1)  # [...]
        offset = torch.where(inside[..., None], hkl0 - self.mins, torch.zeros_like(hkl0))
        index = (offset.to(torch.int64) * self.strides).sum(dim=-1)
        return torch.where(
            inside, self.values[index], torch.full_like(hkl0[..., 0], self.default_F)
        )

    def interpolation_ok(self, hkl: Tensor) -> Tensor:
        """The C's range test for tricubic interpolation, on fractional hkl [..., 3]."""
        span = self.maxs - self.mins + 1
        return ((hkl - self.mins + 3 <= span) & (hkl - 2 >= self.mins)).all(dim=-1)

    def tricubic(self, hkl: Tensor) -> Tensor:
        """Tricubic Lagrange interpolation through floor(x)−1 … floor(x)+2 on each axis.

        hkl: [E, 3], all in range (see :meth:`interpolation_ok`) → [E].
        """
        base = torch.floor(hkl)  # [E, 3]
        u = hkl - base  # [E, 3] in [0, 1)
        weights = torch.stack(
            [
                -u * (u - 1) * (u - 2) / 6,
                (u + 1) * (u - 1) * (u - 2) / 2,
                -(u + 1) * u * (u - 2) / 2,
                (u + 1) * u * (u - 1) / 6,
            ],
            dim=-1,
        )  # [E, 3 (axis), 4 (node)]
        start = ((base - 1 - self.mins).to(torch.int64) * self.strides).sum(dim=-1)  # [E]
        node = torch.arange(4, device=hkl.device)
        offsets = (
            node[:, None, None] * self.strides[0]
            + node[None, :, None] * self.strides[1]
            + node[None, None, :] * self.strides[2]
        ).reshape(-1)  # [64]
        cube = self.values[start[:, None] + offsets].reshape(-1, 4, 4, 4)  # [E, 4, 4, 4]
        return torch.einsum("ei,ej,ek,eijk->e", weights[:, 0], weights[:, 1], weights[:, 2], cube)
