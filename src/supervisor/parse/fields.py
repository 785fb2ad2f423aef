"""Field bullets (``- Label (qualifier): value``) and small text helpers shared by parsers.

Labels may be bold (``- **Status**: …`` or ``- **Status:** …``), carry a parenthetical
qualifier that itself contains a colon (``Test Results (2025-09-30 20:00 UTC):``), and values
may carry notes in parentheses or after an em dash. Matching is on the label prefix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from supervisor.model import Field, Span

# An item ID: CLI-FLAGS-003, PERF-PYTORCH-005-CUDAGRAPHS, AT‑PARALLEL‑002 (U+2011 hyphens).
ID_PATTERN = r"[A-Z][A-Z0-9]*(?:[-\u2011][A-Z0-9]+)+"
# Bare (unbracketed) IDs must be 5+ characters so "A-D" or "B2-B4" are not taken for items.
ID_RE = re.compile(rf"(?<![A-Za-z0-9-])(?=[A-Z0-9\u2011-]{{5,}}){ID_PATTERN}(?![A-Za-z0-9])")
BRACKET_ID_RE = re.compile(rf"\[({ID_PATTERN})\]")

_LABEL = r"([A-Za-z][A-Za-z0-9/&'+._ -]{0,60}?)\s*(?:\(([^()\n]{0,160})\))?"
_BOLD_FIELD = re.compile(rf"^[-*][ \t]+\*\*{_LABEL}\s*(?::\*\*|\*\*\s*:)[ \t]*(.*)$")
_PLAIN_FIELD = re.compile(rf"^[-*][ \t]+{_LABEL}\s*:(?!//)[ \t]*(.*)$")
_BACKTICK = re.compile(r"`([^`\n]+)`")
_PATHLIKE = re.compile(r"^[\w.~$<>{}\-][\w.~$<>{}/,*+\-]*/[\w.~$<>{}/,*+\-]*$|^[\w.\-]+\.\w{1,5}$")
_BOLD = re.compile(r"\*\*|__")
# Runs to collapse: 2+ blanks, or any one blank that is not a plain space (a lone space is
# left alone, so a long line of words costs no substitutions).
_SPACES = re.compile(r"[\s\u00a0\u202f]{2,}|[^\S ]|[\u00a0\u202f]")


def normalize_id(raw: str) -> str:
    """``AT‑PARALLEL‑002`` (non-breaking hyphens) -> ``AT-PARALLEL-002``."""
    return raw.replace("\u2011", "-").strip()


def plain(text: str) -> str:
    """Text with bold markers removed and whitespace (NBSP, narrow NBSP) collapsed."""
    if "**" not in text and "__" not in text and "  " not in text and text.isprintable():
        return text.strip()  # the common case: nothing to remove or collapse
    return _SPACES.sub(" ", _BOLD.sub("", text)).strip()


def first_word(value: str) -> str:
    """First word of a status/priority value: ``**done** (archived)`` -> ``done``."""
    m = _FIRST_WORD.match(plain(value).lstrip("`*_ "))
    return m.group(0) if m else ""


_FIRST_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")


def match_field(line: str) -> tuple[str, str | None, str] | None:
    """``(label, qualifier, value)`` when ``line`` is a flush-left field bullet."""
    if not line or line[0] not in "-*" or len(line) < 3:
        return None
    m = _BOLD_FIELD.match(line) or _PLAIN_FIELD.match(line)
    if not m:
        return None
    label = plain(m.group(1))
    if not label or label[0] == "[":
        return None
    return label, m.group(2), m.group(3).strip()


def _continues(line: str, prev_blank: bool) -> bool:
    """Whether a non-field line belongs to the field above it."""
    if not line.strip():
        return True
    if line[0] in " \t":
        return True
    if line[0] in "*-+" or line[0].isdigit():
        return True  # a flush-left bullet that is not a field (e.g. an attempt at indent 0)
    return not prev_blank  # lazy continuation of a paragraph


def scan_fields(
    lines: Sequence[str], first: int, last: int, path: str, fenced: frozenset[int]
) -> list[Field]:
    """Fields among lines ``first..last`` (1-based, inclusive)."""
    fields: list[Field] = []
    cur: tuple[str, str | None, str, int] | None = None
    cur_end = 0
    prev_blank = False

    def close() -> None:
        if cur is None:
            return
        label, qual, value, start = cur
        end = cur_end
        while end > start and not lines[end - 1].strip():
            end -= 1
        raw = "\n".join(lines[start - 1 : end])
        fields.append(Field(label, qual, value, raw, Span(path, start, end)))

    for n in range(first, last + 1):
        line = lines[n - 1]
        hit = None if n in fenced else match_field(line)
        if hit is not None:
            close()
            cur = (*hit, n)
            cur_end = n
        elif cur is not None:
            if n in fenced or _continues(line, prev_blank):
                cur_end = n
            else:
                close()
                cur = None
        prev_blank = not line.strip()
    close()
    return fields


def field_body(field: Field) -> str:
    """A field's text: the inline value plus its continuation lines, dedented."""
    lines = field.raw.split("\n")
    rest = lines[1:]
    indents = [len(x) - len(x.lstrip()) for x in rest if x.strip()]
    cut = min(indents) if indents else 0
    body = [field.value] + [x[cut:] for x in rest]
    return "\n".join(body).strip("\n")


