"""``supervisor lint``: claims versus reality, caught at the cheapest layer.

Checks the workspace's ledger, plans, brief and contracts (or only the PATHS given) and
reports each finding as ``path:line: CODE message — fix``. Severities are per code and can
be overridden (or turned ``off``) under ``lint.severity`` in ``supervisor.yaml``.

==== ============================ ======= ==================================================
code name                         default meaning
==== ============================ ======= ==================================================
L101 duplicate-item               error   an item ID has more than one ``## [ID]`` section
L102 duplicate-index-row          error   an item ID has more than one Index row
L103 index-status-mismatch        error   an Index row's Status disagrees with its section's
L104 unknown-status               error   a status word outside the configured ``statuses``
L105 unknown-priority             warning a priority outside the configured ``priorities``
L106 attempt-duplicate            error   an attempt number is used twice within one item
L107 attempt-gap                  off     attempt numbers skip within one item
L108 attempt-order                warning an attempt is filed after later ones (number and date)
L109 attempt-missing              error   Next Actions cite an attempt the item does not have
L110 plan-missing                 error   a Plan Reference names a file that does not exist
L111 done-with-open-tasks         error   an item is done but its plan has unfinished tasks
L112 tasks-done-item-open         warning every plan task is done but the item is active
L113 ledger-too-large             warning the ledger is over ``lint.ledger_max_kb``
L114 headless-section             error   an item body follows a rule with no heading
L115 conflict-markers             error   committed merge-conflict markers
L116 index-row-orphan             warning an Index row has no section
L117 index-row-absent             warning a section has no Index row
L118 table-trailing-space         warning trailing whitespace after a table row
L119 duplicate-task               error   a task ID appears twice in one plan
L120 unknown-dependency           warning ``Depends on`` names an item not in the ledger
L121 plan-ref-unreadable          error   a Plan Reference names no .md path the parser reads
L122 dependency-unreadable        error   ``Depends on`` names no item ID the parser reads
L123 checklist-no-state           error   a task table has an ID column but no State column
L124 checkbox-no-id               error   a plan's checkbox task has no task ID
L125 plan-no-tasks                warning a plan has no task the parser can read
L126 attempt-misfiled             warning an attempt fits another item's sequence: move it
L127 task-reported-done           warning an open task that a successful attempt reports done
P201 pointer-missing-file         error   a ``path:line`` pointer names a missing file
P202 pointer-out-of-range         error   a pointer's lines run past the end of its file
P203 pointer-outside-workspace    warning a pointer names an absolute or outside path
P204 pointer-wrong-item           warning a ledger pointer lands in another item than named
P205 pointer-ambiguous            warning a short pointer's path ends two or more files
P206 pointer-short                off     a pointer names its file by a unique path suffix
S301 symbol-missing               error   a done task's ``file::name`` is not in the file
S302 selector-not-collected       error   a test selector does not collect (--collect-tests)
S303 claimed-file-missing         error   a done task's ``file::name`` names a missing file
S304 mapped-test-missing          warning a brief's Mapped tests selector does not exist
C401 contract-schema              error   a contract is not valid YAML or breaks the schema
C402 status-above-evidence        error   a contract status outruns its evidence
C403 unknown-contract-status      error   a contract status is not on the ladder
C404 duplicate-contract-id        error   a contract or falsification test ID repeats
C405 contract-above-tests         warning a contract status is above its weakest test
==== ============================ ======= ==================================================

L107 and P206 are off unless enabled under ``lint.severity``: a gap in attempt numbers is
usually pruned or skipped history that no edit of the ledger fixes (renumbering would break
every citation of the record), and a resolved short pointer is not wrong.

L103, L118 and P206 (when enabled) are fixable with ``--fix-safe`` (see
:mod:`supervisor.lint.fix`). The library never prints or exits: :func:`lint` returns a
:class:`LintReport`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supervisor.lint.findings import CODES, ERROR, OFF, WARNING, Finding, apply_severities

if TYPE_CHECKING:  # pragma: no cover
    from supervisor.lint.context import LintContext
    from supervisor.lint.fix import FixResult
    from supervisor.model import Anchor, Span
    from supervisor.workspace import Workspace

__all__ = ["CODES", "Finding", "LintReport", "lint"]


@dataclass(frozen=True)
class LintReport:
    findings: tuple[Finding, ...]
    files: tuple[str, ...]
    fixed: tuple[FixResult, ...] = field(default=())

    @property
    def errors(self) -> int:
        return sum(f.severity == ERROR for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity == WARNING for f in self.findings)

    def summary(self) -> str:
        def n(k: int, word: str) -> str:
            return f"{k} {word}{'' if k == 1 else 's'}"

        fixed = sum(len(r.lines) for r in self.fixed)
        tail = f", {n(fixed, 'line')} fixed" if self.fixed else ""
        return (
            f"{n(self.errors, 'error')}, {n(self.warnings, 'warning')} in "
            f"{n(len(self.files), 'file')}{tail}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "summary": {
                "errors": self.errors,
                "warnings": self.warnings,
                "files": len(self.files),
                "text": self.summary(),
            },
            "files": list(self.files),
            "findings": [f.as_dict() for f in self.findings],
            "fixed": [
                {"path": r.path, "codes": list(r.codes), "lines": list(r.lines), "diff": r.diff}
                for r in self.fixed
            ],
        }


def lint(
    ws: Workspace,
    paths: Sequence[Path] = (),
    *,
    fix_safe: bool = False,
    collect_tests: bool = False,
    resolve: bool = True,
) -> LintReport:
    """Lint the workspace (or only ``paths``). With ``fix_safe``, first apply the mechanical
    fixes of the enabled fixable codes through the locked atomic write path, then lint the
    result. ``resolve=False`` turns off short-pointer resolution (pointers must name their
    file as written; for measuring what resolution changes)."""
    from supervisor.lint.context import LintContext

    if not paths and not ws.exists(ws.ledger_path):
        from supervisor.errors import WorkspaceError

        raise WorkspaceError(
            "ledger not found, so there is nothing to lint",
            path=ws.ledger_path,
            hint=f"create it (`supervisor init`) or set paths.ledger in {ws.config.rel_path}",
            see="ledger",
        )
    overrides = dict(ws.config.lint.severity)
    fixed: tuple[FixResult, ...] = ()
    if fix_safe:
        from supervisor.lint.fix import apply_fixes
        from supervisor.lint.pointer_checks import short_pointer_target
        from supervisor.workspace import Workspace as _Workspace

        before = LintContext(ws, resolve=resolve)
        files = before.select(paths)
        codes = [
            c for c in CODES.values() if c.fixable and overrides.get(c.code, c.severity) != OFF
        ]

        def rewrite(citing: str, a: Anchor, target: str) -> str | None:
            return short_pointer_target(before, citing, a, target)

        fixed = apply_fixes(ws.root, files, (c.code for c in codes), rewrite)
        if fixed:
            ws = _Workspace(ws.config)  # re-read what was rewritten
    ctx = LintContext(ws, resolve=resolve)
    files = ctx.select(paths)
    found = _run(ctx, files, collect_tests)
    return LintReport(
        tuple(apply_severities(found, overrides)), tuple(rel for rel, _ in files), fixed
    )


def _run(ctx: LintContext, files: list[tuple[str, str]], collect_tests: bool) -> list[Finding]:
    from supervisor.lint import (
        contracts,
        ledger_checks,
        plan_checks,
        pointer_checks,
        symbol_checks,
    )
    from supervisor.lint.context import BRIEF, CONTRACT, LEDGER, PLAN
    from supervisor.lint.findings import at

    found: list[Finding] = []
    to_collect: list[tuple[str, Span]] = []
    for rel, kind in files:
        if kind == CONTRACT:
            found += contracts.check_contract(ctx, rel)
            for sel, n in contracts.contract_selectors(ctx, rel):
                if ctx.exists(sel.split("::", 1)[0]):  # a missing file is C402's business
                    to_collect.append((sel, at(rel, n)))
            continue
        if kind == LEDGER:
            past = pointer_checks.history_lines(ctx.ledger(rel), ctx.config.statuses)
            found += pointer_checks.check_pointers(ctx, rel, past)
        else:
            found += pointer_checks.check_pointers(ctx, rel)
        if kind == LEDGER:
            found += ledger_checks.check_ledger(ctx, rel)
        elif kind == PLAN:
            found += plan_checks.check_plan(ctx, rel)
            found += symbol_checks.check_plan_claims(ctx, rel)
        elif kind == BRIEF:
            from supervisor.parse.brief import parse_brief

            brief = parse_brief(ctx.ws.read_text(rel, what="brief"), rel)
            found += symbol_checks.check_mapped_tests(ctx, brief)
            to_collect += [
                (s.raw, s.span) for s in symbol_checks.mapped_tests(brief) if ctx.exists(s.path)
            ]
    if collect_tests and to_collect:
        from supervisor.lint.selectors import collect

        found += collect(ctx.root, to_collect)
    return found
