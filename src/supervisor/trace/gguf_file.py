"""GGUF files (llama.cpp and GGML models): their unquantized tensors as taps.

Layout (little-endian, versions 2 and 3): magic ``GGUF``, u32 version, u64 tensor count, u64
metadata count; the metadata key/value pairs (read only to find ``general.alignment``, default
32); per tensor its name, u32 dimension count, u64 dimensions (fastest first, so the numpy shape
is their reverse), u32 type and u64 offset into the data section, which starts at the next
multiple of the alignment. F32, F16, BF16 (widened to float32 exactly), F64 and integer tensors
are read (memory-mapped); quantized types are refused, naming the tensor. Every count, length
and offset is checked against the file before anything is allocated. Taps are in the file's
tensor order.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from supervisor.trace.binary import MAX_TENSOR_BYTES
from supervisor.trace.model import Tap, TraceFormatError

MAGIC = b"GGUF"
TYPES: dict[int, tuple[str, str]] = {
    0: ("F32", "<f4"),
    1: ("F16", "<f2"),
    24: ("I8", "i1"),
    25: ("I16", "<i2"),
    26: ("I32", "<i4"),
    27: ("I64", "<i8"),
    28: ("F64", "<f8"),
    30: ("BF16", "<u2"),
}
# metadata value types: fixed sizes; 8 string, 9 array
_SCALAR = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


class _Reader:
    def __init__(self, p: Path, data: Any) -> None:
        self.p, self.data, self.pos = p, data, 0

    def fail(self, what: str) -> NoReturn:
        raise TraceFormatError(
            f"{what} (offset {self.pos})",
            path=self.p,
            hint="write it with gguf / llama.cpp; it may be truncated",
        )

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            self.fail(f"needs {n} bytes past the end of the file ({len(self.data)} bytes)")
        out = bytes(self.data[self.pos : self.pos + n])
        self.pos += n
        return out

    def u32(self) -> int:
        v: int = struct.unpack("<I", self.take(4))[0]
        return v

    def u64(self) -> int:
        v: int = struct.unpack("<Q", self.take(8))[0]
        return v

    def string(self) -> str:
        raw = self.take(self.u64())
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.fail("a string is not UTF-8")

    def value(self, kind: int) -> Any:
        if kind in _SCALAR:
            raw = self.take(_SCALAR[kind])
            fmt = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?"}
            fmt.update({10: "<Q", 11: "<q", 12: "<d"})
            return struct.unpack(fmt[kind], raw)[0]
        if kind == 8:
            return self.string()
        if kind == 9:
            sub, count = self.u32(), self.u64()
            if sub in _SCALAR:  # skipped whole: only general.alignment is needed
                self.take(_SCALAR[sub] * count)
                return None
            for _ in range(count):
                self.value(sub)
            return None
        self.fail(f"unknown metadata value type {kind}")


def read_gguf(p: Path, *, max_bytes: int = MAX_TENSOR_BYTES) -> list[Tap]:
    mm = np.memmap(p, dtype=np.uint8, mode="r") if p.stat().st_size else np.zeros(0, np.uint8)
    rd = _Reader(p, mm)
    if rd.take(4) != MAGIC:
        rd.fail("bad magic, expected b'GGUF'")
    version = rd.u32()
    if version not in (2, 3):
        rd.fail(f"GGUF version {version} is not read (versions 2 and 3 are)")
    n_tensors, n_kv = rd.u64(), rd.u64()
    if n_tensors > len(mm) or n_kv > len(mm):
        rd.fail(f"header claims {n_tensors} tensors and {n_kv} metadata entries")
    align = 32
    for _ in range(n_kv):
        key = rd.string()
        value = rd.value(rd.u32())
        if key == "general.alignment" and isinstance(value, int) and value > 0:
            align = value
    infos = []
    for _ in range(n_tensors):
        name = rd.string()
        ndim = rd.u32()
        if ndim > 8:
            rd.fail(f"tensor '{name}' claims {ndim} dimensions")
        dims = [rd.u64() for _ in range(ndim)]
        kind, offset = rd.u32(), rd.u64()
        infos.append((name, dims, kind, offset))
    start = -(-rd.pos // align) * align
    taps = []
    for name, dims, kind, offset in infos:
        if kind not in TYPES:
            raise TraceFormatError(
                f"tensor '{name}' has GGML type {kind} (quantized or unknown); not compared",
                path=p,
                hint="compare unquantized tensors: " + ", ".join(n for n, _ in TYPES.values()),
            )
        code, dt = TYPES[kind]
        shape = tuple(reversed(dims))
        nbytes = math.prod(shape) * np.dtype(dt).itemsize
        at = start + offset
        if at + nbytes > len(mm):
            rd.pos = at
            rd.fail(f"tensor '{name}' ({code}, shape {list(shape)}) runs past the end of the file")
        if code == "BF16" and 2 * nbytes > max_bytes:
            rd.fail(
                f"tensor '{name}' widens to {2 * nbytes} bytes, over the {max_bytes}-byte limit"
            )
        arr = mm[at : at + nbytes].view(dt).reshape(shape)
        dtype = arr.dtype.name
        if code == "BF16":
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
            dtype = "bfloat16"
        taps.append(Tap(name, (), 0, arr, None, dtype, str(p), offset=at))
    if not taps:
        rd.fail("holds no tensors")
    return taps
