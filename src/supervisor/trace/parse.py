r"""Readers: text traces, ``.npy``/``.npz`` stage tensors, APRT stage files, directories of them.

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

Text traces are read as UTF-8. A file that is not valid UTF-8 but holds no NUL byte (a log
with a stray Latin-1 byte) is still read: each undecodable byte is kept as Python's
``surrogateescape`` holds it, so names and text values compare as the bytes they are (a tap
name may hold such bytes), and every report shows the byte as the 4 characters ``\xff``
(:mod:`supervisor.escapes`). Non-UTF-8 data with a NUL byte is refused as binary.

**Binary** — ``.npy``: one tap named by the file stem; ``.npz``: one tap per member, archive
order; APRT (``.aprt``, or any file starting with ``APRT``): 4-byte magic ``APRT``, u32 LE layer,
u32 LE element count, f32 LE body; one tap named by the stem, the layer kept as metadata;
``torch.save`` files (``.pt``/``.pth``, or a zip holding ``data.pkl``): tensors, dicts and lists
of tensors, loaded with ``weights_only=True`` (:mod:`~supervisor.trace.torchfile`);
safetensors (``.safetensors``, or a file that starts with its header) read from the documented
format (:mod:`~supervisor.trace.safetensors_file`); GGUF files' unquantized tensors
(``.gguf``, :mod:`~supervisor.trace.gguf_file`). Pickled data is never loaded: object
``.npy`` arrays and ``.pt`` files holding other objects are refused. A directory: its stage
files (any of those formats, mixed) in natural order of their names (``layer.2`` before
``layer.10``) or in ``order`` (``--order``, :mod:`~supervisor.trace.order`); other files are
skipped and counted. The order used is kept on the trace (``Trace.order``). A file name that is
not UTF-8 names its tap the same way (byte 0xff shown as ``\xff``; paths are printed in that
form, which ``$'…'`` in a shell turns back into the name), and the directory's sha256 hashes
the names' bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from supervisor.trace import binary
from supervisor.trace.model import (
    Qualifiers,
    Tap,
    Trace,
    TraceFormatError,
    from_taps,
    label_of,
)
from supervisor.trace.order import Order, OrderSpec, arrange
from supervisor.trace.text import read_text

__all__ = ["Qualifiers", "Tap", "Trace", "TraceFormatError", "label_of", "read_trace"]

APRT_MAGIC = binary.APRT_MAGIC
APRT_HEADER = binary.APRT_HEADER
STAGE_KINDS = ("npy", "npz", "aprt", "pt", "safetensors", "gguf")
_SUFFIX = {
    ".npy": "npy",
    ".npz": "npz",
    ".aprt": "aprt",
    ".pt": "pt",
    ".pth": "pt",
    ".safetensors": "safetensors",
    ".gguf": "gguf",
}


def read_trace(
    path: str | Path,
    *,
    prefixes: tuple[str, ...] = (),
    dtype: str | None = None,
    order: OrderSpec | None = None,
) -> Trace:
    """Read ``path``: a text trace, a stage file (``.npy``, ``.npz``, APRT, ``torch.save``,
    safetensors) or a directory of stage files, in ``order`` (default: natural)."""
    p = Path(path)
    if p.is_dir():
        return _read_dir(p, order)
    if not p.exists():
        raise TraceFormatError("no such file or directory", path=p, hint="check the path")
    kind = kind_of(p)
    if kind == "text":
        return read_text(p, prefixes, dtype)
    taps, skipped = _read_stage(p, kind)
    stored = "natural" if kind == "safetensors" else "stored"
    if order is not None:
        taps, how = arrange(taps, lambda t: t.name, order)
    else:
        how = Order(stored, tuple(t.name for t in taps))
    return from_taps(
        str(p),
        kind,
        taps,
        dtype_note=f"stored in the {kind} file",
        skipped=(("values not tensors or numbers", skipped),) if skipped else (),
        order=how,
    )


def kind_of(p: Path) -> str:
    """``npy`` | ``npz`` | ``aprt`` | ``pt`` | ``safetensors`` | ``gguf`` | ``text``: by suffix,
    else by the first bytes (a zip holding ``data.pkl`` is a ``torch.save`` file, not an
    ``.npz``)."""
    import zipfile

    from supervisor.trace.safetensors_file import looks_like
    from supervisor.trace.torchfile import is_torch_zip

    suffix = p.suffix.lower()
    try:
        with p.open("rb") as fh:
            head = fh.read(16)
        size = p.stat().st_size
    except OSError as exc:
        raise TraceFormatError(
            f"cannot read: {exc.strerror}", path=p, hint="check the path"
        ) from None
    if head.startswith(b"PK\x03\x04") and suffix in ("", ".npz", ".pt", ".pth", ".bin", ".zip"):
        try:
            with zipfile.ZipFile(p) as zf:
                names = zf.namelist()
        except (zipfile.BadZipFile, OSError):
            names = []
        return "pt" if is_torch_zip(names) else "npz"
    if suffix in _SUFFIX:
        return _SUFFIX[suffix]
    if head.startswith(APRT_MAGIC):
        return "aprt"
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head.startswith(b"GGUF"):
        return "gguf"
    if looks_like(head, size):
        return "safetensors"
    return "npz" if head.startswith(b"PK\x03\x04") else "text"


def _read_stage(p: Path, kind: str) -> tuple[list[Tap], int]:
    """The taps of one stage file and how many of its values were skipped."""
    if kind == "pt":
        from supervisor.trace.torchfile import read_pt

        return read_pt(p)
    if kind == "safetensors":
        from supervisor.trace.safetensors_file import read_safetensors

        return read_safetensors(p), 0
    if kind == "gguf":
        from supervisor.trace.gguf_file import read_gguf

        return read_gguf(p), 0
    readers: dict[str, Callable[[Path], list[Tap]]] = {
        "npy": binary.read_npy,
        "npz": binary.read_npz,
        "aprt": binary.read_aprt,
    }
    return readers[kind](p), 0


def _read_dir(d: Path, spec: OrderSpec | None) -> Trace:
    stages: list[tuple[Path, str]] = []
    skipped = 0
    for f in d.iterdir():
        if not f.is_file() or f.name.startswith("."):
            continue
        kind = kind_of(f)
        if kind == "text":
            skipped += 1
        else:
            stages.append((f, kind))
    if not stages:
        raise TraceFormatError(
            "no stage files (.npy, .npz, APRT, .pt, .safetensors, .gguf) in this directory",
            path=d,
            hint="pass a directory of stage tensors or a single trace file",
        )
    stages, how = arrange(stages, lambda s: s[0].name, spec)
    taps: list[Tap] = []
    values_skipped = 0
    for f, kind in stages:
        got, n = _read_stage(f, kind)
        taps += got
        values_skipped += n
    reasons = []
    if skipped:
        reasons.append(("files not stage files", skipped))
    if values_skipped:
        reasons.append(("values not tensors or numbers", values_skipped))
    return from_taps(
        str(d),
        "dir",
        taps,
        dtype_note="stored in the stage files",
        lines=len(stages),
        skipped=tuple(reasons),
        order=how,
    )
