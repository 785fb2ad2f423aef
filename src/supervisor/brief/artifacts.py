"""Where the brief tells the agent to put its evidence: the plan's own path when it gives one.

Looked for in this order, the first source that names one wins:

1. the task's guidance (or, with no task, the Next Action being worked);
2. an ``Artifacts:`` line inside the current phase;
3. the plan's Context fields whose label starts with ``Artifact`` (``Artifact Policy``,
   ``Artifacts``, ``Artifact root``, ``Artifact Storage Convention``);
4. the item's ``Artifacts…`` field (``Artifacts Root``).

A candidate is a backticked path under the configured reports directory. A path holding a
concrete timestamp (``…/20251008T075949Z/…``) cites past evidence, not where new evidence
goes, so it is skipped. A ``phase_<x>`` placeholder is filled with the current phase. Only
when no source names one does the brief fall back to the computed
``<reports>/<ITEM>/phase_<x>/$STAMP/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from supervisor.model import Field, Item, Phase, Plan, Span
from supervisor.parse.fields import paths_in

_STAMPED = re.compile(r"(?<!\d)(?:\d{8}T\d{6}Z?|\d{4}-\d{2}-\d{2}T\d{2}|\d{8}-\d{6})(?!\d)")
_PHASE_SLOT = re.compile(r"phase_<[^<>/]{1,12}>")
_ARTIFACT_LINE = re.compile(r"^\s*(?:[-*]\s+)?(?:\*\*)?Artifacts?\b[^:\n]{0,30}:")
_LIMIT = 3


@dataclass(frozen=True)
class ArtifactPaths:
    paths: tuple[str, ...]
    source: Span | None  # where the plan or ledger names them; None when computed

    @property
    def text(self) -> str:
        return ", ".join(self.paths)


def _candidates(text: str, reports: str, phase: Phase | None) -> list[str]:
    base = reports.rstrip("/") + "/"
    out: list[str] = []
    for p in paths_in(text):
        if not p.startswith(base) or _STAMPED.search(p) or p == base:
            continue
        if phase is not None and phase.id:
            p = _PHASE_SLOT.sub(f"phase_{phase.id.lower()}", p)
        if p not in out:
            out.append(p)
    return out[:_LIMIT]


def _phase_lines(plan_lines: list[str], phase: Phase) -> Iterable[tuple[int, str]]:
    for n in range(phase.span.start, min(phase.span.end, len(plan_lines)) + 1):
        line = plan_lines[n - 1]
        if _ARTIFACT_LINE.match(line) and not line.lstrip().startswith("|"):
            yield n, line


def _fields(fields: Iterable[Field]) -> Iterable[Field]:
    return (f for f in fields if f.label.lower().startswith("artifact"))


def plan_artifacts(
    reports: str,
    item: Item,
    plan: Plan | None,
    plan_lines: list[str],
    phase: Phase | None,
    step_text: str,
    step_span: Span | None,
) -> ArtifactPaths | None:
    """The artifact paths the plan or ledger gives for this step, or None (see module doc).
    ``step_text``/``step_span``: the task guidance or the Next Action being worked."""
    found = _candidates(step_text, reports, phase)
    if found and step_span is not None:
        return ArtifactPaths(tuple(found), step_span)
    if plan is not None and phase is not None:
        for n, line in _phase_lines(plan_lines, phase):
            found = _candidates(line, reports, phase)
            if found:
                return ArtifactPaths(tuple(found), Span(plan.path, n, n))
    sources = [*(_fields(plan.context) if plan is not None else ()), *_fields(item.fields)]
    for f in sources:
        found = _candidates(f.raw, reports, phase)
        if found:
            return ArtifactPaths(tuple(found), f.span)
    return None
