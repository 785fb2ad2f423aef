"""Integer, noise and PGM images and SMV files against the reference C (noise_256)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from sim.cli import main
from sim.errors import SimError
from sim.images import int_image, pgm_bytes, scales
from sim.smv import read_smv

SMV_KEYS = [
    "HEADER_BYTES",
    "DIM",
    "BYTE_ORDER",
    "TYPE",
    "SIZE1",
    "SIZE2",
    "PIXEL_SIZE",
    "DISTANCE",
    "WAVELENGTH",
    "BEAM_CENTER_X",
    "BEAM_CENTER_Y",
    "ADXV_CENTER_X",
    "ADXV_CENTER_Y",
    "MOSFLM_CENTER_X",
    "MOSFLM_CENTER_Y",
    "DENZO_X_BEAM",
    "DENZO_Y_BEAM",
    "DIALS_ORIGIN",
    "XDS_ORGX",
    "XDS_ORGY",
    "CLOSE_DISTANCE",
    "PHI",
    "OSC_START",
    "OSC_RANGE",
    "TWOTHETA",
    "DETECTOR_SN",
    "BEAMLINE",
]


def _pgm_pixels(data: bytes) -> np.ndarray:
    return np.frombuffer(data[-256 * 256 :], dtype=np.uint8).reshape(256, 256).astype(int)


@pytest.fixture(scope="module")
def noise_dir(sim_reference_root: Path) -> Path:
    return sim_reference_root / "noise_256"


@pytest.fixture(scope="module")
def ours(noise_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """`sim run` with the reference's exact C arguments, in a scratch directory."""
    out = tmp_path_factory.mktemp("noise_256")
    args = (noise_dir / "args.txt").read_text().split()
    names = {"-floatfile", "-intfile", "-noisefile", "-pgmfile"}
    args = [str(out / a) if i and args[i - 1] in names else a for i, a in enumerate(args)]
    proc = subprocess.run(
        [sys.executable, "-m", "sim.cli", "run", *args], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout


def test_from_the_c_float_image_the_figures_and_images_are_the_cs(noise_dir: Path) -> None:
    c_float = np.fromfile(noise_dir / "float.bin", dtype="<f4").reshape(256, 256)
    figures = scales(c_float, np.ones(c_float.shape, dtype=bool))
    excerpt = (noise_dir / "c_stdout_excerpt.txt").read_text()
    assert f"intfile_scale = {figures.int_scale:g}" in excerpt
    assert f"pgm_scale = {figures.pgm_scale:g}" in excerpt
    assert f"mean= {figures.mean:g} rms= {figures.rms:g} rmsd= {figures.rmsd:g}" in excerpt
    c_int = read_smv(noise_dir / "int.img").pixels
    assert np.array_equal(int_image(c_float, figures.int_scale, 40.0), c_int)
    assert pgm_bytes(c_float, figures.pgm_scale) == (noise_dir / "image.pgm").read_bytes()


def test_sim_run_prints_the_cs_figures(ours: tuple[Path, str]) -> None:
    _, stdout = ours
    assert "intfile_scale = 397.9" in stdout
    assert "pgm_scale = 6.786" in stdout
    assert "seed: -42" in stdout
    photons = int(re.search(r"(\d+) photons on noise image \(0 overloads\)", stdout)[1])  # type: ignore[index]
    assert abs(photons - 82141) <= 5


def test_smv_headers_are_byte_identical_to_the_cs(ours: tuple[Path, str], noise_dir: Path) -> None:
    out, _ = ours
    for name in ("int.img", "noise.img"):
        assert (out / name).read_bytes()[:512] == (noise_dir / name).read_bytes()[:512]


def test_integer_image_within_one_count(ours: tuple[Path, str], noise_dir: Path) -> None:
    out, _ = ours
    mine = read_smv(out / "int.img").pixels.astype(int)
    ref = read_smv(noise_dir / "int.img").pixels.astype(int)
    assert np.mean(np.abs(mine - ref) <= 1) >= 0.999


def test_noise_image_equal_on_999_permille(ours: tuple[Path, str], noise_dir: Path) -> None:
    out, _ = ours
    mine = read_smv(out / "noise.img").pixels
    ref = read_smv(noise_dir / "noise.img").pixels
    assert np.mean(mine == ref) >= 0.999


def test_pgm_within_one_grey_level(ours: tuple[Path, str], noise_dir: Path) -> None:
    out, _ = ours
    mine, ref = (out / "image.pgm").read_bytes(), (noise_dir / "image.pgm").read_bytes()
    assert mine.startswith(b"P5\n256 256\n# pixels scaled by 6.786")
    assert np.max(np.abs(_pgm_pixels(mine) - _pgm_pixels(ref))) <= 1


def test_float_image_parity(ours: tuple[Path, str], noise_dir: Path) -> None:
    out, _ = ours
    mine = np.fromfile(out / "float.bin", dtype="<f4").astype(np.float64)
    ref = np.fromfile(noise_dir / "float.bin", dtype="<f4").astype(np.float64)
    assert np.corrcoef(mine, ref)[0, 1] >= 0.9999
    assert abs(mine.sum() / ref.sum() - 1.0) < 1e-4


@pytest.mark.parametrize("name", ["int.img", "noise.img"])
def test_fabio_reads_our_smv_with_the_same_header_and_pixels(
    ours: tuple[Path, str], noise_dir: Path, name: str
) -> None:
    fabio = pytest.importorskip("fabio", reason="fabio (dev extra) opens SMV files")
    from fabio.adscimage import AdscImage

    out, _ = ours
    for image in (AdscImage().read(str(out / name)), fabio.open(str(out / name))):
        reference = AdscImage().read(str(noise_dir / name))
        assert image.data.shape == (256, 256)
        assert np.array_equal(image.data, read_smv(out / name).pixels)
        for key in SMV_KEYS:
            assert image.header[key] == reference.header[key], key
        assert float(image.header["PIXEL_SIZE"]) == 0.1
        assert image.header["DIALS_ORIGIN"] == "-12.9,12.9,-100"


def test_smv_read_errors(tmp_path: Path, noise_dir: Path) -> None:
    raw = (noise_dir / "int.img").read_bytes()
    cut = tmp_path / "cut.img"
    cut.write_bytes(raw[:300])
    with pytest.raises(SimError, match=r"cut.img: truncated SMV header: no closing '\}'"):
        read_smv(cut)
    short = tmp_path / "short.img"
    short.write_bytes(raw[:1000])
    with pytest.raises(SimError, match="truncated SMV image: 1000 bytes, expected 131584"):
        read_smv(short)
    junk = tmp_path / "junk.img"
    junk.write_bytes(b"P5\n")
    with pytest.raises(SimError, match="does not start with"):
        read_smv(junk)


AUTO = "leave %s out for the automatic scale"
CHEAP = [
    "-default_F",
    "100",
    "-cell",
    "100",
    "100",
    "100",
    "90",
    "90",
    "90",
    "-lambda",
    "6.2",
    "-N",
    "2",
    "-detpixels",
    "16",
]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-scale", "0"], "error: -scale must be a finite number > 0, got 0 — " + AUTO % "-scale"),
        (
            ["-scale", "-2"],
            "error: -scale must be a finite number > 0, got -2 — " + AUTO % "-scale",
        ),
        (
            ["-pgmscale", "0"],
            "error: -pgmscale must be a finite number > 0, got 0 — " + AUTO % "-pgmscale",
        ),
        (["-adc", "-1"], "error: -adc must be a finite number >= 0, got -1"),
        (["-noise", "loud"], "error: unknown noise mode 'loud' — valid noise modes: exact, fast"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    outputs = ["-floatfile", str(tmp_path / "f.bin"), "-intfile", str(tmp_path / "i.img")]
    assert main(["run", *CHEAP, *outputs, *extra]) == 1
    assert capsys.readouterr().err.strip() == message
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_is_refused_before_any_work(tmp_path: Path) -> None:
    (tmp_path / "dir.img").mkdir()
    cases: list[tuple[list[str], str]] = [
        (["-noisefile", str(tmp_path / "missing" / "n.img")], "directory does not exist"),
        (["-intfile", str(tmp_path / "dir.img")], "dir.img: is a directory"),
    ]
    for extra, message in cases:
        proc = subprocess.run(
            [sys.executable, "-m", "sim.cli", "run", *CHEAP, "-floatfile",
             str(tmp_path / "f.bin"), *extra],
            capture_output=True, text=True,
        )  # fmt: skip
        assert proc.returncode == 1
        assert message in proc.stderr and "Traceback" not in proc.stderr
        assert proc.stderr.count("\n") == 1
        assert not (tmp_path / "f.bin").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.img"]


def test_fast_noise_mode_writes_a_plausible_image(tmp_path: Path) -> None:
    run: Callable[[str], int] = lambda mode: main(  # noqa: E731
        ["run", *CHEAP, "-floatfile", str(tmp_path / "f.bin"), "-noisefile",
         str(tmp_path / f"{mode}.img"), "-seed", "3", "--noise", mode]
    )  # fmt: skip
    assert run("fast") == 0 and run("exact") == 0
    fast = read_smv(tmp_path / "fast.img").pixels.astype(float)
    exact = read_smv(tmp_path / "exact.img").pixels.astype(float)
    image = np.fromfile(tmp_path / "f.bin", dtype="<f4")
    assert fast.min() >= 40 and exact.min() >= 40
    assert abs(fast.sum() - 40 * 256 - image.sum()) < 6 * np.sqrt(image.sum())
    assert abs(exact.sum() - 40 * 256 - image.sum()) < 6 * np.sqrt(image.sum())
