"""Issue 15, writes: symlinked files are written through, new files honour the umask, temp
files of dead writers are swept at the next write or lock, non-regular and oversized files
are refused before reading, and the last stale-read check runs after the temp file is fsynced
(an external appender racing record-attempt loses nothing). Real files, real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from supervisor import fsio
from supervisor.errors import WorkspaceError
from supervisor.parse.ledger import parse_ledger
from supervisor.record.atomic import _lock_path, rewrite

Run = Callable[..., CompletedProcess[str]]
LEDGER = "docs/fix_plan.md"
ITEM = "DETECTOR-PARITY-001"
RECORD = [ITEM, "--result", "partial", "--summary", "s"]


def _umask(mask: int) -> Callable[[], None]:
    old = os.umask(mask)
    return lambda: os.umask(old) and None


def test_symlinked_ledger_stays_a_symlink(demo_ws: Path, record: Run) -> None:
    real = demo_ws / "store" / "ledger.md"
    real.parent.mkdir()
    (demo_ws / LEDGER).rename(real)
    (demo_ws / LEDGER).symlink_to(Path("../store/ledger.md"))
    r = record(RECORD, demo_ws)
    assert r.returncode == 0, r.stderr
    assert (demo_ws / LEDGER).is_symlink()
    assert os.readlink(demo_ws / LEDGER) == "../store/ledger.md"
    assert "Attempt #4 — Result: ⚠️ partial. s." in real.read_text(encoding="utf-8")
    assert [p.name for p in real.parent.iterdir()] == ["ledger.md"]  # no temp file left


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_new_files_honour_the_umask(tmp_path: Path, mask: int) -> None:
    restore = _umask(mask)
    try:
        fsio.write_atomic(tmp_path / "input.md", "brief\n")
    finally:
        restore()
    assert (tmp_path / "input.md").stat().st_mode & 0o777 == 0o666 & ~mask


def test_brief_written_by_next_is_readable_by_others(demo_ws: Path, run_cli: Run) -> None:
    r = subprocess.run(
        f"umask 022 && {sys.executable} -m supervisor.cli.main next --write",
        shell=True,
        cwd=demo_ws,
        capture_output=True,
        text=True,
        env={**os.environ, "SUPERVISOR_NO_CACHE": "1"},
    )
    assert r.returncode == 0, r.stderr
    assert (demo_ws / "input.md").stat().st_mode & 0o777 == 0o644


def test_existing_mode_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "f.md"
    path.write_text("a\n")
    path.chmod(0o640)
    fsio.write_atomic(path, "b\n")
    assert path.stat().st_mode & 0o777 == 0o640 and path.read_text() == "b\n"


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_temp_files_of_dead_writers_are_swept_at_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "f.md"
    dead = tmp_path / f".f.md.{_dead_pid()}.abcd1234.tmp"
    live = tmp_path / f".f.md.{os.getppid()}.abcd1234.tmp"  # a writer still running
    other = tmp_path / f".g.md.{_dead_pid()}.abcd1234.tmp"  # another file's temp
    for p in (dead, live, other):
        p.write_text("torn")
    fsio.write_atomic(target, "x\n")
    assert target.read_text() == "x\n"
    assert not dead.exists() and live.exists() and other.exists()


def test_killed_record_attempt_leaves_no_temp_file_after_the_next_lock(
    tmp_path: Path, record: Run
) -> None:
    ws = tmp_path / "ws"
    (ws / "docs").mkdir(parents=True)
    (ws / "supervisor.yaml").write_text("version: 1\n", encoding="utf-8")
    body = "".join(
        f"  * [2026-01-01] Attempt #{n} — Result: ✅ success. {'padding ' * 40}\n"
        for n in range(1, 3000)
    )
    text = f"# Ledger\n\n## [SYN-001] Item\n- Status: in_progress\n- Attempts History:\n{body}"
    (ws / LEDGER).write_text(text, encoding="utf-8")
    args = ["SYN-001", "--result", "partial", "--summary", "s"]
    env = {**os.environ, "SUPERVISOR_DATE": "2026-02-03", "SUPERVISOR_NO_CACHE": "1"}
    cmd = [sys.executable, "-m", "supervisor.cli.main", "-C", str(ws), "record-attempt", *args]
    leftovers: list[str] = []
    for _ in range(40):  # kill writers until one dies with its temp file on disk
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while p.poll() is None and not list((ws / "docs").glob(".fix_plan.md.*.tmp")):
            time.sleep(0.001)
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        leftovers = [t.name for t in (ws / "docs").glob(".fix_plan.md.*.tmp")]
        if leftovers:
            break
    assert leftovers, "no writer was caught mid-write"
    r = record(args, ws)
    assert r.returncode == 0, r.stderr
    assert list((ws / "docs").glob(".fix_plan.md.*.tmp")) == []


def test_fifo_and_device_ledgers_are_refused(demo_ws: Path, run_cli: Run) -> None:
    ledger = demo_ws / LEDGER
    ledger.unlink()
    os.mkfifo(ledger)
    for cmd in (["next"], ["status"], ["record-attempt", *RECORD]):
        r = run_cli(cmd, demo_ws)
        assert r.returncode == 1, (cmd, r.stderr)
        assert r.stderr.startswith(f"error: {LEDGER}: ") and "not a regular file (a FIFO)" in (
            r.stderr
        ), r.stderr
        assert "Traceback" not in r.stderr
    ledger.unlink()
    ledger.symlink_to("/dev/zero")
    r = run_cli(["next"], demo_ws)  # paths.ledger is configured: refused as outside
    assert r.returncode == 1
    assert r.stderr == (
        "error: supervisor.yaml:5: 'paths.ledger' must be a path inside the workspace"
        " (resolves to /dev/zero) — e.g. ledger: docs/fix_plan.md\n"
    )
    cfg = demo_ws / "supervisor.yaml"
    cfg.write_text(cfg.read_text().replace("  ledger: docs/fix_plan.md\n", ""))
    r = run_cli(["lint"], demo_ws)  # not a file, so no ledger to lint: an error, no hang
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("error: docs/fix_plan.md: ledger not found, so there is nothing")
    for cmd in (["next"], ["status"], ["record-attempt", *RECORD]):  # refused before reading
        r = run_cli(cmd, demo_ws)
        assert r.returncode == 1, r.stderr
        assert "Traceback" not in r.stderr
        assert f"{LEDGER}: " in r.stderr and "not a regular file (a character device)" in (
            r.stderr
        ), r.stderr


def test_file_size_limit_is_configurable(demo_ws: Path, run_cli: Run) -> None:
    cfg = demo_ws / "supervisor.yaml"
    cfg.write_text(cfg.read_text() + "limits:\n  max_file_mb: 1\n", encoding="utf-8")
    with (demo_ws / LEDGER).open("a") as fh:
        fh.write("padding line\n" * 100_000)
    before = (demo_ws / LEDGER).read_bytes()
    for cmd in (["next"], ["record-attempt", *RECORD]):
        r = run_cli(cmd, demo_ws, env={"SUPERVISOR_DATE": "2026-02-03"})
        assert r.returncode == 1, r.stderr
        assert r.stderr == (
            f"error: {LEDGER}: ledger is larger than the limit (1.2 MB > 1 MB) — shrink it, or raise"
            " limits.max_file_mb in supervisor.yaml\n"
        )
    assert (demo_ws / LEDGER).read_bytes() == before
    cfg.write_text(cfg.read_text().replace("max_file_mb: 1", "max_file_mb: 0"), encoding="utf-8")
    r = run_cli(["next"], demo_ws)
    assert r.stderr.startswith("error: supervisor.yaml:") and "must be at least 1" in r.stderr


def test_dot_supervisor_as_a_file_is_a_clear_error(demo_ws: Path, record: Run) -> None:
    (demo_ws / ".supervisor").write_text("not a directory")
    before = (demo_ws / LEDGER).read_bytes()
    r = record(RECORD, demo_ws)
    assert r.returncode == 1
    assert r.stderr == (
        "error: .supervisor: is not a directory (supervisor keeps its locks and caches there)"
        " — move the file away and retry\n"
    )
    assert (demo_ws / LEDGER).read_bytes() == before


def test_lock_path_as_a_directory_is_a_clear_error(demo_ws: Path, record: Run) -> None:
    lock = _lock_path(demo_ws, LEDGER)
    lock.mkdir(parents=True)
    r = record(RECORD, demo_ws)
    assert r.returncode == 1
    rel = lock.relative_to(demo_ws).as_posix()
    assert r.stderr == (
        f"error: {rel}: lock file is not a regular file — remove it (no supervisor command is"
        " using it) and retry\n"
    )


@pytest.mark.parametrize(
    ("outside", "expected", "stages"),
    [
        (lambda t: t + "outside\n", "0\nours\noutside\n", 2),  # appended: carried over
        (lambda t: "X\n", "X\nours\n", 2),  # rewritten: the transform runs again on it
    ],
)
def test_recheck_runs_after_the_temp_file_is_fsynced(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    outside: Callable[[str], str],
    expected: str,
    stages: int,
) -> None:
    """A change made by an outside writer after our temp file is complete (written and
    fsynced) is seen by the last check before the rename: never clobbered."""
    path = tmp_path / "n.md"
    path.write_text("0\n")
    real_stage = fsio.stage
    calls: list[Path] = []

    def stage_then_change(target: Path, text: str | bytes) -> fsio.Staged:
        staged = real_stage(target, text)
        if target == path:
            if not calls:  # once, after our temp file is complete
                path.write_text(outside(path.read_text()))
            calls.append(target)
        return staged

    monkeypatch.setattr(fsio, "stage", stage_then_change)
    rewrite(tmp_path, ["n.md"], lambda t: {"n.md": t["n.md"] + "ours\n"})
    assert path.read_text() == expected
    assert len(calls) == stages


_APPENDER = """
import sys, time
path, n = sys.argv[1], int(sys.argv[2])
for k in range(n):
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(f"<!-- external note {k} -->\\n")
    time.sleep(0.05)
