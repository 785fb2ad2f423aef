"""`supervisor lint` over the whole corpus (whole process) beside an I/O floor: a process that
only reads the same files. Side by side on this machine, interleaved, medians.

Workspace: a temp copy of the corpus (14 ledger versions, 36 plans, 40 briefs, archive and
memory files) plus a one-line supervisor.yaml; `supervisor lint --json .` lints every file
(ledgers by name, briefs by name, plans under plans/active, other markdown for pointers).
Also measured: the floor plus importing what lint imports (typer, yaml, markdown-it), and
lint in-process (no interpreter start-up). Results: benchmarks/results/lint.json.

Findings per code, with and without short-pointer resolution (benchmarks/results/
lint_findings.json): the corpus copy above, and workspaces checked out from the corpus's git
bundle (shared/corpus/replay/, evenly spaced commits; each a git repository with a one-line
supervisor.yaml). The corpus holds markdown only, so pointers into source files cannot
resolve there; a "skeleton" variant of each bundle workspace also creates every file the
workspace cites by a full path (long enough for any line: real lengths are unknown), standing in
for the source tree, so that what resolution does to short pointers is measured on the real pointer
text. `--sample N` adds N findings picked at random (seeded) with their source lines, for
judging precision by hand.

    python -m benchmarks.bench_lint [--runs N] [--findings-only] [--workspaces K] [--sample N]
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
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks._common import stats as _stats
from benchmarks._common import supervisor_cli as _supervisor
from benchmarks._common import time_once


def _once(cmd: list[str], cwd: Path) -> float:
    return time_once(cmd, cwd, check=False)


HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("SUPERVISOR_SHARED", HERE.parent.parent / "shared"))
CORPUS = SHARED / "corpus" / "nanobragg"
RESULTS = HERE / "results" / "lint.json"
FINDINGS = HERE / "results" / "lint_findings.json"
SKELETON_LINES = 100_000
BUNDLE = SHARED / "corpus" / "replay" / "nanobragg-history.bundle"

READ_ONLY = """
import sys
for p in open(sys.argv[1], encoding="utf-8").read().split():
    open(p, "rb").read().decode("utf-8")
