"""`supervisor trace diff` against plain baselines, side by side on this machine.

Cases:

* ``tensor``: two 10⁷-element float32 ``.npy`` stage tensors (40 MB each; the candidate has
  float32-level noise and three injected errors). Baseline: ``np.load`` both and
  ``np.abs(a - b).max()``.
* ``text``: two 10⁵-line text traces (``TRACE_C:`` vs ``TRACE_PY:``, 3 float64 values a line,
  looped ``phi_tic`` qualifiers, 500 distinct taps; the candidate drifts by 1e-3 from the
  middle on, so half the taps fail). Baseline: read both files, split every line, parse every
  value with ``float``.

Each is timed whole-process (a subprocess, median of N runs; peak RSS of that process from
``wait4``, forked from a small trampoline so the benchmark's own memory is not counted) and
in-process (median wall time of parse + compare + table, or the baseline's load + reduce).
The diff is also timed with ``--json`` (the full per-tap document) and ``--out DIR``
(metrics.json, summary.md, divergence.svg); ``ratio_json_over_text`` and
``ratio_out_over_text`` compare them with the text report, run side by side (target ≤ 1.5).
In-process, the streamed column writer of the JSON document is timed against encoding the
per-tap dicts (``ratio_json_writer_vs_dicts``), and the SVG plot writer against the PNG one
(``plot_in_process``: matplotlib already imported, so its ~0.3 s import is not counted).
The text trace is also diffed against itself, text report vs ``--json`` (``against_itself``:
exact matches, whose metrics are not all finite).
The package is byte-compiled first, as an installed one is. Ratios are ours / baseline.
Results: benchmarks/results/trace.json.

    python -m benchmarks.bench_trace [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "trace.json"
N_TENSOR = 10_000_000
N_LINES = 100_000

TENSOR_BASELINE = """
import sys
import numpy as np
a = np.load(sys.argv[1])
b = np.load(sys.argv[2])
print(float(np.abs(a - b).max()))
"""

TEXT_BASELINE = """
import sys
total = 0
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            values = [float(x) for x in parts[3:]]
            total += len(values)
