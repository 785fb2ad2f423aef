"""Helpers shared by the benchmarks: the CLI to time, one timed run, summary statistics."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def supervisor_cli() -> list[str]:
    """The `supervisor` console script beside this interpreter (else `python -m`)."""
    exe = Path(sys.executable).parent / "supervisor"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "supervisor.cli.main"]


def time_once(
    cmd: list[str], cwd: Path, env: dict[str, str] | None = None, check: bool = True
) -> float:
    """Wall seconds of one whole-process run of ``cmd`` (output captured, not shown)."""
    t = time.perf_counter()
    subprocess.run(
        cmd, cwd=cwd, env={**os.environ, **(env or {})}, check=check, capture_output=True
    )
    return time.perf_counter() - t


def stats(samples: list[float]) -> dict[str, float]:
    return {
        "median_s": round(statistics.median(samples), 4),
        "min_s": round(min(samples), 4),
        "max_s": round(max(samples), 4),
        "runs": len(samples),
    }
