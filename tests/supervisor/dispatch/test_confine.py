"""Issue 15, paths: one confinement function for every path that enters (dispatch parameters,
config paths, bundle directories, written files). Symlinks are resolved before ``..``, what
leaves the workspace is refused, and the path passed on is the one that was checked."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from supervisor.confine import OutsideWorkspace, confine, resolve_inside
from supervisor.errors import UsageError

Run = Callable[..., CompletedProcess[str]]

CAT = """
commands:
  show:
    argv: ["{python}", -c, "import sys; print(sys.argv[1]); print(open(sys.argv[1]).read())", "{p}"]
    params:
      p: {type: path, required: true}
"""


def _secret(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "hostname"
    secret.parent.mkdir()
    secret.write_text(f"SECRET-{socket.gethostname()}\n")
    return secret


def _trap(ws: Path, secret: Path) -> None:
    """``inlink -> reports/sub`` and ``secret -> <outside file>`` (the issue's layout)."""
    (ws / "reports" / "sub").mkdir(parents=True)
    (ws / "inlink").symlink_to("reports/sub")
    (ws / "secret").symlink_to(secret)


def test_symlink_then_dotdot_is_judged_where_it_lands(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    _trap(ws, _secret(tmp_path))
    got = resolve_inside(ws, "inlink/../secret")  # inlink/.. is reports, not the root
    assert got.rel == "reports/secret"
    assert got.path == ws.resolve() / "reports" / "secret"
    with pytest.raises(OutsideWorkspace, match=r"resolves to .*/outside/hostname"):
        resolve_inside(ws, "secret")
    with pytest.raises(OutsideWorkspace, match=r"resolves to .*/outside/hostname"):
        resolve_inside(ws, "inlink/../../secret")
    with pytest.raises(UsageError) as err:
        confine(ws, "../x", what="p='../x'", path="cfg", line=3)
    assert str(err.value) == (
        f"cfg:3: p='../x' is outside the workspace (resolves to {tmp_path.resolve()}/x)"
        f" — use a path inside {ws.resolve()}"
    )


def test_symlink_loop_is_refused_not_crashed(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    try:
        got = resolve_inside(tmp_path, "a/x")
    except OutsideWorkspace:
        return
    assert got.path.is_relative_to(tmp_path.resolve())


def test_dispatch_runs_on_the_checked_path(mini_ws: Path, tmp_path: Path, run_cli: Run) -> None:
    secret = _secret(tmp_path)
    _trap(mini_ws, secret)
    cfg = mini_ws / "supervisor.yaml"
    cfg.write_text(cfg.read_text() + CAT.replace("commands:\n", ""), encoding="utf-8")
    r = run_cli(["dispatch", "show", "p=inlink/../secret", "--item", "DEMO-001"], mini_ws)
    bundle = mini_ws / r.stdout.strip()
    logs = "".join(p.read_text() for p in bundle.glob("show.*.log"))
    assert "SECRET-" not in logs  # the outside file was never read
    doc = json.loads((bundle / "bundle.json").read_text())
    assert doc["commands"][0]["argv"][-1] == "reports/secret"  # exactly the checked path
    assert logs.startswith("reports/secret\n")
    r = run_cli(["dispatch", "show", "p=secret", "--item", "DEMO-001"], mini_ws)
    assert r.returncode == 1
    assert r.stderr == (
        f"error: show: p='secret' is outside the workspace (resolves to {secret.resolve()})"
        f" — use a path inside {mini_ws.resolve()}\n"
    )


def test_symlinked_item_directory_cannot_send_a_bundle_outside(
    mini_ws: Path, tmp_path: Path, run_cli: Run
) -> None:
    away = tmp_path / "away"
    away.mkdir()
    (mini_ws / "reports").mkdir()
    (mini_ws / "reports" / "DEMO-001").symlink_to(away)
    r = run_cli(["dispatch", "hello", "--item", "DEMO-001", "--phase", "A"], mini_ws)
    assert r.returncode == 1
    assert r.stderr == (
        "error: the bundle directory "
        f"reports/DEMO-001/phase_a is outside the workspace (resolves to {away.resolve()}/phase_a)"
        " — evidence bundles must stay inside the workspace; remove the symlink that leads out\n"
    )
    assert list(away.iterdir()) == []


@pytest.mark.parametrize(
    ("key", "section", "line"),
    [("ledger", "paths", 3), ("brief", "paths", 3), ("reports", "paths", 3),
     ("plans", "paths", 3), ("state", "loop", 3), ("logs", "loop", 3)],
)  # fmt: skip
@pytest.mark.parametrize("how", ["absolute", "dotdot", "symlink"])
def test_config_paths_outside_the_workspace_are_refused(
    tmp_path: Path, run_cli: Run, key: str, section: str, line: int, how: str
) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    away = tmp_path / "away"
    away.mkdir()
    if how == "symlink":
        (ws / "out").symlink_to(away)
        value = "out/x"
    else:
        value = f"{away}/x" if how == "absolute" else "../away/x"
    (ws / "supervisor.yaml").write_text(f"version: 1\n{section}:\n  {key}: {value}\n")
    r = run_cli(["status"], ws)
    assert r.returncode == 1
    example = {"state": "sync/state.json", "logs": "logs"}.get(key) or {
        "ledger": "docs/fix_plan.md", "brief": "input.md", "reports": "reports",
        "plans": "plans/active",
    }[key]  # fmt: skip
    resolved = f" (resolves to {away.resolve()}/x)" if how == "symlink" else ""
    assert r.stderr == (
        f"error: supervisor.yaml:{line}: '{section}.{key}' must be a path inside the"
        f" workspace{resolved} — e.g. {key}: {example}\n"
    )


def test_ledger_symlinked_outside_is_never_rewritten(
    demo_ws: Path, tmp_path: Path, run_cli: Run
) -> None:
    """With the default ledger path (not in supervisor.yaml), the write itself is confined."""
    outside = tmp_path / "elsewhere.md"
    ledger = demo_ws / "docs" / "fix_plan.md"
    outside.write_bytes(ledger.read_bytes())
    ledger.unlink()
    ledger.symlink_to(outside)
    cfg = demo_ws / "supervisor.yaml"
    cfg.write_text(cfg.read_text().replace("  ledger: docs/fix_plan.md\n", ""))
    before = outside.read_bytes()
    args = ["DETECTOR-PARITY-001", "--result", "partial", "--summary", "s"]
    r = run_cli(["record-attempt", *args], demo_ws, env={"SUPERVISOR_DATE": "2026-02-03"})
    assert r.returncode == 1
    assert r.stderr == (
        f"error: docs/fix_plan.md: the file is outside the workspace (resolves to {outside})"
        " — keep the file (and any symlink target) inside the workspace\n"
    )
    assert outside.read_bytes() == before
    assert os.readlink(ledger) == str(outside)
