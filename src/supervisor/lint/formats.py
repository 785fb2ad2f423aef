"""How a :class:`~supervisor.lint.LintReport` is shown: ``text`` (``path:line: CODE message —
fix``), ``json`` (the versioned ``kind: lint`` document), ``github`` (workflow commands that
GitHub Actions shows as annotations on the pull request), and ``sarif`` (a SARIF 2.1.0 log
that code-scanning tools such as GitHub code scanning accept).

Paths in ``github`` and ``sarif`` output are relative to the repository root (GitHub resolves
them there), so a workspace in a subdirectory of its repository gets that prefix; outside a
repository they are workspace-relative. Nothing here depends on the machine: no absolute
paths, no timestamps.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supervisor.lint.findings import CODES, ERROR, OFF, Finding

if TYPE_CHECKING:  # pragma: no cover
    from supervisor.lint import LintReport

FORMATS = ("text", "json", "github", "sarif")
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
TOOL_NAME = "supervisor-lint"
FINGERPRINT = "supervisorLint/v1"
SRCROOT = "%SRCROOT%"


def repo_prefix(root: Path) -> str:
    """The workspace's path inside its repository (``""`` at the top or outside one), found
    by looking for ``.git`` in the workspace and its parents (git itself is not run)."""
    here = root.resolve()
    for parent in (here, *here.parents):
        if (parent / ".git").exists():
            rel = here.relative_to(parent).as_posix()
            return "" if rel == "." else rel + "/"
    return ""


def render_text(report: LintReport) -> str:
    out = [r.diff for r in report.fixed]
    out += [f.render() + "\n" for f in report.findings]
    out.append(report.summary() + "\n")
    return "".join(out)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_line(f: Finding, prefix: str = "") -> str:
    """One finding as a GitHub Actions workflow command (``::error file=…,line=…::…``)."""
    level = "error" if f.severity == ERROR else "warning"
    props = [
        f"file={_escape_property(prefix + f.path)}",
        f"line={f.line}",
        f"endLine={f.span.end}",
        f"title={_escape_property(f'{f.code} {f.name}')}",
    ]
    text = f.message + (f" — {f.fix}" if f.fix else "")
    return f"::{level} {','.join(props)}::{_escape_data(text)}"


def render_github(report: LintReport, prefix: str = "") -> str:
    """Annotations, then the summary as a plain log line (the fixes' diffs are not shown:
    the workflow's own diff of the tree shows them)."""
    lines = [github_line(f, prefix) for f in report.findings]
    lines.append(report.summary())
    return "\n".join(lines) + "\n"


def _rules() -> list[dict[str, Any]]:
    out = []
    for c in CODES.values():
        level = "none" if c.severity == OFF else c.severity
        out.append(
            {
                "id": c.code,
                "name": c.name,
                "shortDescription": {"text": c.summary.replace("`", "")},
                "defaultConfiguration": {"level": level, "enabled": c.severity != OFF},
                "properties": {"fixable": c.fixable},
            }
        )
    return out


def _fingerprint(f: Finding, prefix: str) -> str:
    key = "\0".join((f.code, prefix + f.path, f.message))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def sarif_document(report: LintReport, prefix: str = "", version: str = "") -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run: every code as a rule, every finding as a result."""
    index = {code: k for k, code in enumerate(CODES)}
    results = []
    for f in report.findings:
        text = f.message + (f" — {f.fix}" if f.fix else "")
        results.append(
            {
                "ruleId": f.code,
                "ruleIndex": index[f.code],
                "level": "error" if f.severity == ERROR else "warning",
                "message": {"text": text},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": prefix + f.path, "uriBaseId": SRCROOT},
                            "region": {"startLine": f.line, "endLine": f.span.end},
                        }
                    }
                ],
                "partialFingerprints": {FINGERPRINT: _fingerprint(f, prefix)},
            }
        )
    driver: dict[str, Any] = {"name": TOOL_NAME, "rules": _rules()}
    if version:
        driver["version"] = version
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
