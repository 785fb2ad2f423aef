"""A workspace: its config plus cached, checked reads of the files it names.

Every file read goes through :meth:`Workspace.read_text`, which enforces UTF-8 with a
``path:line`` error, keeps the text for pointer verification, and records a content hash so
callers (the ``next`` cache) know exactly what an answer depended on.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Protocol

from supervisor.config import Config, load_config
from supervisor.errors import WorkspaceError
from supervisor.model import Item, Ledger, Plan


class Source(Protocol):
    """Where a workspace's files come from: the disk (default) or a commit's git objects
    (``supervisor replay``). Paths are workspace-relative POSIX strings."""

    def read_bytes(self, rel: str, what: str = "file") -> bytes: ...  # FileNotFoundError …

    def is_file(self, rel: str) -> bool: ...

    def files(self, rel_dir: str, suffix: str) -> list[str]: ...  # sorted, relative to rel_dir


def decode_text(data: bytes, rel: str) -> str:
    """UTF-8 text without a byte-order mark, or a ``path:line`` error naming the bad byte."""
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
    return text.removeprefix("\ufeff")


class DiskSource:
    """Regular files under ``root``, at most ``max_bytes`` each (FIFOs, devices and oversized
    files are refused before they are read)."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def read_bytes(self, rel: str, what: str = "file") -> bytes:
        from supervisor.fsio import read_bytes

        return read_bytes(self.root / rel, shown=rel, max_bytes=self.max_bytes, what=what)

    def is_file(self, rel: str) -> bool:
        return (self.root / rel).is_file()

    def files(self, rel_dir: str, suffix: str) -> list[str]:
        from supervisor.cache import listing

        return listing(self.root / rel_dir, suffix)


class Workspace:
    def __init__(
        self,
        config: Config,
        source: Source | None = None,
        memo: dict[tuple[str, str], Plan] | None = None,
    ) -> None:
        self.config = config
        self.root = config.root
        self.source: Source = (
            source if source is not None else DiskSource(config.root, config.limits.max_file_bytes)
        )
        self._text: dict[str, str] = {}
        self.reads: dict[str, str] = {}  # rel path -> sha256 of the bytes read
        self.listings: dict[str, tuple[str, list[str]]] = {}  # dir -> (suffix, names)
        self._ledger: Ledger | None = None
        self._plans: dict[str, Plan] = {}
        self._memo = memo  # plans parsed by (path, content hash), shared across workspaces

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
        return self.source.is_file(rel)

    def read_text(self, rel: str, *, what: str = "file", hint: str | None = None) -> str:
        if rel in self._text:
            return self._text[rel]
        try:
            data = self.source.read_bytes(rel, what)
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
        text = decode_text(data, rel)
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
            text = self.read_text(
                self.ledger_path,
                what="ledger",
                hint=f"create it or set paths.ledger in {self.config.rel_path}",
            )
            self._ledger = _parse_ledger(text, self.ledger_path, self.config)
        return self._ledger

    def plan_paths(self) -> list[str]:
        """Markdown files under the plans directory, sorted (deterministic)."""
        plans = self.config.paths.plans.rstrip("/")
        names = self.source.files(plans, ".md")
        self.listings[plans] = (".md", names)
        return [f"{plans}/{n}" for n in names]

    def plan(self, rel: str) -> Plan:
        if rel not in self._plans:
            from supervisor.parse.plan import parse_plan

            text = self.read_text(rel, what="plan")
            key = (rel, self.reads[rel])
            plan = self._memo.get(key) if self._memo is not None else None
            if plan is None:
                plan = parse_plan(text, rel)
                if self._memo is not None:
                    self._memo[key] = plan
            self._plans[rel] = plan
        return self._plans[rel]

    def plan_for(self, item: Item) -> str | None:
        """The plan an item follows: the first of :meth:`plans_for`."""
        plans = self.plans_for(item)
        return plans[0] if plans else None

    def plans_for(self, item: Item) -> list[str]:
        """The plans an item follows: the existing paths in its ``Plan Reference`` field
        (files under the plans directory first), else ``<plans>/<ID>/<name>`` for the
        configured plan file names, else the plan whose Context ``Initiative`` names the
        item."""
        from supervisor.parse.fields import plan_refs

        refs: list[str] = []
        for f in item.fields:
            if f.label.lower().startswith("plan"):
                refs += [p.removeprefix("./") for p in plan_refs(f.raw)]
        existing = list(dict.fromkeys(r for r in refs if self.exists(r)))
        base = self.config.paths.plans.rstrip("/") + "/"
        existing.sort(key=lambda r: not r.startswith(base))
        if existing:
            return existing
        plans_dir = self.config.paths.plans.rstrip("/")
        for name in self.config.ledger.plan_files:
            for key in (item.id, item.id.lower()):
                rel = f"{plans_dir}/{key}/{name}"
                if self.exists(rel):
                    return [rel]
        for rel in self.plan_paths():
            head = self.read_text(rel, what="plan")[:4000]
            for line in head.splitlines():
                low = line.lower()
                if ("initiative" in low or "fix_plan item" in low) and item.id in line:
                    return [rel]
        return []


def _parse_ledger(text: str, path: str, config: Config) -> Ledger:
    """The ledger in the configured shape (``ledger.shape``); ``auto`` reads item sections,
    then the single-focus shape. No item in any shape is an error naming what was expected."""
    import re

    from supervisor.config import ID_TOKEN
    from supervisor.parse.fields import ID_PATTERN

    shape = config.ledger
    ledger = None
    if shape.shape in ("auto", "sections"):
        from supervisor.parse.ledger import parse_ledger

        default = shape.item_heading == type(shape)().item_heading
        pattern = None
        if not default:
            pattern = re.compile(shape.item_heading.replace(ID_TOKEN, f"(?P<id>{ID_PATTERN})"))
        ledger = parse_ledger(text, path, pattern)
    if shape.shape in ("auto", "single-focus") and (ledger is None or not ledger.items):
        from supervisor.parse.focus_ledger import parse_focus_ledger

        single = parse_focus_ledger(text, path, shape.focus_heading, shape.history_heading)
        if single.items or ledger is None:
            ledger = single
    assert ledger is not None
    if not ledger.items:
        expected = {
            "sections": f"item headings matching ledger.item_heading '{shape.item_heading}' "
            '(e.g. "## [EXAMPLE-001] Title")',
            "single-focus": f'a "## {shape.focus_heading}" section naming an item ID',
        }
        wanted = [v for k, v in expected.items() if shape.shape in ("auto", k)]
        first = next((n for n, ln in enumerate(text.splitlines(), 1) if ln.startswith("#")), 1)
        raise WorkspaceError(
            f"no items found: expected {' or '.join(wanted)}",
            path=path,
            line=first,
            hint=(
                'add an item section such as "## [EXAMPLE-001] Title" with - Status: '
                f"in_progress, or set ledger.item_heading / ledger.shape in {config.rel_path}"
            ),
            see="ledger",
        )
    return ledger
