"""`supervisor lint` over the whole corpus (whole process) beside an I/O floor: a process that
only reads the same files. Side by side on this machine, interleaved, medians.

Workspace: a temp copy of the corpus (14 ledger versions, 36 plans, 40 briefs, archive and
memory files) plus a one-line supervisor.yaml; `supervisor lint --json .` lints every file
(ledgers by name, briefs by name, plans under plans/active, other markdown for pointers).
Also measured: the floor plus importing what lint imports (typer, yaml, markdown-it), and
lint in-process (no interpreter start-up). Results: benchmarks/results/lint.json.

    python -m benchmarks.bench_lint [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._common import stats as _stats
from benchmarks._common import supervisor_cli as _supervisor
from benchmarks._common import time_once


def _once(cmd: list[str], cwd: Path) -> float:
    return time_once(cmd, cwd, check=False)


HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("SUPERVISOR_SHARED", HERE.parent.parent / "shared"))
CORPUS = SHARED / "corpus" / "nanobragg"
RESULTS = HERE / "results" / "lint.json"

READ_ONLY = """
import sys
for p in open(sys.argv[1], encoding="utf-8").read().split():
    open(p, "rb").read().decode("utf-8")
"""
IMPORT_AND_READ = "import typer, yaml, markdown_it\n" + READ_ONLY


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args(argv)
    if not CORPUS.is_dir():
        raise SystemExit(f"corpus not found at {CORPUS} (set SUPERVISOR_SHARED)")
    cli = _supervisor()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "corpus"
        shutil.copytree(CORPUS, ws)
        (ws / "supervisor.yaml").write_text("version: 1\n", encoding="utf-8")
        first = subprocess.run([*cli, "lint", "--json", "."], cwd=ws, capture_output=True)
        doc = json.loads(first.stdout)
        files = doc["files"]
        listing = ws / ".files"
        listing.write_text("\n".join(files), encoding="utf-8")
        nbytes = sum((ws / f).stat().st_size for f in files)
        floor, imports, lint = [], [], []
        for _ in range(args.runs):  # interleaved so machine noise hits all alike
            floor.append(_once([sys.executable, "-c", READ_ONLY, str(listing)], ws))
            imports.append(_once([sys.executable, "-c", IMPORT_AND_READ, str(listing)], ws))
            lint.append(_once([*cli, "lint", "."], ws))
        from supervisor.lint import lint as lint_fn
        from supervisor.workspace import Workspace

        inproc = []
        for _ in range(args.runs):
            t = time.perf_counter()
            lint_fn(Workspace.find(ws), [ws])
            inproc.append(time.perf_counter() - t)
    med_floor = statistics.median(floor)
    med_lint = statistics.median(lint)
    out = {
        "benchmark": "lint",
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "corpus": {
            "files": len(files),
            "bytes": nbytes,
            "findings": len(doc["findings"]),
            "errors": doc["summary"]["errors"],
            "warnings": doc["summary"]["warnings"],
            "exit_code": first.returncode,
        },
        "runs": args.runs,
        "floor_read_only": _stats(floor),
        "floor_import_and_read": _stats(imports),
        "lint_whole_process": _stats(lint),
        "lint_in_process": _stats(inproc),
        "ratio_lint_to_read_floor": round(med_lint / med_floor, 2),
        "ratio_lint_to_import_floor": round(med_lint / statistics.median(imports), 2),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2))
    print(
        f"lint {med_lint:.3f}s over {len(files)} files ({nbytes / 1e6:.1f} MB); read-only floor "
        f"{med_floor:.3f}s -> {out['ratio_lint_to_read_floor']}x; import+read floor "
        f"{statistics.median(imports):.3f}s -> {out['ratio_lint_to_import_floor']}x; "
        f"in-process {statistics.median(inproc):.3f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
