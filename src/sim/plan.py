"""Config → Plan: every derived quantity the kernel needs, as tensors on one device/dtype.

Set-up arithmetic runs in float64 (cheap, once) and is then cast to the compute dtype, so a
float32 run starts from the same geometry as a float64 one. Discrete choices (φ steps,
mosaic domains, oversampling, sensor layers, sources) are resolved here by the reference C's
rules and reported in :attr:`Plan.warnings` instead of printed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import torch
from torch import Tensor

from sim.config import Scalar, SimConfig, value_of
from sim.crystal import (
    Lattice,
    PhiSweep,
    build_lattice,
    domain_matrices,
    phi_sweep,
    rotated_lattices,
)
from sim.detector import DetectorGeometry, build_detector
from sim.errors import SimError
from sim.sources import Sources, build_sources
from sim.structure import StructureTable

R_E_SQR = 7.94079248018965e-30  # m², Thomson cross section
DEFAULT_FLUENCE = 125932015286227086360700780544.0  # photons/m², = 1/r_e²
AVOGADRO = 6.02214179e23


@dataclass(frozen=True, eq=False)
class Plan:
    """A resolved simulation: geometry, lattices, sources and sampling counts."""

    config: SimConfig
    dtype: torch.dtype
    device: torch.device
    detector: DetectorGeometry
    sources: Sources
    lattice: Lattice  # reference lattice (a0, b0, c0) and reciprocal vectors
    lattices: Tensor  # [n_phi, D, 3 (a, b, c), 3] metres, per φ step and mosaic domain
    sweep: PhiSweep
    cells: Tensor  # [3] Na, Nb, Nc
    oversample: int
    steps: int
    structure: StructureTable | None
    interpolate: bool
    fluence: float
    background: float  # I_bg (water), before the r_e²·fluence/steps scaling
    roi: tuple[int, int, int, int]  # xmin, xmax, ymin, ymax (inclusive, clipped)
    warnings: tuple[str, ...]

    @property
    def n_phi(self) -> int:
        return int(self.lattices.shape[0])

    @property
    def n_domains(self) -> int:
        return int(self.lattices.shape[1])

    @property
    def n_sources(self) -> int:
        return int(self.sources.wavelength.shape[0])


def _cast(obj: object, dtype: torch.dtype) -> object:
    """A copy of a frozen dataclass with its floating tensors cast to ``dtype``."""
    changes = {
        f.name: getattr(obj, f.name).to(dtype)
        for f in fields(obj)  # type: ignore[arg-type]
        if isinstance(getattr(obj, f.name), Tensor) and getattr(obj, f.name).is_floating_point()
    }
    return replace(obj, **changes)  # type: ignore[type-var]


def inputs_dtype_device(config: SimConfig) -> tuple[torch.dtype | None, torch.device | None]:
    """dtype and device of the first tensor among the config's continuous parameters."""
    for part in (config.crystal, config.detector, config.beam):
        for f in fields(part):
            value = getattr(part, f.name)
            items = value if isinstance(value, tuple) else (value,)
            for item in items:
                if isinstance(item, Tensor):
                    return item.dtype, item.device
    return None, None


def _fluence(config: SimConfig) -> float:
    beam = config.beam
    beamsize = beam.beamsize_mm / 1000.0
    if beam.flux != 0.0 and beam.exposure_s > 0.0 and beamsize > 0.0:
        return beam.flux * beam.exposure_s / beamsize / beamsize
    return DEFAULT_FLUENCE if beam.fluence is None else beam.fluence


def _auto_oversample(
    lattice: Lattice, cells: tuple[int, int, int], wavelength: Tensor, det: DetectorGeometry
) -> int:
    """n_os = ceil(3·max(|a|Na, |b|Nb, |c|Nc)/(λ·distance/pixel)), at least 1 (PHYSICS §9)."""
    lengths: list[float] = torch.linalg.vector_norm(lattice.real.detach(), dim=-1).tolist()
    size = max(x * n for x, n in zip(lengths, cells, strict=True))
    reciprocal_pixel = value_of(wavelength) * value_of(det.distance) / value_of(det.pixel)
    return max(math.ceil(3.0 * size / reciprocal_pixel), 1)


def prepare(
    config: SimConfig, dtype: torch.dtype | None = None, device: torch.device | str | None = None
) -> Plan:
    """Resolve ``config`` for a run in ``dtype`` on ``device`` (defaults follow the inputs)."""
    in_dtype, in_device = inputs_dtype_device(config)
    dtype = dtype or in_dtype or torch.float32
    device = torch.device(device) if device is not None else (in_device or torch.device("cpu"))
    setup = torch.float64
    crystal, beam = config.crystal, config.beam

    def t(x: Scalar) -> Tensor:
        return torch.as_tensor(x, dtype=setup, device=device)

    wavelength = t(beam.wavelength_A) * 1e-10  # m
    detector, warnings = build_detector(config.detector, setup, device)
    lattice = build_lattice(crystal, wavelength * 1e10, setup, device)
    sweep = phi_sweep(crystal, config.phi_mode)
    umats, mosaic_warnings = domain_matrices(crystal, setup, device)
    lattices = rotated_lattices(
        lattice.real,
        detector.spindle,
        torch.tensor(sweep.effective_rad, dtype=setup, device=device),
        umats,
    )
    sources = build_sources(beam, detector.beam, detector.polar, wavelength)
    oversample = config.detector.oversample or 0
    if oversample <= 0:
        oversample = _auto_oversample(lattice, crystal.n_cells, wavelength, detector)
    steps = (
        int(sources.wavelength.shape[0])
        * int(umats.shape[0])
        * len(sweep.nominal_rad)
        * oversample**2
    )
    structure = None
    interpolate = False
    if crystal.structure is not None:
        structure = StructureTable.build(crystal.structure, crystal.default_F, dtype, device)
        auto = min(crystal.n_cells) <= 2
        interpolate = auto if crystal.interpolate is None else crystal.interpolate
    fluence = _fluence(config)
    water = beam.water_um * 1e-6
    background = 2.57**2 * R_E_SQR * fluence * water**3 * 1e6 * AVOGADRO / 18.0
    n_slow, n_fast = detector.n_slow, detector.n_fast
    xmin, xmax, ymin, ymax = config.detector.roi or (0, n_fast - 1, 0, n_slow - 1)
    if xmin > n_fast - 1 or ymin > n_slow - 1:
        raise SimError(
            f"-roi {xmin} {xmax} {ymin} {ymax} starts outside the {n_slow}×{n_fast} detector",
            fix=f"x (fast) must start in [0, {n_fast - 1}] and y (slow) in [0, {n_slow - 1}]",
        )
    roi = (xmin, min(xmax, n_fast - 1), ymin, min(ymax, n_slow - 1))
    return Plan(
        config=config,
        dtype=dtype,
        device=device,
        detector=_cast(detector, dtype),  # type: ignore[arg-type]
        sources=_cast(sources, dtype),  # type: ignore[arg-type]
        lattice=lattice,
        lattices=lattices.to(dtype),
        sweep=sweep,
        cells=torch.tensor(crystal.n_cells, dtype=dtype, device=device),
        oversample=oversample,
        steps=steps,
        structure=structure,
        interpolate=interpolate,
        fluence=fluence,
        background=background,
        roi=roi,
        warnings=tuple(warnings + mosaic_warnings),
    )
