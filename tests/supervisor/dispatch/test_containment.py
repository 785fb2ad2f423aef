"""Every process a dispatched command starts ends with it (issue 15): a `setsid` child cannot
write into a sealed bundle; SIGHUP and SIGTERM seal the bundle like Ctrl-C, after every
descendant is dead; the runner finds orphans that left the session and cleared their
environment (subreaper), and kills nothing that is not the run's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from supervisor.dispatch import runner

Run = Any


def test_a_setsid_child_cannot_write_after_the_bundle_is_sealed(
    mini_ws: Path, run_cli: Run, only_bundle: Any, bundle_doc: Any, process_gone: Any,
    sums_ok: Any,
) -> None:  # fmt: skip
    r = run_cli(["dispatch", "daemon"], mini_ws)
    assert r.returncode == 0, r.stderr
    bundle = only_bundle(mini_ws)
    assert process_gone(int((bundle / "daemon.pid").read_text()))
    time.sleep(1.0)  # past the daemon's write, had it survived
    assert (bundle / "daemon.stdout.log").read_text() == "command done\n"
    assert bundle_doc(bundle)["status"] == "ok"
    sums_ok(bundle)


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM])
def test_sighup_and_sigterm_seal_the_bundle_like_ctrl_c(
    mini_ws: Path, cli_argv: list[str], bundle_doc: Any, process_gone: Any, sums_ok: Any,
    sig: signal.Signals,
) -> None:  # fmt: skip
    proc = subprocess.Popen(
        [*cli_argv, "dispatch", "hang", "hello"],
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
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    bundle = pids.parent
    rel = bundle.relative_to(mini_ws).as_posix()
    assert out == rel + "\n"
    assert err.splitlines()[-1] == f"interrupted: partial bundle at {rel} (status interrupted)"
    doc = bundle_doc(bundle)
    assert doc["status"] == "interrupted"
    assert [c["status"] for c in doc["commands"]] == ["interrupted", "skipped"]
    leader, escaped, child = (int(p) for p in pids.read_text().split())
    assert process_gone(leader) and process_gone(child)
    assert process_gone(escaped)  # the setsid one too
    sums_ok(bundle)


_ORPHAN = """
import os, subprocess, sys
# a child that leaves the session, clears its environment (no run marker) and is orphaned
subprocess.Popen(["env", "-i", sys.executable, "-c",
                  "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); "
                  "time.sleep(120)", sys.argv[1]], start_new_session=True)
"""


def test_runner_kills_an_orphan_that_cleared_its_environment(
    tmp_path: Path, process_gone: Any
) -> None:
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc (Linux)")
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    pidfile = tmp_path / "orphan.pid"
    wait = "import sys, time, pathlib; p = pathlib.Path(sys.argv[1])\nwhile not p.exists() or not p.read_text(): time.sleep(0.01)"
    try:
        result = runner.run(
            ["sh", "-c", '"$0" -c "$1" "$2" && "$0" -c "$3" "$2"', sys.executable, _ORPHAN,
             str(pidfile), wait],
            cwd=tmp_path, env=dict(os.environ), stdout=tmp_path / "log", stderr=tmp_path / "log",
            timeout=60,
        )  # fmt: skip
        assert (result.exit_code, result.stragglers) == (0, 1), (tmp_path / "log").read_text()
        assert process_gone(int(pidfile.read_text()))
        assert bystander.poll() is None  # not the run's: left alone
    finally:
        bystander.kill()
        bystander.wait()


def test_members_follow_the_marker_and_the_tree(tmp_path: Path, process_gone: Any) -> None:
    if not Path("/proc/self/stat").exists():
        pytest.skip("needs /proc (Linux)")
    token = runner.new_token()
    env = {**os.environ, runner.TOKEN_ENV: f"outer,{token}"}
    marked = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], env=env,
                              start_new_session=True)  # fmt: skip
    plain = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                             start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while marked.pid not in runner.members(None, token) and time.monotonic() < deadline:
            time.sleep(0.01)  # until the exec has happened
        found = runner.members(None, token)
        assert marked.pid in found and plain.pid not in found
        assert runner.members(None, "outer") >= {marked.pid}  # nested runs keep the outer mark
        assert runner.members(plain.pid, None) == {plain.pid}
        assert runner.kill_marked(token) == 1
        assert process_gone(marked.pid) and plain.poll() is None
    finally:
        for p in (marked, plain):
            p.kill()
            p.wait()
