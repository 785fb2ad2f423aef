"""`supervisor mcp` in a real MCP session: the server runs as a subprocess and the SDK's stdio
client talks to it. Answers are compared with the CLI's output byte for byte."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import anyio

from supervisor.parse.ledger import parse_ledger

Session = Callable[..., AbstractAsyncContextManager[Any]]
ENV = {"SUPERVISOR_DATE": "2026-02-01", "SUPERVISOR_NO_CACHE": "1"}  # as the server gets

LEDGER = "docs/fix_plan.md"


def _cli(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "supervisor.cli.main", "-C", str(ws), *args],
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _text(result: Any) -> str:
    assert len(result.content) == 1
    return str(result.content[0].text)


def test_lists_exactly_five_tools_with_typed_arguments(mcp_ws: Path, mcp_session: Session) -> None:
    async def go() -> Any:
        async with mcp_session(["mcp"], mcp_ws) as s:
            return (await s.list_tools()).tools

    tools = {t.name: t for t in anyio.run(go)}
    assert sorted(tools) == ["dispatch", "lint", "next", "record_attempt", "status"]
    for t in tools.values():
        assert t.description and len(t.description) < 320, t.name
    ra = tools["record_attempt"].input_schema
    assert ra["required"] == ["item", "result", "summary"]
    assert ra["properties"]["result"]["enum"] == ["success", "partial", "failed", "blocked"]
    state = ra["properties"]["state"]["anyOf"][0]
    assert state["enum"] == ["done", "in-progress", "blocked"]


def test_next_equals_the_cli_byte_for_byte(mcp_ws: Path, mcp_session: Session) -> None:
    async def go() -> list[Any]:
        async with mcp_session(["mcp"], mcp_ws) as s:
            return [
                await s.call_tool("next", {}),
                await s.call_tool("next", {"explain": True}),
                await s.call_tool("next", {"focus": "OTHER-002"}),
            ]

    plain, explain, focused = anyio.run(go)
    assert not plain.is_error
    assert _text(plain) == _cli(mcp_ws, "next").stdout
    assert _text(explain) == _cli(mcp_ws, "next", "--explain").stdout
    assert _text(focused) == _cli(mcp_ws, "next", "--focus", "OTHER-002").stdout
    as_json = _cli(mcp_ws, "next", "--json").stdout
    assert json.dumps(plain.structured_content, indent=2, ensure_ascii=False) + "\n" == as_json
    assert "[OTHER-002]" in _text(focused)


def test_server_finds_the_workspace_by_walking_up_or_with_dash_c(
    mcp_ws: Path, mcp_session: Session, tmp_path: Path
) -> None:
    sub = mcp_ws / "plans" / "active"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    async def go(args: list[str], cwd: Path) -> Any:
        async with mcp_session(args, cwd) as s:
            return await s.call_tool("status", {})

    walked = anyio.run(go, ["mcp"], sub)
    named = anyio.run(go, ["-C", str(sub), "mcp"], elsewhere)
    assert _text(walked) == _text(named) == _cli(mcp_ws, "status").stdout
    assert json.loads(_cli(mcp_ws, "status", "--json").stdout) == walked.structured_content


def test_record_attempt_concurrent_with_the_cli_gets_consecutive_numbers(
    mcp_ws: Path, mcp_session: Session
) -> None:
    cli = [sys.executable, "-m", "supervisor.cli.main", "-C", str(mcp_ws), "record-attempt",
           "DEMO-001", "--result", "partial", "--summary", "from the CLI"]  # fmt: skip
    said: list[int] = []

    async def go() -> subprocess.Popen[str]:
        async with mcp_session(["mcp"], mcp_ws) as s:

            async def record(k: int) -> None:
                args = {"item": "DEMO-001", "result": "failed", "summary": f"from MCP {k}"}
                r = await s.call_tool("record_attempt", args)
                assert not r.is_error, _text(r)
                said.append(r.structured_content["number"])
                assert json.loads(_text(r)) == r.structured_content

            proc = subprocess.Popen(cli, env={**os.environ, **ENV}, text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
            async with anyio.create_task_group() as tg:
                tg.start_soon(record, 1)
                tg.start_soon(record, 2)
            return proc

    proc = anyio.run(go)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    cli_number = int(out.split("Attempt #")[1].split(" ")[0])
    assert sorted([*said, cli_number]) == [2, 3, 4]
    text = (mcp_ws / LEDGER).read_text()
    item = parse_ledger(text, LEDGER).item("DEMO-001")
    assert item is not None
    assert [a.number for a in item.attempts] == [1, 2, 3, 4]
    for summary in ("from MCP 1", "from MCP 2", "from the CLI"):
        assert text.count(summary) == 1


def test_dispatch_streams_progress_and_returns_the_bundle(
    mcp_ws: Path, mcp_session: Session
) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def progress(value: float, total: float | None, message: str | None) -> None:
        seen.append((value, total, message))

    async def go() -> list[Any]:
        async with mcp_session(["mcp"], mcp_ws) as s:
            args = {"names": ["hello", "count"], "params": {"n": 7}}
            return [
                await s.call_tool("dispatch", args, progress_callback=progress),
                await s.call_tool("dispatch", {"focus": True}),  # no progress token
                await s.call_tool("dispatch", {"names": ["count"], "params": {"n": "many"}}),
            ]

    result, focused, bad_param = anyio.run(go)
    assert not focused.is_error, _text(focused)
    assert [c["name"] for c in focused.structured_content["commands"]] == ["hello", "count"]
    cli = _cli(mcp_ws, "dispatch", "count", "n=many")
    assert bad_param.is_error
    assert f"error: {_text(bad_param)}\n" == cli.stderr
    assert not result.is_error, _text(result)
    doc = result.structured_content
    assert doc["kind"] == "bundle" and doc["status"] == "ok"
    assert [c["name"] for c in doc["commands"]] == ["hello", "count"]
    bundle = mcp_ws / doc["path"]
    assert json.loads((bundle / "bundle.json").read_text()) == doc
    assert (bundle / "out.txt").read_text() == "hi"
    count_log = bundle / doc["commands"][1]["stdout"]
    assert count_log.read_text() == "7\n"
    assert [(v, t) for v, t, _ in seen] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    messages = [m or "" for _, _, m in seen]
    assert messages[0] == "[1/2] hello: started"
    assert messages[1].startswith("[1/2] hello: exit 0")
    assert messages[2] == "[2/2] count: started"
    assert messages[3].startswith("[2/2] count: exit 0")


def test_refusals_are_tool_errors_with_the_cli_text(mcp_ws: Path, mcp_session: Session) -> None:
    done = {"item": "DEMO-001", "result": "success", "summary": "x", "task": "A1", "state": "done"}

    async def go() -> list[Any]:
        async with mcp_session(["mcp"], mcp_ws) as s:
            return [
                await s.call_tool("dispatch", {"names": ["nope"]}),
                await s.call_tool("record_attempt", {"item": "DEMO-001"}),
                await s.call_tool(
                    "record_attempt", {"item": "DEMO-001", "result": "great", "summary": "x"}
                ),
                await s.call_tool("dispatch", {"names": "hello"}),
                await s.call_tool("record_attempt", done),
            ]

    unknown, missing, bad_value, bad_type, no_evidence = anyio.run(go)
    cli = _cli(mcp_ws, "dispatch", "nope")
    assert cli.returncode == 1
    assert unknown.is_error
    assert f"error: {_text(unknown)}\n" == cli.stderr
    assert "use one of: count, hello" in _text(unknown)

    assert missing.is_error
    assert _text(missing) == (
        "record_attempt: missing argument 'result'; missing argument 'summary' — see the "
        "tool's input schema"
    )
    assert bad_value.is_error
    assert _text(bad_value) == (
        "record_attempt: argument 'result': Input should be 'success', 'partial', 'failed' or "
        "'blocked' (got 'great') — see the tool's input schema"
    )
    assert bad_type.is_error
    assert _text(bad_type).startswith(
        "dispatch: argument 'names': Input should be a valid list (got 'hello')"
    )

    cli = _cli(mcp_ws, "record-attempt", "DEMO-001", "--result", "success", "--summary", "x",
               "--task", "A1", "--state", "done")  # fmt: skip
    assert cli.returncode == 1
    assert no_evidence.is_error
    assert f"error: {_text(no_evidence)}\n" == cli.stderr
    # nothing was written by the refused calls
    assert (mcp_ws / LEDGER).read_text().count("Attempt #") == 1
    assert not (mcp_ws / "reports").exists()


def test_lint_returns_the_cli_json(mcp_ws: Path, mcp_session: Session) -> None:
    async def go() -> list[Any]:
        async with mcp_session(["mcp"], mcp_ws) as s:
            return [
                await s.call_tool("lint", {}),
                await s.call_tool("lint", {"paths": [LEDGER]}),
            ]

    full, one = anyio.run(go)
    assert _text(full) == _cli(mcp_ws, "lint", "--json").stdout
    assert _text(one) == _cli(mcp_ws, "lint", "--json", str(mcp_ws / LEDGER)).stdout
    assert one.structured_content["files"] == [LEDGER]


def test_no_workspace_is_the_usual_error(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "supervisor.cli.main", "mcp"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.startswith(f"error: no supervisor.yaml found in {tmp_path.resolve()}")
    assert "Traceback" not in r.stderr


PROBE = """
import json, sys
from pathlib import Path
import anyio
from supervisor.mcpserver import build
server = build(Path(sys.argv[1]))
async def go():
    for name, args in (("next", {}), ("status", {}), ("lint", {})):
        await server.call_tool(name, args)
anyio.run(go)
print(json.dumps([m for m in ("torch", "numpy", "matplotlib") if m in sys.modules]))
"""


def test_serving_never_imports_torch(mcp_ws: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-c", PROBE, str(mcp_ws)],
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == []
