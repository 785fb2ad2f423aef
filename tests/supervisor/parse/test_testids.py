"""parse.testids: pytest node ids checked against the test file's AST (nothing imported)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from supervisor.parse.testids import NodeCheck, NodeState, check_node_id

TEST_FILE = """\
import sys
import unittest
import unittest.mock

import pytest

def helper():
    pass

def test_top():
    pass

async def test_async_top():
    pass

@pytest.mark.parametrize("x", [1, 2])
def test_param(x):
    pass

class TestOuter:
    def test_method(self):
        pass

    async def test_async_method(self):
        pass

    class TestInner:
        def test_deep(self):
            pass

class TestChild(TestOuter):
    def test_own(self):
        pass

class TestTwinA:
    def test_twin(self):
        pass

class TestTwinB:
    def test_twin(self):
        pass

class TestForeign(unittest.mock.NonCallableMock):
    pass

class TestCaseOnly(unittest.TestCase):
    def test_case(self):
        pass

if sys.platform != "win32":
    def test_posix_only():
        pass
else:
    def test_windows_only():
        pass

try:
    import numpy
except ImportError:
    def test_without_numpy():
        pass

test_alias = test_top
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text(TEST_FILE, encoding="utf-8")
    return tmp_path


def state(root: Path, sel: str) -> NodeState:
    return check_node_id(root, sel).state


@pytest.mark.parametrize(
    "sel",
    [
        "tests/test_x.py",
        "tests",
        "tests/test_x.py::test_top",
        "tests/test_x.py::test_async_top",
        "tests/test_x.py::test_param[1]",
        "tests/test_x.py::test_param[a::b-1]",
        "tests/test_x.py::TestOuter",
        "tests/test_x.py::TestOuter::test_method",
        "tests/test_x.py::TestOuter::test_async_method",
        "tests/test_x.py::TestOuter::TestInner",
        "tests/test_x.py::TestOuter::TestInner::test_deep",
        "tests/test_x.py::TestChild::test_own",
        "tests/test_x.py::TestChild::test_method",  # inherited from an in-file base
        "tests/test_x.py::TestChild::TestInner::test_deep",
        "tests/test_x.py::TestCaseOnly::test_case",
        "tests/test_x.py::test_posix_only",
        "tests/test_x.py::test_windows_only",
        "tests/test_x.py::test_without_numpy",
        "tests/test_x.py::test_alias",
        "  tests/test_x.py::test_top  ",
        "tests/test_x.py::TestOuter::()::test_method",  # old pytest instance marker
    ],
)
def test_ids_that_resolve_are_ok(root: Path, sel: str) -> None:
    check = check_node_id(root, sel)
    assert check == NodeCheck(sel, NodeState.OK, None, check.reason)
    assert check.reason


def test_method_without_its_class_gets_the_qualified_id(root: Path) -> None:
    check = check_node_id(root, "tests/test_x.py::test_method")
    assert check == NodeCheck(
        "tests/test_x.py::test_method",
        NodeState.METHOD_UNQUALIFIED,
        "tests/test_x.py::TestOuter::test_method",
        "`test_method` is a method of class TestOuter, so pytest collects nothing for it "
        "without the class",
    )


def test_unqualified_nested_method_keeps_every_class_and_the_param(root: Path) -> None:
    check = check_node_id(root, "tests/test_x.py::test_deep[7]")
    assert check.state is NodeState.METHOD_UNQUALIFIED
    assert check.fixed == "tests/test_x.py::TestOuter::TestInner::test_deep[7]"


def test_unqualified_async_method(root: Path) -> None:
    check = check_node_id(root, "tests/test_x.py::test_async_method")
    assert check.fixed == "tests/test_x.py::TestOuter::test_async_method"


def test_method_of_two_classes_is_not_found_and_lists_both(root: Path) -> None:
    check = check_node_id(root, "tests/test_x.py::test_twin")
    assert check.state is NodeState.NOT_FOUND
    assert check.fixed is None
    assert check.reason == (
        "`test_twin` is a method of 2 classes (TestTwinA, TestTwinB), not a module-level "
        "function; qualify it with its class"
    )


@pytest.mark.parametrize(
    ("sel", "reason"),
    [
        (
            "tests/test_x.py::test_gone",
            "no function or class `test_gone` at module level in tests/test_x.py",
        ),
        (
            "tests/test_x.py::TestOuter::test_gone[1]",
            "no function or class `test_gone` in class TestOuter in tests/test_x.py",
        ),
        (
            "tests/test_x.py::TestGone::test_method",
            "no function or class `TestGone` at module level in tests/test_x.py",
        ),
        (
            "tests/test_x.py::test_top::test_inner",
            "`test_top` at module level is a function, so `test_inner` cannot be in it "
            "in tests/test_x.py",
        ),
        (
            "tests/test_x.py::TestOuter::TestInner::test_method",
            "no function or class `test_method` in class TestOuter::TestInner in tests/test_x.py",
        ),
        (
            "tests/test_x.py::TestCaseOnly::test_assert_equal",
            "no function or class `test_assert_equal` in class TestCaseOnly in tests/test_x.py",
        ),
    ],
)
def test_missing_names_say_where_they_were_looked_for(root: Path, sel: str, reason: str) -> None:
    assert check_node_id(root, sel) == NodeCheck(sel, NodeState.NOT_FOUND, None, reason)


