"""safetensors files, read from the documented format (no package needed, nothing unpickled).

Layout: an unsigned little-endian 64-bit header length N; N bytes of UTF-8 JSON, an object
mapping each tensor name to ``{"dtype", "shape", "data_offsets": [begin, end]}`` (offsets into
the body that follows the header) and an optional ``__metadata__`` string map; then the raw
little-endian body. The file is memory-mapped; every declared size is checked against the
file before a tensor is viewed, and a header over 100 MB is refused (as the reference
implementation does). BF16 tensors are widened to float32 exactly and keep the ``bfloat16``
dtype name. Taps: one per tensor, in natural order of their names (writers sort the header, so
its order is not the order the tensors were produced in; ``--order`` sets another).
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
from numpy.typing import NDArray

from supervisor.trace.binary import MAX_TENSOR_BYTES
from supervisor.trace.model import Tap, TraceFormatError
from supervisor.trace.order import natural_key

MAX_HEADER = 100_000_000

DTYPES: dict[str, str] = {
    "F64": "<f8",
    "F32": "<f4",
    "F16": "<f2",
    "BF16": "<u2",
    "I64": "<i8",
    "I32": "<i4",
    "I16": "<i2",
    "I8": "i1",
    "U64": "<u8",
    "U32": "<u4",
    "U16": "<u2",
    "U8": "u1",
    "BOOL": "?",
}


def looks_like(head: bytes, size: int) -> bool:
    """Whether the first bytes of a file of ``size`` bytes are a safetensors header start."""
    if len(head) < 9 or head[8:9] != b"{":
        return False
    n: int = struct.unpack_from("<Q", head)[0]
    return n <= min(MAX_HEADER, size - 8)


def _bad(
    p: Path, what: str, hint: str = "write it with safetensors; it may be truncated"
) -> NoReturn:
    raise TraceFormatError(what, path=p, hint=hint)


def read_safetensors(p: Path, *, max_bytes: int = MAX_TENSOR_BYTES) -> list[Tap]:
    size = p.stat().st_size
    if size < 8:
        _bad(p, f"truncated safetensors file: {size} bytes, need 8 for the header length")
    with p.open("rb") as fh:
        (n,) = struct.unpack("<Q", fh.read(8))
        if n > MAX_HEADER or 8 + n > size:
            _bad(p, f"header length {n} at offset 0 exceeds the file ({size} bytes) or 100 MB")
        raw = fh.read(n)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise TraceFormatError(
            f"safetensors header (offset 8, {n} bytes) is not JSON ({exc})",
            path=p,
            hint="write it with safetensors; it may be corrupt",
        ) from None
    if not isinstance(header, dict):
        _bad(p, "safetensors header is not a JSON object")
    body_at, body = 8 + n, size - 8 - n
    entries = []
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        entries.append((name, *_entry(p, name, spec, body, max_bytes)))
    if not entries:
        _bad(p, "holds no tensors", hint="save at least one tensor")
    mm = np.memmap(p, dtype=np.uint8, mode="r") if body else np.zeros(0, dtype=np.uint8)
    taps = []
    for name, code, shape, begin, end in sorted(entries, key=lambda e: natural_key(e[0])):
        raw_arr: NDArray[Any] = mm[body_at + begin : body_at + end].view(DTYPES[code])
        arr = raw_arr.reshape(shape)
        dtype = arr.dtype.name
        if code == "BF16":
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
            dtype = "bfloat16"
        taps.append(Tap(name, (), 0, arr, None, dtype, str(p), offset=body_at + begin))
    return taps


def _entry(
    p: Path, name: str, spec: Any, body: int, max_bytes: int
) -> tuple[str, tuple[int, ...], int, int]:
    if not isinstance(spec, dict) or not {"dtype", "shape", "data_offsets"} <= spec.keys():
        _bad(p, f"tensor '{name}': header entry needs dtype, shape and data_offsets")
    code = spec["dtype"]
    if code not in DTYPES:
        raise TraceFormatError(
            f"tensor '{name}' has dtype {code!r}, which is not compared",
            path=p,
            hint=f"use one of: {', '.join(sorted(DTYPES))}",
        )
    shape, offsets = spec["shape"], spec["data_offsets"]
    ints = all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in shape)
    if not isinstance(shape, list) or not ints:
        _bad(p, f"tensor '{name}': shape {shape!r} is not a list of non-negative integers")
    ok = isinstance(offsets, list) and len(offsets) == 2
    if not ok or not all(isinstance(x, int) for x in offsets):
        _bad(p, f"tensor '{name}': data_offsets {offsets!r} is not [begin, end]")
    begin, end = offsets
    nbytes = math.prod(shape) * np.dtype(DTYPES[code]).itemsize
    if not 0 <= begin <= end <= body or end - begin != nbytes:
        _bad(
            p,
            f"tensor '{name}': data_offsets [{begin}, {end}] do not hold shape {shape} of "
            f"{code} ({nbytes} bytes) within the {body}-byte body",
        )
    if code == "BF16" and 2 * nbytes > max_bytes:
        _bad(
            p,
            f"tensor '{name}' ({code}, shape {shape}) widens to {2 * nbytes} bytes, over the "
            f"{max_bytes}-byte limit; refused before allocating",
            hint="compare smaller stage tensors",
        )
    return code, tuple(shape), begin, end
