"""``-sourcefile``: explicit X-ray sources, one per line (PHYSICS.md §11).

Columns: X Y Z (m, the source position relative to the sample), relative weight, and
wavelength (m). Missing trailing columns take the C's defaults: the position of the default
source (−10 m along the beam), weight 1, λ0. Blank lines are skipped.

Comment lines are **rejected**, not skipped: the C has no comment syntax and would read a
``#`` line as an extra source of NaNs, so a file that ``sim`` accepts must mean the same to
the C. As in the C, the weight is read but does not scale the intensity; every source
counts once in ``steps``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from sim.errors import SimError

COLUMNS = ("X", "Y", "Z", "weight", "wavelength")
_MAX_BYTES = 64 << 20


@dataclass(frozen=True)
class SourceRow:
    """One line of a source file; ``None`` where the line left a column out."""

    line: int
    position: tuple[float | None, float | None, float | None]  # m
    weight: float | None
    wavelength_m: float | None


@dataclass(frozen=True)
class SourceFile:
    path: str
    rows: tuple[SourceRow, ...]


def _number(path: Path, line: int, column: str, token: str) -> float:
    try:
        value = float(token)
    except ValueError:
        raise SimError(
            f"{column} {token!r} is not a number",
            path=path,
            line=line,
            fix="each line is 'X Y Z weight wavelength' in metres (trailing columns optional)",
        ) from None
    if not math.isfinite(value):
        raise SimError(f"{column} must be finite, got {token}", path=path, line=line)
    return value


def _row(path: Path, number: int, tokens: list[str]) -> SourceRow:
    if tokens[0].startswith("#"):
        raise SimError(
            "comment lines are not allowed (the reference C reads them as a source of NaNs)",
            path=path,
            line=number,
            fix="delete the line",
        )
    if len(tokens) > len(COLUMNS):
        raise SimError(
            f"{len(tokens)} columns, expected at most {len(COLUMNS)} ({' '.join(COLUMNS)})",
            path=path,
            line=number,
            fix="one source per line: X Y Z (m) weight wavelength (m)",
        )
    values: list[float | None] = [
        _number(path, number, column, token) for column, token in zip(COLUMNS, tokens, strict=False)
    ]
    values += [None] * (len(COLUMNS) - len(values))
    x, y, z, weight, wavelength = values
    if wavelength is not None and not wavelength > 0:
        raise SimError(f"wavelength must be > 0 m, got {wavelength:g}", path=path, line=number)
    if x is not None and y is not None and z is not None and x == y == z == 0.0:
        raise SimError(
            "source at the sample (0 0 0) has no direction",
            path=path,
            line=number,
            fix="give the source position relative to the sample, e.g. -10 0 0",
        )
    return SourceRow(number, (x, y, z), weight, wavelength)


def read_sourcefile(path: Path) -> SourceFile:
    """Parse a source file; errors name ``path:line``."""
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise SimError(f"source file larger than {_MAX_BYTES >> 20} MB", path=path)
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise SimError(f"cannot read source file: {reason}", path=path) from None
    rows = tuple(
        _row(path, number, line.split())
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    )
    if not rows:
        raise SimError("source file has no sources", path=path, fix="one source per line")
    return SourceFile(str(path), rows)
