"""Where a short pointer's file is: the workspace's file list and pointer resolution.

A pointer such as ``simulator.py:626`` or ``models/crystal.py:12`` whose path does not exist
as written resolves when exactly one listed file ends with that path (``/`` boundaries), or
when it exists beside the file that cites it. The list is git's (tracked files plus
untracked ones that are not ignored) when the workspace is in a repository, else a walk that
honours ``.gitignore`` / ``.ignore`` files and skips virtual environments and caches. It is
built once per lint run, and only when some pointer needs it. A missing path under an ignored
directory (local evidence bundles, benchmark output) is not reported: its absence from this
checkout says nothing about the pointer.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

_IGNORE_FILES = (".gitignore", ".ignore")
_NEVER = frozenset(
    {".git", ".hg", ".svn", "__pycache__", "node_modules", "site-packages", ".venv", ".tox",
     ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".supervisor"}
)  # fmt: skip
WALK_LIMIT = 200_000  # files; a walk stops there (a workspace is not a whole disk)


class Found(StrEnum):
    EXACT = "exact"  # the path exists as written
    RESOLVED = "resolved"  # one file ends with the path (or sits beside the citing file)
    AMBIGUOUS = "ambiguous"  # two or more files end with the path
    MISSING = "missing"  # no file ends with the path
    IGNORED = "ignored"  # missing, but under an ignored path (local artifacts): not checkable
    DIRECTORY = "directory"  # the path is a directory


@dataclass(frozen=True)
class Resolution:
    found: Found
    path: str  # the file to check: as written, or the resolved path
    candidates: tuple[str, ...] = ()  # AMBIGUOUS: every match; MISSING: case-insensitive ones


# ------------------------------------------------------------------ ignore files


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool


def _translate(pattern: str) -> str:
    """A gitignore glob (already stripped of ``!``, leading and trailing ``/``) as a regex
    over ``/``-separated paths relative to the ignore file's directory."""
    out: list[str] = []
    k = 0
    n = len(pattern)
    while k < n:
        if pattern.startswith("**/", k):
            out.append("(?:.*/)?")
            k += 3
        elif pattern.startswith("/**", k) and k + 3 == n:
            out.append("/.*")
            k += 3
        elif pattern.startswith("**", k):
            out.append(".*")
            k += 2
        elif pattern[k] == "*":
            out.append("[^/]*")
            k += 1
        elif pattern[k] == "?":
            out.append("[^/]")
            k += 1
        elif pattern[k] == "[":
            end = pattern.find("]", k + 2)
            if end < 0:
                out.append(re.escape("["))
                k += 1
                continue
            body = pattern[k + 1 : end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            k = end + 1
        elif pattern[k] == "\\" and k + 1 < n:
            out.append(re.escape(pattern[k + 1]))
            k += 2
        else:
            out.append(re.escape(pattern[k]))
            k += 1
    return "".join(out)


def parse_ignore(text: str) -> list[_Rule]:
    """The rules of one ignore file (gitignore syntax)."""
    rules: list[_Rule] = []
    for raw in text.splitlines():
        line = raw.rstrip("\n\r")
        if not line.strip() or line.startswith("#"):
            continue
        if not line.endswith("\\ "):
            line = line.rstrip(" \t")
        negate = line.startswith("!")
        if negate:
            line = line[1:]
        if line.startswith(("\\!", "\\#")):
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        line = line.lstrip("/")
        body = _translate(line)
        regex = ("" if anchored else "(?:.*/)?") + body
        rules.append(_Rule(re.compile(f"^{regex}$", re.DOTALL), negate, dir_only))
    return rules


def _ignored(layers: list[tuple[str, list[_Rule]]], rel: str, is_dir: bool) -> bool:
    """Whether ``rel`` is ignored by the ignore files of its ancestors (deeper files and later
    lines win)."""
    verdict = False
    for base, rules in layers:
        sub = rel[len(base) + 1 :] if base else rel
        for rule in rules:
            if rule.dir_only and not is_dir:
                continue
            if rule.regex.match(sub):
                verdict = not rule.negate
    return verdict


def walk_files(root: Path) -> list[str]:
    """Files under ``root`` (relative, sorted), honouring ignore files at every level."""
    out: list[str] = []
    stack: list[tuple[str, list[tuple[str, list[_Rule]]]]] = [("", [])]
    while stack and len(out) < WALK_LIMIT:
        rel_dir, layers = stack.pop()
        here = root / rel_dir if rel_dir else root
        try:
            entries = sorted(os.scandir(here), key=lambda e: e.name)
        except OSError:
            continue
        rules: list[_Rule] = []
        for name in _IGNORE_FILES:
            ignore = here / name
            if ignore.is_file():
                rules += parse_ignore(ignore.read_text(encoding="utf-8", errors="replace"))
        if rules:
            layers = [*layers, (rel_dir, rules)]
        subdirs = []
        for e in entries:
            rel = f"{rel_dir}/{e.name}" if rel_dir else e.name
            try:
                is_dir = e.is_dir(follow_symlinks=False)
                is_file = e.is_file()
            except OSError:
                continue
            if is_dir:
                if e.name in _NEVER or (Path(e.path) / "pyvenv.cfg").exists():
                    continue
                if not _ignored(layers, rel, True):
                    subdirs.append(rel)
            elif is_file and not _ignored(layers, rel, False):
                out.append(rel)
        stack += [(d, layers) for d in reversed(subdirs)]
    return sorted(out)


# ------------------------------------------------------------------ the index


@dataclass
class FileIndex:
    """The workspace's files by base name, built on first use."""

    root: Path
    _by_name: dict[str, list[str]] | None = field(default=None, repr=False)
    _by_lower: dict[str, list[str]] | None = field(default=None, repr=False)
    _rules: dict[str, list[_Rule]] = field(default_factory=dict, repr=False)
    source: str = ""  # "git" or "walk", once built

    def _rules_in(self, rel_dir: str) -> list[_Rule]:
        if rel_dir not in self._rules:
            here = self.root / rel_dir if rel_dir else self.root
            rules: list[_Rule] = []
            names = [*_IGNORE_FILES, ".git/info/exclude"] if not rel_dir else _IGNORE_FILES
            for name in names:
                path = here / name
                if path.is_file():
                    rules += parse_ignore(path.read_text(encoding="utf-8", errors="replace"))
            self._rules[rel_dir] = rules
        return self._rules[rel_dir]

    def ignored(self, rel: str) -> bool:
        """Whether ``rel`` (which need not exist) is under an ignored path, by the ignore
        files of the workspace and of its directories that exist."""
        parts = rel.split("/")
        layers: list[tuple[str, list[_Rule]]] = []
        for k in range(len(parts)):
            base = "/".join(parts[:k])
            rules = self._rules_in(base) if not k or (self.root / base).is_dir() else []
            if rules:
                layers.append((base, rules))
            sub = "/".join(parts[: k + 1])
            if _ignored(layers, sub, k < len(parts) - 1):
                return True
        return False

    def _build(self) -> dict[str, list[str]]:
        if self._by_name is None:
            from supervisor.gitio import listed_files

            files = listed_files(self.root)
            self.source = "git"
            if files is None:
                files = walk_files(self.root)
                self.source = "walk"
            by_name: dict[str, list[str]] = {}
            for f in files:
                by_name.setdefault(f.rsplit("/", 1)[-1], []).append(f)
            self._by_name = by_name
        return self._by_name

    def ending_with(self, suffix: str) -> list[str]:
        """Listed files whose path is ``suffix`` or ends with ``/suffix``."""
        name = suffix.rsplit("/", 1)[-1]
        return [p for p in self._build().get(name, ()) if p == suffix or p.endswith("/" + suffix)]

    def ending_with_any_case(self, suffix: str) -> list[str]:
        if self._by_lower is None:
            lower: dict[str, list[str]] = {}
            for name, paths in self._build().items():
                lower.setdefault(name.lower(), []).extend(paths)
            self._by_lower = lower
        low = suffix.lower()
        name = low.rsplit("/", 1)[-1]
        return sorted(
            p
            for p in self._by_lower.get(name, ())
            if p.lower() == low or p.lower().endswith("/" + low)
        )


def resolve(root: Path, index: FileIndex, citing: str, target: str) -> Resolution:
    """Where ``target`` (a normalized workspace-relative path cited in ``citing``) is."""
    path = root / target
    if path.is_file():
        return Resolution(Found.EXACT, target)
    if path.is_dir():
        return Resolution(Found.DIRECTORY, target)
    beside = posixpath.normpath(posixpath.join(posixpath.dirname(citing), target))
    if posixpath.dirname(citing) and not beside.startswith("../") and (root / beside).is_file():
        return Resolution(Found.RESOLVED, beside)
    hits = [p for p in index.ending_with(target) if (root / p).is_file()]
    if len(hits) == 1:
        return Resolution(Found.RESOLVED, hits[0])
    if hits:
        return Resolution(Found.AMBIGUOUS, target, tuple(sorted(hits)))
    near = [p for p in index.ending_with_any_case(target) if (root / p).is_file()]
    if not near and index.ignored(target):
        return Resolution(Found.IGNORED, target)
    return Resolution(Found.MISSING, target, tuple(near))
