"""`supervisor trace diff REF CANDIDATE`: first divergence and per-tap metrics of two traces."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(
    help="Trace tools: compare two traces of the same computation.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

DIFF_HELP = """Align two traces tap by tap and say exactly where they part.

REF is the reference (a): taps are listed and judged in its order. CANDIDATE (b) is
compared against it. Each may be a text trace (`PREFIX: [k=v ...] name v1 v2 ...`, e.g.
TRACE_C / TRACE_PY logs), a .npy or .npz stage tensor file, an APRT stage file, a torch.save file
(tensors, dicts and lists of tensors; loaded with weights_only=True), a safetensors or
GGUF file, or a directory of them, mixed (read in natural order of the file names, layer.2 before
layer.10, or in --order; the order used is printed).

An element passes when |b - a| <= atol + rtol*|a|; (rtol, atol) come from the tap
(--tol NAME=...), else a glob group (--tol 'GLOB=...'), else the less precise side's dtype
(torch.testing defaults; text traces: float64 when values carry >= 12 significant digits,
else float32, or --dtype), else --rtol/--atol, which replace the built-in dtype defaults.
Norm ratio and relative RMS are always checked, so a scaled tensor never passes on cosine.
Waived taps are reported WAIVED, never PASS. No common taps is a failure.

--out DIR writes metrics.json (the --json document), summary.md and the per-tap error plot:
divergence.svg (self-contained, no dependency), or with --plot png divergence.png (the [plot]
extra, matplotlib), or with --plot none no plot.

Exit status: 0 all taps pass, 2 divergence found (or nothing compared), 1 bad input.

\b
Config file (--config FILE, YAML; all keys optional):
  default: {rtol: 1.0e-6, atol: 1.0e-9}         # global level
  dtypes:  {float32: {rtol: 1.3e-6, atol: 1.0e-5}}
  groups:  [{match: "F_latt*", rtol: 1.0e-4, atol: 1.0e-6}]   # first match wins
  taps:    {I_pixel_final: {rtol: 1.0e-5, atol: 0}}
  gates:   {min_cosine: 0.999, norm_ratio: [0.99, 1.01],
            max_rel_rms: 0.01, max_mismatch: 0}
  waivers: [{match: "phi_tic=0 *", reason: "C-PARITY-001"}]
  aliases: {rot_a_angstroms: ap}                 # a=b: one tap, reported as a
  missing: warn                                  # or fail
  dtype: float64                                 # text traces' dtype
  top_k: 5
  prefixes: [TRACE_C, TRACE_PY]
