"""Fixtures for dispatch tests: a small workspace whose registry runs real Python commands,
and a copy of this repository's own workspace (its registry runs `sim trace`)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

CONFIG = """\
version: 1
project: mini
branch: main
statuses:
  active: [in_progress]
  blocked: [blocked]
  done: [done]
env:
  MINI_GLOBAL: "g"
commands:
  hello:
    help: write out.txt into the bundle and greet
    argv: ["{python}", -c, "import sys; open(sys.argv[1] + '/out.txt', 'w').write('hi'); print('hello', sys.argv[1])", "{out}"]
    outputs: [out.txt]
    timeout: 60
  args:
    help: print its argv as JSON
    argv: ["{python}", -c, "import json, sys; print(json.dumps(sys.argv[1:]))", "{n}", "{x}", "{mode}", "{target}", "{verbose}", "--name={name}", "lit={stamp}"]
    params:
      n: {type: int, default: 3, help: a count}
      x: {type: float, default: 0.5}
      mode: {type: choice, choices: [fast, slow], default: fast}
      target: {type: path, default: docs}
      verbose: {type: flag, default: false}
      name: {type: str, default: plain}
  need:
    argv: ["{python}", -c, "print(1)", "{k}"]
    params:
      k: {type: int, required: true, help: the k}
  envcheck:
    argv: ["{python}", -c, "import os; print(os.environ['MINI_GLOBAL'], os.environ['MINI_LOCAL'])"]
    env: {MINI_LOCAL: "in {out}"}
  fail:
    argv: ["{python}", -c, "import sys; print('boom', file=sys.stderr); sys.exit(3)"]
  diverge:
    help: exits with the code it is given; 2 means "found a divergence", a success here
    argv: ["{python}", -c, "import sys; sys.exit(int(sys.argv[1]))", "{code}"]
    params:
      code: {type: int, default: 2}
    ok_exit: [0, 2]
  spawn:
    help: start a sleeping child, record both pids, then sleep past the timeout
    argv: ["{python}", -c, "import os, subprocess, sys, time; c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); open(sys.argv[1] + '/pids', 'w').write(f'{os.getpid()} {c.pid}'); time.sleep(120)", "{out}"]
    timeout: 4
  daemon:
    help: leave a setsid child that writes to the command's log 0.5 s after the command exits
    argv:
      - "{python}"
      - -c
      - 'import os, subprocess, sys, time; subprocess.Popen([sys.executable, ''-c'', "import os, sys, time; parent = os.getppid(); open(sys.argv[1] + ''/daemon.pid'', ''w'').write(str(os.getpid())); [time.sleep(0.01) for _ in iter(lambda: os.getppid() == parent, False)]; time.sleep(0.5); print(''LATE WRITE'', flush=True)", sys.argv[1]], start_new_session=True); [time.sleep(0.01) for _ in iter(lambda: os.path.exists(sys.argv[1] + ''/daemon.pid'') and os.path.getsize(sys.argv[1] + ''/daemon.pid'') > 0, True)]; print(''command done'')'
      - "{out}"
  hang:
    help: start a setsid child and a plain child, record the three pids, then sleep
    argv: ["{python}", -c, "import os, subprocess, sys, time; a = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'], start_new_session=True); b = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); open(sys.argv[1] + '/pids', 'w').write(f'{os.getpid()} {a.pid} {b.pid}'); time.sleep(120)", "{out}"]
    timeout: 300
  slow:
    argv: ["{python}", -c, "import os, subprocess, sys, time; c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); open(sys.argv[1] + '/pids', 'w').write(f'{os.getpid()} {c.pid}'); time.sleep(120)", "{out}"]
    timeout: 300
"""

LEDGER = """\
# Fix Plan Ledger

**Last Updated:** 2026-01-05 (galph loop #1)
**Active Focus:**
- CRITICAL: `[DEMO-001]` — run the demo commands.

## Index
| ID | Title | Priority | Status |
| --- | --- | --- | --- |
| [DEMO-001](#demo-001-demo) | Demo | High | in_progress |
| [OTHER-002](#other-002-other) | Other | Low | in_progress |

## [DEMO-001] Demo
- Priority: High
- Status: in_progress
- Plan Reference: `plans/active/demo/plan.md`
- Attempts History: none yet

## [OTHER-002] Other
- Priority: Low
- Status: in_progress
- Attempts History: none yet
"""

PLAN = """\
## Context
- Initiative: DEMO-001 — demo.

### Phase A — Run
Goal: run hello.
Exit Criteria: bundle ok.

| ID | Task Description | State | How/Why & Guidance |
| --- | --- | --- | --- |
| A1 | Greet via `hello`, then `args` | [ ] | Mode: Parity. |

### Phase B — Later
Goal: more.

| ID | Task Description | State | How/Why & Guidance |
| --- | --- | --- | --- |
| B1 | Nothing runnable here | [ ] | prose only |
"""


@pytest.fixture
def mini_ws(tmp_path: Path) -> Path:
    ws = tmp_path / "mini"
    (ws / "docs").mkdir(parents=True)
    (ws / "plans" / "active" / "demo").mkdir(parents=True)
    (ws / "supervisor.yaml").write_text(CONFIG, encoding="utf-8")
    (ws / "docs" / "fix_plan.md").write_text(LEDGER, encoding="utf-8")
    (ws / "plans" / "active" / "demo" / "plan.md").write_text(PLAN, encoding="utf-8")
    return ws


@pytest.fixture
def repo_ws(tmp_path: Path, repo_root: Path) -> Path:
    """This repository's own workspace files (config, ledger, plans, templates), copied."""
    ws = tmp_path / "repo"
    ws.mkdir()
    shutil.copy(repo_root / "supervisor.yaml", ws / "supervisor.yaml")
    for d in ("docs", "plans", "templates"):
        shutil.copytree(repo_root / d, ws / d)
    return ws


@pytest.fixture
def only_bundle() -> Callable[[Path], Path]:
    """The single bundle directory under ``ws/reports``."""

    def find(ws: Path) -> Path:
        found = sorted(p.parent for p in (ws / "reports").rglob("bundle.json"))
        assert len(found) == 1, found
        return found[0]

    return find


@pytest.fixture
def sums_ok() -> Callable[[Path], str]:
    """Run `sha256sum -c SHA256SUMS` inside a bundle; returns its stdout (asserts exit 0)."""

    def check(bundle: Path) -> str:
        if shutil.which("sha256sum") is None:
            pytest.skip("sha256sum (GNU coreutils) not installed")
        r = subprocess.run(
            ["sha256sum", "-c", "SHA256SUMS"], cwd=bundle, capture_output=True, text=True
        )
        assert r.returncode == 0, r.stdout + r.stderr
        return r.stdout

    return check


@pytest.fixture
def bundle_doc() -> Callable[[Path], dict[str, object]]:
    def load(bundle: Path) -> dict[str, object]:
        doc = json.loads((bundle / "bundle.json").read_text(encoding="utf-8"))
        assert isinstance(doc, dict)
        return doc

    return load


@pytest.fixture
def cli_argv() -> list[str]:
    return [sys.executable, "-m", "supervisor.cli.main"]
