"""``sim`` command line: ``sim run`` renders an image, ``sim trace`` prints one pixel's taps.

Both take the reference C's flags (``-cell 70 80 90 75 85 95 -N 5 -detpixels 512 …``; see
:mod:`sim.flags`) or the same options with two dashes. Exit codes: 0 ok, 1 bad input (one
line ``error: …`` on stderr), 3 internal error (traceback), 130 interrupted.
"""

from __future__ import annotations

import inspect
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from sim.errors import EXIT_BUG, EXIT_INTERRUPTED, EXIT_OK, EXIT_USER, SimError
from sim.flags import MAPPING_HELP, translate
from sim.options import PHYSICS, Opt, parameters

if TYPE_CHECKING:
    from sim.config import SimConfig

_RUNTIME: tuple[Opt, ...] = (
    Opt("device", ("--device",), str, "cpu", "torch device: cpu, cuda, cuda:1, …"),
    Opt("dtype", ("--dtype",), str, "float32", "float32, or float64 for parity work"),
    Opt(
        "threads",
        ("--threads",),
        int | None,
        None,
        "CPU threads for torch (default: torch's choice)",
    ),
)
_RUN: tuple[Opt, ...] = (
    Opt(
        "floatfile",
        ("--floatfile",),
        Path,
        Path("floatimage.bin"),
        "raw float32 image, row-major [slow, fast]",
    ),
    Opt("png", ("--png",), Path | None, None, "also write a PNG view"),
    Opt("intfile", ("--intfile",), Path | None, None, "SMV integer image (v·scale + adc)"),
    Opt("noisefile", ("--noisefile",), Path | None, None, "SMV Poisson-noise image (+ adc)"),
    Opt("pgmfile", ("--pgmfile",), Path | None, None, "8-bit binary PGM preview"),
    Opt("scale", ("--scale",), float | None, None, "integer-image scale (default 55000/max)"),
    Opt("pgmscale", ("--pgmscale",), float | None, None, "PGM scale (default 250/(5·rmsd))"),
    Opt("adc", ("--adc",), float, 40.0, "ADC offset added to the integer and noise images"),
    Opt("seed", ("--seed",), int | None, None, "noise seed (default: the time, as the C)"),
    Opt(
        "noise",
        ("--noise",),
        str,
        "exact",
        "exact (the C's draws for --seed) or fast (torch.poisson, vectorized, other draws)",
    ),
    Opt(
        "progress",
        ("--progress/--no-progress",),
        bool | None,
        None,
        "progress bar on stderr (default: when stderr is a terminal)",
    ),
)
_TRACE: tuple[Opt, ...] = (
    Opt(
        "pixel", ("--pixel",), tuple[int, int] | None, None, "pixel to trace: slow fast (required)"
    ),
    Opt(
        "emit_rot_stars", ("--emit-rot-stars",), bool, False, "add per-φ rotated reciprocal vectors"
    ),
    Opt("out", ("--out",), Path | None, None, "write the trace to FILE instead of stdout"),
)
RUN_OPTIONS = PHYSICS + _RUNTIME + _RUN
TRACE_OPTIONS = PHYSICS + _RUNTIME + _TRACE

