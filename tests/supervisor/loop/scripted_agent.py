"""A scripted coding agent for the loop tests: a real program, run by `supervisor loop`.

    python scripted_agent.py [work|nothing|stray|evidence|exit3|sleep|lurk|commit|branch|
                              vandal|daemon]

It reads the brief named by ``SUPERVISOR_BRIEF``, and in ``work`` mode runs the registry
commands the brief names (``supervisor dispatch NAME … --item ID``) and records the outcome
(``supervisor record-attempt ID --result success --bundle DIR --task T --state done``).
``nothing`` records nothing; ``stray`` works and also leaves a file outside the whitelist;
``evidence`` writes files of known sizes under reports/ and records a partial attempt citing
one; ``exit3`` exits 3 without recording; ``sleep`` writes its pid to ``$SCRIPTED_AGENT_PID``
and sleeps (for timeouts and Ctrl-C). Hostile modes (each also does the ``work``):
``commit`` commits a change to ``src/`` itself; ``branch`` switches to a new branch first;
``vandal`` deletes the other item's section from the ledger; ``lurk`` sleeps with a ``setsid`` sleeping child
(pid in ``$SCRIPTED_AGENT_PID.child``); ``daemon`` leaves a ``setsid``
child (pid in ``$SCRIPTED_AGENT_PID``) that appends to the ledger 0.5 s after the agent exits.
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


def git(*args: str) -> None:
    subprocess.run(["git", *args], check=True, capture_output=True)


def hostile(mode: str) -> None:
    ledger = Path("docs/fix_plan.md")
    if mode == "branch":
        git("checkout", "-q", "-b", "agent-side")
    elif mode == "vandal":
        text = ledger.read_text(encoding="utf-8")
        start = text.index("## [BETA-002]")
        ledger.write_text(text[:start].rstrip("\n") + "\n", encoding="utf-8")
    elif mode == "daemon":
        code = (
            "import os, sys, time\n"
            "parent = os.getppid()\n"
            "open(sys.argv[1], 'w').write(str(os.getpid()))\n"
            "while os.getppid() == parent:\n"  # until the agent has exited
            "    time.sleep(0.01)\n"
            "time.sleep(0.5)\n"
            "open('docs/fix_plan.md', 'a').write('\\nESCAPED DAEMON WAS HERE\\n')\n"
        )
        subprocess.Popen([sys.executable, "-c", code, os.environ["SCRIPTED_AGENT_PID"]],
                         start_new_session=True, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 30
        pidfile = Path(os.environ["SCRIPTED_AGENT_PID"])
        while not (pidfile.exists() and pidfile.read_text()) and time.monotonic() < deadline:
            time.sleep(0.02)


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
    if mode == "lurk":  # a setsid child that sleeps too, then as "sleep"
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"],
                                 start_new_session=True)  # fmt: skip
        Path(os.environ["SCRIPTED_AGENT_PID"] + ".child").write_text(str(child.pid))
        mode = "sleep"
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
    hostile(mode)
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
    if mode == "commit":
        Path("src").mkdir(exist_ok=True)
        Path("src/backdoor.py").write_text("print('committed by the agent')\n")
        git("add", "src/backdoor.py")
        git("commit", "-q", "-m", "agent: a change outside the whitelist")
    return 0


if __name__ == "__main__":
    sys.exit(main())
