"""``divergence.png``: per-tap relative error along the trace, first divergence marked.

matplotlib is imported here only, through its object API with the Agg canvas (no pyplot, no
global backend switch), so nothing else pays for it and no display is needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

import numpy as np
from numpy.typing import NDArray

from supervisor.trace.result import FAIL, MISSING, STATUSES, WAIVED, DiffResult

FLOOR = 1e-18  # errors below this (exact matches included) are drawn on the floor
BINS = 2000  # a series of more points keeps, per bin of taps, its highest and lowest ones


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


def write_plot(r: DiffResult, path: Path | IO[bytes]) -> None:
    """Draw the relative error of every compared tap (log axis) in reference order."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.2), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    err = np.where(r.measured, r.cols["rel_err"], np.nan)
    ok = np.isfinite(err) & (err > 0)
    top = float(max(err[ok].max() if ok.any() else 1.0, 1.0)) * 100.0
    with np.errstate(invalid="ignore"):
        y = np.where(np.isfinite(err), np.maximum(err, FLOOR), top)
    fail_or_waived = (r.status == FAIL) | (r.status == WAIVED)
    y = np.where(~r.measured & fail_or_waived, top, y)  # text differs, shape: drawn at the top
    y = np.where(r.status == MISSING, FLOOR, y)
    show = r.measured | fail_or_waived | (r.status == MISSING)
    series: dict[str, tuple[NDArray[np.int64], NDArray[np.float64]]] = {}
    for code, status in enumerate(STATUSES):
        idx = np.flatnonzero(show & (r.status == code))
        if idx.size:
            series[status] = (idx, y[idx])
    marks = {
        "pass": ("o", "tab:green"),
        "fail": ("x", "tab:red"),
        "waived": ("s", "tab:orange"),
        "missing": ("|", "tab:gray"),
    }
    for status in ("pass", "waived", "missing", "fail"):
        if status in series:
            marker, colour = marks[status]
            xs, ys = series[status]
            count = len(xs)
            xs, ys = thin(xs, ys, len(r))
            ax.scatter(xs, ys, s=14, marker=marker, color=colour, label=f"{status} ({count})")
    if r.first is not None:
        f = r.first.index
        ax.axvline(f, color="tab:red", linestyle="--", linewidth=1)
        ax.annotate(
            f"first divergence: {r.label(f)}",
            xy=(f, top),
            xytext=(4, -12),
            textcoords="offset points",
            color="tab:red",
            fontsize=8,
        )
        if r.first.previous_pass is not None:
            ax.axvline(r.first.previous_pass, color="tab:green", linestyle=":", linewidth=1)
    ax.set_yscale("log")
    ax.set_ylim(FLOOR / 10, top * 10)
    ax.set_xlabel("tap (reference order)")
    ax.set_ylabel("relative error  rms(Δ) / max(rms(ref), atol)")
    ax.set_title(
        f"{Path(r.a.path).name} (reference) vs {Path(r.b.path).name}: {r.verdict.upper()}"
        f"  (exact matches drawn at {FLOOR:g})",
        fontsize=10,
    )
    ax.grid(True, which="major", alpha=0.3)
    if series:
        ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png", metadata={"Software": None})
