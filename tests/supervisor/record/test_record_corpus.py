"""Round trips on copies of every corpus ledger: recording an attempt on any item changes only
the intended lines (checked with difflib) and re-parses as the new, correctly numbered attempt;
status updates keep notes in the section and the Index (table and bullet eras)."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from supervisor.model import Outcome
from supervisor.parse.ledger import parse_ledger
from supervisor.record.attempt import AttemptRequest, record_attempt
from supervisor.workspace import Workspace

Run = Callable[..., CompletedProcess[str]]
LEDGERS = [
    "fix_plan.09f04e1a.md", "fix_plan.11b1339e.md", "fix_plan.13b38d78.md",
    "fix_plan.28b5d940.md", "fix_plan.40115778.md", "fix_plan.4790fa13.md",
    "fix_plan.948c8d8d.md", "fix_plan.a11f61ba.md", "fix_plan.b00ada76.md",
    "fix_plan.b401d45f.md", "fix_plan.bc14914a.md", "fix_plan.e33faf3d.md",
    "fix_plan.eea4715f.md",
]  # fmt: skip
DATE = "2026-02-03"


def _resolve_ours(path: Path) -> None:
    """Resolve committed merge conflicts by keeping the HEAD side (record-attempt refuses a
    ledger with conflict markers; one corpus ledger has them in its Index)."""
    out, side = [], "both"
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("<<<<<<< "):
            side = "ours"
        elif line.startswith("=======") and side == "ours":
            side = "theirs"
        elif line.startswith(">>>>>>> ") and side == "theirs":
            side = "both"
        elif side != "theirs":
            out.append(line)
    path.write_text("".join(out), encoding="utf-8")


def _opcodes(old: str, new: str) -> list[tuple[str, int, int, int, int]]:
    a, b = old.splitlines(), new.splitlines()
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return [op for op in ops if op[0] != "equal"]


@pytest.mark.corpus
@pytest.mark.parametrize("name", LEDGERS)
def test_every_item_round_trips(name: str, corpus_ws: Callable[[str], Path]) -> None:
    ws = corpus_ws(name)
    path = ws / "docs" / "fix_plan.md"
    _resolve_ours(path)
    original = path.read_text(encoding="utf-8")
    ledger = parse_ledger(original, "docs/fix_plan.md")
    ids = [i for i in ledger.ids if len(ledger.find(i)) == 1]
    assert ids
    lu = ledger.last_updated_span
    for ident in ids:
        path.write_text(original, encoding="utf-8")
        item = ledger.item(ident)
        assert item is not None
        done = record_attempt(
            Workspace.find(ws),
            AttemptRequest(ident, "partial", f"round trip {ident}", date=DATE),
            env={},
        )
        expected = (item.last_attempt_number or 0) + 1
        assert done.number == expected
        new = path.read_text(encoding="utf-8")
        ops = _opcodes(original, new)
        header = [op for op in ops if lu is not None and op[1] == lu.start - 1]
        body = [op for op in ops if op not in header]
        assert len(header) <= 1
        if header:
            assert header[0][0] == "replace" and header[0][2] - header[0][1] == 1
            assert DATE in new.splitlines()[lu.start - 1]  # type: ignore[union-attr]
        # one line inserted, or an inline placeholder line replaced by label + attempt
        assert len(body) == 1, (ident, body)
        tag, i1, i2, j1, j2 = body[0]
        shapes = [("insert", 0, 1), ("replace", 1, 2)]  # appended; placeholder replaced
        if item.field("Attempts") is None:
            shapes = [("insert", 0, 2)]  # "- Attempts History:" created with the attempt
        assert (tag, i2 - i1, j2 - j1) in shapes, (ident, body)
        assert item.span.start <= i1 + 1 <= item.span.end + 1
        added = new.splitlines()[j2 - 1]
        assert added.endswith(f"Attempt #{expected} — Result: ⚠️ partial. round trip {ident}.") or (
            f"Attempt #{expected}. Result: ⚠️ partial. round trip {ident}." in added
        )
        after = parse_ledger(new, "docs/fix_plan.md").item(ident)
        assert after is not None
        last = after.attempts[-1]
        assert (last.number, last.date, last.outcome) == (expected, DATE, Outcome.PARTIAL)
        assert len(after.attempts) == len(item.attempts) + 1


@pytest.mark.corpus
def test_largest_ledger_period_style_and_focus_item(
    corpus_ws: Callable[[str], Path], record: Run
) -> None:
    ws = corpus_ws("fix_plan.b401d45f.md")
    r = record(["SOURCE-WEIGHT-001", "--result", "success", "--summary", "Normalization fixed"], ws)
    assert r.returncode == 0, r.stderr
    before = parse_ledger((ws / "docs" / "fix_plan.md").read_text(), "docs/fix_plan.md")
    last = before.item("CLI-FLAGS-003").last_attempt_number  # type: ignore[union-attr]
    assert last is not None and last > 150
    r = record(["CLI-FLAGS-003", "--result", "failed", "--summary", "Still diverges"], ws)
    assert r.returncode == 0, r.stderr
    text = (ws / "docs" / "fix_plan.md").read_text()
    assert "  * [2026-02-03] Attempt #41. Result: ✅ success. Normalization fixed.\n" in text
    ledger = parse_ledger(text, "docs/fix_plan.md")
    item = ledger.item("CLI-FLAGS-003")
    assert item is not None
    assert item.attempts[-1].head == (
        f"[2026-02-03] Attempt #{last + 1} — Result: ❌ failed. Still diverges."
    )
    assert ledger.last_updated == "2026-02-03 (galph loop #214)"


@pytest.mark.corpus
def test_duplicate_sections_in_the_newest_ledger(
    corpus_ws: Callable[[str], Path], record: Run
) -> None:
    ws = corpus_ws("fix_plan.eea4715f.md")
    ledger = parse_ledger((ws / "docs" / "fix_plan.md").read_text(), "docs/fix_plan.md")
    lines = [i.heading_line for i in ledger.find("STAGEA-PARAM-001")]
    r = record(["STAGEA-PARAM-001", "--result", "success", "--summary", "x"], ws)
    assert r.returncode == 1
    assert r.stderr == (
        f"error: docs/fix_plan.md:{lines[1]}: ambiguous ledger: [STAGEA-PARAM-001] has 2 "
        f"sections (lines {lines[0]}, {lines[1]}) — merge them into one section, then record "
        "the attempt\n"
    )


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("name", "ident", "rows"),
    [
        (
            "fix_plan.b401d45f.md",
            "VECTOR-TRICUBIC-001",
            [
                (
                    "| done (Phase H CUDA parity archived) |",
                    "| in_progress (Phase H CUDA parity archived) |",
                )
            ],
        ),
        (
            "fix_plan.28b5d940.md",  # bullet-era Index: "Status: x" and "— x (note)" rows
            "CORE-REGRESSION-001",
            [
                (
                    "Status: pending (requires debug.md) —",
                    "Status: in_progress (requires debug.md) —",
                ),
                ("Failure — done (test was wrong,", "Failure — in_progress (test was wrong,"),
            ],
        ),
    ],
)
def test_status_keeps_notes_in_both_index_eras(
    name: str, ident: str, rows: list[tuple[str, str]],
    corpus_ws: Callable[[str], Path], record: Run,
) -> None:  # fmt: skip
    ws = corpus_ws(name)
    path = ws / "docs" / "fix_plan.md"
    _resolve_ours(path)
    old = path.read_text()
    before = parse_ledger(old, "docs/fix_plan.md")
    field_before = before.item(ident).value("Status")  # type: ignore[union-attr]
    r = record(
        [ident, "--result", "partial", "--summary", "resumed", "--status", "in_progress"], ws
    )
    assert r.returncode == 0, r.stderr
    new = path.read_text()
    ledger = parse_ledger(new, "docs/fix_plan.md")
    spans = [row.span.start for row in ledger.rows(ident)]
    assert len(spans) == len(rows)
    for n, (was, now) in zip(spans, rows, strict=True):
        old_row, new_row = old.splitlines()[n - 1], new.splitlines()[n - 1]
        assert was in old_row
        assert new_row == old_row.replace(was, now)
    item = ledger.item(ident)
    assert item is not None
    assert field_before is not None
    word = field_before.split()[0]
    assert item.value("Status") == field_before.replace(word, "in_progress", 1)


@pytest.mark.corpus
def test_committed_conflict_markers_are_refused(
    corpus_ws: Callable[[str], Path], record: Run
) -> None:
    ws = corpus_ws("fix_plan.28b5d940.md")
    path = ws / "docs" / "fix_plan.md"
    before = path.read_bytes()
    r = record(["CORE-REGRESSION-001", "--result", "partial", "--summary", "x"], ws)
    assert r.returncode == 1
    assert r.stderr == (
        "error: docs/fix_plan.md:9: unresolved merge conflict (lines 9-14) — resolve it (keep"
        " one side, remove the <<<<<<< ======= >>>>>>> lines), then retry\n"
    )
    assert path.read_bytes() == before
