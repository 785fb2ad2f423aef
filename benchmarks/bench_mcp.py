"""`supervisor mcp`: the round trip of the `next` tool on a server already started, against the
CLI's whole-process `supervisor next`, side by side on the same workspace; and the server's
start-up (spawn to `initialize` answered). Also the size of the tool listing a client loads
into its context every session.

Workspace: the largest corpus ledger plus the corpus plans (as bench_next). Cold: every
input re-parsed (SUPERVISOR_NO_CACHE=1, for the server and the CLI alike); warm: the
content-hash cache hit. Medians of N runs. Results: benchmarks/results/mcp.json.

    python -m benchmarks.bench_mcp [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._common import stats, supervisor_cli, time_once
from benchmarks.bench_next import LEDGER, corpus_workspace

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "mcp.json"


async def _server(ws: Path, env: dict[str, str], runs: int) -> dict[str, Any]:
    """Start-up and `next` round trips against one server process."""
    from mcp.client import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(
        command=supervisor_cli()[0],
        args=[*supervisor_cli()[1:], "-C", str(ws), "mcp"],
        env={**os.environ, **env},
    )
    t = time.perf_counter()
    with open(os.devnull, "w") as errlog:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            startup = time.perf_counter() - t
            tools = (await session.list_tools()).tools
            listing = json.dumps([t.model_dump(mode="json", exclude_none=True) for t in tools])
            samples = []
            text = ""
            for _ in range(runs):
                t = time.perf_counter()
                result = await session.call_tool("next", {})
                samples.append(time.perf_counter() - t)
                text = result.content[0].text
    return {"startup_s": startup, "next": stats(samples), "tools": len(tools),
            "listing_bytes": len(listing.encode()), "brief_bytes": len(text.encode())}  # fmt: skip


def main(argv: list[str]) -> int:
    import anyio

    ap = argparse.ArgumentParser(prog="bench_mcp")
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args(argv)
    runs = args.runs
    with tempfile.TemporaryDirectory() as tmp:
        ws = corpus_workspace(Path(tmp) / "ws")
        cold_env = {"SUPERVISOR_NO_CACHE": "1"}
        warm_env = {"SUPERVISOR_NO_CACHE": ""}
        cli = [*supervisor_cli(), "-C", str(ws), "next"]
        time_once(cli, ws, warm_env)  # fill the cache
        startups = []
        cold = warm = None
        for k in range(5):  # start-up: 5 fresh servers; the last two also measure next
            env = cold_env if k % 2 else warm_env
            doc = anyio.run(_server, ws, env, runs if k >= 3 else 1)
            startups.append(doc["startup_s"])
            if k == 3:
                cold = doc
            if k == 4:
                warm = doc
        assert cold is not None and warm is not None
        cli_cold = stats([time_once(cli, ws, cold_env) for _ in range(runs)])
        cli_warm = stats([time_once(cli, ws, warm_env) for _ in range(runs)])
    result = {
        "benchmark": "mcp",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "ledger": {"file": LEDGER.name, "bytes": LEDGER.stat().st_size},
        "server_startup": stats(startups),
        "tools": warm["tools"],
        "tool_listing_bytes": warm["listing_bytes"],
        "mcp_next_cold": cold["next"],
        "mcp_next_warm": warm["next"],
        "cli_next_cold": cli_cold,
        "cli_next_warm": cli_warm,
        "ratio_cold": round(cli_cold["median_s"] / cold["next"]["median_s"], 2),
        "ratio_warm": round(cli_warm["median_s"] / warm["next"]["median_s"], 2),
        "runs": runs,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
