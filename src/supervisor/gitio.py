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
        strip_newline_in_stdout=False, env={"GIT_OPTIONAL_LOCKS": "0"},
    )  # fmt: skip  # never holds index.lock: another loop's commit must not fail on it
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


# --------------------------------------------------------------------------- loop review


def _rel_to(root: Path, top: Path, paths: Sequence[str]) -> list[str]:
    """Repository paths (relative to ``top``) under ``root``, made relative to ``root``."""
    prefix = root.resolve().relative_to(top).as_posix()
    prefix = "" if prefix == "." else prefix + "/"
    return sorted({p[len(prefix) :] for p in paths if p and p.startswith(prefix)})


def committed_since(root: Path, base: str) -> list[str]:
    """Paths under ``root`` (relative to it) that any commit in ``base..HEAD`` touched (merges
    against each parent), plus the net difference ``base`` → ``HEAD``."""
    repo, top = _work_repo(root)
    log = repo.git.log("--format=", "--name-only", "--no-renames", "-m", f"{base}..HEAD")
    net = repo.git.diff("--name-only", "--no-renames", base, "HEAD")
    return _rel_to(root, top, [*str(log).splitlines(), *str(net).splitlines()])


def is_ancestor(root: Path, older: str, newer: str = "HEAD") -> bool:
    """Whether commit ``older`` is an ancestor of (or equal to) ``newer``."""
    import git

    repo, _ = _work_repo(root)
    try:
        repo.git.merge_base("--is-ancestor", older, newer)
    except git.GitCommandError:
        return False
    return True


def show_text(root: Path, sha: str, rel: str) -> str | None:
    """The text of ``rel`` (relative to ``root``) at commit ``sha``; None when it is absent."""
    import git

    repo, top = _work_repo(root)
    path = (root / rel).resolve().relative_to(top).as_posix()
    try:
        out = repo.git.show(f"{sha}:{path}", strip_newline_in_stdout=False)
    except git.GitCommandError:
        return None
    return str(out)


def drop_last_commit(root: Path, paths: Sequence[str]) -> None:
    """Undo the last commit (``reset --soft HEAD~1``) and restore ``paths`` (relative to
    ``root``) in the index and work tree as they are at the new HEAD."""
    repo, top = _work_repo(root)
    rels = [(root / p).resolve().relative_to(top).as_posix() for p in paths]
    repo.git.reset("--soft", "HEAD~1")
    repo.git.checkout("HEAD", "--", *rels)


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


# --------------------------------------------------------------------------- history


@dataclass(frozen=True)
class CommitInfo:
    """One commit of a repository's history: enough to replay a loop turn by turn."""

    sha: str
    parents: tuple[str, ...]
    date: str  # author date, ISO 8601 with offset
    subject: str


def history(root: Path, rev: str = "HEAD") -> list[CommitInfo]:
    """Every commit reachable from ``rev``, oldest first (parents before children)."""
    import git

    repo, _ = _work_repo_or_bare(root)
    try:
        out = repo.git.log("--topo-order", "--reverse", "--format=%H%x1f%P%x1f%aI%x1f%s", rev)
    except git.GitCommandError as exc:
        raise WorkspaceError(f"cannot read history: {_detail(exc)}", path=str(root)) from None
    commits = []
    for line in str(out).splitlines():
        sha, parents, date, subject = [*line.split("\x1f"), "", "", ""][:4]
        commits.append(CommitInfo(sha, tuple(parents.split()), date, subject))
    return commits


def touching(root: Path, rel: str, rev: str = "HEAD") -> set[str]:
    """SHAs of the commits reachable from ``rev`` that changed ``rel`` (``git log -- rel``)."""
    import git

    repo, _ = _work_repo_or_bare(root)
    try:
        out = repo.git.log("--format=%H", rev, "--", rel)
    except git.GitCommandError as exc:
        raise WorkspaceError(f"cannot read history: {_detail(exc)}", path=str(root)) from None
    return set(str(out).split())


