"""The ledger audit of an agent turn: only the focus item may gain content.

Pure: two ledger texts (at the turn's start, and now) in, the problems and a unified diff out.
Both texts go through the one ledger parser; every item section is compared by its text, and
the lines outside the sections (title, header, Index, text between sections) are compared with
the two lines ``record-attempt`` may change there masked: the Last Updated line and the focus
item's Index row(s). The focus item's section may change, but the attempts it already had must
all still be there (history is append-only).
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass

from supervisor.model import Item, Ledger
from supervisor.parse.ledger import parse_ledger
from supervisor.parse.markdown import split_lines

MAX_DIFF_LINES = 400
_MASK = "\0(changed by record-attempt)"


@dataclass(frozen=True)
class LedgerAudit:
    problems: tuple[str, ...]
    diff: tuple[str, ...]  # unified diff, turn start -> now (empty when nothing changed)

    @property
    def ok(self) -> bool:
        return not self.problems


def _keyed(ledger: Ledger) -> dict[tuple[str, int], Item]:
    seen: Counter[str] = Counter()
    out: dict[tuple[str, int], Item] = {}
    for it in ledger.items:
        key = it.id.upper() or "(headless section)"
        out[(key, seen[key])] = it
        seen[key] += 1
    return out


def _section(lines: list[str], it: Item) -> str:
    return "\n".join(lines[it.span.start - 1 : it.span.end])


def _outside(ledger: Ledger, lines: list[str], focus: str) -> list[str]:
    """The lines outside every item section, with what record-attempt may change masked."""
    covered: set[int] = set()
    for it in ledger.items:
        covered.update(range(it.span.start, it.span.end + 1))
    masked = {r.span.start for r in ledger.rows(focus)}
    if ledger.last_updated_span is not None:
        masked.add(ledger.last_updated_span.start)
    return [
        _MASK if n in masked else line for n, line in enumerate(lines, start=1) if n not in covered
    ]


def _name(key: tuple[str, int]) -> str:
    ident, k = key
    label = ident if ident.startswith("(") else f"[{ident}]"
    return label + (f" (copy {k + 1})" if k else "")


def audit_ledger(before: str, after: str, rel: str, focus: str) -> LedgerAudit:
    """Compare the ledger at the turn's start (``before``) with ``after``; ``focus`` is the
    item the agent was given."""
    if before == after:
        return LedgerAudit((), ())
    want = focus.strip().strip("[]").upper()
    old, new = parse_ledger(before, rel), parse_ledger(after, rel)
    lb, la = split_lines(before), split_lines(after)
    ko, kn = _keyed(old), _keyed(new)
    problems: list[str] = []
    for key, it in ko.items():
        if key not in kn:
            problems.append(f"{_name(key)} was deleted (it was lines {it.span.start}-"
                            f"{it.span.end})")  # fmt: skip
        elif key[0] != want and _section(lb, it) != _section(la, kn[key]):
            problems.append(f"{_name(key)} was rewritten (now lines {kn[key].span.start}-"
                            f"{kn[key].span.end})")  # fmt: skip
    for key, it in kn.items():
        if key not in ko:
            problems.append(f"{_name(key)} was added (lines {it.span.start}-{it.span.end})")
    common = [k for k in ko if k in kn]
    if [k for k in kn if k in ko] != common:
        problems.append("items were reordered")
    for key in common:
        if key[0] == want:
            kept = Counter(a.text for a in kn[key].attempts)
            for a in ko[key].attempts:
                if kept[a.text] > 0:
                    kept[a.text] -= 1
                else:
                    which = f"Attempt #{a.number}" if a.number is not None else "an entry"
                    problems.append(f"{_name(key)} lost or rewrote {which} of its Attempts "
                                    f"History (was line {a.span.start})")  # fmt: skip
    if _outside(old, lb, want) != _outside(new, la, want):
        problems.append(
            "the text outside the item sections (title, header, Index) changed beyond the Last "
            f"Updated line and the [{want}] Index row"
        )
    diff = list(difflib.unified_diff(lb, la, f"a/{rel} (turn start)", f"b/{rel}", lineterm=""))
    if len(diff) > MAX_DIFF_LINES:
        diff = [*diff[:MAX_DIFF_LINES], f"… ({len(diff) - MAX_DIFF_LINES} more diff lines)"]
    return LedgerAudit(tuple(problems), tuple(diff))
