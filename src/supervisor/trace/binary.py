"""Numpy and APRT stage files: ``.npy`` (one tap), ``.npz`` (one tap per member), APRT.

Nothing here unpickles: an object array (``.npy`` or ``.npz`` member) is refused from its
header, before any data is read. An ``.npz`` member whose header declares more than
``max_bytes`` (default :data:`MAX_TENSOR_BYTES`, 2 GiB) is refused before it is allocated, so
a small, hostile or corrupt archive cannot exhaust memory. ``.npy`` files are memory-mapped.
"""

from __future__ import annotations

import math
import struct
import zipfile
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from supervisor.trace.model import Tap, TraceFormatError, read_bytes

APRT_MAGIC = b"APRT"
APRT_HEADER = 12
MAX_TENSOR_BYTES = 2 << 30

_PICKLE_HINT = (
    "object arrays are pickled Python objects and are never loaded; save a numeric array "
    "(e.g. numpy.save(path, numpy.asarray(x, dtype=numpy.float32)))"
)


def check_array(p: Path, arr: NDArray[Any], what: str) -> NDArray[Any]:
    """``arr`` if it holds real numbers (float, int, bool), else a TraceFormatError."""
    if arr.dtype.kind not in "fiub":
        raise TraceFormatError(
            f"{what} has dtype {arr.dtype}, not a real number type",
            path=p,
            hint="save float, integer or bool arrays (complex and object arrays are not compared)",
        )
    return arr


def _header(fh: IO[bytes]) -> tuple[tuple[int, ...], np.dtype[Any]]:
    version = np.lib.format.read_magic(fh)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
    else:
        shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
    return tuple(shape), dtype


def _declared(p: Path, what: str, shape: tuple[int, ...], dtype: np.dtype[Any], limit: int) -> None:
    if dtype.hasobject:
        raise TraceFormatError(
            f"{what} holds pickled Python objects (dtype {dtype}); refused", path=p,
            hint=_PICKLE_HINT,
        )  # fmt: skip
    size = math.prod(shape) * dtype.itemsize
    if size > limit:
        raise TraceFormatError(
            f"{what} declares shape {shape} of {dtype} ({size} bytes), over the {limit}-byte "
            "limit; refused before allocating",
            path=p,
            hint="compare smaller stage tensors, or save this one as .npy (memory-mapped)",
        )


def read_npy(p: Path) -> list[Tap]:
    try:
        with p.open("rb") as fh:
            shape, dtype = _header(fh)
    except (ValueError, OSError, EOFError) as exc:
        raise TraceFormatError(
            f"not a readable .npy file ({exc})",
            path=p,
            hint="write it with numpy.save; it may be truncated",
        ) from None
    _declared(p, "array", shape, dtype, limit=1 << 62)  # memory-mapped: only objects refused
    try:
        arr = np.load(p, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise TraceFormatError(
            f"not a readable .npy file ({exc})",
            path=p,
            hint="write it with numpy.save; it may be truncated",
        ) from None
    arr = check_array(p, arr, "array")
    offset = int(getattr(arr, "offset", 0)) or None
    return [Tap(p.stem, (), 0, arr, None, arr.dtype.name, str(p), offset=offset)]


def read_npz(p: Path, *, max_bytes: int = MAX_TENSOR_BYTES) -> list[Tap]:
    taps = []
    try:
        with zipfile.ZipFile(p) as zf:
            for info in zf.infolist():
                member = info.filename.removesuffix(".npy")
                with zf.open(info) as fh:
                    shape, dtype = _header(fh)
                _declared(p, f"member '{member}'", shape, dtype, max_bytes)
        with np.load(p, allow_pickle=False) as z:
            for member in z.files:
                arr = check_array(p, np.asarray(z[member]), f"member '{member}'")
                taps.append(Tap(member, (), 0, arr, None, arr.dtype.name, str(p)))
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise TraceFormatError(
            f"not a readable .npz archive ({exc})",
            path=p,
            hint="write it with numpy.savez; it may be truncated",
        ) from None
    if not taps:
        raise TraceFormatError(
            "empty .npz archive (no arrays)", path=p, hint="save at least one array"
        )
    return taps


def read_aprt(p: Path) -> list[Tap]:
    data = read_bytes(p)
    if len(data) < APRT_HEADER:
        raise TraceFormatError(
            f"truncated APRT header: {len(data)} bytes, need {APRT_HEADER} "
            "(offset 0: magic, 4: layer, 8: element count)",
            path=p,
            hint="the file is empty or cut short; re-write the stage file",
        )
    if data[:4] != APRT_MAGIC:
        raise TraceFormatError(
            f"bad magic {data[:4]!r} at offset 0, expected b'APRT'",
            path=p,
            hint="not an APRT stage file; pass .npy/.npz or a text trace instead",
        )
    layer, count = struct.unpack_from("<II", data, 4)
    body = len(data) - APRT_HEADER
    if body < 4 * count:
        raise TraceFormatError(
            f"body ends at offset {len(data)}: {body} bytes from offset {APRT_HEADER}, but the "
            f"header (offset 8) claims {count} float32 elements ({4 * count} bytes)",
            path=p,
            hint="the file is truncated; re-write the stage file",
        )
    if body > 4 * count:
        raise TraceFormatError(
            f"{body - 4 * count} unexpected bytes at offset {APRT_HEADER + 4 * count} after the "
            f"{count} float32 elements the header (offset 8) claims",
            path=p,
            hint="one APRT record per file; check the element count in the header",
        )
    values = np.frombuffer(data, dtype="<f4", count=count, offset=APRT_HEADER)
    return [Tap(p.stem, (), 0, values, None, "float32", str(p), offset=APRT_HEADER, layer=layer)]
