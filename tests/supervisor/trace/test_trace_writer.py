"""The pieces of the fast JSON writer, each against its plain definition: ``%.3g`` and JSON
numbers a column at a time, the top-K selection, the document of identical traces (non-finite
metrics on the fast path), one entry per distinct tolerance, and the chunk writer thread."""

from __future__ import annotations

import io
import json
import math
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from supervisor.trace.align import diff_traces
from supervisor.trace.document import build_doc, dumps_strict
from supervisor.trace.measure import top_keys
from supervisor.trace.numtext import g3, json_numbers
from supervisor.trace.parse import read_trace
from supervisor.trace.rows import tap_chunks
from supervisor.trace.spool import write_chunks
from supervisor.trace.tolerance import Policy, Rule
from supervisor.trace.topk import select_flat

Run = Callable[..., subprocess.CompletedProcess[str]]

EDGES = [
    0.0, -0.0, 1.0, -1.0, 10.0, 100.0, 1000.0, 999.5, 999.4999999, 99.95, 9.995, 0.0001,
    0.00001, 9.995e-5, 1.235, 12.45, 100.5, 0.125, 1e300, -1e300, 5e-324, 123456789.0,
    0.001234, 9.9949999999999, -0.5, 0.00099995, 1e16, 2.5e-5, 1.5e-300, math.inf, -math.inf,
    math.nan,
]  # fmt: skip


def test_g3_spells_every_value_as_format_does() -> None:
    rng = np.random.default_rng(0)
    wide = rng.standard_normal(100_000) * 10.0 ** rng.integers(-30, 30, 100_000)
    ties = np.array([d / 10**s for d in range(1000, 10000, 5) for s in (-2, 0, 3, 7)])
    for values in (wide, ties, -ties, np.array(EDGES)):
        assert g3(values) == [format(v, ".3g") for v in values.tolist()]
    assert g3(np.array([9940.725836921209, 0.5])) == ["9.94e+03", "0.5"]
    assert g3(np.zeros(0)) == []


def test_json_numbers_parse_back_to_the_same_values() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal(1000) * 10.0 ** rng.integers(-20, 20, 1000)
    assert [json.loads(t) for t in json_numbers(x)] == x.tolist()
    assert json_numbers(np.array([1e-9, 1.0, 0.1])) == ["1e-9", "1.0", "0.1"]
    assert json_numbers(np.array([0, 7, -3], dtype=np.int64)) == ["0", "7", "-3"]
    assert json_numbers(np.array([math.inf, math.nan])) == ["null", "null"]
    assert json_numbers(np.zeros(0)) == []


def _top_oracle(a: Any, b: Any, lengths: Any, k: int) -> list[tuple[int, int, float]]:
    """Per pair: its elements by |Δ| (non-finite mismatches first), lower index first on
    ties, the first ``k`` with |Δ| > 0, as (pair, index, key)."""
    out = []
    key = top_keys(a, b)
    start = 0
    for p, size in enumerate(lengths.tolist()):
        seg = key[start : start + size].tolist()
        order = sorted(range(size), key=lambda i: (-seg[i], i))[:k]
        out += [(p, i, seg[i]) for i in order if seg[i] > 0]
        start += size
    return out


def test_top_k_selection_matches_a_per_tap_sort() -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        lengths = rng.integers(0, 7, int(rng.integers(1, 30)))
        total = int(lengths.sum())
        a = np.round(rng.standard_normal(total), 1)  # rounded: many ties
        b = a.copy()
        moved = rng.random(total) < 0.6
        b[moved] += np.round(rng.standard_normal(int(moved.sum())), 1)
        b[rng.random(total) < 0.05] = np.nan
        a[rng.random(total) < 0.05] = np.inf
        k = int(rng.integers(1, 6))
        segs, idx, key, xa, xb = select_flat(a, b, lengths, k)
        got = list(zip(segs.tolist(), idx.tolist(), key.tolist(), strict=True))
        assert got == _top_oracle(a, b, lengths, k)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        np.testing.assert_array_equal(xa, a[starts[segs] + idx])
        np.testing.assert_array_equal(xb, b[starts[segs] + idx])


def _write(path: Path, rows: list[str]) -> Path:
    path.write_text("".join(f"T: {row}\n" for row in rows))
    return path


