"""Short pointers (``mod.py:3``) resolve against the workspace's file list: git's when it is a
repository, else a walk that honours ignore files. One match: the line check runs on it
(P206 when enabled, P202 naming the resolved file); several: P205 listing them; none: P201
(with a case-insensitive suggestion). ``--fix-safe`` writes the full path for P206."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from supervisor.lint import LintReport
from supervisor.lint.files import FileIndex, Found, Resolution, parse_ignore, resolve, walk_files

Edit = tuple[str, str, str]
Lint = Callable[..., LintReport]
Mutate = Callable[[Path, list[Edit]], None]

B = "input.md"
POINTER_LINE = "- src/pkg/mod.py#L2 — the kernel's run method."
ENABLE_P206 = ("supervisor.yaml", "lint:\n", "lint:\n  severity:\n    P206: warning\n")


def _git(ws: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=ws, check=True, capture_output=True,
    )  # fmt: skip


def _repo(ws: Path) -> None:
    _git(ws, "init", "-q", "-b", "main")
    _git(ws, "add", "-A")
    _git(ws, "commit", "-q", "-m", "init")


def _render(report: LintReport, *codes: str) -> list[str]:
    return [f.render() for f in report.findings if not codes or f.code in codes]


def test_short_pointer_resolves_silently_by_default(
    clean_ws: Path, mutate: Mutate, run_lint: Lint
) -> None:
    mutate(clean_ws, [(B, POINTER_LINE, "- mod.py:1-3 and pkg/mod.py#L2 — the kernel.")])
    assert run_lint(clean_ws).findings == ()
    assert _render(run_lint(clean_ws, resolve=False)) == [
        "input.md:17: P201 `mod.py:1-3`: mod.py does not exist — fix the path, or drop the "
        "pointer until the file exists",
        "input.md:17: P201 `pkg/mod.py#L2`: pkg/mod.py does not exist — fix the path, or "
        "drop the pointer until the file exists",
    ]


def test_short_pointer_code_when_enabled(clean_ws: Path, mutate: Mutate, run_lint: Lint) -> None:
    mutate(clean_ws, [ENABLE_P206, (B, POINTER_LINE, "- mod.py:1-3 — the kernel.")])
    report = run_lint(clean_ws)
    assert _render(report) == [
        "input.md:17: P206 `mod.py:1-3` is a short pointer: the file is src/pkg/mod.py — "
        "write `src/pkg/mod.py:1-3` (supervisor lint --fix-safe)"
    ]
    assert [f.severity for f in report.findings] == ["warning"]


def test_line_check_runs_on_the_resolved_file(
    clean_ws: Path, mutate: Mutate, run_lint: Lint
) -> None:
    mutate(clean_ws, [(B, POINTER_LINE, "- mod.py:6-9 — past the end.")])
    assert _render(run_lint(clean_ws)) == [
        "input.md:17: P202 `mod.py:6-9` runs past the end: src/pkg/mod.py (resolved from "
        "mod.py) has 7 lines — point at lines within 1-7 (re-run `supervisor next` to "
        "recompute pointers)"
    ]


def test_two_matches_are_ambiguous_and_listed(
    clean_ws: Path, mutate: Mutate, run_lint: Lint
) -> None:
    mutate(
        clean_ws,
        [
            ("src/a/util.py", "", "x = 1\n"),
            ("src/b/util.py", "", "y = 2\n"),
            (B, POINTER_LINE, "- util.py:1 — which one?"),
        ],
    )
    assert _render(run_lint(clean_ws)) == [
        "input.md:17: P205 `util.py:1`: util.py does not exist and 2 files end with it: "
        "src/a/util.py, src/b/util.py — write the full path of the file meant"
    ]


def test_many_matches_are_listed_with_a_count(
    clean_ws: Path, mutate: Mutate, run_lint: Lint
) -> None:
    edits = [(f"pkg{k}/util.py", "", "x = 1\n") for k in range(7)]
    mutate(clean_ws, [*edits, (B, POINTER_LINE, "- util.py:1")])
    (msg,) = [f.message for f in run_lint(clean_ws).findings]
    assert msg == (
        "`util.py:1`: util.py does not exist and 7 files end with it: pkg0/util.py, "
        "pkg1/util.py, pkg2/util.py, pkg3/util.py, pkg4/util.py and 2 more"
    )


def test_suffix_matches_whole_path_parts_only(
    clean_ws: Path, mutate: Mutate, run_lint: Lint
) -> None:
    mutate(clean_ws, [(B, POINTER_LINE, "- od.py:1 and kg/mod.py:1")])
    assert [f.code for f in run_lint(clean_ws).findings] == ["P201", "P201"]


def test_case_mismatch_is_missing_with_a_suggestion(
    clean_ws: Path, mutate: Mutate, run_lint: Lint
) -> None:
    mutate(clean_ws, [(B, POINTER_LINE, "- Mod.py:2 — the kernel.")])
    assert _render(run_lint(clean_ws)) == [
        "input.md:17: P201 `Mod.py:2`: Mod.py does not exist — did you mean "
        "`src/pkg/mod.py:2`? (names are case-sensitive)"
    ]


def test_pointer_beside_the_citing_file_resolves(
    clean_ws: Path, mutate: Mutate, run_lint: Lint
) -> None:
    # two notes.md: the one beside the citing ledger wins, with no ambiguity
    mutate(
        clean_ws,
        [
            ("docs/notes.md", "", "one\ntwo\n"),
            ("src/notes.md", "", "one\n"),
            (
                "docs/fix_plan.md",
                "- Exit Criteria: parity to 1e-12.",
                "- Exit Criteria: notes.md:2",
            ),
        ],
    )
    assert run_lint(clean_ws).findings == ()
    mutate(clean_ws, [("docs/fix_plan.md", "notes.md:2", "notes.md:3")])
    assert [f.message for f in run_lint(clean_ws).findings] == [
        "`notes.md:3` starts past the end: docs/notes.md (resolved from notes.md) has 2 lines"
    ]


def test_git_list_ignores_ignored_files(clean_ws: Path, mutate: Mutate, run_lint: Lint) -> None:
    mutate(
        clean_ws,
        [
            (".gitignore", "", "build/\n"),
            ("build/lib/pkg/mod.py", "", "copy = 1\n"),
            ("scratch/new.py", "", "a = 1\nb = 2\n"),  # untracked, not ignored: listed
            (B, POINTER_LINE, "- pkg/mod.py:2 and new.py:2"),
        ],
    )
    _repo(clean_ws)
    (clean_ws / "scratch" / "later.py").write_text("c = 3\n", encoding="utf-8")
    assert run_lint(clean_ws).findings == ()
    index = FileIndex(clean_ws)
    assert index.ending_with("mod.py") == ["src/pkg/mod.py"]
    assert index.ending_with("later.py") == ["scratch/later.py"]
    assert index.source == "git"


def test_workspace_in_a_subdirectory_of_a_repository(tmp_path: Path) -> None:
    (tmp_path / "other" / "pkg").mkdir(parents=True)
    (tmp_path / "other" / "pkg" / "mod.py").write_text("x = 1\n", encoding="utf-8")
    ws = tmp_path / "ws"
    (ws / "src").mkdir(parents=True)
    (ws / "src" / "mod.py").write_text("x = 1\n", encoding="utf-8")
    _repo(tmp_path)
    index = FileIndex(ws)
    assert index.ending_with("mod.py") == ["src/mod.py"]
    assert index.source == "git"


def test_walk_honours_ignore_files(tmp_path: Path) -> None:
    files = {
        ".gitignore": "*.log\n/build/\n!keep.log\nnested/**/deep.py\n",
        "a.py": "",
        "run.log": "",
        "keep.log": "",
        "build/x.py": "",
        "src/build/y.py": "",  # `/build/` is anchored: only the top one is ignored
        "src/.ignore": "generated_*.py\n",
        "src/generated_1.py": "",
        "src/z.py": "",
        "nested/a/b/deep.py": "",
        "nested/deep.py": "",
        "venv/pyvenv.cfg": "",
        "venv/lib/site.py": "",
        "node_modules/m.js": "",
        ".github/workflows/ci.yml": "",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    assert walk_files(tmp_path) == [
        ".github/workflows/ci.yml",
        ".gitignore",
        "a.py",
        "keep.log",
        "src/.ignore",
        "src/build/y.py",
        "src/z.py",
    ]


@pytest.mark.parametrize(
    ("pattern", "path", "ignored"),
    [
        ("*.pyc", "a/b/c.pyc", True),
        ("*.pyc", "c.pyc", True),
        ("/top.txt", "top.txt", True),
        ("/top.txt", "a/top.txt", False),
        ("doc/*.md", "doc/a.md", True),
        ("doc/*.md", "doc/sub/a.md", False),
        ("**/logs", "a/b/logs", True),
        ("logs/**", "logs/a/b", True),
        ("a/**/b", "a/b", True),
        ("a/**/b", "a/x/y/b", True),
        ("file?.txt", "file1.txt", True),
        ("file?.txt", "file12.txt", False),
        ("[abc].py", "b.py", True),
        ("[!abc].py", "b.py", False),
        ("\\#hash", "#hash", True),
        ("# comment", "# comment", False),
    ],
)
def test_ignore_patterns(pattern: str, path: str, ignored: bool) -> None:
    rules = parse_ignore(pattern + "\n")
    hit = any(r.regex.match(path) and not r.negate for r in rules)
    assert hit is ignored


def test_resolve_states(tmp_path: Path) -> None:
    for rel in ("src/a.py", "src/sub/b.py", "x/c.py", "y/c.py", "docs/n.md"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("1\n", encoding="utf-8")
    index = FileIndex(tmp_path)
    got = {
        t: resolve(tmp_path, index, "docs/x.md", t)
        for t in ("src/a.py", "src", "a.py", "sub/b.py", "c.py", "gone.py", "B.py", "n.md")
    }
    assert got == {
        "src/a.py": Resolution(Found.EXACT, "src/a.py"),
        "src": Resolution(Found.DIRECTORY, "src"),
        "a.py": Resolution(Found.RESOLVED, "src/a.py"),
        "sub/b.py": Resolution(Found.RESOLVED, "src/sub/b.py"),
        "c.py": Resolution(Found.AMBIGUOUS, "c.py", ("x/c.py", "y/c.py")),
        "gone.py": Resolution(Found.MISSING, "gone.py"),
        "B.py": Resolution(Found.MISSING, "B.py", ("src/sub/b.py",)),
        "n.md": Resolution(Found.RESOLVED, "docs/n.md"),
    }
    assert index.source == "walk"


def test_fix_safe_writes_the_full_path_when_enabled(
    clean_ws: Path, mutate: Mutate, run_lint: Lint
) -> None:
    line = "- mod.py:1-3, `mod.py#L2` and kernel.c:2 (and src/pkg/mod.py:1 as is) "
    mutate(clean_ws, [ENABLE_P206, (B, POINTER_LINE, line)])
    report = run_lint(clean_ws, fix_safe=True)
    assert report.findings == ()
    assert [(r.path, r.codes, r.lines) for r in report.fixed] == [("input.md", ("P206",), (17,))]
    text = (clean_ws / B).read_text(encoding="utf-8")
    assert text.splitlines()[16] == (
        "- src/pkg/mod.py:1-3, `src/pkg/mod.py#L2` and src/c/kernel.c:2 (and src/pkg/mod.py:1 "
        "as is) "
    )
    changed = [ln for ln in report.fixed[0].diff.splitlines()[2:] if ln[:1] in "+-"]
    assert changed == ["-" + line, "+" + text.splitlines()[16]]


def test_fix_safe_leaves_short_pointers_when_the_code_is_off(
    clean_ws: Path, mutate: Mutate, run_lint: Lint
) -> None:
    mutate(clean_ws, [(B, POINTER_LINE, "- mod.py:1-3")])
    before = (clean_ws / B).read_text(encoding="utf-8")
    report = run_lint(clean_ws, fix_safe=True)
    assert report.fixed == ()
    assert (clean_ws / B).read_text(encoding="utf-8") == before


def test_fix_safe_never_rewrites_ambiguous_or_out_of_range_pointers(
    clean_ws: Path, mutate: Mutate, run_lint: Lint
) -> None:
    mutate(
        clean_ws,
        [
            ENABLE_P206,
            ("src/a/util.py", "", "x = 1\n"),
            ("src/b/util.py", "", "y = 2\n"),
            (B, POINTER_LINE, "- util.py:1, mod.py:99 and mod.py:1"),
        ],
    )
    report = run_lint(clean_ws, fix_safe=True)
    assert (clean_ws / B).read_text(encoding="utf-8").splitlines()[16] == (
        "- util.py:1, mod.py:99 and src/pkg/mod.py:1"
    )
    assert [f.code for f in report.findings] == ["P202", "P205"]


def test_fix_safe_in_the_ledger_keeps_its_structure(
    clean_ws: Path, mutate: Mutate, run_lint: Lint
) -> None:
    old = "- Spec/AT: `src/pkg/mod.py:1-3` (the kernel) and `src/c/kernel.c:2`."
    new = "- Spec/AT: `mod.py:1-3` (the kernel) and `kernel.c:2`."
    mutate(clean_ws, [ENABLE_P206, ("docs/fix_plan.md", old, new)])
    assert [f.code for f in run_lint(clean_ws).findings] == ["P206", "P206"]
    report = run_lint(clean_ws, fix_safe=True)
    assert report.findings == ()
    assert old in (clean_ws / "docs/fix_plan.md").read_text(encoding="utf-8")


def test_past_attempts_are_history_the_newest_is_checked(
    clean_ws: Path, mutate: Mutate, run_lint: Lint
) -> None:
    """Pointers in a ledger's older Attempts History entries record what was true when they
    were written (lines drift as code changes); only each item's newest entry is checked."""
    a1 = "  * [2026-01-02] Attempt #1 — Result: ✅ success (Phase A)."
    a2 = "  * [2026-01-03] Attempt #2 — Result: ⚠️ partial. Divergence near `src/pkg/mod.py:3`."
    mutate(
        clean_ws,
        [
            ("docs/fix_plan.md", a1, a1 + " See src/pkg/mod.py:40 and src/pkg/old.py:2."),
            ("docs/fix_plan.md", a2, a2 + " And src/pkg/mod.py:41 too."),
        ],
    )
    assert _render(run_lint(clean_ws)) == [
        "docs/fix_plan.md:21: P202 `src/pkg/mod.py:41` starts past the end: src/pkg/mod.py has "
        "7 lines — point at lines within 1-7 (re-run `supervisor next` to recompute pointers)"
    ]