print(total)
"""


def _supervisor() -> list[str]:
    exe = Path(sys.executable).parent / "supervisor"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "supervisor.cli.main"]


# Runs the command in a grandchild forked from this small process, so the child's peak RSS
# (ru_maxrss, which carries over exec) is not inflated by the benchmark's own memory.
TRAMPOLINE = """
import json, os, sys, time
t = time.perf_counter()
pid = os.fork()
if pid == 0:
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.execvp(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - t
rc = os.waitstatus_to_exitcode(status)
cpu = usage.ru_utime + usage.ru_stime
print(json.dumps({"wall": wall, "cpu": cpu, "maxrss_kib": usage.ru_maxrss, "rc": rc}))
"""


def _child(cmd: list[str]) -> tuple[float, int, float]:
    """(wall seconds, peak RSS in KiB, CPU seconds) of one run of ``cmd``."""
    r = subprocess.run([sys.executable, "-c", TRAMPOLINE, *cmd], capture_output=True, text=True)
    out = json.loads(r.stdout)
    if out["rc"] not in (0, 2):
        raise SystemExit(f"{' '.join(cmd)} failed ({out['rc']}): {r.stderr}")
    return float(out["wall"]), int(out["maxrss_kib"]), float(out["cpu"])


def _whole(cmd: list[str], runs: int) -> dict[str, Any]:
    return _summary([_child(cmd) for _ in range(runs)])


def _summary(samples: list[tuple[float, int, float]]) -> dict[str, Any]:
    walls = [w for w, _, _ in samples]
    return {
        "median_s": round(statistics.median(walls), 4),
        "min_s": round(min(walls), 4),
        "median_cpu_s": round(statistics.median(c for _, _, c in samples), 4),
        "peak_rss_mib": round(max(m for _, m, _ in samples) / 1024, 1),
        "runs": len(samples),
    }


def _inproc(fn: Callable[[], object], runs: int) -> dict[str, Any]:
    fn()  # warm imports and caches
    walls = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t)
    return {"median_s": round(statistics.median(walls), 4), "runs": runs}


def make_tensors(d: Path) -> tuple[Path, Path]:
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.standard_normal(N_TENSOR, dtype=np.float32)
    b = a * (1 + np.float32(1e-7) * rng.standard_normal(N_TENSOR, dtype=np.float32))
    b[[10, N_TENSOR // 2, N_TENSOR - 1]] += np.float32(1e-2)
    pa, pb = d / "ref.npy", d / "cand.npy"
    np.save(pa, a)
    np.save(pb, b)
    return pa, pb


def make_text(d: Path) -> tuple[Path, Path]:
    import numpy as np

    rng = np.random.default_rng(1)
    vals = rng.standard_normal((N_LINES, 3)) * 100.0
    drift = np.where(np.arange(N_LINES) < N_LINES // 2, 1e-9, 1e-3)[:, None]
    cand = vals * (1 + drift)
    pa, pb = d / "ref.log", d / "cand.log"
    for path, prefix, data in ((pa, "TRACE_C", vals), (pb, "TRACE_PY", cand)):
        with path.open("w", encoding="utf-8") as fh:
            for i, row in enumerate(data.tolist()):
                values = " ".join(repr(v) for v in row)
                fh.write(f"{prefix}: phi_tic={i // 50 % 10} tap_{i % 50} {values}\n")
    return pa, pb


def _ours_inproc(pa: Path, pb: Path) -> Callable[[], object]:
    def run() -> object:
        from supervisor.trace.align import diff_traces
        from supervisor.trace.parse import read_trace
        from supervisor.trace.report import render_table
        from supervisor.trace.tolerance import Policy

        r = diff_traces(read_trace(pa), read_trace(pb), Policy())
        return render_table(r)

    return run


def _tensor_baseline_inproc(pa: Path, pb: Path) -> Callable[[], object]:
    def run() -> object:
        import numpy as np

        return float(np.abs(np.load(pa) - np.load(pb)).max())

    return run


def _text_baseline_inproc(pa: Path, pb: Path) -> Callable[[], object]:
    def run() -> object:
        total = 0
        for path in (pa, pb):
            with path.open(encoding="utf-8") as fh:
                for line in fh:
                    total += len([float(x) for x in line.split()[3:]])
        return total

    return run


def _json_writers(pa: Path, pb: Path, runs: int) -> dict[str, Any]:
    """In-process: the streamed column writer vs json-encoding the per-tap dicts."""
    from supervisor.trace.align import diff_traces
    from supervisor.trace.document import build_doc, iter_json
    from supervisor.trace.parse import read_trace
    from supervisor.trace.tolerance import Policy

    r = diff_traces(read_trace(pa), read_trace(pb), Policy())

    def columns() -> object:
        return sum(len(x) for x in iter_json(build_doc(r, lazy=True)))

    def dicts() -> object:
        return sum(len(x) for x in iter_json(build_doc(r, lazy=False)))

    fast = _inproc(columns, runs)
    slow = _inproc(dicts, max(1, runs // 2))
    return {
        "columns": fast,
        "dicts": slow,
        "ratio_json_writer_vs_dicts": round(fast["median_s"] / slow["median_s"], 3),
    }


def _plot_writers(pa: Path, pb: Path, runs: int) -> dict[str, Any]:
    """In-process: ``divergence.svg`` (no dependency) vs ``divergence.png`` (matplotlib)."""
    import io

    from supervisor.trace.align import diff_traces
    from supervisor.trace.parse import read_trace
    from supervisor.trace.plot import write_plot
    from supervisor.trace.svg import write_svg
    from supervisor.trace.tolerance import Policy

    r = diff_traces(read_trace(pa), read_trace(pb), Policy())
    sizes = {}

    def svg() -> object:
        buf = io.BytesIO()
        write_svg(r, buf)
        sizes["svg_bytes"] = buf.tell()
        return buf

    def png() -> object:
        buf = io.BytesIO()
        write_plot(r, buf)
        sizes["png_bytes"] = buf.tell()
        return buf

    fast = _inproc(svg, runs * 4)
    slow = _inproc(png, runs)
    return {
        "svg": fast,
        "png": slow,
        **sizes,
        "ratio_svg_vs_png": round(fast["median_s"] / slow["median_s"], 3),
    }


def _case(name: str, pa: Path, pb: Path, baseline: str, runs: int) -> dict[str, Any]:
    cli = _supervisor()
    diff = [*cli, "trace", "diff", str(pa), str(pb)]
    # text and --json / --out interleaved, so load changes hit both alike
    samples: dict[str, list[tuple[float, int, float]]] = {"text": [], "json": [], "out": []}
    with tempfile.TemporaryDirectory() as out_dir:
        for _ in range(runs):
            samples["text"].append(_child(diff))
            samples["json"].append(_child([*diff, "--json"]))
            samples["out"].append(_child([*diff, "--out", out_dir]))
    ours, ours_json, ours_out = (_summary(samples[k]) for k in ("text", "json", "out"))
    base = _whole([sys.executable, "-c", baseline, str(pa), str(pb)], runs)
    base_fn = _tensor_baseline_inproc if name == "tensor" else _text_baseline_inproc
    ours_in = _inproc(_ours_inproc(pa, pb), runs)
    base_in = _inproc(base_fn(pa, pb), runs)
    inputs = pa.stat().st_size + pb.stat().st_size
    return {
        "inputs_bytes": inputs,
        "whole_process": {
            "ours": ours,
            "ours_json": ours_json,
            "ours_out": ours_out,
            "baseline": base,
        },
        "in_process": {"ours": ours_in, "baseline": base_in},
        "ratio_whole": round(ours["median_s"] / base["median_s"], 2),
        "ratio_whole_json": round(ours_json["median_s"] / base["median_s"], 2),
        "ratio_json_over_text": round(ours_json["median_s"] / ours["median_s"], 2),
        "ratio_out_over_text": round(ours_out["median_s"] / ours["median_s"], 2),
        "ratio_json_over_text_cpu": round(ours_json["median_cpu_s"] / ours["median_cpu_s"], 2),
        "ratio_out_over_text_cpu": round(ours_out["median_cpu_s"] / ours["median_cpu_s"], 2),
        "ratio_in_process": round(ours_in["median_s"] / base_in["median_s"], 2),
        "ratio_rss": round(ours["peak_rss_mib"] / base["peak_rss_mib"], 2),
        "rss_over_inputs": round(ours["peak_rss_mib"] * 2**20 / inputs, 2),
    }


def _against_itself(pa: Path, runs: int) -> dict[str, Any]:
    """The reference text trace diffed against itself (every tap an exact match, so
    ``sqnr_db`` is inf in each): the text report and ``--json``, interleaved."""
    diff = [*_supervisor(), "trace", "diff", str(pa), str(pa)]
    samples: dict[str, list[tuple[float, int, float]]] = {"text": [], "json": []}
    for _ in range(runs):
        samples["text"].append(_child(diff))
        samples["json"].append(_child([*diff, "--json"]))
    text, json_ = _summary(samples["text"]), _summary(samples["json"])
    return {
        "text": text,
        "json": json_,
        "ratio_json_over_text": round(json_["median_s"] / text["median_s"], 2),
    }


def _compiled() -> None:
    """Byte-compile the package first: with ``PYTHONDONTWRITEBYTECODE`` set (as on some CI
    machines) an edited module would otherwise be compiled again in every timed process,
    which an installed package never does."""
    import compileall

    import supervisor

    compileall.compile_dir(str(Path(supervisor.__file__).parent), quiet=1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    import numpy as np

    _compiled()

    out: dict[str, Any] = {
        "benchmark": "trace",
        "machine": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "cpus": os.cpu_count(),
        },
        "runs": args.runs,
    }
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        out["tensor"] = {
            "elements": N_TENSOR,
            **_case("tensor", *make_tensors(d), TENSOR_BASELINE, args.runs),
        }
        text_files = make_text(d)
        out["text"] = {"lines": N_LINES, **_case("text", *text_files, TEXT_BASELINE, args.runs)}
        out["text"]["json_writer_in_process"] = _json_writers(*text_files, args.runs)
        out["text"]["plot_in_process"] = _plot_writers(*text_files, args.runs)
        out["text"]["against_itself"] = _against_itself(text_files[0], args.runs)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2))
    for case in ("tensor", "text"):
        c = out[case]
        w = c["whole_process"]
        print(
            f"{case}: diff {w['ours']['median_s']}s ({w['ours']['peak_rss_mib']} MiB) vs baseline "
            f"{w['baseline']['median_s']}s ({w['baseline']['peak_rss_mib']} MiB): "
            f"x{c['ratio_whole']} time, x{c['ratio_rss']} memory; "
            f"in-process x{c['ratio_in_process']}; --json {w['ours_json']['median_s']}s "
            f"(x{c['ratio_json_over_text']} the text report), --out {w['ours_out']['median_s']}s "
            f"(x{c['ratio_out_over_text']})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
