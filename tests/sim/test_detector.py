"""Detector geometry: conventions, beam centre mapping, pivots, 2θ, sensor layers (§2, §6)."""

from __future__ import annotations

import math
import shlex

import pytest
import torch

from sim.cli import config_from_args
from sim.detector import DetectorGeometry, build_detector, sensor_layers
from sim.simulator import simulate

CELL = shlex.split("-cell 100 100 100 90 90 90 -default_F 100 -N 5")


def _geometry(args: str) -> DetectorGeometry:
    config = config_from_args([*CELL, *args.split()])
    return build_detector(config.detector, torch.float64, torch.device("cpu"))[0]


def _vec(t: torch.Tensor) -> list[float]:
    return [float(x) for x in t]


def test_at_geo_001_pix0() -> None:
    det = _geometry("-pixel 0.1 -distance 100 -Xbeam 51.2 -Ybeam 51.2 -detpixels 1024")
    assert _vec(det.pix0) == pytest.approx([0.1, 0.05125, -0.05125], abs=1e-15)
    default = _geometry("-detpixels 512")
    assert _vec(default.pix0) == pytest.approx([0.1, 0.0257, -0.0257], abs=1e-15)


def test_mosflm_xbeam_is_slow_and_ybeam_is_fast() -> None:
    det = _geometry("-Xbeam 5 -Ybeam 10 -pixel 0.1 -detpixels 256")
    pixel = float(det.pixel)
    # the direct beam hits the centre of pixel (s, f) = (50, 100)
    assert float(det.s_beam) / pixel - 0.5 == pytest.approx(50.0, abs=1e-9)
    assert float(det.f_beam) / pixel - 0.5 == pytest.approx(100.0, abs=1e-9)


def test_xds_ignores_xbeam_and_uses_orgx() -> None:
    plain = _geometry("-xds -detpixels 100")
    moved_beam = _geometry("-xds -detpixels 100 -Xbeam 3 -Ybeam 4")
    assert _vec(plain.pix0) == _vec(moved_beam.pix0)
    origin = _geometry("-xds -detpixels 100 -ORGX 20 -ORGY 30")
    assert float(origin.f_beam) == pytest.approx(19.5e-4, abs=1e-15)
    assert float(origin.s_beam) == pytest.approx(29.5e-4, abs=1e-15)
    assert plain.pivot.value == "sample"


def test_pix0_vector_only_switches_to_custom(case_args) -> None:
    base = case_args("at001_256")
    with_pix0 = simulate(config_from_args([*base, "-pix0_vector", "0.3", "0.2", "0.1"])).image
    with_fdet = simulate(config_from_args([*base, "-fdet_vector", "0", "0", "1"])).image
    assert torch.equal(with_pix0, with_fdet)
    assert not torch.equal(with_pix0, simulate(config_from_args(base)).image)  # no ½-pixel shift


def test_twotheta_is_left_out_of_r_and_the_pivot_stays_beam() -> None:
    det = _geometry("-twotheta 10 -distance 100 -detpixels 64")
    assert det.pivot.value == "beam"
    assert float(det.distance) == pytest.approx(0.1 * math.cos(math.radians(10)), rel=1e-12)
    custom = _geometry("-distance 100 -twotheta 10 -detpixels 64 -fdet_vector 0 0 1")
    assert custom.pivot.value == "sample"  # -twotheta asks for SAMPLE, and CUSTOM honours it


def test_sample_pivot_keeps_the_close_distance() -> None:
    det = _geometry("-xds -detector_rotx 5 -detector_roty 3 -distance 100 -detpixels 64")
    r = float(det.beam @ det.odet)
    assert float(det.close_distance) == pytest.approx(abs(r) * 0.1, rel=1e-12)
    assert float(det.distance) == pytest.approx(float(det.close_distance) / r, rel=1e-12)
    for u in (det.fdet, det.sdet, det.odet):
        assert float(torch.linalg.vector_norm(u)) == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize("convention", ["mosflm", "denzo", "adxv", "xds", "dials"])
def test_conventions_put_the_direct_beam_on_the_detector(convention: str) -> None:
    det = _geometry(f"-{convention} -detpixels 64 -distance 100")
    spot = det.pix0 + det.f_beam * det.fdet + det.s_beam * det.sdet
    assert float(torch.linalg.cross(spot, det.beam).norm()) < 1e-15  # spot on the beam axis
    assert 0 <= float(det.f_beam) <= 64e-4 and 0 <= float(det.s_beam) <= 64e-4


def _layers(args: str) -> tuple[int, float, float]:
    config = config_from_args([*CELL, *args.split()])
    layers, step, mu, _ = sensor_layers(config.detector)
    return layers, step, mu


def test_sensor_layer_rules() -> None:
    assert _layers("-detector_thick 450 -thicksteps 5 -detector_abs 500") == pytest.approx(
        (5, 112.5e-6, 2000.0)
    )
    assert _layers("-detector_thick 100") == pytest.approx((2, 50e-6, 1e4))  # μ = 1/T
    assert _layers("-thicksteps 4") == (1, 0.0, 0.0)  # the C's thickness starts at 0
    assert _layers("-detector_thick 100 -detector_abs inf") == (1, 0.0, 0.0)
