"""One dispatch: where the bundle goes, which commands run, and the sealed bundle.

``prepare`` checks everything that can be checked before anything runs (names, values,
executables, the bundle location); ``execute`` creates the bundle, runs the commands one after
another (stopping at the first failure unless ``keep_going``), and seals the bundle even when
interrupted: env.json, final bundle.json, summary.md, SHA256SUMS.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from supervisor.config import CommandSpec
from supervisor.dispatch import bundle as B
from supervisor.dispatch.location import Target, locate
from supervisor.dispatch.registry import (
    Invocation,
    check_values,
    render,
    select,
    split_args,
    task_commands,
)
from supervisor.errors import UsageError, WorkspaceError, choices_hint
from supervisor.workspace import Workspace

Progress = Callable[[str], None]
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Prepared:
    target: Target
    specs: tuple[CommandSpec, ...]
    values: tuple[dict[str, str], ...]
    parent: Path  # <reports>/<ITEM>/<phase slug>
    preview: tuple[Invocation, ...]  # rendered with the STAMP a dispatch now would get
    preview_rel: str


@dataclass(frozen=True)
class Dispatched:
    path: Path
    rel: str
    document: dict[str, Any]  # bundle.json
    env: dict[str, Any]  # env.json

    @property
    def status(self) -> str:
        return str(self.document["status"])


def _utcnow() -> datetime:
    return datetime.now(UTC)


def prepare(
    ws: Workspace,
    args: Sequence[str],
    *,
    focus: bool = False,
    item: str | None = None,
    phase: str | None = None,
    clock: Clock = _utcnow,
) -> Prepared:
    config = ws.config
    names, pairs = split_args(args)
    known = [c.name for c in config.commands]
    if focus:
        if names:
            raise UsageError("give command names or --focus, not both", hint="drop one")
        if item or phase:
            raise UsageError(
                "--item/--phase choose the bundle location only without --focus",
                hint="--focus always uses the current focus item and phase",
            )
        target, task = locate(ws, None, None)
        specs = task_commands(config, task)
        if not specs:
            what = f"focus task {task.id}" if task is not None else f"[{target.item}]"
            raise UsageError(
                f"{what} names no registry command",
                hint="name commands explicitly: supervisor dispatch NAME …; "
                + (choices_hint(known) if known else "the registry is empty"),
            )
    else:
        if not names:
            raise UsageError(
                "name at least one command, or pass --focus",
                hint=choices_hint(known) if known else "declare commands in supervisor.yaml",
            )
        specs = select(config, names)
        target, _ = locate(ws, item, phase)
    values = check_values(specs, pairs, ws.root)
    parent = _reports(ws) / target.item / target.slug
    stamp = B.stamp_of(clock())
    rel = ws.rel(parent / stamp)
    preview = tuple(
        render(s, v, _builtins(ws, rel, stamp), config) for s, v in zip(specs, values, strict=True)
    )
    return Prepared(target, tuple(specs), tuple(values), parent, preview, rel)


def _reports(ws: Workspace) -> Path:
    reports = (ws.root / ws.config.paths.reports).resolve()
    try:
        reports.relative_to(ws.root.resolve())
    except ValueError:
        raise WorkspaceError(
            f"paths.reports ({ws.config.paths.reports}) is outside the workspace",
            path=ws.config.rel_path,
            hint="evidence bundles must live inside the workspace; use e.g. reports",
        ) from None
    return ws.root / ws.config.paths.reports


def _builtins(ws: Workspace, rel: str, stamp: str) -> dict[str, str]:
    import sys

    return {"out": rel, "workspace": str(ws.root), "python": sys.executable, "stamp": stamp}


_STOPS = ("SIGINT", "SIGHUP", "SIGTERM")  # each stops a dispatch like Ctrl-C


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _handlers(handler: Any, names: Sequence[str]) -> Iterator[None]:
    """Install ``handler`` for the named signals (main thread only; those this platform
    lacks are skipped), restoring the previous handlers afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    sigs = [getattr(signal, n) for n in names if hasattr(signal, n)]
    old = {s: signal.signal(s, handler) for s in sigs}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _stops_interrupt() -> contextlib.AbstractContextManager[None]:
    """SIGHUP and SIGTERM interrupt the commands like Ctrl-C: the bundle is then sealed."""
    return _handlers(_raise_interrupt, _STOPS[1:])