def test_identical_traces_take_the_fast_path_with_nonfinite_metrics(tmp_path: Path) -> None:
    rows = [f"phi={i % 3} t{i % 7} {i}.5 {-i}.25 3" for i in range(300)] + ["zero 0 0", "one 2"]
    a = _write(tmp_path / "a.log", rows)
    r = diff_traces(read_trace(a), read_trace(a), Policy())
    fast = json.loads(dumps_strict(build_doc(r, lazy=True)))
    slow = json.loads(dumps_strict(build_doc(r, lazy=False)))
    assert fast == slow

    def general(i: int) -> dict[str, Any]:
        raise AssertionError(f"tap {i} left the column writer")

    assert len(b"".join(tap_chunks(r, general))) > 300 * 500  # every tap written by columns
    m = fast["taps"][0]["metrics"]
    assert (m["sqnr_db"], m["nonfinite"]) == (None, {"sqnr_db": "inf"})
    zero = fast["taps"][300]["metrics"]  # an all-zero tap: no error, by definition
    assert (zero["rel_rms"], zero["cosine"], zero["nonfinite"]) == (0.0, 1.0, {"sqnr_db": "inf"})
    one = fast["taps"][301]["metrics"]  # a scalar: delta written, and finite
    assert (one["delta"], one["rel_delta"], one["nonfinite"]) == (0.0, 0.0, {"sqnr_db": "inf"})


def test_equal_tolerances_share_one_entry(tmp_path: Path) -> None:
    rows = [f"t{i} {i}.5" for i in range(50)]
    a = _write(tmp_path / "a.log", rows)
    r = diff_traces(read_trace(a), read_trace(a), Policy())
    doc = json.loads(dumps_strict(build_doc(r, lazy=True)))
    assert len(doc["tolerances"]) == 1
    assert {t["tolerance"] for t in doc["taps"]} == {0}
    base = doc["tolerances"][0]["rtol"]
    ruled = Policy(groups=(Rule("t1*", 1e-3, 1e-3, origin="test"),))
    r = diff_traces(read_trace(a), read_trace(a), ruled)
    doc = json.loads(dumps_strict(build_doc(r, lazy=True)))
    assert [t["rtol"] for t in doc["tolerances"]] == [base, 1e-3]
    by_name = {t["name"]: t["tolerance"] for t in doc["taps"]}
    assert (by_name["t0"], by_name["t1"], by_name["t12"], by_name["t2"]) == (0, 1, 1, 0)


def test_write_chunks_writes_in_order_and_syncs(tmp_path: Path) -> None:
    chunks = [bytes([65 + k % 26]) * (1000 + k) for k in range(40)]
    with (tmp_path / "f").open("wb") as fh:
        assert write_chunks(fh, iter(chunks), sync_every=5000) == sum(map(len, chunks))
    assert (tmp_path / "f").read_bytes() == b"".join(chunks)


def test_write_chunks_raises_the_makers_error_after_the_writer_stops() -> None:
    sink = io.BytesIO()

    def chunks() -> Iterator[bytes]:
        yield b"one "
        yield b"two "
        raise ValueError("maker failed")

    with pytest.raises(ValueError, match="maker failed"):
        write_chunks(sink, chunks())
    assert sink.getvalue() == b"one two "


def test_write_chunks_raises_the_writers_error_and_stops_making() -> None:
    made = []

    class Full(io.BytesIO):
        def write(self, b: Any) -> int:
            if len(self.getvalue()) >= 8:
                raise OSError(28, "No space left on device")
            return super().write(b)

    def chunks() -> Iterator[bytes]:
        for k in range(10_000):
            made.append(k)
            yield b"abcd"

    with pytest.raises(OSError, match="No space left"):
        write_chunks(Full(), chunks())
    assert len(made) < 10_000  # the maker stopped early


def test_json_and_out_print_the_escaped_document_once(run_cli: Run, tmp_path: Path) -> None:
    a = _write(tmp_path / "a.log", ["k=\u202e t\x7f 1 2", "u 1"])
    b = _write(tmp_path / "b.log", ["k=\u202e t\x7f 1 3", "u 1"])
    out = tmp_path / "o"
    r = run_cli(["trace", "diff", str(a), str(b), "--json", "--out", str(out)], tmp_path)
    assert r.returncode == 2, r.stderr
    printed = r.stdout.encode()
    assert printed == (out / "metrics.json").read_bytes()
    assert "\u202e".encode() not in printed and b"\x7f" not in printed
    assert b"\\u202e" in printed and b"\\u007f" in printed
    text = json.dumps(json.loads(printed), ensure_ascii=False)
    assert "\u202e" in text and "\x7f" in text  # the same document, its escapes undone
    alone = run_cli(["trace", "diff", str(a), str(b), "--json"], tmp_path)
    assert alone.stdout == r.stdout


