"""Helpers shared by the thin CLI commands: workspace option, JSON and warning output."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

SCHEMA_VERSION = 1


def start_dir(ctx: typer.Context) -> Path:
    """The directory the workspace search starts from (``-C``/``--workspace`` or cwd)."""
    root = ctx.find_root()
    obj = root.obj if isinstance(root.obj, dict) else {}
    value = obj.get("workspace")
    return Path(value) if value else Path.cwd()


def envelope(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The versioned ``--json`` contract: every document has ``schema_version`` and ``kind``."""
    return {"schema_version": SCHEMA_VERSION, "kind": kind, **payload}


def dumps(doc: Any) -> str:
    """Deterministic JSON text (stable key order as built, UTF-8 kept, trailing newline)."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def emit_json(kind: str, payload: dict[str, Any]) -> None:
    sys.stdout.write(dumps(envelope(kind, payload)))


def emit(text: str) -> None:
    """Write text to stdout exactly (no added newline)."""
    sys.stdout.write(text)


def warn(message: str) -> None:
    sys.stderr.write(f"warning: {message}\n")
