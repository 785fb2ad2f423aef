"""pytest node ids checked against the test file's syntax tree, without importing it.

``check_node_id(root, "tests/test_x.py::TestA::test_b[case]")`` says whether pytest would
find that node: the file exists and parses, and each ``::`` part names a class or function
defined where the id says (module level first, then inside the class before it). Nothing is
imported or executed, so this is cheap and safe on untrusted workspaces; ``supervisor lint
--collect-tests`` remains the authoritative check (fixtures, plugins, generated tests).

The most common wrong id cites a method without its class (``file::test_b`` when
``test_b`` lives in ``TestA``): pytest collects nothing for it. That is
:attr:`NodeState.METHOD_UNQUALIFIED`, and :attr:`NodeCheck.fixed` is the class-qualified id.

Accepted: parametrize suffixes (``test_x[case]``, ids may contain ``::``), nested classes,
``async def``, definitions inside module-level ``if`` / ``try`` / ``with`` blocks, names bound
by assignment (``test_alias = test_other``), methods inherited from a class in the same file.
A method missing from a class whose bases are defined elsewhere may be inherited, so it is
not reported. Parses are cached per file, keyed on path, mtime and size.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

__all__ = ["NodeCheck", "NodeState", "check_node_id"]

# bases that never contribute collectable test methods
_PLAIN_BASES = frozenset({"object", "TestCase", "unittest.TestCase", "IsolatedAsyncioTestCase"})


class NodeState(StrEnum):
    OK = "ok"  # collects: module-level function, Class::method, Class, or file alone
    METHOD_UNQUALIFIED = "method_unqualified"  # file::name where name is a method of one class
    NOT_FOUND = "not_found"  # file parses but no such function/class/method
    NO_FILE = "no_file"  # the file does not exist
    UNPARSABLE = "unparsable"  # SyntaxError / not python / not UTF-8


@dataclass(frozen=True)
class NodeCheck:
    selector: str  # as given
    state: NodeState
    fixed: str | None  # class-qualified id for METHOD_UNQUALIFIED, else None
    reason: str  # one short human sentence


@dataclass(frozen=True)
class _Scope:
    """The names a module or class defines: nested classes and other (function) names."""

    classes: dict[str, _Class]
    names: frozenset[str]


@dataclass(frozen=True)
class _Class:
    name: str
    scope: _Scope
    bases: tuple[str, ...]  # dotted source text of each base (unknown forms skipped)


@dataclass(frozen=True)
class _Module:
    scope: _Scope | None
    error: str  # why it does not parse, when scope is None


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return None if head is None else f"{head}.{node.attr}"
    if isinstance(node, ast.Subscript):  # Generic[T]
        return _dotted(node.value)
    return None


def _scope(body: list[ast.stmt]) -> _Scope:
    classes: dict[str, _Class] = {}
    names: set[str] = set()

    def visit(stmts: list[ast.stmt]) -> None:
        for node in stmts:
            if isinstance(node, ast.ClassDef):
                bases = tuple(b for b in (_dotted(x) for x in node.bases) if b is not None)
                classes[node.name] = _Class(node.name, _scope(node.body), bases)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
            elif isinstance(node, ast.If | ast.With | ast.AsyncWith):
                visit(node.body)
                visit(getattr(node, "orelse", []))
            elif isinstance(node, ast.Try | ast.TryStar):
                visit(node.body)
                visit(node.orelse)
                visit(node.finalbody)
                for handler in node.handlers:
                    visit(handler.body)

    visit(body)
    return _Scope(classes, frozenset(names))


@lru_cache(maxsize=512)
def _parse(path: str, mtime_ns: int, size: int) -> _Module:
    """The module's scope tree (``mtime_ns`` and ``size`` only key the cache)."""
    del mtime_ns, size
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return _Module(None, f"cannot be read ({exc.strerror or exc})")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _Module(None, f"is not UTF-8 (byte {exc.start})")
    try:
        tree = ast.parse(data, filename=path)
    except SyntaxError as exc:
        return _Module(None, f"does not parse (line {exc.lineno}: {exc.msg})")
    except ValueError as exc:  # null bytes
        return _Module(None, f"does not parse ({exc})")
    return _Module(_scope(tree.body), "")


def _split(selector: str) -> tuple[str, list[str], str]:
    """``(file, names, param)``: the file part, the ``::`` names, and a ``[...]`` suffix.

    The parametrize id starts at the first ``[`` after the file part (ids may hold ``::``).
    """
    file, sep, rest = selector.partition("::")
    param = ""
    if sep and rest.endswith("]") and "[" in rest:
        cut = rest.index("[")
        rest, param = rest[:cut], rest[cut:]
    names = [n for n in rest.split("::") if n and n != "()"] if sep else []
    return file, names, param


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _all_bases(cls: _Class, top: _Scope, seen: frozenset[str] = frozenset()) -> list[_Class]:
    """``cls`` and the classes it inherits from that are defined at the top of the file."""
    out = [cls]
    for base in cls.bases:
        hit = top.classes.get(base)
        if hit is not None and hit.name not in seen and hit is not cls:
            out += _all_bases(hit, top, seen | {cls.name})
    return out


