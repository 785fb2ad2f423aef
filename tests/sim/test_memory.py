"""Up-front size checks (issue 15, point 13): refuse before allocating, one line, exit 1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from sim.cli import config_from_args, main
from sim.memory import available_bytes, estimate

BASE = ["-cell", "70", "80", "90", "75", "85", "95", "-default_F", "100", "-N", "5"]


def _sim(*args: str, env_limit: str | None = "17179869184") -> subprocess.CompletedProcess[str]:
    import os

    env = dict(os.environ)
    if env_limit is not None:
        env["SIM_MEMORY_LIMIT"] = env_limit  # 16 GiB: the message is then the same everywhere
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", *args], capture_output=True, text=True, env=env
    )


@pytest.mark.parametrize(
    ("extra", "driver"),
    [
        (["-detpixels", "100000"], "10,000,000,000 pixels"),
        (
            ["-detpixels", "256", "-mosaic", "0.5", "-mosaic_dom", "100000000"],
            "100,000,000 φ steps × mosaic domains",
        ),
        (
            ["-detpixels", "256", "-dispersion", "10", "-dispsteps", "100000000"],
            "400,000,000 samples per pixel (layers × oversample² × sources)",
        ),
        (
            ["-detpixels", "256", "-oversample", "100000"],
            "10,000,000,000 samples per pixel (layers × oversample² × sources)",
        ),
    ],
)
def test_oversized_runs_are_refused_with_an_estimate(
    tmp_path: Path, extra: list[str], driver: str
) -> None:
    proc = _sim("run", *BASE, *extra, "-floatfile", str(tmp_path / "f.bin"))
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: this run needs about ")
    assert "GiB of memory but 16.0 GiB is available (driven by " + driver + ")" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_trace_is_checked_for_one_pixel(capsys: pytest.CaptureFixture[str]) -> None:
    # a detector too big to render is fine to trace: only the traced pixel is computed
    config = config_from_args([*BASE, "-detpixels", "100000"])
    assert estimate(config, torch.float32, pixels=1).total < 1 << 30
    assert estimate(config, torch.float32).total > 100 << 30
    code = main(["run", *BASE, "-detpixels", "100000", "-mosaic_dom", "-3"])
    assert code == 1
    assert capsys.readouterr().err.startswith("error: mosaic domain count must be >= 1")


def test_hkl_index_range_is_checked_before_the_grid_is_allocated(tmp_path: Path) -> None:
    hkl = tmp_path / "big.hkl"
    hkl.write_text("0 0 0 10\n100000000 50 50 10\n")
    proc = _sim("run", "-cell", "70", "80", "90", "75", "85", "95", "-hkl", str(hkl), "-N", "5")
    assert proc.returncode == 1
    assert proc.stderr.startswith(
        f"error: {hkl}: the HKL index range 100000001×51×51 spans 260,100,002,601 grid points"
    )
    assert "GiB, but 16.0 GiB is available" in proc.stderr
    assert proc.stderr.count("\n") == 1


@pytest.mark.parametrize("flag", ["-N", "-Na", "-Nb", "-Nc"])
@pytest.mark.parametrize("value", ["0", "-1"])
def test_zero_or_negative_cell_counts_are_refused(
    flag: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["run", "-cell", "70", "80", "90", "75", "85", "95", "-default_F", "1", flag, value]
    assert main(args) == 1
    assert capsys.readouterr().err == f"error: {flag} must be >= 1 unit cell, got {value}\n"


def test_ordinary_runs_pass_and_available_memory_is_real(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIM_MEMORY_LIMIT", raising=False)
    config = config_from_args([*BASE, "-detpixels", "512"])
    need = estimate(config, torch.float32)
    assert need.pixels == 512 * 512
    assert need.samples_per_pixel == 4  # auto oversample 2 (PHYSICS §17 case 1)
    assert need.lattices == 1
    assert need.total < 1 << 30
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total_kb = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
        assert 0 < available_bytes() <= total_kb * 1024
