"""Issue 15, item 10: ledger sectioning is one pass (work linear in the number of items, counted
here, never timed), item/row lookups are O(1), and very long lines are handled without
per-character or backtracking work while keeping their text."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator
from typing import Any

import pytest

from supervisor.parse import ledger as ledger_mod
from supervisor.parse.ledger import parse_ledger
from supervisor.parse.markdown import MAX_BLOCK_LINE, Outline, blocks, cell_spans, outline
from supervisor.parse.plan import parse_plan


class _Counting(tuple):  # type: ignore[type-arg]
    """A tuple that counts the elements handed out by iteration."""

    seen = 0

    def __iter__(self) -> Iterator[Any]:
        for x in super().__iter__():
            _Counting.seen += 1
            yield x


def _ledger(items: int) -> str:
    out = [
        "# Ledger",
        "",
        "## Index",
        "| ID | Title | Priority | Status |",
        "| --- | --- | --- | --- |",
    ]
    out += [f"| [SYN-{k:05d}](#s) | Item {k} | High | in_progress |" for k in range(items)]
    for k in range(items):
        out += ["", f"## [SYN-{k:05d}] Item {k}", "- Priority: High", "- Status: in_progress",
                "- Attempts History:", f"  * [2026-01-01] Attempt #1 — Result: ✅ success. {k}",
                "", "---"]  # fmt: skip
    return "\n".join(out) + "\n"


def _work(items: int, monkeypatch: pytest.MonkeyPatch) -> int:
    real = outline

    def counted(text: str) -> Outline:
        o = real(text)
        return dataclasses.replace(o, headings=_Counting(o.headings), rules=_Counting(o.rules))

    monkeypatch.setattr(ledger_mod, "outline", counted)
    _Counting.seen = 0
    parsed = parse_ledger(_ledger(items), "docs/fix_plan.md")
    assert len(parsed.items) == items and len(parsed.index) == items
    return _Counting.seen


def test_sectioning_work_is_linear_in_items(monkeypatch: pytest.MonkeyPatch) -> None:
    small, large = _work(500, monkeypatch), _work(2000, monkeypatch)
    # one pass: headings and rules are walked a fixed number of times, not once per item
    assert large <= 4 * small + 100
    assert large < 20 * 2000


def _naive_end(o: Outline, start: int, level: int) -> int:
    """The definition: before the next heading of level <= ``level`` or the next rule,
    trailing blank lines dropped."""
    end = o.line_count
    for h in o.headings:
        if h.line > start and h.level <= level:
            end = h.line - 1
            break
    for r in o.rules:
        if r > start:
            end = min(end, r - 1)
            break
    while end > start and not o.line(end).strip():
        end -= 1
    return end


def test_section_ends_match_the_definition() -> None:
    rng = random.Random(15)
    pieces = ["# T", "## A", "### B", "#### C", "---", "", "text", "- Status: x", "***"]
    for _ in range(300):
        text = "\n".join(rng.choice(pieces) for _ in range(rng.randint(1, 40))) + "\n"
        o = outline(text)
        ends = ledger_mod._Sections(o)
        for start in range(1, o.line_count + 1):
            for level in range(1, 7):
                assert ends.end(start, level) == _naive_end(o, start, level), (text, start, level)


def test_lookups_by_id() -> None:
    text = _ledger(3) + "\n## [SYN-00001] Duplicate\n- Status: done\n"
    parsed = parse_ledger(text, "f.md")
    assert [i.title for i in parsed.find("[syn-00001]")] == ["Item 1", "Duplicate"]
    assert [r.title for r in parsed.rows("SYN-00002")] == ["Item 2"]
    assert parsed.find("NOPE-001") == () and parsed.rows("NOPE-001") == ()


PLAN = """\
# Plan

### Phase A — Run
Goal: {goal}

| ID | Task Description | State | How/Why & Guidance |
| --- | --- | --- | --- |
| A1 | {task} | [ ] | plain |

{rule}
"""


def test_plan_with_multi_megabyte_lines_keeps_their_text() -> None:
    n = 3 * MAX_BLOCK_LINE
    goal = "word " * (n // 5)
    task = "`code` and " * (n // 11)
    plan = parse_plan(PLAN.format(goal=goal, task=task, rule="*" * n), "p.md")
    (phase,) = plan.phases
    assert [t.id for t in phase.tasks] == ["A1"]
    assert phase.tasks[0].description == task.strip()
    lines = PLAN.format(goal=goal, task="x", rule="-" * n).split("\n")
    texts = [b.text for b in blocks(lines) if b.kind == "paragraph"]
    assert texts[0] == f"Goal: {goal}".strip()
    assert outline("\n".join(lines)).rules == (10,)


@pytest.mark.parametrize(
    ("line", "spans"),
    [
        ("| a | `b | c` | \\| d |", [(1, 4), (5, 14), (15, 21)]),
        ("| a | b |", [(1, 4), (5, 8)]),
        ("| `` ` `` | x |", [(1, 10), (11, 14)]),
        ("| ` | x |", [(1, 4), (5, 8)]),  # a lone backtick opens no code span
    ],
)
def test_cell_spans(line: str, spans: list[tuple[int, int]]) -> None:
    assert cell_spans(line) == spans


def test_many_unclosed_backtick_runs() -> None:
    # runs of falling length: none has a closing run, so every pipe splits
    runs = " ".join("`" * k for k in range(400, 0, -1))
    line = f"| {runs} | x |"
    assert cell_spans(line) == [(1, len(runs) + 3), (len(runs) + 4, len(runs) + 7)]
