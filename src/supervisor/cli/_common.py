r"""Helpers shared by the thin CLI commands: workspace option, JSON and warning output.

Everything written to the terminal goes through :func:`escape_controls` (text) or
:func:`dumps` (JSON), so control sequences carried by ledger, plan or trace text (``ESC ]``
title changes, ``ESC [2J`` screen clears, BEL, C1 controls, bidi overrides) are shown as
visible ``\x1b``-style text instead of acting on the terminal.
"""

from __future__ import annotations

import json
import re
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


# C0 controls but \t and \n (and \r only as part of \r\n), DEL, C1 controls, bidi controls
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]|\r(?!\n)")
_SGR_OR_CONTROL = re.compile(f"(\x1b\\[[0-9;]*m)|{_CONTROL.pattern}")
_JSON_RAW = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # json.dumps leaves these


def _visible(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_controls(text: str, *, keep_sgr: bool = False) -> str:
    r"""``text`` with terminal control characters shown as ``\x1b``/``\u202e`` text; newlines
    and tabs are kept. ``keep_sgr`` keeps colour sequences (``ESC [ … m``: our own table
    colours; a hostile one can only recolour text)."""
    if keep_sgr:
        if "\x1b" not in text and not _CONTROL.search(text):
            return text
        return _SGR_OR_CONTROL.sub(lambda m: m.group(1) or _visible(m.group(0)), text)
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda m: _visible(m.group(0)), text)


def escape_json_text(text: str) -> str:
    r"""JSON text with the controls ``json.dumps`` leaves raw (DEL, C1, bidi) as ``\uXXXX``
    escapes: the same document, safe to print."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


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
