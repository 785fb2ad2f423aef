"""Replay a loop's history: for every commit that changed the brief (a turn), rebuild the
workspace its supervisor saw (the commit's first parent, read from git objects), run the
selection stage on it, and compare with the brief recorded at the commit."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from supervisor.config import Config
from supervisor.errors import SupervisorError, WorkspaceError
from supervisor.gitio import CommitInfo, TreeReader
from supervisor.model import Plan
from supervisor.replay.model import ReplayResult, Summary, TurnResult
from supervisor.signals import Commit

Progress = Callable[[int, int], None]


def replay(
    repo: Path,
    config: Config,
    *,
    brief: str | None = None,
    since: str | None = None,
    until: str | None = None,
    progress: Progress | None = None,
) -> ReplayResult:
    """Replay every turn of ``repo`` between ``since`` and ``until`` (ISO dates, inclusive)."""
    from supervisor import gitio

    brief_rel = brief or config.paths.brief
    start = time.monotonic()
    commits = gitio.history(repo)
    by_sha = {c.sha: c for c in commits}
    changed = gitio.touching(repo, brief_rel)
    turns = [c for c in commits if c.sha in changed and _in_window(c.date, since, until)]
    reader = TreeReader(repo)
    memo: dict[tuple[str, str], Plan] = {}
    results: list[TurnResult] = []
    for n, commit in enumerate(turns, start=1):
        results.append(_turn(n, commit, by_sha, reader, config, brief_rel, memo))
        if progress is not None:
            progress(n, len(turns))
    if not turns:
        raise WorkspaceError(
            f"no commit in the history changes {brief_rel}",
            path=str(repo),
            hint="pass --brief PATH (the brief the loop's supervisor writes) or widen the dates",
        )
    summary = _summarize(results, time.monotonic() - start)
    if summary.replayed == 0:
        reasons = sorted({r.skipped or "" for r in results})
        raise WorkspaceError(
            f"none of the {len(results)} turns could be replayed ({'; '.join(reasons)[:300]})",
            path=str(repo),
            hint="check --brief and the ledger/plan paths in the configuration",
        )
    return ReplayResult(str(repo), brief_rel, since, until, tuple(results), summary)


def _in_window(date: str, since: str | None, until: str | None) -> bool:
    day = date[:10]
    return (since is None or day >= since[:10]) and (until is None or day <= until[:10])


def _history_before(sha: str, by_sha: dict[str, CommitInfo], limit: int) -> tuple[Commit, ...]:
    out: list[Commit] = []
    cur: str | None = sha
    while cur is not None and cur in by_sha and len(out) < limit:
        c = by_sha[cur]
        out.append(Commit(c.sha[:7], c.subject))
        cur = c.parents[0] if c.parents else None
    return tuple(out)


def _turn(
    n: int,
    commit: CommitInfo,
    by_sha: dict[str, CommitInfo],
    reader: TreeReader,
    config: Config,
    brief_rel: str,
    memo: dict[tuple[str, str], Plan],
) -> TurnResult:
    from supervisor.focus import choose_focus
    from supervisor.mentions import ItemIndex
    from supervisor.parse.brief import parse_brief
    from supervisor.replay.compare import compare
    from supervisor.replay.recorded import recorded_choice, recorded_item
    from supervisor.replay.source import CommitSource
    from supervisor.signals import gather
    from supervisor.workspace import Workspace

    def skipped(why: str, parse_failure: bool = False) -> TurnResult:
        return TurnResult(
            n, commit.sha, commit.date, commit.subject, None, None, None, None, None, None,
            "parse-failure" if parse_failure else "", False, False, False, False, why, "",
        )  # fmt: skip

    if not commit.parents:
        return skipped("first commit: no workspace before it")
    parent = commit.parents[0]
    data = reader.read(commit.sha, brief_rel)
    if data is None:
        return skipped(f"{brief_rel} was deleted in this commit")
    try:
        brief = parse_brief(data.decode("utf-8", "replace"), brief_rel)
    except SupervisorError as exc:
        return skipped(f"recorded brief unreadable: {exc}")
    ws = Workspace(config, CommitSource(reader, parent), memo=memo)
    try:
        ledger = ws.ledger()
        index = ItemIndex(ledger)
        rec_item = recorded_item(brief, index)
        if rec_item is None:
            return skipped("the recorded brief names no item")
        signals = gather(ws, _history_before(parent, by_sha, config.selection.history))
        focus = choose_focus(ws, signals=signals)
        plans: list[Plan] = []
        item = ledger.item(rec_item)
        if item is not None:
            if focus.item.id == rec_item and focus.plan is not None:
                plans.append(focus.plan)
            plans += [ws.plan(p) for p in ws.plans_for(item) if p not in [x.path for x in plans]]
        recorded = recorded_choice(brief, rec_item, plans)
    except SupervisorError as exc:
        return skipped(f"cannot replay: {exc}", parse_failure=True)
    return compare(n, commit, recorded, focus, ledger, config)


def _summarize(results: list[TurnResult], seconds: float) -> Summary:
    done = [r for r in results if r.skipped is None]
    return Summary(
        turns=len(results),
        replayed=len(done),
        skipped=len(results) - len(done),
        parse_failures=sum(1 for r in results if r.how == "parse-failure"),
        item_agree=sum(r.item_agrees for r in done),
        step_agree=sum(r.step_agrees for r in done),
        redo=sum(r.redo for r in done),
        recorded_done=sum(r.recorded_done for r in done),
        seconds=round(seconds, 3),
    )
