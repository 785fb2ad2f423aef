"""Mapped tests checked against the test files before a brief cites them.

A mapped test is a pytest command quoted in the guidance (``pytest tests/x.py::test_a -k b``)
or a bare node id (``tests/x.py::TestA::test_b``). Every file or node id in it is checked with
:func:`supervisor.parse.testids.check_node_id` (the file's syntax tree, nothing imported):

* a method cited without its class is rewritten class-qualified (pytest would collect
  nothing for ``file::method``);
* a node id that would collect nothing (no such file, function or class, or a file that does
  not parse) is dropped with a note; a command left with no node id is dropped whole, since
  running it bare would run a different set of tests than the plan meant.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from supervisor.brief.commands import is_test_command, segments
from supervisor.parse.testids import NodeCheck, NodeState, check_node_id

# pytest options whose next word is a value, not a node id
_VALUED = frozenset(
    (
        *("-k", "-m", "-p", "-o", "-c", "-n", "-W", "--deselect", "--ignore", "--ignore-glob"),
        *("--rootdir", "--junitxml", "--junit-xml", "--basetemp", "--confcutdir", "--maxfail"),
        *("--durations", "--tb", "--log-file", "--cov", "--cov-report", "--timeout", "--html"),
        *("--capture", "--import-mode", "--log-level", "--log-cli-level"),
    )
)
_NODE = re.compile(r"^[^-<>&|=\s][^\s<>&|]*$")  # a positional word: file, dir or node id
_REDIRECT = re.compile(r"^\d*(?:>>?|<)$")  # an operator whose target is the next word
_BARE = re.compile(r"^[^\s`]+\.py(?:::[^\s`]+)?$")


@dataclass(frozen=True)
class SelectorNote:
    """What happened to one node id: kept as cited, class-qualified, or dropped."""

    selector: str  # as cited
    state: str  # a NodeState value
    shown: str | None  # the id the brief uses; None when dropped
    reason: str

    @property
    def dropped(self) -> bool:
        return self.shown is None


@dataclass(frozen=True)
class MappedTests:
    tests: tuple[str, ...]  # commands and node ids the brief cites, checked
    notes: tuple[SelectorNote, ...]  # every id that was rewritten or dropped
    dropped_commands: tuple[str, ...]  # commands with no collectable node id left


def is_bare_selector(text: str) -> bool:
    """A backticked node id or test file (``tests/x.py::TestA::test_b``, ``tests/x.py``)."""
    if not _BARE.match(text):
        return False
    name = text.split("::", 1)[0].rsplit("/", 1)[-1]
    return "::" in text or name.startswith("test_") or name.endswith("_test.py")


def _note(check: NodeCheck) -> SelectorNote:
    shown: str | None
    if check.state is NodeState.OK:
        shown = check.selector
    elif check.state is NodeState.METHOD_UNQUALIFIED and check.fixed:
        shown = check.fixed
    else:
        shown = None
    return SelectorNote(check.selector, check.state.value, shown, check.reason)


def _node_words(command: str) -> list[str]:
    """The words of a pytest command that name files, directories or node ids."""
    seg = segments(command)[0]
    try:
        words = shlex.split(seg.args)
    except ValueError:
        words = seg.args.split()
    out: list[str] = []
    skip = False
    if words[:2] == ["-m", "pytest"]:
        words = words[2:]
    for w in words:
        if skip:
            skip = False
            continue
        if w in _VALUED or _REDIRECT.match(w):
            skip = True
            continue
        if _NODE.match(w) and ("/" in w or ".py" in w or "::" in w):
            out.append(w)
    return out


def _replace_word(command: str, old: str, new: str | None) -> str:
    """``command`` with the word ``old`` replaced by ``new`` (or removed)."""
    pat = re.compile(rf"(?<![^\s'\"]){re.escape(old)}(?![^\s'\"])")  # bare or quoted
    if new is not None:
        return pat.sub(lambda _m: new, command, count=1)
    return re.sub(r"[ \t]{2,}", " ", pat.sub("", command, count=1)).strip()


def check_tests(root: Path, cited: list[str]) -> MappedTests:
    """``cited`` (pytest commands and bare node ids, in order) checked against the files
    under ``root``: rewritten, kept or dropped as the module docstring says."""
    tests: list[str] = []
    notes: list[SelectorNote] = []
    dropped: list[str] = []
    for text in cited:
        if is_test_command(text):
            words = _node_words(text)
            line = text
            kept = 0
            for w in words:
                note = _note(check_node_id(root, w))
                if note.shown != w:
                    notes.append(note)
                    line = _replace_word(line, w, note.shown)
                kept += not note.dropped
            if words and not kept:
                dropped.append(text)
                continue
            tests.append(line)
        else:
            note = _note(check_node_id(root, text))
            if note.shown != text:
                notes.append(note)
            if note.shown is not None:
                tests.append(note.shown)
    return MappedTests(tuple(dict.fromkeys(tests)), tuple(dict.fromkeys(notes)), tuple(dropped))
