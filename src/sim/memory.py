"""Up-front memory check: refuse a run that cannot fit, before allocating anything.

The estimate follows what :mod:`sim.simulator` allocates: the image (and its index and
value buffers), the per-pixel geometry of one outer chunk ([P, T, Src, 3]), one inner block
of the lattice sum ([p, T, Src, K, 3]; at least one whole pixel), the lattices of every φ
step × mosaic domain, the mosaic matrices and sources built in Python, and the dense HKL
grid. It is compared with the memory available now (``MemAvailable``; on CUDA the device's
free memory for the tensors). ``SIM_MEMORY_LIMIT`` (bytes) overrides what is available.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import torch

from sim.config import SimConfig
from sim.errors import SimError

_TEMPORARIES = 12  # live arrays of the widest shape in the kernel (measured upper bound)
_PY_OBJECT = 512  # bytes per Python-built mosaic matrix or source
_OUTER = 1 << 20  # sim.simulator.OUTER_ELEMENTS
_INNER = 1 << 18  # sim.simulator.INNER_ELEMENTS
_MAX_CHUNK = 1 << 16
_GIB = float(1 << 30)
_BASELINE = 256 << 20  # the interpreter with torch imported


@dataclass(frozen=True)
class MemoryEstimate:
    pixels: int
    samples_per_pixel: int  # layers × sub-pixels × sources
    lattices: int  # φ steps × mosaic domains
    sources: int
    tensor_bytes: int
    python_bytes: int

    @property
    def total(self) -> int:
        return self.tensor_bytes + self.python_bytes

    def largest(self) -> str:
        """What drives the estimate, in the user's terms."""
        parts = {
            "pixels": self.pixels,
            "samples per pixel (layers × oversample² × sources)": self.samples_per_pixel,
            "φ steps × mosaic domains": self.lattices,
        }
        name = max(parts, key=lambda k: parts[k])
        return f"{parts[name]:,} {name}"


def _source_count(config: SimConfig) -> int:
    from sim.sources import _dispersion, _fill_in, _mrad

    beam = config.beam
    if beam.source_file is not None:
        return len(beam.source_file.rows)
    hn = _fill_in(beam.hdiv_steps, _mrad(beam.hdiv_range_mrad), _mrad(beam.hdiv_step_mrad))[0]
    vn = _fill_in(beam.vdiv_steps, _mrad(beam.vdiv_range_mrad), _mrad(beam.vdiv_step_mrad))[0]
    return hn * vn * _dispersion(beam)[0]


def _oversample(config: SimConfig) -> int:
    given = config.detector.oversample or 0
    if given > 0:
        return given
    from sim.config import value_of
    from sim.crystal import build_lattice

    crystal, det = config.crystal, config.detector
    wavelength = torch.tensor(value_of(config.beam.wavelength_A), dtype=torch.float64)
    lattice = build_lattice(crystal, wavelength, torch.float64, torch.device("cpu"))
    lengths = torch.linalg.vector_norm(lattice.real.detach(), dim=-1).tolist()
    size = max(x * n for x, n in zip(lengths, crystal.n_cells, strict=True))
    reciprocal_pixel = (
        value_of(wavelength) * 1e-10 * value_of(det.distance_mm) / value_of(det.pixel_mm)
    )
    return int(max(math.ceil(3.0 * size / reciprocal_pixel), 1))


def estimate(config: SimConfig, dtype: torch.dtype, pixels: int | None = None) -> MemoryEstimate:
    """Peak memory of a run, from the config alone (no allocation)."""
    from sim.crystal import mosaic_setup, phi_steps
    from sim.detector import sensor_layers

    item = torch.empty((), dtype=dtype).element_size()
    n_slow, n_fast = config.detector.pixel_counts()
    image_pixels = n_slow * n_fast if pixels is None else pixels
    layers = sensor_layers(config.detector)[0]
    sources = _source_count(config)
    per_pixel = layers * _oversample(config) ** 2 * sources
    n_phi = phi_steps(config.crystal)[0]
    spread, domains, _ = mosaic_setup(config.crystal)
    domains = domains if spread > 0.0 else 1
    lattices = n_phi * domains
    outer = max(1, min(_OUTER // max(per_pixel * 3, 1), _MAX_CHUNK))
    inner = max(1, _INNER // max(per_pixel * lattices * 3, 1))
    tensor_bytes = (
        _BASELINE
        + image_pixels * (6 * item + 16)  # values, index, image, copies for output (measured)
        + _TEMPORARIES * outer * per_pixel * 3 * item
        + _TEMPORARIES * inner * per_pixel * lattices * 3 * item
        + lattices * 9 * (8 + item)
        + domains * 9 * 8
    )
    python_bytes = (domains + sources + n_phi) * _PY_OBJECT
    return MemoryEstimate(image_pixels, per_pixel, lattices, sources, tensor_bytes, python_bytes)


def available_bytes(device: torch.device | None = None) -> int:
    """Memory available now: SIM_MEMORY_LIMIT, the CUDA device's free memory, or the host's."""
    override = os.environ.get("SIM_MEMORY_LIMIT")
    if override:
        return int(float(override))
    if device is not None and device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    pages = os.sysconf("SC_AVPHYS_PAGES") if hasattr(os, "sysconf") else 0
    return int(pages * os.sysconf("SC_PAGE_SIZE")) if pages else 1 << 62


def check_memory(
    config: SimConfig,
    dtype: torch.dtype,
    device: torch.device | None = None,
    *,
    pixels: int | None = None,
) -> MemoryEstimate:
    """Raise a one-line :class:`SimError` when the run would not fit in memory."""
    need = estimate(config, dtype, pixels)
    have = available_bytes(device)
    if need.total > have:
        raise SimError(
            f"this run needs about {need.total / _GIB:,.1f} GiB of memory but "
            f"{have / _GIB:,.1f} GiB is available (driven by {need.largest()})",
            fix="use fewer pixels, sub-pixels, sources, φ steps or mosaic domains, or -roi",
        )
    return need


def check_grid(cells: int, what: str, path: object = None) -> None:
    """Refuse a dense grid (e.g. an HKL index range) that cannot fit in memory."""
    need = cells * 8 * 2
    have = available_bytes()
    if need > have:
        raise SimError(
            f"{what} spans {cells:,} grid points: about {need / _GIB:,.1f} GiB, but "
            f"{have / _GIB:,.1f} GiB is available",
            path=None if path is None else str(path),
            fix="check the file for a stray index; the grid covers min..max of h, k and l",
        )
