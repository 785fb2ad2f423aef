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
