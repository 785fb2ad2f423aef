"""`supervisor init`: start a workspace in an empty directory, or adopt a repository that
already has a ledger and plans (``adopt=True``). Everything is checked before anything is
written; an existing file is never overwritten without ``force``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from supervisor.errors import UsageError, WorkspaceError
from supervisor.init import scaffold
from supervisor.init.adopt import Adoption, Inferred

__all__ = ["InitResult", "init_workspace"]


@dataclass(frozen=True)
class InitResult:
    root: Path
    adopted: bool
    written: tuple[str, ...]  # workspace-relative paths, in the order written
    ledger: str
    plans: str
    inferred: tuple[Inferred, ...] = ()
    unknown: tuple[str, ...] = ()


def init_workspace(
    root: Path,
    *,
    today: str,
    adopt: bool = False,
    force: bool = False,
    ledger: str | None = None,
) -> InitResult:
    """Write the workspace files under ``root`` (see :mod:`supervisor.init.scaffold`), or
    with ``adopt`` only a ``supervisor.yaml`` inferred from the existing ledger and plans."""
    if not root.is_dir():
        raise UsageError("not a directory", path=str(root), hint="create it first, or pass -C DIR")
    if adopt:
        files, adoption = _adopted(root, ledger)
    else:
        if ledger is not None:
            raise UsageError("--ledger only applies with --adopt", hint="add --adopt")
        files, adoption = _fresh(root, today), None
    _refuse_existing(root, files, force, adopt)
    from supervisor.config import parse_config

    for rel, text in files:
        if rel == scaffold.CONFIG:  # the config we write must load (a bug otherwise)
            parse_config(text, root / rel)
    written = []
    for rel, text in files:
        _write(root, rel, text)
        written.append(rel)
    if adoption is not None:
        plans = str(adoption.get("paths.plans"))
        return InitResult(
            root, True, tuple(written), adoption.ledger, plans, adoption.values, adoption.unknown
        )
    return InitResult(root, False, tuple(written), scaffold.LEDGER, scaffold.PLANS)


def _fresh(root: Path, today: str) -> list[tuple[str, str]]:
    from supervisor.init.adopt import find_ledgers

    found = [p for p in find_ledgers(root) if p != scaffold.LEDGER]
    if found:
        raise WorkspaceError(
            "a ledger already exists here",
            path=found[0],
            hint="run `supervisor init --adopt` to keep it and write only supervisor.yaml",
        )
    return [
        (scaffold.CONFIG, scaffold.config_text(root.resolve().name or "workspace")),
        (scaffold.LEDGER, scaffold.ledger_text(today)),
        (scaffold.plan_path(), scaffold.plan_text()),
    ]


def _adopted(root: Path, given: str | None) -> tuple[list[tuple[str, str]], Adoption]:
    from supervisor.init.adopt import adopt, locate_ledger, read_text
    from supervisor.init.render import adopted_config
    from supervisor.parse.ledger import parse_ledger

    rel = locate_ledger(root, given)
    text = read_text(root, rel, "ledger")
    adoption = adopt(root, rel, parse_ledger(text, rel), text)
    project = root.resolve().name or "workspace"
    return [(scaffold.CONFIG, adopted_config(project, adoption))], adoption


def _refuse_existing(root: Path, files: list[tuple[str, str]], force: bool, adopt: bool) -> None:
    if force:
        return
    for rel, _ in files:
        path = root / rel
        if path.exists():
            other = "" if adopt else ", or `supervisor init --adopt` to keep your ledger and plans"
            partial = ""
            if rel == scaffold.CONFIG and not adopt and not (root / scaffold.LEDGER).exists():
                partial = f" (a partial workspace: no {scaffold.LEDGER})"
            raise WorkspaceError(
                f"already exists{partial}; init never overwrites a file",
                path=rel,
                hint=f"pass --force to overwrite it{other}",
            )


def _write(root: Path, rel: str, text: str) -> None:
    from supervisor.fsio import write_atomic

    path = root / rel
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(
            f"cannot create the directory: {exc.strerror}", path=str(Path(rel).parent)
        ) from None
    write_atomic(path, text)
