"""Record one attempt: a numbered ledger bullet, plus the item status, Index row, Last Updated
date and plan task state it changes — under locks, verified, atomically (DESIGN.md rule 4).

The attempt number is computed inside the lock from the file as it is then, so concurrent
writers get distinct, consecutive numbers. Every check that can fail (item, task, evidence,
paths, git) runs before anything is written; a failure leaves every file as it was.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from supervisor.errors import NotFoundError, UsageError, WorkspaceError, choices_hint
from supervisor.model import Outcome, Plan, Task, TaskState
from supervisor.parse.fields import first_word
from supervisor.parse.markdown import split_lines
from supervisor.record import entries, style
from supervisor.record.evidence import Bundle, load_bundle, require_evidence, workspace_path
from supervisor.workspace import Workspace

RESULTS = ("success", "partial", "failed", "blocked")
STATES = {"done": TaskState.DONE, "in-progress": TaskState.IN_PROGRESS,
          "in_progress": TaskState.IN_PROGRESS, "blocked": TaskState.BLOCKED}  # fmt: skip
DATE_ENV = "SUPERVISOR_DATE"
_METRIC = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_.:/-]{0,63})=(.+)$")


@dataclass(frozen=True)
class AttemptRequest:
    item: str
    result: str
    summary: str
    bundle: str | None = None
    artifacts: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()  # "key=value"
    task: str | None = None
    state: str | None = None  # done | in-progress | blocked
    status: str | None = None
    force: str | None = None
    date: str | None = None
    commit: bool = False


@dataclass(frozen=True)
class Recorded:
    item: str
    number: int
    date: str
    result: str
    text: str  # the attempt bullet as written (without its indentation)
    ledger: str
    plan: str | None
    task: str | None
    state_from: str | None  # raw State cells
    state_to: str | None
    status_from: str | None
    status_to: str | None
    last_updated: str | None
    artifacts: tuple[str, ...]
    metrics: tuple[tuple[str, str], ...]
    forced: str | None
    files: tuple[str, ...]  # files rewritten
    commit: str | None = None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["metrics"] = dict(self.metrics)
        d["artifacts"] = list(self.artifacts)
        d["files"] = list(self.files)
        return d


def attempt_date(given: str | None, env: Mapping[str, str]) -> str:
    """``--date``, else ``$SUPERVISOR_DATE``, else today's UTC date (``YYYY-MM-DD``)."""
    for value, where in ((given, "--date"), (env.get(DATE_ENV) or None, DATE_ENV)):
        if value is None:
            continue
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ValueError
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise UsageError(f"{where} {value!r} is not a date", hint="use YYYY-MM-DD") from None
    return datetime.now(UTC).date().isoformat()


def _one_line(text: str, what: str) -> str:
    flat = re.sub(r"\s*[\r\n]+\s*", " ", text).strip()
    if not flat:
        raise UsageError(f"{what} is empty", hint=f"pass {what} TEXT")
    if any(ord(c) < 32 and c != "\t" for c in flat):
        raise UsageError(f"{what} contains a control character", hint="pass plain text")
    return flat.replace("\t", " ")