def find_field(fields: Iterable[Field], label: str) -> Field | None:
    """First field whose label equals ``label`` (case-insensitive), else the first with it as
    a prefix (``Plan Reference`` finds ``Plan References``)."""
    want = label.lower()
    pool = list(fields)
    for f in pool:
        if f.label.lower() == want:
            return f
    for f in pool:
        if f.label.lower().startswith(want):
            return f
    return None


def backticked(text: str) -> list[str]:
    return [m.group(1).strip() for m in _BACKTICK.finditer(text)]


def paths_in(text: str) -> list[str]:
    """Path-like tokens in backticks (``reports/…/{a,b}``, ``plans/x/plan.md``), in order."""
    out: list[str] = []
    for tok in backticked(text):
        tok = tok.rstrip(".,;:")
        if " " not in tok and _PATHLIKE.match(tok) and tok not in out:
            out.append(tok)
    return out


def ids_in(text: str) -> list[str]:
    """Item IDs mentioned in ``text`` (normalized, in order, no repeats)."""
    out: list[str] = []
    for m in ID_RE.finditer(text):
        ident = normalize_id(m.group(0))
        if ident not in out:
            out.append(ident)
    return out


_LIST_BULLET = re.compile(r"^([ \t]*)(?:[*+-]|\d{1,3}[.)])[ \t]+(.*)$")


@dataclass(frozen=True)
class ListEntry:
    """One entry of a list inside a field (an attempt, a Next Action, an exit criterion)."""

    head: str  # the first line without its bullet or number
    text: str  # the whole entry, dedented
    span: Span


def _fenced_rows(lines: Sequence[str]) -> frozenset[int]:
    out: set[int] = set()
    fence: str | None = None
    for i, line in enumerate(lines):
        s = line.lstrip()
        if fence is None:
            if s.startswith(("```", "~~~")):
                fence = s[:3]
                out.add(i)
        else:
            out.add(i)
            if s.startswith(fence) and not s[3:].strip("`~ "):
                fence = None
    return frozenset(out)


def list_entries(field: Field) -> tuple[ListEntry, ...]:
    """Entries of the list under a field: a bullet or number at the first list indentation
    (or shallower) starts one; deeper lines, fences and continuations belong to it."""
    lines = field.raw.split("\n")
    fenced = _fenced_rows(lines)
    indent: int | None = None
    starts: list[int] = []
    for i in range(1, len(lines)):
        m = None if i in fenced else _LIST_BULLET.match(lines[i])
        if m is None:
            continue
        width = len(m.group(1).expandtabs(4))
        indent = width if indent is None else indent
        if width <= indent:
            starts.append(i)
    out = []
    for k, s in enumerate(starts):
        e = (starts[k + 1] if k + 1 < len(starts) else len(lines)) - 1
        while e > s and not lines[e].strip():
            e -= 1
        m = _LIST_BULLET.match(lines[s])
        head = m.group(2) if m else lines[s].strip()
        body = lines[s : e + 1]
        cut = len(body[0]) - len(body[0].lstrip())
        text = "\n".join(x[cut:] if x[:cut].strip() == "" else x.lstrip() for x in body)
        path, first = field.span.path, field.span.start
        out.append(ListEntry(head, text, Span(path, first + s, first + e)))
    return tuple(out)


# --------------------------------------------------------------------------- references

_MD_PATH = re.compile(
    r"(?<![\w/.~$<>{}-])((?:\.{1,2}/)?[\w.~-]+(?:/[\w.~-]+)*\.md)(?:#[\w.-]*)?(?![\w/])"
)
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+")
_BARE_ID_HEAD = re.compile(r"^[A-Z]{2,}[-\u2011]")
_FIELD_HEAD = re.compile(r"^[ \t]*[-*][ \t]+(?:\*\*)?[^:\n]*?:(?:\*\*)?")


def _field_text(raw: str) -> str:
    """A field's raw text without its ``- Label:`` head (so the label is never a match)."""
    lines = raw.split("\n")
    if lines and match_field(lines[0]) is not None:
        lines[0] = _FIELD_HEAD.sub("", lines[0], count=1)
    return "\n".join(lines)


def plan_refs(raw: str) -> tuple[str, ...]:
    """Markdown paths a ``Plan Reference`` field names, with or without backticks or a link:
    ``plans/active/t1/plan.md``, `` `plans/x.md` ``, ``[plan](plans/x/plan.md)``. In order,
    no repeats; ``#anchors`` and URLs are dropped."""
    text = _URL.sub(" ", _field_text(raw))
    out: list[str] = []
    for tok in backticked(text):
        tok = tok.rstrip(".,;:").split("#", 1)[0]
        if " " not in tok and tok.endswith(".md") and tok not in out:
            out.append(tok)
    for m in _MD_PATH.finditer(text):
        tok = m.group(1)
        if tok not in out:
            out.append(tok)
    return tuple(out)


def dependency_ids(raw: str) -> tuple[str, ...]:
    """Item IDs a ``Depends on:`` field names, bracketed (``[ABC-001]``) or bare
    (``ABC-001``), normalized, in order, no repeats. A bare ID must start with a word of two
    or more letters, so phase ranges like ``B2-B4`` are not taken for items."""
    text = _field_text(raw)
    found: list[tuple[int, str]] = [
        (m.start(1), normalize_id(m.group(1))) for m in BRACKET_ID_RE.finditer(text)
    ]
    found += [
        (m.start(), normalize_id(m.group(0)))
        for m in ID_RE.finditer(text)
        if _BARE_ID_HEAD.match(m.group(0))
    ]
    found.sort()
    return tuple(dict.fromkeys(ident for _, ident in found))
