"""Ledger consistency (L1xx): duplicates, Index vs sections, vocabularies, attempt numbering,
Next Actions citations, plan references, dependencies, size, headless sections, conflict
markers (plan progress vs item status and table whitespace: :mod:`.plan_checks`)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator

from supervisor.config import Config
from supervisor.lint.context import LintContext
from supervisor.lint.findings import Finding, at, finding
from supervisor.lint.fix import index_mismatches
from supervisor.lint.misfiled import Misfiled, find_misfiled
from supervisor.lint.plan_checks import plan_progress, reported_rows, table_space
from supervisor.model import Attempt, Field, Item, Ledger, Span
from supervisor.parse.fields import (
    BRACKET_ID_RE,
    dependency_ids,
    first_word,
    ids_in,
    normalize_id,
    plain,
    plan_refs,
)

_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})")
_CITE = re.compile(
    r"Attempts?[\s\u00a0\u202f]*#[\s\u00a0\u202f]*(\d{1,9})(?!\d)"
    r"(?:\s*(?:[–—-]|to)\s*#?\s*(\d{1,9})(?!\d))?"
)


def check_ledger(ctx: LintContext, rel: str) -> Iterator[Finding]:
    ledger = ctx.ledger(rel)
    cfg = ctx.config
    yield from _duplicates(ledger)
    yield from _index(ledger)
    for row in ledger.index:
        yield from _status_word(cfg, row.id, row.status, row.span)
    misfiled = find_misfiled(ledger)
    for item in ledger.items:
        yield from _vocabulary(item, cfg)
        yield from _attempts(item, misfiled)
        yield from _citations(item, ledger)
        yield from _references(ctx, item, ledger)
        yield from unreadable_fields(item)
    yield from plan_progress(ctx, ledger)
    yield from reported_rows(ctx, ledger)
    yield from _structure(ctx, rel, ledger)


def _duplicates(ledger: Ledger) -> Iterator[Finding]:
    first: dict[str, int] = {}
    for item in ledger.items:
        if not item.id or item.headless:
            continue
        if item.id in first:
            yield finding(
                "L101",
                at(ledger.path, item.span.start),
                f"[{item.id}] already has a section at line {first[item.id]}",
                "merge the two sections into one and delete this heading",
            )
        else:
            first[item.id] = item.span.start
    rows: dict[str, int] = {}
    for row in ledger.index:
        if row.id in rows:
            yield finding(
                "L102",
                row.span,
                f"[{row.id}] already has an Index row at line {rows[row.id]}",
                "delete the duplicate row",
            )
        else:
            rows[row.id] = row.span.start


def _index(ledger: Ledger) -> Iterator[Finding]:
    for m in index_mismatches(ledger):
        yield finding(
            "L103",
            m.row.span,
            f"Index says [{m.row.id}] is '{m.row_word}' but its section (line "
            f"{m.item.span.start}) says '{m.item_word}'",
            f"set the Index Status to {m.item_word} (supervisor lint --fix-safe)",
        )
    if not ledger.index:
        return
    have = {i.id for i in ledger.items if i.id}
    for row in ledger.index:
        if row.id not in have:
            yield finding(
                "L116",
                row.span,
                f"Index row [{row.id}] has no `## [{row.id}]` section",
                "add the section or delete the row",
            )
    rows = {r.id for r in ledger.index}
    for item in ledger.items:
        if item.id and not item.headless and item.id not in rows:
            yield finding(
                "L117",
                at(ledger.path, item.span.start),
                f"[{item.id}] has no Index row",
                f"add `| [{item.id}](#…) | {item.title} | <priority> | <status> |` to the Index",
            )


def _vocabulary(item: Item, cfg: Config) -> Iterator[Finding]:
    status = item.field("Status")
    if status is not None:
        yield from _status_word(cfg, item.id, status.value, _line(status))
    prio = item.field("Priority")
    if prio is not None:
        words = set(plain(prio.value).lower().replace("(", " ").replace(")", " ").split())
        if not any(p.lower() in words for p in cfg.priorities):
            yield finding(
                "L105",
                _line(prio),
                f"[{item.id or '?'}] priority '{plain(prio.value)}' is not "
                "one of the configured priorities",
                f"use one of: {', '.join(cfg.priorities)}",
            )


def _status_word(cfg: Config, ident: str, value: str, where: Span) -> Iterator[Finding]:
    word = first_word(value)
    if word and cfg.statuses.kind(word) is not None:
        return
    known = (*cfg.statuses.active, *cfg.statuses.blocked, *cfg.statuses.done)
    shown = word or plain(value) or "(empty)"
    yield finding(
        "L104",
        where,
        f"[{ident or '?'}] status '{shown}' is not in the configured vocabulary",
        f"use one of: {', '.join(known)} (or add it under statuses: in {cfg.rel_path})",
    )


def _attempts(item: Item, misfiled: dict[tuple[str, int], Misfiled]) -> Iterator[Finding]:
    """Numbering within one item (L106-L108), after setting aside the entries that belong to
    another item (L126: moving them is the fix, and they do not count against this one).
    A lower number dated later than the entry before it is in its place in time: its number
    is what is off, and renumbering is not a fix, so it is not L108."""
    seen: dict[int, int] = {}
    prev: tuple[int, int, str | None] | None = None  # (number, line, day)
    kept: list[Attempt] = []
    for a in item.attempts:
        if a.number is None:
            continue
        line = a.span.start
        moved = misfiled.get((item.id, line))
        if moved is not None:
            yield finding("L126", at(a.span.path, line, a.span.end), moved.message(), moved.fix())
            continue
        kept.append(a)
        if a.number in seen:
            yield finding(
                "L106",
                at(a.span.path, line),
                f"[{item.id}] Attempt #{a.number} is already at line {seen[a.number]}",
                "if both entries are this item's, give the later one the next free number "
                "(attempt numbers are unique); if it is another item's, move it there",
            )
        else:
            seen[a.number] = line
        day = _day(a.date)
        later = day is not None and prev is not None and prev[2] is not None and day > prev[2]
        if prev is not None and a.number < prev[0] and not later:
            yield finding(
                "L108",
                at(a.span.path, line),
                f"[{item.id}] Attempt #{a.number} comes after #{prev[0]} (line {prev[1]})",
                "keep Attempts History in increasing order; record new attempts at the end",
            )
        prev = (a.number_end or a.number, line, day)
    covered = _covered(kept)
    if not covered:
        return
    for lo, hi in _gaps(covered):
        after = next(a for a in kept if a.number == hi + 1)
        missing = f"#{lo}" if lo == hi else f"#{lo}–#{hi}"
        yield finding(
            "L107",
            at(after.span.path, after.span.start),
            f"[{item.id}] attempt numbers skip {missing} before Attempt #{hi + 1}",
            "record the missing attempts if they happened; never renumber recorded ones "
            "(supervisor record-attempt numbers new attempts consecutively)",
        )


def _day(date: str | None) -> str | None:
    """The ``YYYY-MM-DD`` an entry's date starts with, if any."""
    m = _DAY.match(date.strip()) if date else None
    return m.group(1) if m else None


