"""The brief's parts on their own: verbatim text, command recognition and env, selector
checks, artifact paths, attempt order and details."""

from __future__ import annotations

from pathlib import Path

import pytest

from supervisor.brief.artifacts import plan_artifacts
from supervisor.brief.commands import commands_in, is_command, is_test_command, with_env
from supervisor.brief.history import attempt_details, attempt_summary, latest_attempts
from supervisor.brief.selectors import check_tests, is_bare_selector
from supervisor.brief.text import excerpt, one_line
from supervisor.model import Field, Item, Span
from supervisor.parse.ledger import parse_ledger
from supervisor.parse.plan import parse_plan

ENV = (("KMP_DUPLICATE_LIB_OK", "TRUE"), ("OMP_NUM_THREADS", "2"))

# ------------------------------------------------------------------ text


def test_one_line_keeps_code_dunders_and_bold() -> None:
    text = "- Fix `Simulator.__init__` and __post_init__\n  * keep **bold** and x**2\n"
    assert one_line(text) == "Fix `Simulator.__init__` and __post_init__; keep **bold** and x**2"


def test_one_line_clips_at_a_word_outside_code() -> None:
    text = "alpha beta `gamma delta epsilon` zeta"
    assert one_line(text, 30) == "alpha beta …"
    assert one_line("abcdefghij klmnop", 12) == "abcdefghij …"


def test_excerpt_short_text_is_unchanged_but_joined() -> None:
    assert excerpt("Run `a`.\n   Then `b`.") == "Run `a`. Then `b`."
    assert excerpt("x<br>y") == "x<br>y"