class TreeReader:
    """Reads files at any commit straight from git objects (no checkout): one ``git ls-tree
    -r`` per commit for the listing, then one persistent ``git cat-file`` process for the
    blobs, which are cached by object id (most files do not change from turn to turn)."""

    def __init__(self, root: Path) -> None:
        self._repo, _ = _work_repo_or_bare(root)
        self._trees: dict[str, dict[str, str]] = {}  # commit -> {path: blob id}
        self._blobs: dict[str, bytes] = {}

    def _tree(self, sha: str) -> dict[str, str]:
        tree = self._trees.get(sha)
        if tree is None:
            import git

            try:
                out = self._repo.git.ls_tree("-r", "-z", "--full-tree", sha)
            except git.GitCommandError as exc:
                raise WorkspaceError(f"cannot list {sha[:12]}: {_detail(exc)}") from None
            tree = {}
            for entry in str(out).split("\0"):
                meta, _, path = entry.partition("\t")
                parts = meta.split()
                if len(parts) == 3 and parts[1] == "blob":
                    tree[path] = parts[2]
            if len(self._trees) > 64:  # turns are visited in order: keep the recent ones
                self._trees.pop(next(iter(self._trees)))
            self._trees[sha] = tree
        return tree

    def blob_id(self, sha: str, rel: str) -> str | None:
        """The object id of ``rel`` at ``sha`` when it is a file there, else None."""
        return self._tree(sha).get(rel.strip("/"))

    def read(self, sha: str, rel: str) -> bytes | None:
        """The bytes of ``rel`` at ``sha``; None when it is not a file there."""
        blob = self.blob_id(sha, rel)
        if blob is None:
            return None
        data = self._blobs.get(blob)
        if data is None:
            data = self._blobs[blob] = self._repo.odb.stream(bytes.fromhex(blob)).read()
        return data

    def files(self, sha: str, rel_dir: str, suffix: str) -> list[str]:
        """Sorted paths (relative to ``rel_dir``) of files ending in ``suffix`` under it."""
        base = rel_dir.strip("/")
        prefix = base + "/" if base else ""
        return sorted(
            p[len(prefix) :] for p in self._tree(sha) if p.startswith(prefix) and p.endswith(suffix)
        )


def _work_repo_or_bare(root: Path) -> tuple[Repo, Path]:
    """The repository at ``root`` (a work tree or a bare repository, e.g. a clone of a
    bundle), or a clear error."""
    repo = open_repo(root)
    if repo is None:
        raise WorkspaceError(
            "not a git repository", path=str(root), hint="pass --repo DIR of a git repository"
        )
    top = Path(repo.working_tree_dir) if repo.working_tree_dir else Path(repo.git_dir)
    return repo, top


def recent_subjects(root: Path, limit: int) -> list[tuple[str, str]]:
    """``(short sha, subject)`` of the newest ``limit`` commits of the repository holding
    ``root``, newest first; empty outside a repository. Runs ``git log`` directly (through
    the runner's probe) so that `supervisor next` never pays for importing GitPython."""
    if limit <= 0 or not any((d / ".git").exists() for d in (root, *root.parents)):
        return []
    import os

    from supervisor.dispatch.runner import Probe

    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    argv = ["git", "log", f"-n{int(limit)}", "--no-color", "--format=%h%x1f%s"]
    out = Probe(argv, cwd=root, env=env).result(timeout=10.0)
    if out is None:
        return []
    rows = [line.split("\x1f", 1) for line in out.splitlines() if "\x1f" in line]
    return [(sha, subject) for sha, subject in rows]


def head_id(root: Path) -> str | None:
    """What HEAD of the repository holding ``root`` points at (a commit id, or the ref name
    when it cannot be resolved from files), read from ``.git`` without running git: cheap
    enough to key the ``next`` cache, whose answer depends on recent commit subjects."""
    for d in (root, *root.parents):
        dot = d / ".git"
        if dot.is_file():  # a worktree or submodule: "gitdir: PATH"
            text = dot.read_text(encoding="utf-8", errors="replace").strip()
            if not text.startswith("gitdir:"):
                return None
            gitdir = (d / text.removeprefix("gitdir:").strip()).resolve()
        elif dot.is_dir():
            gitdir = dot
        else:
            continue
        try:
            head = (gitdir / "HEAD").read_text(encoding="utf-8").strip()
        except OSError:
            return None
        if not head.startswith("ref:"):
            return head
        ref = head.removeprefix("ref:").strip()
        common = gitdir
        marker = gitdir / "commondir"
        if marker.is_file():
            common = (gitdir / marker.read_text(encoding="utf-8").strip()).resolve()
        for base in (gitdir, common):
            try:
                return (base / ref).read_text(encoding="utf-8").strip()
            except OSError:
                pass
        try:
            for line in (common / "packed-refs").read_text(encoding="utf-8").splitlines():
                if line.endswith(" " + ref):
                    return line.split(" ", 1)[0]
        except OSError:
            pass
        return ref
    return None
