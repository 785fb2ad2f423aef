"""Definition lookup behind S301/C402: Python by `ast`, other languages by patterns."""

from __future__ import annotations

import pytest

from supervisor.lint.symbol_checks import Definitions, _python_defs, defines, selectors_in
from supervisor.model import Span

PY = """
import typing
if typing.TYPE_CHECKING:
    Alias = int
class Kernel:
    scale: float = 1.0
    def run(self) -> int:
        def inner() -> int:
            return 1
        return inner()
async def fetch() -> None: ...
CONSTANT = 3
"""
C = """
#define SQR(x) ((x) * (x))
static double accumulate(const double *x, int n) {
    return 0;
}
double
load_hkl(const char *path)
{
    return accumulate(0, 0);
}
int caller(void) { double y = helper_call(1); return 0; }
"""


def _py() -> Definitions:
    found = _python_defs(PY)
    assert found is not None
    return Definitions(frozenset(found[0]), frozenset(found[1]), "", True)


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("Kernel", True), ("Kernel.run", True), ("Kernel::run", True), ("run()", True),
        ("Kernel.run.inner", True), ("Kernel.scale", True), ("fetch", True),
        ("CONSTANT", True), ("Alias", True), ("Kernel.stop", False), ("stop", False),
        ("run.Kernel", False), ("test_x[1-2]", False),
    ],
)  # fmt: skip
def test_python(name: str, ok: bool) -> None:
    assert defines(_py(), name) is ok


@pytest.mark.parametrize(
    ("name", "ok"),
    [("accumulate", True), ("load_hkl", True), ("SQR", True), ("caller", True),
     ("helper_call", False), ("load_tensor_apr_aprt", False)],
)  # fmt: skip
def test_c_patterns(name: str, ok: bool) -> None:
    assert defines(Definitions(frozenset(), frozenset(), C, False), name) is ok


@pytest.mark.parametrize(
    ("source", "name"),
    [("pub fn step(x: f64) -> f64 { x }", "step"), ("func (d *Det) Pix0() Vec {", "Pix0"),
     ("function render(a) {", "render"), ("struct Beam {", "Beam")],
)  # fmt: skip
def test_other_languages(source: str, name: str) -> None:
    assert defines(Definitions(frozenset(), frozenset(), source, False), name)


def test_selectors_in_text() -> None:
    span = Span("plans/p.md", 3, 3)
    text = "run `tests/test_x.py::TestA::test_b[1-2]`, `$STAMP/x.py::f` and src/k.c::acc()"
    found = [(s.path, s.names, s.raw) for s in selectors_in(text, span)]
    assert found == [
        ("tests/test_x.py", ("TestA", "test_b"), "tests/test_x.py::TestA::test_b[1-2]"),
        ("src/k.c", ("acc",), "src/k.c::acc"),
    ]
