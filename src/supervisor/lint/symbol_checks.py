"""Symbols and selectors (S3xx): names claimed to exist are defined where claimed.

Python files are read with ``ast`` (functions, classes, methods and module/class-level
assignments, by bare and qualified name); other languages by definition patterns
(``def|fn|func|function|class|struct|… name``, ``#define name``, and C-style
``type name(…)`` lines that do not end in ``;``). Each file is parsed once per run.

Claims checked: ``file::name[::name]`` selectors in the rows of *done* plan tasks (a task at
``[ ]`` may name a test it is about to write) and the brief's ``Mapped tests``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

from supervisor.lint.context import LintContext
from supervisor.lint.files import Found
from supervisor.lint.findings import Finding, at, finding
from supervisor.model import Brief, Span, TaskState

SELECTOR = re.compile(
    r"(?<![\w/.$<>{}-])((?:[\w.-]+/)*[\w.-]+\.(?:py|pyi|c|h|cc|cpp|cu|hpp|rs|go|js|ts|jl|f90))"
    r"((?:::[A-Za-z_][\w.]*)+)?(\[[^\]\s]*\])?"
)
_DEF_WORDS = (
    r"(?:def|fn|func|function|sub|class|struct|enum|union|interface|trait|type|module|"
    r"macro_rules!|subroutine|procedure)"
)


# after `name(`: parameters then `)` and a `{` or the end of the line, or parameters that
# continue on the next line; never a `;` (a prototype or a call)
_C_TAIL = r"(?:[^;{}]*\)[ \t]*(?:const[ \t]*)?(?:\{.*)?|[^;{})]*)$"


@dataclass(frozen=True)
class Definitions:
    bare: frozenset[str]
    qualified: frozenset[str]  # "Class.method"
    text: str  # non-Python: the source, matched by pattern on demand
    python: bool


@dataclass(frozen=True)
class Selector:
    path: str
    names: tuple[str, ...]  # ("TestX", "test_y") for path::TestX::test_y
    raw: str
    span: Span


def _python_defs(source: str) -> tuple[set[str], set[str]] | None:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    bare: set[str] = set()
    qual: set[str] = set()

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            names: list[str] = []
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names = [node.name]
            elif isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names = [node.target.id]
            for name in names:
                bare.add(name)
                qual.add(prefix + name)
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                visit(node.body, prefix + node.name + ".")
            elif isinstance(node, ast.If | ast.Try | ast.With):
                visit(node.body, prefix)  # `if TYPE_CHECKING:` / `try: import` blocks
                visit(getattr(node, "orelse", []), prefix)

    visit(tree.body, "")
    return bare, qual


def definitions(ctx: LintContext, rel: str) -> Definitions | None:
    """What ``rel`` defines, or None when it is not a readable file."""
    key = ("defs", rel)
    if key in ctx.cache:
        return cast("Definitions | None", ctx.cache[key])
    out: Definitions | None = None
    if ctx.exists(rel):
        try:
            text = (ctx.root / rel).read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = None
        if text is not None:
            py = _python_defs(text) if rel.endswith((".py", ".pyi")) else None
            if py is not None:
                out = Definitions(frozenset(py[0]), frozenset(py[1]), "", True)
            else:
                out = Definitions(frozenset(), frozenset(), text, False)
    ctx.cache[key] = out
    return out


def defines(defs: Definitions, name: str) -> bool:
    """Whether ``name`` (bare, ``A.b`` or ``A::b``; a trailing ``()`` is ignored) is defined."""
    name = name.strip().removesuffix("()").replace("::", ".")
    name = re.sub(r"\[.*\]$", "", name)
    if not name:
        return False
    if defs.python:
        return name in (defs.qualified if "." in name else defs.bare)
    last = re.escape(name.rsplit(".", 1)[-1])
    patterns = (
        rf"\b{_DEF_WORDS}\s+(?:[\w:]+::)?{last}\b",
        rf"#\s*define\s+{last}\b",
        rf"\bfunc\s*\([^)]*\)\s*{last}\b",  # Go method
        rf"(?m)^[ \t]*[A-Za-z_][\w \t*&:<>,]*[ \t*&]{last}[ \t]*\({_C_TAIL}",
        rf"(?m)^{last}[ \t]*\({_C_TAIL}",
    )
    return any(re.search(p, defs.text) for p in patterns)


def selectors_in(text: str, span: Span) -> list[Selector]:
    out = []
    for m in SELECTOR.finditer(text):
        names = tuple(n for n in (m.group(2) or "").split("::") if n)
        out.append(Selector(m.group(1), names, m.group(0), span))
    return out


def judge(ctx: LintContext, sel: Selector) -> tuple[str, str] | None:
    """``("file", path)`` when the file is missing, ``("name", name)`` when a name is not
    defined in it, else None. A path that is not there as written resolves like a pointer's
    (one file ending with it); an ambiguous or ignored one is not judged."""
    target = ctx.normalize(sel.path)
    if target is None:
        return None
    defs = definitions(ctx, target)
    if defs is None:
        res = ctx.resolve(sel.span.path, target)  # a short path naming one file
        if res.found is Found.IGNORED or res.found is Found.AMBIGUOUS:
            return None  # cannot be checked here (P205 covers ambiguous pointers)
        if res.found is not Found.RESOLVED:
            return "file", target
        defs = definitions(ctx, res.path)
        if defs is None:
            return "file", target
    for k in range(len(sel.names)):
        qual = ".".join(sel.names[: k + 1])
        if not defines(defs, qual):
            return "name", "::".join(sel.names[: k + 1])
    return None


def check_plan_claims(ctx: LintContext, rel: str) -> Iterator[Finding]:
    for task in ctx.plan(rel).tasks:
        if task.state is not TaskState.DONE:
            continue
        line = ctx.lines(rel)[task.span.start - 1]
        for sel in selectors_in(line, task.span):
            if not sel.names:
                continue
            bad = judge(ctx, sel)
            if bad is None:
                continue
            kind, what = bad
            if kind == "file":
                yield finding(
                    "S303",
                    task.span,
                    f"task {task.id} is done but `{sel.raw}` names {what}, which does not exist",
                    f"add the file, fix the reference, or reopen {task.id}",
                )
            else:
                yield finding(
                    "S301",
                    task.span,
                    f"task {task.id} is done but `{what}` is not defined in {sel.path}",
                    f"define it, fix the name, or reopen {task.id}",
                )


def mapped_tests(brief: Brief) -> list[Selector]:
    """Selectors in the brief's ``Mapped tests`` section (value and body), with lines."""
    out: list[Selector] = []
    for sec in brief.sections:
        if not sec.key.lower().startswith("mapped tests"):
            continue
        texts = [sec.value, *sec.body]
        for k, text in enumerate(texts):
            span = at(brief.path, sec.span.start + k)
            out += [s for s in selectors_in(text, span) if s.path.endswith(".py")]
    return out


