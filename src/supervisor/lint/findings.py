"""Lint findings and the table of stable codes (code, name, default severity, what it means).

A check builds a :class:`Finding` with :func:`finding`, which fills in the code's default
severity; :func:`apply_severities` then applies the workspace's ``lint.severity`` overrides
(``error`` / ``warning`` / ``off``). Codes never change meaning once released.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - kept out of `supervisor lint --help`'s import path
    from supervisor.model import Span

ERROR = "error"
WARNING = "warning"
OFF = "off"
SEVERITIES = (ERROR, WARNING, OFF)


@dataclass(frozen=True)
class Code:
    code: str
    name: str
    severity: str  # default severity
    summary: str
    fixable: bool = False


_TABLE = (
    # ledger and plan consistency
    ("L101", "duplicate-item", ERROR, "an item ID has more than one `## [ID]` section"),
    ("L102", "duplicate-index-row", ERROR, "an item ID has more than one Index row"),
    ("L103", "index-status-mismatch", ERROR, "an Index row's Status disagrees with its section's"),
    ("L104", "unknown-status", ERROR, "a status word outside the configured `statuses`"),
    ("L105", "unknown-priority", WARNING, "a priority outside the configured `priorities`"),
    ("L106", "attempt-duplicate", ERROR, "an attempt number is used twice within one item"),
    ("L107", "attempt-gap", OFF, "attempt numbers skip within one item (opt-in)"),
    ("L108", "attempt-order", WARNING, "an attempt is filed after later ones (number and date)"),
    ("L109", "attempt-missing", ERROR, "Next Actions cite an attempt the item does not have"),
    ("L110", "plan-missing", ERROR, "a Plan Reference names a file that does not exist"),
    ("L111", "done-with-open-tasks", ERROR, "an item is done but its plan has unfinished tasks"),
    ("L112", "tasks-done-item-open", WARNING, "every plan task is done but the item is active"),
    ("L113", "ledger-too-large", WARNING, "the ledger is over `lint.ledger_max_kb`"),
    ("L114", "headless-section", ERROR, "an item body follows a rule with no `## [ID]` heading"),
    ("L115", "conflict-markers", ERROR, "committed merge-conflict markers"),
    ("L116", "index-row-orphan", WARNING, "an Index row has no section"),
    ("L117", "index-row-absent", WARNING, "a section has no Index row"),
    ("L118", "table-trailing-space", WARNING, "trailing whitespace after a table row"),
    ("L119", "duplicate-task", ERROR, "a task ID appears twice in one plan"),
    ("L120", "unknown-dependency", WARNING, "`Depends on` names an item not in the ledger"),
    # forms the parsers cannot read (docs/formats.md#lint)
    ("L121", "plan-ref-unreadable", ERROR, "a Plan Reference names no .md path the parser reads"),
    ("L122", "dependency-unreadable", ERROR, "`Depends on` names no item ID the parser reads"),
    ("L123", "checklist-no-state", ERROR, "a task table has an ID column but no State column"),
    ("L124", "checkbox-no-id", ERROR, "a plan's checkbox task has no task ID"),
    ("L125", "plan-no-tasks", WARNING, "a plan has no task the parser can read"),
    ("L126", "attempt-misfiled", WARNING, "an attempt fits another item's sequence: move it"),
    ("L127", "task-reported-done", WARNING, "an open task that a successful attempt reports done"),
    # pointers
    ("P201", "pointer-missing-file", ERROR, "a `path:line` pointer names a missing file"),
    ("P202", "pointer-out-of-range", ERROR, "a pointer's lines run past the end of its file"),
    ("P203", "pointer-outside-workspace", WARNING, "a pointer names an absolute or outside path"),
    ("P204", "pointer-wrong-item", WARNING, "a ledger pointer lands in another item than named"),
    ("P205", "pointer-ambiguous", WARNING, "a short pointer's path ends two or more files"),
    ("P206", "pointer-short", OFF, "a pointer names its file by a unique path suffix (opt-in)"),
    # selectors and symbols
    ("S301", "symbol-missing", ERROR, "a done task's `file::name` is not defined in the file"),
    ("S302", "selector-not-collected", ERROR, "a test selector does not collect (--collect-tests)"),
    ("S303", "claimed-file-missing", ERROR, "a done task's `file::name` names a missing file"),
    ("S304", "mapped-test-missing", WARNING, "a brief's Mapped tests selector does not exist"),
    # contracts
    ("C401", "contract-schema", ERROR, "a contract is not valid YAML or breaks the schema"),
    ("C402", "status-above-evidence", ERROR, "a contract status outruns its evidence"),
    ("C403", "unknown-contract-status", ERROR, "a contract status is not on the ladder"),
    ("C404", "duplicate-contract-id", ERROR, "a contract or falsification test ID repeats"),
    ("C405", "contract-above-tests", WARNING, "a contract status is above its weakest test"),
)
FIXABLE = frozenset({"L103", "L118", "P206"})
CODES: dict[str, Code] = {c: Code(c, n, s, d, c in FIXABLE) for c, n, s, d in _TABLE}


@dataclass(frozen=True, order=True)
class Finding:
    """One finding: ``path:line: CODE message — fix``."""

    span: Span
    code: str
    message: str
    fix: str
    severity: str = ERROR

    @property
    def path(self) -> str:
        return self.span.path

    @property
    def line(self) -> int:
        return self.span.start

    @property
    def name(self) -> str:
        return CODES[self.code].name

    def render(self) -> str:
        tail = f" — {self.fix}" if self.fix else ""
        return f"{self.path}:{self.line}: {self.code} {self.message}{tail}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "end_line": self.span.end,
            "message": self.message,
            "fix": self.fix,
            "fixable": self.code in FIXABLE,
        }


def finding(code: str, span: Span, message: str, fix: str = "") -> Finding:
    return Finding(span, code, message, fix, CODES[code].severity)


def at(path: str, line: int, end: int | None = None) -> Span:
    """A span for a finding (line clamped to 1)."""
    from supervisor.model import Span

    start = max(1, line)
    return Span(path, start, max(start, end if end is not None else start))


def apply_severities(found: Iterable[Finding], overrides: Mapping[str, str]) -> list[Finding]:
    """Findings with the configured severities; codes set to ``off`` are dropped. Sorted by
    path, line, code; exact duplicates removed."""
    out: set[Finding] = set()
    for f in found:
        sev = overrides.get(f.code, f.severity)
        if sev != OFF:
            out.add(f if sev == f.severity else replace(f, severity=sev))
    return sorted(out, key=lambda f: (f.path, f.line, f.code, f.message))


def codes_table() -> str:
    """The code table as plain text (for ``--list-codes`` and docs)."""
    rows = [f"{c.code}  {c.name:<26} {c.severity:<8} {c.summary}" for c in CODES.values()]
    return "\n".join(rows) + "\n"
