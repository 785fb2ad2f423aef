"""Readers: text traces, ``.npy``/``.npz`` stage tensors, APRT stage files, directories of them.

Every reader returns a frozen :class:`Trace` of :class:`Tap` s that remember where they came
from (path and line for text, path and byte offset for binary files).

**Text traces** — one tap a line. The prefix is whatever the file uses (``TRACE_C:``,
``TRACE_PY:``, …), so logs from different sides compare. Three line forms are read:

* tap form ``PREFIX: [k=v …] name v1 [v2 …]`` — ``k=v`` tokens before the name are
  qualifiers (``TRACE_PY: phi_tic=3 ap -55.2 -3.9 42.8``); every value must be a number
  (``nan``/``inf`` allowed);
* assignment form ``PREFIX:name=v1 [v2 …]`` — the C's geometry lines. Brackets, ``;`` and
  ``,`` separate values and ``label:`` is dropped, so ``Rx=[1 0 0; 0 1 -0; 0 0 1]`` is 9
  numbers and ``angles_rad=rotx:0 roty:0 …`` 4 numbers; a value that is still not numeric
  (``detector_convention=MOSFLM``) makes a *text tap*, compared for equality;
* record form ``PREFIX_X k=v k=v …`` (no colon; all ``k=v``), or ``PREFIX: k=v k=v …`` — the
  C's ``TRACE_C_PHI phi_tic=0 phi_deg=0 k_frac=… F_latt=…``: keys ending in ``_tic`` are the
  loop qualifiers and every other key is a scalar tap of that name, so the line gives the taps
  ``phi_tic=0 phi_deg``, ``phi_tic=0 k_frac``, … exactly as ``sim trace`` prints them.

Which prefixes are trace prefixes: ``prefixes`` if given, else the most frequent ``NAME:``
prefix beginning with ``TRACE`` in the first 64 KiB (else the most frequent ``NAME:``
prefix). Other lines (``TRACE_CONFIG:``, the C's bare ``TRACE:`` lines, blank lines, prose) are
skipped and counted. A name repeated with the same qualifiers is a numbered occurrence (the C
prints one block per sub-pixel pass). Values are held in float64; each tap's dtype (which picks
its default tolerance) is inferred: a tap printed in full (≥ 12 significant digits) is float64,
unless every value is exactly a float32 (a float32 printed as a double: float32); taps printed
short (``1``, ``0.0257``) take the trace's precision (float64 if any tap is, else float32).
``dtype=`` (``--dtype``) sets every tap's dtype instead.

**Binary** — ``.npy``: one tap named by the file stem; ``.npz``: one tap per member, archive
order; APRT (``.aprt``, or any file starting with ``APRT``): 4-byte magic ``APRT``, u32 LE layer,
u32 LE element count, f32 LE body; one tap named by the stem, the layer kept as metadata. A
directory: its ``.npy``/``.npz``/APRT files in sorted file-name order (number stage files
``00_embed.npy``, ``01_attn.npy``, … so the order is the stage order); other files are skipped.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from supervisor.trace.model import (
    Qualifiers,
    Tap,
    Trace,
    TraceFormatError,
    from_taps,
    label_of,
    read_bytes,
)
from supervisor.trace.text import read_text

__all__ = ["Qualifiers", "Tap", "Trace", "TraceFormatError", "label_of", "read_trace"]

APRT_MAGIC = b"APRT"
APRT_HEADER = 12


def read_trace(
    path: str | Path, *, prefixes: tuple[str, ...] = (), dtype: str | None = None
) -> Trace:
    """Read ``path`` (text trace, ``.npy``, ``.npz``, APRT file or a directory of stage files)."""
    p = Path(path)
    if p.is_dir():
        return _read_dir(p)
    if not p.exists():
        raise TraceFormatError("no such file or directory", path=p, hint="check the path")
    kind = _kind_of(p)
    if kind == "npy":
        return _single(p, "npy", _read_npy(p))
    if kind == "npz":
        return _single(p, "npz", _read_npz(p))
    if kind == "aprt":
        return _single(p, "aprt", [_read_aprt(p, read_bytes(p))])
    return read_text(p, prefixes, dtype)


def _kind_of(p: Path) -> str:
    suffix = p.suffix.lower()
    if suffix in (".npy", ".npz", ".aprt"):
        return suffix[1:]
    try:
        with p.open("rb") as fh:
            head = fh.read(6)
    except OSError as exc:
        raise TraceFormatError(
            f"cannot read: {exc.strerror}", path=p, hint="check the path"
        ) from None
    if head.startswith(APRT_MAGIC):
        return "aprt"
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    return "npz" if head.startswith(b"PK\x03\x04") else "text"


def _single(p: Path, fmt: str, taps: list[Tap]) -> Trace:
    return from_taps(str(p), fmt, taps, dtype_note=f"stored in the {fmt} file")


def _check_array(p: Path, arr: NDArray[Any], what: str) -> NDArray[Any]:
    if arr.dtype.kind not in "fiub":
        raise TraceFormatError(
            f"{what} has dtype {arr.dtype}, not a real number type",
            path=p,
            hint="save float, integer or bool arrays (complex and object arrays are not compared)",
        )
    return arr


def _read_npy(p: Path) -> list[Tap]:
    try:
        arr = np.load(p, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise TraceFormatError(
            f"not a readable .npy file ({exc})",
            path=p,
            hint="write it with numpy.save; it may be truncated",
        ) from None
    arr = _check_array(p, arr, "array")
    offset = int(getattr(arr, "offset", 0)) or None
    return [Tap(p.stem, (), 0, arr, None, arr.dtype.name, str(p), offset=offset)]


MAX_NPZ_BYTES = 1 << 30  # declared (uncompressed) array bytes an .npz may hold


def _check_npz_size(p: Path, limit: int = MAX_NPZ_BYTES) -> None:
    """Refuse an archive whose members declare more than ``limit`` bytes in all (the zip's
    uncompressed sizes and the arrays' header shapes), before anything is decompressed."""
    import zipfile

    from numpy.lib import format as npformat

    total = 0
    with zipfile.ZipFile(p) as zf:
        for info in zf.infolist():
            declared = info.file_size
            if info.filename.endswith(".npy"):
                with zf.open(info) as fh:
                    version = npformat.read_magic(fh)
                    read = {(1, 0): npformat.read_array_header_1_0,
                            (2, 0): npformat.read_array_header_2_0}.get(version)  # fmt: skip
                    if read is not None:
                        shape, _, dtype = read(fh, max_header_size=10_000)
                        declared = max(declared, math.prod(shape) * dtype.itemsize)
            total += declared
            if total > limit:
                raise TraceFormatError(
                    f"member '{info.filename.removesuffix('.npy')}' takes the archive past"
                    f" {limit / 2**30:g} GiB of array data ({total / 2**30:.1f} GiB declared)",
                    path=p,
                    hint="split it into smaller stage files, or compare a slice",
                )


def _read_npz(p: Path) -> list[Tap]:
    import zipfile

    taps = []
    try:
        _check_npz_size(p)
        with np.load(p, allow_pickle=False) as z:
            for member in z.files:
                arr = _check_array(p, np.asarray(z[member]), f"member '{member}'")
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


def _read_aprt(p: Path, data: bytes) -> Tap:
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
    return Tap(p.stem, (), 0, values, None, "float32", str(p), offset=APRT_HEADER, layer=layer)


def _read_dir(d: Path) -> Trace:
    taps: list[Tap] = []
    skipped = 0
    files = 0
    for f in sorted(x for x in d.iterdir() if x.is_file() and not x.name.startswith(".")):
        kind = _kind_of(f)
        if kind == "npy":
            taps += _read_npy(f)
        elif kind == "npz":
            taps += _read_npz(f)
        elif kind == "aprt":
            taps.append(_read_aprt(f, read_bytes(f)))
        else:
            skipped += 1
            continue
        files += 1
    if not taps:
        raise TraceFormatError(
            "no stage files (.npy, .npz, APRT) in this directory",
            path=d,
            hint="pass a directory of stage tensors or a single trace file",
        )
    return from_taps(
        str(d),
        "dir",
        taps,
        dtype_note="stored in the stage files",
        lines=files,
        skipped=(("files not .npy/.npz/APRT", skipped),) if skipped else (),
    )
