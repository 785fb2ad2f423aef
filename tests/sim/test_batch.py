"""sim batch: many run/trace invocations in one process, results and exit codes per line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sim.batch import parse_batch
from sim.cli import main
from sim.errors import SimError

CASE = "-default_F 100 -cell 100 100 100 90 90 90 -lambda 6.2 -N 5 -detpixels 32 -oversample 1"


def _batch(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", "batch", "jobs.txt", *extra],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )


def _jobs(tmp_path: Path) -> None:
    (tmp_path / "jobs.txt").write_text(
        "# three invocations; the middle one is refused\n"
        f"trace --pixel 16 16 --out t1.log {CASE}\n"
        "\n"
        f"run --floatfile bad.bin {CASE} -N 0\n"
        f"run --floatfile good.bin --intfile good.img {CASE}\n",
        encoding="utf-8",
    )


def test_a_failing_line_in_the_middle_does_not_stop_the_batch(tmp_path: Path) -> None:
    _jobs(tmp_path)
    proc = _batch(tmp_path)
    assert proc.returncode == 1
    assert proc.stderr == "error: jobs.txt:4: -N must be >= 1 unit cell, got 0\n"
    summary = [line for line in proc.stdout.splitlines() if line.startswith("jobs.txt:")]
    assert [s.split(" (")[0] for s in summary] == [
        "jobs.txt:2: trace exit 0",
        "jobs.txt:4: run exit 1",
        "jobs.txt:5: run exit 0",
    ]
    assert (tmp_path / "t1.log").read_text().count("TRACE_PY") > 10
    assert (tmp_path / "good.bin").stat().st_size == 32 * 32 * 4
    assert (tmp_path / "good.img").stat().st_size == 512 + 32 * 32 * 2
    assert not (tmp_path / "bad.bin").exists()


def test_json_report_is_versioned_and_alone_on_stdout(tmp_path: Path) -> None:
    _jobs(tmp_path)
    proc = _batch(tmp_path, "--json")
    report = json.loads(proc.stdout)
    assert report["schema_version"] == 1 and report["kind"] == "sim-batch"
    assert report["exit_code"] == 1 == proc.returncode
    assert [(r["line"], r["command"], r["exit_code"]) for r in report["results"]] == [
        (2, "trace", 0),
        (4, "run", 1),
        (5, "run", 0),
    ]
    assert report["results"][2]["argv"][:3] == ["run", "--floatfile", "good.bin"]
    assert "wrote good.bin" in proc.stderr  # the lines' own output goes to stderr


def test_traces_in_a_batch_equal_separate_processes(tmp_path: Path) -> None:
    (tmp_path / "jobs.txt").write_text(
        f"trace --pixel 5 7 --out a.log {CASE}\ntrace --pixel 16 16 --out b.log {CASE}\n"
    )
    assert _batch(tmp_path).returncode == 0
    for name, pixel in (("a", ["5", "7"]), ("b", ["16", "16"])):
        alone = subprocess.run(
            [sys.executable, "-m", "sim.cli", "trace", "--pixel", *pixel, *CASE.split()],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert (tmp_path / f"{name}.log").read_text() == alone.stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("run -N 5\nsimulate -N 5\n", "jobs.txt:2: unknown command 'simulate' — each line"),
        ("run --out 'unclosed\n", "jobs.txt:1: cannot split the line: No closing quotation"),
        ("# only a comment\n\n", "jobs.txt: batch file has no invocations"),
    ],
)
def test_malformed_batch_files(
    tmp_path: Path, text: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "jobs.txt"
    path.write_text(text)
    with pytest.raises(SimError) as caught:
        parse_batch(path)
    assert str(caught.value).startswith(f"{tmp_path}/{message}")
    assert main(["batch", str(path)]) == 1
    assert capsys.readouterr().err == f"error: {caught.value}\n"
