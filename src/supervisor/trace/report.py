"""The diff result as text: the terminal table, ``summary.md``, and the ``--out`` bundle
(``metrics.json`` from :mod:`supervisor.trace.document`, ``summary.md``, and the plot:
``divergence.svg`` from :mod:`supervisor.trace.svg`, ``divergence.png`` from
:mod:`supervisor.trace.plot`, or none).
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

import numpy as np

from supervisor.errors import UsageError, WorkspaceError, choices_hint
from supervisor.escapes import escape_controls
from supervisor.trace.document import counts, iter_json, missing
from supervisor.trace.result import PASS, DiffResult, Entry

SYNC_EVERY = 32 << 20  # metrics.json is flushed to disk as it is written, 32 MiB at a time

# --plot: the plot file each choice writes (none: no plot)
PLOTS: dict[str, str | None] = {"svg": "divergence.svg", "png": "divergence.png", "none": None}


def _g(x: float | None, digits: int = 4) -> str:
    if x is None:
        return "—"
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.{digits}g}"


def _cells(e: Entry) -> list[str]:
    m = e.metrics
    tol = (
        f"{e.tol.rtol:.2g}/{e.tol.atol:.2g} {e.tol.level}"
        if e.tol and e.tol.level != "exact"
        else ""
    )
    note = (e.reasons[0] if e.reasons and e.status != "pass" else "") or (
        f"waiver: {e.waiver.reason}" if e.waiver else ""
    )
    if m is None:
        return [str(e.index), e.label, e.status.upper(), "", "", "", "", tol, note]
    delta = _g(m.delta) if m.delta is not None else _g(m.max_abs)
    return [
        str(e.index),
        e.label,
        e.status.upper(),
        delta,
        _g(m.rel_err, 3),
        _g(m.cosine, 9) if m.n > 1 else "",
        _g(m.norm_ratio, 6),
        tol,
        note,
    ]


HEADERS = [
    "#",
    "tap",
    "status",
    "Δ / max|Δ|",
    "rel err",
    "cosine",
    "norm ratio",
    "rtol/atol",
    "note",
]


def pick_rows(r: DiffResult, rows: int) -> list[int | None]:
    """Entry indices to show (None marks skipped runs): all, or the informative ones."""
    n = len(r)
    if n <= rows:
        return list(range(n))
    pri: list[int] = []
    if r.first is not None:
        f = r.first.index
        pri += [f] + ([r.first.previous_pass] if r.first.previous_pass is not None else [])
        pri += [i for i in range(f - 2, f + 3) if 0 <= i < n]
    for x in (r.jump.index if r.jump else None, r.first_nonfinite):
        if x is not None:
            pri.append(x)
    pri += np.flatnonzero(r.status != PASS)[: rows * 2].tolist()
    pri += list(range(min(n, rows)))
    keep: list[int] = []
    seen: set[int] = set()
    for i in pri:
        if i not in seen:
            seen.add(i)
            keep.append(i)
        if len(keep) == rows:
            break
    out: list[int | None] = []
    for i in sorted(keep):
        if (out and out[-1] is not None and out[-1] != i - 1) or (not out and i > 0):
            out.append(None)
        out.append(i)
    if out and out[-1] is not None and out[-1] < n - 1:
        out.append(None)
    return out


def headline(r: DiffResult) -> list[str]:
    """The verdict, the first divergence and the other findings, one line each."""
    c = counts(r)
    lines = [
        f"reference (a): {r.a.path} [{r.a.format}, {c['taps_a']} taps, {r.a.dtype}]",
        f"candidate (b): {r.b.path} [{r.b.format}, {c['taps_b']} taps, {r.b.dtype}]",
    ]
    for side, t in (("a", r.a), ("b", r.b)):
        if t.order is not None and (t.format == "dir" or t.order.rule != "stored"):
            lines.append(f"  order ({side}): {t.order.describe()}")
    lines += [
        f"{r.verdict.upper()}: {c['compared']} compared, {c['pass']} pass, {c['fail']} fail, "
        f"{c['waived']} waived, {c['missing']} only in a, {c['only_in_b']} only in b",
    ]
    lines += [f"  {why}" for why in r.reasons]
    if r.first is not None:
        e = r.entry(r.first.index, with_top=False)
        lines.append(
            f"first divergence: #{e.index} {e.label} ({e.a.where}) — {'; '.join(e.reasons)}"
        )
        if r.first.previous_pass is not None:
            p = r.first.previous_pass
            lines.append(f"  last passing tap before it: #{p} {r.label(p)} ({r.a.where(p)})")
        else:
            lines.append("  no passing tap before it")
        if r.first.failing_qualifiers:
            shown = ", ".join(
                " ".join(f"{k}={v}" for k, v in q) for q in r.first.failing_qualifiers[:8]
            )
            lines.append(f"  {e.name} fails at: {shown}")
    if r.jump is not None:
        j = r.jump.index
        frm = f" over #{r.jump.previous}" if r.jump.previous is not None else ""
        lines.append(
            f"largest jump: #{j} {r.label(j)}, rel err {_g(r.jump.error, 3)} "
            f"(×{_g(r.jump.factor, 3)}{frm})"
        )
    if r.first_nonfinite is not None:
        i = r.first_nonfinite
        lines.append(f"first non-finite: #{i} {r.label(i)} ({r.a.where(i)})")
    only_a = [r.label(i) for i in missing(r)[:11]]
    only_b = [r.b_label(j) for j in r.only_b[:11]]
    for side, labels, total in (("a", only_a, r.count("missing")), ("b", only_b, len(r.only_b))):
        if labels:
            more = f" … (+{total - 10})" if total > 10 else ""
            lines.append(f"only in {side}: {', '.join(labels[:10])}{more}")
    for w in r.unused_waivers:
        lines.append(f"unused waiver: {w.pattern} ({w.origin})")
    return lines


def render_table(r: DiffResult, *, color: bool = False, width: int = 120, rows: int = 40) -> str:
    """The terminal report: a rich table of the informative taps and the headline lines."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buf = io.StringIO()
    console = Console(
        file=buf,
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        no_color=not color,
        highlight=False,
        emoji=False,
        legacy_windows=False,
    )
    picked = pick_rows(r, rows)
    # shown escaped before the layout, so column widths are those of the text printed
    body = [
        None if i is None else [escape_controls(c) for c in _cells(r.entry(i, with_top=False))]
        for i in picked
    ]
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    caps = [
        min(40, max([len(h), *(len(c[k]) for c in body if c is not None)]))
        for k, h in enumerate(HEADERS)
    ]
    caps[-1] = max(10, width - sum(caps[:-1]) - 3 * (len(HEADERS) - 1))  # the note takes the rest
    for h, cap in zip(HEADERS, caps, strict=True):
        table.add_column(h, no_wrap=True, overflow="ellipsis", max_width=cap)
    style = {"PASS": "green", "FAIL": "bold red", "WAIVED": "yellow", "MISSING": "magenta"}
    for cells in body:
        if cells is None:
            table.add_row("…", *[""] * (len(HEADERS) - 1))
            continue
        cells_t = [Text(c) for c in cells]
        cells_t[2].stylize(style.get(cells[2], ""))
        table.add_row(*cells_t)
    console.print(table)
    for line in headline(r):
        console.print(Text(escape_controls(line)), soft_wrap=True)  # not wrapped: grep-able
    return buf.getvalue()


