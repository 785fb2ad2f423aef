"""`sim run` on the PHYSICS.md §17 acceptance cases (plus 1024² and 2048² detectors), in
float32 and float64: wall time, pixels·steps per second, peak memory and correlation with
the reference C image. Results: benchmarks/results/sim.json.

Each (case, dtype) runs in a fresh process (so peak RSS is its own): one warm-up, then the
median of N timed ``simulate()`` calls, the library call ``sim run`` makes. For the §17
cases the whole ``sim run`` command (interpreter start, torch import, file write) is also
timed once in float32. The C figures are quoted from PHYSICS.md §17 (main:nanoBragg.c,
-O3 -fopenmp, 2 threads): the C binary is not available here, so they were not re-measured.

    python -m benchmarks.bench_sim [--runs N] [--threads N] [--device cpu|cuda] [--quick]
                                   [--part all|cases|outputs|batch] [--batch-n N]

``--part outputs`` times the derived images (integer SMV, PGM, noise SMV in the exact and
fast modes) on the C's 256² float image and a 1024² image; ``--part batch`` times N
``sim trace`` invocations as one ``sim batch`` process against N separate processes and
prints the ratio. Both write benchmarks/results/sim_outputs.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("SUPERVISOR_SHARED", HERE.parent.parent / "shared"))
REFERENCE = SHARED / "sim" / "reference"
RESULTS = HERE / "results" / "sim.json"
OUTPUT_RESULTS = HERE / "results" / "sim_outputs.json"
BATCH_CASE = (
    "-default_F 100 -cell 100 100 100 90 90 90 -lambda 6.2 -N 5 -pixel 0.1 -distance 100 "
    "-detpixels 256 -mosflm -phi 0 -mosaic 0 -oversample 1 -osc 90 -phisteps 9"
)  # AT-021, the trace the repository's own plan dispatches

TRICLINIC = (
    "-misset -89.968546 -31.328953 177.753396 -cell 70 80 90 75 85 95 -default_F 100 -N 5 "
    "-lambda 1.0"
)
AT020 = (
    "-cell 70 80 90 75 85 95 -N 5 -mosaic 0.5 -mosaic_dom 5 -mosaic_seed 12345 -phi 0 -osc 90 "
    "-phisteps 9 -detector_rotx 5 -detector_roty 3 -detector_rotz 2 -twotheta 10 "
    "-detector_abs 500 -detector_thick 450 -thicksteps 5 -polar 0.95 -detpixels 512 -pixel 0.1 "
    "-distance 100 -lambda 6.2 -oversample 1 -seed 42 -default_F 100 -mosflm -misset 15 25 35"
)

# per case: arguments (None: the reference args.txt), reference folder, φ mode, C wall time (s)
CASES: dict[str, dict[str, Any]] = {
    "case1_triclinic_512": {
        "args": f"{TRICLINIC} -detpixels 512",
        "reference": "triclinic",
        "c_wall_s": [0.21, 0.29],
    },
    "case2_rot532_256": {"args": None, "reference": "rot532", "c_wall_s": [0.06, 0.14]},
    "case3_at020_512": {
        "args": AT020,
        "reference": None,
        "phi_mode": "c-parity",
        "c_wall_s": [7.0, 10.8],
        "c_figures": {"sum": 137118.6, "max": 62.98117, "argmax": [256, 257], "mean": 0.523066},
    },
    "at021_multi_256": {
        "args": None,
        "reference": "at021multi",
        "phi_mode": "c-parity",
        "c_wall_s": [0.13, 0.13],
    },
    "at001_256": {"args": None, "reference": "at001_256", "c_wall_s": [0.03, 0.03]},
    "triclinic_1024": {"args": f"{TRICLINIC} -detpixels 1024", "reference": None},
    "triclinic_2048": {"args": f"{TRICLINIC} -detpixels 2048", "reference": None},
}
THREAD_PIXELS = {"at021multi": [(0, 0), (128, 0)]}  # first pixel of each C thread (§15)


def _args(case: dict[str, Any]) -> list[str]:
    if case["args"] is not None:
        return str(case["args"]).split()
    return (REFERENCE / case["reference"] / "args.txt").read_text().split()


def _one(name: str, dtype_name: str, runs: int, device: str) -> dict[str, Any]:
    """Measure one (case, dtype) in this process; printed as JSON for the parent."""
    import numpy as np
    import torch

    from sim.cli import config_from_args
    from sim.config import PhiMode
    from sim.plan import prepare
    from sim.simulator import simulate

    case = CASES[name]
    config = config_from_args(_args(case))
    if case.get("phi_mode") == "c-parity":
        from dataclasses import replace

        config = replace(config, phi_mode=PhiMode.C_PARITY)
    dtype = {"float32": torch.float32, "float64": torch.float64}[dtype_name]
    plan = prepare(config, dtype, device)
    simulate(config, dtype=dtype, device=device)  # warm-up: allocator, thread pool, kernels
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(runs):
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        image = simulate(config, dtype=dtype, device=device).image
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    data = image.detach().to("cpu", torch.float32).numpy().astype(np.float64)
    pixels = data.size
    wall = statistics.median(times)
    result: dict[str, Any] = {
        "case": name,
        "dtype": dtype_name,
        "device": device,
        "detector": list(data.shape),
        "steps": plan.steps,
        "layers": plan.detector.layers,
        "oversample": plan.oversample,
        "runs_s": [round(t, 4) for t in times],
        "wall_s": round(wall, 4),
        "pixel_steps_per_s": pixels * plan.steps / wall,
        "samples_per_s": pixels * plan.steps * plan.detector.layers / wall,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "sum": float(data.sum()),
        "max": float(data.max()),
        "argmax": [int(i) for i in np.unravel_index(int(data.argmax()), data.shape)],
        "mean": float(data.mean()),
    }
    if device.startswith("cuda"):
        result["cuda_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    if case["reference"] is not None:
        ref_dir = REFERENCE / case["reference"]
        ref = np.fromfile(ref_dir / "float.bin", dtype="<f4").reshape(data.shape).astype(np.float64)
        keep = np.ones(data.shape, dtype=bool)
        for s, f in THREAD_PIXELS.get(case["reference"], []):
            keep[s, f] = False
        result["corr_with_reference"] = float(np.corrcoef(data[keep], ref[keep])[0, 1])
        result["max_abs_diff_over_max"] = float(np.abs(data - ref)[keep].max() / ref.max())
    return result


def _cli_wall(name: str) -> float:
    """Whole `sim run` process, float32, default threads: what a user waits for."""
    with tempfile.TemporaryDirectory() as tmp:
        args = [*_args(CASES[name]), "-nopgm", "-nonoise", "-noprogress", "-floatfile", "f.bin"]
        if CASES[name].get("phi_mode"):
            args += ["--phi-mode", CASES[name]["phi_mode"]]
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "sim.cli", "run", *args],
            cwd=tmp,
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - start


def _median_time(fn: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _output_row(label: str, image: Any, runs: int) -> dict[str, Any]:
    import numpy as np

    from sim.images import int_image, pgm_bytes, scales
    from sim.noise import noise_image
    from sim.smv import read_smv

    figures = scales(image, np.ones(image.shape, dtype=bool))
    exact = noise_image(image, seed=42, adc=40.0)
    row: dict[str, Any] = {
        "image": label,
        "pixels": int(image.size),
        "photons": exact.photons,
        "int_image_s": round(
            _median_time(lambda: int_image(image, figures.int_scale, 40.0), runs), 5
        ),
        "pgm_s": round(_median_time(lambda: pgm_bytes(image, figures.pgm_scale), runs), 5),
        "noise_exact_s": round(
            _median_time(lambda: noise_image(image, seed=42, adc=40.0), runs), 4
        ),
        "noise_fast_s": round(
            _median_time(lambda: noise_image(image, seed=42, adc=40.0, exact=False), runs), 4
        ),
    }
    row["exact_over_fast"] = round(row["noise_exact_s"] / row["noise_fast_s"], 1)
    if label == "c_float_256":
        c_noise = read_smv(REFERENCE / "noise_256" / "noise.img").pixels
        row["exact_equal_to_c_fraction"] = float(np.mean(exact.pixels == c_noise))
    sys.stderr.write(
        f"outputs {label:15s}: int {row['int_image_s']:.4f} s, pgm {row['pgm_s']:.4f} s, "
        f"noise exact {row['noise_exact_s']:.3f} s, fast {row['noise_fast_s']:.4f} s "
        f"({row['photons']:.0f} photons)\n"
    )
    return row


def _outputs(runs: int) -> list[dict[str, Any]]:
    """Derived images (int SMV, PGM, noise SMV exact/fast) from a float image, in process."""
    import numpy as np

    from sim.cli import config_from_args
    from sim.simulator import simulate

    c_float = np.fromfile(REFERENCE / "noise_256" / "float.bin", dtype="<f4").reshape(256, 256)
    big = simulate(config_from_args(f"{TRICLINIC} -detpixels 1024".split())).image.numpy()
    return [_output_row("c_float_256", c_float, runs), _output_row("triclinic_1024", big, runs)]


def _batch(n: int) -> dict[str, Any]:
    """N `sim trace` invocations: one `sim batch` process against N separate processes."""
    pixels = [(64 + i, 128) for i in range(n)]
    with tempfile.TemporaryDirectory() as tmp:
        lines = [f"trace --pixel {s} {f} --out b{i}.log {BATCH_CASE}" for i, (s, f) in
                 enumerate(pixels)]  # fmt: skip
        Path(tmp, "jobs.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "sim.cli", "batch", "jobs.txt"],
            cwd=tmp, check=True, capture_output=True,
        )  # fmt: skip
        batch_s = time.perf_counter() - start
        start = time.perf_counter()
        for i, (s, f) in enumerate(pixels):
            subprocess.run(
                [sys.executable, "-m", "sim.cli", "trace", "--pixel", str(s), str(f),
                 "--out", f"p{i}.log", *BATCH_CASE.split()],
                cwd=tmp, check=True, capture_output=True,
            )  # fmt: skip
        separate_s = time.perf_counter() - start
        same = all(
            Path(tmp, f"b{i}.log").read_bytes() == Path(tmp, f"p{i}.log").read_bytes()
            for i in range(n)
        )
    row = {
        "traces": n,
        "batch_process_s": round(batch_s, 3),
        "separate_processes_s": round(separate_s, 3),
        "separate_over_batch": round(separate_s / batch_s, 2),
        "per_trace_batch_s": round(batch_s / n, 4),
        "per_trace_separate_s": round(separate_s / n, 4),
        "identical_traces": same,
    }
    sys.stderr.write(
        f"batch: {n} traces in one `sim batch` {batch_s:.2f} s vs {n} `sim trace` processes "
        f"{separate_s:.2f} s: ratio {row['separate_over_batch']}x\n"
    )
    return row


def _write_outputs_report(part: str, runs: int, batch_n: int) -> None:
    import torch

    report: dict[str, Any] = {}
    if OUTPUT_RESULTS.exists():
        report = json.loads(OUTPUT_RESULTS.read_text(encoding="utf-8"))
    report["benchmark"] = "sim derived images (SMV, PGM, noise) and sim batch"
    report["machine"] = {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "load_average_1_5_15": [round(x, 1) for x in os.getloadavg()],
    }
    if part in ("all", "outputs"):
        report["outputs"] = _outputs(runs)
    if part in ("all", "batch"):
        report["batch"] = _batch(batch_n)
    OUTPUT_RESULTS.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT_RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    sys.stderr.write(f"wrote {OUTPUT_RESULTS}\n")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_sim")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true", help="skip the 1024² and 2048² cases")
    parser.add_argument("--one", nargs=2, metavar=("CASE", "DTYPE"), help=argparse.SUPPRESS)
    parser.add_argument("--part", choices=("all", "cases", "outputs", "batch"), default="all")
    parser.add_argument("--batch-n", type=int, default=10, help="traces for --part batch")
    opts = parser.parse_args(argv)
    if opts.threads is not None:
        import torch

        torch.set_num_threads(opts.threads)
    if opts.one:
        print(json.dumps(_one(opts.one[0], opts.one[1], opts.runs, opts.device)))
        return 0
    if not REFERENCE.is_dir():
        sys.stderr.write(f"reference data not found at {REFERENCE} (set SUPERVISOR_SHARED)\n")
        return 1
    if opts.part != "cases":
        _write_outputs_report(opts.part, opts.runs, opts.batch_n)
        if opts.part != "all":
            return 0
    names = [n for n in CASES if not (opts.quick and n.startswith("triclinic_"))]
    rows = []
    for name in names:
        for dtype in ("float32", "float64"):
            command = [sys.executable, "-m", "benchmarks.bench_sim", "--one", name, dtype]
            command += ["--runs", str(opts.runs), "--device", opts.device]
            if opts.threads is not None:
                command += ["--threads", str(opts.threads)]
            done = subprocess.run(
                command, cwd=HERE.parent, check=True, capture_output=True, text=True
            )
            row = json.loads(done.stdout.strip().splitlines()[-1])
            case = CASES[name]
            if "c_wall_s" in case:
                row["c_wall_s_2_threads"] = case["c_wall_s"]
                row["speedup_vs_c_midpoint"] = round(sum(case["c_wall_s"]) / 2 / row["wall_s"], 2)
            if "c_figures" in case:
                row["c_figures"] = case["c_figures"]
            if dtype == "float32" and "c_wall_s" in case:
                row["sim_run_process_wall_s"] = round(_cli_wall(name), 3)
            rows.append(row)
            corr = row.get("corr_with_reference")
            sys.stderr.write(
                f"{name:22s} {dtype}: {row['wall_s']:8.4f} s  "
                f"{row['pixel_steps_per_s'] / 1e6:8.1f} Mpix·steps/s  "
                f"rss {row['peak_rss_mb']:7.1f} MB"
                + (f"  corr {corr:.9f}" if corr is not None else "")
                + (f"  C {case['c_wall_s']} s" if "c_wall_s" in case else "")
                + "\n"
            )
    import torch

    report = {
        "benchmark": "sim run (simulate) on the PHYSICS.md §17 cases",
        "note": (
            "wall_s: median of timed in-process simulate() calls after a warm-up; "
            "sim_run_process_wall_s: one whole `sim run` process (interpreter start, torch "
            "import, file write). c_wall_s_2_threads: quoted from PHYSICS.md §17 (C with "
            "OpenMP, 2 threads); not re-measured here (no C binary). pixel_steps_per_s = "
            "pixels·steps/s with steps = sources·domains·φ steps·oversample² (§8); "
            "samples_per_s also counts sensor layers."
        ),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "torch": torch.__version__,
            "torch_threads": opts.threads or torch.get_num_threads(),
            "python": platform.python_version(),
        },
        "results": rows,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    sys.stderr.write(f"wrote {RESULTS}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