@pytest.mark.parametrize("block", [3, 7, 64])
def test_small_blocks_write_the_same_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    """Blocks where every tap lists K elements (written with fixed pieces), blocks that mix
    listed and unlisted taps, and blocks with a general-path tap: one document."""
    from supervisor.trace import rows

    rng = np.random.default_rng(4)
    ref, cand = [], []
    for k in range(120):
        m = 1 + k % 4
        x = rng.standard_normal(m)
        y = x * (1 + (1e-3 if 40 <= k < 100 else 0.0))  # a run of failing taps
        if k == 70:
            y[0] = np.nan  # a non-finite element: the general path's top_k
        ref.append(f"T: t{k % 9} " + " ".join(map(repr, x.tolist())))
        cand.append(f"T: t{k % 9} " + " ".join(map(repr, y.tolist())))
    (tmp_path / "a.log").write_text("\n".join(ref) + "\n")
    (tmp_path / "b.log").write_text("\n".join(cand) + "\n")
    r = diff_traces(read_trace(tmp_path / "a.log"), read_trace(tmp_path / "b.log"), Policy())
    monkeypatch.setattr(rows, "BLOCK", block)
    fast = json.loads(dumps_strict(build_doc(r, lazy=True)))
    slow = json.loads(dumps_strict(build_doc(r, lazy=False)))
    assert fast == slow
    listed = [len(t["top_k"]) for t in fast["taps"]]
    assert listed[40:44] == [0, 2, 3, 4] and listed[:40] == [0] * 40  # scalars list none


def test_bundle_is_written_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from supervisor.trace import report

    a = _write(tmp_path / "a.log", [f"t{i} {i}.5 1" for i in range(40)])
    b = _write(tmp_path / "b.log", [f"t{i} {i}.5 2" for i in range(40)])
    r = diff_traces(read_trace(a), read_trace(b), Policy())
    out = tmp_path / "o"
    first = report.write_bundle(out, build_doc(r, lazy=True), r)
    before = {p.name: p.read_bytes() for p in first}

    def broken(plot: str, r: Any, fh: Any) -> None:
        fh.write(b"<svg")
        raise RuntimeError("plot failed")

    monkeypatch.setattr(report, "_draw", broken)
    r2 = diff_traces(read_trace(a), read_trace(a), Policy())  # a different result
    with pytest.raises(RuntimeError, match="plot failed"):
        report.write_bundle(out, build_doc(r2, lazy=True), r2)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # old bundle, no temps

    def late() -> None:
        raise BrokenPipeError

    monkeypatch.undo()
    with pytest.raises(BrokenPipeError):  # the caller's error comes after the bundle is whole
        report.write_bundle(out, build_doc(r2, lazy=True), r2, meanwhile=late)
    assert json.loads((out / "metrics.json").read_text())["verdict"] == "pass"
    assert sorted(p.name for p in out.iterdir()) == sorted(before)


def test_send_file_copies_to_files_pipes_and_memory(tmp_path: Path) -> None:
    from supervisor.trace.spool import send_file

    data = bytes(range(256)) * 5000
    (tmp_path / "src").write_bytes(data)
    sink = io.BytesIO()  # no file descriptor: copied through a buffer
    send_file(tmp_path / "src", sink)
    assert sink.getvalue() == data
    with (tmp_path / "dst").open("wb") as fh:  # a file: sendfile
        fh.write(b"head:")
        send_file(tmp_path / "src", fh)
    assert (tmp_path / "dst").read_bytes() == b"head:" + data
    with (tmp_path / "piped").open("wb") as out:
        reader = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=out)
        assert reader.stdin is not None
        send_file(tmp_path / "src", reader.stdin)  # a pipe, read as it is written
        reader.stdin.close()
        assert reader.wait() == 0
    assert (tmp_path / "piped").read_bytes() == data


def test_writer_threads_restore_the_switch_interval() -> None:
    import sys

    from supervisor.trace.spool import SWITCH_S, Spool

    before = sys.getswitchinterval()
    one, two = Spool(io.BytesIO()), Spool(io.BytesIO())
    assert sys.getswitchinterval() == min(before, SWITCH_S)
    one.close()
    assert sys.getswitchinterval() == min(before, SWITCH_S)  # the other still runs
    two.close(abort=True)
    assert sys.getswitchinterval() == before


