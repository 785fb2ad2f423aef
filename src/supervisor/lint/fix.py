"""The mechanical fixes of ``supervisor lint --fix-safe`` and the checks that share them.

Only three kinds of change are ever made: an Index row's Status cell is set to its section's
status word (L103), trailing whitespace is removed from table rows (L118), and a short
pointer that resolves to exactly one file, with its lines in range, gets that file's full
path (P206, only when the code is enabled: it is off by default). Fixes are
recomputed from the file's text under the write lock (``record.atomic.rewrite``), applied
as span edits bottom-up, and verified to touch only the intended lines before the atomic
replace; a unified diff of every change is returned.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from supervisor.model import Anchor, IndexRow, Item, Ledger
from supervisor.parse.fields import first_word
from supervisor.parse.markdown import cell_spans, outline, split_row
from supervisor.record.edits import Edit, apply_edits, verify_confined

STATUS_COLUMN = 3  # | ID | Title | Priority | Status |
_BEFORE = re.compile(r"[\w/.:-]")  # a pointer's path never continues a longer token

# (citing file, pointer, normalized path) -> the full path to write, or None to leave it
Rewrite = Callable[[str, Anchor, str], "str | None"]


@dataclass(frozen=True)
class FixResult:
    path: str
    codes: tuple[str, ...]
    lines: tuple[int, ...]  # old-file lines changed
    diff: str


@dataclass(frozen=True)
class Mismatch:
    row: IndexRow
    item: Item
    row_word: str
    item_word: str


def index_mismatches(ledger: Ledger) -> list[Mismatch]:
    """Index rows whose Status first word differs from their (first) section's."""
    out = []
    for row in ledger.index:
        sections = ledger.find(row.id)
        value = sections[0].value("Status") if sections else None
        if value is None:
            continue
        row_word, item_word = first_word(row.status), first_word(value)
        if row_word and item_word and row_word.lower() != item_word.lower():
            out.append(Mismatch(row, sections[0], row_word, item_word))
    return out


def trailing_space_rows(lines: Sequence[str], fenced: frozenset[int]) -> list[int]:
    """1-based lines of table rows (outside fences) that end in whitespace."""
    out = []
    for n, line in enumerate(lines, start=1):
        if n in fenced or not line[:4].lstrip(" ").startswith("|"):
            continue
        if line != line.rstrip():
            out.append(n)
    return out


def status_cell_edit(line: str, word: str) -> str | None:
    """``line`` with its Status cell's text replaced by ``word`` (padding kept)."""
    cells = split_row(line)
    bounds = cell_spans(line)
    if len(bounds) != len(cells) or len(cells) <= STATUS_COLUMN:
        return None
    a, b = bounds[STATUS_COLUMN]
    cell = line[a:b]
    lead = cell[: len(cell) - len(cell.lstrip())] or " "
    trail = cell[len(cell.rstrip()) :] or " "
    return line[:a] + lead + word + trail + line[b:]


def ledger_edits(text: str, rel: str, codes: Iterable[str]) -> list[tuple[str, Edit]]:
    from supervisor.parse.ledger import parse_ledger

    want = set(codes)
    o = outline(text)
    lines = list(o.lines)
    fixed: dict[int, tuple[str, str]] = {}  # line -> (new text, code)
    if "L103" in want:
        for m in index_mismatches(parse_ledger(text, rel)):
            n = m.row.span.start
            new = status_cell_edit(lines[n - 1], m.item_word)
            if new is not None:
                fixed[n] = (new, "L103")
    if "L118" in want:
        for n in trailing_space_rows(lines, o.fenced):
            base, code = fixed.get(n, (lines[n - 1], "L118"))
            fixed[n] = (base.rstrip(), code)
    return [(code, Edit.replace(n, new, code)) for n, (new, code) in sorted(fixed.items())]


def plan_edits(text: str, codes: Iterable[str]) -> list[tuple[str, Edit]]:
    if "L118" not in set(codes):
        return []
    o = outline(text)
    rows = trailing_space_rows(o.lines, o.fenced)
    return [("L118", Edit.replace(n, o.line(n).rstrip(), "L118")) for n in rows]


def _swap(line: str, raw: str, new: str) -> str:
    """``line`` with its first whole-token ``raw`` replaced by ``new`` (a full path ends with
    the short one, but after a ``/``, so it is never matched again)."""
    k = line.find(raw)
    while k >= 0:
        before_ok = k == 0 or not _BEFORE.match(line[k - 1])
        after = line[k + len(raw) : k + len(raw) + 1]
        if before_ok and not (after.isalnum() or after in ("_", ".")):
            return line[:k] + new + line[k + len(raw) :]
        k = line.find(raw, k + 1)
    return line


