"""What a lint run reads, read once: the files to check (classified by role) and cached
facts about pointer targets (line counts) and source files (the names they define)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from supervisor.errors import UsageError
from supervisor.lint.files import FileIndex, Found, Resolution, resolve
from supervisor.model import Item, Ledger, Plan
from supervisor.parse.markdown import Outline, outline
from supervisor.workspace import Workspace

LEDGER, PLAN, BRIEF, CONTRACT, MARKDOWN = "ledger", "plan", "brief", "contract", "markdown"
_LEDGER_NAME = re.compile(r"^fix_plan(?:\.[^/]*)?\.md$")
_BRIEF_NAME = re.compile(r"^input(?:\.[^/]*)?\.md$")
_CONTRACT_SUFFIXES = (".yaml", ".yml")
_SKIP = {"__pycache__", "node_modules", "site-packages"}


@dataclass(frozen=True)
class Target:
    """What a pointer's path names: ``kind`` is file, dir, missing or outside."""

    kind: str
    lines: int = 0


class LintContext:
    def __init__(self, ws: Workspace, *, resolve: bool = True) -> None:
        self.ws = ws
        self.resolving = resolve  # short pointers resolve against the workspace's files
        self.config = ws.config
        self.root = ws.root
        self._outlines: dict[str, Outline] = {}
        self._targets: dict[str, Target] = {}
        self._ledgers: dict[str, Ledger] = {}
        self.cache: dict[tuple[str, str], object] = {}  # (kind, key) -> parsed thing
        self._files: FileIndex | None = None
        self._resolved: dict[tuple[str, str], Resolution] = {}

    # ------------------------------------------------------------------ inputs

    def outline(self, rel: str) -> Outline:
        """Line-level outline of a workspace markdown file (one pass, cached)."""
        if rel not in self._outlines:
            self._outlines[rel] = outline(self.ws.read_text(rel))
        return self._outlines[rel]

    def lines(self, rel: str) -> tuple[str, ...]:
        return self.outline(rel).lines

    def ledger(self, rel: str) -> Ledger:
        if rel == self.ws.ledger_path:
            return self.ws.ledger()
        if rel not in self._ledgers:
            from supervisor.parse.ledger import parse_ledger

            self._ledgers[rel] = parse_ledger(self.ws.read_text(rel, what="ledger"), rel)
        return self._ledgers[rel]

    def plan(self, rel: str) -> Plan:
        return self.ws.plan(rel)

    def plan_for(self, item: Item) -> str | None:
        """``Workspace.plan_for``, memoized on what it depends on (the item's ID and its
        plan-reference fields), so the same item across ledger versions resolves once."""
        refs = tuple(f.raw for f in item.fields if f.label.lower().startswith("plan"))
        key = ("plan_for", f"{item.id}\0{refs}")
        if key not in self.cache:
            self.cache[key] = self.ws.plan_for(item)
        return cast("str | None", self.cache[key])

    # ------------------------------------------------------------------ targets

    def normalize(self, target: str) -> str | None:
        """A workspace-relative path for ``target``, or None when it leaves the workspace."""
        if target.startswith(("/", "~")):
            return None
        norm = posixpath.normpath(target)
        if norm == ".." or norm.startswith("../"):
            return None
        return norm

    def target(self, rel: str) -> Target:
        """File, directory or missing, with the line count of a file (counted on bytes, so
        binary or non-UTF-8 targets are fine)."""
        hit = self._targets.get(rel)
        if hit is None:
            path = self.root / rel
            if path.is_file():
                try:
                    data = path.read_bytes()
                except OSError:
                    hit = Target("missing")
                else:
                    n = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
                    hit = Target("file", n)
            elif path.is_dir():
                hit = Target("dir")
            else:
                hit = Target("missing")
            self._targets[rel] = hit
        return hit

    def resolve(self, citing: str, target: str) -> Resolution:
        """Where the normalized ``target`` cited in ``citing`` is (see :mod:`.files`); with
        resolution off, only the path as written counts."""
        key = (posixpath.dirname(citing), target)
        hit = self._resolved.get(key)
        if hit is None:
            if not self.resolving:
                kind = self.target(target).kind
                found = {"file": Found.EXACT, "dir": Found.DIRECTORY}.get(kind, Found.MISSING)
                hit = Resolution(found, target)
            else:
                if self._files is None:
                    self._files = FileIndex(self.root)
                hit = resolve(self.root, self._files, citing, target)
            self._resolved[key] = hit
        return hit

    def exists(self, rel: str) -> bool:
        norm = self.normalize(rel)
        return norm is not None and self.target(norm).kind == "file"

    # ------------------------------------------------------------------ selection

    def classify(self, rel: str) -> str | None:
        paths = self.config.paths
        name = rel.rsplit("/", 1)[-1]
        contracts = paths.contracts.rstrip("/") + "/"
        plans = paths.plans.rstrip("/") + "/"
        if rel == paths.ledger:
            return LEDGER
        if rel.startswith(contracts) and rel.endswith(_CONTRACT_SUFFIXES):
            return CONTRACT
        if not rel.endswith(".md"):
            return None
        if rel.startswith(plans):
            return PLAN
        if rel == paths.brief or _BRIEF_NAME.match(name):
            return BRIEF
        if _LEDGER_NAME.match(name):
            return LEDGER
        return MARKDOWN

    def contract_paths(self) -> list[str]:
        from supervisor.cache import listing

        base = self.config.paths.contracts.rstrip("/")
        names = [n for s in _CONTRACT_SUFFIXES for n in listing(self.root / base, s)]
        return [f"{base}/{n}" for n in sorted(names)]

    def default_files(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        paths = self.config.paths
        if self.ws.exists(paths.ledger):
            out.append((paths.ledger, LEDGER))
        out += [(p, PLAN) for p in self.ws.plan_paths()]
        if self.ws.exists(paths.brief):
            out.append((paths.brief, BRIEF))
        out += [(p, CONTRACT) for p in self.contract_paths()]
        return out

    def select(self, given: Sequence[Path]) -> list[tuple[str, str]]:
        """The files to lint: the workspace's, or only those named (directories expand to
        their markdown and YAML files). Files of no lintable kind are skipped."""
        if not given:
            return self.default_files()
        out: dict[str, str] = {}
        for p in given:
            path = p if p.is_absolute() else Path.cwd() / p
            if not path.exists():
                raise UsageError("no such file or directory", path=str(p), hint="check PATHS")
            rel = self.ws.rel(path)
            if rel.startswith(("/", "../")) or rel == "..":
                raise UsageError(
                    f"outside the workspace {self.root}", path=str(p), hint="lint files inside it"
                )
            rels = [rel] if path.is_file() else self._expand(rel)
            for r in rels:
                kind = self.classify(r)
                if kind is not None:
                    out.setdefault(r, kind)
        return sorted(out.items())

    def _expand(self, rel: str) -> list[str]:
        import os

        base = self.root / rel
        out: list[str] = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _SKIP)
            for f in filenames:
                if f.endswith((".md", *_CONTRACT_SUFFIXES)) and not f.startswith("."):
                    out.append(self.ws.rel(Path(dirpath) / f))
        return sorted(out)
