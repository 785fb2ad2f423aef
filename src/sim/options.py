"""The physics options shared by ``sim run`` and ``sim trace``, and options → SimConfig.

Long options keep the reference C's spelling with two dashes (``--cell``, ``--default_F``,
``--detector_rotx``, ``--Xbeam`` …), so every C flag ``-name`` has the option ``--name``
(see :mod:`sim.flags` for the translator and its few exceptions). Units are the C's: Å and
degrees for the crystal, mm for the detector, µm for the sensor, mrad for divergence.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

F3 = tuple[float, float, float]


@dataclass(frozen=True)
class Opt:
    name: str  # python parameter name
    decls: tuple[str, ...]  # option spellings; the first is canonical
    kind: Any  # annotation for typer
    default: Any
    help: str

    @property
    def nargs(self) -> int:
        if self.kind is bool or self.kind == (bool | None):
            return 0
        args = getattr(self.kind, "__args__", ())
        tup = next((a for a in args if getattr(a, "__origin__", None) is tuple), None)
        return len(tup.__args__) if tup is not None else 1


def _o(name: str, decls: str, kind: Any, default: Any, help: str) -> Opt:
    return Opt(name, tuple(decls.split()), kind, default, help)


PHYSICS: tuple[Opt, ...] = (
    # crystal
    _o(
        "cell",
        "--cell",
        tuple[float, float, float, float, float, float] | None,
        None,
        "unit cell a b c (Å) α β γ (deg)",
    ),
    _o("mat", "--mat", Path | None, None, "MOSFLM A-matrix file (instead of --cell)"),
    _o("misset", "--misset", F3 | None, None, "misset angles about x, y, z (deg)"),
    _o("misset_random", "--misset_random", bool, False, "random misset (the C's '-misset random')"),
    _o(
        "misset_seed", "--misset_seed", int | None, None, "seed for --misset_random (default: time)"
    ),
    _o("n_cells", "--N", int | None, None, "unit cells along a, b and c"),
    _o("na", "--Na", int | None, None, "unit cells along a"),
    _o("nb", "--Nb", int | None, None, "unit cells along b"),
    _o("nc", "--Nc", int | None, None, "unit cells along c"),
    _o("hkl", "--hkl", Path | None, None, "structure factors, text lines 'h k l F'"),
    _o("default_f", "--default_F", float, 0.0, "F of reflections not in --hkl (all, without it)"),
    _o(
        "interpolate",
        "--interpolate/--nointerpolate",
        bool | None,
        None,
        "tricubic F interpolation (default: on when any N <= 2 and --hkl given)",
    ),
    _o("shape", "--shape", str, "square", "crystal shape: square, round, gauss, tophat"),
    _o("fudge", "--fudge", float, 1.0, "shape-factor width fudge"),
    _o("mosaic", "--mosaic --mosaic_spread", float | None, None, "isotropic mosaic spread (deg)"),
    _o("mosaic_dom", "--mosaic_dom --mosaic_domains", int | None, None, "number of mosaic domains"),
    _o("mosaic_seed", "--mosaic_seed", int, 12345678, "seed for the mosaic domains"),
    _o("phi", "--phi", float, 0.0, "starting spindle angle φ0 (deg)"),
    _o("osc", "--osc", float | None, None, "oscillation range (deg)"),
    _o("phistep", "--phistep", float | None, None, "φ step (deg)"),
    _o("phisteps", "--phisteps", int | None, None, "number of φ steps"),
    _o("spindle_axis", "--spindle_axis", F3 | None, None, "spindle axis (CUSTOM convention)"),
    # detector
    _o("convention", "--convention", str, "mosflm", "mosflm, denzo, adxv, xds, dials or custom"),
    _o("pivot", "--pivot", str | None, None, "beam or sample (only CUSTOM honours it, as the C)"),
    _o("distance", "--distance", float, 100.0, "sample–detector distance (mm)"),
    _o(
        "close_distance",
        "--close_distance",
        float | None,
        None,
        "distance to the nearest point (mm)",
    ),
    _o("pixel_size", "--pixel_size", float, 0.1, "pixel size (mm); the C's -pixel"),
    _o("detpixels", "--detpixels", int | None, None, "pixels along both axes"),
    _o(
        "detpixels_f", "--detpixels_f --detpixels_x", int | None, None, "pixels along the fast axis"
    ),
    _o(
        "detpixels_s", "--detpixels_s --detpixels_y", int | None, None, "pixels along the slow axis"
    ),
    _o("detsize", "--detsize", float | None, None, "detector size (mm), both axes"),
    _o("detsize_f", "--detsize_f", float | None, None, "detector size along fast (mm)"),
    _o("detsize_s", "--detsize_s", float | None, None, "detector size along slow (mm)"),
    _o("xbeam", "--Xbeam", float | None, None, "beam centre (mm); MOSFLM: along slow"),
    _o("ybeam", "--Ybeam", float | None, None, "beam centre (mm); MOSFLM: along fast"),
    _o("xclose", "--Xclose", float | None, None, "near point (mm)"),
    _o("yclose", "--Yclose", float | None, None, "near point (mm)"),
    _o("orgx", "--ORGX", float | None, None, "XDS origin (pixels)"),
    _o("orgy", "--ORGY", float | None, None, "XDS origin (pixels)"),
    _o("rotx", "--detector_rotx", float, 0.0, "detector rotation about x (deg)"),
    _o("roty", "--detector_roty", float, 0.0, "detector rotation about y (deg)"),
    _o("rotz", "--detector_rotz", float, 0.0, "detector rotation about z (deg)"),
    _o("twotheta", "--twotheta", float, 0.0, "detector 2θ swing (deg)"),
    _o("fdet_vector", "--fdet_vector", F3 | None, None, "fast axis (switches to CUSTOM)"),
    _o("sdet_vector", "--sdet_vector", F3 | None, None, "slow axis (switches to CUSTOM)"),
    _o("odet_vector", "--odet_vector", F3 | None, None, "detector normal (switches to CUSTOM)"),
    _o("beam_vector", "--beam_vector", F3 | None, None, "beam direction (switches to CUSTOM)"),
    _o("polar_vector", "--polar_vector", F3 | None, None, "E-vector (switches to CUSTOM)"),
    _o("twotheta_axis", "--twotheta_axis", F3 | None, None, "2θ axis (switches to CUSTOM)"),
    _o(
        "pix0_vector",
        "--pix0_vector --pix0_vector_mm",
        F3 | None,
        None,
        "switches to CUSTOM; the value is ignored, as in the C",
    ),
    _o("oversample", "--oversample", int | None, None, "sub-pixels per pixel edge (default: auto)"),
    _o(
        "oversample_thick", "--oversample_thick", bool, False, "re-compute absorption per sub-pixel"
    ),
    _o(
        "oversample_polar",
        "--oversample_polar",
        bool,
        False,
        "re-compute polarization per sub-pixel",
    ),
    _o(
        "oversample_omega",
        "--oversample_omega",
        bool,
        False,
        "re-compute solid angle per sub-pixel",
    ),
    _o("point_pixel", "--point_pixel", bool, False, "ω = 1/R² (no obliquity)"),
    _o("curved_det", "--curved_det", bool, False, "all pixels at the same distance"),
    _o("detector_abs", "--detector_abs", str | None, None, "attenuation length (µm), or inf"),
    _o("detector_thick", "--detector_thick", float, 0.0, "sensor thickness (µm)"),
    _o("thicksteps", "--detector_thicksteps --thicksteps", int | None, None, "sensor layers"),
    _o(
        "roi",
        "--roi",
        tuple[int, int, int, int] | None,
        None,
        "render only xmin xmax ymin ymax (x = fast)",
    ),
    # beam
    _o("lambda_a", "--lambda --wave", float, 1.0, "wavelength (Å)"),
    _o("energy", "--energy", float | None, None, "photon energy (eV), instead of --lambda"),
    _o("fluence", "--fluence", float | None, None, "photons/m² (default 1/r_e²)"),
    _o("flux", "--flux", float, 0.0, "photons/s (with --exposure, --beamsize)"),
    _o("exposure", "--exposure", float, 1.0, "exposure (s)"),
    _o("beamsize", "--beamsize", float, 0.1, "beam size (mm)"),
    _o("polar", "--polar", float, 0.0, "Kahn polarization factor K"),
    _o("nopolar", "--nopolar", bool, False, "no polarization correction"),
    _o(
        "divergence",
        "--divergence",
        float | None,
        None,
        "horizontal and vertical divergence (mrad)",
    ),
    _o("hdivrange", "--hdivrange", float | None, None, "horizontal divergence (mrad)"),
    _o("vdivrange", "--vdivrange", float | None, None, "vertical divergence (mrad)"),
    _o("hdivstep", "--hdivstep", float | None, None, "horizontal divergence step (mrad)"),
    _o("vdivstep", "--vdivstep", float | None, None, "vertical divergence step (mrad)"),
    _o("hdivsteps", "--hdivsteps", int | None, None, "horizontal divergence steps"),
    _o("vdivsteps", "--vdivsteps", int | None, None, "vertical divergence steps"),
    _o("divsteps", "--divsteps", int | None, None, "divergence steps, both directions"),
    _o(
        "round_div", "--round_div/--square_div", bool, True, "cut the divergence grid to an ellipse"
    ),
    _o("dispersion", "--dispersion", float, 0.0, "spectral dispersion Δλ/λ (%)"),
    _o("dispsteps", "--dispsteps", int | None, None, "wavelength steps"),
    _o(
        "sourcefile",
        "--sourcefile",
        Path | None,
        None,
        "sources, one a line: X Y Z (m) weight wavelength (m); replaces divergence/dispersion",
    ),
    _o("dmin", "--dmin", float, 0.0, "skip samples beyond this resolution (Å)"),
    _o("water", "--water", float, 0.0, "water background thickness (µm)"),
    _o("phi_mode", "--phi-mode", str, "spec", "spec, or c-parity (the C's φ = 0 carry-over)"),
)


def parameters(opts: tuple[Opt, ...]) -> list[inspect.Parameter]:
    """typer parameters (keyword-only) for a dynamic command signature."""
    return [
        inspect.Parameter(
            o.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option(
                o.default, *o.decls, help=o.help, show_default=o.default not in (None, False)
            ),
            annotation=o.kind,
        )
        for o in opts
    ]
