"""The only module that imports GitPython (imported inside functions, so commands that do not
touch git never pay for it). Small and generic: repository state for evidence bundles, and
commits of exactly the given paths."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supervisor.errors import WorkspaceError

if TYPE_CHECKING:  # pragma: no cover
    from git import Repo


@dataclass(frozen=True)
class RepoState:
    sha: str | None  # None in a repository without commits
    branch: str | None  # None on a detached HEAD
    dirty: bool  # tracked files changed (staged or not); untracked files do not count
    root: str

    def as_dict(self) -> dict[str, Any]:
        return {"sha": self.sha, "branch": self.branch, "dirty": self.dirty}


def open_repo(path: Path) -> Repo | None:
    """The repository containing ``path``, or None when it is not inside one (or git is
    missing)."""
    try:
        import git
    except ImportError:  # pragma: no cover - GitPython is a dependency; git may be absent
        return None
    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, git.GitCommandError):
        return None


def listed_files(root: Path) -> list[str] | None:
    """Files under ``root`` that git tracks or would add (untracked, not ignored), relative
    to ``root``, sorted; None when ``root`` is not inside a repository."""
    repo = open_repo(root)
    if repo is None or repo.working_tree_dir is None:
        return None
    try:
        top = Path(repo.working_tree_dir).resolve()
        prefix = root.resolve().relative_to(top).as_posix()
        out = repo.git.ls_files(
            "-z", "--cached", "--others", "--exclude-standard", "--full-name", "--",
            "." if prefix == "." else prefix, strip_newline_in_stdout=False,
        )  # fmt: skip
    except Exception:
        return None
    lead = "" if prefix == "." else prefix + "/"
    names = {p[len(lead) :] for p in out.split("\0") if p and p.startswith(lead)}
    return sorted(names)


def repo_state(path: Path) -> RepoState | None:
    """SHA, branch and dirty flag of the repository containing ``path`` (None outside one)."""
    repo = open_repo(path)
    if repo is None:
        return None
    try:
        sha = repo.head.commit.hexsha if repo.head.is_valid() else None
        branch = None if repo.head.is_detached else repo.active_branch.name
        dirty = repo.is_dirty(index=True, working_tree=True, untracked_files=False)
    except Exception:
        return None
    return RepoState(sha, branch, dirty, str(repo.working_tree_dir))


def require_repo(path: Path) -> Path:
    """The work tree root of the repository containing ``path``, or a clear error."""
    repo = open_repo(path)
    if repo is None or repo.working_tree_dir is None:
        raise WorkspaceError(
            "not inside a git repository",
            path=str(path),
            hint="run `git init` (or drop --commit)",
        )
    return Path(repo.working_tree_dir)


def commit_paths(root: Path, paths: Sequence[str], message: str) -> str:
    """Commit exactly ``paths`` (relative to ``root``) with ``message``, leaving anything else
    that is staged or changed untouched (``git commit --only``); returns the new commit SHA."""
    import git

    repo = open_repo(root)
    if repo is None or repo.working_tree_dir is None:
        raise WorkspaceError(
            "not inside a git repository", path=str(root), hint="run `git init` (or drop --commit)"
        )
    top = Path(repo.working_tree_dir).resolve()
    rels = [(root / p).resolve().relative_to(top).as_posix() for p in paths]
    try:
        repo.git.add("--", *rels)
        repo.git.commit("--only", "-m", message, "--", *rels)
    except git.GitCommandError as exc:
        detail = " ".join(str(exc.stderr or exc.stdout or exc).split())[:300]
        raise WorkspaceError(
            f"git commit failed: {detail}",
            path=str(root),
            hint="the files were written; commit them by hand once git is fixed",
        ) from None
    return str(repo.head.commit.hexsha)


# --------------------------------------------------------------------------- loop sync


class GitSyncError(WorkspaceError):
    """A pull, rebase or push did not go through (nothing was resolved automatically)."""


class PushRejectedError(GitSyncError):
    """The remote branch moved on since the last pull (non-fast-forward)."""


@dataclass(frozen=True)
class Change:
    """One changed path from ``git status``: ``code`` is the porcelain XY (``??`` untracked,
    `` M`` modified, ``D `` deleted, …); ``path`` is relative to the directory asked about."""

    code: str
    path: str

    @property
    def tracked(self) -> bool:
        return self.code != "??"


def _detail(exc: Exception) -> str:
    text = getattr(exc, "stderr", None) or getattr(exc, "stdout", None) or str(exc)
    return " ".join(str(text).replace("stderr:", " ").split()).strip(" '")[:300]


def _work_repo(root: Path) -> tuple[Repo, Path]:
    repo = open_repo(root)
    if repo is None or repo.working_tree_dir is None:
        raise WorkspaceError(
            "not inside a git repository",
            path=str(root),
            hint="run `git init`, or run the loop without --sync-via-git",
        )
    return repo, Path(repo.working_tree_dir).resolve()


def current_branch(root: Path) -> str | None:
    """The checked-out branch of the repository containing ``root`` (None when detached)."""
    repo, _ = _work_repo(root)
    return None if repo.head.is_detached else repo.active_branch.name


def head_sha(root: Path) -> str | None:
    repo, _ = _work_repo(root)
    return repo.head.commit.hexsha if repo.head.is_valid() else None


def changes(root: Path) -> list[Change]:
    """Tracked changes (staged or not) and untracked, not ignored files under ``root``, with
    paths relative to ``root`` (one ``git status`` call)."""
    repo, top = _work_repo(root)
    base = root.resolve()
    prefix = base.relative_to(top).as_posix()
    prefix = "" if prefix == "." else prefix + "/"
    out = repo.git.status(
        "--porcelain=v1", "-z", "--untracked-files=all", "--", prefix or ".",
        strip_newline_in_stdout=False,
    )  # fmt: skip
    entries = out.split("\0")
    found: list[Change] = []
    k = 0
    while k < len(entries):
        entry = entries[k]
        k += 1
        if len(entry) < 4:
            continue
        code, path = entry[:2], entry[3:]
        if code[0] in "RC":
            k += 1  # the rename's source path follows
        if path.startswith(prefix):
            found.append(Change(code, path[len(prefix) :]))
    return found


def pull_rebase(root: Path, remote: str, branch: str) -> str:
    """``git pull --rebase`` from ``remote``/``branch`` done as fetch (explicit refspec) plus
    rebase. Returns ``up-to-date``, ``fast-forwarded``, ``rebased`` or ``no-remote-branch``.
    A conflict aborts the rebase (the work tree is left as it was) and raises
    :class:`GitSyncError` naming the conflicting files; nothing is ever resolved
    automatically."""
    import git

    repo, _ = _work_repo(root)
    tracking = f"refs/remotes/{remote}/{branch}"
    try:
        repo.git.fetch("--quiet", remote, f"+refs/heads/{branch}:{tracking}")
    except git.GitCommandError as exc:
        detail = _detail(exc)
        if "couldn't find remote ref" in detail:
            return "no-remote-branch"
        raise GitSyncError(
            f"git fetch {remote} {branch} failed: {detail}",
            hint=f"check the remote ({remote}) is reachable and the branch name is right",
        ) from None
    try:
        repo.git.merge_base("--is-ancestor", tracking, "HEAD")
        return "up-to-date"
    except git.GitCommandError:
        pass
    try:
        repo.git.merge_base("--is-ancestor", "HEAD", tracking)
        how = "fast-forwarded"
    except git.GitCommandError:
        how = "rebased"
    try:
        repo.git.rebase("--quiet", tracking)
    except git.GitCommandError as exc:
        detail = _detail(exc)
        in_rebase = any((Path(repo.git_dir) / d).exists() for d in ("rebase-merge", "rebase-apply"))
        if not in_rebase:
            raise GitSyncError(
                f"git pull --rebase from {remote}/{branch} failed: {detail}",
                hint="commit or discard local changes to tracked files, then rerun",
            ) from None
        conflicts = repo.git.diff("--name-only", "--diff-filter=U").split()
        repo.git.rebase("--abort")
        raise GitSyncError(
            f"git pull --rebase from {remote}/{branch} conflicts in "
            f"{', '.join(conflicts) or '(unknown files)'}; the rebase was aborted and nothing "
            "was resolved",
            hint=f"resolve by hand (git pull --rebase {remote} {branch}, fix, "
            "git rebase --continue), then rerun",
        ) from None
    return how


def push(root: Path, remote: str, branch: str) -> None:
    """``git push REMOTE HEAD:refs/heads/BRANCH`` (explicit refspec, never a force push)."""
    import git

    repo, _ = _work_repo(root)
    try:
        repo.git.push("--quiet", remote, f"HEAD:refs/heads/{branch}")
    except git.GitCommandError as exc:
        detail = _detail(exc)
        cls = GitSyncError
        if any(w in detail for w in ("rejected", "non-fast-forward", "fetch first")):
            cls = PushRejectedError
        raise cls(
            f"git push {remote} HEAD:refs/heads/{branch} failed: {detail}",
            hint="pull --rebase and push again",
        ) from None


def remotes(root: Path) -> list[str]:
    repo, _ = _work_repo(root)
    return [r.name for r in repo.remotes]


def last_commit_of(root: Path, rel: str) -> str | None:
    """The newest commit that changed ``rel`` (relative to ``root``), or None."""
    import git

    repo, top = _work_repo(root)
    path = (root / rel).resolve().relative_to(top).as_posix()
    try:
        sha = repo.git.log("-1", "--format=%H", "--", path)
    except git.GitCommandError:
        return None  # no commits yet
    return str(sha).strip() or None


def ahead(root: Path, remote: str, branch: str) -> bool:
    """True when HEAD has commits that ``remote``/``branch`` (as last fetched) lacks, or the
    remote branch is not known yet."""
    import git

    repo, _ = _work_repo(root)
    if not repo.head.is_valid():
        return False
    try:
        count = repo.git.rev_list("--count", f"refs/remotes/{remote}/{branch}..HEAD")
    except git.GitCommandError:
        return True
    return int(str(count).strip() or "0") > 0
