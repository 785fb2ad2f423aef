"""One error hierarchy for the whole tool.

User errors (bad input, missing files, refused values) derive from :class:`SupervisorError`
and end the process with exit code 1 and a one-line ``path:line: problem — fix`` message.
Anything else that escapes is a bug: exit code 3 with a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

EXIT_OK = 0
EXIT_USER = 1
EXIT_DIVERGED = 2  # `trace diff` found a divergence (not an error)
EXIT_BUG = 3
EXIT_INTERRUPTED = 130

# The formats reference; errors about a file's format link one of its sections.
FORMATS_DOC = "docs/formats.md"
FORMAT_SECTIONS = ("config", "ledger", "plan", "brief", "contract", "lint")


def format_link(section: str) -> str:
    """``docs/formats.md#ledger``: where the format an error mentions is described."""
    if section not in FORMAT_SECTIONS:
        raise ValueError(f"no formats section {section!r}")
    return f"{FORMATS_DOC}#{section}"


class SupervisorError(Exception):
    """A problem the user can fix. Rendered as ``path:line: message — hint``."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        hint: str | None = None,
        see: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.hint = hint
        self.see = None if see is None else format_link(see)

    @property
    def fix(self) -> str:
        """The hint with the formats link, as printed after the dash."""
        link = f"see {self.see}" if self.see else ""
        if self.hint and link:
            return f"{self.hint} ({link})"
        return self.hint or link

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line is not None else f"{self.path}: "
        tail = f" — {self.fix}" if self.fix else ""
        return f"{where}{self.message}{tail}"

    def as_dict(self) -> dict[str, object]:
        """The fields of the ``--json`` error document."""
        return {
            "error": type(self).__name__,
            "path": self.path,
            "line": self.line,
            "problem": self.message,
            "fix": self.fix or None,
            "see": self.see,
            "message": str(self),
        }


class ConfigError(SupervisorError):
    """supervisor.yaml is missing, unreadable or invalid."""


class WorkspaceError(SupervisorError):
    """A workspace file is missing, unreadable, not UTF-8, or has no usable content."""


class ParseError(SupervisorError):
    """A file could not be read as the format it claims to be."""


class UsageError(SupervisorError):
    """A command-line value was refused."""


class NotFoundError(SupervisorError):
    """A named thing (item, task, command) does not exist."""


class TemplateError(SupervisorError):
    """A template is empty, malformed, or uses an undefined variable."""


class WriteConflictError(SupervisorError):
    """A file changed on disk between read and write, or a write could not be verified."""


class EvidenceError(SupervisorError):
    """A status change is not backed by the evidence it cites."""


class MissingExtraError(SupervisorError):
    """An optional dependency (torch, matplotlib) is not installed; the hint names the extra."""


def choices_hint(valid: Iterable[str], *, what: str = "one of") -> str:
    """``use one of: a, b, c`` for rejecting a value while listing the valid ones."""
    items = sorted({str(v) for v in valid})
    return f"use {what}: {', '.join(items)}" if items else "no valid values are configured"


def close_matches(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Close spellings of ``word`` among ``candidates`` (for 'did you mean' hints)."""
    import difflib

    pool = list(candidates)
    upper = {c.upper(): c for c in pool}
    hits = difflib.get_close_matches(word.upper(), list(upper), n=n, cutoff=0.6)
    return [upper[h] for h in hits]
