"""The files `supervisor init` writes into an empty directory: a commented config, a ledger
with one example item, and that item's phased plan, so `supervisor next` right after renders
a brief with a task. Every format is described in docs/formats.md."""

from __future__ import annotations

EXAMPLE_ID = "EXAMPLE-001"
EXAMPLE_SLUG = "example"
LEDGER = "docs/fix_plan.md"
PLANS = "plans/active"
CONFIG = "supervisor.yaml"


def plan_path(slug: str = EXAMPLE_SLUG) -> str:
    return f"{PLANS}/{slug}/plan.md"


def config_text(project: str) -> str:
    return f"""\
# supervisor workspace, written by `supervisor init`. Every key is described in
# docs/formats.md#config; `supervisor lint` checks the ledger and plans against it.
version: 1
project: {_yaml_str(project)}
branch: main                     # the branch the loop works on (named in the brief)
paths:
  ledger: {LEDGER}        # index table + one `## [ID] Title` section per item
  plans: {PLANS}             # phased plans: {PLANS}/<initiative>/plan.md
  templates: templates           # a copy of a packaged template here overrides it
  brief: input.md                # `supervisor next --write` writes the brief here
  reports: reports               # `supervisor dispatch` writes evidence bundles here
priorities: [Critical, High, Medium, Low]   # highest first; ties go to ledger order
statuses:                        # the first word of an item's Status field
  active: [in_progress, pending]  # eligible for the focus, preferred in this order
  blocked: [blocked]
  done: [done]
selection:
  stall_window: 3                # this many failed attempts in a row switch the Mode
brief:
  default_mode: Implementation   # the brief's Mode line
  stall_mode: Evidence           # the Mode once the item stalls
env: {{}}                          # set for every dispatched command, e.g. {{OMP_NUM_THREADS: "2"}}
pitfalls:                        # copied into every brief's Pitfalls To Avoid
  - Do not mark a task done without the evidence it names.
# The only things `supervisor dispatch` may run: argv lists, never a shell line.
# {{python}} is this interpreter, {{out}} the evidence bundle directory.
commands:
  tests:
    help: run the test suite
    argv: ["{{python}}", -m, pytest, -q]
    timeout: 900
"""


def ledger_text(today: str) -> str:
    return f"""\
# Fix Plan Ledger

**Last Updated:** {today}
**Active Focus:**
- `[{EXAMPLE_ID}]` — replace this example with your first real item.

## Index
| ID | Title | Priority | Status |
| --- | --- | --- | --- |
| [{EXAMPLE_ID}](#example-001-first-item) | First item | High | in_progress |

## [{EXAMPLE_ID}] First item
- Priority: High
- Status: in_progress
- Owner/Date: you/{today}
- Plan Reference: `{plan_path()}`
- Attempts History: none yet
- Next Actions:
  1. Work task A1 of the plan, then record it with `supervisor record-attempt {EXAMPLE_ID}`.
- Exit Criteria: every task of the plan is `[D]`.
"""


def plan_text() -> str:
    return f"""\
# First item — plan

## Context
- Initiative: {EXAMPLE_ID} — replace this example with your first real initiative.
- Phase Goal: show the shape of a plan; edit or delete these phases.

### Phase A — Get started
Goal: describe the work and prove the commands run.
Prereqs: none.
Exit Criteria: the test suite runs through `supervisor dispatch tests`.

| ID | Task Description | State | How/Why & Guidance |
| --- | --- | --- | --- |
| A1 | Write down the goal of the first item | [ ] | Edit {LEDGER} and this plan. |
| A2 | Run the test suite | [ ] | `supervisor dispatch tests` |

### Phase B — First change
Goal: make the first change the item needs.
Prereqs: Phase A.
Exit Criteria: the change is committed and its evidence recorded.

| ID | Task Description | State | How/Why & Guidance |
| --- | --- | --- | --- |
| B1 | Make the change | [ ] | Record it with `supervisor record-attempt {EXAMPLE_ID} --task B1`. |
"""


def _yaml_str(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)
