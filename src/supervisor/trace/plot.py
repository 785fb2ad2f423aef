"""What the divergence plot shows, computed once (:func:`plot_data`), and ``divergence.png``
drawn from it; ``divergence.svg`` is drawn from the same data by :mod:`supervisor.trace.svg`.

matplotlib is imported in :func:`write_plot` only, through its object API with the Agg canvas
(no pyplot, no global backend switch), so nothing else pays for it and no display is needed.
Labels and file names are drawn as text: no mathtext (``$…$``), control characters and
undecodable bytes shown as ``\\x1b``/``\\xff`` (:mod:`supervisor.escapes`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
from numpy.typing import NDArray

from supervisor.trace.result import FAIL, MISSING, STATUSES, WAIVED, DiffResult

FLOOR = 1e-18  # errors below this (exact matches included) are drawn on the floor
BINS = 2000  # a series of more points keeps, per bin of taps, its highest and lowest ones
NOTE = f"exact matches drawn at {FLOOR:g}"
X_TITLE = "tap (reference order)"
Y_TITLE = "relative error  rms(Δ) / max(rms(ref), atol)"
# status -> (matplotlib marker, colour: matplotlib's "tab" palette), in drawing order
MARKS = {
    "pass": ("o", "#2ca02c"),
    "waived": ("s", "#ff7f0e"),
    "missing": ("|", "#7f7f7f"),
    "fail": ("x", "#d62728"),
}


def thin(
    xs: NDArray[np.int64], ys: NDArray[np.float64], n: int, bins: int = BINS
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The points of a series that can show at this width: per bin of ``n / bins`` taps, the
    highest and the lowest (all of them when there are few). The envelope drawn is the same."""
    if xs.size <= 2 * bins:
        return xs, ys
    b = xs * bins // max(n, 1)
    starts = np.flatnonzero(np.concatenate([[True], b[1:] != b[:-1]]))
    seg = np.repeat(np.arange(starts.size), np.diff(np.concatenate([starts, [xs.size]])))
    keep = (ys == np.maximum.reduceat(ys, starts)[seg]) | (
        ys == np.minimum.reduceat(ys, starts)[seg]
    )
    return xs[keep], ys[keep]


@dataclass(frozen=True, eq=False)
class Series:
    """The taps of one status: how many there are, and the points drawn (thinned)."""

    status: str
    count: int
    xs: NDArray[np.int64]  # tap indices (reference order)
    ys: NDArray[np.float64]  # relative error, floored at FLOOR, unmeasured ones at the top

    @property
    def label(self) -> str:
        return f"{self.status} ({self.count})"


@dataclass(frozen=True)
class PlotData:
    """Everything the divergence plot draws; both writers draw exactly this."""

    taps: int
    top: float  # y of taps whose error is not finite or whose text differs
    series: tuple[Series, ...]  # non-empty ones, in drawing order (fail last, on top)
    first: int | None  # first divergent tap
    first_label: str  # "first divergence: <label>" ("" when there is none)
    previous_pass: int | None  # the last passing tap before it
    title: str  # "<a> (reference) vs <b>: VERDICT"

    @property
    def ylim(self) -> tuple[float, float]:
        return FLOOR / 10, self.top * 10


def plot_data(r: DiffResult) -> PlotData:
    """Per-tap relative error (floor and top rules applied) split by status and thinned, the
    first divergence and the last pass before it, and the title."""
    err = np.where(r.measured, r.cols["rel_err"], np.nan)
    ok = np.isfinite(err) & (err > 0)
    top = float(max(err[ok].max() if ok.any() else 1.0, 1.0)) * 100.0
    with np.errstate(invalid="ignore"):
        y = np.where(np.isfinite(err), np.maximum(err, FLOOR), top)
    fail_or_waived = (r.status == FAIL) | (r.status == WAIVED)
    y = np.where(~r.measured & fail_or_waived, top, y)  # text differs, shape: drawn at the top
    y = np.where(r.status == MISSING, FLOOR, y)
    show = r.measured | fail_or_waived | (r.status == MISSING)
    series = []
    for status in MARKS:
        idx = np.flatnonzero(show & (r.status == STATUSES.index(status)))
        if idx.size:
            xs, ys = thin(idx, y[idx], len(r))
            series.append(Series(status, int(idx.size), xs, ys))
    first = r.first.index if r.first is not None else None
    a, b = Path(r.a.path).name, Path(r.b.path).name
    return PlotData(
        taps=len(r),
        top=top,
        series=tuple(series),
        first=first,
        first_label=f"first divergence: {r.label(first)}" if first is not None else "",
        previous_pass=r.first.previous_pass if r.first is not None else None,
        title=f"{a} (reference) vs {b}: {r.verdict.upper()}",
    )


def write_plot(r: DiffResult, path: Path | IO[bytes]) -> None:
    """``divergence.png``: the relative error of every compared tap (log axis) in reference
    order (matplotlib)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from supervisor.escapes import escape_controls

    d = plot_data(r)
    fig = Figure(figsize=(11, 4.2), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for s in d.series:
        marker, colour = MARKS[s.status]
        ax.scatter(s.xs, s.ys, s=14, marker=marker, color=colour, label=s.label)
    if d.first is not None:
        ax.axvline(d.first, color=MARKS["fail"][1], linestyle="--", linewidth=1)
        ax.annotate(
            escape_controls(d.first_label, one_line=True),  # names: text, never mathtext
            xy=(d.first, d.top),
            xytext=(4, -12),
            textcoords="offset points",
            color=MARKS["fail"][1],
            fontsize=8,
            parse_math=False,
        )
    if d.previous_pass is not None:
        ax.axvline(d.previous_pass, color=MARKS["pass"][1], linestyle=":", linewidth=1)
    ax.set_yscale("log")
    ax.set_ylim(*d.ylim)
    ax.set_xlabel(X_TITLE)
    ax.set_ylabel(Y_TITLE)
    title = escape_controls(f"{d.title}  ({NOTE})", one_line=True)
    ax.set_title(title, fontsize=10, parse_math=False)
    ax.grid(True, which="major", alpha=0.3)
    if d.series:
        ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png", metadata={"Software": None})
