r"""Names that are not UTF-8 and hostile labels: one rule for showing them
(:mod:`supervisor.escapes`: an undecodable byte as the 4 characters ``\xff``, a control
character as ``\x1b``), in the terminal table, ``--json``, ``metrics.json``, ``summary.md``,
the SVG plot, error messages and ``order.names``; ``summary.md`` keeps labels as text.

The CLI runs as a real subprocess, its output read as bytes and decoded strictly."""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from markdown_it import MarkdownIt

from supervisor.escapes import escape_controls, escape_json_text, quoted, visible_char
from supervisor.trace import compare
from supervisor.trace.parse import read_trace
from supervisor.trace.report import HEADERS, summary_md

ODD = b"stage_\xff.npy"  # a file name that is not UTF-8
SHOWN = "stage_\\xff"  # its tap label as shown everywhere (4 characters for the byte)


def _cli(args: list[str], cwd: Path) -> tuple[int, bytes, bytes]:
    """`supervisor ARGS` as a subprocess: exit code, stdout and stderr as bytes."""
    env = {**os.environ, "SUPERVISOR_NO_CACHE": "1"}
    r = subprocess.run(
        [sys.executable, "-m", "supervisor.cli.main", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=120,
    )
    return r.returncode, r.stdout, r.stderr


def _strict(data: bytes) -> Any:
    def refuse(name: str) -> None:
        raise ValueError(f"non-strict JSON constant {name}")

    return json.loads(data.decode("utf-8"), parse_constant=refuse)  # strict UTF-8, too


def _save(d: Path, name: bytes, values: list[float]) -> None:
    with open(os.path.join(os.fsencode(d), name), "wb") as fh:
        np.save(fh, np.array(values, dtype=np.float64))


@pytest.fixture
def odd_dirs(tmp_path: Path) -> Path:
    """Directories a/ and b/ (in ``tmp_path``): layer.1.npy equal, stage_<0xff>.npy not."""
    try:
        fd = os.open(os.path.join(os.fsencode(tmp_path), b"probe_\xff"), os.O_CREAT | os.O_WRONLY)
    except OSError as exc:
        pytest.skip(f"this filesystem refuses file names that are not UTF-8 ({exc.strerror})")
    os.close(fd)
    os.unlink(os.path.join(os.fsencode(tmp_path), b"probe_\xff"))
    for side, v in (("a", 1.0), ("b", 1.5)):
        (tmp_path / side).mkdir()
        _save(tmp_path / side, b"layer.1.npy", [1.0, 2.0])
        _save(tmp_path / side, ODD, [v, 2.0])
    return tmp_path


def test_visible_rule() -> None:
    assert escape_controls("stage_\udcff.npy") == "stage_\\xff.npy"
    assert escape_controls("a\udc80\ud800\udc41") == "a\\x80\\ud800\\udc41"  # only bytes ≥ 0x80
    assert escape_controls("t\tn\n", one_line=True) == "t\\x09n\\x0a"
    assert escape_controls("t\tn\n") == "t\tn\n"
    assert visible_char("\udcfe") == "\\xfe" and visible_char("\x1b") == "\\x1b"
    assert quoted("ab\udcffc\n") == "'ab\\xffc\\x0a'"
    text = json.dumps({"k\udcff": ["v\udcfe\x7f"]}, ensure_ascii=False)
    escaped = escape_json_text(text)
    escaped.encode("utf-8")  # a lone surrogate would raise here
    assert json.loads(escaped) == {"k\\xff": ["v\\xfe\x7f"]}


def test_directory_sha256_hashes_the_name_bytes(odd_dirs: Path) -> None:
    a = odd_dirs / "a"
    digest = read_trace(a).sha256
    files = [b"layer.1.npy", ODD]  # natural order
    body = b"".join(
        b"%s\0%s\n" % (n, hashlib.sha256((a / os.fsdecode(n)).read_bytes()).hexdigest().encode())
        for n in files
    )
    assert digest == hashlib.sha256(body).hexdigest()
    assert read_trace(a).sha256 == digest  # stable across reads
    # the same bytes under another name: 0xfe, and U+00FF spelled in UTF-8
    for other in (b"stage_\xfe.npy", "stage_\u00ff.npy".encode()):
        c = odd_dirs / f"c{other.hex()}"
        c.mkdir()
        _save(c, b"layer.1.npy", [1.0, 2.0])
        _save(c, other, [1.0, 2.0])
        assert read_trace(c).sha256 != digest


def test_json_with_undecodable_file_name(odd_dirs: Path) -> None:
    rc, out, err = _cli(["trace", "diff", "a", "b", "--json"], odd_dirs)
    assert (rc, err) == (2, b"")
    assert b"\xff" not in out and b"\\udc" not in out
    doc = _strict(out)
    assert [t["label"] for t in doc["taps"]] == ["layer.1", SHOWN]
    assert [t["status"] for t in doc["taps"]] == ["pass", "fail"]
    assert doc["taps"][1]["where"] == {"a": f"a/{SHOWN}.npy@128", "b": f"b/{SHOWN}.npy@128"}
    assert doc["first_divergence"]["label"] == SHOWN
    assert doc["inputs"]["a"]["order"] == {
        "rule": "natural",
        "source": None,
        "names": ["layer.1.npy", f"{SHOWN}.npy"],
        "unmatched": 0,
    }
    assert doc["inputs"]["a"]["sha256"] == read_trace(odd_dirs / "a").sha256
    # the printed path finds the file: its \xNN escapes are the name's bytes
    where = doc["taps"][1]["where"]["a"].rsplit("@", 1)[0]
    assert (odd_dirs / os.fsdecode(codecs.escape_decode(where.encode())[0])).is_file()

    rc, out2, err = _cli(["trace", "diff", "a", "b", "--out", "o"], odd_dirs)
    assert (rc, err) == (2, b"wrote o/metrics.json, o/summary.md, o/divergence.svg\n")
    o = odd_dirs / "o"
    assert sorted(p.name for p in o.iterdir()) == ["divergence.svg", "metrics.json", "summary.md"]
    assert (o / "metrics.json").read_bytes() == out  # the same document
    summary = (o / "summary.md").read_bytes().decode("utf-8")
    assert "| 1 | stage\\_\\\\xff | FAIL |" in summary  # `_` and `\` escaped for Markdown
    svg = (o / "divergence.svg").read_bytes().decode("utf-8")
    assert f"first divergence: {SHOWN}" in svg

    # the text table (printed too while --out finishes metrics.json)
    for table in (out2, _cli(["trace", "diff", "a", "b"], odd_dirs)[1]):
        text = table.decode("utf-8")
        assert b"\xff" not in table
        rows = [line.split() for line in text.splitlines()]
        assert rows[3][:3] == ["1", SHOWN, "FAIL"]
        assert f"first divergence: #1 {SHOWN} (a/{SHOWN}.npy@128)" in text
        natural = "natural (natural order of the numbered names)"
        assert f"order (a): {natural}: layer.1.npy, {SHOWN}.npy" in text


def test_order_matches_the_name_as_printed(odd_dirs: Path) -> None:
    (odd_dirs / "ord.txt").write_text(f"# as printed\n{SHOWN}.npy\nlayer.*\n", encoding="utf-8")
    rc, out, err = _cli(["trace", "diff", "a", "b", "--json", "--order", "ord.txt"], odd_dirs)
    assert (rc, err) == (2, b"")
    assert _strict(out)["inputs"]["b"]["order"] == {
        "rule": "explicit",
        "source": "ord.txt",
        "names": [f"{SHOWN}.npy", "layer.1.npy"],
        "unmatched": 0,
    }
    # the raw bytes on the command line match too
    args = ["trace", "diff", "a", "b", "--json", "--order", os.fsdecode(b"stage_\xff,layer.*")]
    rc, out, err = _cli(args, odd_dirs)
    assert rc == 2 and _strict(out)["inputs"]["a"]["order"]["names"][0] == f"{SHOWN}.npy"
    rc, out, err = _cli(["trace", "diff", "a", "b", "--order", "stage_\\xfe"], odd_dirs)
    assert (rc, out) == (1, b"")
    assert err.decode("utf-8") == (
        "error: --order 'stage_\\xfe' matches no stage file or tap — did you mean "
        f"{SHOWN}, {SHOWN}.npy?\n"
    )


def test_text_trace_with_a_byte_that_is_not_utf8(tmp_path: Path) -> None:
    """Read, not refused: the byte is kept (taps match by their bytes) and shown as \\xff."""
    (tmp_path / "a.log").write_bytes(
        b"TRACE_C: ab\xffc 1.0\nTRACE_C: x 2.0\nTRACE_C:conv=MOSF\xffLM\nTRACE_C: only\xfe 1\n"
    )
    (tmp_path / "b.log").write_bytes(
        b"TRACE_C: ab\xffc 1.5\nTRACE_C: x 2.0\nTRACE_C:conv=MOSF\xfeLM\nTRACE_C: only\xff 1\n"
    )
    t = read_trace(tmp_path / "a.log")
    assert t.names == ("ab\udcffc", "x", "conv", "only\udcfe")
    assert t.texts[2] == "MOSF\udcffLM"
    assert t.sha256 == hashlib.sha256((tmp_path / "a.log").read_bytes()).hexdigest()
    rc, out, err = _cli(["trace", "diff", "a.log", "b.log", "--json"], tmp_path)
    assert (rc, err) == (2, b"")
    doc = _strict(out)
    assert [(x["label"], x["status"]) for x in doc["taps"]] == [
        ("ab\\xffc", "fail"),
        ("x", "pass"),
        ("conv", "fail"),
        ("only\\xfe", "missing"),
    ]
    assert doc["taps"][2]["reasons"] == ["text differs: 'MOSF\\xffLM' vs 'MOSF\\xfeLM'"]
    assert doc["only_in_b"] == ["only\\xff"]
    rc, out, err = _cli(["trace", "diff", "a.log", "b.log"], tmp_path)
    assert rc == 2 and b"\xff" not in out
    assert "first divergence: #0 ab\\xffc (a.log:1)" in out.decode("utf-8")
    # a value that is not a number: the message shows the byte the same way
    (tmp_path / "c.log").write_bytes(b"TRACE_C: x 1.0 \xff2\n")
    rc, out, err = _cli(["trace", "diff", "c.log", "a.log"], tmp_path)
    assert (rc, out) == (1, b"")
    assert err.decode("utf-8") == (
        "error: c.log:1: non-numeric value '\\xff2' in tap 'x' — tap values must be numbers "
        "(nan and inf are allowed)\n"
    )


def _md_tables(md: str) -> list[list[list[str]]]:
    """The tables of ``md`` as rendered by a CommonMark + GFM-table parser: rows of cell
    texts (inline markup would show up as other tokens, and fail the comparisons)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    tables: list[list[list[str]]] = []
    row: list[str] | None = None
    for tok in tokens:
        if tok.type == "table_open":
            tables.append([])
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close" and row is not None:
            tables[-1].append(row)
            row = None
        elif tok.type == "inline" and row is not None:
            kids = tok.children or []
            if all(k.type == "text" for k in kids):
                row.append("".join(k.content for k in kids))
            else:
                row.append(f"<markup: {[k.type for k in kids]}>")
    return tables


HOSTILE = [  # stage file names (their stems are the tap labels)
    "tab\there",
    "new\nline|pipe\r\nx",
    "\x1b[31mred\x1b]0;t\x07 \x1b[2J",
    "del\x7f c1\x9b\x85",
    "bidi\u202eevil\u2066",
    "*em* _u_ `code` <b>html<br> [link](x) ![i](y) &amp; ~~s~~ $m$",
    "back\\slash \\| \\*",
    "undecodable\udcff",
]


def test_summary_md_keeps_hostile_labels_as_text(odd_dirs: Path) -> None:
    for side, v in (("ha", 2.0), ("hb", 3.0)):
        (odd_dirs / side).mkdir()
        for label in HOSTILE:
            _save(odd_dirs / side, os.fsencode(label) + b".npy", [1.0, v])
    r = compare(odd_dirs / "ha", odd_dirs / "hb")
    assert sorted(r.label(i) for i in range(len(r))) == sorted(HOSTILE)
    md = summary_md(r)
    data = md.encode("utf-8")  # no lone surrogate left
    assert not re.search(rb"[\x00-\x09\x0b-\x1f\x7f]", data)  # no control byte but \n
    assert not re.search("[\x80-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]", md)
    html = MarkdownIt("commonmark").enable("table").render(md)
    for tag in ("<em>", "<strong>", "<a ", "<img", "<b>", "<s>", "<del>"):
        assert tag not in html
    _inputs, taps = _md_tables(md)
    assert len(taps) == 1 + len(HOSTILE)  # header + one row a tap: nothing broke the table
    assert all(len(row) == len(HEADERS) for row in taps)
    assert taps[0] == HEADERS
    shown = [escape_controls(r.label(i), one_line=True) for i in range(len(r))]
    assert [row[1] for row in taps[1:]] == shown
    assert [row[2] for row in taps[1:]] == ["FAIL"] * len(HOSTILE)
    assert "undecodable\\xff" in shown and "tab\\x09here" in shown
    # the headline bullets too: text, the label as shown
    bullets = [
        "".join(k.content for k in (t.children or []) if k.type == "text")
        for t in MarkdownIt("commonmark").parse(md)
        if t.type == "inline"
    ]
    first = next(b for b in bullets if b.startswith("first divergence:"))
    assert first.startswith(f"first divergence: #0 {shown[0]} ({odd_dirs / 'ha' / shown[0]}.npy@")


def test_summary_md_from_the_cli_has_no_raw_controls(tmp_path: Path) -> None:
    """Text traces carrying controls and markup in qualifiers and names, through --out."""
    lines = [
        "TRACE_C: k=\x1b[2J*x*|y\u202e a 1.0",
        "TRACE_C: k=<b>z</b>\x7f a 1.0",
        "TRACE_C:[q](http://e)=ok",
        "TRACE_C:`b`\x9b=2.0",
    ]
    (tmp_path / "a.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "b.log").write_text(
        "\n".join(lines).replace(" 1.0", " 1.5").replace("=ok", "=no") + "\n",
        encoding="utf-8",
    )
    rc, _out, err = _cli(["trace", "diff", "a.log", "b.log", "--out", "o"], tmp_path)
    assert rc == 2, err
    data = (tmp_path / "o" / "summary.md").read_bytes()
    assert not re.search(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]", data)
    md = data.decode("utf-8")
    _inputs, taps = _md_tables(md)
    labels = [
        "k=\x1b[2J*x*|y\u202e a",
        "k=<b>z</b>\x7f a",
        "[q](http://e)",
        "`b`\x9b",
    ]
    assert [row[1] for row in taps[1:]] == [escape_controls(s) for s in labels]
    assert [row[2] for row in taps[1:]] == ["FAIL", "FAIL", "FAIL", "PASS"]
    html = MarkdownIt("commonmark").enable("table").render(md)
    assert "<b>" not in html and "<a " not in html and "<em>" not in html


def test_png_plot_draws_names_as_text(odd_dirs: Path) -> None:
    """An undecodable byte and mathtext (``$\\frac{$``) in a label: drawn as text, exit 2."""
    pytest.importorskip("matplotlib", reason="--plot png needs the [plot] extra (matplotlib)")
    for side, v in (("ma", 1.0), ("mb", 2.0)):
        (odd_dirs / side).mkdir()
        _save(odd_dirs / side, b"$\\frac{$x.npy", [v])
    for a, b in (("a", "b"), ("ma", "mb")):
        rc, _out, err = _cli(["trace", "diff", a, b, "--out", f"o{a}", "--plot", "png"], odd_dirs)
        assert (rc, err) == (
            2,
            f"wrote o{a}/metrics.json, o{a}/summary.md, o{a}/divergence.png\n".encode(),
        )
        assert (odd_dirs / f"o{a}" / "divergence.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