def _metrics(raw: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for m in raw:
        hit = _METRIC.match(m.strip())
        if hit is None or "\n" in m:
            raise UsageError(f"--metric {m!r} is not key=value", hint="e.g. --metric max_abs=1e-12")
        out.append((hit.group(1), hit.group(2).strip()))
    return out


def _task(plan: Plan, task_id: str) -> Task:
    hits = [t for t in plan.tasks if t.id == task_id] or [
        t for t in plan.tasks if t.id.lower() == task_id.lower()
    ]
    if not hits:
        ids = list(dict.fromkeys(t.id for t in plan.tasks))
        raise NotFoundError(
            f"no task {task_id} in the plan", path=plan.path, hint=choices_hint(ids)
        )
    if len(hits) > 1:
        lines = ", ".join(str(t.span.start) for t in hits)
        raise WorkspaceError(
            f"ambiguous plan: task {task_id} appears {len(hits)} times (lines {lines})",
            path=plan.path,
            line=hits[1].span.start,
            hint="give each task row a distinct ID",
        )
    return hits[0]


def _validate(ws: Workspace, req: AttemptRequest) -> tuple[TaskState | None, str | None]:
    if req.result not in RESULTS:
        raise UsageError(f"--result {req.result!r} is not a result", hint=choices_hint(RESULTS))
    state = None
    if req.state is not None:
        if req.state not in STATES:
            raise UsageError(
                f"--state {req.state!r} is not a task state",
                hint=choices_hint(["done", "in-progress", "blocked"]),
            )
        if req.task is None:
            raise UsageError("--state needs --task ID", hint="name the plan task to update")
        state = STATES[req.state]
    status = None
    if req.status is not None:
        s = ws.config.statuses
        vocab = [*s.active, *s.blocked, *s.done]
        status = next((v for v in vocab if v.lower() == req.status.strip().lower()), None)
        if status is None:
            raise UsageError(f"--status {req.status!r} is not a configured status",
                             hint=choices_hint(vocab))  # fmt: skip
    if req.force is not None:
        _one_line(req.force, "--force")
    return state, status


def _refuse_conflicts(text: str, rel: str) -> None:
    """Refuse to edit a file with unresolved merge-conflict markers, naming their lines."""
    from supervisor.parse.markdown import outline

    regions = outline(text).conflicts
    if regions:
        where = ", ".join(f"{a}-{b}" for a, b in regions)
        raise WorkspaceError(
            f"unresolved merge conflict (lines {where})",
            path=rel,
            line=regions[0][0],
            hint="resolve it (keep one side, remove the <<<<<<< ======= >>>>>>> lines), then retry",
        )


def _plan_change(
    texts: dict[str, str], rel: str, task_id: str, state: TaskState, facts: dict[str, Any]
) -> str:
    """Apply the task's State change to ``texts[rel]`` (verified); returns the attempt note."""
    from supervisor.parse.plan import parse_plan
    from supervisor.record.edits import apply_edits, verify_confined

    text = texts[rel]
    _refuse_conflicts(text, rel)
    plan = parse_plan(text, rel)
    task = _task(plan, task_id)
    facts["task"], facts["state_from"] = task.id, task.raw_state
    edit = entries.task_edit(plan, split_lines(text), task, state)
    new = apply_edits(text, [edit])
    verify_confined(text, new, entries.allowed([edit]), rel)
    updated = parse_plan(new, rel)
    entries.verify_plan(plan, updated, task.id, state)
    texts[rel] = new
    after = updated.task(task.id)
    facts["state_to"] = after.raw_state if after is not None else None
    before = task.raw_state or "(empty)"
    if before == facts["state_to"]:
        return f"task {task.id} stays {before}"
    return f"task {task.id}: {before} → {facts['state_to']}"


def record_attempt(
    ws: Workspace, req: AttemptRequest, env: Mapping[str, str] | None = None
) -> Recorded:
    from supervisor.parse.ledger import parse_ledger
    from supervisor.record.atomic import rewrite
    from supervisor.record.edits import apply_edits, verify_confined

    env = os.environ if env is None else env
    state, status = _validate(ws, req)
    summary = _one_line(req.summary, "--summary")
    forced = _one_line(req.force, "--force") if req.force is not None else None
    day = attempt_date(req.date, env)
    user_metrics = _metrics(req.metrics)
    ledger = ws.ledger()
    _refuse_conflicts(ws.read_text(ws.ledger_path), ws.ledger_path)
    item = entries.one_item(ledger, req.item)  # early, friendly errors
    plan_rel, task_id = None, ""
    if req.task is not None:
        plan_rel = ws.plan_for(item)
        if plan_rel is None:
            raise WorkspaceError(
                f"[{item.id}] has no plan",
                path=ws.ledger_path,
                line=item.heading_line,
                hint="add a Plan Reference naming its plan, or drop --task",
            )
        task_id = _task(ws.plan(plan_rel), req.task).id
    bundle: Bundle | None = load_bundle(ws.root, req.bundle) if req.bundle else None
    cited = [workspace_path(ws.root, a, "artifact") for a in req.artifacts]
    goes_done = [f"task {req.task} → done"] if state is TaskState.DONE else []
    if status is not None and ws.config.statuses.kind(status) == "done":
        goes_done.append(f"status {status}")
    if goes_done:
        require_evidence(" and ".join(goes_done), item.id, req.result, bundle, cited, forced)
    elif forced is not None:
        raise UsageError(
            "--force only applies when marking a task or the item done",
            hint="drop --force (nothing here needs the evidence check overridden)",
        )
    if req.commit:
        from supervisor.gitio import require_repo

        require_repo(ws.root)
    artifacts = list(dict.fromkeys(([f"{bundle.rel}/", *bundle.outputs] if bundle else []) + cited))
    metrics = dict(bundle.metrics if bundle else ())
    metrics.update(user_metrics)
    facts: dict[str, Any] = {}
    ledger_rel = ws.ledger_path

    def transform(texts: dict[str, str]) -> dict[str, str]:
        notes: list[str] = []
        if plan_rel is not None and state is not None and req.task is not None:
            notes.append(_plan_change(texts, plan_rel, req.task, state, facts))
        elif req.task is not None:
            facts["task"] = task_id
            notes.append(f"task {task_id}")
        text = texts[ledger_rel]
        _refuse_conflicts(text, ledger_rel)
        lines = split_lines(text)
        ledger = parse_ledger(text, ledger_rel)
        it = entries.one_item(ledger, req.item)
        number = entries.next_number(it)
        if status is not None:
            facts["status_from"] = first_word(it.value("Status") or "") or None
            was = facts["status_from"] or "(none)"
            notes.append(f"status stays {status}" if was == status else f"status {was} → {status}")
        hist = it.field("Attempts History") or it.field("Attempts")
        shape = (
            style.detect_style(hist.raw.split("\n"), it.attempts, hist.span.start)
            if hist is not None
            else style.AttemptStyle()
        )
        bullet = style.attempt_line(shape, number, day, req.result, summary, notes,
                                    artifacts, list(metrics.items()), forced)  # fmt: skip
        edits = entries.ledger_edits(ledger, lines, it, bullet, status, day)
        new = apply_edits(text, edits)
        verify_confined(text, new, entries.allowed(edits), ledger_rel)
        after = parse_ledger(new, ledger_rel)
        entries.verify_ledger(ledger, after, it.id, number, day, Outcome(req.result), status)
        facts.update(item=it.id, number=number, text=bullet.lstrip(),
                     last_updated=after.last_updated)  # fmt: skip
        texts[ledger_rel] = new
        return texts

    paths = [ledger_rel] + ([plan_rel] if plan_rel and state is not None else [])
    written = rewrite(ws.root, paths, transform, max_bytes=ws.config.limits.max_file_bytes)
    files = tuple(p for p in paths if p in written)
    sha = None
    if req.commit:
        from supervisor.gitio import commit_paths

        message = f"record-attempt: [{facts['item']}] Attempt #{facts['number']} — {req.result}"
        sha = commit_paths(ws.root, files, f"{message}\n\n{summary}\n")
    return Recorded(
        item=facts["item"],
        number=facts["number"],
        date=day,
        result=req.result,
        text=facts["text"],
        ledger=ledger_rel,
        plan=plan_rel if "state_to" in facts else None,
        task=facts.get("task"),
        state_from=facts.get("state_from") if state is not None else None,
        state_to=facts.get("state_to"),
        status_from=facts.get("status_from"),
        status_to=status,
        last_updated=facts.get("last_updated"),
        artifacts=tuple(artifacts),
        metrics=tuple(metrics.items()),
        forced=forced,
        files=files,
        commit=sha,
    )
