"""Which ledger item a piece of free text means: by ID, by ID prefix, by plan path, by title.

Used for the loop's own signals (Active Focus entries, operator goals, commit subjects), which
name their item however the writer liked: ``[PARSER-002]``, ``PARSER``, ``Launch Phase A of
plans/active/guard/plan.md``, or words of the title. Pure: text and an index in, a
:class:`Mention` (item and how it matched) out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from supervisor.model import Item, Ledger
from supervisor.parse.fields import normalize_id, plan_refs

# An ID-like token: uppercase words joined by hyphens (``PLAN-PARSER``, ``AT-TIER2-CHECK``); a
# single word (``PARSER``) counts as an ID prefix only where it is a leading label (``PARSER:``).
_TOKEN = re.compile(r"(?<![A-Za-z0-9-])([A-Z][A-Z0-9]*(?:[-\u2011][A-Z0-9]+)*)(?![a-z0-9])")
_PATH = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)+[\w.-]+\.md)\b")
_WORD = re.compile(r"[a-z][a-z0-9_]{2,}")
_STOP_WORDS = (
    "the and for with from into that this then than when only also plan plans phase task "
    "tasks item items fix add run use make keep work next step done open close update "
    "before after review firm needed implement delegate starting them other all any its "
    "their these those case cases test tests docs"
)
_STOP = frozenset(_STOP_WORDS.split())


@dataclass(frozen=True)
class Mention:
    item: str
    how: str  # "id", "prefix", "plan", "title"
    token: str  # what matched: the ID, the prefix, the path or the title words


class ItemIndex:
    """IDs, plan references and title words of a ledger's items, for resolving mentions."""

    def __init__(self, ledger: Ledger, plans: dict[str, str] | None = None) -> None:
        self.ids: tuple[str, ...] = ledger.ids
        self._upper = {i.upper(): i for i in self.ids}
        self._ledger = ledger
        self._extra_plans = plans or {}
        self._plans_map: dict[str, str] | None = None  # built on first plan lookup
        self._titles_map: dict[str, frozenset[str]] | None = None  # on first title lookup

    def _first_sections(self) -> list[Item]:
        seen: set[str] = set()
        out = []
        for item in self._ledger.items:
            if item.id and item.id not in seen:
                seen.add(item.id)
                out.append(item)
        return out

    @property
    def _plans(self) -> dict[str, str]:
        """Plan path -> the item whose Plan Reference names it."""
        if self._plans_map is None:
            self._plans_map = {}
            for item in self._first_sections():
                for path in _plan_refs(item):
                    self._plans_map.setdefault(path, item.id)
            for path, ident in self._extra_plans.items():
                self._plans_map.setdefault(path, ident)
        return self._plans_map

    @property
    def _titles(self) -> dict[str, frozenset[str]]:
        if self._titles_map is None:
            self._titles_map = {i.id: frozenset(_words(i.title)) for i in self._first_sections()}
        return self._titles_map

    def by_id(self, token: str) -> str | None:
        return self._upper.get(normalize_id(token).upper())

    def by_prefix(self, token: str) -> str | None:
        """The one item whose ID starts with ``token-`` (``PLAN-PARSER`` -> ``PLAN-PARSER-002``)."""
        want = normalize_id(token).upper() + "-"
        hits = [i for u, i in self._upper.items() if u.startswith(want)]
        return hits[0] if len(hits) == 1 else None

    def by_plan(self, path: str) -> str | None:
        path = path.strip("`").removeprefix("./")
        hit = self._plans.get(path)
        if hit is None:  # a plan cited by its directory (``plans/active/x/``)
            stem = path.rstrip("/")
            hits = {i for p, i in self._plans.items() if p.rsplit("/", 1)[0] == stem}
            hit = hits.pop() if len(hits) == 1 else None
        return hit

    def by_title(self, text: str) -> tuple[str, frozenset[str]] | None:
        """The item whose title words best overlap ``text`` (at least two shared words, or all
        of a one- or two-word title), ties broken by ledger order; None when none does."""
        words = frozenset(_words(text))
        best: tuple[int, str, frozenset[str]] | None = None
        for ident, title in self._titles.items():
            common = title & words
            need = min(2, len(title))
            if need and len(common) >= need and (best is None or len(common) > best[0]):
                best = (len(common), ident, common)
        return None if best is None else (best[1], best[2])

    def mentions(self, text: str, *, titles: bool = False) -> list[Mention]:
        """Items named in ``text``, in order of first appearance: exact IDs, then ID prefixes,
        plan paths, and (when ``titles``) title words; each item once."""
        found: list[tuple[int, Mention]] = []
        for m in _TOKEN.finditer(text):
            tok = m.group(1)
            ident = self.by_id(tok)
            if ident is not None:
                found.append((m.start(), Mention(ident, "id", tok)))
                continue
            label = (
                m.start() == len(text) - len(text.lstrip()) and text[m.end() : m.end() + 1] == ":"
            )
            if "-" in tok or label:
                ident = self.by_prefix(tok)
                if ident is not None:
                    found.append((m.start(), Mention(ident, "prefix", tok)))
        for m in _PATH.finditer(text):
            ident = self.by_plan(m.group(1))
            if ident is not None:
                found.append((m.start(), Mention(ident, "plan", m.group(1))))
        found.sort(key=lambda x: x[0])
        out: list[Mention] = []
        for _, mention in found:
            if all(o.item != mention.item for o in out):
                out.append(mention)
        if not out and titles:
            hit = self.by_title(text)
            if hit is not None:
                out.append(Mention(hit[0], "title", " ".join(sorted(hit[1]))))
        return out

    def first(self, text: str, *, titles: bool = False) -> Mention | None:
        hits = self.mentions(text, titles=titles)
        return hits[0] if hits else None


def _plan_refs(item: Item) -> list[str]:
    refs: list[str] = []
    for f in item.fields:
        if f.label.lower().startswith("plan"):
            refs += list(plan_refs(f.raw))
            refs += [m.group(1) for m in _PATH.finditer(f.raw)]
    return list(dict.fromkeys(r.removeprefix("./") for r in refs))


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower().replace("-", " ")) if w not in _STOP]
