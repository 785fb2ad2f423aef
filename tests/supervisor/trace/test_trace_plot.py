r"""The divergence plot: ``divergence.svg`` byte for byte against a golden file, its structure
(points per status, the first-divergence line on the axis, title, legend), hostile tap labels
and file names, thinning of a 10⁵-tap series, and ``--plot svg|png|none`` as a real subprocess.

Regenerate the golden after an intended change with ``SUPERVISOR_UPDATE_GOLDEN=1 pytest``.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from supervisor.trace import compare
from supervisor.trace.parse import read_trace
from supervisor.trace.plot import BINS, FLOOR, plot_data
from supervisor.trace.result import STATUSES
from supervisor.trace.svg import LABEL_MAX, text, write_svg

Run = Callable[..., subprocess.CompletedProcess[str]]
GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "golden" / "trace_divergence.svg"
NS = "{http://www.w3.org/2000/svg}"

# pass (exact, and within tolerance), a first divergence after a pass, a waived tap, a tap only
# in the reference, a tap whose shape differs (drawn at the top)
REF = """TRACE_C: a 1 2 3
TRACE_C: b 0.5
TRACE_C: phi_tic=0 c 7
TRACE_C: phi_tic=1 c 7
TRACE_C: w 4
TRACE_C: m 9
TRACE_C: d 1 2
"""
CAND = """TRACE_PY: a 1 2 3
TRACE_PY: b 0.5000000001
TRACE_PY: phi_tic=0 c 7.5
TRACE_PY: phi_tic=1 c 7
TRACE_PY: w 4.4
TRACE_PY: d 1 2 3
"""
# raw characters that must never reach the SVG: C0 but tab/newline/CR, DEL, C1, bidi controls
RAW_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _small(run_cli: Run, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "ref.log").write_text(REF)
    (tmp_path / "cand.log").write_text(CAND)
    args = ["trace", "diff", "ref.log", "cand.log", "--waive", "w", "--out", "o", *extra]
    return run_cli(args, tmp_path)


def _by_id(root: ET.Element, ident: str) -> ET.Element:
    found = root.find(f".//*[@id='{ident}']")
    assert found is not None, ident
    return found


def _points(root: ET.Element, status: str) -> list[tuple[float, float]]:
    path = _by_id(root, f"series-{status}").find(f"{NS}path")
    assert path is not None
    return [(float(x), float(y)) for x, y in re.findall(r"M([\d.]+) ([\d.]+)", path.get("d", ""))]


def test_svg_golden(run_cli: Run, tmp_path: Path) -> None:
    r = _small(run_cli, tmp_path)
    assert (r.returncode, r.stderr) == (2, "wrote o/metrics.json, o/summary.md, o/divergence.svg\n")
    data = (tmp_path / "o" / "divergence.svg").read_bytes()
    if os.environ.get("SUPERVISOR_UPDATE_GOLDEN"):
        GOLDEN.write_bytes(data)
    assert data == GOLDEN.read_bytes()
    summary = (tmp_path / "o" / "summary.md").read_text()
    assert summary.endswith("\n\nFull per-tap metrics: `metrics.json`. Plot: `divergence.svg`.\n")


def test_svg_structure(run_cli: Run, tmp_path: Path) -> None:
    assert _small(run_cli, tmp_path).returncode == 2
    root = ET.fromstring((tmp_path / "o" / "divergence.svg").read_bytes())
    assert (root.tag, root.get("version"), root.get("viewBox")) == (
        f"{NS}svg",
        "1.1",
        "0 0 1100 420",
    )
    title = _by_id(root, "title")
    assert title.text == "ref.log (reference) vs cand.log: FAIL"
    assert _by_id(root, "note").text == "(exact matches drawn at 1e-18)"
    legend = [t.text for t in _by_id(root, "legend").iter(f"{NS}text")]
    assert legend == ["pass (3)", "waived (1)", "missing (1)", "fail (2)"]
    points = {s: _points(root, s) for s in STATUSES}
    assert {s: len(p) for s, p in points.items()} == {
        "pass": 3,
        "fail": 2,
        "waived": 1,
        "missing": 1,
    }
    # x: the taps' positions on the axis, read back through the tick labels
    ticks = [(int(t.text or ""), float(t.get("x", ""))) for t in _by_id(root, "x-ticks")]
    assert [t for t, _ in ticks] == [0, 1, 2, 3, 4, 5, 6]
    (t0, x0), (t1, x1) = ticks[0], ticks[-1]

    def at(tap: int) -> float:
        return x0 + (tap - t0) * (x1 - x0) / (t1 - t0)

    first = _by_id(root, "first-divergence")
    assert first.get("x1") == first.get("x2")
    assert abs(float(first.get("x1", "")) - at(2)) <= 0.1  # tap #2, phi_tic=0 c
    assert abs(float(_by_id(root, "previous-pass").get("x1", "")) - at(1)) <= 0.1  # b
    label = _by_id(root, "first-divergence-label")
    assert label.text == "first divergence: phi_tic=0 c"
    assert [round(x) for x, _ in points["pass"]] == [round(at(i)) for i in (0, 1, 3)]
    assert [round(x) for x, _ in points["fail"]] == [round(at(i)) for i in (2, 6)]
    # y: decade ticks; exact matches and the missing tap sit on the floor (1e-18)
    yt = {t.text: float(t.get("y", "")) - 3.5 for t in _by_id(root, "y-ticks")}
    assert "1e-12" in yt and "1e0" in yt
    floor = yt[f"1e{round(np.log10(FLOOR))}"]
    assert points["pass"][0][1] == points["pass"][2][1] == points["missing"][0][1] == floor
    assert floor > points["pass"][1][1] > points["fail"][0][1] > points["fail"][1][1]  # d: top


def test_hostile_labels_and_paths_are_escaped(run_cli: Run, tmp_path: Path) -> None:
    bad = "<script>&amp;\x7f\u202e\x01\"'"
    for side, value in ("ref" + bad, 1.0), ("cand", 2.0):
        (tmp_path / side).mkdir()
        np.save(tmp_path / side / "a_ok.npy", np.array([1.0]))
        np.save(tmp_path / side / f"b_{bad}.npy", np.array([value]))
    r = run_cli(["trace", "diff", "ref" + bad, "cand", "--out", "o"], tmp_path)
    assert r.returncode == 2, r.stderr
    data = (tmp_path / "o" / "divergence.svg").read_bytes()
    svg = data.decode("utf-8")
    assert not RAW_CONTROL.search(svg)
    assert "<script" not in svg and "href" not in svg
    shown = "<script>&amp;\\x7f\\u202e\\x01\"'"
    assert "&lt;script&gt;&amp;amp;\\x7f\\u202e\\x01&quot;&apos;" in svg
    root = ET.fromstring(data)  # well-formed
    assert _by_id(root, "first-divergence-label").text == f"first divergence: b_{shown}"
    assert _by_id(root, "title").text == f"ref{shown} (reference) vs cand: FAIL"
    assert root.find(f"{NS}title") is not None
    assert [e.tag for e in root.iter() if e.tag.endswith(("script", "image", "a"))] == []


def test_undecodable_label_is_shown_not_written() -> None:
    bad = "b\udcfe\x85\u2067"  # a file name byte that is not UTF-8, NEL, a bidi isolate
    r = compare({"a": 1.0, bad: 1.0}, {"a": 1.0, bad: 2.0})
    buf = io.BytesIO()
    write_svg(r, buf)  # encodes: nothing unencodable reaches the bytes
    label = _by_id(ET.fromstring(buf.getvalue()), "first-divergence-label")
    # the undecodable byte as its byte value, as everywhere else (supervisor.escapes)
    assert label.text == "first divergence: b\\xfe\\x85\\u2067"


def test_text_shows_every_unsafe_character() -> None:
    assert text("a\tb\nc\rd\x00\x9b\u200f\u2066\ud800\ufffe") == (
        "a\\x09b\\x0ac\\x0dd\\x00\\x9b\\u200f\\u2066\\ud800\\ufffe"
    )
    assert text("x & <y> 'z' \"w\" Δ") == "x &amp; &lt;y&gt; &apos;z&apos; &quot;w&quot; Δ"
    cut = text("q" * 500, LABEL_MAX)
    assert cut == "q" * (LABEL_MAX - 1) + "…"


def test_thinning_keeps_each_bins_envelope(tmp_path: Path) -> None:
    n = 100_000
    rng = np.random.default_rng(7)
    ref = rng.uniform(1.0, 2.0, n)
    cand = ref * (1 + 10.0 ** rng.uniform(-12, -2, n))  # pass and fail all along
    for name, prefix, vals in ("ref.log", "TRACE_C", ref), ("cand.log", "TRACE_PY", cand):
        lines = [
            f"{prefix}: phi_tic={i // 50} t{i % 50} {v!r}\n" for i, v in enumerate(vals.tolist())
        ]
        (tmp_path / name).write_text("".join(lines))
    r = compare(read_trace(tmp_path / "ref.log"), read_trace(tmp_path / "cand.log"))
    assert len(r) == n
    d = plot_data(r)
    buf = io.BytesIO()
    write_svg(r, buf)
    root = ET.fromstring(buf.getvalue())
    y = np.maximum(r.cols["rel_err"], FLOOR)
    for s in d.series:
        full = np.flatnonzero(r.status == STATUSES.index(s.status))
        assert s.count == full.size > 2 * BINS
        assert 0 < s.xs.size < full.size // 5  # thinned
        assert len(_points(root, s.status)) == s.xs.size

        def envelope(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
            b = xs * BINS // n
            keys = np.unique(b)
            return np.array([(k, ys[b == k].max(), ys[b == k].min()) for k in keys])

        np.testing.assert_array_equal(envelope(s.xs, s.ys), envelope(full, y[full]))


def test_plot_data() -> None:
    r = compare({"a": 1.0, "b": [1.0, 2.0]}, {"a": 1.0, "b": [1.0, 3.0]}, rtol=1e-6)
    d = plot_data(r)
    assert (d.taps, d.first, d.previous_pass, d.first_label) == (2, 1, 0, "first divergence: b")
    assert d.title == "<reference> (reference) vs <candidate>: FAIL"
    assert [(s.status, s.count, s.xs.tolist()) for s in d.series] == [
        ("pass", 1, [0]),
        ("fail", 1, [1]),
    ]
    assert d.series[0].ys.tolist() == [FLOOR] and d.top == 100.0
    assert d.ylim == (FLOOR / 10, 1000.0)


def test_plot_none_writes_no_plot(run_cli: Run, tmp_path: Path) -> None:
    r = _small(run_cli, tmp_path, "--plot", "none")
    assert (r.returncode, r.stderr) == (2, "wrote o/metrics.json, o/summary.md\n")
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["metrics.json", "summary.md"]
    summary = (tmp_path / "o" / "summary.md").read_text()
    assert summary.endswith(
        "\nFull per-tap metrics: `metrics.json`. No plot drawn (`--plot none`).\n"
    )


def test_plot_png_still_draws_a_png(run_cli: Run, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="--plot png needs the [plot] extra (matplotlib)")
    r = _small(run_cli, tmp_path, "--plot", "png")
    assert (r.returncode, r.stderr) == (2, "wrote o/metrics.json, o/summary.md, o/divergence.png\n")
    out = tmp_path / "o"
    assert sorted(p.name for p in out.iterdir()) == ["divergence.png", "metrics.json", "summary.md"]
    assert (out / "divergence.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "summary.md").read_text().endswith("Plot: `divergence.png`.\n")


def test_plot_bogus_is_refused_listing_the_choices(run_cli: Run, tmp_path: Path) -> None:
    r = _small(run_cli, tmp_path, "--plot", "bogus")
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == "error: unknown --plot 'bogus' — use one of: none, png, svg\n"
    assert not (tmp_path / "o").exists()
