"""The registry: command selection, typed `k=v` checks (each refusal's exact message), argv
rendering, and the command list shared by `dispatch --focus` and the brief."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from supervisor.config import Config, load_config
from supervisor.dispatch.registry import check_values, render, select, split_args, task_commands
from supervisor.errors import NotFoundError, UsageError
from supervisor.model import Span, Task, TaskState


def _config(ws: Path) -> Config:
    return load_config(ws)


def _values(ws: Path, names: list[str], pairs: list[str]) -> list[dict[str, str]]:
    cfg = _config(ws)
    _, kv = split_args(pairs)
    return check_values(select(cfg, names), kv, ws)


def test_defaults_and_rendering(mini_ws: Path) -> None:
    cfg = _config(mini_ws)
    (spec,) = select(cfg, ["args"])
    (values,) = check_values([spec], [], mini_ws)
    assert values == {
        "n": "3", "x": "0.5", "mode": "fast", "target": "docs", "verbose": "false", "name": "plain",
    }  # fmt: skip
    builtins = {"out": "reports/X/phase_a/S", "workspace": str(mini_ws), "python": sys.executable,
                "stamp": "S"}  # fmt: skip
    inv = render(spec, values, builtins, cfg)
    # argv[0] is resolved to an executable; the flag word is dropped when false
    assert inv.argv[1:] == ("-c", spec.argv[2], "3", "0.5", "fast", "docs", "--name=plain", "lit=S")
    assert Path(inv.argv[0]).is_absolute()
    assert inv.env == (("MINI_GLOBAL", "g"),)
    on = render(spec, {**values, "verbose": "true"}, builtins, cfg)
    assert on.argv[7] == "--verbose"


def test_given_values_are_normalized(mini_ws: Path) -> None:
    (values,) = _values(
        mini_ws,
        ["args"],
        ["n=+7", "x=1e-3", "mode=slow", "target=./docs/../plans/x.md", "verbose=YES", "name=a b"],
    )
    assert values == {
        "n": "7", "x": "1e-3", "mode": "slow", "target": "plans/x.md", "verbose": "true",
        "name": "a b",
    }  # fmt: skip
    (dash,) = _values(mini_ws, ["args"], ["target=-rf"])
    assert dash["target"] == "./-rf"  # never read as an option


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("n=abc", "args: n='abc' is not an int — use a whole number, e.g. n=3"),
        ("n=1.5", "args: n='1.5' is not an int — use a whole number, e.g. n=3"),
        (
            "n=$(touch pwned)",
            "args: n='$(touch pwned)' is not an int — use a whole number, e.g. n=3",
        ),
        ("x=nan", "args: x='nan' is not a finite number — use a number, e.g. x=0.5"),
        ("x=1;rm -rf /", "args: x='1;rm -rf /' is not a finite number — use a number, e.g. x=0.5"),
        ("mode=medium", "args: mode='medium' is not a valid choice — use one of: fast, slow"),
        (
            "verbose=maybe",
            "args: verbose='maybe' is not a flag value — use one of: 0, 1, false, no, off, on, true, yes",
        ),
        (
            "target=../outside",
            "args: target='../outside' is outside the workspace (resolves to {ws.parent}/outside)"
            " — use a path inside {ws}",
        ),
        (
            "target=/etc/passwd",
            "args: target='/etc/passwd' is outside the workspace (resolves to /etc/passwd)"
            " — use a path inside {ws}",
        ),
        ("target=", "args: target='' is empty — pass a path inside the workspace"),
        (
            "name=--rm",
            "args: name='--rm' starts with '-' and could be read as an option — pass a value that does not start with '-'",
        ),
        ("name=a\nb", "args: name contains a control character — pass text"),
        (
            "nope=1",
            "unknown parameter 'nope' for args — use one of: mode, n, name, target, verbose, x",
        ),
    ],
)
def test_bad_values_are_refused_with_the_valid_options(
    mini_ws: Path, pair: str, message: str
) -> None:
    with pytest.raises(UsageError) as err:
        _values(mini_ws, ["args"], [pair])
    assert str(err.value) == message.format(ws=mini_ws.resolve())


def test_symlink_escaping_the_workspace_is_refused(mini_ws: Path, tmp_path: Path) -> None:
    (mini_ws / "link").symlink_to(tmp_path)
    with pytest.raises(UsageError, match=r"target='link/x' is outside the workspace"):
        _values(mini_ws, ["args"], ["target=link/x"])


def test_missing_required_and_repeated(mini_ws: Path) -> None:
    with pytest.raises(UsageError) as err:
        _values(mini_ws, ["need"], [])
    assert str(err.value) == "need: missing parameter k (the k) — pass k=<int>, e.g. k=128"
    with pytest.raises(UsageError) as err:
        _values(mini_ws, ["need"], ["k=1", "k=2"])
    assert str(err.value) == "parameter 'k' given twice — give each parameter once"
    with pytest.raises(UsageError) as err:
        _values(mini_ws, ["fail"], ["k=1"])
    assert str(err.value) == "unknown parameter 'k' for fail — fail takes no parameters"
    with pytest.raises(UsageError) as err:
        split_args(["=1"])
    assert str(err.value) == "'=1' has no parameter name — write name=value"


def test_unknown_and_repeated_commands(mini_ws: Path) -> None:
    cfg = _config(mini_ws)
    with pytest.raises(NotFoundError) as err:
        select(cfg, ["helo"])
    assert str(err.value) == (
        "supervisor.yaml: no command 'helo' in the registry — did you mean hello? use one of: "
        "args, daemon, diverge, envcheck, fail, hang, hello, need, slow, spawn"
    )
    with pytest.raises(NotFoundError) as err:
        select(cfg, ["rm"])
    assert str(err.value) == (
        "supervisor.yaml: no command 'rm' in the registry — use one of: "
        "args, daemon, diverge, envcheck, fail, hang, hello, need, slow, spawn"
    )
    with pytest.raises(UsageError, match="command 'hello' named twice"):
        select(cfg, ["hello", "hello"])


def test_missing_executable_is_refused_before_anything_runs(tmp_path: Path) -> None:
    (tmp_path / "supervisor.yaml").write_text(
        "version: 1\ncommands:\n  ghost:\n    argv: [no-such-tool-xyz, run]\n", encoding="utf-8"
    )
    cfg = load_config(tmp_path)
    (spec,) = select(cfg, ["ghost"])
    with pytest.raises(NotFoundError) as err:
        render(spec, {}, {}, cfg)
    assert str(err.value) == (
        "supervisor.yaml:3: command 'ghost': executable 'no-such-tool-xyz' not found — install "
        "it, or fix the command's argv in supervisor.yaml"
    )


def test_bare_names_resolve_beside_the_interpreter(repo_root: Path) -> None:
    cfg = load_config(repo_root)
    spec = cfg.command("trace-spec")
    assert spec is not None
    inv = render(spec, {"s": "1", "f": "2"}, {"out": "o", "stamp": "S"}, cfg)
    assert inv.argv[0] == str(Path(sys.executable).parent / "sim")


def _task(text: str) -> Task:
    return Task("A1", text, TaskState.NOT_STARTED, "[ ]", "", "A", Span("p.md", 1, 1))


def test_task_commands_in_registry_order(repo_root: Path) -> None:
    cfg = load_config(repo_root)
    names = [c.name for c in task_commands(cfg, _task("run trace-diff after trace-spec; rm -rf"))]
    assert names == ["trace-spec", "trace-diff"]
    assert task_commands(cfg, None) == []
    assert task_commands(cfg, _task("`$(trace-spec)` {{ trace-cparity }}"))[0].name == "trace-spec"
