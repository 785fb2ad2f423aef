"""Attempts filed under the wrong item (L126): an entry whose number breaks its own item's
sequence (a duplicate, the far side of a gap, a step backwards) but whose number, date and
text fit another item's sequence. The fix is to move the entry, never to renumber it: its
number is part of the record (briefs and commits cite it).

An entry fits an item when
- number: the item does not use the number and its sequence has room for it (a hole below
  its highest number, or the next number after it);
- date: its date (``YYYY-MM-DD`` prefix) lies between the dates of the item's nearest
  entries below and above that number (missing dates do not count against it);
- text: it names that item's ID, and no other item (its own included).
It is reported as misfiled when the one item it names fits on all three and its own item
has no room for its number. Entries covering a range of numbers are never moved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from supervisor.model import Attempt, Item, Ledger
from supervisor.parse.fields import BRACKET_ID_RE, ids_in, normalize_id

_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True)
class Misfiled:
    attempt: Attempt
    home: Item  # where it is filed
    better: Item  # where it fits
    before: Attempt | None  # the better item's nearest entry numbered below it
    after: Attempt | None  # the better item's nearest entry numbered above it

    def message(self) -> str:
        a = self.attempt
        near = [
            f"#{n.number} (line {n.span.start})" for n in (self.before, self.after) if n is not None
        ]
        dated = f"; dated {_day(a)}, in step with them" if _day(a) and near else ""
        return (
            f"[{self.home.id}] Attempt #{a.number} (lines {a.span.start}-{a.span.end}) fits "
            f"[{self.better.id}]'s sequence, not this one: it names [{self.better.id}], which "
            f"lacks #{a.number} and has {' and '.join(near)}{dated}"
        )

    def fix(self) -> str:
        a = self.attempt
        where = (
            f"after line {self.before.span.end} (its #{self.before.number})"
            if self.before is not None
            else f"before line {self.after.span.start} (its #{self.after.number})"
            if self.after is not None
            else "into its Attempts History"
        )
        return (
            f"move lines {a.span.start}-{a.span.end} under [{self.better.id}]'s Attempts "
            f"History, {where}; keep the number"
        )


def _day(a: Attempt | None) -> str | None:
    if a is None or not a.date:
        return None
    m = _DATE.match(a.date.strip())
    return m.group(1) if m else None


def _numbers(item: Item, skip: Attempt | None = None) -> dict[int, Attempt]:
    out: dict[int, Attempt] = {}
    for a in item.attempts:
        if a is skip or a.number is None:
            continue
        for n in range(a.number, min(a.number_end or a.number, a.number + 50) + 1):
            out.setdefault(n, a)
    return out


def _names(a: Attempt, known: set[str]) -> set[str]:
    text = a.head + "\n" + a.text
    found = {normalize_id(m.group(1)) for m in BRACKET_ID_RE.finditer(text)} | set(ids_in(text))
    return found & known


def _fits_number(nums: dict[int, Attempt], n: int) -> bool:
    return bool(nums) and n not in nums and n <= max(nums) + 1


def _neighbours(nums: dict[int, Attempt], n: int) -> tuple[Attempt | None, Attempt | None]:
    below = [k for k in nums if k < n]
    above = [k for k in nums if k > n]
    return (
        nums[max(below)] if below else None,
        nums[min(above)] if above else None,
    )


def _fits_date(a: Attempt, before: Attempt | None, after: Attempt | None) -> bool:
    day = _day(a)
    if day is None:
        return True
    lo, hi = _day(before), _day(after)
    return (lo is None or lo <= day) and (hi is None or day <= hi)


def _suspects(item: Item) -> list[Attempt]:
    """Entries that break the item's own sequence: duplicates, both sides of a step
    backwards, and the entry after a gap."""
    numbered = [a for a in item.attempts if a.number is not None]
    out: list[Attempt] = []
    seen: dict[int, Attempt] = {}
    for prev, a in zip([None, *numbered], numbered, strict=False):
        assert a.number is not None
        if a.number in seen:
            out += [seen[a.number], a]
        seen.setdefault(a.number, a)
        if prev is not None and prev.number is not None:
            last = prev.number_end or prev.number
            if a.number < last or a.number > last + 1:
                out += [prev, a]
    return list(dict.fromkeys(out))


def find_misfiled(ledger: Ledger) -> dict[tuple[str, int], Misfiled]:
    """Misfiled entries by (item ID, first line)."""
    known = {i.id for i in ledger.items if i.id}
    items = [i for i in ledger.items if i.id and not i.headless]
    out: dict[tuple[str, int], Misfiled] = {}
    numbers: dict[str, dict[int, Attempt]] = {}
    for item in items:
        suspects = _suspects(item)
        if not suspects:
            continue
        for a in suspects:
            n = a.number
            if n is None or (a.number_end or n) != n:
                continue
            named = _names(a, known)
            if len(named) != 1 or item.id in named:
                continue
            if _fits_number(_numbers(item, skip=a), n):
                continue
            fits: list[Misfiled] = []
            for other in items:
                if other.id == item.id or other.id not in named:
                    continue
                nums = numbers.setdefault(other.id, _numbers(other))
                if not _fits_number(nums, n):
                    continue
                before, after = _neighbours(nums, n)
                if _fits_date(a, before, after):
                    fits.append(Misfiled(a, item, other, before, after))
            if len(fits) == 1:
                out[(item.id, a.span.start)] = fits[0]
    return out
