"""`supervisor init --adopt`: infer a config from a repository that already has a ledger and
plans — the status and priority vocabularies, the plan layout, the ledger's shape, the env
its commands use, the Mode its attempts name — each value with a note on where it came from,
and a list of what could not be inferred."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from supervisor.errors import UsageError, WorkspaceError
from supervisor.model import Ledger
from supervisor.parse.fields import first_word, plain, plan_refs

# Known words, in the order the config lists them (active: preferred first).
_ACTIVE = ("in_progress", "active", "wip", "in_review", "review", "reopened", "in_planning",
           "planning", "pending", "new", "queued", "open", "todo", "ready", "proposed")  # fmt: skip
_BLOCKED = ("blocked", "paused", "on_hold", "hold", "waiting", "stalled", "parked",
            "suspended", "deferred")  # fmt: skip
_DONE = ("done", "complete", "completed", "implemented", "archived", "resolved", "closed",
         "fixed", "merged", "shipped", "finished", "verified", "superseded", "cancelled",
         "canceled", "wontfix")  # fmt: skip
_PRIORITIES = ("blocker", "critical", "urgent", "highest", "high", "medium", "normal",
               "moderate", "low", "lowest", "minor", "trivial")  # fmt: skip
_P_LEVEL = re.compile(r"^P(\d)$", re.IGNORECASE)
_ENV = re.compile(r"^(?:[A-Z_][A-Z0-9_]*=\S+\s+)+")
_ASSIGN = re.compile(r"([A-Z_][A-Z0-9_]*)=(\S+)")
_CODE = re.compile(r"`([^`\n]+)`")
_MODE = re.compile(r"\bMode:\s*([A-Z][A-Za-z+-]{1,30})")
_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", "site-packages", "build",
              "dist", ".tox", ".mypy_cache", ".ruff_cache", ".pytest_cache"}  # fmt: skip
LEDGER_NAMES = ("fix_plan.md",)


@dataclass(frozen=True)
class Inferred:
    """One config value with where it came from (``note``), rendered as a YAML comment."""

    key: str  # dotted config key, e.g. ``statuses.active``
    value: str | tuple[str, ...] | tuple[tuple[str, str], ...]  # env: (name, value) pairs
    note: str


@dataclass(frozen=True)
class Adoption:
    ledger: str  # workspace-relative path of the ledger adopted
    values: tuple[Inferred, ...]
    unknown: tuple[str, ...]  # what could not be inferred, one line each

    def get(self, key: str) -> object | None:
        return next((v.value for v in self.values if v.key == key), None)


def find_ledgers(root: Path) -> list[str]:
    """Ledger files under ``root`` (``fix_plan.md`` at any depth, skipping tool folders)."""
    import os

    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name in LEDGER_NAMES:
                out.append((Path(dirpath) / name).relative_to(root).as_posix())
    return sorted(out, key=lambda p: (p.count("/"), p))


def locate_ledger(root: Path, given: str | None) -> str:
    """The ledger to adopt: ``given``, else ``docs/fix_plan.md``, else the only one found."""
    if given is not None:
        rel = Path(given)
        path = rel if rel.is_absolute() else root / rel
        if not path.is_file():
            raise UsageError(
                "--ledger names no file",
                path=given,
                hint="give the ledger's path (docs/fix_plan.md)",
            )
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            raise UsageError(
                f"the ledger must be inside {root}", path=given, hint="move it into the repository"
            ) from None
    if (root / "docs" / "fix_plan.md").is_file():
        return "docs/fix_plan.md"
    found = find_ledgers(root)
    if len(found) == 1:
        return found[0]
    if found:
        raise UsageError(
            f"found {len(found)} ledgers: {', '.join(found[:6])}",
            hint="pass --ledger PATH to pick one",
        )
    raise WorkspaceError(
        "no ledger found to adopt (looked for docs/fix_plan.md and any fix_plan.md)",
        path="docs/fix_plan.md",
        hint="pass --ledger PATH, or run `supervisor init` without --adopt to start a workspace",
        see="ledger",
    )


def read_text(root: Path, rel: str, what: str) -> str:
    """A file's text, read and decoded as a workspace reads it (regular files of bounded
    size, UTF-8), with the same one-line errors."""
    from supervisor.config import Limits
    from supervisor.fsio import read_bytes
    from supervisor.workspace import decode_text

    try:
        data = read_bytes(root / rel, shown=rel, max_bytes=Limits().max_file_bytes, what=what)
    except OSError as exc:
        raise WorkspaceError(
            f"cannot read {what}: {exc.strerror}", path=rel, hint="check its permissions"
        ) from None
    return decode_text(data, rel)


def adopt(root: Path, ledger_rel: str, ledger: Ledger, text: str) -> Adoption:
    """Infer the config values from the parsed ledger (and its raw text), the plan files it
    references and the repository's git branch."""
    items = [i for i in ledger.items if i.id]
    if not items:
        raise WorkspaceError(
            "not a ledger this tool can read: no `## [ID] Title` item sections",
            path=ledger_rel,
            line=1,
            hint="give each item a heading such as `## [ABC-001] Title` with a `- Status:` field",
            see="ledger",
        )
    values: list[Inferred] = []
    unknown: list[str] = []
    values.append(Inferred("paths.ledger", ledger_rel, _shape(ledger)))
    values += _plans(root, ledger_rel, ledger, unknown)
    values += _statuses(ledger_rel, ledger, unknown)
    values += _priorities(ledger_rel, ledger, unknown)
    values += _env(ledger_rel, text, unknown)
    values += _mode(ledger_rel, text, unknown)
    values.append(_branch(root, unknown))
    unknown.append(
        "commands: none inferred — declare the commands `supervisor dispatch` may run "
        "(argv lists) under `commands:`"
    )
    unknown.append("pitfalls: none inferred — list the mistakes every brief should warn about")
    return Adoption(ledger_rel, tuple(values), tuple(unknown))


