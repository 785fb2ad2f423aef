"""Image files: raw float32 (the C's -floatfile layout) and a PNG view.

Float files are headerless little-endian float32, row-major [slow, fast]: the value at
index s·n_fast + f is pixel (s, f). matplotlib is imported only when a PNG is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray

from sim.errors import SimError


@dataclass(frozen=True)
class ImageStats:
    total: float
    maximum: float
    argmax: tuple[int, int]  # (slow, fast)
    mean: float


def as_float32(image: torch.Tensor) -> NDArray[np.float32]:
    """The image as the C stores it: float32, on the CPU."""
    return image.detach().to("cpu", torch.float32).numpy()


def write_float_image(path: Path, image: torch.Tensor) -> None:
    data = as_float32(image).astype("<f4", copy=False)
    try:
        path.write_bytes(data.tobytes(order="C"))
    except OSError as exc:
        raise SimError(f"cannot write float image: {exc.strerror}", path=path) from None


def read_float_image(path: Path, shape: tuple[int, int]) -> NDArray[np.float32]:
    """Read a raw float32 image of ``shape`` = (n_slow, n_fast)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SimError(f"cannot read float image: {exc.strerror}", path=path) from None
    expected = shape[0] * shape[1] * 4
    if len(raw) != expected:
        raise SimError(
            f"{len(raw)} bytes, expected {expected} for a {shape[0]}x{shape[1]} float32 image",
            path=path,
        )
    return np.frombuffer(raw, dtype="<f4").reshape(shape).astype(np.float32)


def image_stats(image: torch.Tensor) -> ImageStats:
    data = as_float32(image).astype(np.float64)
    flat = int(data.argmax())
    return ImageStats(
        total=float(data.sum()),
        maximum=float(data.max()),
        argmax=(flat // data.shape[1], flat % data.shape[1]),
        mean=float(data.mean()),
    )


def write_png(path: Path, image: torch.Tensor, *, percentile: float = 99.5) -> None:
    """A greyscale view, black = 0, white at the ``percentile``-th pixel value and above."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = as_float32(image)
    top = float(np.percentile(data, percentile)) if data.size else 0.0
    top = top if top > 0 else float(data.max()) or 1.0
    try:
        plt.imsave(path, data, cmap="gray", vmin=0.0, vmax=top)
    except OSError as exc:
        raise SimError(f"cannot write PNG: {exc.strerror}", path=path) from None
