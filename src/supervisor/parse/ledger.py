"""The ledger ``docs/fix_plan.md`` -> :class:`Ledger`, tolerant of every era in the corpus.

One line-level outline pass finds item headings, rules and fences; fields are split by line;
markdown-it runs only over the small header regions (Index table, Active Focus list).
Attempts are parsed lazily per item (see :attr:`Item.attempts`).
"""

from __future__ import annotations

import re
from bisect import bisect_right

from supervisor.model import ConflictRegion, FocusEntry, IndexRow, Item, Ledger, Span
from supervisor.parse.fields import (
    BRACKET_ID_RE,
    ID_PATTERN,
    ids_in,
    match_field,
    normalize_id,
    paths_in,
    plain,
    scan_fields,
)
from supervisor.parse.markdown import Outline, outline, split_row

_ITEM = re.compile(rf"^\[({ID_PATTERN})\]\s*(.*)$")
_LAST_UPDATED = re.compile(r"^\*\*Last Updated:?\*\*:?\s*(.*)$|^Last Updated:\s*(.*)$")
_FOCUS_LABEL = re.compile(r"^\*\*Active Focus:?\*\*:?\s*(.*)$|^Active Focus:\s*(.*)$")
_FOCUS_TAG = re.compile(r"^([A-Z][A-Z0-9 _/&-]{1,40}):\s+(.*)$")
_BULLET = re.compile(r"^[ \t]{0,3}[-*+][ \t]+(.*)$")
_ROW_BULLET = re.compile(rf"^[-*+][ \t]+\[({ID_PATTERN})\][ \t]*(.*)$")
_ANCHOR_CELL = re.compile(rf"^\[({ID_PATTERN})\](?:\((#[^)]*)\))?(.*)$")
_DELIMITER = re.compile(r"^:?-{1,}:?$")
_HEADLESS_LABELS = {"spec/at", "priority", "status", "owner/date"}


def parse_ledger(text: str, path: str, item_heading: re.Pattern[str] | None = None) -> Ledger:
    """``item_heading``: a compiled pattern with an ``id`` group (and optionally ``title``)
    matched against heading texts; default ``[ID] Title``."""
    from supervisor import gcpolicy

    with gcpolicy.paused(large=len(text) > gcpolicy.LARGE_BYTES):
        return _parse_ledger(text, path, item_heading)


def _parse_ledger(text: str, path: str, item_heading: re.Pattern[str] | None) -> Ledger:
    o = outline(text)
    ends = _Sections(o)
    heads = _item_headings(o, item_heading)
    items = [_item(o, ends, path, ln, level, ident, title) for ln, level, ident, title in heads]
    items += _headless(o, ends, path, {i.span.start for i in items})
    items.sort(key=lambda i: i.span.start)
    header_end = (items[0].span.start - 1) if items else o.line_count
    index = _index(o, ends, path, header_end)
    items = _recover_headless(items, index)
    last, last_span = _last_updated(o, path, header_end)
    return Ledger(
        path=path,
        title=next((h.text for h in o.headings if h.level == 1 and h.line <= header_end), None),
        last_updated=last,
        last_updated_span=last_span,
        active_focus=_active_focus(o, path, header_end),
        index=index,
        items=tuple(items),
        conflicts=tuple(ConflictRegion(Span(path, a, b)) for a, b in o.conflicts),
        line_count=o.line_count,
    )


def _item_headings(o: Outline, pattern: re.Pattern[str] | None) -> list[tuple[int, int, str, str]]:
    out = []
    for h in o.headings:
        if h.level in (2, 3):
            if pattern is None:
                m = _ITEM.match(h.text)
                if m:
                    out.append((h.line, h.level, normalize_id(m.group(1)), m.group(2).strip()))
                continue
            c = pattern.match(h.text)
            if c:
                title = c.groupdict().get("title") or ""
                out.append((h.line, h.level, normalize_id(c.group("id")), title.strip()))
    return out


class _Sections:
    """Section ends in O(log n) each: per heading level L, the sorted lines of headings of
    level <= L, and the sorted rule lines (built once, so sectioning is linear overall)."""

    def __init__(self, o: Outline) -> None:
        self.o = o
        self.by_level = [
            [h.line for h in o.headings if h.level <= level] for level in range(7)
        ]  # headings are in line order already
        self.rules = list(o.rules)

    def end(self, start: int, level: int) -> int:
        """Last line of a section that starts at ``start``: before the next heading of level
        ``<= level`` or the next ``---`` rule, trailing blank lines dropped."""
        o = self.o
        end = o.line_count
        heads = self.by_level[max(0, min(level, 6))]
        k = bisect_right(heads, start)
        if k < len(heads):
            end = heads[k] - 1
        r = bisect_right(self.rules, start)
        if r < len(self.rules):
            end = min(end, self.rules[r] - 1)
        while end > start and not o.line(end).strip():
            end -= 1
        return end


def _item(
    o: Outline, ends: _Sections, path: str, line: int, level: int, ident: str, title: str
) -> Item:
    end = ends.end(line, level)
    fields = scan_fields(o.lines, line + 1, end, path, o.fenced) if end > line else []
    return Item(ident, title, level, tuple(fields), Span(path, line, end))


def _headless(o: Outline, ends: _Sections, path: str, taken: set[int]) -> list[Item]:
    """Bodies that follow a ``---`` rule with their ``## [ID]`` heading lost."""
    out = []
    for r in o.rules:
        n = r + 1
        while n <= o.line_count and not o.line(n).strip():
            n += 1
        if n > o.line_count or n in taken or n in o.fenced:
            continue
        hit = match_field(o.line(n))
        if hit is None or hit[0].lower() not in _HEADLESS_LABELS:
            continue
        end = ends.end(n, 3)
        fields = scan_fields(o.lines, n, end, path, o.fenced)
        out.append(Item("", "", 0, tuple(fields), Span(path, n, end), headless=True))
    return out


