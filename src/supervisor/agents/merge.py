"""Merge supervisor's entries into an agent's existing configuration files, and take them out.

Every function is pure: ``(current text or None, what to add) -> new text or None`` (None: the
file should not exist). Adding twice gives the same text (idempotent); removing after adding
gives the original text back. Entries that belong to someone else are never changed: a key
that already exists with another value is kept, and ``remove`` only takes out exactly what
``add`` would put in. A file that cannot be read as its format is refused with its line.
"""

from __future__ import annotations

import json
import re
from typing import Any

from supervisor.errors import ParseError

BEGIN = "supervisor:begin"
END = "supervisor:end"
MARK = "# added by supervisor setup"


# ---------------------------------------------------------------- markdown / text blocks


def _block_span(lines: list[str], path: str) -> tuple[int, int] | None:
    begins = [k for k, ln in enumerate(lines) if BEGIN in ln]
    ends = [k for k, ln in enumerate(lines) if END in ln]
    if not begins and not ends:
        return None
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        line = (begins or ends)[0] + 1
        raise ParseError(
            f"broken supervisor block (needs one '{BEGIN}' line, then one '{END}' line)",
            path=path,
            line=line,
            hint="delete the damaged block by hand, then rerun",
        )
    return begins[0], ends[0]


def put_block(text: str | None, block: str, path: str) -> str:
    """``text`` with the marked ``block`` (whose first and last lines carry the markers)
    appended, or replacing the marked block already there."""
    current = text or ""
    lines = current.splitlines(keepends=True)
    span = _block_span(lines, path)
    body = block if block.endswith("\n") else block + "\n"
    if span is not None:
        a, b = span
        return "".join([*lines[:a], body, *lines[b + 1 :]])
    if not current:
        return body
    sep = "\n" if current.endswith("\n") else "\n\n"
    return current + sep + body


def drop_block(text: str | None, path: str) -> str | None:
    """``text`` without the marked block (and the blank line ``put_block`` put before it);
    None when nothing else is left."""
    if text is None:
        return None
    lines = text.splitlines(keepends=True)
    span = _block_span(lines, path)
    if span is None:
        return text
    a, b = span
    before = lines[:a]
    if before and before[-1] == "\n" and b + 1 == len(lines):
        before = before[:-1]
    out = "".join([*before, *lines[b + 1 :]])
    return out if out.strip() else None


# ---------------------------------------------------------------- JSON


def load_json(text: str | None, path: str) -> dict[str, Any]:
    if text is None or not text.strip():
        return {}
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"not valid JSON ({exc.msg})",
            path=path,
            line=exc.lineno,
            hint="fix the file (or move it away) and rerun; nothing was changed",
        ) from None
    if not isinstance(doc, dict):
        raise ParseError(
            "the top level is not a JSON object", path=path, line=1, hint="it must be {…}"
        )
    return doc


def dump_json(doc: dict[str, Any]) -> str | None:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n" if doc else None


def _key_line(text: str | None, key: str) -> int:
    for k, line in enumerate((text or "").splitlines(), start=1):
        if f'"{key}"' in line:
            return k
    return 1


def _object(parent: dict[str, Any], key: str, text: str | None, path: str) -> dict[str, Any]:
    value = parent.setdefault(key, {})
    if not isinstance(value, dict):
        raise ParseError(
            f'"{key}" is not a JSON object',
            path=path,
            line=_key_line(text, key),
            hint="fix the file and rerun; nothing was changed",
        )
    return value


def _list(parent: dict[str, Any], key: str, text: str | None, path: str) -> list[Any]:
    value = parent.setdefault(key, [])
    if not isinstance(value, list):
        raise ParseError(
            f'"{key}" is not a JSON array',
            path=path,
            line=_key_line(text, key),
            hint="fix the file and rerun; nothing was changed",
        )
    return value


def put_server(text: str | None, path: str, name: str, entry: dict[str, Any]) -> str | None:
    """``mcpServers.<name> = entry`` unless a server of that name is already configured."""
    doc = load_json(text, path)
    servers = _object(doc, "mcpServers", text, path)
    if name in servers:
        return text
    servers[name] = entry
    return dump_json(doc)


def drop_server(text: str | None, path: str, name: str, entry: dict[str, Any]) -> str | None:
    doc = load_json(text, path)
    servers = doc.get("mcpServers")
    if not isinstance(servers, dict) or servers.get(name) != entry:
        return text
    del servers[name]
    if not servers:
        del doc["mcpServers"]
    return dump_json(doc)


def put_hook(
    text: str | None, path: str, event: str, matcher: str, hook: dict[str, Any]
) -> str | None:
    """A ``hooks.<event>`` group ``{matcher, hooks: [hook]}`` unless ``hook`` is already
    configured for ``event`` (in any group)."""
    doc = load_json(text, path)
    groups = _list(_object(doc, "hooks", text, path), event, text, path)
    if any(isinstance(g, dict) and hook in (g.get("hooks") or []) for g in groups):
        return text
    groups.append({"matcher": matcher, "hooks": [hook]})
    return dump_json(doc)


