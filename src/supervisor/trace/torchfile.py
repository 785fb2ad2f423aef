"""``torch.save`` files: a tensor, or dicts and lists of tensors (nested), as taps.

Loaded with ``torch.load(weights_only=True)`` on the CPU, so only tensors, containers and
plain numbers are ever unpickled: a file holding any other Python object is refused with the
global it names, and nothing of it runs. torch is imported here, when a ``.pt`` file is read,
never at start-up; without it the error names the package to install.

Tap names: a bare tensor is one tap named by the file stem; a dict gives one tap per key
(nested keys joined with ``.``: ``encoder.0.weight``), in the dict's order; a list or tuple
gives ``<stem>.0``, ``<stem>.1``, …. Plain numbers in a dict (``"step": 3``) are scalar taps;
other values (strings, None) are skipped and counted. bfloat16 and float8 tensors are widened
to float32 exactly and keep their dtype name, which picks their tolerance.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from supervisor.trace.binary import check_array
from supervisor.trace.model import Tap, TraceFormatError

_WIDEN = ("bfloat16", "float8")


def is_torch_zip(names: list[str]) -> bool:
    """Whether a zip archive's member names are those of a ``torch.save`` file."""
    return any(n == "data.pkl" or n.endswith("/data.pkl") for n in names)


def read_pt(p: Path) -> tuple[list[Tap], int]:
    """The taps of a ``torch.save`` file and how many non-tensor values were skipped."""
    try:
        import torch
    except ImportError:
        raise TraceFormatError(
            "reading a torch.save file needs PyTorch, which is not installed",
            path=p,
            hint="pip install torch (the CPU build is enough), or save the stage as .npy",
        ) from None
    import pickle

    mmap = zipfile.is_zipfile(p)
    try:
        obj = torch.load(p, map_location="cpu", weights_only=True, mmap=mmap)
    except pickle.UnpicklingError as exc:
        raise TraceFormatError(
            f"holds a pickled object that is not a tensor, container or number; refused "
            f"({_why(exc)})",
            path=p,
            hint="save only tensors, or dicts and lists of tensors "
            "(e.g. torch.save({name: t.detach().cpu()}, path))",
        ) from None
    except (RuntimeError, OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
        raise TraceFormatError(
            f"not a readable torch.save file ({str(exc).splitlines()[0]})",
            path=p,
            hint="write it with torch.save; it may be truncated",
        ) from None
    taps: list[Tap] = []
    skipped = _walk(p, obj, "", taps, torch)
    if not taps:
        raise TraceFormatError(
            f"holds no tensors ({type(obj).__name__})",
            path=p,
            hint="save a tensor, or a dict or list of tensors",
        )
    return taps, skipped


def _why(exc: Exception) -> str:
    import re

    text = str(exc)
    m = re.search(r"[Uu]nsupported (?:global: )?GLOBAL ([\w.]+)", text)
    if m:
        return f"it names the global {m.group(1)}, which weights_only loading does not allow"
    return text.splitlines()[0] if text else type(exc).__name__


def _walk(p: Path, obj: Any, name: str, taps: list[Tap], torch: Any) -> int:
    """Append the taps of ``obj`` (named ``name``); return how many leaves were skipped."""
    if isinstance(obj, torch.Tensor):
        taps.append(tensor_tap(p, name or p.stem, obj))
        return 0
    if isinstance(obj, dict):
        return sum(
            _walk(p, v, f"{name}.{k}" if name else str(k), taps, torch) for k, v in obj.items()
        )
    if isinstance(obj, list | tuple):
        base = name or p.stem
        return sum(_walk(p, v, f"{base}.{k}", taps, torch) for k, v in enumerate(obj))
    if isinstance(obj, bool | int | float) and name:
        arr = np.asarray(obj)
        taps.append(Tap(name, (), 0, arr, None, arr.dtype.name, str(p)))
        return 0
    return 1


def tensor_tap(p: Path, name: str, t: Any) -> Tap:
    """A tap of tensor ``t`` (any device, layout or real dtype), read from ``p``."""
    import torch

    t = t.detach().cpu()
    if t.is_quantized:
        t = t.dequantize()
    if t.layout != torch.strided:
        t = t.to_dense()
    dtype = str(t.dtype).removeprefix("torch.")
    if t.is_complex():
        raise TraceFormatError(
            f"tensor '{name}' has dtype {dtype}, not a real number type",
            path=p,
            hint="save real and imaginary parts as two tensors",
        )
    if dtype.startswith(_WIDEN):
        arr = t.float().numpy()
    else:
        arr = check_array(p, t.numpy(), f"tensor '{name}'")
        dtype = arr.dtype.name
    return Tap(name, (), 0, arr, None, dtype, str(p))