def _recover_headless(items: list[Item], index: tuple[IndexRow, ...]) -> list[Item]:
    """Give a headless body the ID of the one Index row that has no section, when unique;
    else the orphan row whose ID matches the body's plan-reference slug."""
    have = {i.id for i in items if i.id}
    orphans = list(dict.fromkeys(r.id for r in index if r.id not in have))
    out = []
    for item in items:
        if item.headless and not item.id:
            ident = orphans[0] if len(orphans) == 1 else _by_plan_slug(item, orphans)
            if ident:
                title = next((r.title for r in index if r.id == ident), "")
                item = Item(ident, title, 0, item.fields, item.span, headless=True)
                orphans.remove(ident)
        out.append(item)
    return out


def _by_plan_slug(item: Item, orphans: list[str]) -> str:
    ref = item.field("Plan Reference")
    if ref is None:
        return ""
    for p in paths_in(ref.raw):
        stem = p.rsplit("/", 1)[-1].removesuffix(".md")
        if stem == "plan":
            stem = p.rstrip("/").rsplit("/", 2)[-2]
        hits = [i for i in orphans if i.lower().startswith(stem.lower())]
        if len(hits) == 1:
            return hits[0]
    return ""


def _last_updated(o: Outline, path: str, header_end: int) -> tuple[str | None, Span | None]:
    for n in range(1, header_end + 1):
        m = _LAST_UPDATED.match(o.line(n))
        if m:
            return plain(m.group(1) or m.group(2) or ""), Span(path, n, n)
    return None, None


def _focus_entry(text: str, path: str, n: int) -> FocusEntry:
    text = text.strip()
    tag = None
    m = _FOCUS_TAG.match(text)
    if m and not m.group(1).startswith("["):
        tag, text = m.group(1).strip(), m.group(2)
    b = BRACKET_ID_RE.search(text)
    ident = normalize_id(b.group(1)) if b else next(iter(ids_in(text)), None)
    return FocusEntry(tag, ident, text, Span(path, n, n))


def _active_focus(o: Outline, path: str, header_end: int) -> tuple[FocusEntry, ...]:
    out: list[FocusEntry] = []
    for n in range(1, header_end + 1):
        line = o.line(n)
        m = _FOCUS_LABEL.match(line)
        heading = line.startswith("#") and plain(line.lstrip("#")).lower() == "active focus"
        if not (m or heading):
            continue
        inline = (m.group(1) or m.group(2) or "").strip() if m else ""
        if inline:
            out.append(_focus_entry(inline, path, n))
        k = n + 1
        while k <= header_end:
            cur = o.line(k)
            if cur.startswith("#") or (k in o.rules) or _FOCUS_LABEL.match(cur):
                break
            if cur.startswith("**") and not _BULLET.match(cur):
                break
            b = _BULLET.match(cur)
            if b:
                out.append(_focus_entry(b.group(1), path, k))
            elif cur.strip() and heading:
                out.append(_focus_entry(cur, path, k))
            k += 1
        break
    return tuple(out)


def _index(o: Outline, ends: _Sections, path: str, header_end: int) -> tuple[IndexRow, ...]:
    start = next(
        (h for h in o.headings if h.line <= header_end and plain(h.text).lower() == "index"), None
    )
    if start is None:
        return ()
    end = ends.end(start.line, start.level)
    end = min(end, header_end)
    rows: list[IndexRow] = []
    region = o.lines[start.line : end]  # lines start.line+1 .. end
    if any(x.lstrip().startswith("|") for x in region):
        rows += _table_rows(region, path, start.line + 1)
    for k, line in enumerate(region):
        m = _ROW_BULLET.match(line)
        if m:
            rows.append(_bullet_row(m.group(1), m.group(2), path, start.line + 1 + k))
    rows.sort(key=lambda r: r.span.start)
    return tuple(rows)


def _table_rows(region: tuple[str, ...], path: str, first: int) -> list[IndexRow]:
    """Index table rows, split line by line (the header is always ``| ID | Title | … |``)."""
    out = []
    col: dict[str, int] = {}
    for k, line in enumerate(region):
        if not line.lstrip().startswith("|"):
            continue
        raw = split_row(line)
        cells = [plain(c) for c in raw]
        if all(_DELIMITER.match(c) for c in cells):
            continue
        if cells and cells[0].upper() == "ID":
            col = {name.lower(): i for i, name in enumerate(cells)}
            continue
        m = _ANCHOR_CELL.match(raw[0]) if raw else None
        if not m:
            continue

        def cell(name: str, default: int, cs: list[str] = cells, cols: dict[str, int] = col) -> str:
            i = cols.get(name, default)
            return cs[i] if i < len(cs) else ""

        line_no = first + k
        out.append(
            IndexRow(
                id=normalize_id(m.group(1)),
                title=cell("title", 1),
                anchor=m.group(2),
                priority=cell("priority", 2),
                status=cell("status", 3),
                span=Span(path, line_no, line_no),
            )
        )
    return out


def _bullet_row(ident: str, rest: str, path: str, line: int) -> IndexRow:
    title, _, tail = rest.partition(" — ")
    pm = re.search(r"Priority:\s*([^,]+)", tail)
    sm = re.search(r"Status:\s*(.*)$", tail)
    status = sm.group(1) if sm else ("" if pm else tail)
    return IndexRow(
        id=normalize_id(ident),
        title=title.strip(),
        anchor=None,
        priority=plain(pm.group(1)) if pm else "",
        status=plain(status),
        span=Span(path, line, line),
    )