Groups and taps may also carry gate keys. Command-line values override the file.
"""

PLOT_HELP = (
    "The plot --out draws: divergence.svg (no dependency), divergence.png (needs the [plot] "
    "extra: matplotlib) or none."
)


@app.callback()
def _trace() -> None:
    """Trace tools: compare two traces of the same computation."""


@app.command("diff", help=DIFF_HELP)
def diff_command(
    ref: Path = typer.Argument(..., help="Reference trace (a).", metavar="REF", show_default=False),
    cand: Path = typer.Argument(
        ..., help="Candidate trace (b).", metavar="CANDIDATE", show_default=False
    ),
    config: Path | None = typer.Option(None, "--config", help="YAML tolerances/gates/waivers."),
    rtol: float | None = typer.Option(None, "--rtol", help="Global rtol."),
    atol: float | None = typer.Option(None, "--atol", help="Global atol."),
    tol: list[str] | None = typer.Option(
        None, "--tol", help="PATTERN=RTOL,ATOL for a tap name/label or glob (repeatable)."
    ),
    waive: list[str] | None = typer.Option(
        None, "--waive", help="Glob of taps whose divergence is known (repeatable)."
    ),
    alias: list[str] | None = typer.Option(
        None, "--alias", help="a=b: tap a (reference) is called b in the other trace."
    ),
    aliases: Path | None = typer.Option(
        None, "--aliases", help="Alias file: YAML mapping or 'a=b' lines."
    ),
    min_cosine: float | None = typer.Option(None, "--min-cosine", help="Gate: minimum cosine."),
    norm_ratio: str | None = typer.Option(None, "--norm-ratio", help="Gate: LO,HI of |b|/|a|."),
    max_rel_rms: float | None = typer.Option(None, "--max-rel-rms", help="Gate: rms(Δ)/rms(a)."),
    max_mismatch: float | None = typer.Option(
        None, "--max-mismatch", help="Gate: allowed fraction of elements outside tolerance."
    ),
    missing: str | None = typer.Option(
        None, "--missing", help="Taps on one side only: warn (default) or fail."
    ),
    dtype: str | None = typer.Option(None, "--dtype", help="dtype of text traces."),
    top_k: int | None = typer.Option(None, "--top-k", help="Differing elements listed per tap."),
    prefix: list[str] | None = typer.Option(
        None, "--prefix", help="Text trace prefix to read, e.g. TRACE_C (repeatable)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print versioned JSON (kind: trace_diff)."),
    out: Path | None = typer.Option(
        None, "--out", help="Write metrics.json, summary.md and the plot (--plot) here."
    ),
    plot: str = typer.Option("svg", "--plot", metavar="svg|png|none", help=PLOT_HELP),
    rows: int = typer.Option(40, "--rows", help="Most taps shown in the table."),
    order: str | None = typer.Option(
        None,
        "--order",
        help="Stage order when names carry none: a file of names/globs, one a line, or "
        "comma-separated globs (default: natural order of numbered names).",
        metavar="FILE|GLOBS",
    ),
) -> int:
    import os
    import shutil
    import sys

    from supervisor.cli._common import emit, envelope, escape_controls, escape_json_text
    from supervisor.trace.align import diff_traces
    from supervisor.trace.api import read_pair
    from supervisor.trace.document import KIND, build_doc, iter_json
    from supervisor.trace.report import plot_file, render_table, write_bundle
    from supervisor.trace.settings import Flags, build_policy

    plot_file(plot)  # an unknown --plot is refused before the traces are read
    policy = build_policy(
        Flags(
            config=config,
            rtol=rtol,
            atol=atol,
            tol=tol or (),
            waive=waive or (),
            alias=alias or (),
            aliases_file=aliases,
            min_cosine=min_cosine,
            norm_ratio=norm_ratio,
            max_rel_rms=max_rel_rms,
            max_mismatch=max_mismatch,
            missing=missing,
            dtype=dtype,
            top_k=top_k,
            prefixes=prefix or (),
        )
    )
    a, b = read_pair(ref, cand, policy, order)
    result = diff_traces(a, b, policy)
    doc = envelope(KIND, build_doc(result, lazy=True)) if (as_json or out) else None
    tty = sys.stdout.isatty() and "NO_COLOR" not in os.environ

    def table() -> None:
        width = shutil.get_terminal_size().columns if tty else 120
        emit(render_table(result, color=tty, width=width, rows=max(rows, 1)), color=tty)

    if out is not None and doc is not None:
        # the table is printed while metrics.json is finished on disk
        written = write_bundle(
            out, doc, result, escape_json_text, plot=plot, meanwhile=None if as_json else table
        )
        sys.stderr.write(f"wrote {escape_controls(', '.join(str(p) for p in written))}\n")
        if as_json:  # the document is made once: stdout gets metrics.json's (escaped) bytes
            from supervisor.trace.spool import send_file

            sys.stdout.flush()
            send_file(written[0], sys.stdout.buffer)
    elif as_json and doc is not None:
        from supervisor.trace.spool import write_chunks

        sys.stdout.flush()
        # escaped piece by piece, not rescanned; written while the next piece is made
        write_chunks(sys.stdout.buffer, iter_json(doc, escape_json_text))
        sys.stdout.buffer.flush()
    if not as_json and out is None:
        table()
    return result.exit_code
