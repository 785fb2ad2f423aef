"""Line-level text surgery in the ledger's and plan's own style.

Attempt bullets copy the item's prevailing indentation, bullet character and separator
(``Attempt #N — Result:`` or ``Attempt #N (…). Result:``), else the canonical two-space ``*``
form of FORMATS.md §1.5. Status words, Index cells, State markers and the Last Updated date are
replaced in place: notes, bold, padding and backticks around them are kept.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from supervisor.model import Attempt, Plan, TaskState
from supervisor.parse.fields import first_word

EMOJI = {"success": "✅", "partial": "⚠️", "failed": "❌", "blocked": "🟡"}
_BULLET = re.compile(r"^([ \t]*)([*+-])[ \t]+")
_HEAD_NUMBER = re.compile(r"Attempts?[\s\u00a0\u202f]*#?\s*\d+(?:\s*[–—-]\s*#?\s*\d+)?")
_NUMBERED = re.compile(
    r"^[ \t]*(?:[*+-]|\d{1,3}[.)])[ \t]+(?:\*\*)?(?:\[[^\]\n]{0,40}\][ \t]*)?(?:\*\*)?"
    r"Attempts?[\s\u00a0\u202f]*#\s*(\d+)(?:\s*(?:[–—-]|to)\s*#?\s*(\d+))?",
    re.IGNORECASE,
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_LABEL_END = re.compile(r"^\s*(?:\*\*)?Last Updated:?(?:\*\*)?:?\s*")
MARKER = re.compile(r"\[\s*([^\]\[]{0,8}?)\s*\]")


@dataclass(frozen=True)
class AttemptStyle:
    indent: str = "  "
    bullet: str = "*"
    period: bool = False  # ``Attempt #N (…). Result:`` instead of ``Attempt #N — Result:``


def highest_number(raw: str, path: str = "", first: int = 0) -> int | None:
    """The highest attempt number written at the start of any bullet in ``raw`` (ranges count
    their upper end; nested attempts count too; mentions inside text do not); ``first`` is
    the file line of ``raw``'s first line (for errors)."""
    from supervisor.parse.attempts import attempt_number

    best: int | None = None
    for k, line in enumerate(raw.split("\n")):
        m = _NUMBERED.match(line)
        if m:
            where = (path, first + k if first else 0)
            n = max(attempt_number(m.group(1), *where), attempt_number(m.group(2) or "0", *where))
            best = n if best is None else max(best, n)
    return best


def detect_style(lines: Sequence[str], attempts: Sequence[Attempt], first: int) -> AttemptStyle:
    """The prevailing style of ``attempts`` (numbered entries; ties go to the latest);
    ``lines`` are the field's lines, ``first`` the file line of ``lines[0]``."""
    seen: Counter[AttemptStyle] = Counter()
    last: dict[AttemptStyle, int] = {}
    for k, a in enumerate(attempts):
        if a.number is None:
            continue
        m = _BULLET.match(lines[a.span.start - first])
        if m is None:
            continue
        style = AttemptStyle(m.group(1), m.group(2), _period(a.head))
        seen[style] += 1
        last[style] = k
    if not seen:
        return AttemptStyle()
    return max(seen, key=lambda s: (seen[s], last[s]))


def _period(head: str) -> bool:
    m = _HEAD_NUMBER.search(head)
    if m is None:
        return False
    rest = head[m.end() :].lstrip()
    if rest.startswith("("):
        depth = 0
        for i, ch in enumerate(rest):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0:
                rest = rest[i + 1 :].lstrip()
                break
    return rest.startswith(".") or rest.startswith("**.")


def attempt_line(
    style: AttemptStyle,
    number: int,
    date: str,
    result: str,
    summary: str,
    notes: Sequence[str],
    artifacts: Sequence[str],
    metrics: Sequence[tuple[str, str]],
    forced: str | None,
) -> str:
    """``  * [date] Attempt #N — Result: ✅ success (notes). Summary. Artifacts: … Metrics: …``"""
    sep = ". " if style.period else " — "
    text = f"{style.indent}{style.bullet} [{date}] Attempt #{number}{sep}Result: "
    text += f"{EMOJI[result]} {result}" + (f" ({'; '.join(notes)})" if notes else "") + "."
    text += " " + _sentence(summary)
    if artifacts:
        text += " Artifacts: " + _artifacts(artifacts) + "."
    if metrics:
        text += " Metrics: " + ", ".join(f"{k}={v}" for k, v in metrics) + "."
    if forced:
        text += " Forced (evidence check overridden): " + _sentence(forced)
    return text


def _artifacts(paths: Sequence[str]) -> str:
    """``a/``, ``a/x``, ``a/y``, ``b`` -> ```a/` (`x`, `y`), `b```: files inside a cited
    directory (a bundle's outputs) are named relative to it."""
    parts, i = [], 0
    while i < len(paths):
        head, inner = paths[i], []
        i += 1
        while head.endswith("/") and i < len(paths) and paths[i].startswith(head):
            inner.append(f"`{paths[i][len(head) :]}`")
            i += 1
        parts.append(f"`{head}`" + (f" ({', '.join(inner)})" if inner else ""))
    return ", ".join(parts)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def replace_first_word(value: str, new: str) -> str:
    """``**in_progress** (note)`` -> ``**done** (note)``; an empty value becomes ``new``."""
    word = first_word(value)
    if not word:
        return new if not value.strip() else f"{new} {value.strip()}"
    at = value.find(word)
    return value[:at] + new + value[at + len(word) :]


def field_line_status(line: str, value: str, new: str) -> str:
    """A ``- Status: value`` line with its status word replaced (label and note kept)."""
    body = line.rstrip()
    if value and body.endswith(value):
        head = body[: len(body) - len(value)]
        return head + replace_first_word(value, new) + line[len(body) :]
    return body + " " + new + line[len(body) :]


def set_cell(line: str, span: tuple[int, int], text: str) -> str:
    """Replace a cell's text, keeping its padding (a blank cell gets one space each side)."""
    a, b = span
    cell = line[a:b]
    stripped = cell.strip()
    if not stripped:
        return line[:a] + f" {text} " + line[b:]
    lead = cell.find(stripped)
    return line[: a + lead] + text + line[a + lead + len(stripped) :]


def marker_for(plan: Plan, state: TaskState) -> tuple[str, bool]:
    """The plan's prevailing marker for ``state`` (``[X]`` where it writes done as X) and
    whether it writes markers in backticks."""
    letters: Counter[str] = Counter()
    ticks: Counter[bool] = Counter()
    for t in plan.tasks:
        m = MARKER.search(t.raw_state)
        if m is None:
            continue
        ticks[t.raw_state.startswith("`")] += 1
        if t.state is state:
            letters[f"[{m.group(1)}]"] += 1
    marker = letters.most_common(1)[0][0] if letters else state.marker
    return marker, bool(ticks) and ticks[True] > ticks[False]


def new_state_cell(raw: str, marker: str, backticks: bool) -> str:
    """The State cell with its marker swapped; a cell without a marker becomes the marker
    (in backticks when the plan writes them so)."""
    m = MARKER.search(raw)
    if m is not None:
        return raw[: m.start()] + marker + raw[m.end() :]
    return f"`{marker}`" if backticks else marker


def last_updated_line(line: str, date: str) -> str | None:
    """The Last Updated line with its date replaced (the note after it kept), or None when
    the line carries no date."""
    m = _LABEL_END.match(line)
    start = m.end() if m else 0
    d = _DATE.search(line, start)
    if d is None:
        return None
    return line[: d.start()] + date + line[d.end() :]
