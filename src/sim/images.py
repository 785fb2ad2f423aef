"""The images a crystallographer opens: integer SMV, noise SMV and PGM (PHYSICS.md §12–§13).

All three are derived from the float image exactly as the reference C derives them:

- integer image: floor(float32(clip(v·scale + adc, 0, 65535) + ½)), scale = ``-scale`` or
  55000/max (1 if the image is all zero), printed by the C as ``intfile_scale``;
- noise image: Poisson draws (:mod:`sim.noise`) + adc, truncated to uint16, overloads counted;
- PGM: P5 with a ``# pixels scaled by S`` comment, min(255, v·S) truncated to a byte, with
  S = ``-pgmscale`` or 250/(5·rmsd) over the image (the integer scale when rmsd is 0);
  as the C, rms = √(Σv²/(n−1)) and rmsd = √(Σ(v−mean)²/(n−1)).

The statistics (max, mean, rms, rmsd) are taken over the pixels inside the ROI, as the C's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sim.errors import SimError
from sim.io import write_bytes_atomic
from sim.noise import NoiseImage, noise_image
from sim.plan import Plan
from sim.smv import SmvHeader, write_smv

INT_TARGET = 55000.0  # the brightest pixel's count in an auto-scaled integer image
RTD = 180.0 / math.pi


@dataclass(frozen=True)
class ImageScales:
    """The C's figures for an image: its statistics and the integer and PGM scales."""

    maximum: float
    mean: float
    rms: float
    rmsd: float
    int_scale: float
    pgm_scale: float


def roi_mask(plan: Plan) -> NDArray[np.bool_]:
    """[n_slow, n_fast] True inside the ROI."""
    xmin, xmax, ymin, ymax = plan.roi
    mask = np.zeros((plan.detector.n_slow, plan.detector.n_fast), dtype=bool)
    mask[ymin : ymax + 1, xmin : xmax + 1] = True
    return mask


def scales(
    image: NDArray[np.float32],
    inside: NDArray[np.bool_],
    *,
    int_scale: float | None = None,
    pgm_scale: float | None = None,
) -> ImageScales:
    """Statistics over ``inside`` and the scales (given ones win, as ``-scale``/``-pgmscale``)."""
    values = image[inside].astype(np.float64)
    n = max(values.size, 1)
    maximum = max(float(values.max()), 0.0) if values.size else 0.0
    mean = float(values.sum()) / n
    # the C divides the sums of squares by n − 1 (checked against its printed figures)
    rms = math.sqrt(float(np.square(values).sum()) / max(n - 1, 1))
    rmsd = math.sqrt(float(np.square(values - mean).sum()) / max(n - 1, 1))
    auto_int = INT_TARGET / maximum if maximum > 0.0 else 1.0
    chosen_int = int_scale if int_scale is not None else auto_int
    auto_pgm = 250.0 / (5.0 * rmsd) if rmsd > 0.0 else chosen_int
    return ImageScales(
        maximum=maximum,
        mean=mean,
        rms=rms,
        rmsd=rmsd,
        int_scale=chosen_int,
        pgm_scale=pgm_scale if pgm_scale is not None else auto_pgm,
    )


def int_image(image: NDArray[np.float32], scale: float, adc: float) -> NDArray[np.uint16]:
    """floor(float32(clip(v·scale + adc, 0, 65535) + ½)) as uint16 (the C's floorf)."""
    test = np.clip(image.astype(np.float64) * scale + adc, 0.0, 65535.0)
    return np.floor((test + 0.5).astype(np.float32)).astype(np.uint16)


def pgm_bytes(image: NDArray[np.float32], scale: float) -> bytes:
    """An 8-bit binary PGM (P5) of min(255, v·scale), with the C's comment line."""
    grey = np.clip(image.astype(np.float64) * scale, 0.0, 255.0).astype(np.uint8)
    n_slow, n_fast = image.shape
    head = f"P5\n{n_fast} {n_slow}\n# pixels scaled by {scale:g}\n255\n".encode("ascii")
    return head + grey.tobytes(order="C")