def _sigint_deferred() -> contextlib.AbstractContextManager[None]:
    """Ignore Ctrl-C, SIGHUP and SIGTERM while the bundle is being sealed."""
    return _handlers(signal.SIG_IGN, _STOPS)


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def execute(
    ws: Workspace,
    prepared: Prepared,
    *,
    keep_going: bool = False,
    progress: Progress = lambda line: None,
    clock: Clock = _utcnow,
) -> Dispatched:
    from supervisor import gitio
    from supervisor.dispatch import runner
    from supervisor.dispatch.environment import environment, start_probe

    root, config = ws.root, ws.config
    repo = gitio.repo_state(root)  # before the bundle exists, so it does not count as dirty
    started = clock()
    path, stamp = B.create_dir(prepared.parent, B.stamp_of(started), root=ws.root)
    rel = ws.rel(path)
    invs = [render(s, v, _builtins(ws, rel, stamp), config)
            for s, v in zip(prepared.specs, prepared.values, strict=True)]  # fmt: skip
    commands = [_command_doc(inv) for inv in invs]
    t = prepared.target
    doc: dict[str, Any] = {
        "schema_version": B.SCHEMA_VERSION,
        "kind": "bundle",
        "status": "running",
        "item": t.item,
        "phase": t.phase,
        "task": t.task,
        "stamp": stamp,
        "path": rel,
        "cwd": str(root),
        "started_at": _iso(started),
        "finished_at": None,
        "duration_s": None,
        "git": repo.as_dict() if repo else None,
        "commands": commands,
    }
    (path / "commands.txt").write_text(B.commands_text(rel, stamp, root, commands), "utf-8")
    B.write_json(path / B.BUNDLE_JSON, doc)
    overrides = dict(config.env)
    probe = start_probe(invs, root, {**os.environ, **overrides})
    interrupted = False
    token = runner.new_token()  # marks every process of this dispatch
    try:
        with _stops_interrupt():
            interrupted = _run_all(root, path, invs, commands, keep_going, progress, token)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        with _sigint_deferred():
            runner.kill_marked(token)  # nothing of the dispatch outlives the seal
            for c in commands:
                if c["status"] in ("pending", "running"):
                    c["status"] = "interrupted" if c["status"] == "running" else "skipped"
            finished = clock()
            ok = all(c["status"] == "ok" for c in commands)
            doc["status"] = "interrupted" if interrupted else ("ok" if ok else "failed")
            doc["finished_at"] = _iso(finished)
            doc["duration_s"] = round((finished - started).total_seconds(), 3)
            env = environment(root, overrides, doc["git"], probe)
            B.write_json(path / "env.json", env)
            B.write_json(path / B.BUNDLE_JSON, doc)
            templates = ws.abs(config.paths.templates)
            try:
                summary = B.render_summary(
                    {"bundle": doc, "env": env}, templates if templates.is_dir() else None
                )
                (path / B.SUMMARY).write_text(summary, encoding="utf-8")
            finally:
                B.write_sums(path)
    return Dispatched(path, rel, doc, env)


def _run_all(
    root: Path,
    path: Path,
    invs: Sequence[Invocation],
    commands: list[dict[str, Any]],
    keep_going: bool,
    progress: Progress,
    token: str,
) -> bool:
    """Run the commands in order (all marked with ``token``); True when interrupted."""
    from supervisor.dispatch import runner

    stop = interrupted = False
    for k, (inv, c) in enumerate(zip(invs, commands, strict=True), start=1):
        if stop:
            c["status"] = "skipped"
            continue
        tag = f"[{k}/{len(invs)}] {inv.name}"
        progress(f"{tag}: started")
        c["status"] = "running"
        result = runner.run(
            inv.argv,
            cwd=root,
            env={**os.environ, **dict(inv.env)},
            stdout=path / c["stdout"],
            stderr=path / c["stderr"],
            timeout=inv.timeout,
            token=token,
        )
        _fill(c, result, path)
        progress(f"{tag}: {_describe(c)}")
        interrupted = result.interrupted
        stop = interrupted or (c["status"] != "ok" and not keep_going)
    return interrupted


def _command_doc(inv: Invocation) -> dict[str, Any]:
    out, err = B.log_names(inv.name)
    return {
        "name": inv.name,
        "argv": list(inv.argv),
        "params": dict(inv.params),
        "env": dict(inv.env),
        "timeout_s": inv.timeout,
        "ok_exit": list(inv.ok_exit),
        "status": "pending",
        "exit_code": None,
        "duration_s": None,
        "stdout": out,
        "stderr": err,
        "outputs": [{"path": o, "exists": False} for o in inv.outputs],
        "error": None,
    }


def _fill(c: dict[str, Any], result: Any, path: Path) -> None:
    c["exit_code"] = result.exit_code
    c["duration_s"] = result.duration_s
    c["error"] = result.error
    for o in c["outputs"]:
        o["exists"] = (path / o["path"]).exists()
    if result.error is not None:
        c["status"] = "error"
    elif result.interrupted:
        c["status"] = "interrupted"
    elif result.timed_out:
        c["status"] = "timeout"
    elif result.exit_code not in c["ok_exit"]:
        c["status"] = "failed"
    elif not all(o["exists"] for o in c["outputs"]):
        c["status"] = "missing-outputs"
    else:
        c["status"] = "ok"


def _describe(c: dict[str, Any]) -> str:
    took = f"in {c['duration_s']:.2f} s"
    status = c["status"]
    if status == "ok":
        return f"exit {c['exit_code']} {took}"
    if status == "timeout":
        return f"timed out after {c['timeout_s']:g} s (process group killed)"
    if status == "interrupted":
        return f"interrupted {took} (process group killed)"
    if status == "error":
        return str(c["error"])
    if status == "missing-outputs":
        missing = [o["path"] for o in c["outputs"] if not o["exists"]]
        return f"exit {c['exit_code']} {took} but missing outputs: {', '.join(missing)}"
    return f"exit {c['exit_code']} {took}"