def _covered(attempts: Iterable[Attempt]) -> set[int]:
    out: set[int] = set()
    for a in attempts:
        if a.number is not None:
            end = a.number_end if a.number_end is not None else a.number
            out.update(range(a.number, min(end, a.number + 50) + 1))
    return out


def _gaps(nums: set[int]) -> list[tuple[int, int]]:
    ordered = sorted(nums)
    return [(a + 1, b - 1) for a, b in itertools.pairwise(ordered) if b > a + 1]


def _citations(item: Item, ledger: Ledger) -> Iterator[Finding]:
    if not item.id:
        return
    covered = _covered(item.attempts)
    others = {i for i in ledger.ids if i != item.id}
    for f in item.fields:
        if "next actions" not in f.label.lower():
            continue
        for k, line in enumerate(f.raw.split("\n")):
            if "ttempt" not in line:
                continue
            named = {normalize_id(m.group(1)) for m in BRACKET_ID_RE.finditer(line)}
            if (named | set(ids_in(line))) & others:
                continue  # cites another item's attempts
            gone: list[int] = []
            for m in _CITE.finditer(line):
                lo = int(m.group(1))
                hi = int(m.group(2)) if m.group(2) else lo
                gone += [n for n in range(lo, min(hi, lo + 50) + 1) if n not in covered]
            if gone:
                nums = ", ".join(f"#{n}" for n in dict.fromkeys(gone))
                verb = "is" if len(set(gone)) == 1 else "are"
                yield finding(
                    "L109",
                    at(f.span.path, f.span.start + k),
                    f"[{item.id}] Next Actions cite Attempt {nums}, which {verb} not in its "
                    "Attempts History",
                    "record the attempt (supervisor record-attempt) or correct the citation",
                )


