"""supervisor.yaml: discovery, validation with path:line errors, unknown-key warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

from supervisor.config import find_config, load_config, parse_config
from supervisor.errors import ConfigError

GOOD = """\
version: 1
project: demo
branch: feature/x
paths:
  ledger: docs/ledger.md
priorities: [P0, P1]
statuses:
  active: [open]
  blocked: [stuck]
  done: [closed]
selection:
  stall_window: 5
brief:
  default_mode: Docs
env:
  A: "1"
  B: true
pitfalls: [Do not guess.]
commands:
  trace:
    help: one pixel
    argv: [sim, trace, --pixel, "{s}", "{f}", --out, "{out}/t.log"]
    params:
      s: int
      f: {type: int, default: 3}
      mode: {type: choice, choices: [spec, c-parity], default: spec}
    timeout: 30
    outputs: [t.log]
"""


def _parse(text: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "supervisor.yaml"
    path.write_text(text, encoding="utf-8")
    return parse_config(text, path)


def test_valid_config(tmp_path: Path) -> None:
    cfg = _parse(GOOD, tmp_path)
    assert cfg.root == tmp_path and cfg.branch == "feature/x" and cfg.project == "demo"
    assert cfg.paths.ledger == "docs/ledger.md" and cfg.paths.plans == "plans/active"
    assert cfg.priorities == ("P0", "P1")
    assert cfg.statuses.kind("OPEN") == "active" and cfg.statuses.kind("closed") == "done"
    assert cfg.stall_window == 5 and cfg.default_mode == "Docs" and cfg.stall_mode == "Evidence"
    assert cfg.env == (("A", "1"), ("B", "true"))
    trace = cfg.command("trace")
    assert trace is not None and trace.line == 20 and trace.timeout == 30.0
    assert trace.argv[:2] == ("sim", "trace") and trace.outputs == ("t.log",)
    assert [(p.name, p.type, p.default, p.choices) for p in trace.params] == [
        ("s", "int", None, ()),
        ("f", "int", 3, ()),
        ("mode", "choice", "spec", ("spec", "c-parity")),
    ]
    assert cfg.warnings == ()


def test_found_by_walking_up(tmp_path: Path) -> None:
    (tmp_path / "supervisor.yaml").write_text("version: 1\n", encoding="utf-8")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) == tmp_path / "supervisor.yaml"
    assert load_config(deep).root == tmp_path


def test_missing(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no supervisor\.yaml found in"):
        find_config(tmp_path)


def test_unknown_keys_warn_with_line(tmp_path: Path) -> None:
    cfg = _parse("version: 1\nbogus: 1\npaths:\n  ledgr: x.md\n", tmp_path)
    assert cfg.warnings[0].startswith(
        "supervisor.yaml:2: unknown key 'bogus' (ignored) — use one of:"
    )
    assert cfg.warnings[1].startswith("supervisor.yaml:4: unknown key 'ledgr' in 'paths' (ignored)")
    assert "ledger" in cfg.warnings[1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 2\n", "supervisor.yaml:1: 'version' unsupported version — use version: 1"),
        ("version: 1\nbranch: [a]\n", "supervisor.yaml:2: 'branch' expected a string, got a list"),
        (
            "version: 1\nselection:\n  stall_window: 0\n",
            "supervisor.yaml:3: 'selection.stall_window' must be at least 1, got 0",
        ),
        ("version: 1\npriorities: []\n", "supervisor.yaml:2: 'priorities' must not be empty"),
        ("version: 1\nversion: 1\n", "supervisor.yaml:2: duplicate key 'version'"),
        ("version: 1\npaths: x\n", "supervisor.yaml:2: 'paths' expected a mapping, got a scalar"),
        ("version: [1\n", "supervisor.yaml:2: invalid YAML"),
        ("", "supervisor.yaml:1: empty configuration — add at least 'version: 1'"),
        (
            "version: 1\ncommands:\n  t:\n    argv: [echo, '{x}']\n",
            "supervisor.yaml:4: 'commands.t.argv' placeholder '{x}' is not a declared parameter",
        ),
        (
            "version: 1\ncommands:\n  t:\n    argv: [echo]\n    params:\n      p: {type: date}\n",
            "supervisor.yaml:6: 'commands.t.params.p' unknown parameter type 'date' — use one of: choice, flag, float, int, path, str",
        ),
        (
            "version: 1\ncommands:\n  t:\n    help: x\n",
            "supervisor.yaml:4: 'commands.t' missing 'argv'",
        ),
        (
            "version: 1\ncommands:\n  Bad Name:\n    argv: [x]\n",
            "supervisor.yaml:4: 'commands.Bad Name' bad command name",
        ),
        (
            "version: 1\ncommands:\n  t:\n    argv: [x]\n    shell: true\n",
            "supervisor.yaml:5: unknown key 'shell' in command 't' — use one of: argv, env, help, ok_exit, outputs, params, timeout",
        ),
    ],
)
def test_errors_carry_path_and_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        _parse(text, tmp_path)
    assert str(exc.value).startswith(message)


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "supervisor.yaml").write_bytes(b"version: 1\nproject: \xff\n")
    with pytest.raises(ConfigError, match=r"supervisor.yaml: not valid UTF-8 \(byte 20\)"):
        load_config(tmp_path)
