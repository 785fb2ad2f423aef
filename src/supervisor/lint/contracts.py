"""Contracts (C4xx): schema, the status ladder, and evidence for every claimed rung.

Ladder (``lint.contract_ladder``, lowest first; default ``BLOCKER_*`` <
``PARTIAL_ALGORITHM_LEVEL`` < ``FUNCTIONAL``). What each rung requires of a falsification
test's ``algorithm_evidence``:

* the lowest rung: nothing (the test is an honest open claim);
* any higher rung: at least one file path and one function name; every file path exists;
  every function name is defined in at least one of those files;
* the top rung, in addition: the ``test`` selector's file exists and defines the names it
  selects (and, with ``--collect-tests``, the selector collects).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

from supervisor.lint.context import LintContext
from supervisor.lint.findings import Finding, at, finding
from supervisor.lint.symbol_checks import defines, definitions, judge, selectors_in
from supervisor.parse.contracts import ContractFile, FalsificationTest, parse_contract, rung


def load(ctx: LintContext, rel: str) -> ContractFile:
    key = ("contract", rel)
    if key not in ctx.cache:
        ctx.cache[key] = parse_contract(ctx.ws.read_text(rel, what="contract"), rel)
    return cast(ContractFile, ctx.cache[key])


def check_contract(ctx: LintContext, rel: str) -> Iterator[Finding]:
    cf = load(ctx, rel)
    for p in cf.problems:
        yield finding("C401", p.span, p.message, p.hint)
    c = cf.contract
    if c is None:
        return
    ladder = ctx.config.lint.contract_ladder
    if c.id:
        others = [o for o in ctx.contract_paths() if o != rel]
        for o in others:
            oc = load(ctx, o).contract
            if oc is not None and oc.id == c.id:
                yield finding(
                    "C404",
                    at(rel, c.span.start),
                    f"contract id {c.id} is also used by {o}",
                    "give each contract a unique metadata.id",
                )
    ranks: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for t in c.tests:
        if t.id in seen:
            yield finding(
                "C404",
                at(rel, t.span.start),
                f"falsification test {t.id} already appears at line {seen[t.id]}",
                "give each falsification test a unique id",
            )
        elif t.id:
            seen[t.id] = t.span.start
        if t.status is None:
            continue
        r = rung(t.status.text, ladder)
        if r is None:
            yield _unknown(rel, t.status.text, t.status.line, ladder)
            continue
        ranks.append((r, t.id))
        yield from _evidence(ctx, rel, t, r, ladder)
    if c.status is not None:
        r = rung(c.status.text, ladder)
        if r is None:
            yield _unknown(rel, c.status.text, c.status.line, ladder)
        elif ranks and r > min(ranks)[0]:
            low, tid = min(ranks)
            yield finding(
                "C405",
                at(rel, c.status.line),
                f"contract {c.id} is {c.status.text} but test {tid} is only {ladder[low]}",
                f"lower metadata.status to {ladder[low]}, or discharge {tid}",
            )


def _unknown(rel: str, status: str, line: int, ladder: tuple[str, ...]) -> Finding:
    return finding(
        "C403",
        at(rel, line),
        f"status '{status}' is not on the contract ladder",
        f"use one of: {' < '.join(ladder)} (lint.contract_ladder)",
    )


def _evidence(
    ctx: LintContext, rel: str, t: FalsificationTest, r: int, ladder: tuple[str, ...]
) -> Iterator[Finding]:
    if r == 0 or t.status is None:
        return
    status = t.status.text
    lower = f"lower its status to {ladder[r - 1]}"
    ev = t.evidence
    files = ev.file_paths if ev else ()
    names = ev.function_names if ev else ()
    line = t.status.line
    if not files:
        yield finding(
            "C402",
            at(rel, line),
            f"{t.id} is {status} but names no algorithm_evidence.file_paths",
            f"list the files that implement it, or {lower}",
        )
    if not names:
        yield finding(
            "C402",
            at(rel, line),
            f"{t.id} is {status} but names no algorithm_evidence.function_names",
            f"list the functions that implement it, or {lower}",
        )
    present = []
    for f in files:
        if ctx.exists(f.text):
            present.append(f.text)
        else:
            yield finding(
                "C402",
                at(rel, f.line),
                f"{t.id} is {status} but `{f.text}` does not exist",
                f"fix the path, or {lower}",
            )
    for n in names:
        defs = [d for d in (definitions(ctx, p) for p in present) if d is not None]
        if present and not any(defines(d, n.text) for d in defs):
            yield finding(
                "C402",
                at(rel, n.line),
                f"{t.id} is {status} but `{n.text}` is not defined in {', '.join(present)}",
                f"define it, correct function_names, or {lower}",
            )
    if r != len(ladder) - 1:
        return
    if t.test is None:
        yield finding(
            "C402",
            at(rel, line),
            f"{t.id} is {status} but names no test",
            f"name the pytest selector that falsifies it, or {lower}",
        )
        return
    sels = selectors_in(t.test.text, at(rel, t.test.line))
    if not sels:
        yield finding(
            "C402",
            at(rel, t.test.line),
            f"{t.id} is {status} but its test `{t.test.text}` is not a file selector",
            f"use path/to/test_x.py::test_name, or {lower}",
        )
    for sel in sels:
        bad = judge(ctx, sel)
        if bad is not None:
            kind, what = bad
            msg = f"{what} does not exist" if kind == "file" else f"`{what}` is not in {sel.path}"
            yield finding(
                "C402",
                at(rel, t.test.line),
                f"{t.id} is {status} but its test {msg}",
                f"write the test first, fix the selector, or {lower}",
            )


def contract_selectors(ctx: LintContext, rel: str) -> list[tuple[str, int]]:
    """The ``test`` selectors of a contract (for ``--collect-tests``)."""
    c = load(ctx, rel).contract
    if c is None:
        return []
    return [(t.test.text, t.test.line) for t in c.tests if t.test is not None]