def _references(ctx: LintContext, item: Item, ledger: Ledger) -> Iterator[Finding]:
    for f in item.fields:
        low = f.label.lower()
        if low.startswith("plan ref"):
            for p in plan_refs(f.raw):
                if p.endswith(".md") and "<" not in p and "*" not in p and not ctx.exists(p):
                    yield finding(
                        "L110",
                        _token_line(f, p),
                        f"[{item.id}] Plan Reference `{p}` does not exist",
                        "fix the path, or create the plan (plans live under "
                        f"{ctx.config.paths.plans}/)",
                    )
        elif low.startswith("depends"):
            for dep in dependency_ids(f.raw):
                if ledger.item(dep) is None and not ledger.rows(dep):
                    yield finding(
                        "L120",
                        _token_line(f, dep),
                        f"[{item.id}] depends on [{dep}], which is not in the ledger",
                        "fix the ID or add the item",
                    )


_NONE = re.compile(r"^(?:none|n/?a|nothing|-+|—|tbd)\b", re.IGNORECASE)


def unreadable_fields(item: Item) -> Iterator[Finding]:
    """L121/L122: a Plan Reference or Depends on field the parser reads nothing from (a value
    of `none`, `n/a` or `TBD` says so on purpose and is fine)."""
    for f in item.fields:
        low = f.label.lower()
        value = plain(f.value).strip("`*_ ")
        if (not value and "\n" not in f.raw.strip()) or _NONE.match(value):
            continue
        if low.startswith("plan ref") and not plan_refs(f.raw):
            yield finding(
                "L121",
                _line(f),
                f"[{item.id}] Plan Reference names no plan file: {value[:60]!r}",
                "write the plan's path, e.g. `plans/active/<initiative>/plan.md` "
                "(see docs/formats.md#ledger)",
            )
        elif low in ("depends on", "depends") and not dependency_ids(f.raw):
            yield finding(
                "L122",
                _line(f),
                f"[{item.id}] Depends on names no item ID: {value[:60]!r}",
                "name the items by ID, e.g. `Depends on: [ABC-001], ABC-002` "
                "(see docs/formats.md#ledger)",
            )


def _structure(ctx: LintContext, rel: str, ledger: Ledger) -> Iterator[Finding]:
    limit = ctx.config.lint.ledger_max_kb
    size = len(ctx.ws.read_text(rel).encode("utf-8"))
    if size > limit * 1024:
        yield finding(
            "L113",
            at(rel, 1),
            f"ledger is {size // 1024} KB, over lint.ledger_max_kb = {limit}",
            "move done items to an archive file (e.g. docs/fix_plan_archive.md)",
        )
    for item in ledger.items:
        if item.headless:
            hint = f"`## [{item.id}] {item.title}`" if item.id else "`## [ID] Title`"
            known = f" (its Index row is probably [{item.id}])" if item.id else ""
            yield finding(
                "L114",
                at(rel, item.span.start),
                f"item body has no `## [ID]` heading{known}",
                f"add {hint} above line {item.span.start}",
            )
    for c in ledger.conflicts:
        yield finding(
            "L115",
            c.span,
            f"merge-conflict markers (lines {c.span.start}-{c.span.end})",
            "resolve the conflict and delete the <<<<<<< / ======= / >>>>>>> lines",
        )
    yield from table_space(ctx, rel)


def _line(f: Field) -> Span:
    return at(f.span.path, f.span.start)


def _token_line(f: Field, token: str) -> Span:
    for k, line in enumerate(f.raw.split("\n")):
        if token in line:
            return at(f.span.path, f.span.start + k)
    return at(f.span.path, f.span.start)