app = typer.Typer(
    name="sim",
    help="nanoBragg-style diffraction simulator (PyTorch) with named trace taps. " + MAPPING_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _command(opts: tuple[Opt, ...], body: Callable[[dict[str, Any]], None]) -> Callable[..., None]:
    def command(**values: Any) -> None:
        body(values)

    command.__signature__ = inspect.Signature(parameters(opts))  # type: ignore[attr-defined]
    command.__doc__ = body.__doc__
    return command


def _runtime(values: dict[str, Any]) -> tuple[Any, Any]:
    import torch

    dtypes = {"float32": torch.float32, "float64": torch.float64}
    if values["dtype"] not in dtypes:
        raise SimError(f"unknown dtype {values['dtype']!r}", fix="valid dtypes: float32, float64")
    try:
        device = torch.device(values["device"])
    except RuntimeError:
        raise SimError(
            f"unknown device {values['device']!r}", fix="e.g. cpu, cuda, cuda:0"
        ) from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SimError("CUDA is not available on this machine", fix="use --device cpu")
    if values["threads"] is not None:
        if values["threads"] < 1:
            raise SimError(f"--threads must be >= 1, got {values['threads']}")
        torch.set_num_threads(values["threads"])
    return dtypes[values["dtype"]], device


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (
        TextColumn("simulating"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("sim", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _outputs(values: dict[str, Any]) -> Any:
    from sim.config import parse_choice
    from sim.images import NoiseMode, OutputRequest

    seed = values["seed"] if values["seed"] is not None else int(time.time())
    return OutputRequest(
        intfile=values["intfile"],
        noisefile=values["noisefile"],
        pgmfile=values["pgmfile"],
        scale=values["scale"],
        pgm_scale=values["pgmscale"],
        adc=values["adc"],
        seed=seed,
        noise=parse_choice(NoiseMode, values["noise"], "noise mode"),
    )


def _run(values: dict[str, Any]) -> None:
    """Render the image and write it as raw float32 (and optionally PNG, SMV, PGM)."""
    from sim import io
    from sim.assembly import to_config
    from sim.images import write_outputs
    from sim.memory import check_memory
    from sim.simulator import simulate

    config = to_config(values)
    request = _outputs(values)
    dtype, device = _runtime(values)
    check_memory(config, dtype, device)
    for path in (values["floatfile"], values["png"], *request.paths()):
        if path is not None:
            io.check_writable(Path(path))
    show = values["progress"] if values["progress"] is not None else sys.stderr.isatty()
    started = time.perf_counter()
    with _progress_bar(show) as progress:
        result = simulate(config, dtype=dtype, device=device, progress=progress)
    elapsed = time.perf_counter() - started
    for warning in result.plan.warnings:
        sys.stderr.write(f"warning: {warning}\n")
    io.write_float_image(Path(values["floatfile"]), result.image)
    if values["png"] is not None:
        io.write_png(Path(values["png"]), result.image)
    stats = io.image_stats(result.image)
    n_slow, n_fast = result.image.shape
    sys.stdout.write(
        f"wrote {values['floatfile']}: {n_slow}x{n_fast} float32, sum {stats.total:.7g}, "
        f"max {stats.maximum:.7g} at (s, f) = {stats.argmax}, steps {result.plan.steps}, "
        f"{elapsed:.2f} s\n"
    )
    if request.wanted:
        report = write_outputs(result.plan, io.as_float32(result.image), request)
        sys.stdout.write(_report_text(request, report))


def _report_text(request: Any, report: Any) -> str:
    """The C's figures for the derived images, in its wording."""
    figures = report.scales
    lines = [f"mean= {figures.mean:g} rms= {figures.rms:g} rmsd= {figures.rmsd:g}"]
    if request.intfile is not None:
        lines.append(f"intfile_scale = {figures.int_scale:g}")
    if request.pgmfile is not None:
        lines.append(f"pgm_scale = {figures.pgm_scale:g}")
    if report.noise is not None:
        lines.append(f"seed: {-request.seed}")
        lines.append(
            f"{report.noise.photons:.0f} photons on noise image "
            f"({report.noise.overloads} overloads)"
        )
    for kind in ("intfile", "noisefile", "pgmfile"):
        if getattr(request, kind) is not None:
            lines.append(f"wrote {getattr(request, kind)}")
    return "\n".join(lines) + "\n"


def _trace(values: dict[str, Any]) -> None:
    """Print one pixel's named taps (TRACE_PY lines) for diffing against a C trace."""
    from sim.assembly import to_config
    from sim.memory import check_memory
    from sim.trace import trace_pixel

    if values["pixel"] is None:
        raise SimError(
            "missing --pixel S F", fix="give the slow and fast index of the pixel to trace"
        )
    config = to_config(values)
    dtype, device = _runtime(values)
    check_memory(config, dtype, device, pixels=1)
    result = trace_pixel(
        config,
        tuple(values["pixel"]),
        dtype=dtype,
        device=device,
        emit_rot_stars=values["emit_rot_stars"],
    )
    text = "\n".join(result.lines) + "\n"
    if values["out"] is None:
        sys.stdout.write(text)
    else:
        try:
            Path(values["out"]).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise SimError(f"cannot write trace: {exc.strerror}", path=values["out"]) from None


app.command("run", help="Render an image. " + MAPPING_HELP)(_command(RUN_OPTIONS, _run))
app.command("trace", help="Print one pixel's trace taps. " + MAPPING_HELP)(
    _command(TRACE_OPTIONS, _trace)
)


def parse_args(command: str, argv: list[str]) -> dict[str, Any]:
    """C-style (or long) arguments of ``sim run``/``sim trace`` → option values.

    The same parsing as the command line, for scripts and benchmarks.
    """
    options = RUN_OPTIONS if command == "run" else TRACE_OPTIONS
    group = typer.main.get_command(app)
    click_command = getattr(group, "commands")[command]  # noqa: B009 - click Group API
    context = click_command.make_context(command, translate(argv, options))
    return dict(context.params)


def config_from_args(argv: list[str]) -> SimConfig:
    """A validated config from reference-C style arguments (e.g. a case's args.txt)."""
    from sim.assembly import to_config

    return to_config(parse_args("run", argv))


def _version(value: bool) -> None:
    if value:
        from supervisor.extras import DIST, version

        sys.stdout.write(f"sim {version()} ({DIST})\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", is_eager=True, callback=_version
    ),
) -> None:
    """nanoBragg-style diffraction simulator (PyTorch) with named trace taps."""


def _need(module: str, what: str) -> None:
    """A one-line error naming the extra to install when an optional module is missing."""
    from supervisor.extras import install_hint, installed

    if not installed(module):
        raise SimError(f"{what} needs {module}, which is not installed", fix=install_hint(module))


def _batch(file: Path, as_json: bool) -> int:
    """Run a file of run/trace invocations in this process, one a line."""
    import contextlib
    import json

    from sim.batch import batch_exit_code, batch_json, parse_batch, run_batch

    lines = parse_batch(file)
    sink = sys.stderr if as_json else sys.stdout
    with contextlib.redirect_stdout(sink):
        results = run_batch(
            lines,
            lambda line: invoke(list(line.argv), where=f"{line.path}:{line.line}: "),
            time.perf_counter,
        )
    if as_json:
        sys.stdout.write(json.dumps(batch_json(results), indent=2) + "\n")
    else:
        for r in results:
            sys.stdout.write(
                f"{r.line.path}:{r.line.line}: {r.line.argv[0]} exit {r.exit_code} "
                f"({r.seconds:.3f} s)\n"
            )
    return batch_exit_code(results)


@app.command("batch", help="Run many run/trace invocations (one a line) in one process.")
def _batch_command(
    file: Path = typer.Argument(..., help="file of invocations: 'run …' or 'trace …' a line"),
    as_json: bool = typer.Option(False, "--json", help="versioned JSON report on stdout"),
) -> None:
    code = _batch(file, as_json)
    if code:
        raise typer.Exit(code)


def invoke(argv: list[str], *, where: str = "") -> int:
    """Run one sim command line in this process; returns its exit code (never raises).

    ``where`` prefixes error lines (``path:line: `` for ``sim batch``).
    """
    args = argv or ["--help"]
    try:
        if args[0] in ("run", "trace") and not any(a in ("--help", "-h") for a in args):
            _need("torch", f"sim {args[0]}")
            if args[0] == "run" and any(a in ("--png", "-png") for a in args):
                _need("matplotlib", "sim run --png")
        if args and args[0] in ("run", "trace"):
            options = RUN_OPTIONS if args[0] == "run" else TRACE_OPTIONS
            args = [args[0], *translate(args[1:], options)]
        result = app(args=args, prog_name="sim", standalone_mode=False)
    except SimError as exc:
        sys.stderr.write(f"error: {where}{exc}\n")
        return EXIT_USER
    except (KeyboardInterrupt, typer.Abort):
        sys.stderr.write("interrupted\n")
        return EXIT_INTERRUPTED
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.TyperException as exc:
        format_message = getattr(exc, "format_message", None)
        message = format_message() if callable(format_message) else str(exc)
        sys.stderr.write(f"error: {where}{message}\n")
        return EXIT_USER
    except BrokenPipeError:
        return EXIT_OK
    except Exception:
        import traceback

        sys.stderr.write(f"{where}internal error (this is a bug in sim; please report it):\n")
        traceback.print_exc()
        return EXIT_BUG
    if result == EXIT_INTERRUPTED:  # typer turns KeyboardInterrupt into Exit(130)
        sys.stderr.write("interrupted\n")
    return result if isinstance(result, int) else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns the process exit code."""
    return invoke(sys.argv[1:] if argv is None else list(argv))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
