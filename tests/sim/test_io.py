"""Float image files and the PNG view."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from sim import io
from sim.errors import SimError


def test_float_image_round_trip(tmp_path: Path) -> None:
    image = torch.arange(12, dtype=torch.float64).reshape(3, 4) / 7
    path = tmp_path / "img.bin"
    io.write_float_image(path, image)
    assert path.stat().st_size == 12 * 4
    raw = np.frombuffer(path.read_bytes(), dtype="<f4")
    assert raw[1 * 4 + 2] == np.float32(6 / 7)  # index s·n_fast + f
    np.testing.assert_array_equal(io.read_float_image(path, (3, 4)), image.float().numpy())
    with pytest.raises(SimError, match="48 bytes, expected 64"):
        io.read_float_image(path, (4, 4))


def test_stats_and_png(tmp_path: Path) -> None:
    image = torch.zeros(5, 6)
    image[3, 4] = 2.5
    stats = io.image_stats(image)
    assert (stats.total, stats.maximum, stats.argmax) == (2.5, 2.5, (3, 4))
    io.write_png(tmp_path / "v.png", image)
    assert (tmp_path / "v.png").read_bytes()[:4] == b"\x89PNG"


def test_atomic_write_leaves_nothing_behind_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "keep").write_text("x")  # a non-empty directory cannot be replaced by a file
    with pytest.raises(SimError, match="taken: cannot write SMV image"):
        io.write_bytes_atomic(target, b"data", what="SMV image")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
    assert (target / "keep").read_text() == "x"


def test_atomic_write_replaces_and_honours_the_umask(tmp_path: Path) -> None:
    import os

    path = tmp_path / "out.img"
    path.write_bytes(b"old")
    io.write_bytes_atomic(path, b"new", what="SMV image")
    assert path.read_bytes() == b"new"
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask
    assert [p.name for p in tmp_path.iterdir()] == ["out.img"]
