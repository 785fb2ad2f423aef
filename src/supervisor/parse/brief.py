"""Briefs (``input.md``) -> :class:`Brief`: keyed sections in order, the focus, every pointer.

Survives the corpus variants (FORMATS.md §3, §5.14–15): ``Mode:`` or ``Phase:``, bulleted keys
(``- Mode: Parity``), repeated keys, ad-hoc trailing sections, early header lines, and the
template brief whose section names stand alone on their lines.
"""

from __future__ import annotations

import re

from supervisor.model import Brief, BriefSection, Span
from supervisor.parse.fields import BRACKET_ID_RE, ID_PATTERN, normalize_id
from supervisor.parse.markdown import split_lines
from supervisor.parse.pointers import find_anchors

KNOWN_KEYS = (
    "Summary",
    "Mode",
    "Phase",
    "Focus",
    "Branch",
    "Mapped tests",
    "Artifacts",
    "Do Now",
    "If Blocked",
    "Priorities & Rationale",
    "How-To Map",
    "Pitfalls To Avoid",
    "Pointers",
    "Next Up",
    "Header",
    "Active Focus",
)
_KNOWN = {k.lower() for k in KNOWN_KEYS}
_KEY = re.compile(
    r"^[ ]?(?:[-*][ \t]+)?(?P<key>[A-Za-z][A-Za-z0-9 &/+'-]{0,48}?(?:[ \t]*\([^()]{0,60}\))?)"
    r"[ \t]*:(?:[ \t]+(?P<value>.*))?$"
)
_FOCUS_ID = re.compile(rf"(?<![A-Za-z0-9-])({ID_PATTERN})(?![A-Za-z0-9])")
_SLUG = re.compile(r"fix_plan\.md#([a-z0-9][a-z0-9_-]*)")


def _key_of(line: str) -> tuple[str, str] | None:
    bare = line.strip()
    if bare.lower() in _KNOWN and not line.startswith(" "):
        return bare, ""  # template brief: "Do Now" alone on its line
    m = _KEY.match(line)
    if not m:
        return None
    key = " ".join(m.group("key").split())
    base = key.split("(")[0].strip().lower()
    known = base in _KNOWN or any(base.startswith(k + " ") for k in ("next up", "do now"))
    # Unknown keys start a section only when flush left and Title Case (Validation
    # Checklist:, Reporting Requirements:, Context 1:, Step 3:).
    if not known and (line[0] in " -*" or not key[0].isupper() or len(key.split()) > 5):
        return None
    return key, (m.group("value") or "").strip()


def parse_brief(text: str, path: str) -> Brief:
    lines = split_lines(text)
    sections: list[BriefSection] = []
    cur: tuple[str, str, int] | None = None
    in_fence = False

    def close(end: int) -> None:
        if cur is None:
            return
        key, value, start = cur
        stop = end
        while stop > start and not lines[stop - 1].strip():
            stop -= 1
        body = tuple(lines[start:stop])
        sections.append(BriefSection(key, value, body, Span(path, start, max(start, stop))))

    for n, line in enumerate(lines, start=1):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence or not line.strip():
            continue
        hit = _key_of(line) if (cur is None or not line.startswith("  ")) else None
        if hit is not None:
            close(n - 1)
            cur = (hit[0], hit[1], n)
    close(len(lines))
    sec = {s.key.lower(): s for s in reversed(sections)}  # first occurrence wins
    focus = sec["focus"].value if "focus" in sec else None
    mode = sec["mode"].value if "mode" in sec else (sec["phase"].value if "phase" in sec else None)
    return Brief(
        path=path,
        sections=tuple(sections),
        focus=focus,
        focus_id=_focus_id(sec, lines),
        mode=mode or None,
        anchors=tuple(find_anchors(lines, path)),
    )


def _id_in(text: str) -> str | None:
    m = BRACKET_ID_RE.search(text) or _FOCUS_ID.search(text)
    return normalize_id(m.group(1)) if m else None


def _focus_id(sec: dict[str, BriefSection], lines: list[str]) -> str | None:
    """The Focus item: from Focus, then header Active Focus lines, then Do Now. A
    ``docs/fix_plan.md#slug`` focus is returned as ``#slug`` for the caller to resolve."""
    for key in ("focus", "active focus", "header"):
        if key in sec:
            ident = _id_in(sec[key].value)
            if ident:
                return ident
            slug = _SLUG.search(sec[key].value)
            if slug:
                return "#" + slug.group(1)
    for line in lines[:12]:  # "Header: … | Active Focus: [ID] …" and bare header lines
        if "focus" in line.lower():
            ident = _id_in(line.split("ocus", 1)[1])
            if ident:
                return ident
    if "do now" in sec:
        text = " ".join((sec["do now"].value, *sec["do now"].body[:3]))
        ident = _id_in(text)
        if ident:
            return ident
        slug = _SLUG.search(text)
        if slug:
            return "#" + slug.group(1)
    return None
