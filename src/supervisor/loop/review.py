"""The review of an agent turn, from git rather than from the working tree alone (DESIGN.md
rule 7): the branch the work tree is on, the commits the agent made since the turn started
(history kept, every file they touch inside the whitelist), and the ledger diff (only the
focus item may gain content). A failed review refuses the turn: nothing is committed or pushed,
and the ledger diff goes to the iteration log.
"""

from __future__ import annotations

from pathlib import Path

from supervisor import gitio
from supervisor.loop.audit import audit_ledger
from supervisor.loop.journal import Journal
from supervisor.loop.sync import GitSide, TurnBlockedError, classify

NOTHING = "nothing was committed or pushed"


def ledger_at(git: GitSide, root: Path, rel: str, base: str | None) -> str | None:
    """The ledger text the turn is judged against: at commit ``base`` when there is one,
    else as it is now on disk (None when it cannot be read)."""
    if git.enabled and base is not None:
        try:
            return gitio.show_text(root, base, rel)
        except ValueError:  # outside the repository: judged from the work tree below
            pass
    try:
        return (root / rel).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _shown(paths: tuple[str, ...] | list[str]) -> str:
    return ", ".join(paths[:12]) + (" …" if len(paths) > 12 else "")


def review_commits(git: GitSide, base: str | None, what: str) -> None:
    """Refuse a turn whose work tree left the loop's branch, whose history no longer contains
    ``base``, or whose commits since ``base`` touch files outside the whitelist."""
    git.require_branch(what)
    if not git.enabled or base is None:
        return
    root = git.root
    if not gitio.is_ancestor(root, base):
        raise TurnBlockedError(
            f"{what} refused: the branch history was rewritten ({base[:12]}, where the turn "
            f"started, is no longer an ancestor of HEAD); {NOTHING}",
            hint=f"restore the branch (git reflog; git reset --hard {base[:12]}), then rerun",
        )
    paths = gitio.committed_since(root, base)
    files = classify(root, [gitio.Change("M ", p) for p in paths], git.policy)
    bad = [*files.blocked, *(p for p, _ in files.left_out)]
    if bad:
        raise TurnBlockedError(
            f"{what} refused: commits since the turn started ({base[:12]}..HEAD) touch files "
            f"outside the loop's whitelist: {_shown(sorted(bad))}; {NOTHING}",
            hint=f"drop those commits (git reset {base[:12]} keeps their changes in the work "
            "tree), then rerun",
        )


def review_ledger(
    root: Path, rel: str, before: str | None, focus: str, what: str, j: Journal
) -> None:
    """Refuse a turn that changed the ledger outside the focus item (the diff goes to the
    log)."""
    if before is None:
        return
    try:
        after = (root / rel).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TurnBlockedError(
            f"{what} refused: the ledger {rel} cannot be read after the turn ({exc}); {NOTHING}",
            hint=f"restore it (git checkout -- {rel}), then rerun",
        ) from None
    audit = audit_ledger(before, after, rel, focus)
    if audit.ok:
        return
    j.write(f"ledger diff since the turn started ({len(audit.diff)} lines):")
    for line in audit.diff:
        j.write(f"  {line}")
    raise TurnBlockedError(
        f"{what} refused: the ledger changed outside [{focus}]: {'; '.join(audit.problems)}; "
        f"the diff is in {j.rel}; {NOTHING}",
        hint=f"restore the other items ({rel} as of the turn's start), keep only [{focus}]'s "
        "additions, then rerun",
    )
