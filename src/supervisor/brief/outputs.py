"""What `supervisor next` prints or writes, served from the content-hash cache when no input
changed. Imports stay lazy: a cache hit never loads YAML, Jinja or markdown-it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class NextOutputs:
    """What `supervisor next` can print or write, computed once (or read from the cache)."""

    text: str
    document: dict[str, Any]  # the --json payload (without the envelope)
    explain: str
    brief_path: str  # workspace-relative target of --write
    where: str  # "ID phase X task Y", for messages
    warnings: tuple[str, ...]
    root: Path
    cached: bool


def next_outputs(start: Path, focus: str | None = None, use_cache: bool = True) -> NextOutputs:
    """The brief for the workspace containing ``start``; served from the content-hash cache
    when every file it depends on is unchanged (see :mod:`supervisor.cache`)."""
    from supervisor import cache
    from supervisor.config import find_config
    from supervisor.gitio import head_id

    root = find_config(start).parent
    # continuity reads recent commit subjects: a new commit may change the answer
    args = {"focus": focus, "head": head_id(root)}
    use_cache = use_cache and not cache.disabled()
    if use_cache:
        hit = cache.lookup(root, "next", args)
        if hit is not None:
            return _outputs(hit, root, cached=True)
    from supervisor.brief.explain import explain_text, ranking_json
    from supervisor.brief.make import make_brief
    from supervisor.workspace import Workspace

    ws = Workspace.find(start)
    result = make_brief(ws, focus)
    c = result.context
    where = " ".join(
        x
        for x in (
            c.item_id,
            c.phase_id and f"phase {c.phase_id}",
            c.task_id and f"task {c.task_id}",
        )
        if x
    )
    data = {
        "text": result.text,
        "document": {
            "context": c.as_dict(),
            "ranking": ranking_json(result.focus.ranking),
            "text": result.text,
        },
        "explain": explain_text(result),
        "brief_path": ws.config.paths.brief,
        "where": where,
        "warnings": list(ws.config.warnings),
    }
    if use_cache:
        files = dict(ws.reads)
        files[ws.rel(ws.config.path)] = _sha(ws.config.path)
        listings = dict(ws.listings)
        templates = ws.config.paths.templates.rstrip("/")
        listings[templates] = (".j2", cache.listing(ws.abs(templates), ".j2"))
        for name in listings[templates][1]:
            files[f"{templates}/{name}"] = _sha(ws.abs(f"{templates}/{name}"))
        cache.store(root, "next", args, files, listings, data)
    return _outputs(data, root, cached=False)


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _outputs(data: dict[str, Any], root: Path, cached: bool) -> NextOutputs:
    return NextOutputs(
        text=data["text"],
        document=data["document"],
        explain=data["explain"],
        brief_path=data["brief_path"],
        where=data["where"],
        warnings=tuple(data["warnings"]),
        root=root,
        cached=cached,
    )
