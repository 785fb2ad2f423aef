"""`supervisor loop` overhead per iteration, the agent excluded, on a copy of this repository's
own workspace (supervisor.yaml, docs/, plans/, templates/) in a temporary git repository.

The agent is `true` (a no-op that records nothing), so every iteration also pays for the
loop's own `failed` attempt (record_attempt) and, after a few, the stall guard. Overhead per
iteration = wall time of the iteration minus the agent's own run time. Measured:

* ``local``: one process plays both roles, one commit per turn, no remote (in-process);
* ``sync``: the same with --sync-via-git against a bare remote (pull --rebase before each turn,
  push after it);
* ``cli``: the whole `supervisor loop --iterations N` command (process start and imports
  included) without sync, for reference;
* ``containment``: what finding and killing a run's whole process tree costs — ``runner.run``
  of ``true`` (fresh session, run marker, subreaper, /proc scan after exit) against a plain
  ``subprocess.run`` of ``true``, side by side, as a ratio.

Results: benchmarks/results/loop.json.

    python -m benchmarks.bench_loop [--iterations N]
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
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results" / "loop.json"
IDENTITY = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def _git(where: Path, *args: str) -> str:
    r = subprocess.run(["git", *args], cwd=where, capture_output=True, text=True, check=True)
    return r.stdout


def workspace(dst: Path) -> Path:
    """This repository's workspace files in a fresh git repository on branch main."""
    dst.mkdir(parents=True)
    shutil.copy(REPO / "supervisor.yaml", dst / "supervisor.yaml")
    for d in ("docs", "plans", "templates"):
        shutil.copytree(REPO / d, dst / d)
    _git(dst, "init", "-q", "-b", "main")
    for k, v in (("user.name", "Bench"), ("user.email", "bench@example.invalid")):
        _git(dst, "config", k, v)
    _git(dst, "add", "-A")
    _git(dst, "commit", "-q", "-m", "workspace")
    return dst


def with_remote(tmp: Path) -> Path:
    seed = workspace(tmp / "seed")
    bare = tmp / "remote.git"
    _git(tmp, "init", "-q", "--bare", "-b", "main", str(bare))
    _git(seed, "push", "-q", str(bare), "main")
    _git(tmp, "clone", "-q", str(bare), "clone")
    clone = tmp / "clone"
    for k, v in (("user.name", "Bench"), ("user.email", "bench@example.invalid")):
        _git(clone, "config", k, v)
    return clone


def in_process(ws: Path, iterations: int, sync: bool) -> dict[str, Any]:
    from supervisor.loop import LoopOptions, run_loop

    options = LoopOptions(agent=("true",), iterations=iterations, sync=sync, timeout=60)
    start = time.perf_counter()
    result = run_loop(ws, options)
    total = time.perf_counter() - start
    assert result.status == "ok" and result.iterations == iterations
    per_iteration: list[float] = []
    agent: list[float] = []
    for sup, agt in zip(result.turns[::2], result.turns[1::2], strict=True):
        assert (sup.actor, agt.actor) == ("supervisor", "agent")
        spent = (sup.duration_s or 0) + (agt.duration_s or 0) - (agt.agent_s or 0)
        per_iteration.append(spent)
        agent.append(agt.agent_s or 0)
    warm = per_iteration[1:] or per_iteration
    commits = int(_git(ws, "rev-list", "--count", "HEAD")) - 1
    return {
        "iterations": iterations,
        # everything the run did (pulls and waits between turns included), minus the agent
        "overhead_per_iteration_s": round((total - sum(agent)) / iterations, 4),
        # inside the turns only: the first iteration (imports) and the rest
        "turns_first_s": round(per_iteration[0], 4),
        "turns_median_s": round(statistics.median(warm), 4),
        "turns_max_s": round(max(warm), 4),
        "agent_median_s": round(statistics.median(agent), 4),
        "total_s": round(total, 3),
        "commits": commits,
    }


def cli(ws: Path, iterations: int) -> dict[str, Any]:
    exe = Path(sys.executable).parent / "supervisor"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "supervisor.cli.main"]
    start = time.perf_counter()
    r = subprocess.run(
        [*cmd, "loop", "--agent", "true", "--iterations", str(iterations), "--json"],
        cwd=ws,
        env={**os.environ, **IDENTITY},
        capture_output=True,
        text=True,
        check=True,
    )
    total = time.perf_counter() - start
    doc = json.loads(r.stdout)
    agent = sum(t["agent_s"] or 0 for t in doc["turns"])
    return {
        "iterations": iterations,
        "total_s": round(total, 3),
        "per_iteration_excluding_agent_s": round((total - agent) / iterations, 4),
    }


def containment(runs: int) -> dict[str, Any]:
    from supervisor.dispatch import runner

    with tempfile.TemporaryDirectory(prefix="bench-runner-") as tmp:
        log = Path(tmp) / "log"
        env = dict(os.environ)
        plain: list[float] = []
        contained: list[float] = []
        for _ in range(runs):  # interleaved, so both see the same machine load
            t = time.perf_counter()
            subprocess.run(["true"], check=True)
            plain.append(time.perf_counter() - t)
            t = time.perf_counter()
            r = runner.run(["true"], cwd=Path(tmp), env=env, stdout=log, stderr=log, timeout=60)
            contained.append(time.perf_counter() - t)
            assert r.exit_code == 0 and r.stragglers == 0
        procs = sum(1 for d in os.listdir("/proc") if d.isdigit()) if Path("/proc").is_dir() else 0
    a, b = statistics.median(plain), statistics.median(contained)
    return {
        "runs": runs,
        "processes_on_machine": procs,
        "plain_subprocess_median_s": round(a, 5),
        "runner_run_median_s": round(b, 5),
        "ratio": round(b / a, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=10)
    args = parser.parse_args(argv)
    os.environ.update(IDENTITY)
    os.environ.setdefault("SUPERVISOR_DATE", "2026-02-01")
    with tempfile.TemporaryDirectory(prefix="bench-loop-") as tmp:
        base = Path(tmp)
        local = in_process(workspace(base / "local"), args.iterations, sync=False)
        synced = in_process(with_remote(base / "sync"), args.iterations, sync=True)
        whole = cli(workspace(base / "cli"), args.iterations)
    contain = containment(50)
    out = {
        "benchmark": "loop",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "workspace": "this repository's supervisor.yaml, docs/, plans/, templates/",
        "agent": "true (records nothing: each iteration also records the loop's failed attempt)",
        "local": local,
        "sync": synced,
        "cli": whole,
        "containment": contain,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
