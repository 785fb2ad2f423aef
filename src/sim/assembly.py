"""Parsed option values → a validated :class:`~sim.config.SimConfig`.

The CLI's only translation step: it reads the --hkl and --mat files, resolves the option
aliases (-N vs -Na/-Nb/-Nc, -detpixels vs -detpixels_f/_s, -energy vs -lambda,
-divergence vs -hdivrange/-vdivrange) and lets the config dataclasses validate the rest.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from sim.config import (
    BeamConfig,
    Convention,
    CrystalConfig,
    CustomVectors,
    DetectorConfig,
    PhiMode,
    Pivot,
    Shape,
    SimConfig,
    parse_choice,
)
from sim.crystal import read_a_matrix
from sim.errors import SimError
from sim.sourcefile import read_sourcefile
from sim.structure import read_hkl


def _attenuation(text: str | None) -> float | None:
    if text is None:
        return None
    if "inf" in text.lower():
        return math.inf
    try:
        return float(text)
    except ValueError:
        raise SimError(f"-detector_abs needs a length in µm or 'inf', got {text!r}") from None


def to_config(v: dict[str, Any]) -> SimConfig:
    """Parsed option values → a validated :class:`SimConfig` (reads --hkl and --mat)."""
    for flag, key in (("-N", "n_cells"), ("-Na", "na"), ("-Nb", "nb"), ("-Nc", "nc")):
        if v[key] is not None and v[key] < 1:
            raise SimError(f"{flag} must be >= 1 unit cell, got {v[key]}")
    n = v["n_cells"] or 1
    cells = (v["na"] or n, v["nb"] or n, v["nc"] or n)
    custom = {
        k: v[k]
        for k in (
            "fdet_vector",
            "sdet_vector",
            "odet_vector",
            "beam_vector",
            "polar_vector",
            "twotheta_axis",
        )
    }
    is_custom = (
        any(x is not None for x in custom.values())
        or v["pix0_vector"] is not None
        or v["spindle_axis"] is not None
    )
    convention = (
        Convention.CUSTOM if is_custom else parse_choice(Convention, v["convention"], "convention")
    )
    vectors = None
    if convention is Convention.CUSTOM:
        vectors = CustomVectors(
            fdet=custom["fdet_vector"], sdet=custom["sdet_vector"], odet=custom["odet_vector"],
            beam=custom["beam_vector"], polar=custom["polar_vector"], spindle=v["spindle_axis"],
            twotheta_axis=custom["twotheta_axis"],
        )  # fmt: skip
    default_f = v["default_f"]
    crystal = CrystalConfig(
        cell=v["cell"],
        a_matrix=None if v["mat"] is None else read_a_matrix(Path(v["mat"])),
        misset_deg=v["misset"],
        misset_random=v["misset_random"],
        misset_seed=v["misset_seed"],
        n_cells=cells,
        shape=parse_choice(Shape, v["shape"], "crystal shape"),
        fudge=v["fudge"],
        mosaic_spread_deg=v["mosaic"],
        mosaic_domains=v["mosaic_dom"],
        mosaic_seed=v["mosaic_seed"],
        phi0_deg=v["phi"],
        osc_deg=v["osc"],
        phi_step_deg=v["phistep"],
        phi_steps=v["phisteps"],
        default_F=default_f,
        structure=None if v["hkl"] is None else read_hkl(Path(v["hkl"]), default_f),
        interpolate=v["interpolate"],
    )
    pivot = None if v["pivot"] is None else parse_choice(Pivot, v["pivot"], "pivot")
    detector = DetectorConfig(
        convention=convention,
        pivot=pivot,
        vectors=vectors,
        distance_mm=v["distance"],
        close_distance_mm=v["close_distance"],
        pixel_mm=v["pixel_size"],
        n_fast=v["detpixels_f"] or v["detpixels"],
        n_slow=v["detpixels_s"] or v["detpixels"],
        detsize_f_mm=v["detsize_f"] or v["detsize"] or 102.4,
        detsize_s_mm=v["detsize_s"] or v["detsize"] or 102.4,
        beam_x_mm=v["xbeam"],
        beam_y_mm=v["ybeam"],
        close_x_mm=v["xclose"],
        close_y_mm=v["yclose"],
        org_x=v["orgx"],
        org_y=v["orgy"],
        rotation_deg=(v["rotx"], v["roty"], v["rotz"]),
        twotheta_deg=v["twotheta"],
        oversample=v["oversample"],
        oversample_thick=v["oversample_thick"],
        oversample_polar=v["oversample_polar"],
        oversample_omega=v["oversample_omega"],
        point_pixel=v["point_pixel"],
        curved=v["curved_det"],
        thickness_um=v["detector_thick"],
        thick_steps=v["thicksteps"],
        attenuation_um=_attenuation(v["detector_abs"]),
        roi=v["roi"],
    )
    energy = v["energy"]
    if energy is not None and not energy > 0:
        raise SimError(f"-energy must be > 0 eV, got {energy:g}")
    beam = BeamConfig(
        wavelength_A=12398.42 / energy if energy is not None else v["lambda_a"],
        fluence=v["fluence"],
        flux=v["flux"],
        exposure_s=v["exposure"],
        beamsize_mm=v["beamsize"],
        polarization=v["polar"],
        nopolar=v["nopolar"],
        hdiv_range_mrad=v["hdivrange"] if v["hdivrange"] is not None else v["divergence"],
        hdiv_step_mrad=v["hdivstep"],
        hdiv_steps=v["hdivsteps"] if v["hdivsteps"] is not None else v["divsteps"],
        vdiv_range_mrad=v["vdivrange"] if v["vdivrange"] is not None else v["divergence"],
        vdiv_step_mrad=v["vdivstep"],
        vdiv_steps=v["vdivsteps"] if v["vdivsteps"] is not None else v["divsteps"],
        round_div=v["round_div"],
        dispersion_pct=v["dispersion"],
        disp_steps=v["dispsteps"],
        dmin_A=v["dmin"],
        water_um=v["water"],
        source_file=None if v["sourcefile"] is None else read_sourcefile(Path(v["sourcefile"])),
    )
    mode = parse_choice(PhiMode, v["phi_mode"], "phi mode")
    return SimConfig(crystal=crystal, detector=detector, beam=beam, phi_mode=mode)