"""
IMPORT_AND_READ = "import typer, yaml, markdown_it\n" + READ_ONLY


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--findings-only", action="store_true", help="skip the timing runs")
    ap.add_argument("--workspaces", type=int, default=10, help="bundle checkouts")
    ap.add_argument("--sample", type=int, default=0, help="findings to sample for judging")
    args = ap.parse_args(argv)
    if not CORPUS.is_dir():
        raise SystemExit(f"corpus not found at {CORPUS} (set SUPERVISOR_SHARED)")
    findings(args.workspaces, args.sample)
    if args.findings_only:
        return 0
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


# ------------------------------------------------------------------ findings per code


def _git(*args: str, cwd: Path | None = None) -> str:
    out = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return out.stdout


def _bundle_workspaces(tmp: Path, count: int) -> list[tuple[str, Path]]:
    if not BUNDLE.is_file() or count <= 0:
        return []
    clone = tmp / "history"
    _git("clone", "-q", str(BUNDLE), str(clone))
    shas = _git("log", "--format=%h", cwd=clone).split()
    picked = [shas[k * len(shas) // count] for k in range(count)]
    out = []
    for sha in picked:
        ws = tmp / f"ws-{sha}"
        _git("clone", "-q", "--shared", str(clone), str(ws))
        _git("checkout", "-q", sha, cwd=ws)
        (ws / "supervisor.yaml").write_text("version: 1\n", encoding="utf-8")
        out.append((sha, ws))
    return out


def _lint(ws: Path, paths: list[Path], resolve: bool) -> list[Any]:
    from supervisor.lint import lint
    from supervisor.workspace import Workspace

    return list(lint(Workspace.find(ws), paths, resolve=resolve).findings)


def _per_code(found: list[Any]) -> dict[str, int]:
    return dict(sorted(Counter(f.code for f in found).items()))


def _skeleton(ws: Path) -> int:
    """Create each file the workspace's linted files cite by a full path (with a directory
    part) that is not there, long enough for any line cited (its real length is unknown, so
    no P202 comes from the skeleton)."""
    from supervisor.lint.context import LintContext
    from supervisor.lint.pointer_checks import checkable
    from supervisor.workspace import Workspace

    ctx = LintContext(Workspace.find(ws))
    need: set[str] = set()
    for rel, kind in ctx.select(()):
        if kind == "contract":
            continue
        for n, line in enumerate(ctx.lines(rel), start=1):
            for _, target in checkable(rel, n, line):
                if target is None or "/" not in target or (ws / target).exists():
                    continue
                need.add(target)
    made = 0
    filler = "\n" * SKELETON_LINES
    for rel in sorted(need):
        path = ws / rel
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(filler, encoding="utf-8")
        except OSError:  # a parent is a file, or the name is not valid here
            continue
        made += 1
    return made


def _record(name: str, ws: Path, paths: list[Path]) -> tuple[dict[str, Any], list[Any]]:
    with_res = _lint(ws, paths, True)
    without = _lint(ws, paths, False)
    missing = [f.message.split("`: ", 1)[-1].split(" ")[0] for f in with_res if f.code == "P201"]
    non_md = sum(1 for target in missing if not target.endswith(".md"))
    row: dict[str, Any] = {
        "workspace": name,
        "findings_with_resolution": len(with_res),
        "findings_without_resolution": len(without),
        "with_resolution": _per_code(with_res),
        "without_resolution": _per_code(without),
        "p201_to_non_markdown": non_md,
    }
    return row, with_res


def findings(count: int, sample: int) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    skeleton_rows: list[dict[str, Any]] = []
    pool: list[tuple[str, Path, Any]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        corpus = tmp / "corpus"
        shutil.copytree(CORPUS, corpus)
        (corpus / "supervisor.yaml").write_text("version: 1\n", encoding="utf-8")
        row, found = _record("corpus", corpus, [corpus])
        rows.append(row)
        pool += [("corpus", corpus, f) for f in found]
        for sha, ws in _bundle_workspaces(tmp, count):
            row, found = _record(f"bundle@{sha}", ws, [])
            rows.append(row)
            pool += [(sha, ws, f) for f in found]
        for sha, ws in _bundle_workspaces(tmp / "skeleton", count):
            made = _skeleton(ws)
            row, _ = _record(f"bundle@{sha}+skeleton", ws, [])
            row["skeleton_files"] = made
            skeleton_rows.append(row)
        picked = []
        if sample:
            import random

            rng = random.Random(13)
            for name, ws, f in rng.sample(pool, min(sample, len(pool))):
                text = (ws / f.path).read_text(encoding="utf-8", errors="replace").splitlines()
                picked.append(
                    {
                        "workspace": name,
                        **f.as_dict(),
                        "source_line": text[f.line - 1][:400] if f.line <= len(text) else "",
                    }
                )

    def total(rs: list[dict[str, Any]], key: str) -> dict[str, int]:
        c: Counter[str] = Counter()
        for r in rs:
            c.update(r[key])
        return dict(sorted(c.items()))

    bundle_rows = [r for r in rows if r["workspace"] != "corpus"]
    out = {
        "benchmark": "lint_findings",
        "bundle_workspaces": len(bundle_rows),
        "totals_bundle": {
            "with_resolution": total(bundle_rows, "with_resolution"),
            "without_resolution": total(bundle_rows, "without_resolution"),
        },
        "totals_bundle_skeleton": {
            "with_resolution": total(skeleton_rows, "with_resolution"),
            "without_resolution": total(skeleton_rows, "without_resolution"),
        },
        "workspaces": rows + skeleton_rows,
        "sample": picked,
    }
    FINDINGS.parent.mkdir(parents=True, exist_ok=True)
    FINDINGS.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for r in rows + skeleton_rows:
        print(
            f"{r['workspace']:<28} {r['findings_without_resolution']:>5} -> "
            f"{r['findings_with_resolution']:>5} findings (P201 "
            f"{r['without_resolution'].get('P201', 0)} -> {r['with_resolution'].get('P201', 0)}, "
            f"P205 {r['with_resolution'].get('P205', 0)})"
        )
    return out


if __name__ == "__main__":
    sys.exit(main())
