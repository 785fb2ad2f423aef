"""Claim contracts ``contracts/*.yaml`` -> :class:`ContractFile`, tolerant: schema problems are
collected with their lines (``supervisor lint`` reports them as C401), never raised.

Schema::

    metadata: {id: str, version: str|int, status: str, title?: str, …}
    falsification_tests:
      - id: str
        rule: str            # the claim, stated so that it can fail
        prediction: str      # what the test observes when the rule holds
        test: str            # pytest selector, e.g. tests/x/test_y.py::test_z
        if_fails: str        # what a failure would mean / what to do
        status: str          # a rung of the status ladder (lint.contract_ladder)
        algorithm_evidence:
          file_paths: [str]          # files that implement the rule
          function_names: [str]      # functions/classes defined in those files
          invariants_enforced: [str]
          notes: str
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from supervisor.errors import ConfigError, close_matches
from supervisor.model import Span
from supervisor.yamlnodes import Node, compose

META_REQUIRED = ("id", "version", "status")
META_OPTIONAL = ("title", "description", "owner", "scope", "references", "notes", "updated")
TEST_REQUIRED = ("id", "rule", "prediction", "test", "if_fails", "status", "algorithm_evidence")
EVIDENCE_KEYS = ("file_paths", "function_names", "invariants_enforced", "notes")


@dataclass(frozen=True)
class Value:
    """A scalar as written, with its 1-based line."""

    text: str
    line: int


@dataclass(frozen=True)
class Evidence:
    file_paths: tuple[Value, ...]
    function_names: tuple[Value, ...]
    invariants_enforced: tuple[str, ...]
    notes: str
    span: Span


@dataclass(frozen=True)
class FalsificationTest:
    id: str
    rule: str
    prediction: str
    test: Value | None
    if_fails: str
    status: Value | None
    evidence: Evidence | None
    span: Span


@dataclass(frozen=True)
class Contract:
    path: str
    id: str
    version: str
    status: Value | None
    title: str | None
    tests: tuple[FalsificationTest, ...]
    span: Span


@dataclass(frozen=True)
class SchemaProblem:
    message: str
    hint: str
    span: Span


@dataclass(frozen=True)
class ContractFile:
    path: str
    contract: Contract | None  # None when the file is not a usable YAML mapping
    problems: tuple[SchemaProblem, ...]


def _last_line(raw: Any) -> int:
    """The 1-based last line of a composed node's own text (a block node's end mark sits at
    the start of whatever follows it, so descend to its last scalar instead)."""
    kind = type(raw).__name__
    if kind in ("MappingNode", "SequenceNode") and raw.value and not raw.flow_style:
        last = raw.value[-1]
        return _last_line(last[1] if kind == "MappingNode" else last)
    mark = raw.end_mark
    return int(mark.line) + (1 if mark.column else 0)


def _span(node: Node) -> Span:
    start = node.line
    return Span(node.path, start, max(start, _last_line(node.raw)))


class _Reader:
    """Reads nodes, turning every validation error into a :class:`SchemaProblem`."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[SchemaProblem] = []

    def problem(self, line: int, message: str, hint: str = "") -> None:
        self.problems.append(
            SchemaProblem(message, hint, Span(self.path, max(1, line), max(1, line)))
        )

    def from_error(self, exc: ConfigError) -> None:
        self.problem(exc.line or 1, exc.message, exc.hint or "")

    def mapping(
        self, node: Node, required: tuple[str, ...], optional: tuple[str, ...], what: str
    ) -> dict[str, Node]:
        out: dict[str, Node] = {}
        try:
            pairs = list(node.items())
        except ConfigError as exc:
            self.from_error(exc)
            return out
        allowed = required + optional
        for key, sub, line in pairs:
            if key not in allowed:
                near = close_matches(key, allowed)
                hint = f"did you mean '{near[0]}'?" if near else f"known keys: {', '.join(allowed)}"
                self.problem(line, f"unknown key '{key}' in {what}", hint)
            out[key] = sub
        missing = [k for k in required if k not in out]
        if missing:
            self.problem(
                node.line,
                f"{what} is missing {', '.join(repr(k) for k in missing)}",
                f"add {', '.join(missing)} (see the contract schema)",
            )
        return out

    def text(self, node: Node | None, *, allow_int: bool = False, nullable: bool = False) -> str:
        if node is None:
            return ""
        try:
            v: Any = node.value()
            if v is None and nullable:
                return ""
            if allow_int and isinstance(v, int) and not isinstance(v, bool):
                return str(v)
            return node.str_()
        except ConfigError as exc:
            self.from_error(exc)
            return ""

    def value(self, node: Node | None) -> Value | None:
        if node is None:
            return None
        text = self.text(node)
        return Value(text, node.line) if text else None

    def values(self, node: Node | None) -> tuple[Value, ...]:
        if node is None or node.value() is None:
            return ()
        try:
            items = node.seq()
        except ConfigError as exc:
            self.from_error(exc)
            return ()
        out = []
        for n in items:
            t = self.text(n)
            if t:
                out.append(Value(t, n.line))
        return tuple(out)