def test_a_failed_metrics_write_is_a_one_line_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from supervisor.errors import WorkspaceError
    from supervisor.trace import report, spool

    a = _write(tmp_path / "a.log", [f"t{i} {i}.5 1" for i in range(40)])
    r = diff_traces(read_trace(a), read_trace(a), Policy())

    def full(fd: int, buffers: Any) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(spool.os, "writev", full)
    out = tmp_path / "o"
    with pytest.raises(WorkspaceError, match="cannot write: No space left on device") as err:
        report.write_bundle(out, build_doc(r, lazy=True), r)
    assert err.value.path == str(out / "metrics.json")
    assert list(out.iterdir()) == []  # no bundle, no temp files


def test_a_writer_failing_on_the_last_batch_does_not_hang() -> None:
    """The failing batch held the end marker: the writer must not wait for another one."""
    import threading

    from supervisor.trace.spool import Spool

    entered, go = threading.Event(), threading.Event()

    class Sink(io.BytesIO):
        def write(self, b: Any) -> int:
            if not entered.is_set():  # the first batch: wait until the rest is queued
                entered.set()
                go.wait(10)
                return len(b)
            raise OSError(5, "Input/output error")

    spool = Spool(Sink())
    spool.feed([b"a"])
    assert entered.wait(10)
    spool.feed([b"b"])
    spool.end()  # the next batch is b"b" and the end marker together
    go.set()
    done: list[BaseException] = []

    def close() -> None:
        try:
            spool.close()
        except OSError as exc:
            done.append(exc)

    closer = threading.Thread(target=close, daemon=True)
    closer.start()
    closer.join(10)
    assert not closer.is_alive(), "the writer hung waiting for a second end marker"
    assert [str(e) for e in done] == ["[Errno 5] Input/output error"]


def test_out_replaces_planted_symlinks_and_never_writes_through_them(
    run_cli: Run, tmp_path: Path
) -> None:
    """An agent plants the bundle's file names as links to files it wants overwritten."""
    a = _write(tmp_path / "a.log", ["t 1 2"])
    b = _write(tmp_path / "b.log", ["t 1 3"])
    out = tmp_path / "o"
    out.mkdir()
    victims = {}
    for name in ("metrics.json", "summary.md", "divergence.svg"):
        victim = tmp_path / f"victim-{name}"
        victim.write_text("precious\n")
        (out / name).symlink_to(victim)
        victims[name] = victim
    r = run_cli(["trace", "diff", str(a), str(b), "--out", str(out)], tmp_path)
    assert r.returncode == 2, r.stderr
    for name, victim in victims.items():
        assert victim.read_text() == "precious\n"
        assert not (out / name).is_symlink() and (out / name).stat().st_size > 100
    assert json.loads((out / "metrics.json").read_text())["verdict"] == "fail"


def test_integer_texts_from_a_table_or_spelled() -> None:
    from supervisor.trace.numtext import counts, int_table, int_texts

    table = int_table(5)
    assert table.tolist() == ["0", "1", "2", "3", "4"]
    got = int_texts(np.array([4, 0, 2], dtype=np.int64), table)
    assert got.tolist() == ["4", "0", "2"] and got[0] is table[4]  # shared, not made again
    assert int_texts(np.array([7, -1], dtype=np.int64), table).tolist() == ["7", "-1"]
    assert int_texts(np.zeros(0, dtype=np.int64), table).tolist() == []
    assert counts(np.array([3, 0, 3], dtype=np.int64)) == ["3", "0", "3"]
    assert counts(np.array([-2, 10**12], dtype=np.int64)) == ["-2", "1000000000000"]
    assert counts(np.zeros(0, dtype=np.int64)) == []


@pytest.mark.parametrize("block", [4, 2048])
def test_blocks_where_every_tap_lists_k_elements(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    """Every tap lists the same number of elements: ranks are taken by list slicing."""
    from supervisor.trace import rows

    rng = np.random.default_rng(8)
    x = rng.standard_normal((50, 3))
    a = _write(
        tmp_path / "a.log", [f"t{k} " + " ".join(map(repr, v)) for k, v in enumerate(x.tolist())]
    )
    y = x * (1 + 1e-3 * rng.standard_normal((50, 3)))
    b = _write(
        tmp_path / "b.log", [f"t{k} " + " ".join(map(repr, v)) for k, v in enumerate(y.tolist())]
    )
    r = diff_traces(read_trace(a), read_trace(b), Policy(top_k=2))
    monkeypatch.setattr(rows, "BLOCK", block)
    fast = json.loads(dumps_strict(build_doc(r, lazy=True)))
    assert fast == json.loads(dumps_strict(build_doc(r, lazy=False)))
    assert {len(t["top_k"]) for t in fast["taps"]} == {2}