def drop_hook(text: str | None, path: str, event: str, hook: dict[str, Any]) -> str | None:
    doc = load_json(text, path)
    hooks = doc.get("hooks")
    groups = hooks.get(event) if isinstance(hooks, dict) else None
    if not isinstance(hooks, dict) or not isinstance(groups, list):
        return text
    changed = False
    kept = []
    for g in groups:
        inner = g.get("hooks") if isinstance(g, dict) else None
        if isinstance(inner, list) and hook in inner:
            changed = True
            inner = [h for h in inner if h != hook]
            if not inner:
                continue
            g = {**g, "hooks": inner}
        kept.append(g)
    if not changed:
        return text
    if kept:
        hooks[event] = kept
    else:
        del hooks[event]
        if not hooks:
            del doc["hooks"]
    return dump_json(doc)


# ---------------------------------------------------------------- TOML (Codex)


def check_toml(text: str | None, path: str) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(text or "")
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        problem = str(exc).split(" (at line")[0]
        raise ParseError(
            f"not valid TOML ({problem})",
            path=path,
            line=line,
            hint="fix the file (or move it away) and rerun; nothing was changed",
        ) from None


def put_toml_table(text: str | None, path: str, dotted: tuple[str, ...], block: str) -> str | None:
    """Append the marked ``block`` (a TOML table) unless the table ``dotted`` already exists
    outside it; the result must still parse."""
    doc = check_toml(drop_block(text, path), path)
    node: Any = doc
    for key in dotted:
        if not isinstance(node, dict) or key not in node:
            break
        node = node[key]
    else:
        return text  # configured by someone else: keep theirs
    new = put_block(text, block, path)
    try:
        check_toml(new, path)
    except ParseError:
        raise ParseError(
            f"cannot add [{'.'.join(dotted)}] to this file without changing its other entries",
            path=path,
            line=1,
            hint=f"add the table by hand (see `supervisor setup --print`) or write "
            f"[{dotted[0]}] as a table instead of an inline table",
        ) from None
    return new


def drop_toml_table(text: str | None, path: str) -> str | None:
    new = drop_block(text, path)
    if new is not None:
        check_toml(new, path)
    return new


# ---------------------------------------------------------------- YAML (aider)


_READ_KEY = re.compile(r"^read\s*:(.*)$")
_ITEM = re.compile(r"^(\s*)-\s+(.*?)\s*$")


def _yaml_read(text: str | None, path: str) -> Any:
    import yaml

    try:
        doc = yaml.safe_load(text or "")
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise ParseError(
            f"not valid YAML ({exc.problem})",
            path=path,
            line=mark.line + 1 if mark is not None else None,
            hint="fix the file (or move it away) and rerun; nothing was changed",
        ) from None
    if doc is None:
        return None
    if not isinstance(doc, dict):
        raise ParseError("the top level is not a mapping", path=path, line=1, hint="key: value")
    return doc.get("read")


def put_read(text: str | None, path: str, files: tuple[str, ...]) -> str | None:
    """Add ``files`` to the top-level ``read:`` list (each added line carries a marker, or the
    whole ``read:`` key when there was none)."""
    current = _yaml_read(text, path)
    if current is None and "read" not in _keys(text):
        items = "".join(f"  - {f}\n" for f in files)
        return put_block(text, f"# {BEGIN} (supervisor setup aider)\nread:\n{items}# {END}\n", path)
    lines = (text or "").splitlines(keepends=True)
    key = next((k for k, ln in enumerate(lines) if _READ_KEY.match(ln.rstrip("\n"))), 0)
    found = _READ_KEY.match(lines[key].rstrip("\n")) if lines else None
    rest = found.group(1).strip() if found else "?"
    block = rest == "" or rest.startswith("#")
    if not isinstance(current, list) or not block or not _block_items(lines, key):
        raise ParseError(
            "read: is not a block list",
            path=path,
            line=key + 1,
            hint=f"write it as `read:` followed by `  - FILE` lines, or add {', '.join(files)} "
            "to it yourself",
        )
    missing = [f for f in files if f not in {str(x) for x in current}]
    if not missing:
        return text
    last = _block_items(lines, key)[-1]
    indent = _ITEM.match(lines[last].rstrip("\n"))
    pad = indent.group(1) if indent else "  "
    if not lines[last].endswith("\n"):
        lines[last] += "\n"
    new = [f"{pad}- {f}  {MARK}\n" for f in missing]
    return "".join([*lines[: last + 1], *new, *lines[last + 1 :]])


def drop_read(text: str | None, path: str) -> str | None:
    if text is None:
        return None
    _yaml_read(text, path)
    text = drop_block(text, path)
    if text is None:
        return None
    kept = [ln for ln in text.splitlines(keepends=True) if not ln.rstrip().endswith(MARK)]
    out = "".join(kept)
    return out if out.strip() else None


def _keys(text: str | None) -> set[str]:
    return {ln.split(":", 1)[0] for ln in (text or "").splitlines() if re.match(r"^\w[\w-]*:", ln)}


def _block_items(lines: list[str], key: int) -> list[int]:
    """Line indexes of the block-sequence items under the ``read:`` key at ``key``."""
    out: list[int] = []
    for k in range(key + 1, len(lines)):
        raw = lines[k].rstrip("\n")
        if _ITEM.match(raw):
            out.append(k)
        elif raw.strip() and not raw.lstrip().startswith("#"):
            break
    return out
