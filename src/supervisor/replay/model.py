"""Typed results of a replay: one :class:`TurnResult` per recorded turn and a summary."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class TurnResult:
    index: int  # 1-based position among the turns replayed
    sha: str  # the commit that wrote the recorded brief
    date: str
    subject: str
    recorded_item: str | None
    recorded_phase: str | None
    recorded_task: str | None
    item: str | None  # ours
    phase: str | None
    task: str | None
    how: str  # the signal that decided our item
    item_agrees: bool
    step_agrees: bool  # same phase or same task (and same item)
    redo: bool  # our task is one an earlier successful attempt reported done
    recorded_done: bool  # the recorded brief chose an item the ledger already called done
    skipped: str | None  # why the turn was not replayed
    reason: str  # why ours differs (empty when it agrees)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Summary:
    turns: int  # turns found in the history window
    replayed: int
    skipped: int
    parse_failures: int
    item_agree: int
    step_agree: int
    redo: int
    recorded_done: int
    seconds: float

    @property
    def item_rate(self) -> float:
        return self.item_agree / self.replayed if self.replayed else 0.0

    @property
    def step_rate(self) -> float:
        return self.step_agree / self.replayed if self.replayed else 0.0

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["item_rate"] = round(self.item_rate, 4)
        d["step_rate"] = round(self.step_rate, 4)
        return d


@dataclass(frozen=True)
class ReplayResult:
    repo: str
    brief: str
    since: str | None
    until: str | None
    turns: tuple[TurnResult, ...]
    summary: Summary

    def as_dict(self) -> dict[str, Any]:
        return {
            "repo": self.repo,
            "brief": self.brief,
            "since": self.since,
            "until": self.until,
            "summary": self.summary.as_dict(),
            "turns": [t.as_dict() for t in self.turns],
        }
