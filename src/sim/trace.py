"""``sim trace``: one pixel's named taps as text, diffable against the C's TRACE_C log.

Line form (one tap a line; a trace-diff reader parses it)::

    TRACE_PY: <name> <v1> [<v2> …]
    TRACE_PY: phi_tic=<k> <name> <v1> …          (looped taps: qualifiers before the name)

Floats are printed with Python ``repr`` (shortest round-trip, full precision), integers as
integers. Tap names and the per-pass order follow the instrumented C (PHYSICS.md §14): a
block per (sensor layer, sub-pixel) pass for source 0, the lattice at φ_tic = 0 and
mos_tic = 0, then one closing block. Our extra per-φ taps carry ``phi_tic=K``:

* after ``scattering_vec_A_inv``: ``ap``, ``bp``, ``cp`` (Å; mosaic domain 0), with
  ``--emit-rot-stars`` also ``rot_a_star``, ``rot_b_star``, ``rot_c_star`` (Å⁻¹), and
  ``V_actual`` (Å³) — the lattice each φ step actually uses, so under
  ``--phi-mode c-parity`` the φ-carryover shows first at ``phi_tic=0 ap``;
* where the C prints its ``TRACE_C_PHI`` line (after ``F_latt``): ``phi_deg``,
  ``hkl_frac``, ``k_frac``, ``F_latt_b``, ``F_latt``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from sim import taps
from sim.config import Shape, SimConfig
from sim.crystal import RTD
from sim.errors import SimError
from sim.plan import R_E_SQR, Plan, prepare
from sim.simulator import simulate_pixel

PREFIX = "TRACE_PY:"


@dataclass(frozen=True, eq=False)
class Trace:
    lines: tuple[str, ...]
    value: float  # the pixel in the compute dtype (I_pixel_final)
    stored: float  # the same rounded to float32, as written to the image file
    plan: Plan


def _format(value: float | int) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))


class _Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def emit(
        self, name: str, value: Tensor | float | int, *, qual: str = "", ints: bool = False
    ) -> None:
        if isinstance(value, Tensor):
            flat = value.reshape(-1).tolist()
            items = [int(x) for x in flat] if ints else flat
        else:
            items = [value]
        text = " ".join(_format(x) for x in items)
        self.lines.append(f"{PREFIX} {qual + ' ' if qual else ''}{name} {text}")


def trace_pixel(
    config: SimConfig,
    pixel: tuple[int, int],
    *,
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
    emit_rot_stars: bool = False,
) -> Trace:
    """Run the kernel for ``pixel`` = (slow, fast) with taps on, and render the trace."""
    plan = prepare(config, dtype, device)
    s, f = pixel
    n_slow, n_fast = plan.detector.n_slow, plan.detector.n_fast
    if not (0 <= s < n_slow and 0 <= f < n_fast):
        raise SimError(
            f"pixel (s, f) = ({s}, {f}) is outside the {n_slow}×{n_fast} detector",
            fix=f"the slow index must be in [0, {n_slow - 1}], the fast in [0, {n_fast - 1}]",
        )
    xmin, xmax, ymin, ymax = plan.roi
    if not (xmin <= f <= xmax and ymin <= s <= ymax):
        raise SimError(f"pixel (s, f) = ({s}, {f}) is outside the -roi {xmin} {xmax} {ymin} {ymax}")
    with taps.recording(pixel) as recorder:
        value = simulate_pixel(plan, pixel)
    lines = render(recorder.values, plan, emit_rot_stars=emit_rot_stars)
    result = float(value.detach())
    return Trace(tuple(lines), result, float(torch.tensor(result, dtype=torch.float32)), plan)


def render(values: dict[str, Tensor], plan: Plan, *, emit_rot_stars: bool = False) -> list[str]:
    """Tap values of one pixel (see :mod:`sim.taps`) → trace lines."""
    out = _Lines()
    emit = out.emit
    det, src = plan.detector, plan.sources
    lattices = values["lattices"].to(torch.float64) * 1e10  # [n_phi, D, 3, 3] Å
    n_phi = lattices.shape[0]
    square = plan.config.crystal.shape is Shape.SQUARE
    close = float(det.close_distance.detach())
    airpath = values["R_distance_meters"]
    for t in range(values["pixel_pos_meters"].shape[0]):
        emit("pix0_vector_meters", values["pix0_vector_meters"])
        emit("fdet_vec", values["fdet_vec"])
        emit("sdet_vec", values["sdet_vec"])
        emit("pixel_pos_meters", values["pixel_pos_meters"][t])
        emit("R_distance_meters", airpath[t])
        emit("omega_pixel_sr", values["omega_pass"][t])
        emit("close_distance_meters", close)
        emit("obliquity_factor", close / float(airpath[t]))
        emit("diffracted_vec", values["diffracted_vec"][t])
        emit("incident_vec", src.incident[0].detach().cpu())
        emit("lambda_meters", float(src.wavelength[0].detach()))
        emit("lambda_angstroms", float(src.wavelength[0].detach()) * 1e10)
        emit("scattering_vec_A_inv", values["scattering_vec_A_inv"][t, 0])
        for p in range(n_phi):
            a, b, c = lattices[p, 0]
            qual = f"phi_tic={p}"
            emit("ap", a, qual=qual)
            emit("bp", b, qual=qual)
            emit("cp", c, qual=qual)
            volume = torch.dot(a, torch.linalg.cross(b, c))
            if emit_rot_stars:
                emit("rot_a_star", torch.linalg.cross(b, c) / volume, qual=qual)
                emit("rot_b_star", torch.linalg.cross(c, a) / volume, qual=qual)
                emit("rot_c_star", torch.linalg.cross(a, b) / volume, qual=qual)
            emit("V_actual", volume, qual=qual)
        a, b, c = lattices[0, 0]
        emit("rot_a_angstroms", a)
        emit("rot_b_angstroms", b)
        emit("rot_c_angstroms", c)
        star = plan.lattice.reciprocal.detach().cpu()
        emit("rot_a_star_A_inv", star[0])
        emit("rot_b_star_A_inv", star[1])
        emit("rot_c_star_A_inv", star[2])
        emit("hkl_frac", values["hkl_frac"][t, 0, 0])
        emit("hkl_rounded", values["hkl_rounded"][t, 0, 0], ints=True)
        if square:
            axes = values["F_latt_axes"][t, 0, 0]
            emit("F_latt_a", axes[0])
            emit("F_latt_b", axes[1])
            emit("F_latt_c", axes[2])
        emit("F_latt", values["F_latt"][t, 0, 0])
        for p in range(n_phi):
            k = p * plan.n_domains
            qual = f"phi_tic={p}"
            emit("phi_deg", plan.sweep.nominal_rad[p] * RTD, qual=qual)
            emit("hkl_frac", values["hkl_frac"][t, 0, k], qual=qual)
            emit("k_frac", values["hkl_frac"][t, 0, k, 1], qual=qual)
            if square:
                emit("F_latt_b", values["F_latt_axes"][t, 0, k, 1], qual=qual)
            emit("F_latt", values["F_latt"][t, 0, k], qual=qual)
        emit("F_cell", values["F_cell"][t, 0, 0])
    cfg = plan.config.detector
    emit("I_before_scaling", values["I_before_scaling"])
    emit("r_e_meters", R_E_SQR**0.5)
    emit("r_e_sqr", R_E_SQR)
    emit("fluence_photons_per_m2", plan.fluence)
    emit("steps", plan.steps)
    emit("oversample_thick", int(cfg.oversample_thick))
    emit("oversample_polar", int(cfg.oversample_polar))
    emit("oversample_omega", int(cfg.oversample_omega))
    emit("capture_fraction", values["capture_fraction"])
    emit("polar", values["polar"])
    emit("omega_pixel", values["omega_pixel"])
    emit("cos_2theta", values["cos_2theta"])
    final = values["I_pixel_final"]
    emit("I_pixel_final", final)
    emit("floatimage_accumulated", final.to(torch.float32))
    return out.lines
