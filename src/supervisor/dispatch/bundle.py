"""Evidence bundle layout: ``<reports>/<ITEM>/phase_<x>/<STAMP>/``.

STAMP is the UTC start time ``YYYYMMDDTHHMMSSZ``. The directory is created exclusively
(``mkdir`` without ``exist_ok``); when another dispatch took that name in the same second the
next free ``STAMP-2``, ``STAMP-3``, … is used, so two bundles never share a directory.

Files: ``commands.txt`` (written before anything runs), ``<name>.stdout.log`` /
``<name>.stderr.log`` per command, ``env.json``, ``bundle.json`` (``status: running`` until
the dispatch ends, then ``ok`` / ``failed`` / ``interrupted``), ``summary.md``, and last
``SHA256SUMS`` over every regular file in the bundle (GNU format; ``sha256sum -c SHA256SUMS``
inside the bundle accepts it; symlinks are not listed).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from supervisor.errors import UsageError, WorkspaceError

SCHEMA_VERSION = 1
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
SUMS = "SHA256SUMS"
BUNDLE_JSON = "bundle.json"
SUMMARY = "summary.md"
SUMMARY_TEMPLATE = "summary.md.j2"
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def phase_slug(phase: str | None) -> str:
    """``A`` -> ``phase_a`` (the brief's Artifacts line uses the same form)."""
    if not phase:
        return "phase_none"
    ident = re.sub(r"^(?:phase[ _-]*)", "", phase.strip(), flags=re.IGNORECASE)
    if not _SEGMENT.match(ident) or ".." in ident:
        raise UsageError(
            f"--phase {phase!r} is not a phase ID",
            hint="use letters, digits, '.', '_' or '-' (e.g. --phase A or --phase M4)",
        )
    return f"phase_{ident.lower()}"


def stamp_of(now: datetime) -> str:
    return now.strftime(STAMP_FORMAT)


def create_dir(parent: Path, stamp: str, *, root: Path | None = None) -> tuple[Path, str]:
    """Create ``parent/STAMP`` exclusively (``STAMP-2``… when taken); returns (dir, stamp).
    With ``root``, the directory must resolve inside it (a symlinked ``reports/<ITEM>`` that
    leads elsewhere is refused, and nothing is created there); the resolved path is returned."""
    if root is not None:
        parent = _confined(root, parent)
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(f"cannot create the bundle: {exc.strerror}", path=parent) from None
    if root is not None:
        parent = _confined(root, parent)  # re-check what mkdir walked through
    for n in range(1, 1000):
        name = stamp if n == 1 else f"{stamp}-{n}"
        try:
            (parent / name).mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            raise WorkspaceError(f"cannot create the bundle: {exc.strerror}", path=parent) from None
        return parent / name, name
    raise WorkspaceError("too many bundles with the same STAMP", path=parent / stamp)


def _confined(root: Path, directory: Path) -> Path:
    from supervisor.confine import confine

    shown = directory.relative_to(root).as_posix() if directory.is_relative_to(root) else None
    return confine(
        root,
        directory,
        what=f"the bundle directory {shown or directory}",
        error=WorkspaceError,
        hint="evidence bundles must stay inside the workspace; remove the symlink that leads out",
    ).path


def log_names(name: str) -> tuple[str, str]:
    return f"{name}.stdout.log", f"{name}.stderr.log"


def commands_text(rel: str, stamp: str, cwd: Path, commands: Sequence[Mapping[str, Any]]) -> str:
    """``commands.txt``: comment header, then per command its env overrides, timeout and the
    exact argv as one shell-quoted line (for reading and copying; it is never run by a shell)."""
    out = [
        f"# supervisor dispatch: {rel}",
        f"# STAMP: {stamp}",
        f"# cwd: {cwd}",
        "# Each command ran as an argv list (no shell); lines below are shell-quoted argv.",
    ]
    for k, c in enumerate(commands, start=1):
        out.append("")
        limit = f"timeout {c['timeout_s']:g} s" if c["timeout_s"] else "no timeout"
        out.append(f"## {k}. {c['name']} ({limit})")
        for key, value in c["env"].items():
            out.append(f"# env: {key}={shlex.quote(value)}")
        out.append(shlex.join(c["argv"]))
    return "\n".join(out) + "\n"


def write_json(path: Path, doc: Mapping[str, Any]) -> None:
    """Write JSON by temp + rename, so a reader sees the old or the new document."""
    from supervisor.fsio import write_atomic

    write_atomic(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def _files(root: Path) -> Iterator[str]:
    for base, dirs, names in os.walk(root):
        dirs.sort()
        for n in names:
            p = Path(base) / n
            if p.is_file() and not p.is_symlink():
                yield p.relative_to(root).as_posix()


def _escape(name: str) -> tuple[str, str]:
    """GNU coreutils escaping of a file name in a checksum line."""
    if not any(c in name for c in "\\\n\r"):
        return "", name
    return "\\", name.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_sums(bundle: Path) -> int:
    """Write ``SHA256SUMS`` for every regular file but itself; returns the number listed."""
    lines = []
    for rel in sorted(r for r in _files(bundle) if r != SUMS):
        prefix, shown = _escape(rel)
        lines.append(f"{prefix}{file_sha256(bundle / rel)}  {shown}\n")
    (bundle / SUMS).write_text("".join(lines), encoding="utf-8")
    return len(lines)


def check_sums(bundle: Path) -> list[str]:
    """Files whose checksum no longer matches ``SHA256SUMS`` (or that are missing)."""
    bad = []
    for line in (bundle / SUMS).read_text(encoding="utf-8").splitlines():
        m = re.match(r"^(\\?)([0-9a-f]{64}) [ *](.*)$", line)
        if not m:
            continue
        name = m.group(3)
        if m.group(1):
            name = re.sub(r"\\(.)", lambda x: {"n": "\n", "r": "\r"}.get(x[1], x[1]), name)
        path = bundle / name
        if not path.is_file() or file_sha256(path) != m.group(2):
            bad.append(name)
    return bad


def render_summary(doc: Mapping[str, Any], templates: Path | None) -> str:
    """``summary.md`` from ``templates/summary.md.j2`` (workspace copy first) with the strict
    sandboxed environment; ``doc`` is the bundle.json document plus the env.json document."""
    from supervisor.brief.render import render

    return render(SUMMARY_TEMPLATE, doc, templates)