def _foreign_bases(cls: _Class, top: _Scope) -> list[str]:
    """Bases of ``cls`` (or its in-file ancestors) not defined in this file."""
    out: list[str] = []
    for c in _all_bases(cls, top):
        out += [b for b in c.bases if b not in top.classes and b not in _PLAIN_BASES]
    return out


def _methods(cls: _Class, top: _Scope) -> set[str]:
    out: set[str] = set()
    for c in _all_bases(cls, top):
        out |= c.scope.names | set(c.scope.classes)
    return out


def _classes_with(scope: _Scope, name: str, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Class paths (outer first) under ``scope`` whose body defines function ``name``."""
    out: list[tuple[str, ...]] = []
    for cls in scope.classes.values():
        path = (*prefix, cls.name)
        if name in cls.scope.names:
            out.append(path)
        out += _classes_with(cls.scope, name, path)
    return out


def _resolve(top: _Scope, names: list[str]) -> tuple[bool, str]:
    """Whether the ``::`` names resolve in the module, and a reason sentence."""
    scope = top
    cls: _Class | None = None
    for k, name in enumerate(names):
        where = "at module level" if k == 0 else f"in class {'::'.join(names[:k])}"
        inner = scope.classes.get(name)
        if cls is not None and inner is None:
            # a nested class or a method, possibly inherited from an in-file base
            for c in _all_bases(cls, top):
                inner = c.scope.classes.get(name)
                if inner is not None:
                    break
        if inner is not None:
            cls, scope = inner, inner.scope
            continue
        defined = name in (scope.names if cls is None else _methods(cls, top))
        if not defined and cls is not None:
            foreign = _foreign_bases(cls, top)
            if foreign:
                return True, (
                    f"`{name}` is not defined in class {cls.name} but may be inherited "
                    f"from {', '.join(foreign)} (not checked)"
                )
        if not defined:
            return False, f"no function or class `{name}` {where}"
        if k < len(names) - 1:
            return False, f"`{name}` {where} is a function, so `{names[k + 1]}` cannot be in it"
        return True, f"`{name}` is defined {where}"
    return True, f"class `{names[-1]}` is defined"


def check_node_id(root: Path, selector: str) -> NodeCheck:
    """Check a pytest node id (``file``, ``file::func``, ``file::Class::method[param]``)
    against the test file's AST; relative file parts are taken from ``root``."""
    sel = selector.strip()
    file, names, param = _split(sel)

    def result(state: NodeState, reason: str, fixed: str | None = None) -> NodeCheck:
        return NodeCheck(selector, state, fixed, reason)

    if not file:
        return result(NodeState.NO_FILE, "the selector names no file")
    path = Path(file) if Path(file).is_absolute() else root / file
    if not _inside(root, path):
        return result(NodeState.NO_FILE, f"{file} is outside the workspace")
    try:
        st = path.stat()
    except OSError:
        return result(NodeState.NO_FILE, f"{file} does not exist")
    if path.is_dir():
        if names:
            return result(NodeState.NO_FILE, f"{file} is a directory, not a test file")
        return result(NodeState.OK, f"{file} is a directory of tests")
    if path.suffix != ".py":
        return result(NodeState.UNPARSABLE, f"{file} is not a Python file")
    module = _parse(str(path), st.st_mtime_ns, st.st_size)
    if module.scope is None:
        return result(NodeState.UNPARSABLE, f"{file} {module.error}")
    if not names:
        return result(NodeState.OK, f"{file} parses; pytest collects the whole file")
    top = module.scope
    found, why = _resolve(top, names)
    if found:
        return result(NodeState.OK, why)
    if len(names) == 1 and names[0] not in top.classes:
        owners = _classes_with(top, names[0])
        if len(owners) == 1:
            fixed = "::".join((file, *owners[0], names[0])) + param
            return result(
                NodeState.METHOD_UNQUALIFIED,
                f"`{names[0]}` is a method of class {'::'.join(owners[0])}, "
                "so pytest collects nothing for it without the class",
                fixed,
            )
        if owners:
            listed = ", ".join("::".join(o) for o in owners)
            return result(
                NodeState.NOT_FOUND,
                f"`{names[0]}` is a method of {len(owners)} classes ({listed}), not a "
                "module-level function; qualify it with its class",
            )
    return result(NodeState.NOT_FOUND, f"{why} in {file}")
