"""What a turn may commit, and the git side of the loop.

Every changed file under the workspace falls in one class before anything is committed:
the docs whitelist (brief, ledger, ``plans/**``, the state file — configurable), evidence
(``loop.evidence.allow`` globs, within per-file and per-turn size caps; the rest is listed and
left out), the loop's own logs (never committed), or anything else, which blocks the turn.
All git calls go through :mod:`supervisor.gitio`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from supervisor import gitio
from supervisor.config import Config
from supervisor.errors import UsageError, WorkspaceError

PUSH_TRIES = 3


class TurnBlockedError(WorkspaceError):
    """Files outside the whitelist changed: the turn commits nothing."""


@lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern[str]:
    """``**`` any depth (``a/**`` also matches ``a`` itself), ``*`` and ``?`` within one path
    segment; a pattern ending in ``/`` means everything under that directory."""
    pattern = pattern.strip().removeprefix("./")
    if pattern.endswith("/"):
        pattern += "**"
    out, k = [], 0
    while k < len(pattern):
        c = pattern[k]
        if pattern.startswith("**/", k):
            out.append("(?:.*/)?")
            k += 3
            continue
        if pattern.startswith("/**", k) and k + 3 == len(pattern):
            out.append("(?:/.*)?")
            k += 3
            continue
        if pattern.startswith("**", k):
            out.append(".*")
            k += 2
            continue
        out.append({"*": "[^/]*", "?": "[^/]"}.get(c, re.escape(c)))
        k += 1
    return re.compile("".join(out) + r"\Z")


def matches(path: str, patterns: Sequence[str]) -> bool:
    return any(_glob(p).match(path) for p in patterns)


# our own temp files (supervisor.fsio.write_atomic): ".<name>.[<pid>.]<random>.tmp"
_TEMP = re.compile(r"(?:(?P<dir>.*)/)?\.(?P<name>[^/]+?)\.(?:\d{1,10}\.)?[A-Za-z0-9_]{3,}\.tmp\Z")


def own_temp(path: str, patterns: Sequence[str]) -> bool:
    """Whether ``path`` is the temp file of an atomic write of a whitelisted file (a write in
    progress in another loop, or left by a writer that was killed): never committed, never
    blocking."""
    m = _TEMP.match(path)
    if m is None:
        return False
    target = f"{m.group('dir')}/{m.group('name')}" if m.group("dir") else m.group("name")
    return matches(target, patterns)


@dataclass(frozen=True)
class Policy:
    whitelist: tuple[str, ...]
    evidence: tuple[str, ...]
    max_file_kb: int
    max_turn_kb: int
    ignored: tuple[str, ...]  # the loop's own logs
    reports: tuple[str, ...]  # evidence outside the allow-list here is left out, not blocking

    @classmethod
    def of(cls, config: Config) -> Policy:
        loop, paths = config.loop, config.paths
        plans_top = paths.plans.strip("/").split("/")[0]
        default = (paths.brief, paths.ledger, f"{plans_top}/**")
        whitelist = (*(loop.whitelist or default), loop.state)
        return cls(
            whitelist=tuple(dict.fromkeys(whitelist)),
            evidence=loop.evidence_allow,
            max_file_kb=loop.evidence_max_file_kb,
            max_turn_kb=loop.evidence_max_turn_kb,
            ignored=(loop.logs.rstrip("/") + "/**",),
            reports=(paths.reports.rstrip("/") + "/**",),
        )


@dataclass(frozen=True)
class TurnFiles:
    docs: tuple[str, ...]  # whitelisted changes: committed
    evidence: tuple[str, ...]  # allowed evidence within the caps: committed
    left_out: tuple[tuple[str, str], ...]  # (path, why): not committed
    blocked: tuple[str, ...]  # anything else: blocks the turn

    @property
    def commit(self) -> tuple[str, ...]:
        return (*self.docs, *self.evidence)


def classify(root: Path, changes: Sequence[gitio.Change], policy: Policy) -> TurnFiles:
    docs: list[str] = []
    evidence: list[tuple[str, int]] = []
    left_out: list[tuple[str, str]] = []
    blocked: list[str] = []
    for ch in sorted(changes, key=lambda c: c.path):
        p = ch.path
        if matches(p, policy.ignored) or (not ch.tracked and own_temp(p, policy.whitelist)):
            continue
        if matches(p, policy.whitelist):
            docs.append(p)
        elif matches(p, policy.evidence):
            path = root / p
            evidence.append((p, path.stat().st_size if path.is_file() else 0))
        elif matches(p, policy.reports) and not ch.tracked:
            left_out.append((p, "not in loop.evidence.allow"))
        else:
            blocked.append(p)
    taken: list[str] = []
    total = 0
    for p, size in evidence:
        if size > policy.max_file_kb * 1024:
            left_out.append((p, f"{_kb(size)} KB is over the per-file cap of "
                                f"{policy.max_file_kb} KB"))  # fmt: skip
        elif total + size > policy.max_turn_kb * 1024:
            left_out.append((p, f"over the per-turn cap of {policy.max_turn_kb} KB"))
        else:
            taken.append(p)
            total += size
    return TurnFiles(tuple(docs), tuple(taken), tuple(left_out), tuple(blocked))


def _kb(size: int) -> str:
    return f"{size / 1024:.0f}"


class GitSide:
    """The loop's view of git: branch check, one commit per turn, and (with ``sync``) pull
    with rebase before a turn and push with an explicit refspec after it. Without a
    repository (and without ``sync``) every method is a no-op."""

    def __init__(self, config: Config, branch: str, sync: bool, log: Callable[[str], None]):
        self.root = config.root
        self.branch = branch
        self.remote = config.loop.remote
        self.sync = sync
        self.policy = Policy.of(config)
        self.log = log
        self.enabled = gitio.open_repo(self.root) is not None
        if sync and not self.enabled:
            raise WorkspaceError(
                "--sync-via-git: the workspace is not inside a git repository",
                path=str(self.root),
                hint="run the loop in a clone of the shared repository, or drop --sync-via-git",
            )

    def check(self) -> None:
        """Refuse the wrong branch, a detached HEAD or (with sync) an unknown remote."""
        if not self.enabled:
            return
        on = gitio.current_branch(self.root)
        if on != self.branch:
            where = f"on branch '{on}'" if on else "on a detached HEAD"
            raise UsageError(
                f"the work tree is {where}, but the loop runs on '{self.branch}'",
                hint=f"git switch {self.branch}, or pass --branch "
                f"{on or 'NAME'} (or set branch: in supervisor.yaml)",
            )
        if self.sync and self.remote not in gitio.remotes(self.root):
            raise UsageError(
                f"no git remote named '{self.remote}'",
                hint=f"git remote add {self.remote} URL, or set loop.remote in supervisor.yaml",
            )

    def scan(self) -> TurnFiles:
        if not self.enabled:
            return TurnFiles((), (), (), ())
        return classify(self.root, gitio.changes(self.root), self.policy)

    def require_clean(self, files: TurnFiles, what: str) -> None:
        if files.blocked:
            shown = ", ".join(files.blocked[:12]) + (" …" if len(files.blocked) > 12 else "")
            raise TurnBlockedError(
                f"{what} blocked: files changed outside the loop's whitelist: {shown}; "
                "nothing was committed",
                hint="commit or discard them (or add them to loop.whitelist / "
                "loop.evidence.allow), then rerun",
            )

    def tracked_dirty(self) -> list[str]:
        if not self.enabled:
            return []
        return [c.path for c in gitio.changes(self.root) if c.tracked]

    def commit(self, paths: Sequence[str], message: str) -> str | None:
        """One commit of exactly ``paths`` (None when there is no repository or nothing to
        commit)."""
        if not self.enabled or not paths:
            return None
        return gitio.commit_paths(self.root, list(dict.fromkeys(paths)), message)

    def last_commit_of(self, rel: str) -> str | None:
        return gitio.last_commit_of(self.root, rel) if self.enabled else None

    def pull(self) -> None:
        if not self.sync:
            return
        how = gitio.pull_rebase(self.root, self.remote, self.branch)
        if how != "up-to-date":
            self.log(f"git: pull --rebase {self.remote} {self.branch}: {how}")

    def head(self) -> str | None:
        return gitio.head_sha(self.root) if self.enabled else None

    def require_branch(self, what: str) -> None:
        """Refuse when the work tree is no longer on the loop's branch (an agent switched)."""
        if not self.enabled:
            return
        on = gitio.current_branch(self.root)
        if on != self.branch:
            where = f"on branch '{on}'" if on else "on a detached HEAD"
            raise TurnBlockedError(
                f"{what} refused: the work tree is {where}, but the loop runs on "
                f"'{self.branch}'; nothing was committed or pushed",
                hint=f"look at what was done there, git switch {self.branch}, then rerun",
            )

    def claim(self, rel: str, message: str) -> bool:
        """With sync: commit the state file (the lease just taken) and push it, with no
        retry: the push is the arbiter between loops on different clones. False when the
        remote moved on (another loop's claim won): the claim commit is undone."""
        if not self.sync:
            return True
        self.require_branch("taking the turn")
        gitio.commit_paths(self.root, [rel], message)
        try:
            gitio.push(self.root, self.remote, self.branch)
        except gitio.PushRejectedError:
            gitio.drop_last_commit(self.root, [rel])
            return False
        self.log(f"git: pushed the lease to {self.remote} refs/heads/{self.branch}")
        return True

    def push(self) -> None:
        """Push HEAD; when the remote moved on, pull --rebase and push again (a conflict is
        reported, never resolved). Only ever from the loop's branch."""
        if not self.sync:
            return
        self.require_branch("git push")
        for attempt in range(1, PUSH_TRIES + 1):
            try:
                gitio.push(self.root, self.remote, self.branch)
                self.log(f"git: pushed HEAD to {self.remote} refs/heads/{self.branch}")
                return
            except gitio.PushRejectedError:
                if attempt == PUSH_TRIES:
                    raise
                self.log(
                    f"git: push rejected (the remote moved on); pull --rebase, try {attempt + 1}"
                )
                self.pull()

    def publish_pending(self) -> None:
        """Push local commits the remote lacks (a push that failed in an earlier run)."""
        if self.sync and gitio.ahead(self.root, self.remote, self.branch):
            self.log("git: local commits not on the remote yet; pushing them")
            self.push()
