r"""The order of the stage files of a directory (and of the taps of one container file).

Stage files are usually numbered (``layer.1``, ``layer.2``, ``layer.10``; ``00_embed``,
``01_attn``), so the default order is *natural*: runs of digits compare as numbers, the rest
as text (``layer.2`` before ``layer.10``), the plain name breaking ties. When the names carry
no order, ``--order`` gives it: a file listing one name or glob a line (``#`` comments and
blank lines skipped), or, when no such file exists, comma-separated globs
(``--order 'embed*,layer.*,head*'``). Items are placed by their first matching pattern, in
pattern order (natural order among the items one glob matches); items no pattern matches
follow, in natural order, and are counted. A pattern that matches nothing on either side is an
error, so a typo never silently reorders a diff.

A pattern matches an item's name, or its name without the extension (``embed`` matches
``embed.npy``). A name that is not UTF-8 (or holds control characters) is matched as given
on the command line and as the report shows it (:mod:`supervisor.escapes`: byte 0xff as the
4 characters ``\xff``), so an order file, which is UTF-8 text, can list it as printed. The
order used is kept as an :class:`Order` and printed by the report.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from supervisor.errors import UsageError, close_matches
from supervisor.escapes import escape_controls

T = TypeVar("T")

_DIGITS = re.compile(r"(\d+)")
_GLOB = re.compile(r"[*?\[]")


def natural_key(name: str) -> tuple[tuple[tuple[int, str | int], ...], str]:
    """Sort key: digit runs compare as numbers (``layer.2`` < ``layer.10``), text as text."""
    parts = _DIGITS.split(name)
    key = tuple((0, int(p)) if k % 2 else (1, p) for k, p in enumerate(parts) if p)
    return key, name


@dataclass(frozen=True)
class Pattern:
    """One ``--order`` entry and where it was given (file and 1-based line, or the flag)."""

    text: str
    source: str
    line: int | None = None

    def matches(self, name: str) -> bool:
        shown = escape_controls(name)  # as printed: an undecodable byte as \xff
        return self._matches(name) or (shown != name and self._matches(shown))

    def _matches(self, name: str) -> bool:
        stem = name.rsplit(".", 1)[0] if "." in name[1:] else name
        if _GLOB.search(self.text):
            return fnmatch.fnmatchcase(name, self.text) or fnmatch.fnmatchcase(stem, self.text)
        return self.text in (name, stem)


@dataclass(frozen=True)
class OrderSpec:
    """A parsed ``--order`` value: its patterns, in order."""

    patterns: tuple[Pattern, ...]
    source: str  # the order file, or "--order"


@dataclass(frozen=True)
class Order:
    """The order a trace's items were read in: ``natural`` or ``explicit`` (``--order``)."""

    rule: str
    names: tuple[str, ...]
    source: str = ""  # explicit: the order file or "--order"
    unmatched: int = 0  # explicit: items no pattern matched (placed last)
    unused: tuple[Pattern, ...] = ()  # explicit: patterns that matched no item

    def describe(self, limit: int = 8) -> str:
        shown = ", ".join(self.names[:limit])
        more = f", … (+{len(self.names) - limit})" if len(self.names) > limit else ""
        how = "natural order of the numbered names" if self.rule == "natural" else self.source
        tail = f"; {self.unmatched} not in the order, placed last" if self.unmatched else ""
        return f"{self.rule} ({how}{tail}): {shown}{more}"


def parse_order(value: str) -> OrderSpec:
    """``--order FILE|GLOBS``: an existing file lists patterns one a line; else comma-separated."""
    p = Path(value)
    if p.is_file():
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(
                f"--order {value}: cannot read the order file ({exc})",
                hint="pass a UTF-8 text file with one name or glob a line",
            ) from None
        pats = tuple(
            Pattern(line.strip(), str(p), n)
            for n, line in enumerate(text.splitlines(), 1)
            if line.strip() and not line.lstrip().startswith("#")
        )
        if not pats:
            raise UsageError(
                f"{p}: the order file lists no names",
                hint="write one stage file name or glob a line",
            )
        return OrderSpec(pats, str(p))
    pats = tuple(Pattern(x.strip(), "--order") for x in value.split(",") if x.strip())
    if not pats:
        raise UsageError(
            "--order is empty", hint="pass an order file, or globs such as 'embed*,layer.*'"
        )
    return OrderSpec(pats, "--order")


def arrange(
    items: Sequence[T], name: Callable[[T], str], spec: OrderSpec | None
) -> tuple[list[T], Order]:
    """``items`` in natural order of their names, or in ``spec``'s order."""
    ordered = sorted(items, key=lambda x: natural_key(name(x)))
    if spec is None:
        return ordered, Order("natural", tuple(name(x) for x in ordered))
    placed: list[list[T]] = [[] for _ in spec.patterns]
    rest: list[T] = []
    for item in ordered:
        n = name(item)
        k = next((k for k, pat in enumerate(spec.patterns) if pat.matches(n)), None)
        (rest if k is None else placed[k]).append(item)
    out = [x for got in placed for x in got] + rest
    unused = tuple(pat for pat, got in zip(spec.patterns, placed, strict=True) if not got)
    return out, Order("explicit", tuple(name(x) for x in out), spec.source, len(rest), unused)


def refuse_unused(spec: OrderSpec, orders: Sequence[Order]) -> None:
    """A pattern that matched nothing in any of the traces is an error (a typo, most likely)."""
    if not orders:
        return
    unused = [p for p in spec.patterns if all(p in o.unused for o in orders)]
    if not unused:
        return
    pat = unused[0]
    names = list(dict.fromkeys(escape_controls(n) for o in orders for n in o.names))  # shown
    stems = [n.rsplit(".", 1)[0] if "." in n[1:] else n for n in names]
    near = close_matches(pat.text, dict.fromkeys([*stems, *names]))
    if near:
        hint = f"did you mean {', '.join(near)}?"
    else:
        hint = "names read: " + ", ".join(names[:10]) + (" …" if len(names) > 10 else "")
    if pat.line is not None:
        raise UsageError(
            f"order entry '{pat.text}' matches no stage file or tap",
            path=pat.source,
            line=pat.line,
            hint=hint,
        )
    raise UsageError(f"--order '{pat.text}' matches no stage file or tap", hint=hint)
