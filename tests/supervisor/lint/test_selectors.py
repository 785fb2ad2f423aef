"""S304: a brief's mapped tests are checked against the test file's AST, so an id that
pytest would collect nothing for (a method cited without its class, a missing function, a
file that does not parse, a short path) is a finding with the id to map instead."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from supervisor.lint import LintReport

Edit = tuple[str, str, str]
Lint = Callable[..., LintReport]
Mutate = Callable[[Path, list[Edit]], None]

B = "input.md"
MAPPED = "Mapped tests: checks/check_kernel.py::test_run"
TESTS = """\
import pytest


class TestKernel:
    @pytest.mark.parametrize("n", [1, 2])
    def test_sum(self, n):
        assert n

    class TestNested:
        async def test_deep(self):
            pass


def test_top():
    pass
"""


@pytest.fixture
def ws(clean_ws: Path, mutate: Mutate) -> Path:
    mutate(clean_ws, [("tests/test_kernel.py", "", TESTS)])
    return clean_ws


@pytest.mark.parametrize(
    "mapped",
    [
        "tests/test_kernel.py::TestKernel::test_sum",
        "tests/test_kernel.py::TestKernel::test_sum[2]",
        "tests/test_kernel.py::TestKernel::TestNested::test_deep",
        "tests/test_kernel.py::test_top, tests/test_kernel.py",
        "`pytest tests/test_kernel.py -k sum -q`",
    ],
)
def test_ids_that_collect_are_clean(ws: Path, mutate: Mutate, run_lint: Lint, mapped: str) -> None:
    mutate(ws, [(B, MAPPED, f"Mapped tests: {mapped}")])
    assert run_lint(ws).findings == ()


@pytest.mark.parametrize(
    ("mapped", "expected"),
    [
        (
            "tests/test_kernel.py::test_sum[1]",
            "input.md:5: S304 mapped test `tests/test_kernel.py::test_sum[1]`: `test_sum` is a "
            "method of class TestKernel, so pytest collects nothing for it without the class "
            "— map `tests/test_kernel.py::TestKernel::test_sum[1]`",
        ),
        (
            "tests/test_kernel.py::test_deep",
            "input.md:5: S304 mapped test `tests/test_kernel.py::test_deep`: `test_deep` is a "
            "method of class TestKernel::TestNested, so pytest collects nothing for it without "
            "the class — map `tests/test_kernel.py::TestKernel::TestNested::test_deep`",
        ),
        (
            "tests/test_kernel.py::TestKernel::test_top",
            "input.md:5: S304 mapped test `tests/test_kernel.py::TestKernel::test_top`: no "
            "function or class `test_top` in class TestKernel in tests/test_kernel.py — map an "
            "existing test, or say the Do Now step writes it first",
        ),
        (
            "test_kernel.py::test_top",
            "input.md:5: S304 mapped test `test_kernel.py::test_top`: test_kernel.py does not "
            "exist — map `tests/test_kernel.py::test_top` (pytest runs from the root)",
        ),
    ],
)
def test_ids_that_collect_nothing(
    ws: Path, mutate: Mutate, run_lint: Lint, mapped: str, expected: str
) -> None:
    mutate(ws, [(B, MAPPED, f"Mapped tests: {mapped}")])
    assert [f.render() for f in run_lint(ws).findings] == [expected]


def test_unparsable_test_file(ws: Path, mutate: Mutate, run_lint: Lint) -> None:
    mutate(
        ws,
        [
            ("tests/test_broken.py", "", "def test_x(:\n    pass\n"),
            (B, MAPPED, "Mapped tests: tests/test_broken.py::test_x"),
        ],
    )
    assert [f.render() for f in run_lint(ws).findings] == [
        "input.md:5: S304 mapped test `tests/test_broken.py::test_x`: tests/test_broken.py does "
        "not parse (line 1: invalid syntax) — fix the test file (pytest cannot collect it), or "
        "map another test"
    ]