"""


@pytest.mark.slow
def test_external_appender_racing_sixty_record_attempts_loses_nothing(demo_ws: Path) -> None:
    env = {**os.environ, "SUPERVISOR_DATE": "2026-02-03", "SUPERVISOR_NO_CACHE": "1"}
    ledger = demo_ws / LEDGER
    appender = subprocess.Popen([sys.executable, "-c", _APPENDER, str(ledger), "67"])
    errors: list[str] = []

    def writer(k: int) -> None:
        for j in range(10):
            args = [ITEM, "--result", "partial", "--summary", f"w{k}-{j}"]
            r = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "supervisor.cli.main",
                    "-C",
                    str(demo_ws),
                    "record-attempt",
                    *args,
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            if r.returncode != 0:
                errors.append(r.stderr)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert appender.wait(120) == 0
    assert errors == []
    text = ledger.read_text(encoding="utf-8")
    assert [k for k in range(67) if f"<!-- external note {k} -->\n" not in text] == []
    item = parse_ledger(text, LEDGER).item(ITEM)
    assert item is not None
    assert [a.number for a in item.attempts] == list(range(1, 64))
    for k in range(6):
        for j in range(10):
            assert text.count(f"partial. w{k}-{j}.\n") == 1


def test_write_through_refuses_a_non_regular_target(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(WorkspaceError, match=r"pipe: not a regular file"):
        fsio.write_atomic(tmp_path / "pipe", "x")


CONFLICT = """<<<<<<< HEAD
  * [2026-01-04] Attempt #3 — Result: ✅ success (Phase B1 tap alignment). Ours.
