"""`supervisor dispatch` end to end, as a real subprocess: bundles, SHA256SUMS, --focus,
--dry-run, --json, failures, timeouts (process group killed), Ctrl-C, and injection attempts."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest

Run = Callable[..., CompletedProcess[str]]
STAMP = re.compile(r"^\d{8}T\d{6}Z(?:-\d+)?$")
BUNDLE_KEYS = [
    "schema_version", "kind", "status", "item", "phase", "task", "stamp", "path", "cwd",
    "started_at", "finished_at", "duration_s", "git", "commands",
]  # fmt: skip
COMMAND_KEYS = [
    "name", "argv", "params", "env", "timeout_s", "ok_exit", "status", "exit_code", "duration_s", "stdout",
    "stderr", "outputs", "error",
]  # fmt: skip


def _files(ws: Path) -> list[str]:
    return sorted(
        p.relative_to(ws).as_posix() for p in ws.rglob("*") if ".supervisor" not in p.parts
    )


def test_focus_dispatch_of_the_repository_registry_runs_sim_trace(
    repo_ws: Path, run_cli: Run, only_bundle: Any, sums_ok: Any, bundle_doc: Any
) -> None:
    r = run_cli(["dispatch", "--focus"], repo_ws)
    assert r.returncode == 0, r.stderr
    bundle = only_bundle(repo_ws)
    rel = bundle.relative_to(repo_ws).as_posix()
    assert r.stdout == rel + "\n"
    assert rel.startswith("reports/PHI-PARITY-001/phase_a/")
    assert STAMP.match(bundle.name)
    lines = r.stderr.splitlines()
    assert lines[0] == "[1/2] trace-spec: started"
    assert re.fullmatch(r"\[1/2\] trace-spec: exit 0 in \d+\.\d\d s", lines[1])
    assert lines[2] == "[2/2] trace-cparity: started"
    assert lines[-1] == f"bundle {rel}: ok"
    assert sorted(p.name for p in bundle.iterdir()) == [
        "SHA256SUMS", "bundle.json", "commands.txt", "env.json", "summary.md",
        "trace-cparity.stderr.log", "trace-cparity.stdout.log", "trace-spec.stderr.log",
        "trace-spec.stdout.log", "trace_cparity.log", "trace_spec.log",
    ]  # fmt: skip
    checked = sums_ok(bundle)
    assert "trace_spec.log: OK" in checked
    doc = bundle_doc(bundle)
    assert list(doc) == BUNDLE_KEYS
    assert (doc["kind"], doc["status"], doc["item"], doc["phase"], doc["task"]) == (
        "bundle", "ok", "PHI-PARITY-001", "A", "A1",
    )  # fmt: skip
    assert [c["name"] for c in doc["commands"]] == ["trace-spec", "trace-cparity"]
    spec = doc["commands"][0]
    assert list(spec) == COMMAND_KEYS
    assert spec["argv"][1:8] == [
        "trace",
        "--pixel",
        "67",
        "128",
        "--dtype",
        "float64",
        "--phi-mode",
    ]
    assert spec["argv"][9:11] == ["--out", f"{rel}/trace_spec.log"]
    assert (spec["exit_code"], spec["status"], spec["params"]) == (
        0,
        "ok",
        {"s": "67", "f": "128"},
    )
    assert spec["outputs"] == [{"path": "trace_spec.log", "exists": True}]
    trace = (bundle / "trace_spec.log").read_text()
    assert trace.startswith("TRACE_PY: ")
    assert "phi_tic=" in trace
    env = json.loads((bundle / "env.json").read_text())
    assert env["kind"] == "env"
    assert env["torch"]["version"].startswith("2.")
    assert env["torch"]["device"]["default_device"] in ("cpu", "cuda", "mps")
    assert env["env_overrides"] == {"OMP_NUM_THREADS": "2"}
    assert env["git"] is None  # the temp copy is not a git repository
    commands = (bundle / "commands.txt").read_text()
    assert commands.splitlines()[:3] == [
        f"# supervisor dispatch: {rel}",
        f"# STAMP: {bundle.name}",
        f"# cwd: {repo_ws}",
    ]
    assert "# env: OMP_NUM_THREADS=2" in commands
    assert f" --out {rel}/trace_cparity.log " in commands


def test_bundle_files_and_json_contract(
    mini_ws: Path, run_cli: Run, only_bundle: Any, sums_ok: Any
) -> None:
    r = run_cli(["dispatch", "hello", "envcheck", "--json"], mini_ws)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert list(doc) == BUNDLE_KEYS
    bundle = only_bundle(mini_ws)
    on_disk = json.loads((bundle / "bundle.json").read_text())
    assert doc == on_disk
    assert (doc["item"], doc["phase"], doc["task"]) == ("DEMO-001", "A", "A1")
    assert [c["status"] for c in doc["commands"]] == ["ok", "ok"]
    assert (bundle / "out.txt").read_text() == "hi"
    assert (bundle / "hello.stdout.log").read_text() == f"hello {doc['path']}\n"
    assert (bundle / "envcheck.stdout.log").read_text() == f"g in {doc['path']}\n"
    assert doc["commands"][1]["env"] == {"MINI_GLOBAL": "g", "MINI_LOCAL": f"in {doc['path']}"}
    listed = sorted(
        line.split("  ", 1)[1] for line in (bundle / "SHA256SUMS").read_text().splitlines()
    )
    assert listed == sorted(p.name for p in bundle.iterdir() if p.name != "SHA256SUMS")
    sums_ok(bundle)


def test_item_and_phase_choose_the_location(mini_ws: Path, run_cli: Run, only_bundle: Any) -> None:
    r = run_cli(["dispatch", "hello", "--item", "other-002", "--phase", "Phase Q"], mini_ws)
    assert r.returncode == 0, r.stderr
    assert (
        only_bundle(mini_ws).parent.relative_to(mini_ws).as_posix() == "reports/OTHER-002/phase_q"
    )
    r = run_cli(["dispatch", "hello", "--phase", "q"], mini_ws)
    assert r.returncode == 1
    assert r.stderr == (
        "error: plans/active/demo/plan.md: [DEMO-001]'s plan has no phase q — use one of: A, B\n"
    )
    r = run_cli(["dispatch", "hello", "--phase", "b"], mini_ws)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("reports/DEMO-001/phase_b/")


def test_dry_run_prints_the_exact_argv_and_creates_nothing(mini_ws: Path, run_cli: Run) -> None:
    before = _files(mini_ws)
    r = run_cli(["dispatch", "args", "n=5", "name=a b", "--dry-run"], mini_ws)
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    m = re.fullmatch(
        r"# bundle: (reports/DEMO-001/phase_a/(\d{8}T\d{6}Z)) \(not created: --dry-run\)", out[0]
    )
    assert m is not None
    assert out[1] == f"# cwd: {mini_ws}"
    assert out[2].startswith("MINI_GLOBAL=g /")
    assert out[2].endswith(
        " -c 'import json, sys; print(json.dumps(sys.argv[1:]))' 5 0.5 fast docs '--name=a b' "
        f"lit={m.group(2)}"
    )
    assert len(out) == 3
    r = run_cli(["dispatch", "--focus", "--dry-run", "--json"], mini_ws)
    doc = json.loads(r.stdout)
    assert list(doc) == [
        "schema_version",
        "kind",
        "bundle",
        "item",
        "phase",
        "task",
        "cwd",
        "commands",
    ]
    assert (doc["kind"], doc["item"], doc["phase"], doc["task"]) == (
        "dispatch-plan",
        "DEMO-001",
        "A",
        "A1",
    )
    assert [c["name"] for c in doc["commands"]] == ["hello", "args"]
    assert list(doc["commands"][0]) == ["name", "argv", "env", "timeout_s", "outputs"]
    assert _files(mini_ws) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["dispatch"],
            "name at least one command, or pass --focus — use one of: args, daemon, diverge, envcheck, fail, hang, hello, need, slow, spawn",
        ),
        (["dispatch", "hello", "--focus"], "give command names or --focus, not both — drop one"),
        (
            ["dispatch", "--focus", "--item", "DEMO-001"],
            "--item/--phase choose the bundle location only without --focus — --focus always uses the current focus item and phase",
        ),
        (
            ["dispatch", "helo"],
            "supervisor.yaml: no command 'helo' in the registry — did you mean hello? use one of: args, daemon, diverge, envcheck, fail, hang, hello, need, slow, spawn",
        ),
        (["dispatch", "args", "n=x"], "args: n='x' is not an int — use a whole number, e.g. n=3"),
        (
            ["dispatch", "hello", "--item", "DEMO-01"],
            "docs/fix_plan.md: no item DEMO-01 in the ledger — did you mean DEMO-001?",
        ),
        (
            ["dispatch", "hello", "--phase", "../x"],
            "--phase '../x' is not a phase ID — use letters, digits, '.', '_' or '-' (e.g. --phase A or --phase M4)",
        ),
    ],
)
def test_refusals_run_nothing(mini_ws: Path, run_cli: Run, args: list[str], message: str) -> None:
    before = _files(mini_ws)
    r = run_cli(args, mini_ws)
    assert (r.returncode, r.stdout, r.stderr) == (1, "", f"error: {message}\n")
    assert _files(mini_ws) == before


def test_focus_task_without_commands(mini_ws: Path, run_cli: Run) -> None:
    plan = mini_ws / "plans" / "active" / "demo" / "plan.md"
    plan.write_text(
        plan.read_text().replace(
            "| A1 | Greet via `hello`, then `args` | [ ]", "| A1 | Greet | [D]"
        )
    )
    r = run_cli(["dispatch", "--focus"], mini_ws)
    assert r.returncode == 1
    assert r.stderr == (
        "error: focus task B1 names no registry command — name commands explicitly: supervisor "
        "dispatch NAME …; use one of: args, daemon, diverge, envcheck, fail, hang, hello, need, slow, spawn\n"
    )


def test_a_failure_stops_the_rest_unless_keep_going(
    mini_ws: Path, run_cli: Run, only_bundle: Any, bundle_doc: Any, sums_ok: Any
) -> None:
    r = run_cli(["dispatch", "fail", "hello"], mini_ws)
    assert r.returncode == 1
    bundle = only_bundle(mini_ws)
    rel = bundle.relative_to(mini_ws).as_posix()
    assert r.stderr.splitlines()[-1] == f"error: fail failed — see {rel}/summary.md"
    doc = bundle_doc(bundle)
    assert doc["status"] == "failed"
    assert [(c["name"], c["status"], c["exit_code"]) for c in doc["commands"]] == [
        ("fail", "failed", 3), ("hello", "skipped", None),
    ]  # fmt: skip
    assert (bundle / "fail.stderr.log").read_text() == "boom\n"
    assert not (bundle / "hello.stdout.log").exists()
    sums_ok(bundle)
    r = run_cli(["dispatch", "fail", "hello", "--keep-going", "--phase", "B"], mini_ws)
    assert r.returncode == 1
    doc = json.loads(
        next((mini_ws / "reports" / "DEMO-001" / "phase_b").glob("*/bundle.json")).read_text()
    )
    assert [c["status"] for c in doc["commands"]] == ["failed", "ok"]


def test_ok_exit_declares_which_codes_succeed(mini_ws: Path, run_cli: Run, bundle_doc: Any) -> None:
    r = run_cli(["dispatch", "diverge", "--phase", "A"], mini_ws)
    assert r.returncode == 0, r.stderr
    (bundle,) = (mini_ws / "reports" / "DEMO-001" / "phase_a").iterdir()
    c = bundle_doc(bundle)["commands"][0]
    assert (c["status"], c["exit_code"], c["ok_exit"]) == ("ok", 2, [0, 2])
    assert run_cli(["dispatch", "diverge", "code=1", "--phase", "B"], mini_ws).returncode == 1
    (bundle,) = (mini_ws / "reports" / "DEMO-001" / "phase_b").iterdir()
    assert bundle_doc(bundle)["commands"][0]["status"] == "failed"


def test_timeout_kills_the_whole_process_group(
    mini_ws: Path, run_cli: Run, only_bundle: Any, bundle_doc: Any, process_gone: Any, sums_ok: Any
) -> None:
    t = time.monotonic()
    r = run_cli(["dispatch", "spawn"], mini_ws)
    assert time.monotonic() - t < 30
    assert r.returncode == 1
    bundle = only_bundle(mini_ws)
    assert r.stderr.splitlines()[1] == "[1/1] spawn: timed out after 4 s (process group killed)"
    parent, child = (int(x) for x in (bundle / "pids").read_text().split())
    assert process_gone(parent)
    assert process_gone(child)
    cmd = bundle_doc(bundle)["commands"][0]
    assert (cmd["status"], cmd["exit_code"]) == ("timeout", -signal.SIGTERM)
    sums_ok(bundle)


def test_ctrl_c_leaves_an_interrupted_bundle(
    mini_ws: Path, cli_argv: list[str], bundle_doc: Any, process_gone: Any, sums_ok: Any
) -> None:
    proc = subprocess.Popen(
        [*cli_argv, "dispatch", "slow", "hello"],
        cwd=mini_ws,
        env={**os.environ, "SUPERVISOR_NO_CACHE": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    pids = None
    while time.monotonic() < deadline:
        found = list((mini_ws / "reports").glob("*/*/*/pids"))
        if found and found[0].read_text().strip():
            pids = found[0]
            break
        time.sleep(0.05)
    assert pids is not None, "the command never started"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    bundle = pids.parent
    rel = bundle.relative_to(mini_ws).as_posix()
    assert out == rel + "\n"
    assert err.splitlines()[-1] == f"interrupted: partial bundle at {rel} (status interrupted)"
    doc = bundle_doc(bundle)
    assert doc["status"] == "interrupted"
    assert [c["status"] for c in doc["commands"]] == ["interrupted", "skipped"]
    assert all(process_gone(int(p)) for p in pids.read_text().split())
    assert (bundle / "summary.md").read_text().count("interrupted") >= 2
    sums_ok(bundle)


def test_injection_attempts_do_nothing(
    mini_ws: Path, run_cli: Run, only_bundle: Any, bundle_doc: Any
) -> None:
    (mini_ws / "keep").write_text("still here")
    plan = mini_ws / "plans" / "active" / "demo" / "plan.md"
    evil = "`hello`; rm -rf keep; $(touch pwned1) `touch pwned2` {{ 7*7 }} {% raw %}"
    plan.write_text(plan.read_text().replace("Greet via `hello`, then `args`", evil))
    ledger = mini_ws / "docs" / "fix_plan.md"
    ledger.write_text(
        ledger.read_text().replace(
            "## [DEMO-001] Demo", "## [DEMO-001] Demo $(touch pwned3) {{ 7*7 }}"
        )
    )
    r = run_cli(["dispatch", "--focus"], mini_ws)
    assert r.returncode == 0, r.stderr
    assert [c["name"] for c in bundle_doc(only_bundle(mini_ws))["commands"]] == ["hello"]
    r = run_cli(
        ["dispatch", "args", "--phase", "B", "name=$(touch pwned4);rm -rf keep {{ 7*7 }}"], mini_ws
    )
    assert r.returncode == 0, r.stderr
    bundle = next((mini_ws / "reports" / "DEMO-001" / "phase_b").iterdir())
    printed = json.loads((bundle / "args.stdout.log").read_text())
    assert printed[4] == "--name=$(touch pwned4);rm -rf keep {{ 7*7 }}"
    summary = (bundle / "summary.md").read_text()
    assert "`name=$(touch pwned4);rm -rf keep {{ 7*7 }}`" in summary
    assert "name=49" not in summary
    assert (mini_ws / "keep").read_text() == "still here"
    assert not [p for p in mini_ws.rglob("pwned*")]


def test_env_json_records_git_state(mini_ws: Path, run_cli: Run, only_bundle: Any) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    ident = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com",
             "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.com",
             "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}  # fmt: skip
    for args in (["init", "-q", "-b", "trunk"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        subprocess.run(["git", *args], cwd=mini_ws, env={**os.environ, **ident}, check=True)
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=mini_ws, capture_output=True, text=True, check=True
    ).stdout.strip()
    (mini_ws / "docs" / "fix_plan.md").write_text(
        (mini_ws / "docs" / "fix_plan.md").read_text() + "\n"
    )
    r = run_cli(["dispatch", "hello"], mini_ws)
    assert r.returncode == 0, r.stderr
    bundle = only_bundle(mini_ws)
    env = json.loads((bundle / "env.json").read_text())
    assert env["git"] == {"sha": sha, "branch": "trunk", "dirty": True}
    assert env["torch"] is None or env["torch"]["device"] is None  # no torch command: no probe
    assert json.loads((bundle / "bundle.json").read_text())["git"] == env["git"]


def test_simultaneous_dispatches_get_their_own_bundles(
    mini_ws: Path, cli_argv: list[str], sums_ok: Any
) -> None:
    procs = [
        subprocess.Popen(
            [*cli_argv, "dispatch", "hello"],
            cwd=mini_ws,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0]
    assert len(set(outs)) == 3
    for rel in outs:
        assert STAMP.match(Path(rel).name)
        assert json.loads((mini_ws / rel / "bundle.json").read_text())["path"] == rel
        sums_ok(mini_ws / rel)
