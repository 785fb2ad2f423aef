r"""``divergence.svg``: the divergence plot of :func:`supervisor.trace.plot.plot_data` as a
self-contained SVG 1.1 document, written as text with no plotting library.

The bytes are deterministic: no timestamps, no generated ids, coordinates with one decimal.
Text from trace files (tap labels, file names) is XML-escaped, and the characters XML 1.0
cannot hold or that would reorder or hide text (C0 controls, DEL, C1 controls, bidi
controls, lone surrogates) are shown as ``\x7f``/``\u202e`` text (an undecodable byte of a
name as ``\xff``, :mod:`supervisor.escapes`), never written raw. No
scripts, no styles from elsewhere, no links. The points of a series are one ``<path>`` of
small glyphs, formatted in one ``%`` operation over numpy-computed coordinates.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from supervisor.escapes import visible_char
from supervisor.trace.plot import MARKS, NOTE, X_TITLE, Y_TITLE, PlotData, plot_data
from supervisor.trace.result import DiffResult

WIDTH, HEIGHT = 1100, 420
LEFT, RIGHT, TOP, BOTTOM = 78.0, 1084.0, 34.0, 372.0  # the plot area
FONT = "DejaVu Sans, Arial, Helvetica, sans-serif"
LABEL_MAX = 100  # a longer tap label is cut (with "…"); summary.md has it whole
# matplotlib marker -> (path drawn at each point after its "Mx y", paint with colour {c}):
# a zero-length segment with a round cap is a dot (SVG 1.1, 11.4); squares are filled
GLYPHS = {
    "o": ("h0", 'fill="none" stroke="{c}" stroke-width="5.5" stroke-linecap="round"'),
    "s": ("m-2.5-2.5h5v5h-5z", 'fill="{c}" stroke="none"'),
    "|": ("m0-3v6", 'fill="none" stroke="{c}" stroke-width="1.5"'),
    "x": ("m-3-3l6 6m0-6l-6 6", 'fill="none" stroke="{c}" stroke-width="1.5"'),
}
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)

_XML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"})


def _visible(m: re.Match[str]) -> str:
    return visible_char(m.group(0))  # an undecodable byte (lone surrogate) as \xff


def text(s: str, limit: int | None = None) -> str:
    r"""``s`` as XML character data or attribute value: ``& < > " '`` escaped, control,
    bidi and non-XML characters shown as ``\x01``/``\u202e``; cut to ``limit`` characters."""
    if limit is not None and len(s) > limit:
        s = s[: limit - 1] + "…"
    return _UNSAFE.sub(_visible, s).translate(_XML)


@dataclass(frozen=True)
class Axes:
    """Data to picture coordinates: taps ``x0..x1`` across the plot area, log10 of the error
    ``lo..hi`` up it."""

    x0: float
    x1: float
    lo: float
    hi: float

    @classmethod
    def of(cls, d: PlotData) -> Axes:
        span = max(d.taps - 1, 0)
        pad = max(0.5, 0.02 * span)
        lo, hi = d.ylim
        return cls(-pad, span + pad, math.log10(lo), math.log10(hi))

    def x(self, tap: Any) -> Any:
        return LEFT + (tap - self.x0) * ((RIGHT - LEFT) / (self.x1 - self.x0))

    def y(self, err: Any) -> Any:
        return BOTTOM - (np.log10(err) - self.lo) * ((BOTTOM - TOP) / (self.hi - self.lo))

    def x_ticks(self) -> list[int]:
        """Round tap numbers, 1, 2 or 5 times a power of ten apart, about eight of them."""
        raw = (self.x1 - self.x0) / 8
        mag = 10 ** math.floor(math.log10(raw))
        step = max(1, round(next((m * mag for m in (1, 2, 5) if m * mag >= raw), 10 * mag)))
        return list(range(math.ceil(self.x0 / step) * step, math.floor(self.x1) + 1, step))

    def y_ticks(self) -> tuple[list[int], list[int]]:
        """(labelled decades, unlabelled ones): every decade in range, at most 12 labelled."""
        decades = list(range(math.ceil(self.lo), math.floor(self.hi) + 1))
        stride = next(s for s in (1, 2, 3, 4, 5, 10, 20, 50) if len(decades) / s <= 12)
        major = [k for k in decades if k % stride == 0]
        return major, [k for k in decades if k % stride]


def _f(v: float) -> str:
    return f"{v:.1f}"


def _points(d: PlotData, ax: Axes) -> list[str]:
    out = []
    for s in d.series:
        marker, colour = MARKS[s.status]
        glyph, paint = GLYPHS[marker]
        xy = np.column_stack((ax.x(s.xs.astype(np.float64)), ax.y(s.ys))).ravel().tolist()
        path = ("M%.1f %.1f" + glyph) * s.xs.size % tuple(xy)
        out += [
            f'<g id="series-{s.status}" {paint.format(c=colour)}>'
            f"<title>{s.label}, {s.xs.size} drawn</title>",
            f'<path d="{path}"/></g>',
        ]
    return out


def _frame(d: PlotData, ax: Axes) -> list[str]:
    major, minor = ax.y_ticks()
    xt = [(t, ax.x(t)) for t in ax.x_ticks()]
    yt = [(k, ax.y(10.0**k)) for k in major]
    grid = "".join(f"M{_f(LEFT)} {_f(y)}H{_f(RIGHT)}" for _, y in yt) + "".join(
        f"M{_f(x)} {_f(TOP)}V{_f(BOTTOM)}" for _, x in xt
    )
    marks = (
        "".join(f"M{_f(LEFT)} {_f(y)}h-4" for _, y in yt)
        + "".join(f"M{_f(LEFT)} {_f(ax.y(10.0**k))}h-2" for k in minor)
        + "".join(f"M{_f(x)} {_f(BOTTOM)}v4" for _, x in xt)
    )
    mid_x, mid_y = (LEFT + RIGHT) / 2, (TOP + BOTTOM) / 2
    return [
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<path id="grid" d="{grid}" stroke="#000000" stroke-opacity="0.12" stroke-width="0.8"/>',
        f'<rect x="{_f(LEFT)}" y="{_f(TOP)}" width="{_f(RIGHT - LEFT)}" '
        f'height="{_f(BOTTOM - TOP)}" fill="none" stroke="#000000" stroke-width="0.8"/>',
        f'<path id="ticks" d="{marks}" stroke="#000000" stroke-width="0.8"/>',
        '<g id="y-ticks" font-size="10" text-anchor="end">',
        *(f'<text x="{_f(LEFT - 6)}" y="{_f(y + 3.5)}">1e{k}</text>' for k, y in yt),
        "</g>",
        '<g id="x-ticks" font-size="10" text-anchor="middle">',
        *(f'<text x="{_f(x)}" y="{_f(BOTTOM + 16)}">{t}</text>' for t, x in xt),
        "</g>",
        f'<text id="x-title" x="{_f(mid_x)}" y="{HEIGHT - 8}" text-anchor="middle">'
        f"{text(X_TITLE)}</text>",
        f'<text id="y-title" transform="translate(16 {_f(mid_y)}) rotate(-90)" '
        f'text-anchor="middle">{text(Y_TITLE)}</text>',
        f'<text id="title" x="{WIDTH / 2}" y="20" font-size="13" text-anchor="middle">'
        f'{text(d.title)}<tspan id="note" dx="8" font-size="11" fill="#555555">({NOTE})'
        "</tspan></text>",
    ]


def _lines(d: PlotData, ax: Axes) -> list[str]:
    out = []
    if d.previous_pass is not None:
        x = _f(ax.x(d.previous_pass))
        out.append(
            f'<line id="previous-pass" x1="{x}" y1="{_f(TOP)}" x2="{x}" y2="{_f(BOTTOM)}" '
            f'stroke="{MARKS["pass"][1]}" stroke-width="1" stroke-dasharray="1.5 2.5"/>'
        )
    if d.first is not None:
        colour = MARKS["fail"][1]
        xf = ax.x(d.first)
        x = _f(xf)
        right = xf > LEFT + 0.65 * (RIGHT - LEFT)  # a label that would run off: left of it
        anchor = ' text-anchor="end"' if right else ""
        out += [
            f'<line id="first-divergence" x1="{x}" y1="{_f(TOP)}" x2="{x}" y2="{_f(BOTTOM)}" '
            f'stroke="{colour}" stroke-width="1" stroke-dasharray="5 3"/>',
            f'<text id="first-divergence-label" x="{_f(xf - 4 if right else xf + 4)}" '
            f'y="{_f(ax.y(d.top) + 12)}" font-size="10" fill="{colour}"{anchor}>'
            f"{text(d.first_label, LABEL_MAX)}</text>",
        ]
    return out


def _legend(d: PlotData) -> list[str]:
    if not d.series:
        return []
    rows = 16
    w = 32 + 6.2 * max(len(s.label) for s in d.series)
    h = 8 + rows * len(d.series)
    x, y = RIGHT - 8 - w, BOTTOM - 8 - h
    out = [
        '<g id="legend" font-size="10">',
        f'<rect x="{_f(x)}" y="{_f(y)}" width="{_f(w)}" height="{_f(h)}" fill="#ffffff" '
        'fill-opacity="0.85" stroke="#cccccc" stroke-width="0.8"/>',
    ]
    for i, s in enumerate(d.series):
        marker, colour = MARKS[s.status]
        glyph, paint = GLYPHS[marker]
        cy = y + 4 + rows * i + rows / 2
        out += [
            f'<path d="M{_f(x + 14)} {_f(cy)}{glyph}" {paint.format(c=colour)}/>',
            f'<text x="{_f(x + 26)}" y="{_f(cy + 3.5)}">{text(s.label)}</text>',
        ]
    return [*out, "</g>"]


def render_svg(d: PlotData) -> str:
    """The SVG document of the plot data."""
    ax = Axes.of(d)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="{FONT}" font-size="11">',
        f"<title>{text(d.title)}</title>",
        *_frame(d, ax),
        *_points(d, ax),
        *_lines(d, ax),
        *_legend(d),
        "</svg>",
        "",
    ]
    return "\n".join(parts)


def write_svg(r: DiffResult, fh: IO[bytes]) -> None:
    """Write ``divergence.svg``: per-tap relative error (log axis) in reference order, points
    by status, the first divergence and the last pass before it marked."""
    fh.write(render_svg(plot_data(r)).encode("utf-8"))
