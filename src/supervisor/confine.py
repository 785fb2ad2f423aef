"""Path confinement: the one check every path entering from config, parameters or data goes
through (DESIGN.md rule 7).

:func:`confine` resolves the path the way the operating system will (every symlink, then
``..`` against the resolved parent, so ``inlink/../secret`` is judged where it really
lands), refuses it when it leaves the workspace, and returns the resolved path. Callers pass
on that returned path, never the text they were given, so what runs or is written is exactly
what was checked.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from supervisor.errors import SupervisorError, UsageError


@dataclass(frozen=True)
class Confined:
    """A path inside the workspace: ``path`` absolute and fully resolved, ``rel`` relative to
    the resolved workspace root (POSIX form; ``.`` for the root itself)."""

    path: Path
    rel: str


class OutsideWorkspace(ValueError):
    """Raised by :func:`resolve_inside`; :func:`confine` turns it into a user error."""


def resolve_inside(root: Path, value: str | Path) -> Confined:
    """``value`` (workspace-relative, or absolute) resolved through every symlink; raises
    :class:`OutsideWorkspace` when the result is not inside ``root``."""
    text = os.fspath(value)
    if not text or "\0" in text:
        raise OutsideWorkspace("empty path" if not text else "path contains a NUL byte")
    base = Path(os.path.realpath(root))
    raw = Path(text)
    try:
        target = Path(os.path.realpath(raw if raw.is_absolute() else base / raw, strict=False))
    except (OSError, RuntimeError) as exc:  # symlink loop and the like
        raise OutsideWorkspace(f"cannot resolve ({exc})") from None
    try:
        rel = target.relative_to(base)
    except ValueError:
        raise OutsideWorkspace(f"resolves to {target}") from None
    return Confined(target, rel.as_posix())


def confine(
    root: Path,
    value: str | Path,
    *,
    what: str,
    error: type[SupervisorError] = UsageError,
    path: str | None = None,
    line: int | None = None,
    hint: str | None = None,
) -> Confined:
    """:func:`resolve_inside`, with a refusal rendered as ``error`` (``path:line: {what} is
    outside the workspace (resolves to …) — hint``); ``what`` names the value."""
    try:
        return resolve_inside(root, value)
    except OutsideWorkspace as exc:
        raise error(
            f"{what} is outside the workspace ({exc})",
            path=path,
            line=line,
            hint=hint or f"use a path inside {os.path.realpath(root)}",
        ) from None
