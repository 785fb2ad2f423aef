"""The vectorized kernel: config → image (PHYSICS.md §6.4–§9), with trace taps.

Pixels are processed in chunks (row-major over the ROI) so memory stays bounded; inside a
chunk every axis is a tensor dimension, never a Python loop:

    P   pixels of the chunk
    T   passes = sensor layers × sub-pixels (slow) × sub-pixels (fast), in the C's loop order
    Src sources (divergence × dispersion)
    K   lattices = φ steps × mosaic domains (φ major)

Per pass the C caches ω (first sub-pixel of the first layer), the polarization (first
sub-pixel, first source) and the capture fraction (first sub-pixel of each layer, so the
last layer's is used); the final pixel is r_e²·fluence·I/steps·capture·P_pol·ω (§8).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import torch
from torch import Tensor

from sim import kernel, taps
from sim.config import SimConfig
from sim.kernel import RunState
from sim.plan import R_E_SQR, Plan, prepare

ProgressFn = Callable[[int, int], None]

# Two-level chunking keeps memory bounded on any detector and the hot loop in the CPU caches:
# an outer chunk of pixels gets its geometry ([P, T, Src, 3] arrays of about OUTER_ELEMENTS),
# then inner blocks of whole pixels go through the lattice sum ([p, T, Src, K, 3] arrays of
# about INNER_ELEMENTS; measured fastest around 2^17–2^19 on CPU).
OUTER_ELEMENTS = 1 << 20
INNER_ELEMENTS = 1 << 18
MAX_CHUNK_PIXELS = 1 << 16


@dataclass(frozen=True, eq=False)
class SimResult:
    image: Tensor  # [n_slow, n_fast] in the compute dtype (write it out as float32)
    plan: Plan


def simulate(
    config: SimConfig,
    *,
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
    progress: ProgressFn | None = None,
) -> SimResult:
    """Render the whole image (pixels outside the ROI stay 0)."""
    plan = prepare(config, dtype, device)
    state = RunState(plan.interpolate)
    flat_index: list[Tensor] = []
    values: list[Tensor] = []
    total = _roi_size(plan)
    for start, stop in chunk_bounds(plan):
        s_idx, f_idx = _chunk_pixels(plan, start, stop)
        values.append(pixel_values(plan, s_idx, f_idx, state))
        flat_index.append(s_idx * plan.detector.n_fast + f_idx)
        if progress is not None:
            progress(stop, total)
    n_slow, n_fast = plan.detector.n_slow, plan.detector.n_fast
    image = torch.zeros(n_slow * n_fast, dtype=plan.dtype, device=plan.device)
    image = image.index_copy(0, torch.cat(flat_index), torch.cat(values))
    return SimResult(image=image.reshape(n_slow, n_fast), plan=plan)


def simulate_pixel(plan: Plan, pixel: tuple[int, int]) -> Tensor:
    """One pixel's value, with the active tap recorder (if any) focused on it.

    It is computed in the same chunk and inner block as :func:`simulate` uses, so it is
    bit-identical to the image. Earlier chunks run too when interpolation is on, since the
    C's interpolation switch depends on them.
    """
    s, f = pixel
    xmin, xmax, ymin, _ = plan.roi
    index = (s - ymin) * (xmax - xmin + 1) + (f - xmin)
    state = RunState(plan.interpolate)
    for start, stop in chunk_bounds(plan):
        if stop <= index and not state.interpolate:
            continue
        s_idx, f_idx = _chunk_pixels(plan, start, stop)
        if start <= index < stop:
            row = index - start
            return pixel_values(plan, s_idx, f_idx, state, focus=row)[row]
        pixel_values(plan, s_idx, f_idx, state)
    raise AssertionError("pixel not in any chunk")  # guarded by the caller's range check


def _roi_size(plan: Plan) -> int:
    xmin, xmax, ymin, ymax = plan.roi
    return (xmax - xmin + 1) * (ymax - ymin + 1)


def _pixel_elements(plan: Plan, with_lattices: bool) -> int:
    per = plan.detector.layers * plan.oversample**2 * plan.n_sources * 3
    if with_lattices:
        per *= plan.n_phi * plan.n_domains
        if plan.structure is not None and plan.interpolate:
            per *= 22  # 64 gathered neighbours per sample instead of 3 components
    return per


def chunk_bounds(plan: Plan) -> Iterator[tuple[int, int]]:
    """[start, stop) ranges of ROI pixel numbers for the outer chunks."""
    size = max(1, min(OUTER_ELEMENTS // _pixel_elements(plan, False), MAX_CHUNK_PIXELS))
    total = _roi_size(plan)
    for start in range(0, total, size):
        yield start, min(start + size, total)


def _focused(row: int | None) -> AbstractContextManager[None]:
    recorder = taps.active()
    return nullcontext() if recorder is None or row is None else recorder.focus(row)


def _chunk_pixels(plan: Plan, start: int, stop: int) -> tuple[Tensor, Tensor]:
    xmin, xmax, ymin, _ = plan.roi
    number = torch.arange(start, stop, device=plan.device)  # [P]
    width = xmax - xmin + 1
    return ymin + number // width, xmin + number % width


def pixel_values(
    plan: Plan, s_idx: Tensor, f_idx: Tensor, state: RunState, *, focus: int | None = None
) -> Tensor:
    """Final values of the pixels (s_idx, f_idx), [P], in the compute dtype.

    ``focus``: chunk row whose taps a recorder collects (trace runs); other inner blocks
    are then skipped unless the interpolation state needs them.
    """
    cfg, det, src = plan.config.detector, plan.detector, plan.sources
    with _focused(focus):
        taps.tap("pix0_vector_meters", det.pix0, per_pixel=False)
        taps.tap("fdet_vec", det.fdet, per_pixel=False)
        taps.tap("sdet_vec", det.sdet, per_pixel=False)
        omega, capture, polar, scattering, diffracted = kernel.geometry(plan, s_idx, f_idx)
        taps.tap("cos_2theta", lambda: diffracted[:, -1] @ src.incident[-1])
    skipped = kernel.dmin_skip(plan, scattering)  # [P, T, Src] or None

    block = max(1, INNER_ELEMENTS // _pixel_elements(plan, True))
    parts: list[Tensor] = []
    for p0 in range(0, s_idx.shape[0], block):
        p1 = min(p0 + block, s_idx.shape[0])
        inside = focus is not None and p0 <= focus < p1
        if focus is not None and not inside and not state.interpolate:
            parts.append(torch.zeros(p1 - p0, dtype=plan.dtype, device=plan.device))
            continue
        with _focused(focus - p0 if inside and focus is not None else None):
            parts.append(
                kernel.lattice_sum(
                    plan,
                    scattering[p0:p1],
                    None if skipped is None else skipped[p0:p1],
                    state,
                    omega[p0:p1],
                    capture[p0:p1],
                    polar[p0:p1],
                )
            )
    intensity = torch.cat(parts) if len(parts) > 1 else parts[0]  # [P]

    value = (R_E_SQR * plan.fluence / plan.steps) * intensity
    if not cfg.oversample_thick:
        value = value * capture[:, -1]
    if not cfg.oversample_polar:
        value = value * polar[:, -1, -1]
    if not cfg.oversample_omega:
        value = value * omega[:, -1]
    with _focused(focus):
        taps.tap("I_before_scaling", intensity)
        taps.tap("capture_fraction", capture[:, -1])
        taps.tap("polar", polar[:, -1, -1])
        taps.tap("omega_pixel", omega[:, -1])
        taps.tap("I_pixel_final", value)
    return value
