"""Frozen, validated configuration: what to simulate, in the user's units.

Every value is checked once, here, when the dataclass is built (``__post_init__``), so an
invalid configuration cannot exist. Units follow the reference C's command line: Å and
degrees for the crystal, mm for the detector, µm for the sensor, Å for the wavelength.

Continuous parameters (cell lengths/angles, misset angles, distance, beam centre, pixel
size, detector rotations, wavelength) are :data:`Scalar`: a float or a 0-d torch tensor.
Passing tensors that require grad makes :func:`sim.simulator.simulate` differentiable with
respect to them; their dtype and device also become the run's defaults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, TypeAlias, TypeVar

import torch

from sim.errors import SimError

if TYPE_CHECKING:
    from sim.sourcefile import SourceFile
    from sim.structure import StructureFactors

Scalar: TypeAlias = float | torch.Tensor
Vec3: TypeAlias = tuple[float, float, float]


class Convention(StrEnum):
    MOSFLM = "mosflm"
    DENZO = "denzo"
    ADXV = "adxv"
    XDS = "xds"
    DIALS = "dials"
    CUSTOM = "custom"


class Pivot(StrEnum):
    BEAM = "beam"
    SAMPLE = "sample"


class Shape(StrEnum):
    SQUARE = "square"
    ROUND = "round"
    GAUSS = "gauss"
    TOPHAT = "tophat"


class PhiMode(StrEnum):
    SPEC = "spec"
    C_PARITY = "c-parity"


E = TypeVar("E", bound=StrEnum)


def parse_choice(kind: type[E], value: str, what: str) -> E:
    """Map a user string onto an enum member, listing the valid values on failure."""
    try:
        return kind(value.lower())
    except ValueError:
        valid = ", ".join(m.value for m in kind)
        raise SimError(f"unknown {what} {value!r}", fix=f"valid {what}s: {valid}") from None


def value_of(x: Scalar) -> float:
    """A plain float for validation and discrete decisions (never in the gradient path)."""
    return float(x.detach().cpu()) if isinstance(x, torch.Tensor) else float(x)


def _positive(name: str, x: Scalar | None) -> None:
    if x is not None and not value_of(x) > 0:
        raise SimError(f"{name} must be > 0, got {value_of(x):g}")


def _finite(name: str, xs: tuple[Scalar, ...]) -> None:
    if not all(math.isfinite(value_of(x)) for x in xs):
        raise SimError(f"{name} must be finite numbers")


@dataclass(frozen=True, eq=False)
class CrystalConfig:
    """Unit cell (or MOSFLM A matrix), orientation, size, spindle sweep, mosaicity, F."""

    cell: tuple[Scalar, Scalar, Scalar, Scalar, Scalar, Scalar] | None = None  # Å, deg
    a_matrix: tuple[Vec3, Vec3, Vec3] | None = None  # rows = lines of a MOSFLM .mat file
    misset_deg: tuple[Scalar, Scalar, Scalar] | None = None
    misset_random: bool = False
    misset_seed: int | None = None  # None: time-based, as the C
    n_cells: tuple[int, int, int] = (1, 1, 1)
    shape: Shape = Shape.SQUARE
    fudge: float = 1.0
    mosaic_spread_deg: float | None = None
    mosaic_domains: int | None = None
    mosaic_seed: int = 12345678  # the C's -mosaic_seed N (stored there as -N)
    phi0_deg: float = 0.0
    osc_deg: float | None = None
    phi_step_deg: float | None = None
    phi_steps: int | None = None
    default_F: float = 0.0
    structure: StructureFactors | None = None
    interpolate: bool | None = None  # None: auto (on when any N <= 2 and an HKL is loaded)

    def __post_init__(self) -> None:
        if (self.cell is None) == (self.a_matrix is None):
            raise SimError(
                "give exactly one of a unit cell (-cell) or an orientation matrix (-mat)"
            )
        if self.cell is not None:
            _check_cell(self.cell)
        if self.a_matrix is not None:
            flat = tuple(x for row in self.a_matrix for x in row)
            _finite("orientation matrix entries", flat)
            m = torch.tensor(self.a_matrix, dtype=torch.float64)
            if abs(float(torch.linalg.det(m))) < 1e-30:
                raise SimError(
                    "orientation matrix is singular (its reciprocal vectors are coplanar)"
                )
        if self.misset_deg is not None:
            _finite("misset angles", self.misset_deg)
        if any(n < 1 for n in self.n_cells):
            raise SimError(f"number of unit cells must be >= 1, got {self.n_cells}")
        _positive("-fudge", self.fudge)
        if self.mosaic_spread_deg is not None and not self.mosaic_spread_deg >= 0:
            raise SimError(f"mosaic spread must be >= 0 degrees, got {self.mosaic_spread_deg:g}")
        if self.mosaic_domains is not None and self.mosaic_domains < 1:
            raise SimError(f"mosaic domain count must be >= 1, got {self.mosaic_domains}")
        if self.osc_deg is not None and not self.osc_deg >= 0:
            raise SimError(f"-osc must be >= 0 degrees, got {self.osc_deg:g}")
        if self.phi_step_deg is not None and not self.phi_step_deg > 0:
            raise SimError(f"-phistep must be > 0 degrees, got {self.phi_step_deg:g}")
        if self.phi_steps is not None and self.phi_steps < 0:
            raise SimError(f"-phisteps must be >= 0, got {self.phi_steps}")
        if self.structure is None and self.default_F == 0.0:
            raise SimError(
                "no structure factors", fix="give -hkl FILE, or -default_F F for a constant F"
            )


def _check_cell(cell: tuple[Scalar, ...]) -> None:
    a, b, c, al, be, ga = (value_of(x) for x in cell)
    _finite("cell parameters", cell)
    for name, x in (("a", a), ("b", b), ("c", c)):
        if not x > 0:
            raise SimError(f"cell edge {name} must be > 0 Å, got {x:g}")
    for name, x in (("alpha", al), ("beta", be), ("gamma", ga)):
        if not 0 < x < 180:
            raise SimError(f"cell angle {name} must be strictly between 0 and 180°, got {x:g}")
    closes = al < be + ga and be < al + ga and ga < al + be and al + be + ga < 360
    if not closes:
        raise SimError(
            f"impossible cell: angles {al:g} {be:g} {ga:g} do not close",
            fix="each angle must be smaller than the sum of the other two, and the three "
            "must add up to less than 360°",
        )


def _unit_vector(name: str, v: Vec3) -> None:
    if not all(math.isfinite(x) for x in v) or math.hypot(*v) == 0:
        raise SimError(f"{name} must be a non-zero vector, got {v}")


@dataclass(frozen=True)
class CustomVectors:
    """Vectors that switch the geometry to the CUSTOM convention (any that is given)."""

    fdet: Vec3 | None = None
    sdet: Vec3 | None = None
    odet: Vec3 | None = None
    beam: Vec3 | None = None
    polar: Vec3 | None = None
    spindle: Vec3 | None = None
    twotheta_axis: Vec3 | None = None

    def __post_init__(self) -> None:
        for name in ("fdet", "sdet", "odet", "beam", "polar", "spindle", "twotheta_axis"):
            v = getattr(self, name)
            if v is not None:
                _unit_vector(f"{name} vector", v)


@dataclass(frozen=True, eq=False)
class DetectorConfig:
    """Pixel grid, placement, orientation, convention, sampling and sensor thickness."""

    convention: Convention = Convention.MOSFLM
    pivot: Pivot | None = None  # only CUSTOM honours it; the others force theirs (as the C)
    vectors: CustomVectors | None = None
    distance_mm: Scalar = 100.0
    close_distance_mm: Scalar | None = None
    pixel_mm: Scalar = 0.1
    n_fast: int | None = None
    n_slow: int | None = None
    detsize_f_mm: float = 102.4
    detsize_s_mm: float = 102.4
    beam_x_mm: Scalar | None = None  # -Xbeam
    beam_y_mm: Scalar | None = None  # -Ybeam
    close_x_mm: Scalar | None = None  # -Xclose
    close_y_mm: Scalar | None = None  # -Yclose
    org_x: Scalar | None = None  # -ORGX (pixels)
    org_y: Scalar | None = None  # -ORGY (pixels)
    rotation_deg: tuple[Scalar, Scalar, Scalar] = (0.0, 0.0, 0.0)
    twotheta_deg: Scalar = 0.0
    oversample: int | None = None  # None or <= 0: automatic (PHYSICS §9)
    oversample_thick: bool = False
    oversample_polar: bool = False
    oversample_omega: bool = False
    point_pixel: bool = False
    curved: bool = False
    thickness_um: float = 0.0
    thick_steps: int | None = None
    attenuation_um: float | None = None  # -detector_abs; inf or 0 turns thickness off
    roi: tuple[int, int, int, int] | None = None  # xmin xmax ymin ymax, inclusive, x = fast

    def __post_init__(self) -> None:
        _positive("-distance", self.distance_mm)
        _positive("-close_distance", self.close_distance_mm)
        _positive("-pixel", self.pixel_mm)
        _positive("-detsize_f", self.detsize_f_mm)
        _positive("-detsize_s", self.detsize_s_mm)
        for name, n in (("fast", self.n_fast), ("slow", self.n_slow)):
            if n is not None and n < 1:
                raise SimError(f"detector pixel count ({name}) must be >= 1, got {n}")
        _finite("detector rotations", (*self.rotation_deg, self.twotheta_deg))
        if self.thickness_um < 0:
            raise SimError(f"-detector_thick must be >= 0 µm, got {self.thickness_um:g}")
        if self.thick_steps is not None and self.thick_steps < 0:
            raise SimError(f"-thicksteps must be >= 0, got {self.thick_steps}")
        if self.attenuation_um is not None and self.attenuation_um < 0:
            raise SimError(f"-detector_abs must be >= 0 µm, got {self.attenuation_um:g}")
        if self.roi is not None:
            xmin, xmax, ymin, ymax = self.roi
            if xmin > xmax or ymin > ymax or min(self.roi) < 0:
                raise SimError(
                    f"-roi needs 0 <= xmin <= xmax and 0 <= ymin <= ymax, got {self.roi}"
                )
        if (self.vectors is not None) != (self.convention is Convention.CUSTOM):
            raise SimError("custom detector/beam vectors need the CUSTOM convention, and only it")

    def pixel_counts(self) -> tuple[int, int]:
        """(n_slow, n_fast), filled in as the C does (PHYSICS §6.1)."""
        pixel = value_of(self.pixel_mm)
        size_f = pixel * self.n_fast if self.n_fast else self.detsize_f_mm
        size_s = pixel * self.n_slow if self.n_slow else self.detsize_s_mm
        return math.ceil(size_s / pixel - 0.5), math.ceil(size_f / pixel - 0.5)


@dataclass(frozen=True, eq=False)
class BeamConfig:
    """Wavelength, fluence, polarization, divergence and dispersion, background."""

    wavelength_A: Scalar = 1.0
    fluence: float | None = None  # photons/m²; None: 1/r_e² unless flux is given
    flux: float = 0.0
    exposure_s: float = 1.0
    beamsize_mm: float = 0.1
    polarization: float = 0.0  # Kahn factor K (the C default is 0)
    nopolar: bool = False
    hdiv_range_mrad: float | None = None
    hdiv_step_mrad: float | None = None
    hdiv_steps: int | None = None
    vdiv_range_mrad: float | None = None
    vdiv_step_mrad: float | None = None
    vdiv_steps: int | None = None
    round_div: bool = True
    dispersion_pct: float = 0.0
    disp_steps: int | None = None
    dmin_A: float = 0.0
    water_um: float = 0.0
    source_file: SourceFile | None = None  # -sourcefile: replaces divergence × dispersion

    def __post_init__(self) -> None:
        _positive("-lambda", self.wavelength_A)
        _positive("-fluence", self.fluence)
        if not 0 <= self.dispersion_pct < 200:
            raise SimError(f"-dispersion must be in [0, 200) percent, got {self.dispersion_pct:g}")
        for name, v in (("-dmin", self.dmin_A), ("-water", self.water_um), ("-flux", self.flux)):
            if v < 0:
                raise SimError(f"{name} must be >= 0, got {v:g}")
        if not -1.0 <= self.polarization <= 1.0:
            raise SimError(f"-polar (Kahn factor) must be in [-1, 1], got {self.polarization:g}")


@dataclass(frozen=True, eq=False)
class SimConfig:
    """Everything one simulation needs."""

    crystal: CrystalConfig
    detector: DetectorConfig = field(default_factory=DetectorConfig)
    beam: BeamConfig = field(default_factory=BeamConfig)
    phi_mode: PhiMode = PhiMode.SPEC
