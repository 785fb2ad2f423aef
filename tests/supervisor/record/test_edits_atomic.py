"""Span edits (bottom-up, endings kept, confinement check) and locked atomic rewrites."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from supervisor.errors import WorkspaceError, WriteConflictError
from supervisor.record.atomic import rewrite
from supervisor.record.edits import Edit, apply_edits, changed_ranges, verify_confined

TEXT = "a\nb\nc\nd\n"


def test_edits_apply_bottom_up() -> None:
    out = apply_edits(
        TEXT,
        [Edit.replace(1, "A"), Edit.insert_after(2, ["b1", "b2"]), Edit(4, 4, ("D",))],
    )
    assert out == "A\nb\nb1\nb2\nc\nD\n"


def test_append_and_endings_kept() -> None:
    assert apply_edits("x\r\ny\r\n", [Edit.insert_after(2, ["z"])]) == "x\r\ny\r\nz\r\n"
    assert apply_edits("x\ny", [Edit.replace(2, "Y")]) == "x\nY"
    assert apply_edits("x\ny", [Edit.insert_after(2, ["z"])]) == "x\ny\nz"


def test_overlapping_or_out_of_range_edits_are_refused() -> None:
    with pytest.raises(ValueError, match="overlapping"):
        apply_edits(TEXT, [Edit(1, 2, ("x",)), Edit(2, 3, ("y",))])
    with pytest.raises(ValueError, match="outside"):
        apply_edits(TEXT, [Edit.replace(9, "x")])


def test_confinement() -> None:
    new = apply_edits(TEXT, [Edit.insert_after(2, ["new"])])
    assert changed_ranges(TEXT, new) == [(3, 2)]
    verify_confined(TEXT, new, [(3, 2)], "f.md")
    with pytest.raises(WriteConflictError, match=r"f.md:1: an edit would change lines 1-1"):
        verify_confined(TEXT, "z\n" + new[2:], [(3, 2)], "f.md")


def test_rewrite_writes_only_changed_files(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("one\n")
    (tmp_path / "b.md").write_text("two\n")
    written = rewrite(tmp_path, ["b.md", "a.md"], lambda t: {**t, "a.md": "ONE\n"})
    assert written == {"a.md": "ONE\n"}
    assert (tmp_path / "a.md").read_text() == "ONE\n"
    assert (tmp_path / ".supervisor" / ".gitignore").exists()


def test_rewrite_refuses_read_only(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("one\n")
    (tmp_path / "a.md").chmod(0o444)
    with pytest.raises(WorkspaceError, match=r"a\.md: file is read-only"):
        rewrite(tmp_path, ["a.md"], lambda t: t)


_BUMP = """
import sys
from pathlib import Path
from supervisor.record.atomic import rewrite

def inc(texts):
    lines = texts["n.md"].splitlines()
    return {"n.md": "\\n".join([*lines, str(len(lines))]) + "\\n"}

rewrite(Path(sys.argv[1]), ["n.md"], inc)
"""


def test_concurrent_writers_serialize(tmp_path: Path) -> None:
    (tmp_path / "n.md").write_text("0\n")
    procs = [subprocess.Popen([sys.executable, "-c", _BUMP, str(tmp_path)]) for _ in range(8)]
    assert [p.wait(60) for p in procs] == [0] * 8
    assert (tmp_path / "n.md").read_text().splitlines() == [str(i) for i in range(9)]


def test_only_newline_splits_lines() -> None:
    # U+2028 and form feeds are text inside a line for the parsers, so for edits too
    text = "a\u2028b\nc\x0cd\n"
    assert apply_edits(text, [Edit.replace(2, "C")]) == "a\u2028b\nC\n"
    assert changed_ranges(text, "a\u2028b\nC\n") == [(2, 2)]


def test_stale_temp_files_are_swept(tmp_path: Path) -> None:
    import os
    import time

    from supervisor.fsio import write_atomic

    target = tmp_path / "f.md"
    old = tmp_path / ".f.md.abc.tmp"
    fresh = tmp_path / ".f.md.def.tmp"
    old.write_text("torn")
    fresh.write_text("in flight")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    write_atomic(target, "x\n")
    assert target.read_text() == "x\n" and not old.exists() and fresh.exists()


def test_adjacent_edits_are_judged_line_by_line() -> None:
    """Three adjacent one-line edits merge into one difflib block; each changed line is
    inside an allowed span, so the rewrite is confined (issue 15, item 8)."""
    text = "a\nb\nc\nd\ne\n"
    edits = [Edit.replace(2, "B"), Edit.replace(3, "C"), Edit.replace(4, "D")]
    new = apply_edits(text, edits)
    assert changed_ranges(text, new) == [(2, 4)]
    verify_confined(text, new, [(e.start, e.end) for e in edits], "f.md")
    with pytest.raises(WriteConflictError) as err:  # line 3 changed but only 2 and 4 allowed
        verify_confined(text, new, [(2, 2), (4, 4)], "f.md")
    assert str(err.value) == (
        "f.md:3: an edit would change lines 2-4 outside the intended entries — nothing was"
        " written; this is a bug in the edit — please report it"
    )
