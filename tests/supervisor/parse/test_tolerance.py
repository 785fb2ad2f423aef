"""Forms a new user writes that used to be ignored: plan references without backticks,
`Depends on:` IDs without brackets, checkbox task lists (spec-kit `tasks.md`)."""

from __future__ import annotations

import pytest

from supervisor.model import TaskState
from supervisor.parse.fields import dependency_ids, plan_refs
from supervisor.parse.plan import checkbox_parts, parse_plan


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("- Plan Reference: plans/active/t1/plan.md", ("plans/active/t1/plan.md",)),
        ("- Plan Reference: `plans/active/t1/plan.md`", ("plans/active/t1/plan.md",)),
        ("- **Plan Reference:** [plan](plans/x.md#phase-a).", ("plans/x.md",)),
        (
            "- Plan References: `plans/a/plan.md`, plans/b.md; https://example.org/c.md",
            ("plans/a/plan.md", "plans/b.md"),
        ),
        ("- Plan Reference:\n  - plans/active/t2/plan.md (Phase B)", ("plans/active/t2/plan.md",)),
        ("- Plan Reference: see the plan", ()),
        ("- Plan Reference: none yet", ()),
    ],
)
def test_plan_refs(raw: str, expected: tuple[str, ...]) -> None:
    assert plan_refs(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("- Depends on: TASK-9", ("TASK-9",)),
        ("- Depends on: [TASK-9]", ("TASK-9",)),
        ("- Depends on: `[ABC-001]`, DEF-002 and [GHI-003]", ("ABC-001", "DEF-002", "GHI-003")),
        ("- Depends on: ABC\u2011001 (Phase B2-B4)", ("ABC-001",)),
        ("- Depends on: [TASK-9] again TASK-9", ("TASK-9",)),
        ("- Depends on: none", ()),
        ("- Depends on: the second item", ()),
    ],
)
def test_dependency_ids(raw: str, expected: tuple[str, ...]) -> None:
    assert dependency_ids(raw) == expected


SPEC_KIT = """\
# Tasks: Photo albums

## Phase 1: Setup
- [ ] T001 Create project structure per implementation plan
- [x] T002 [P] Initialize dependencies in package.json

## Phase 3: User Story 1 - Create albums (Priority: P1)
- [X] T003 [P] [US1] Album model in src/models/album.py
- [ ] T004 [US1] Album service in src/services/album.py
  - [ ] T999 nested sub-steps are notes, not tasks
- [ ] Checklist line without an ID

```
- [ ] T100 fenced, not a task
```
"""


def test_spec_kit_checkbox_tasks() -> None:
    plan = parse_plan(SPEC_KIT, "specs/tasks.md")
    assert [(p.id, p.title, p.status_note) for p in plan.phases] == [
        ("1", "Setup", None), ("3", "User Story 1 - Create albums", "Priority: P1"),
    ]  # fmt: skip
    got = [
        (t.id, t.state, t.raw_state, t.description, t.phase_id, t.span.start) for t in plan.tasks
    ]
    assert got == [
        (
            "T001",
            TaskState.NOT_STARTED,
            "[ ]",
            "Create project structure per implementation plan",
            "1",
            4,
        ),
        ("T002", TaskState.DONE, "[x]", "[P] Initialize dependencies in package.json", "1", 5),
        ("T003", TaskState.DONE, "[X]", "[P] [US1] Album model in src/models/album.py", "3", 8),
        (
            "T004",
            TaskState.NOT_STARTED,
            "[ ]",
            "[US1] Album service in src/services/album.py",
            "3",
            9,
        ),
    ]


def test_checkbox_and_table_tasks_merge_in_line_order() -> None:
    text = (
        "### Phase A — Mixed\n"
        "- [ ] A0: before the table\n\n"
        "| ID | Task | State | Guidance |\n| --- | --- | --- | --- |\n| A1 | row | [P] | g |\n\n"
        "- [D] A2: after it\n"
    )
    tasks = parse_plan(text, "p.md").tasks
    assert [(t.id, t.state) for t in tasks] == [
        ("A0", TaskState.NOT_STARTED), ("A1", TaskState.IN_PROGRESS), ("A2", TaskState.DONE),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("- [ ] T001 [P] Do it", (" ", "T001", "[P] Do it")),
        ("* [x] B3: Tests—parity", ("x", "B3", "Tests—parity")),
        ("- [ ] L3k.3c.4 deep id", (" ", "L3k.3c.4", "deep id")),
        ("- [ ] Spec Constraint: `specs/a.md`", (" ", None, "Spec Constraint: `specs/a.md`")),
        ("- plain bullet", None),
        ("| A1 | x | [ ] |", None),
    ],
)
def test_checkbox_parts(line: str, expected: tuple[str, str | None, str] | None) -> None:
    assert checkbox_parts(line) == expected


@pytest.mark.corpus
def test_corpus_checkbox_plan_gains_its_tasks(corpus_root) -> None:  # type: ignore[no-untyped-def]
    path = corpus_root / "plans" / "active" / "compile-guard-001.md"
    plan = parse_plan(path.read_text(encoding="utf-8"), "plans/active/compile-guard-001.md")
    assert [t.id for t in plan.tasks] == [
        "A0", "A1", "A2", "A3", "B1", "B2", "B3", "B4", "C1", "C2", "C3", "C4",
    ]  # fmt: skip
    assert {t.state for t in plan.tasks} == {TaskState.NOT_STARTED}
