"""SMV (ADSC) images: the reference C's ``-intfile``/``-noisefile`` format (PHYSICS.md §13).

A 512-byte ASCII header ``{ KEY=value; … }`` + form feed, padded with spaces, then the
pixels as little-endian unsigned 16-bit integers in file order (index s·n_f + f). The header
keys and number formats (C ``%g``) are the C's, including its ``DIALS_ORIGIN`` line, which
the C writes without the closing ``;``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sim.errors import SimError
from sim.io import write_bytes_atomic

HEADER_BYTES = 512


def _g(x: float) -> str:
    """C's ``%g``: 6 significant digits, trailing zeros dropped."""
    return f"{x:g}"


@dataclass(frozen=True)
class SmvHeader:
    """The values the C writes into an SMV header (lengths in mm, angles in degrees)."""

    n_fast: int
    n_slow: int
    pixel_mm: float
    distance_mm: float
    wavelength_A: float
    beam_center_x: float
    beam_center_y: float
    adxv_center: tuple[float, float]
    mosflm_center: tuple[float, float]
    denzo_beam: tuple[float, float]
    dials_origin: tuple[float, float, float]
    xds_org: tuple[float, float]
    close_distance_mm: float
    phi_deg: float
    osc_start_deg: float
    osc_range_deg: float
    twotheta_deg: float

    def text(self) -> str:
        """The header as the C prints it (before padding)."""
        lines = [
            "{",
            f"HEADER_BYTES={HEADER_BYTES};",
            "DIM=2;",
            "BYTE_ORDER=little_endian;",
            "TYPE=unsigned_short;",
            f"SIZE1={self.n_fast};",
            f"SIZE2={self.n_slow};",
            f"PIXEL_SIZE={_g(self.pixel_mm)};",
            f"DISTANCE={_g(self.distance_mm)};",
            f"WAVELENGTH={_g(self.wavelength_A)};",
            f"BEAM_CENTER_X={_g(self.beam_center_x)};",
            f"BEAM_CENTER_Y={_g(self.beam_center_y)};",
            f"ADXV_CENTER_X={_g(self.adxv_center[0])};",
            f"ADXV_CENTER_Y={_g(self.adxv_center[1])};",
            f"MOSFLM_CENTER_X={_g(self.mosflm_center[0])};",
            f"MOSFLM_CENTER_Y={_g(self.mosflm_center[1])};",
            f"DENZO_X_BEAM={_g(self.denzo_beam[0])};",
            f"DENZO_Y_BEAM={_g(self.denzo_beam[1])};",
            "DIALS_ORIGIN=" + ",".join(_g(x) for x in self.dials_origin),
            f"XDS_ORGX={_g(self.xds_org[0])};",
            f"XDS_ORGY={_g(self.xds_org[1])};",
            f"CLOSE_DISTANCE={_g(self.close_distance_mm)};",
            f"PHI={_g(self.phi_deg)};",
            f"OSC_START={_g(self.osc_start_deg)};",
            f"OSC_RANGE={_g(self.osc_range_deg)};",
            f"TWOTHETA={_g(self.twotheta_deg)};",
            "DETECTOR_SN=000;",
            "BEAMLINE=fake;",
        ]
        return "\n".join(lines) + "\n}\f"


def encode(header: SmvHeader, pixels: NDArray[np.uint16]) -> bytes:
    """Header padded to 512 bytes + the pixels as little-endian uint16."""
    if pixels.shape != (header.n_slow, header.n_fast):
        raise ValueError(f"pixels {pixels.shape} do not match the header's size")
    head = header.text().encode("ascii")
    if len(head) > HEADER_BYTES:  # pragma: no cover - bounded by the fixed key set
        raise ValueError("SMV header longer than 512 bytes")
    return head.ljust(HEADER_BYTES, b" ") + pixels.astype("<u2").tobytes(order="C")


def write_smv(path: Path, header: SmvHeader, pixels: NDArray[np.uint16]) -> None:
    """Write an SMV file atomically (temporary file + rename)."""
    write_bytes_atomic(path, encode(header, pixels), what="SMV image")


@dataclass(frozen=True)
class SmvImage:
    """An SMV file read back: the header's key/value pairs and the pixels."""

    fields: dict[str, str]
    pixels: NDArray[np.uint16]  # [SIZE2, SIZE1]


def read_smv(path: Path) -> SmvImage:
    """Read an SMV file (unsigned_short, either byte order); clear errors on damage."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SimError(f"cannot read SMV image: {exc.strerror}", path=path) from None
    close = raw.find(b"}")
    if not raw.startswith(b"{"):
        raise SimError(
            "not an SMV image: the header does not start with '{'",
            path=path,
            line=1,
            fix="give a file written by -intfile or -noisefile",
        )
    if close < 0:
        raise SimError(
            f"truncated SMV header: no closing '}}' in the file's {len(raw)} bytes",
            path=path,
            fix="the file was cut short; write it again",
        )
    fields: dict[str, str] = {}
    text = raw[1:close].decode("ascii", errors="replace")
    for number, line in enumerate(text.split("\n"), start=1):
        item = line.strip().rstrip(";")
        if "=" in item:
            key, value = item.split("=", 1)
            fields[key.strip()] = value.strip()
        elif item:
            raise SimError(f"SMV header line {item!r} is not KEY=value", path=path, line=number)
    try:
        size = int(fields["HEADER_BYTES"])
        n_fast, n_slow = int(fields["SIZE1"]), int(fields["SIZE2"])
    except (KeyError, ValueError) as exc:
        raise SimError(
            f"SMV header lacks a valid {exc.args[0] if isinstance(exc, KeyError) else 'size'}",
            path=path,
            fix="HEADER_BYTES, SIZE1 and SIZE2 must be integers",
        ) from None
    if fields.get("TYPE", "unsigned_short") != "unsigned_short":
        raise SimError(
            f"SMV TYPE={fields['TYPE']} is not supported", path=path, fix="valid: unsigned_short"
        )
    if close >= size or size < HEADER_BYTES:
        raise SimError(
            f"truncated SMV header: '}}' at byte {close}, HEADER_BYTES={size}",
            path=path,
            fix="the header must fit in HEADER_BYTES (>= 512)",
        )
    expected = size + 2 * n_fast * n_slow
    if len(raw) < expected:
        raise SimError(
            f"truncated SMV image: {len(raw)} bytes, expected {expected} for "
            f"{n_slow}x{n_fast} pixels",
            path=path,
        )
    order = ">u2" if fields.get("BYTE_ORDER") == "big_endian" else "<u2"
    body = np.frombuffer(raw, dtype=order, count=n_fast * n_slow, offset=size)
    return SmvImage(fields=fields, pixels=body.astype(np.uint16).reshape(n_slow, n_fast))