=======
  * [2026-01-04] Attempt #3 — Result: ❌ failed. Theirs.
>>>>>>> other
"""


@pytest.mark.parametrize(
    "args",
    [
        RECORD,
        [ITEM, "--result", "success", "--summary", "s", "--status", "done", "--force", "x"],
    ],
)
def test_ledger_with_merge_conflict_is_refused(demo_ws: Path, record: Run, args: list[str]) -> None:
    path = demo_ws / LEDGER
    text = path.read_text(encoding="utf-8")
    start = text.index("  * [2026-01-04] Attempt #3")
    end = text.index("\n", start) + 1
    path.write_text(text[:start] + CONFLICT + text[end:], encoding="utf-8")
    before = path.read_bytes()
    r = record(args, demo_ws)
    assert (r.returncode, r.stdout) == (1, ""), r.stderr
    assert r.stderr == (
        f"error: {LEDGER}:40: unresolved merge conflict (lines 40-44) — resolve it (keep one side,"
        " remove the <<<<<<< ======= >>>>>>> lines), then retry\n"
    )
    assert path.read_bytes() == before


def test_ledger_swapped_for_a_fifo_after_the_read_does_not_hang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The re-check before the rename opens the file without blocking: a FIFO put in its
    place while the new text is staged is refused, and nothing is replaced."""
    path = tmp_path / "n.md"
    path.write_text("0\n")
    real_stage = fsio.stage

    def stage_then_swap(target: Path, text: str | bytes) -> fsio.Staged:
        staged = real_stage(target, text)
        if target == path:
            path.unlink()
            os.mkfifo(path)
        return staged

    monkeypatch.setattr(fsio, "stage", stage_then_swap)
    with pytest.raises(WorkspaceError, match=r"^n\.md: file is not a regular file \(a FIFO\)"):
        rewrite(tmp_path, ["n.md"], lambda t: {"n.md": t["n.md"] + "ours\n"})
    assert path.is_fifo()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