def test_method_maybe_inherited_from_another_file_is_not_reported(root: Path) -> None:
    check = check_node_id(root, "tests/test_x.py::TestForeign::test_from_base")
    assert check.state is NodeState.OK
    assert check.reason == (
        "`test_from_base` is not defined in class TestForeign but may be inherited from "
        "unittest.mock.NonCallableMock (not checked)"
    )


@pytest.mark.parametrize(
    ("sel", "reason"),
    [
        ("tests/test_gone.py::test_top", "tests/test_gone.py does not exist"),
        ("tests/test_gone.py", "tests/test_gone.py does not exist"),
        ("tests::test_top", "tests is a directory, not a test file"),
        ("../outside.py::test_top", "../outside.py is outside the workspace"),
        ("::test_top", "the selector names no file"),
    ],
)
def test_missing_files(root: Path, sel: str, reason: str) -> None:
    (root.parent / "outside.py").write_text("def test_top():\n    pass\n", encoding="utf-8")
    assert check_node_id(root, sel) == NodeCheck(sel, NodeState.NO_FILE, None, reason)


def test_unparsable_files(root: Path) -> None:
    (root / "tests" / "test_bad.py").write_text("def test_x(:\n    pass\n", encoding="utf-8")
    (root / "tests" / "test_latin.py").write_bytes(b"# caf\xe9\ndef test_x():\n    pass\n")
    (root / "tests" / "data.txt").write_text("def test_x(): pass\n", encoding="utf-8")
    got = {
        sel: (c.state, c.reason)
        for sel in (
            "tests/test_bad.py::test_x",
            "tests/test_bad.py",
            "tests/test_latin.py::test_x",
            "tests/data.txt::test_x",
        )
        for c in [check_node_id(root, sel)]
    }
    assert got == {
        "tests/test_bad.py::test_x": (
            NodeState.UNPARSABLE,
            "tests/test_bad.py does not parse (line 1: invalid syntax)",
        ),
        "tests/test_bad.py": (
            NodeState.UNPARSABLE,
            "tests/test_bad.py does not parse (line 1: invalid syntax)",
        ),
        "tests/test_latin.py::test_x": (
            NodeState.UNPARSABLE,
            "tests/test_latin.py is not UTF-8 (byte 5)",
        ),
        "tests/data.txt::test_x": (NodeState.UNPARSABLE, "tests/data.txt is not a Python file"),
    }


def test_a_changed_file_is_parsed_again(root: Path) -> None:
    path = root / "tests" / "test_x.py"
    assert state(root, "tests/test_x.py::test_new") is NodeState.NOT_FOUND
    path.write_text(TEST_FILE + "\ndef test_new():\n    pass\n", encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert state(root, "tests/test_x.py::test_new") is NodeState.OK


def test_absolute_file_inside_root(root: Path) -> None:
    sel = f"{root / 'tests' / 'test_x.py'}::test_top"
    assert state(root, sel) is NodeState.OK


def test_states_agree_with_pytest_collection(root: Path) -> None:
    """The AST verdict matches what pytest itself collects for each kind of id."""
    verdicts = {
        "tests/test_x.py::test_top": NodeState.OK,
        "tests/test_x.py::TestOuter::TestInner::test_deep": NodeState.OK,
        "tests/test_x.py::TestChild::test_method": NodeState.OK,
        "tests/test_x.py::test_param[1]": NodeState.OK,
        "tests/test_x.py::test_method": NodeState.METHOD_UNQUALIFIED,
        "tests/test_x.py::test_gone": NodeState.NOT_FOUND,
    }
    for sel, want in verdicts.items():
        assert state(root, sel) is want, sel
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
             "-p", "no:randomly", sel],
            cwd=root, capture_output=True, text=True, timeout=120,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )  # fmt: skip
        assert (proc.returncode == 0) == (want is NodeState.OK), (sel, proc.stdout)


def test_a_file_is_parsed_once_for_many_ids(root: Path) -> None:
    from supervisor.parse import testids

    check_node_id(root, "tests/test_x.py::test_top")
    before = testids._parse.cache_info()
    for sel in ("tests/test_x.py::TestOuter", "tests/test_x.py::test_method", "tests/test_x.py"):
        check_node_id(root, sel)
    after = testids._parse.cache_info()
    assert (after.hits - before.hits, after.misses - before.misses) == (3, 0)