def pointer_edits(text: str, rel: str, rewrite: Rewrite) -> dict[int, str]:
    """Lines of ``text`` whose short pointers get their full paths: ``{line: new text}``."""
    from supervisor.lint.pointer_checks import checkable

    out: dict[int, str] = {}
    for n, line in enumerate(outline(text).lines, start=1):
        if ":" not in line and "#L" not in line:
            continue
        new = line
        for a, target in checkable(rel, n, line):
            full = rewrite(rel, a, target) if target is not None else None
            if full is not None:
                new = _swap(new, a.raw, full + a.raw[len(a.target) :])
        if new != line:
            out[n] = new
    return out


def apply_fixes(
    root: Path,
    files: Sequence[tuple[str, str]],
    codes: Iterable[str],
    rewrite_pointer: Rewrite | None = None,
) -> tuple[FixResult, ...]:
    """Apply the safe fixes to ``files`` (``(rel, kind)``) under locks: L103 to ledgers, L118
    to ledgers and plans, P206 (with ``rewrite_pointer``) to every markdown file."""
    from supervisor.record.atomic import rewrite

    want = set(codes) & FIXABLE_CODES
    if rewrite_pointer is None:
        want.discard("P206")
    kinds = dict(files)
    markdown = ("ledger", "plan", "brief", "markdown")
    targets = [
        rel
        for rel, kind in files
        if kind in ("ledger", "plan") or ("P206" in want and kind in markdown)
    ]
    if not want or not targets:
        return ()
    results: dict[str, FixResult] = {}

    def transform(texts: dict[str, str]) -> dict[str, str]:
        results.clear()
        out = {}
        for rel, old in texts.items():
            if kinds[rel] == "ledger":
                edits = ledger_edits(old, rel, want)
            elif kinds[rel] == "plan":
                edits = plan_edits(old, want)
            else:
                edits = []
            if "P206" in want and rewrite_pointer is not None:
                edits = _with_pointers(old, rel, edits, rewrite_pointer)
            if not edits:
                out[rel] = old
                continue
            new = apply_edits(old, (e for _, e in edits))
            verify_confined(old, new, [(e.start, e.end) for _, e in edits], rel)
            if kinds[rel] == "ledger":
                _same_structure(old, new, rel)
            diff = "".join(
                difflib.unified_diff(
                    old.splitlines(keepends=True),
                    new.splitlines(keepends=True),
                    fromfile=f"a/{rel}",
                    tofile=f"b/{rel}",
                )
            )
            codes_done = tuple(sorted({c for c, _ in edits}))
            lines = tuple(e.start for _, e in edits)
            results[rel] = FixResult(rel, codes_done, lines, diff)
            out[rel] = new
        return out

    written = rewrite(root, targets, transform)
    return tuple(results[rel] for rel in sorted(written) if rel in results)


FIXABLE_CODES = frozenset({"L103", "L118", "P206"})


def _with_pointers(
    text: str, rel: str, edits: list[tuple[str, Edit]], rewrite_pointer: Rewrite
) -> list[tuple[str, Edit]]:
    """``edits`` with the P206 rewrites merged in (one edit per line)."""
    lines = outline(text).lines
    by_line = {e.start: (code, e.lines[0]) for code, e in edits}
    for n, new in pointer_edits(text, rel, rewrite_pointer).items():
        code, base = by_line.get(n, ("P206", lines[n - 1]))
        if base != lines[n - 1]:  # already fixed (L103/L118): rewrite the fixed text
            merged = pointer_edits(base, rel, rewrite_pointer).get(1, base)
            by_line[n] = (code, merged)
        else:
            by_line[n] = ("P206", new)
    return [(code, Edit.replace(n, new, code)) for n, (code, new) in sorted(by_line.items())]


def _same_structure(old: str, new: str, rel: str) -> None:
    """Re-parse check: the fixed ledger has the same Index rows and the same items with the
    same spans (a fix only ever changes cell text or trailing whitespace)."""
    from supervisor.errors import WriteConflictError
    from supervisor.parse.ledger import parse_ledger

    a, b = parse_ledger(old, rel), parse_ledger(new, rel)
    same = [r.id for r in a.index] == [r.id for r in b.index] and [
        (i.id, i.span) for i in a.items
    ] == [(i.id, i.span) for i in b.items]
    if not same:
        raise WriteConflictError(
            "a safe fix would change the ledger's structure",
            path=rel,
            hint="nothing was written; this is a bug in `supervisor lint --fix-safe`",
        )
