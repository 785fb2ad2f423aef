"""Small differentiable vector helpers: unit vectors and rotation matrices (PHYSICS §0).

All functions take and return torch tensors, so gradients flow through angles and vectors.
Matrices act on column vectors: ``v' = R @ v``.
"""

from __future__ import annotations

import torch
from torch import Tensor


def unit(v: Tensor) -> Tensor:
    """v / |v| along the last axis (a zero vector stays zero, as the C's ``unitize``)."""
    norm = torch.linalg.vector_norm(v, dim=-1, keepdim=True)
    return v / torch.where(norm == 0, torch.ones_like(norm), norm)


def rot_x(t: Tensor) -> Tensor:
    c, s, o, z = torch.cos(t), torch.sin(t), torch.ones_like(t), torch.zeros_like(t)
    return torch.stack([o, z, z, z, c, -s, z, s, c]).reshape(3, 3)


def rot_y(t: Tensor) -> Tensor:
    c, s, o, z = torch.cos(t), torch.sin(t), torch.ones_like(t), torch.zeros_like(t)
    return torch.stack([c, z, s, z, o, z, -s, z, c]).reshape(3, 3)


def rot_z(t: Tensor) -> Tensor:
    c, s, o, z = torch.cos(t), torch.sin(t), torch.ones_like(t), torch.zeros_like(t)
    return torch.stack([c, -s, z, s, c, z, z, z, o]).reshape(3, 3)


def rot_xyz(rx: Tensor, ry: Tensor, rz: Tensor) -> Tensor:
    """Rz·Ry·Rx: rotate about x first, then y, then z (the C's ``rotate``). Shape [3, 3]."""
    return rot_z(rz) @ rot_y(ry) @ rot_x(rx)


def axis_rotation(axis: Tensor, angle: Tensor) -> Tensor:
    """Right-handed rotation by ``angle`` about unit ``axis`` (Rodrigues).

    axis: [3]; angle: [*A] → [*A, 3, 3].
    """
    c = torch.cos(angle)[..., None, None]  # [*A, 1, 1]
    s = torch.sin(angle)[..., None, None]
    x, y, z = axis.unbind(-1)
    zero = torch.zeros_like(x)
    k = torch.stack([zero, -z, y, z, zero, -x, -y, x, zero]).reshape(3, 3)  # [u]×
    eye = torch.eye(3, dtype=axis.dtype, device=axis.device)
    return c * eye + s * k + (1 - c) * torch.outer(axis, axis)