def test_missing_file_under_an_ignored_path_is_not_reported(
    clean_ws: Path, mutate: Mutate, run_lint: Lint
) -> None:
    """Local artifacts (ignored evidence bundles, benchmark output) are absent from other
    checkouts by design: a pointer into them cannot be checked there."""
    mutate(
        clean_ws,
        [
            (".gitignore", "", "reports/benchmarks/\n*.tmp.log\n"),
            ("reports/notes/.ignore", "", "scratch.md\n"),
            (
                B,
                POINTER_LINE,
                "- reports/benchmarks/2025/run.txt:3, out/a.tmp.log:2, "
                "reports/notes/scratch.md:1 and reports/other/run.txt:3",
            ),
        ],
    )
    assert _render(run_lint(clean_ws)) == [
        "input.md:17: P201 `reports/other/run.txt:3`: reports/other/run.txt does not exist — "
        "fix the path, or drop the pointer until the file exists"
    ]
    _repo(clean_ws)  # the same in a git repository
    assert [f.code for f in run_lint(clean_ws).findings] == ["P201"]


def test_claimed_symbols_in_short_paths_resolve(
    clean_ws: Path, mutate: Mutate, run_lint: Lint
) -> None:
    plan = "plans/active/alpha/plan.md"
    mutate(clean_ws, [(plan, "`src/pkg/mod.py::Kernel::run`", "`mod.py::Kernel::run`")])
    assert run_lint(clean_ws).findings == ()
    mutate(clean_ws, [(plan, "`mod.py::Kernel::run`", "`mod.py::Kernel::stop`")])
    assert _render(run_lint(clean_ws)) == [
        "plans/active/alpha/plan.md:12: S301 task A1 is done but `Kernel::stop` is not defined "
        "in mod.py — define it, fix the name, or reopen A1"
    ]


def test_done_items_are_history(clean_ws: Path, mutate: Mutate, run_lint: Lint) -> None:
    mutate(
        clean_ws, [("docs/fix_plan.md", "- Depends on: [ALPHA-001]", "- Notes: src/pkg/gone.py:3")]
    )
    assert run_lint(clean_ws).findings == ()  # [BETA-002] is done
    mutate(
        clean_ws,
        [
            ("docs/fix_plan.md", "- Status: done", "- Status: in_progress"),
            ("docs/fix_plan.md", "| High | done |", "| High | in_progress |"),
        ],
    )
    assert [(f.code, f.line) for f in run_lint(clean_ws).findings] == [("P201", 33)]