def _shape(ledger: Ledger) -> str:
    items = [i for i in ledger.items if i.id]
    levels = Counter("#" * i.level for i in items if i.level)
    head = levels.most_common(1)[0][0] if levels else "##"
    index = "an Index table" if ledger.index else "no Index"
    if ledger.index and ledger.index[0].anchor is None:
        index = "an Index bullet list"
    return f"{len(items)} `{head} [ID] Title` item sections, {index}"


def _plans(root: Path, ledger_rel: str, ledger: Ledger, unknown: list[str]) -> list[Inferred]:
    bases: Counter[str] = Counter()
    layouts: Counter[str] = Counter()
    for item in ledger.items:
        for f in item.fields:
            if not f.label.lower().startswith("plan"):
                continue
            for ref in plan_refs(f.raw):
                if "<" in ref or "*" in ref or not (root / ref).is_file():
                    continue
                parts = ref.split("/")
                if len(parts) >= 3 and parts[-1] == "plan.md":
                    bases["/".join(parts[:-2])] += 1
                    layouts["<initiative>/plan.md"] += 1
                elif len(parts) >= 2:
                    bases["/".join(parts[:-1])] += 1
                    layouts["<initiative>.md"] += 1
    if bases:
        base, n = bases.most_common(1)[0]
        layout = layouts.most_common(1)[0][0]
        note = f"{n} Plan Reference(s) in {ledger_rel} point there ({base}/{layout})"
        return [Inferred("paths.plans", base, note)]
    for cand in ("plans/active", "plans"):
        if (root / cand).is_dir():
            return [Inferred("paths.plans", cand, f"the {cand}/ directory (no Plan Reference)")]
    unknown.append(
        "paths.plans: no Plan Reference names an existing plan and there is no plans/ "
        "directory — set paths.plans to where the phased plans live"
    )
    return [Inferred("paths.plans", "plans/active", "default (not inferred)")]


def _words(ledger: Ledger, label: str) -> Counter[str]:
    """First words of a field over the items plus the Index column of the same name."""
    seen: Counter[str] = Counter()
    for item in ledger.items:
        f = item.field(label)
        if f is not None and first_word(f.value):
            seen[first_word(f.value)] += 1
    for row in ledger.index:
        word = first_word(row.status if label == "Status" else row.priority)
        if word:
            seen[word] += 1
    return seen


def _spelling(words: Counter[str]) -> dict[str, str]:
    """lowercase -> the spelling to write (the most frequent; lowercase on a tie)."""
    best: dict[str, tuple[int, bool, str]] = {}
    for w, n in words.items():
        key = (n, w == w.lower(), w)
        if w.lower() not in best or key > best[w.lower()]:
            best[w.lower()] = key
    return {k: v[2] for k, v in best.items()}


def _statuses(ledger_rel: str, ledger: Ledger, unknown: list[str]) -> list[Inferred]:
    words = _words(ledger, "Status")
    spell = _spelling(words)
    counts: Counter[str] = Counter()
    for w, n in words.items():
        counts[w.lower()] += n
    out: list[Inferred] = []
    for kind, known in (("active", _ACTIVE), ("blocked", _BLOCKED), ("done", _DONE)):
        hits = [w for w in known if w in counts]
        if hits:
            used = ", ".join(f"{spell[w]} {counts[w]}" for w in hits)
            note = f"Status words in {ledger_rel} (uses: {used})"
            out.append(Inferred(f"statuses.{kind}", tuple(spell[w] for w in hits), note))
        else:
            unknown.append(f"statuses.{kind}: no {kind} status word found in {ledger_rel}")
            default = {"active": ("in_progress",), "blocked": ("blocked",), "done": ("done",)}
            out.append(Inferred(f"statuses.{kind}", default[kind], "default (not inferred)"))
    known_all = set(_ACTIVE) | set(_BLOCKED) | set(_DONE)
    odd = sorted(w for w in counts if w not in known_all)
    if odd:
        listed = ", ".join(f"{spell[w]} ({counts[w]})" for w in odd)
        unknown.append(
            f"statuses: could not classify {listed} — add each to active, blocked or done"
        )
    return out


