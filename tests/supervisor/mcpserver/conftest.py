"""Fixtures for the MCP tests: a small workspace whose registry runs real Python commands, and
`supervisor mcp` started as a real subprocess, talked to with the SDK's stdio client."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mcp", reason="the mcp extra is not installed (pip install -e '.[mcp]')")

CONFIG = """\
version: 1
project: mcpdemo
branch: main
statuses:
  active: [in_progress]
  blocked: [blocked]
  done: [done]
commands:
  hello:
    help: write out.txt into the bundle and greet
    argv: ["{python}", -c, "import sys; open(sys.argv[1] + '/out.txt', 'w').write('hi'); print('hello', sys.argv[1])", "{out}"]
    outputs: [out.txt]
    timeout: 60
  count:
    help: print n
    argv: ["{python}", -c, "import sys; print(sys.argv[1])", "{n}"]
    params:
      n: {type: int, default: 3}
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
- Attempts History:
  * [2026-01-04] Attempt #1 — Result: ❌ failed. First try.

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
| A1 | Greet via `hello`, then `count` | [ ] | Mode: Parity. |
"""

ENV = {"SUPERVISOR_DATE": "2026-02-01", "SUPERVISOR_NO_CACHE": "1"}


@pytest.fixture
def mcp_ws(tmp_path: Path) -> Path:
    ws = tmp_path / "mcpws"
    (ws / "docs").mkdir(parents=True)
    (ws / "plans" / "active" / "demo").mkdir(parents=True)
    (ws / "supervisor.yaml").write_text(CONFIG, encoding="utf-8")
    (ws / "docs" / "fix_plan.md").write_text(LEDGER, encoding="utf-8")
    (ws / "plans" / "active" / "demo" / "plan.md").write_text(PLAN, encoding="utf-8")
    return ws


Session = Callable[..., AbstractAsyncContextManager[Any]]


@pytest.fixture
def mcp_session(tmp_path: Path) -> Session:
    """``async with mcp_session(args, cwd) as session``: `supervisor ARGS` (default ``mcp``)
    started by the SDK's stdio client in ``cwd``, initialized; its stderr goes to a file."""

    @asynccontextmanager
    async def start(args: list[str], cwd: Path) -> AsyncIterator[Any]:
        from mcp.client import ClientSession
        from mcp.client.stdio import StdioServerParameters, stdio_client

        params = StdioServerParameters(
            command=sys.executable,
            args=["-m", "supervisor.cli.main", *args],
            env={**os.environ, **ENV},
            cwd=cwd,
        )
        with (tmp_path / "server.stderr").open("w") as errlog:
            async with (
                stdio_client(params, errlog=errlog) as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                yield session

    return start
