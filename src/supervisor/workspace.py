"""A workspace: its config plus cached, checked reads of the files it names.

Every file read goes through :meth:`Workspace.read_text`, which enforces UTF-8 with a
``path:line`` error, keeps the text for pointer verification, and records a content hash so
callers (the ``next`` cache) know exactly what an answer depended on.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from supervisor.config import Config, load_config
from supervisor.errors import WorkspaceError
from supervisor.model import Item, Ledger, Plan


class Workspace:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.root = config.root
        self._text: dict[str, str] = {}
        self.reads: dict[str, str] = {}  # rel path -> sha256 of the bytes read
        self.listings: dict[str, tuple[str, list[str]]] = {}  # dir -> (suffix, names)
        self._ledger: Ledger | None = None
        self._plans: dict[str, Plan] = {}

    @classmethod
    def find(cls, start: Path) -> Workspace:
        return cls(load_config(start))

    # ------------------------------------------------------------------ files

    def rel(self, path: Path | str) -> str:
        p = Path(path)
        if p.is_absolute():
            try:
                p = p.resolve().relative_to(self.root.resolve())
            except ValueError:
                return p.as_posix()
        return p.as_posix()

    def abs(self, rel: str) -> Path:
        return self.root / rel

    def exists(self, rel: str) -> bool:
        return self.abs(rel).is_file()

    def read_text(self, rel: str, *, what: str = "file", hint: str | None = None) -> str:
        if rel in self._text:
            return self._text[rel]
        path = self.abs(rel)
        try:
            from supervisor.fsio import read_bytes

            limit = self.config.limits.max_file_bytes
            data = read_bytes(path, shown=rel, max_bytes=limit, what=what)
        except FileNotFoundError:
            raise WorkspaceError(
                f"{what} not found", path=rel, hint=hint or "create it or fix the path"
            ) from None
        except IsADirectoryError:
            raise WorkspaceError(f"{what} is a directory, expected a file", path=rel) from None
        except OSError as exc:
            raise WorkspaceError(
                f"cannot read {what}: {exc.strerror}", path=rel, hint="check its permissions"
            ) from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise WorkspaceError(
                f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                path=rel,
                line=line,
                hint="re-save the file as UTF-8",
            ) from None
        if text.startswith("\ufeff"):
            text = text[1:]
        self._text[rel] = text
        self.reads[rel] = hashlib.sha256(data).hexdigest()
        return text

    def line_count(self, rel: str) -> int:
        text = self.read_text(rel)
        return text.count("\n") + (0 if text.endswith("\n") or not text else 1)

    # ------------------------------------------------------------------ models

    @property
    def ledger_path(self) -> str:
        return self.config.paths.ledger

    def ledger(self) -> Ledger:
        if self._ledger is None:
            from supervisor.parse.ledger import parse_ledger

            text = self.read_text(
                self.ledger_path,
                what="ledger",
                hint=f"create it or set paths.ledger in {self.config.rel_path}",
            )
            self._ledger = parse_ledger(text, self.ledger_path)
        return self._ledger

    def plan_paths(self) -> list[str]:
        """Markdown files under the plans directory, sorted (deterministic)."""
        from supervisor.cache import listing

        plans = self.config.paths.plans.rstrip("/")
        names = listing(self.abs(plans), ".md")
        self.listings[plans] = (".md", names)
        return [f"{plans}/{n}" for n in names]

    def plan(self, rel: str) -> Plan:
        if rel not in self._plans:
            from supervisor.parse.plan import parse_plan

            self._plans[rel] = parse_plan(self.read_text(rel, what="plan"), rel)
        return self._plans[rel]

    def plan_for(self, item: Item) -> str | None:
        """The plan an item follows: the first existing path in its ``Plan Reference`` field
        (files under the plans directory preferred), else the plan whose Context
        ``Initiative`` names the item."""
        from supervisor.parse.fields import paths_in

        refs: list[str] = []
        for f in item.fields:
            if f.label.lower().startswith("plan"):
                refs += [p for p in paths_in(f.raw) if p.endswith(".md")]
        existing = [r for r in refs if self.exists(r)]
        base = self.config.paths.plans.rstrip("/") + "/"
        for r in existing:
            if r.startswith(base):
                return r
        if existing:
            return existing[0]
        for rel in self.plan_paths():
            head = self.read_text(rel, what="plan")[:4000]
            for line in head.splitlines():
                low = line.lower()
                if ("initiative" in low or "fix_plan item" in low) and item.id in line:
                    return rel
        return None
