"""Content-hash cache for read-only answers (``supervisor next``).

An entry stores the outputs together with the SHA-256 of every file the answer read and the
listing of every directory it scanned. A lookup re-hashes those files (a few milliseconds for
the 847 KB corpus ledger) and answers only when all match, so a hit is byte-identical to a
fresh computation. The key also covers the arguments and a fingerprint of the installed
code and templates, so upgrading or editing supervisor invalidates it. Entries live in
``<workspace>/.supervisor/cache/`` (a self-ignoring directory, like ``.pytest_cache``).
Disable with ``SUPERVISOR_NO_CACHE=1`` or ``--no-cache``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

CACHE_DIR = Path(".supervisor") / "cache"
_PACKAGE = Path(__file__).resolve().parent
_FORMAT = 1


def disabled() -> bool:
    return os.environ.get("SUPERVISOR_NO_CACHE", "") not in ("", "0")


def _code_fingerprint() -> str:
    h = hashlib.sha256(str(_FORMAT).encode())
    for dirpath, dirnames, filenames in os.walk(_PACKAGE, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith((".py", ".j2")):
                st = os.stat(os.path.join(dirpath, name))
                h.update(f"{dirpath}/{name}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()


def _key(name: str, args: dict[str, Any]) -> str:
    blob = json.dumps({"name": name, "args": args}, sort_keys=True)
    return hashlib.sha256((blob + _code_fingerprint()).encode()).hexdigest()


def listing(directory: Path, suffix: str) -> list[str]:
    """Sorted relative paths of files ending in ``suffix`` under ``directory``."""
    out: list[str] = []
    if not directory.is_dir():
        return out
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames.sort()
        rel = os.path.relpath(dirpath, directory)
        for f in filenames:
            if f.endswith(suffix):
                out.append(f if rel == "." else f"{rel}/{f}".replace(os.sep, "/"))
    return sorted(out)


def _entry_path(root: Path, name: str, key: str) -> Path:
    return root / CACHE_DIR / f"{name}-{key[:24]}.json"


def lookup(root: Path, name: str, args: dict[str, Any]) -> dict[str, Any] | None:
    key = _key(name, args)
    try:
        entry = json.loads(_entry_path(root, name, key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("key") != key:
        return None
    for rel, digest in entry.get("files", {}).items():
        try:
            data = (root / rel).read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != digest:
            return None
    for rel, (suffix, names) in entry.get("listings", {}).items():
        if listing(root / rel, suffix) != names:
            return None
    outputs = entry.get("outputs")
    return outputs if isinstance(outputs, dict) else None


def store(
    root: Path,
    name: str,
    args: dict[str, Any],
    files: dict[str, str],
    listings: dict[str, tuple[str, list[str]]],
    outputs: dict[str, Any],
) -> None:
    """Best effort: a cache that cannot be written is simply not used."""
    from supervisor.fsio import write_atomic

    key = _key(name, args)
    entry = {"key": key, "files": files, "listings": listings, "outputs": outputs}
    base = root / CACHE_DIR
    try:
        base.mkdir(parents=True, exist_ok=True)
        ignore = base.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# created by supervisor: its cache is never committed\n*\n")
        write_atomic(_entry_path(root, name, key), json.dumps(entry, ensure_ascii=False))
    except Exception:  # caching must never fail a command
        return