_MD_MARKUP = re.compile(r"([\\`*_\[\]<>|&~$])")


def _md_escape(s: str) -> str:
    r"""``s`` as Markdown text that shows ``s``: control characters, line breaks and
    undecodable bytes as ``\x1b``/``\x0a``/``\xff`` text (as the terminal shows them), then
    every character that could start markup (``\ ` * _ [ ] < > | & ~ $``) escaped with ``\``,
    so a label or path is text, never a link, emphasis, HTML or a table cell break."""
    return _MD_MARKUP.sub(r"\\\1", escape_controls(s, one_line=True))


def summary_md(r: DiffResult, *, rows: int = 200, plot: str | None = "divergence.svg") -> str:
    """``summary.md``: the verdict, findings, inputs and the informative taps; its closing
    line names the ``plot`` file of the bundle (None: no plot was drawn)."""
    out = [f"# Trace diff: {r.verdict.upper()}", ""]
    out += [f"- {_md_escape(line.strip())}" for line in headline(r)]
    out += [
        "",
        "## Inputs",
        "",
        "| side | path | format | taps | dtype | sha256 |",
        "|---|---|---|---|---|---|",
    ]
    for side, t in (("a (reference)", r.a), ("b (candidate)", r.b)):
        out.append(
            f"| {side} | {_md_escape(t.path)} | {t.format} | {len(t)} | "
            f"{_md_escape(f'{t.dtype} ({t.dtype_note})')} | `{t.sha256[:16]}…` |"
        )
    head = [_md_escape(h) for h in HEADERS]
    out += ["", "## Taps", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(HEADERS)]
    for i in pick_rows(r, rows):
        cells = (
            ["…"] + [""] * (len(HEADERS) - 1) if i is None else _cells(r.entry(i, with_top=False))
        )
        out.append("| " + " | ".join(_md_escape(c) for c in cells) + " |")
    drawn = f"Plot: `{plot}`." if plot else "No plot drawn (`--plot none`)."
    out += ["", f"Full per-tap metrics: `metrics.json`. {drawn}", ""]
    return "\n".join(out)


