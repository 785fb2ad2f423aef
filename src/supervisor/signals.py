"""The loop's own signals for selection, gathered once per turn: the operator's ordered goals,
the focus of the last brief, and the subjects of the latest commits.

Gathering reads files through the :class:`Workspace` (so the ``next`` cache sees them) and, for
commit subjects, git (live: ``git log`` on the workspace; replay: the history before the turn).
The data is plain and frozen; :mod:`supervisor.select` decides what it means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from supervisor.errors import SupervisorError
from supervisor.model import Span

if TYPE_CHECKING:  # pragma: no cover
    from supervisor.workspace import Workspace


@dataclass(frozen=True)
class Goal:
    rank: int  # 1 = highest
    text: str
    span: Span | None  # where it is written (None for goals in supervisor.yaml)


@dataclass(frozen=True)
class Commit:
    sha: str  # abbreviated
    subject: str


@dataclass(frozen=True)
class Signals:
    goals: tuple[Goal, ...] = ()
    goals_note: str | None = None  # why no goals were read, when some were configured
    last_brief: str | None = None  # the focus item of the brief the last turn worked from
    last_brief_path: str | None = None
    commits: tuple[Commit, ...] = ()  # newest first


_TAGGED = re.compile(r"<(\d{1,3})>\s*(.*?)\s*</\1>", re.S)
_BULLET = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(.*)$")


def parse_goals(text: str, path: str, start: str, end: str) -> tuple[Goal, ...]:
    """Goals between the ``start`` and ``end`` markers of ``text``, highest first: numbered
    ``<N>…</N>`` blocks (in order of N), else list items, else paragraphs."""
    a = text.find(start)
    if a < 0:
        return ()
    body_at = a + len(start)
    b = text.find(end, body_at)
    body = text[body_at : b if b >= 0 else len(text)]
    first_line = text.count("\n", 0, body_at) + 1

    def span(offset: int, length: int) -> Span:
        s = first_line + body.count("\n", 0, offset)
        return Span(path, s, s + body.count("\n", offset, offset + length))

    tagged = list(_TAGGED.finditer(body))
    if tagged:
        ordered = sorted(tagged, key=lambda m: int(m.group(1)))
        return tuple(
            Goal(n, " ".join(m.group(2).split()), span(m.start(), len(m.group(0))))
            for n, m in enumerate(ordered, start=1)
            if m.group(2).strip()
        )
    goals: list[Goal] = []
    offset = 0
    for line in body.splitlines(keepends=True):
        m = _BULLET.match(line)
        if m and m.group(1).strip():
            goals.append(Goal(len(goals) + 1, m.group(1).strip(), span(offset, 0)))
        offset += len(line)
    if goals:
        return tuple(goals)
    paras = [p for p in re.split(r"\n\s*\n", body) if p.strip()]
    out: list[Goal] = []
    for p in paras:
        at = body.find(p)
        text_ = " ".join(p.split())
        if text_.lower().startswith("in order of"):
            continue
        out.append(Goal(len(out) + 1, text_, span(at, len(p))))
    return tuple(out)


def gather(ws: Workspace, commits: tuple[Commit, ...] | None = None) -> Signals:
    """Signals of ``ws``. ``commits`` overrides the git read (replay passes the history
    before the turn)."""
    sel = ws.config.selection
    goals: tuple[Goal, ...] = tuple(
        Goal(n, text, None) for n, text in enumerate(sel.goals, start=1)
    )
    note = None
    if sel.goals_file is not None:
        gf = sel.goals_file
        if ws.exists(gf.path):
            try:
                text = ws.read_text(gf.path, what="goals file")
            except SupervisorError as exc:
                note = f"goals file not read: {exc}"
            else:
                goals += tuple(
                    Goal(g.rank + len(goals), g.text, g.span)
                    for g in parse_goals(text, gf.path, gf.start, gf.end)
                )
                if not goals:
                    note = f"{gf.path}: no goals between {gf.start!r} and {gf.end!r}"
        else:
            note = f"goals file {gf.path} not found"
    last = None
    brief = ws.config.paths.brief
    if ws.exists(brief):
        from supervisor.parse.brief import parse_brief

        try:
            last = parse_brief(ws.read_text(brief, what="brief"), brief).focus_id
        except SupervisorError:
            last = None
    if commits is None:
        commits = _git_subjects(ws, sel.history) if sel.history > 0 else ()
    return Signals(goals, note, last, brief if last else None, commits[: sel.history])


def _git_subjects(ws: Workspace, limit: int) -> tuple[Commit, ...]:
    from supervisor import gitio

    return tuple(Commit(sha, subject) for sha, subject in gitio.recent_subjects(ws.root, limit))
