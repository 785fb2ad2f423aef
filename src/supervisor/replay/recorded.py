"""What a recorded brief chose: its item (the brief parser's focus ID, resolved against the
ledger) and the phase and task it names, read against that item's plan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from supervisor.mentions import ItemIndex
from supervisor.model import Brief, Plan
from supervisor.select import step_named


@dataclass(frozen=True)
class Recorded:
    item: str | None
    phase: str | None
    task: str | None


def _keys(brief: Brief) -> list[str]:
    """The texts that state the brief's choice, most specific first."""
    out = []
    for key in ("focus", "do now", "summary"):
        sec = brief.section(key)
        if sec is not None:
            out.append(" ".join([sec.value, *sec.body[:3]]))
    return out


def recorded_choice(brief: Brief, item: str, plans: Sequence[Plan]) -> Recorded:
    """The recorded ``item`` (see :func:`recorded_item`) with the phase and task the brief
    names, read against the first of the item's ``plans`` in which it names one."""
    text = " \n ".join(_keys(brief))
    for plan in plans:
        phase, task = step_named(text, plan)
        if phase is not None or task is not None:
            return Recorded(item, phase, task)
    return Recorded(item, None, None)


def recorded_item(brief: Brief, index: ItemIndex) -> str | None:
    if brief.focus_id and not brief.focus_id.startswith("#"):
        return index.by_id(brief.focus_id) or index.by_prefix(brief.focus_id) or brief.focus_id
    for text in _keys(brief):
        m = index.first(text)
        if m is not None:
            return m.item
    return None