def _priority_rank(word: str) -> tuple[int, str]:
    m = _P_LEVEL.match(word)
    if m:
        return (100 + int(m.group(1)), word)
    return (_PRIORITIES.index(word), word)


def _priorities(ledger_rel: str, ledger: Ledger, unknown: list[str]) -> list[Inferred]:
    """Priority words, ranked; a qualifier before a known word (`**ESCALATED CRITICAL**`)
    reads as that word, as selection reads it."""
    values = [f.value for i in ledger.items if (f := i.field("Priority")) is not None]
    values += [row.priority for row in ledger.index]
    counts: Counter[str] = Counter()
    spellings: Counter[str] = Counter()
    odd: Counter[str] = Counter()
    for value in values:
        words = re.findall(r"[A-Za-z][A-Za-z0-9_-]*", plain(value))
        hit = next((w for w in words if w.lower() in _PRIORITIES or _P_LEVEL.match(w)), None)
        if hit is not None:
            counts[hit.lower()] += 1
            spellings[hit] += 1
        elif words:
            odd[words[0]] += 1
    spell = _spelling(spellings)
    if odd:
        listed = ", ".join(f"{w} ({n})" for w, n in sorted(odd.items()))
        unknown.append(f"priorities: could not rank {listed} — add them to `priorities` in order")
    if not counts:
        unknown.append(f"priorities: no Priority field in {ledger_rel} — the default list is used")
        return [Inferred("priorities", ("Critical", "High", "Medium", "Low"), "default")]
    ranked = sorted(counts, key=_priority_rank)
    used = ", ".join(f"{spell[w]} {counts[w]}" for w in ranked)
    note = f"Priority words in {ledger_rel}, highest first (uses: {used})"
    return [Inferred("priorities", tuple(spell[w] for w in ranked), note)]


def _env(ledger_rel: str, text: str, unknown: list[str]) -> list[Inferred]:
    """``NAME=value`` prefixes of the commands the ledger quotes in backticks; a variable
    set the same way in two or more commands is adopted."""
    seen: dict[str, Counter[str]] = {}
    for m in _CODE.finditer(text):
        head = _ENV.match(m.group(1).strip())
        if head is None:
            continue
        for name, value in _ASSIGN.findall(head.group(0)):
            if any(ch in value for ch in "$`'\""):
                continue  # STAMP=$(date …) is per-run; a quoted value is cut at its space
            seen.setdefault(name, Counter())[value] += 1
    env: list[tuple[str, str]] = []
    notes: list[str] = []
    once: list[str] = []
    for name in sorted(seen):
        value, n = seen[name].most_common(1)[0]
        if n >= 2:
            env.append((name, value))
            other = sum(seen[name].values()) - n
            notes.append(
                f"{name} in {n} commands" + (f", {other} set it otherwise" if other else "")
            )
        else:
            once.append(f"{name}={value}")
    if once:
        unknown.append(
            f"env: left out (each set in only one command): {', '.join(once)} — add any that "
            "every command needs"
        )
    if not env:
        return []
    return [Inferred("env", tuple(env), f"commands quoted in {ledger_rel}: {'; '.join(notes)}")]


def _mode(ledger_rel: str, text: str, unknown: list[str]) -> list[Inferred]:
    modes = Counter(m.group(1) for m in _MODE.finditer(text))
    if not modes:
        unknown.append("brief.default_mode: no `Mode:` in the ledger's attempts — set one")
        return []
    mode, n = modes.most_common(1)[0]
    note = f"the most frequent `Mode:` in {ledger_rel} ({n} of {sum(modes.values())})"
    return [Inferred("brief.default_mode", mode, note)]


def _branch(root: Path, unknown: list[str]) -> Inferred:
    from supervisor import gitio

    try:
        branch = gitio.current_branch(root)
    except (WorkspaceError, ImportError):  # not a repository, or no git executable
        branch = None
    if branch:
        return Inferred("branch", branch, "the repository's current branch")
    unknown.append("branch: not a git repository (or a detached HEAD) — set the loop's branch")
    return Inferred("branch", "main", "default (not inferred)")