def write_bundle(
    out: Path,
    doc: dict[str, Any],
    r: DiffResult,
    escape: Callable[[str], str] = str,
    *,
    plot: str = "svg",
    meanwhile: Callable[[], object] | None = None,
) -> list[Path]:
    """Write ``metrics.json`` (streamed; ``escape`` applied to its text pieces, as for
    :func:`~supervisor.trace.document.iter_json`), ``summary.md`` and the plot (``plot``, a
    key of :data:`PLOTS`: ``divergence.svg``, ``divergence.png``, or none) into ``out``, each
    through a temporary file renamed into place; return the paths written, in that order.
    ``meanwhile`` is called while ``metrics.json`` is finished on disk (its error, if any, is
    raised once the bundle is whole)."""
    name = plot_file(plot)
    if plot == "png":
        from supervisor.extras import require

        require("matplotlib", "trace diff --plot png (divergence.png)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(
            f"cannot create the output directory: {exc.strerror}", path=out
        ) from None
    paths = [out / "metrics.json", out / "summary.md", *([out / name] if name else [])]

    def text(fh: IO[bytes], pieces: Iterable[str]) -> None:
        for piece in pieces:
            fh.write(piece.encode("utf-8"))

    late: list[BaseException] = []
    staged: list[tuple[str, Path]] = []  # renamed into place once metrics.json is
    try:
        with _Streamed(paths[0]) as metrics:  # its writer thread finishes it meanwhile
            metrics.feed(iter_json(doc, escape))
            staged.append(_written(paths[1], lambda fh: text(fh, [summary_md(r, plot=name)])))
            if name:
                staged.append(_written(paths[2], lambda fh: _draw(plot, r, fh)))
            metrics.commit()  # all staged: metrics.json goes into place first, meanwhile
            if meanwhile is not None:
                try:
                    meanwhile()
                except BaseException as exc:  # raised below, once the bundle is whole
                    late.append(exc)
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    if late:
        raise late[0]
    return paths


def plot_file(plot: str) -> str | None:
    """The file a ``--plot`` choice writes (None for ``none``); an unknown choice is refused."""
    if plot not in PLOTS:
        raise UsageError(f"unknown --plot '{plot}'", hint=choices_hint(PLOTS))
    return PLOTS[plot]


def _draw(plot: str, r: DiffResult, fh: IO[bytes]) -> None:
    if plot == "png":
        from supervisor.trace.plot import write_plot

        write_plot(r, fh)
    else:
        from supervisor.trace.svg import write_svg

        write_svg(r, fh)


def _stage(path: Path) -> tuple[IO[bytes], str]:
    """A new temp file beside ``path`` (the usual file mode), open for writing. Unlike
    :func:`supervisor.fsio.stage` (workspace files: a symlinked ledger is written through),
    the bundle's files replace the name itself: a symlink planted in an output directory is
    replaced by the new file, and what it pointed to is never written."""
    import tempfile

    from supervisor.fsio import umask

    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise WorkspaceError(f"cannot write: {exc.strerror}", path=path) from None
    os.chmod(tmp, 0o666 & ~umask())  # mkstemp makes 0600
    return os.fdopen(fd, "wb"), tmp


def _discard(fh: IO[bytes], tmp: str) -> None:
    with contextlib.suppress(OSError):
        fh.close()
    with contextlib.suppress(OSError):
        os.unlink(tmp)


def _written(path: Path, write: Callable[[IO[bytes]], object]) -> tuple[str, Path]:
    """``path``'s new content written and synced to a temp file beside it: (temp, path), for
    the caller to rename into place."""
    fh, tmp = _stage(path)
    try:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()
    except OSError as exc:
        _discard(fh, tmp)
        raise WorkspaceError(f"cannot write: {exc.strerror}", path=path) from None
    except BaseException:
        _discard(fh, tmp)
        raise
    return tmp, path


class _Streamed:
    """``path`` written through a temp file by a writer thread
    (:class:`~supervisor.trace.spool.Spool`): chunks fed are written while the next ones are
    made; once the last is written the thread syncs the
    file, and after :meth:`commit` renames it into place, while the caller goes on. Leaving
    the ``with`` block waits for the thread; an error before :meth:`commit` leaves no file,
    and no temp file, behind."""

    def __init__(self, path: Path) -> None:
        import threading

        from supervisor.trace.spool import Spool  # the table alone needs no writer thread

        self.path = path
        self.fh, self.tmp = _stage(path)
        self._go = threading.Event()
        self._abandoned = False
        self.spool = Spool(self.fh, sync_every=SYNC_EVERY, then=self._finish)

    def _finish(self) -> None:  # on the writer thread, after the last chunk
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        self._go.wait()
        if self._abandoned:
            os.unlink(self.tmp)
        else:
            os.replace(self.tmp, self.path)

    def feed(self, chunks: Iterable[bytes]) -> None:
        """Write ``chunks``, the whole content (the writer finishes the file on its own)."""
        self.spool.feed(chunks)
        self.spool.end()

    def commit(self) -> None:
        """Let the writer rename the file into place once it is written (not waiting)."""
        self._go.set()

    def __enter__(self) -> _Streamed:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None or not self._go.is_set():
            self._abandoned = True
            self._go.set()
        try:
            self.spool.close(abort=kind is not None)
        except OSError as exc:
            _discard(self.fh, self.tmp)
            raise WorkspaceError(f"cannot write: {exc.strerror}", path=self.path) from None
        except BaseException:
            _discard(self.fh, self.tmp)
            raise
        if self._abandoned:
            _discard(self.fh, self.tmp)
