"""The `loop:` section of supervisor.yaml: defaults, values, unknown keys (warnings with
path:line) and invalid values (errors with path:line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from supervisor.config import LoopConfig, parse_config
from supervisor.errors import ConfigError

BASE = "version: 1\nloop:\n"


def _parse(body: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    return parse_config(BASE + body, tmp_path / "supervisor.yaml")


def test_defaults(tmp_path: Path) -> None:
    cfg = parse_config("version: 1\n", tmp_path / "supervisor.yaml")
    assert cfg.loop == LoopConfig()
    loop = cfg.loop
    assert loop.agent == () and loop.iterations == 1 and loop.timeout == 3600.0
    assert loop.lease_seconds == 600.0
    assert (loop.stall_iterations, loop.stall_escalate) == (3, "mode")
    assert loop.whitelist is None and loop.evidence_allow == ("reports/**",)
    assert (loop.evidence_max_file_kb, loop.evidence_max_turn_kb) == (1024, 8192)
    assert (loop.logs, loop.state, loop.remote) == ("logs", "sync/state.json", "origin")


def test_full_section(tmp_path: Path) -> None:
    cfg = _parse(
        "  agent: [codex, exec, --full-auto]\n"
        "  iterations: 20\n"
        "  timeout: 1800\n"
        "  lease_seconds: 120.5\n"
        "  stall: {iterations: 4, escalate: block}\n"
        "  whitelist: [input.md, docs/**, plans/**]\n"
        "  evidence: {allow: ['reports/**/*.json', 'reports/**/*.md'], max_file_kb: 64,"
        " max_turn_kb: 512}\n"
        "  logs: var/logs\n"
        "  state: sync/loop.json\n"
        "  remote: upstream\n",
        tmp_path,
    )
    assert cfg.loop == LoopConfig(
        agent=("codex", "exec", "--full-auto"),
        iterations=20,
        timeout=1800.0,
        lease_seconds=120.5,
        stall_iterations=4,
        stall_escalate="block",
        whitelist=("input.md", "docs/**", "plans/**"),
        evidence_allow=("reports/**/*.json", "reports/**/*.md"),
        evidence_max_file_kb=64,
        evidence_max_turn_kb=512,
        logs="var/logs",
        state="sync/loop.json",
        remote="upstream",
    )
    assert cfg.warnings == ()


def test_unknown_keys_warn(tmp_path: Path) -> None:
    cfg = _parse(
        "  iterations: 2\n  colour: red\n  stall:\n    window: 3\n  evidence:\n    cap: 1\n",
        tmp_path,
    )
    assert cfg.loop.iterations == 2
    assert cfg.warnings == (
        "supervisor.yaml:4: unknown key 'colour' in 'loop' (ignored) — use one of: agent, agents, "
        "evidence, iterations, lease_seconds, logs, remote, stall, state, timeout, whitelist",
        "supervisor.yaml:6: unknown key 'window' in 'loop.stall' (ignored) — use one of: "
        "escalate, iterations",
        "supervisor.yaml:8: unknown key 'cap' in 'loop.evidence' (ignored) — use one of: "
        "allow, max_file_kb, max_turn_kb",
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("  agent: []\n", "supervisor.yaml:3: 'loop.agent' must not be empty"),
        ("  agent: codex exec\n", "supervisor.yaml:3: 'loop.agent' expected a list, got a scalar"),
        ("  iterations: 0\n", "supervisor.yaml:3: 'loop.iterations' must be at least 1, got 0"),
        (
            "  timeout: -5\n",
            "supervisor.yaml:3: 'loop.timeout' must be a positive number of seconds",
        ),
        (
            "  lease_seconds: .nan\n",
            "supervisor.yaml:3: 'loop.lease_seconds' must be a finite number of seconds, got nan",
        ),
        (
            "  lease_seconds: .inf\n",
            "supervisor.yaml:3: 'loop.lease_seconds' must be a finite number of seconds, got inf",
        ),
        (
            "  timeout: -.inf\n",
            "supervisor.yaml:3: 'loop.timeout' must be a finite number of seconds, got -inf",
        ),
        (
            "  timeout: 1.0e+12\n",
            "supervisor.yaml:3: 'loop.timeout' must be at most 2592000 seconds (30 days), got 1e+12",
        ),
        (
            "  lease_seconds: soon\n",
            "supervisor.yaml:3: 'loop.lease_seconds' expected a number, got 'soon'",
        ),
        (
            "  stall:\n    escalate: panic\n",
            "supervisor.yaml:4: 'loop.stall.escalate' unknown escalation 'panic' — use one of: "
            "block, mode, next",
        ),
        (
            "  stall:\n    iterations: 0\n",
            "supervisor.yaml:4: 'loop.stall.iterations' must be at least 1, got 0",
        ),
        (
            "  evidence:\n    max_file_kb: 0\n",
            "supervisor.yaml:4: 'loop.evidence.max_file_kb' must be at least 1, got 0",
        ),
        (
            "  logs: /var/log/loop\n",
            "supervisor.yaml:3: 'loop.logs' must be a path inside the workspace — e.g. logs: logs",
        ),
        (
            "  state: ../state.json\n",
            "supervisor.yaml:3: 'loop.state' must be a path inside the workspace — e.g. state: "
            "sync/state.json",
        ),
        ("  remote: ''\n", "supervisor.yaml:3: 'loop.remote' must not be empty"),
    ],
)
def test_invalid_values(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        _parse(body, tmp_path)
    assert str(err.value) == message


def test_repository_config_has_a_loop_section(repo_root: Path) -> None:
    from supervisor.config import load_config

    cfg = load_config(repo_root)
    assert cfg.warnings == ()
    assert cfg.loop == LoopConfig()  # the defaults, written out for people to adjust
