"""A scripted coding agent for the loop tests: a real program, run by `supervisor loop`.

    python scripted_agent.py [work|nothing|stray|evidence|exit3|sleep]

It reads the brief named by ``SUPERVISOR_BRIEF``, and in ``work`` mode runs the registry
commands the brief names (``supervisor dispatch NAME … --item ID``) and records the outcome
(``supervisor record-attempt ID --result success --bundle DIR --task T --state done``).
``nothing`` records nothing; ``stray`` works and also leaves a file outside the whitelist;
``evidence`` writes files of known sizes under reports/ and records a partial attempt citing
one; ``exit3`` exits 3 without recording; ``sleep`` writes its pid to ``$SCRIPTED_AGENT_PID``
and sleeps (for timeouts and Ctrl-C).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path


def supervisor(*args: str) -> str:
    r = subprocess.run(
        [sys.executable, "-m", "supervisor.cli.main", *args], capture_output=True, text=True
    )
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    if r.returncode != 0:
        raise SystemExit(f"scripted agent: supervisor {args[0]} exited {r.returncode}")
    return r.stdout


def main() -> int:
    mode = sys.argv[1] if len(sys.argv) > 1 else "work"
    brief = Path(os.environ["SUPERVISOR_BRIEF"]).read_text(encoding="utf-8")
    focus = next(line for line in brief.splitlines() if line.startswith("Focus: "))
    item = re.search(r"\[([A-Z0-9-]+)\]", focus)
    task = re.search(r"\btask (\S+)", focus)
    assert item is not None, focus
    print(f"scripted agent ({mode}): iteration {os.environ['SUPERVISOR_ITERATION']}, {focus}")
    if mode == "nothing":
        return 0
    if mode == "exit3":
        return 3
    if mode == "sleep":
        Path(os.environ["SCRIPTED_AGENT_PID"]).write_text(str(os.getpid()))
        time.sleep(120)
        return 0
    if mode == "evidence":
        out = Path("reports") / item.group(1) / "manual"
        out.mkdir(parents=True)
        sizes = {"big.bin": 3072, "med1.txt": 1536, "med2.txt": 1536, "skip.npy": 10}
        sizes["small.txt"] = 10
        for name, size in sizes.items():
            (out / name).write_bytes(b"x" * size)
        supervisor("record-attempt", item.group(1), "--result", "partial", "--summary",
                   "scripted agent wrote evidence", "--artifacts", f"{out}/small.txt")  # fmt: skip
        return 0
    names = list(dict.fromkeys(re.findall(r"`supervisor dispatch ([a-z][a-z0-9_-]*)", brief)))
    args = ["--result", "success", "--summary", f"scripted agent worked on {focus[7:60]}"]
    if names:
        bundle = supervisor("dispatch", *names, "--item", item.group(1)).strip()
        args += ["--bundle", bundle]
    if task is not None:
        args += ["--task", task.group(1), "--state", "done"]
    supervisor("record-attempt", item.group(1), *args)
    if mode == "stray":
        Path("stray.txt").write_text("left behind\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
