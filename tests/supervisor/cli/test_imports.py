"""Performance is a feature: supervisor commands never import torch, and the brief's hot
path does not load GitPython, numpy, markdown-it on a cache hit, or the other commands'
libraries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import contextlib, io, json, sys
from supervisor.cli.main import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main(sys.argv[1:])
heavy = ["torch", "git", "numpy", "matplotlib", "rich", "markdown_it", "jinja2", "yaml"]
print(json.dumps({"code": code, "loaded": [m for m in heavy if m in sys.modules]}))
"""


def _loaded(args: list[str], cwd: Path, cache: bool = False) -> tuple[int, list[str]]:
    env = {"PATH": "/usr/bin:/bin", "SUPERVISOR_NO_CACHE": "" if cache else "1"}
    r = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    doc = json.loads(r.stdout)
    return doc["code"], doc["loaded"]


@pytest.mark.parametrize(
    ("args", "allowed"),
    [
        (["next"], {"markdown_it", "jinja2", "yaml"}),
        (["next", "--json"], {"markdown_it", "jinja2", "yaml"}),
        (["status"], {"markdown_it", "yaml"}),
        (["lint"], {"markdown_it", "yaml"}),
        (["dispatch", "pix0-trace", "--dry-run"], {"markdown_it", "yaml"}),
    ],
)
def test_commands_load_only_what_they_need(
    demo_ws: Path, args: list[str], allowed: set[str]
) -> None:
    code, loaded = _loaded(args, demo_ws)
    assert code == 0
    assert "torch" not in loaded
    assert set(loaded) <= allowed, loaded


def test_cache_hit_loads_no_parser_or_template_engine(demo_ws: Path) -> None:
    assert _loaded(["next"], demo_ws, cache=True)[0] == 0  # fills the cache
    code, loaded = _loaded(["next"], demo_ws, cache=True)
    assert (code, loaded) == (0, [])
