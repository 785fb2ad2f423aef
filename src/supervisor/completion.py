"""Shell-completion candidates: item IDs from the ledger and command names from the
registry. Fast by design — one regex pass over the ledger's headings and Index rows (no
markdown parse, no attempts), the config read once, nothing heavy imported. A workspace
that cannot be read yields no candidates rather than an error in the user's shell."""

from __future__ import annotations

import re
from pathlib import Path

from supervisor.errors import SupervisorError

_ITEM_ID = r"[A-Z][A-Z0-9]*(?:[-\u2011][A-Z0-9]+)+"
_HEADING_OR_ROW = re.compile(
    rf"^(?:#{{2,3}}[ \t]+\[({_ITEM_ID})\]|\|[ \t]*\[({_ITEM_ID})\])", re.MULTILINE
)


def item_ids(start: Path, prefix: str = "") -> list[str]:
    """IDs of the ledger's items (``## [ID]`` headings and Index rows), in file order, that
    start with ``prefix`` (case-sensitive, as shells match)."""
    from supervisor.config import load_config

    try:
        config = load_config(start)
        text = (config.root / config.paths.ledger).read_text(encoding="utf-8", errors="replace")
    except (SupervisorError, OSError):
        return []
    seen: dict[str, None] = {}
    for m in _HEADING_OR_ROW.finditer(text):
        ident = (m.group(1) or m.group(2)).replace("\u2011", "-")
        if ident.startswith(prefix):
            seen.setdefault(ident, None)
    return list(seen)


def command_names(start: Path, prefix: str = "") -> list[tuple[str, str]]:
    """``(name, help)`` of the registry's commands whose name starts with ``prefix``."""
    from supervisor.config import load_config

    try:
        config = load_config(start)
    except SupervisorError:
        return []
    return [(c.name, c.help) for c in config.commands if c.name.startswith(prefix)]