def test_excerpt_cuts_at_a_sentence_or_line_end() -> None:
    text = "First sentence here. Second one is longer than the rest of it. Third."
    assert excerpt(text, 30) == "First sentence here. …"
    # a boundary in the first half of the bound is too early: cut at a word instead
    assert excerpt(text, 50) == "First sentence here. Second one is longer than …"
    lines = "one two three\nfour five six seven eight nine ten eleven"
    assert excerpt(lines, 24) == "one two three …"
    assert excerpt("aaa<br>bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 12) == "aaa<br> …"


def test_excerpt_never_cuts_inside_code() -> None:
    text = "Do it. Run `python -m pytest tests/x.py. -k y` and more words after the span."
    cut = excerpt(text, 40)
    assert cut == "Do it. Run …"
    assert cut.count("`") % 2 == 0


# ------------------------------------------------------------------ commands


@pytest.mark.parametrize(
    "text",
    [
        "pytest -v tests/x.py",
        "python -m pytest tests",
        "python3.11 scripts/run.py",
        "KMP_DUPLICATE_LIB_OK=TRUE pytest tests/x.py",
        "env FOO=1 python x.py",
        "scripts/compare.py",
        "scripts/compare.py --dtype float32",
        "./run.sh",
        "git diff",
        "sim trace --pixel 1 2",
        "cd build && make",
        "/usr/bin/time -v python x.py",
        "benchmark.py --sizes 4096",
        "shellcheck loop.sh",
        "FOO=1",
    ],
)
def test_commands_recognised(text: str) -> None:
    assert is_command(text, ["sim"]) is (text != "FOO=1")


@pytest.mark.parametrize(
    "text",
    ["src/sim/io.py", "tests/x.py::test_a", "phi_tic", "-k pivot", "Simulator.__init__",
     "mosaic_spread_deg > 0", "seed & 0x7FF", "x * 1e10", "dtype: Optional[torch.dtype] = None",
     "python", "sim", "pix0-trace", "reports/a/<STAMP>/", "scripts/", "scripts/README.md"],
)  # fmt: skip
def test_paths_symbols_and_flags_are_not_commands(text: str) -> None:
    assert not is_command(text, ["sim"])


def test_test_commands() -> None:
    assert is_test_command("pytest -q")
    assert is_test_command("FOO=1 python -m pytest tests")
    assert not is_test_command("python -m trace x")
    assert not is_test_command("python scripts/pytest_helper.py")


def test_env_prefix_skips_what_the_command_sets() -> None:
    assert with_env("pytest -q", ENV) == "KMP_DUPLICATE_LIB_OK=TRUE OMP_NUM_THREADS=2 pytest -q"
    assert with_env("OMP_NUM_THREADS=8 pytest -q", ENV) == (
        "OMP_NUM_THREADS=8 KMP_DUPLICATE_LIB_OK=TRUE pytest -q"
    )
    assert with_env("env KMP_DUPLICATE_LIB_OK=1 python x.py", ENV) == (
        "env KMP_DUPLICATE_LIB_OK=1 OMP_NUM_THREADS=2 python x.py"
    )
    assert with_env('FOO="a b" python x.py', ENV[:1]) == (
        'FOO="a b" KMP_DUPLICATE_LIB_OK=TRUE python x.py'
    )
    assert with_env("export OMP_NUM_THREADS=4; python x.py", ENV) == (
        "export OMP_NUM_THREADS=4; KMP_DUPLICATE_LIB_OK=TRUE python x.py"
    )
    assert with_env("pytest -q", ()) == "pytest -q"
    assert with_env("x", [("EMPTY", "")], ["x"]) == "x"  # "x" alone is not a command
    assert with_env("x --go", [("EMPTY", "")], ["x"]) == "EMPTY='' x --go"


def test_env_goes_on_each_simple_command_that_runs_code() -> None:
    line = 'cd /tmp && pytest "a|b" -k "x;y" | tee log.txt; git status'
    assert with_env(line, ENV) == (
        'cd /tmp && KMP_DUPLICATE_LIB_OK=TRUE OMP_NUM_THREADS=2 pytest "a|b" -k "x;y" '
        "| tee log.txt; git status"
    )
    assert with_env("supervisor dispatch trace-spec", ENV) == "supervisor dispatch trace-spec"


def test_commands_in_keeps_order_without_repeats() -> None:
    quoted = ["pix0_vector", "pytest -q", "src/a.py", "git diff", "pytest -q"]
    assert commands_in(quoted) == ["pytest -q", "git diff"]


# ------------------------------------------------------------------ selectors

TESTS = """\
import pytest


class TestGeometry:
    def test_pix0(self):
        pass

    @pytest.mark.parametrize("c", ["xds", "mosflm"])
    def test_pivot(self, c):
        pass


class TestOther:
    def test_pivot(self):
        pass


def test_module():
    pass
"""


@pytest.fixture
def test_root(tmp_path: Path) -> Path:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_geo.py").write_text(TESTS, encoding="utf-8")
    (tmp_path / "tests" / "test_bad.py").write_text("def test_x(:\n", encoding="utf-8")
    return tmp_path


def test_bare_selectors() -> None:
    assert is_bare_selector("tests/test_geo.py::TestGeometry::test_pix0")
    assert is_bare_selector("tests/test_geo.py")
    assert is_bare_selector("pkg/geo_test.py")
    assert not is_bare_selector("src/sim/io.py")
    assert not is_bare_selector("tests/conftest.py")
    assert not is_bare_selector("pytest tests/test_geo.py")


def test_selectors_kept_qualified_or_dropped(test_root: Path) -> None:
    cited = [
        "tests/test_geo.py::test_module",
        "tests/test_geo.py::test_pix0",
        "tests/test_geo.py::test_pivot",  # a method of two classes: no unique fix
        "tests/test_missing.py",
        "tests/test_bad.py::test_x",
    ]
    m = check_tests(test_root, cited)
    assert m.tests == (
        "tests/test_geo.py::test_module",
        "tests/test_geo.py::TestGeometry::test_pix0",
    )
    assert [(n.selector, n.state, n.shown) for n in m.notes] == [
        ("tests/test_geo.py::test_pix0", "method_unqualified",
         "tests/test_geo.py::TestGeometry::test_pix0"),
        ("tests/test_geo.py::test_pivot", "not_found", None),
        ("tests/test_missing.py", "no_file", None),
        ("tests/test_bad.py::test_x", "unparsable", None),
    ]  # fmt: skip
    assert m.dropped_commands == ()


def test_commands_rewritten_or_dropped(test_root: Path) -> None:
    cited = [
        "KMP=1 pytest -v tests/test_geo.py::test_pix0 -k 'a or b' --junitxml reports/x.xml",
        "pytest tests/test_geo.py::TestGeometry::test_pivot[xds] tests/test_geo.py::test_gone",
        "pytest tests/test_geo.py::test_gone > reports/log.txt 2>&1",
        "pytest -q -k pivot",
        "python -m pytest tests/",
        "pytest 'tests/test_geo.py::test_pix0'",
    ]
    m = check_tests(test_root, cited)
    assert m.tests == (
        "KMP=1 pytest -v tests/test_geo.py::TestGeometry::test_pix0 -k 'a or b' "
        "--junitxml reports/x.xml",
        "pytest tests/test_geo.py::TestGeometry::test_pivot[xds]",
        "pytest -q -k pivot",
        "python -m pytest tests/",
        "pytest 'tests/test_geo.py::TestGeometry::test_pix0'",
    )
    assert m.dropped_commands == ("pytest tests/test_geo.py::test_gone > reports/log.txt 2>&1",)
    assert [n.selector for n in m.notes] == [
        "tests/test_geo.py::test_pix0",
        "tests/test_geo.py::test_gone",
    ]


# ------------------------------------------------------------------ artifacts

PLAN = """\
## Context
- Initiative: X-001
- Artifact Policy: runs go under `reports/x/phase_<x>/<STAMP>/`; old ones in `reports/x/phase_a/20250101T000000Z/`.

### Phase B — Work
Goal: g.
Artifacts: `reports/x/phase_b/<STAMP>/bundle/` (per run)

| ID | Task | State | Guidance |
| --- | --- | --- | --- |
| B1 | Do | [ ] | Cite `reports/x/phase_a/20251008T075949Z/summary.md`; write to `reports/x/b1/<STAMP>/`. |
| B2 | Do more | [ ] | Nothing to cite. |
"""


def _item(fields: tuple[Field, ...] = ()) -> Item:
    return Item("X-001", "x", 2, fields, Span("docs/fix_plan.md", 1, 5))


def test_artifact_path_sources_in_order() -> None:
    plan = parse_plan(PLAN, "plans/x.md")
    lines = PLAN.splitlines()
    phase = plan.phases[0]
    b1, b2 = phase.tasks
    got = plan_artifacts("reports", _item(), plan, lines, phase, b1.guidance, b1.span)
    assert got is not None and (got.paths, got.source) == (("reports/x/b1/<STAMP>/",), b1.span)
    got = plan_artifacts("reports", _item(), plan, lines, phase, b2.guidance, b2.span)
    assert got is not None
    assert (got.paths, got.source) == (
        ("reports/x/phase_b/<STAMP>/bundle/",),
        Span("plans/x.md", 7, 7),
    )
    no_line = PLAN.replace("Artifacts: `reports/x/phase_b/<STAMP>/bundle/` (per run)", "")
    plan = parse_plan(no_line, "plans/x.md")
    phase = plan.phases[0]
    got = plan_artifacts("reports", _item(), plan, no_line.splitlines(), phase, "", None)
    assert got is not None
    assert (got.paths, got.source) == (("reports/x/phase_b/<STAMP>/",), Span("plans/x.md", 3, 3))


def test_artifact_path_from_the_item_or_none() -> None:
    f = Field("Artifacts Root", None, "`reports/2026-01-x/`", "- Artifacts Root: `reports/2026-01-x/`",
              Span("docs/fix_plan.md", 4, 4))  # fmt: skip
    got = plan_artifacts("reports", _item((f,)), None, [], None, "", None)
    assert got is not None and (got.text, got.source) == ("reports/2026-01-x/", f.span)
    assert plan_artifacts("reports", _item(), None, [], None, "`elsewhere/x/`", None) is None
    assert plan_artifacts("out", _item((f,)), None, [], None, "", None) is None


# ------------------------------------------------------------------ attempts

LEDGER = """\
# Fix Plan Ledger

## [A-001] Item
- Status: in_progress
- Attempts History:
  * [2026-01-03] Attempt #45 — Result: ✅ success. First.
  * [2026-01-05] Attempt #71 — Result: ✅ success. Latest.
    Metrics: corr 0.999
    - **Observations/Hypotheses**: the seed matters
    - Files: `a.py`
  * [2026-01-04] Attempt #46 — Result: ❌ failed. Middle.
  * Loop status check — no number.
  * [2026-01-02] Attempts #40–#44 — Result: ⚠️ partial. A range.
"""


def test_latest_attempts_ordered_by_number() -> None:
    item = parse_ledger(LEDGER, "docs/fix_plan.md").items[0]
    assert [a.number for a in latest_attempts(item)] == [71, 46, 45]
    assert [a.number for a in latest_attempts(item, 5)] == [71, 46, 45, 40]
    latest = latest_attempts(item, 1)[0]
    assert attempt_details(latest) == [
        "Metrics: corr 0.999",
        "Observations/Hypotheses: the seed matters",
    ]
    assert attempt_summary(latest) == (
        "attempt #71 [2026-01-05] (success): ✅ success. Latest; Metrics: corr 0.999; "
        "Observations/Hypotheses: the seed matters"
    )
    head = "attempt #71 [2026-01-05] (success): "
    # the body keeps at least 80 characters whatever the limit
    assert attempt_summary(latest, limit=60) == (
        head + "✅ success. Latest; Metrics: corr 0.999; Observations/Hypotheses: the seed …"
    )