def check_mapped_tests(ctx: LintContext, brief: Brief) -> Iterator[Finding]:
    """S304: each mapped test's node id, checked against the test file's AST
    (:func:`supervisor.parse.testids.check_node_id`; ``--collect-tests`` stays the
    authoritative check). A method cited without its class gets the class-qualified id."""
    from supervisor.parse.testids import NodeState, check_node_id

    for sel in mapped_tests(brief):
        if ctx.normalize(sel.path) is None:
            continue  # outside the workspace: P203's business
        check = check_node_id(ctx.root, sel.raw)
        if check.state is NodeState.OK:
            continue
        fix = "map an existing test, or say the Do Now step writes it first"
        msg = check.reason
        if check.state is NodeState.METHOD_UNQUALIFIED:
            fix = f"map `{check.fixed}`"
        elif check.state is NodeState.UNPARSABLE:
            fix = "fix the test file (pytest cannot collect it), or map another test"
        elif check.state is NodeState.NO_FILE:
            msg = f"{sel.path} does not exist"
            res = ctx.resolve(brief.path, ctx.normalize(sel.path) or sel.path)
            if res.found is Found.RESOLVED:
                fix = f"map `{res.path}{sel.raw[len(sel.path) :]}` (pytest runs from the root)"
        yield finding("S304", sel.span, f"mapped test `{sel.raw}`: {msg}", fix)
