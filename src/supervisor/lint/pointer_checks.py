"""Pointers (P2xx): every ``path:N``, ``path:a-b[,c-d]`` and ``path#LN`` in a brief, ledger,
plan or other markdown file names an existing workspace file and lines inside it.

A path that does not exist as written resolves when exactly one workspace file ends with it
(see :mod:`.files`): the line check then runs on that file, findings name it, and the short
pointer itself is P206 (off unless enabled; ``--fix-safe`` writes the full path). Two or more
such files: P205, listing them.

In a ledger, done items and the Attempts History entries other than each item's newest are
not checked: they record what was true when written (see :func:`history_lines`).

Skipped, because they cannot be workspace paths yet: placeholders (``$STAMP``, ``<STAMP>``,
``{a,b}`` brace lists, ``*`` globs, ``...`` / ``…`` ellipses) and URLs. Absolute paths
(``/tmp/x.log:3``) and paths that climb out of the workspace are warnings (P203).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Sequence

from supervisor.config import Statuses
from supervisor.lint.context import LintContext
from supervisor.lint.files import Found
from supervisor.lint.findings import Finding, at, finding
from supervisor.model import Anchor, Item, Ledger
from supervisor.parse.fields import BRACKET_ID_RE, first_word, ids_in, normalize_id
from supervisor.parse.pointers import find_anchors

_CANDIDATE = re.compile(r"\.[A-Za-z0-9]{1,8}(?::\d|#L\d)")
_PLACEHOLDER = re.compile(r"[$<>{}*…]|\.\.\.")
_FILE_EXT = re.compile(r"\.[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*$")  # `1.5:3` is not a file
_TOKEN_STOP = set(" \t`'\"()[]|,;=")
_ABSOLUTE = re.compile(
    r"(?<![\w.~:/-])((?:/|~/)(?:[\w.~-]+/)*[\w.-]+\.[A-Za-z0-9]{1,8}):(\d+(?:\s?[-–]\s?\d+)?)"
)


def _prefix(line: str, start: int) -> str:
    """The part of the whitespace/backtick-delimited token before ``start``."""
    k = start
    while k > 0 and line[k - 1] not in _TOKEN_STOP:
        k -= 1
    return line[k:start]


def _locate(
    lines: Sequence[str], anchors: list[Anchor], first: int
) -> Iterator[tuple[Anchor, str]]:
    """Each anchor with the token text before it on its line (for placeholder detection)."""
    cursor: dict[int, int] = {}
    for a in anchors:
        n = a.span.start
        line = lines[n - first]
        pos = line.find(a.raw, cursor.get(n, 0))
        if pos < 0:
            pos = line.find(a.raw)
        cursor[n] = pos + 1
        yield a, _prefix(line, max(pos, 0))


def history_lines(ledger: Ledger, statuses: Statuses) -> set[int]:
    """Lines that record the past: the whole section of an item whose status is done, and
    the Attempts History entries that are not their item's newest (the last in the file
    and the highest numbered). Their pointers were right when written and drift as the code
    changes; rewriting the record is not the fix."""
    out: set[int] = set()
    for item in ledger.items:
        status = item.value("Status")
        if status is not None and statuses.kind(first_word(status)) == "done":
            out.update(range(item.span.start, item.span.end + 1))
            continue
        entries = list(item.attempts)
        if len(entries) < 2:
            continue
        numbered = [a for a in entries if a.number is not None]
        newest = {id(entries[-1])}
        if numbered:
            newest.add(id(max(numbered, key=lambda a: a.number_end or a.number or 0)))
        for a in entries:
            if id(a) not in newest:
                out.update(range(a.span.start, a.span.end + 1))
    return out


def check_pointers(ctx: LintContext, rel: str, skip: set[int] | None = None) -> Iterator[Finding]:
    """Pointers in ``rel``, except on the lines in ``skip`` (a ledger's past attempts)."""
    lines = ctx.lines(rel)
    ledger = _ledger_for_items(ctx, rel)
    for n, line in enumerate(lines, start=1):
        if _CANDIDATE.search(line) is None:  # cheap necessary condition for any pointer
            continue
        if skip and n in skip:
            continue
        yield from _line_pointers(ctx, rel, n, line, ledger)


def checkable(rel: str, n: int, line: str) -> Iterator[tuple[Anchor, str | None]]:
    """The pointers on line ``n`` of ``rel`` that name a workspace file, each with its
    normalized path (None when it points outside the workspace). Placeholders, URLs and
    tokens without a file extension are skipped."""
    for a, before in _locate([line], find_anchors([line], rel, n), n):
        if _PLACEHOLDER.search(before) or _PLACEHOLDER.search(a.target):
            continue
        if not _FILE_EXT.search(a.target):
            continue
        if before.endswith(("://", ":/")) or "://" in before:
            continue
        target = posixpath.normpath(a.target)
        outside = a.target.startswith(("/", "~")) or target == ".." or target.startswith("../")
        yield a, None if outside else target


def _line_pointers(
    ctx: LintContext, rel: str, n: int, line: str, ledger: Ledger | None
) -> Iterator[Finding]:
    for a, target in checkable(rel, n, line):
        if target is None:
            yield finding(
                "P203",
                a.span,
                f"`{a.raw}` points outside the workspace",
                "use a workspace-relative path, or drop the line anchor",
            )
            continue
        yield from _resolve(ctx, a, target, ledger)
    for m in _ABSOLUTE.finditer(line):
        if _PLACEHOLDER.search(m.group(1)):
            continue
        yield finding(
            "P203",
            at(rel, n),
            f"`{m.group(0)}` is an absolute path, outside the workspace",
            "copy the file into the workspace (e.g. the evidence bundle) and point there",
        )


def _listed(paths: Sequence[str], most: int = 5) -> str:
    shown = ", ".join(paths[:most])
    return shown + (f" and {len(paths) - most} more" if len(paths) > most else "")


def full_pointer(a: Anchor, path: str) -> str:
    """``a.raw`` with its path replaced by ``path`` (the line part kept as written)."""
    return path + a.raw[len(a.target) :]


def short_pointer_target(ctx: LintContext, citing: str, a: Anchor, target: str) -> str | None:
    """The full path for a short pointer that resolves to one file with its lines in range
    (what ``--fix-safe`` writes for P206), else None."""
    res = ctx.resolve(citing, target)
    if res.found is not Found.RESOLVED:
        return None
    n = ctx.target(res.path).lines
    return res.path if all(1 <= lo <= hi <= n for lo, hi in a.ranges) else None


def _resolve(ctx: LintContext, a: Anchor, target: str, ledger: Ledger | None) -> Iterator[Finding]:
    res = ctx.resolve(a.span.path, target)
    if res.found is Found.IGNORED:
        return
    if res.found is Found.DIRECTORY or res.found is Found.MISSING:
        what = "is a directory" if res.found is Found.DIRECTORY else "does not exist"
        fix = "fix the path, or drop the pointer until the file exists"
        if len(res.candidates) == 1:
            fix = f"did you mean `{full_pointer(a, res.candidates[0])}`? (names are case-sensitive)"
        elif res.candidates:
            fix = f"names are case-sensitive; files that differ in case: {_listed(res.candidates)}"
        yield finding("P201", a.span, f"`{a.raw}`: {target} {what}", fix)
        return
    if res.found is Found.AMBIGUOUS:
        yield finding(
            "P205",
            a.span,
            f"`{a.raw}`: {target} does not exist and {len(res.candidates)} files end with it: "
            f"{_listed(res.candidates)}",
            "write the full path of the file meant",
        )
        return
    path = res.path
    t = ctx.target(path)
    shown = path if res.found is Found.EXACT else f"{path} (resolved from {target})"
    bad = [(lo, hi) for lo, hi in a.ranges if lo < 1 or hi < lo or hi > t.lines]
    if bad:
        lo, hi = bad[0]
        where = "starts past the end" if lo > t.lines else "runs past the end"
        if lo < 1 or hi < lo:
            where = "is not a valid line range"
        yield finding(
            "P202",
            a.span,
            f"`{a.raw}` {where}: {shown} has {t.lines} lines",
            f"point at lines within 1-{t.lines} (re-run `supervisor next` to recompute pointers)",
        )
        return
    if res.found is Found.RESOLVED:
        yield finding(
            "P206",
            a.span,
            f"`{a.raw}` is a short pointer: the file is {path}",
            f"write `{full_pointer(a, path)}` (supervisor lint --fix-safe)",
        )
    if ledger is not None and path == ledger.path:
        yield from _wrong_item(ctx, a, ledger)


def _ledger_for_items(ctx: LintContext, rel: str) -> Ledger | None:
    """The workspace ledger, for checking which item a pointer into it lands in (not when
    linting the ledger itself: its self-references are history)."""
    path = ctx.config.paths.ledger
    if rel == path or not ctx.ws.exists(path):
        return None
    return ctx.ledger(path)


def _wrong_item(ctx: LintContext, a: Anchor, ledger: Ledger) -> Iterator[Finding]:
    line = ctx.lines(a.span.path)[a.span.start - 1]
    ids = {normalize_id(m.group(1)) for m in BRACKET_ID_RE.finditer(line)} | set(ids_in(line))
    named = {i for i in ids if ledger.item(i) is not None}
    if len(named) != 1:
        return
    want = named.pop()
    lo = a.ranges[0][0]
    hit = _item_at(ledger, lo)
    if hit is None or not hit.id or hit.id == want:
        return
    home = ledger.item(want)
    assert home is not None
    yield finding(
        "P204",
        a.span,
        f"`{a.raw}` is cited for [{want}] but line {lo} is inside [{hit.id}]",
        f"point at [{want}]'s section, lines {home.span.start}-{home.span.end}",
    )


def _item_at(ledger: Ledger, line: int) -> Item | None:
    for item in ledger.items:
        if item.span.start <= line <= item.span.end:
            return item
    return None
