"""Evidence cited by an attempt: paths inside the workspace, and dispatch bundles.

Rule 5 of DESIGN.md: a task goes to done, or an item to a done-vocabulary status, only when
the cited evidence exists and (for a bundle) every command ran ok (exit 0, declared outputs
written), the bundle finished, and its files still match ``SHA256SUMS``. ``--force REASON``
overrides the check and the reason is written into the attempt.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supervisor.errors import EvidenceError, UsageError, WorkspaceError


@dataclass(frozen=True)
class Bundle:
    rel: str  # workspace-relative directory
    path: Path  # absolute directory
    doc: dict[str, Any]  # bundle.json
    outputs: tuple[str, ...]  # workspace-relative declared outputs that exist

    @property
    def metrics(self) -> tuple[tuple[str, str], ...]:
        cmds = self.doc.get("commands") or []
        codes = "/".join("—" if c.get("exit_code") is None else str(c["exit_code"]) for c in cmds)
        out = [("bundle", str(self.doc.get("status"))), ("exit_codes", codes or "—")]
        if self.doc.get("duration_s") is not None:
            out.append(("duration_s", str(self.doc["duration_s"])))
        return tuple(out)

    def problems(self, item: str) -> list[str]:
        """Why this bundle does not back a done status (empty when it does)."""
        from supervisor.dispatch.bundle import SUMS, check_sums

        doc, out = self.doc, []
        if doc.get("status") != "ok":
            out.append(f"its status is {doc.get('status')}")
        for c in doc.get("commands") or []:
            if c.get("status") != "ok" or c.get("exit_code") not in c.get("ok_exit", [0]):
                code = c.get("exit_code")
                out.append(f"{c.get('name')} {c.get('status')} (exit {code})")
        if doc.get("item") and str(doc["item"]).upper() != item.upper():
            out.append(f"it was dispatched for [{doc['item']}]")
        if not (self.path / SUMS).is_file():
            out.append(f"it has no {SUMS}")
        elif not out:
            bad = check_sums(self.path)
            if bad:
                out.append(f"{', '.join(bad[:3])} changed after dispatch ({SUMS} mismatch)")
        return out


def workspace_path(root: Path, raw: str, what: str) -> str:
    """``raw`` (workspace-relative, or absolute inside the workspace) as a workspace-relative
    POSIX path that exists; refused when outside the workspace or missing."""
    if not raw.strip():
        raise UsageError(f"empty {what} path", hint="cite a path inside the workspace")
    if "`" in raw or "\n" in raw:
        raise UsageError(f"{what} path {raw!r} contains a backtick or newline", hint="rename it")
    from supervisor.confine import confine

    checked = confine(root, raw, what=what, path=raw, hint=f"cite a path inside {root.resolve()}")
    rel, target = checked.rel, checked.path
    if not target.exists():
        hint = (
            "pass the directory `supervisor dispatch` printed (reports/<ITEM>/phase_<x>/<STAMP>)"
            if what == "bundle"
            else "cite files that exist (paths are workspace-relative)"
        )
        raise WorkspaceError(f"{what} not found", path=raw, hint=hint)
    return rel


def load_bundle(root: Path, raw: str) -> Bundle:
    from supervisor.dispatch.bundle import BUNDLE_JSON

    rel = workspace_path(root, raw, "bundle")
    path = root / rel
    meta = path / BUNDLE_JSON
    if not path.is_dir() or not meta.is_file():
        raise WorkspaceError(
            f"not an evidence bundle (no {BUNDLE_JSON})",
            path=rel,
            hint="cite a directory created by `supervisor dispatch`",
        )
    try:
        doc = json.loads(meta.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        where = f"{rel}/{BUNDLE_JSON}"
        raise WorkspaceError("not valid JSON", path=where, hint="re-dispatch") from None
    if not isinstance(doc, dict) or doc.get("kind") != "bundle":
        raise WorkspaceError(
            f"{BUNDLE_JSON} is not a bundle document",
            path=f"{rel}/{BUNDLE_JSON}",
            hint="re-dispatch",
        )
    outputs = []
    for c in doc.get("commands") or []:
        for o in c.get("outputs") or []:
            p = f"{rel}/{o.get('path')}"
            if o.get("path") and (root / p).exists():
                outputs.append(p)
    return Bundle(rel, path, doc, tuple(dict.fromkeys(outputs)))


def require_evidence(
    what: str,
    item: str,
    result: str,
    bundle: Bundle | None,
    artifacts: Sequence[str],
    force: str | None,
) -> None:
    """Refuse a done transition that the evidence does not back (unless forced)."""
    if force:
        return
    fix = "or pass --force REASON to record it anyway (the reason goes into the attempt)"
    if result != "success":
        raise EvidenceError(
            f"{what} needs --result success, not {result}",
            hint=f"record the attempt without marking it done, {fix}",
        )
    if bundle is None and not artifacts:
        raise EvidenceError(
            f"{what} needs evidence", hint=f"cite --bundle DIR or --artifacts PATH, {fix}"
        )
    if bundle is not None:
        problems = bundle.problems(item)
        if problems:
            raise EvidenceError(
                f"bundle does not back {what}: {'; '.join(problems)}",
                path=bundle.rel,
                hint=f"fix the failure and dispatch a new bundle, {fix}",
            )