def parse_contract(text: str, path: str) -> ContractFile:
    r = _Reader(path)
    try:
        root = compose(text, path)
    except ConfigError as exc:
        r.from_error(exc)
        return ContractFile(path, None, tuple(r.problems))
    if root is None or root.kind != "mapping":
        r.problem(
            1,
            "a contract must be a YAML mapping with 'metadata' and 'falsification_tests'",
            "see the contract schema in `supervisor lint --help`",
        )
        return ContractFile(path, None, tuple(r.problems))
    top = r.mapping(root, ("metadata", "falsification_tests"), (), "the contract")
    meta = (
        r.mapping(top["metadata"], META_REQUIRED, META_OPTIONAL, "metadata")
        if ("metadata" in top)
        else {}
    )
    tests: list[FalsificationTest] = []
    if "falsification_tests" in top:
        node = top["falsification_tests"]
        try:
            entries = node.seq()
        except ConfigError as exc:
            r.from_error(exc)
            entries = []
        if not entries and node.kind == "list":
            r.problem(node.line, "no falsification tests", "add at least one test (rule, test, …)")
        tests = [_test(r, n) for n in entries]
    contract = Contract(
        path=path,
        id=r.text(meta.get("id")),
        version=r.text(meta.get("version"), allow_int=True),
        status=r.value(meta.get("status")),
        title=r.text(meta.get("title")) or None,
        tests=tuple(tests),
        span=_span(root),
    )
    problems = sorted(r.problems, key=lambda p: p.span.start)
    return ContractFile(path, contract, tuple(problems))


def _test(r: _Reader, node: Node) -> FalsificationTest:
    ident = ""
    if node.kind == "mapping":
        ident = next((str(v.value) for k, v in node.raw.value if k.value == "id"), "")
    what = f"falsification test {ident}" if ident else "falsification test"
    f = r.mapping(node, TEST_REQUIRED, (), what)
    evidence = None
    if "algorithm_evidence" in f:
        ev = f["algorithm_evidence"]
        e = r.mapping(ev, EVIDENCE_KEYS, (), "algorithm_evidence")
        if e or ev.kind == "mapping":
            evidence = Evidence(
                file_paths=r.values(e.get("file_paths")),
                function_names=r.values(e.get("function_names")),
                invariants_enforced=tuple(v.text for v in r.values(e.get("invariants_enforced"))),
                notes=r.text(e.get("notes"), nullable=True),
                span=_span(ev),
            )
    return FalsificationTest(
        id=r.text(f.get("id"), allow_int=True),
        rule=r.text(f.get("rule")),
        prediction=r.text(f.get("prediction")),
        test=r.value(f.get("test")),
        if_fails=r.text(f.get("if_fails")),
        status=r.value(f.get("status")),
        evidence=evidence,
        span=_span(node),
    )


def rung(status: str, ladder: tuple[str, ...]) -> int | None:
    """The index of ``status`` on ``ladder`` (lowest first; entries may be globs such as
    ``BLOCKER_*``), or None when it is not on the ladder."""
    from fnmatch import fnmatchcase

    for k, pattern in enumerate(ladder):
        if fnmatchcase(status, pattern):
            return k
    return None


def discharge(contract: Contract, ladder: tuple[str, ...]) -> tuple[int, int]:
    """``(tests at the top rung, all tests)``: how much of the contract is discharged."""
    top = len(ladder) - 1
    done = sum(
        1 for t in contract.tests if t.status is not None and rung(t.status.text, ladder) == top
    )
    return done, len(contract.tests)
