"""The §18 test vector tap by tap, the C trace log, and trace/image consistency."""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import pytest
import torch

from sim.cli import config_from_args
from sim.config import PhiMode
from sim.simulator import simulate
from sim.trace import trace_pixel

PIXEL = (368, 262)


def _taps(lines: tuple[str, ...]) -> dict[str, list[list[float]]]:
    """name (with qualifiers) → values of each occurrence."""
    found: dict[str, list[list[float]]] = defaultdict(list)
    for line in lines:
        prefix, rest = line.split(":", 1)
        assert prefix == "TRACE_PY"
        words = rest.split()
        quals = [w for w in words if "=" in w]
        name = " ".join([*quals, words[len(quals)]])
        found[name].append([float(x) for x in words[len(quals) + 1 :]])
    return found


@pytest.fixture(scope="module")
def triclinic_trace(case_args):
    return trace_pixel(config_from_args(case_args("triclinic")), PIXEL, dtype=torch.float64)


# PHYSICS.md §18, first sub-pixel (j_s, j_f) = (0, 0)
VECTOR = {
    "pixel_pos_meters": [0.1, -0.011125, 0.000525],
    "R_distance_meters": [0.100618294807654],
    "omega_pixel_sr": [9.8167818691559e-07],
    "obliquity_factor": [0.993855045855864],
    "diffracted_vec": [0.993855045855864, -0.110566373851465, 0.00521773899074327],
    "scattering_vec_A_inv": [-61449541.4413552, -1105663738.51465, 52177389.9074327],
    "rot_a_angstroms": [-55.2391378225741, -3.9176334034686, 42.8169335793058],
    "rot_b_angstroms": [-40.9605256888897, -19.1042743642297, -66.0095601887033],
    "rot_c_angstroms": [-3.50238267537993, -89.93181602981, 0.0422039762711915],
    "hkl_frac": [0.996008072183005, 2.01957023763588, 9.96517698256111],
    "hkl_rounded": [1, 2, 10],
    "F_latt_a": [4.99685502144865],
    "F_latt_b": [4.92472322210237],
    "F_latt_c": [4.76386099210318],
    "F_latt": [117.229700884983],
    "F_cell": [100],
}
TOTALS = {
    "I_before_scaling": 566655687.307249,
    "steps": 4,
    "polar": 0.993873926086581,
    "capture_fraction": 1,
    "I_pixel_final": 138.216438743572,
    "floatimage_accumulated": 138.216445922852,
}


def _close(ours: list[float], theirs: list[float], rel: float = 1e-9) -> bool:
    scale = max(abs(x) for x in theirs) or 1.0
    return len(ours) == len(theirs) and all(
        math.isclose(a, b, rel_tol=rel, abs_tol=rel * scale)
        for a, b in zip(ours, theirs, strict=True)
    )


def test_physics_test_vector(triclinic_trace) -> None:
    taps = _taps(triclinic_trace.lines)
    for name, expected in VECTOR.items():
        assert _close(taps[name][0], expected), (name, taps[name][0], expected)
    for name, expected in TOTALS.items():
        assert _close(taps[name][0], [expected]), (name, taps[name][0], expected)
    assert taps["polar"][0][0] == pytest.approx(0.5 * (1 + 0.993855045855864**2), rel=1e-12)
    assert len(taps["pixel_pos_meters"]) == 4  # n_os = 2: four (sub-pixel) passes


def _c_log(path: Path) -> dict[str, list[list[float]]]:
    """TRACE_C per-pixel taps, TRACE_C_PHI fields as phi_tic=K taps."""
    found: dict[str, list[list[float]]] = defaultdict(list)
    for line in path.read_text().splitlines():
        if line.startswith("TRACE_C: "):
            name, *values = line.split()[1:]
            found[name].append([float(v) for v in values])
        elif line.startswith("TRACE_C_PHI "):
            fields = dict(w.split("=") for w in line.split()[1:])
            qual = f"phi_tic={fields.pop('phi_tic')}"
            for key, value in fields.items():
                found[f"{qual} {key}"].append([float(value)])
    return found


def test_matches_the_c_trace_log(triclinic_trace, sim_reference_root) -> None:
    theirs = _c_log(sim_reference_root / "triclinic" / "trace_pixel_368_262.log")
    ours = _taps(triclinic_trace.lines)
    assert len(theirs) == 44  # 26 per-pass taps, 4 TRACE_C_PHI fields, 14 closing
    for name, occurrences in theirs.items():
        assert name in ours, name
        assert len(ours[name]) == len(occurrences), name
        for mine, c_values in zip(ours[name], occurrences, strict=True):
            assert _close(mine, c_values), (name, mine, c_values)


def test_trace_order_follows_the_c(triclinic_trace, sim_reference_root) -> None:
    c_names = [
        line.split()[1]
        for line in (sim_reference_root / "triclinic" / "trace_pixel_368_262.log")
        .read_text()
        .splitlines()
        if line.startswith("TRACE_C: ")
    ]
    ours = [line.split()[1] for line in triclinic_trace.lines if "=" not in line.split()[1]]
    assert ours == c_names


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_traced_value_is_the_image_value(dtype, case_args) -> None:
    config = config_from_args(case_args("rot532"))
    image = simulate(config, dtype=dtype).image
    for pixel in [(37, 20), (0, 0), (255, 255), (100, 7)]:
        trace = trace_pixel(config, pixel, dtype=dtype)
        assert trace.value == float(image[pixel])
        assert (
            trace.lines[-1]
            == f"TRACE_PY: floatimage_accumulated {float(image[pixel].to(torch.float32))!r}"
        )


def test_spec_and_c_parity_first_diverge_at_phi_tic_0(case_args) -> None:
    config = config_from_args(case_args("at021multi"))
    from dataclasses import replace

    spec = trace_pixel(config, (100, 140), dtype=torch.float64).lines
    parity = trace_pixel(
        replace(config, phi_mode=PhiMode.C_PARITY), (100, 140), dtype=torch.float64
    ).lines
    assert len(spec) == len(parity)
    first = next(i for i, (a, b) in enumerate(zip(spec, parity, strict=True)) if a != b)
    assert parity[first].startswith("TRACE_PY: phi_tic=0 ap ")
    # the carried-over lattice is that of the last step, φ = 80°
    last = next(line for line in parity if line.startswith("TRACE_PY: phi_tic=8 ap "))
    assert parity[first].split()[3:] == last.split()[3:]


def test_emit_rot_stars_are_reciprocal_to_the_lattice(case_args) -> None:
    trace = trace_pixel(
        config_from_args(case_args("at021multi")),
        (10, 10),
        emit_rot_stars=True,
        dtype=torch.float64,
    )
    taps = _taps(trace.lines)
    for k in range(9):
        a = taps[f"phi_tic={k} ap"][0]
        a_star = taps[f"phi_tic={k} rot_a_star"][0]
        b_star = taps[f"phi_tic={k} rot_b_star"][0]
        assert sum(x * y for x, y in zip(a, a_star, strict=True)) == pytest.approx(1.0, rel=1e-12)
        assert sum(x * y for x, y in zip(a, b_star, strict=True)) == pytest.approx(0.0, abs=1e-12)
        assert taps[f"phi_tic={k} V_actual"][0][0] == pytest.approx(1e6, rel=1e-12)
