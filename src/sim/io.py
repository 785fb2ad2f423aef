"""Image files: raw float32 (the C's -floatfile layout) and a PNG view.

Float files are headerless little-endian float32, row-major [slow, fast]: the value at
index s·n_fast + f is pixel (s, f). matplotlib is imported only when a PNG is written.
"""

from __future__ import annotations

import os
import tempfile
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


def write_bytes_atomic(path: Path, data: bytes, *, what: str) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync, then rename over it.

    A failure leaves nothing behind: neither a half-written ``path`` nor the temporary file.
    """
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise SimError(f"cannot write {what}: {exc.strerror}", path=path) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise SimError(f"cannot write {what}: {exc.strerror}", path=path) from None


def check_writable(path: Path) -> None:
    """Refuse, before any work, an output path that cannot be written."""
    if path.is_dir():
        raise SimError("is a directory", path=path, fix="give a file name")
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise SimError("directory does not exist", path=path, fix="create it first")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise SimError("directory is not writable", path=path)
    if path.exists() and not os.access(path, os.W_OK):
        raise SimError("file is not writable", path=path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_float_image(path: Path, image: torch.Tensor) -> None:
    data = as_float32(image).astype("<f4", copy=False)
    write_bytes_atomic(path, data.tobytes(order="C"), what="float image")


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
