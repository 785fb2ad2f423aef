"""What the item's history tells the next turn: its latest attempts and its dependencies.

Attempts are ordered by number (``#45, #71, #46`` in file order reads as #71 latest), ties
kept in file order; each is summarized by its result and its ``Metrics`` / ``Observations``
lines (plain continuation lines or nested bullets, bold labels or not), bounded. Dependencies
are the items named by ``Depends on:`` with their status as the ledger states it now.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from supervisor.brief.text import one_line
from supervisor.config import Config
from supervisor.model import Attempt, Item, Ledger
from supervisor.parse.fields import BRACKET_ID_RE, ids_in, normalize_id

RECENT = 3
_DETAIL = re.compile(
    r"^(?:[-*+]\s+)?(?:\*\*|__)?(Metrics?|Observations?(?:/Hypothes[ie]s)?|Hypothes[ie]s|"
    r"Findings?|Root cause|First Divergence)\b[^:\n]{0,40}?(?:\*\*|__)?\s*:(?:\*\*|__)?\s*(.+)$",
    re.IGNORECASE,
)


def latest_attempts(item: Item, count: int = RECENT) -> tuple[Attempt, ...]:
    """The ``count`` numerically latest attempts, latest first."""
    numbered = [(a.number_end or a.number or 0, k, a) for k, a in enumerate(item.attempts)]
    ranked = sorted((x for x in numbered if x[2].number is not None), key=lambda x: x[:2])
    return tuple(a for _, _, a in reversed(ranked[-count:]))


def attempt_details(attempt: Attempt, most: int = 4, scan: int = 60) -> list[str]:
    """The attempt's metrics and observations lines, as ``Label: text`` (at most ``most``,
    from its first ``scan`` lines: a long entry keeps its findings near the top)."""
    out = []
    for line in attempt.text.split("\n", scan + 1)[1 : scan + 1]:
        s = line.lstrip()
        if s[:1] in "-*+" or s[:1].isalpha() or s[:2] in ("**", "__"):
            m = _DETAIL.match(s.rstrip())
            if m:
                out.append(f"{m.group(1)}: {m.group(2).strip()}")
                if len(out) == most:
                    break
    return out


def attempt_summary(attempt: Attempt, limit: int = 420) -> str:
    """``#N [date] (outcome): result; Metrics: …; Observations: …``, bounded."""
    date = f" [{attempt.date}]" if attempt.date else ""
    head = f"attempt #{attempt.number}{date} ({attempt.outcome.value}): "
    body = "; ".join([one_line(attempt.result, 10_000), *attempt_details(attempt)])
    return head + one_line(body, max(80, limit - len(head)))


@dataclass(frozen=True)
class Dependency:
    id: str
    item: Item | None  # None when the ledger has no section for it
    status: str  # first word of the status, lowercased ("" when unknown)
    kind: str  # active | blocked | done | unknown | missing

    def summary(self) -> str:
        if self.item is None:
            return f"depends on [{self.id}], which has no section in the ledger"
        what = f"depends on [{self.id}] {self.item.title}: status {self.status or '(none)'}"
        what += f" ({self.kind})" if self.kind != self.status else ""
        latest = latest_attempts(self.item, 1)
        if latest:
            a = latest[0]
            date = f" [{a.date}]" if a.date else ""
            what += f"; latest attempt #{a.number}{date} ({a.outcome.value})"
        return what


def _status(item: Item, ledger: Ledger) -> str:
    from supervisor.select import status_word

    return status_word(item, ledger)


def dependencies(item: Item, ledger: Ledger, config: Config) -> tuple[Dependency, ...]:
    """Items named by ``Depends on:`` (bracketed IDs always, bare ones the ledger has)."""
    f = item.field("Depends on") or item.field("Depends")
    if f is None:
        return ()
    ids = [normalize_id(m.group(1)) for m in BRACKET_ID_RE.finditer(f.raw)]
    ids += [i for i in ids_in(f.raw) if ledger.item(i) is not None]
    out = []
    for ident in dict.fromkeys(i for i in ids if i != item.id):
        dep = ledger.item(ident)
        if dep is None:
            out.append(Dependency(ident, None, "", "missing"))
            continue
        status = _status(dep, ledger)
        out.append(Dependency(ident, dep, status, config.statuses.kind(status) or "unknown"))
    return tuple(out)
