"""Issue 15, item 12 (terminal part): control sequences carried by ledger, plan or trace text
never reach the terminal raw. One function (cli._common.escape_controls) is applied on every
text output path; JSON output escapes them as \\u sequences and still parses to the same data."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest

from supervisor.cli._common import dumps, escape_controls

Run = Callable[..., CompletedProcess[str]]
LEDGER = "docs/fix_plan.md"
TITLE = "pix0 under SAMPLE pivot"
# OSC title change (BEL-terminated), CSI screen clear, a C1 CSI, a bidi override
HOSTILE = "\x1b]0;owned\x07\x1b[2J\x9b31m\u202e"
SHOWN = "\\x1b]0;owned\\x07\\x1b[2J\\x9b31m\\u202e"
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


def test_escape_controls() -> None:
    assert escape_controls("a\tb\nc\r\nd") == "a\tb\nc\r\nd"  # layout characters kept
    assert escape_controls(f"x{HOSTILE}y") == f"x{SHOWN}y"
    assert escape_controls("\x00\x08\x0b\x0c\r\x7f\x85") == "\\x00\\x08\\x0b\\x0c\\x0d\\x7f\\x85"
    coloured = "\x1b[31mFAIL\x1b[0m \x1b]0;t\x07"
    assert escape_controls(coloured, keep_sgr=True) == "\x1b[31mFAIL\x1b[0m \\x1b]0;t\\x07"
    text = dumps({"t": HOSTILE})
    assert not any(c in text for c in RAW)
    assert json.loads(text) == {"t": HOSTILE}


def _strings(doc: Any) -> Iterator[str]:
    if isinstance(doc, str):
        yield doc
    elif isinstance(doc, dict):
        for v in doc.values():
            yield from _strings(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from _strings(v)


@pytest.fixture
def hostile_ws(demo_ws: Path) -> Path:
    """The title and the Index status cell of the focus item carry control sequences."""
    path = demo_ws / LEDGER
    text = path.read_text(encoding="utf-8")
    text = text.replace(f"] {TITLE}", f"] {TITLE}{HOSTILE}")
    text = text.replace("| Critical | in_progress |", f"| Critical | in_progress{HOSTILE} |")
    path.write_text(text, encoding="utf-8")
    return demo_ws


@pytest.mark.parametrize("cmd", [["next"], ["next", "--explain"], ["status"]])
def test_ledger_text_is_escaped_on_stdout(hostile_ws: Path, run_cli: Run, cmd: list[str]) -> None:
    r = run_cli(cmd, hostile_ws)
    assert r.returncode == 0, r.stderr
    assert not any(c in r.stdout + r.stderr for c in RAW)
    assert SHOWN in r.stdout


def test_brief_file_keeps_the_text_as_written(hostile_ws: Path, run_cli: Run) -> None:
    r = run_cli(["next", "--write"], hostile_ws)
    assert r.returncode == 0, r.stderr
    assert HOSTILE in (hostile_ws / "input.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("cmd", [["next", "--json"], ["status", "--json"]])
def test_json_output_is_escaped_and_parses(hostile_ws: Path, run_cli: Run, cmd: list[str]) -> None:
    r = run_cli(cmd, hostile_ws)
    assert r.returncode == 0, r.stderr
    assert not any(c in r.stdout for c in RAW)
    assert any(HOSTILE in v for v in _strings(json.loads(r.stdout)))


def test_error_messages_are_escaped(demo_ws: Path, run_cli: Run) -> None:
    r = run_cli(["next", "--focus", f"NOPE{HOSTILE}-001"], demo_ws)
    assert r.returncode == 1
    assert not any(c in r.stderr for c in RAW), r.stderr
    assert "NOPE\\x1b]0;OWNED\\x07\\x1b[2J" in r.stderr


def test_trace_diff_text_is_escaped(tmp_path: Path, run_cli: Run) -> None:
    a = tmp_path / "a.log"
    b = tmp_path / "b.log"
    a.write_text("TRACE_C: pix0 1.0\nTRACE_C: omega 2.0\n", encoding="utf-8")
    b.write_text(f"TRACE_PY: pix0 1.5\nTRACE_PY: omega{HOSTILE} 2.0\n", encoding="utf-8")
    r = run_cli(["trace", "diff", str(a), str(b)], tmp_path)
    assert r.returncode == 1  # refused as a tap name, and the refusal is escaped
    assert not any(c in r.stdout + r.stderr for c in RAW)
    assert f"found 'omega{SHOWN}'" in r.stderr
    b.write_text("TRACE_PY: pix0 1.5\nTRACE_PY: omega 2.0\n", encoding="utf-8")
    r = run_cli(["trace", "diff", str(a), str(b), "--json"], tmp_path)
    assert r.returncode == 2
    assert json.loads(r.stdout)["kind"] == "trace_diff"


def test_usage_errors_are_escaped(demo_ws: Path, run_cli: Run) -> None:
    r = run_cli(["status", f"--x{HOSTILE}"], demo_ws)
    assert r.returncode == 1
    assert not any(c in r.stderr for c in RAW), r.stderr
    assert "No such option: --x\\x1b]0;owned" in r.stderr
