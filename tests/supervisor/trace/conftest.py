"""Helpers for trace-diff tests: small trace files written on the fly, APRT writer, policy."""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from supervisor.trace.align import DiffResult, diff_traces
from supervisor.trace.parse import read_trace
from supervisor.trace.tolerance import Policy

Write = Callable[[str, str], Path]
Diff = Callable[..., DiffResult]


def _write_aprt(
    path: Path,
    values: Sequence[float],
    *,
    layer: int = 0,
    magic: bytes = b"APRT",
    count: int | None = None,
) -> Path:
    """An APRT stage file: magic, u32 LE layer, u32 LE element count, f32 LE body."""
    body = np.asarray(values, dtype="<f4").tobytes()
    n = len(values) if count is None else count
    path.write_bytes(magic + struct.pack("<II", layer, n) + body)
    return path


@pytest.fixture
def aprt() -> Callable[..., Path]:
    """``aprt(path, values, layer=0, magic=b"APRT", count=None)`` writes an APRT file."""
    return _write_aprt


@pytest.fixture
def write(tmp_path: Path) -> Write:
    """Write ``text`` to ``tmp_path/name`` and return the path."""

    def _write(name: str, text: str) -> Path:
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        return p

    return _write


@pytest.fixture
def diff(write: Write) -> Diff:
    """Diff two text traces given as strings (reference first)."""

    def _diff(ref: str, cand: str, policy: Policy | None = None, **read: object) -> DiffResult:
        a = read_trace(write("ref.log", ref), **read)  # type: ignore[arg-type]
        b = read_trace(write("cand.log", cand), **read)  # type: ignore[arg-type]
        return diff_traces(a, b, policy or Policy())

    return _diff
