"""Fixtures for the simulator tests: reference images, case arguments, image metrics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from numpy.typing import NDArray

from sim.cli import config_from_args
from sim.config import SimConfig
from sim.simulator import simulate

Image = NDArray[np.float32]


@dataclass(frozen=True)
class Metrics:
    """Image comparison helpers (correlation, peaks) used by several test modules."""

    @staticmethod
    def corr(a: Image, b: Image, exclude: tuple[tuple[int, int], ...] = ()) -> float:
        keep = np.ones(a.shape, dtype=bool)
        for s, f in exclude:
            keep[s, f] = False
        return float(np.corrcoef(a[keep].astype(np.float64), b[keep].astype(np.float64))[0, 1])

    @staticmethod
    def peaks(image: Image, count: int, floor: float = 0.0) -> list[tuple[int, int]]:
        """The ``count`` brightest local maxima (>= all 8 neighbours) above ``floor``."""
        padded = np.pad(image, 1, constant_values=-np.inf)
        is_max = np.ones(image.shape, dtype=bool)
        n_s, n_f = image.shape
        for ds in (-1, 0, 1):
            for df in (-1, 0, 1):
                if ds or df:
                    is_max &= image >= padded[1 + ds : 1 + ds + n_s, 1 + df : 1 + df + n_f]
        s_idx, f_idx = np.nonzero(is_max & (image > floor))
        order = np.argsort(-image[s_idx, f_idx], kind="stable")[:count]
        return [(int(s_idx[i]), int(f_idx[i])) for i in order]

    @staticmethod
    def matched(ours: list[tuple[int, int]], ref: list[tuple[int, int]], tol: float) -> float:
        """Fraction of ``ours`` with a distinct reference peak within ``tol`` px (greedy)."""
        free = list(ref)
        hits = 0
        for s, f in ours:
            if not free:
                break
            dist = [np.hypot(s - rs, f - rf) for rs, rf in free]
            best = int(np.argmin(dist))
            if dist[best] <= tol:
                hits += 1
                free.pop(best)
        return hits / max(len(ours), 1)


@pytest.fixture(scope="session")
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture(scope="session")
def case_args(sim_reference_root: Path) -> Callable[[str], list[str]]:
    def load(case: str) -> list[str]:
        return (sim_reference_root / case / "args.txt").read_text().split()

    return load


@pytest.fixture(scope="session")
def reference(sim_reference_root: Path) -> Callable[..., Image]:
    def load(case: str, name: str = "float.bin") -> Image:
        n = 512 if case == "triclinic" else 256
        data = np.fromfile(sim_reference_root / case / name, dtype="<f4")
        return data.reshape(n, n)

    return load


@pytest.fixture(scope="session")
def render() -> Callable[..., Image]:
    """C-style args → float32 image (numpy), in the given dtype."""

    def run(args: list[str], dtype: torch.dtype = torch.float32, **changes: object) -> Image:
        config: SimConfig = config_from_args(args)
        if changes:
            from dataclasses import replace

            config = replace(config, **changes)  # type: ignore[arg-type]
        return simulate(config, dtype=dtype).image.to(torch.float32).numpy()

    return run
