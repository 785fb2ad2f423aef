r"""Helpers shared by the thin CLI commands: workspace option, JSON and warning output.

Everything written to the terminal goes through :func:`escape_controls` (text) or
:func:`dumps` (JSON), so control sequences carried by ledger, plan or trace text (``ESC ]``
title changes, ``ESC [2J`` screen clears, BEL, C1 controls, bidi overrides) are shown as
visible ``\x1b``-style text instead of acting on the terminal, and undecodable bytes of
names (file names, argv, non-UTF-8 traces) as ``\xff`` (the rule: :mod:`supervisor.escapes`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from supervisor.escapes import escape_controls as escape_controls
from supervisor.escapes import escape_json_text as escape_json_text

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
    return escape_json_text(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"


def emit_json(kind: str, payload: dict[str, Any]) -> None:
    sys.stdout.write(dumps(envelope(kind, payload)))


def emit(text: str, *, color: bool = False) -> None:
    """Write text to stdout (no added newline), control characters escaped; ``color`` keeps
    colour sequences."""
    sys.stdout.write(escape_controls(text, keep_sgr=color))


def emit_json_text(text: str) -> None:
    """Write a piece of JSON text to stdout with raw DEL/C1/bidi characters escaped."""
    sys.stdout.write(escape_json_text(text))


def warn(message: str) -> None:
    sys.stderr.write(f"warning: {escape_controls(message)}\n")