def smv_header(plan: Plan) -> SmvHeader:
    """The C's SMV header values for this run's geometry."""
    det, crystal = plan.detector, plan.config.crystal

    def mm(x: object) -> float:
        return float(x) * 1000.0  # type: ignore[arg-type]

    pixel, f_beam, s_beam = mm(det.pixel), mm(det.f_beam), mm(det.s_beam)
    pix0 = [mm(v) for v in det.pix0.detach().cpu().tolist()]
    # the resolved oscillation (PHYSICS §4): -osc, else -phistep alone, else 1° for -phisteps
    osc = crystal.osc_deg
    if osc is None:
        osc = crystal.phi_step_deg or (1.0 if crystal.phi_steps else 0.0)
    return SmvHeader(
        n_fast=det.n_fast,
        n_slow=det.n_slow,
        pixel_mm=pixel,
        distance_mm=mm(det.distance),
        wavelength_A=float(plan.config.beam.wavelength_A),
        beam_center_x=mm(det.x_beam),
        beam_center_y=mm(det.y_beam),
        adxv_center=(f_beam, mm(det.detsize_s) - s_beam),
        mosflm_center=(s_beam - 0.5 * pixel, f_beam - 0.5 * pixel),
        denzo_beam=(s_beam, f_beam),
        dials_origin=(pix0[2], pix0[1], -pix0[0]),
        xds_org=(-mm(det.pix0 @ det.fdet) / pixel + 0.5, -mm(det.pix0 @ det.sdet) / pixel + 0.5),
        close_distance_mm=mm(det.close_distance),
        phi_deg=crystal.phi0_deg,
        osc_start_deg=crystal.phi0_deg,
        osc_range_deg=osc,
        twotheta_deg=float(plan.config.detector.twotheta_deg),
    )


class NoiseMode(StrEnum):
    EXACT = "exact"  # the C's ran1/poidev sequence for the seed (default)
    FAST = "fast"  # torch.poisson: vectorized, same distribution, different draws


@dataclass(frozen=True)
class OutputRequest:
    """Which derived images to write, and the C's knobs for them (validated here)."""

    intfile: Path | None = None
    noisefile: Path | None = None
    pgmfile: Path | None = None
    scale: float | None = None  # -scale (integer image); None: 55000/max
    pgm_scale: float | None = None  # -pgmscale; None: 250/(5·rmsd)
    adc: float = 40.0
    seed: int = 0  # -seed N (the C stores −N)
    noise: NoiseMode = NoiseMode.EXACT

    def __post_init__(self) -> None:
        for flag, value in (("-scale", self.scale), ("-pgmscale", self.pgm_scale)):
            if value is not None and not (value > 0 and math.isfinite(value)):
                raise SimError(
                    f"{flag} must be a finite number > 0, got {value:g}",
                    fix=f"leave {flag} out for the automatic scale",
                )
        if not (self.adc >= 0 and math.isfinite(self.adc)):
            raise SimError(f"-adc must be a finite number >= 0, got {self.adc:g}")
        if not -(2**31) < self.seed < 2**31:
            raise SimError(f"-seed must fit in 32 bits, got {self.seed}")

    def paths(self) -> tuple[Path, ...]:
        return tuple(p for p in (self.intfile, self.noisefile, self.pgmfile) if p is not None)

    @property
    def wanted(self) -> bool:
        return bool(self.paths())


@dataclass(frozen=True)
class OutputReport:
    scales: ImageScales
    noise: NoiseImage | None


def write_outputs(plan: Plan, image: NDArray[np.float32], request: OutputRequest) -> OutputReport:
    """Write the requested integer, noise and PGM images (each atomically)."""
    inside = roi_mask(plan)
    figures = scales(image, inside, int_scale=request.scale, pgm_scale=request.pgm_scale)
    header = smv_header(plan) if request.intfile or request.noisefile else None
    if request.intfile is not None and header is not None:
        write_smv(request.intfile, header, int_image(image, figures.int_scale, request.adc))
    noise = None
    if request.noisefile is not None and header is not None:
        noise = noise_image(
            image,
            seed=request.seed,
            adc=request.adc,
            inside=inside,
            exact=request.noise is NoiseMode.EXACT,
            device=plan.device,
        )
        write_smv(request.noisefile, header, noise.pixels)
    if request.pgmfile is not None:
        data = pgm_bytes(image, figures.pgm_scale)
        write_bytes_atomic(request.pgmfile, data, what="PGM image")
    return OutputReport(scales=figures, noise=noise)
