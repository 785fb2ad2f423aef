"""`supervisor lint --format text|json|github|sarif`: GitHub workflow annotations and a SARIF
2.1.0 log (validated against the published schema, vendored in tests/fixtures/sarif), paths relative to the
repository root, values refused with the valid ones listed."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from supervisor.lint import CODES
from supervisor.lint.findings import Finding, at
from supervisor.lint.formats import github_line

jsonschema = pytest.importorskip("jsonschema")

Run = Callable[..., CompletedProcess[str]]
Edit = tuple[str, str, str]
Mutate = Callable[[Path, list[Edit]], None]
# the published SARIF 2.1.0 schema (provenance: tests/fixtures/sarif/README.md)
SCHEMA = Path(__file__).resolve().parents[2] / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"
ROW_B = "| [BETA-002](#beta-002-reference-build) | Reference build | High | done |"
POINTER_LINE = "- src/pkg/mod.py#L2 — the kernel's run method."


@pytest.fixture
def drifted(clean_ws: Path, mutate: Mutate) -> Path:
    """One error (P201) and one warning (L118)."""
    mutate(
        clean_ws,
        [
            ("docs/fix_plan.md", ROW_B, ROW_B + " "),
            ("input.md", POINTER_LINE, "- src/pkg/gone.py:3 — removed.\n" + POINTER_LINE),
        ],
    )
    return clean_ws


def _validate(doc: object) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert [f"{list(e.path)}: {e.message}" for e in errors] == []


def test_github_annotations(drifted: Path, run_cli: Run) -> None:
    r = run_cli(["lint", "--format", "github"], drifted)
    assert r.returncode == 1
    assert r.stdout.splitlines() == [
        "::warning file=docs/fix_plan.md,line=11,endLine=11,title=L118 table-trailing-space::"
        "table row ends in whitespace — strip it (supervisor lint --fix-safe)",
        "::error file=input.md,line=17,endLine=17,title=P201 pointer-missing-file::"
        "`src/pkg/gone.py:3`: src/pkg/gone.py does not exist — fix the path, or drop the "
        "pointer until the file exists",
        "1 error, 1 warning in 4 files",
    ]


def test_github_escaping() -> None:
    f = Finding(at("a,b:c%.md", 3, 4), "P201", "100% sure,\nreally: yes", "fix\r\nit", "warning")
    assert github_line(f, "sub/") == (
        "::warning file=sub/a%2Cb%3Ac%25.md,line=3,endLine=4,title=P201 pointer-missing-file::"
        "100%25 sure,%0Areally: yes — fix%0D%0Ait"
    )


def test_sarif_log_is_valid_and_complete(drifted: Path, run_cli: Run) -> None:
    r = run_cli(["lint", "--format", "sarif"], drifted)
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    _validate(doc)
    assert doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == list(CODES)
    assert rules[list(CODES).index("P206")]["defaultConfiguration"] == {
        "level": "none",
        "enabled": False,
    }
    first, second = run["results"]
    assert {k: v for k, v in second.items() if k != "partialFingerprints"} == {
        "ruleId": "P201",
        "ruleIndex": list(CODES).index("P201"),
        "level": "error",
        "message": {
            "text": "`src/pkg/gone.py:3`: src/pkg/gone.py does not exist — fix the path, or "
            "drop the pointer until the file exists"
        },
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": "input.md", "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": 17, "endLine": 17},
                }
            }
        ],
    }
    assert (first["ruleId"], first["level"]) == ("L118", "warning")
    assert rules[first["ruleIndex"]]["id"] == "L118"
    assert len(set(second["partialFingerprints"].values())) == 1
    # deterministic: the same workspace gives the same bytes
    assert run_cli(["lint", "--format", "sarif"], drifted).stdout == r.stdout


def test_sarif_schema_rejects_what_code_scanning_would(drifted: Path, run_cli: Run) -> None:
    """The schema is not a rubber stamp: a result without a message, a line 0 and an unknown
    level are refused."""
    doc = json.loads(run_cli(["lint", "--format", "sarif"], drifted).stdout)
    result = doc["runs"][0]["results"][1]
    del result["message"]
    result["level"] = "fatal"
    result["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    messages = sorted(e.message for e in jsonschema.Draft7Validator(schema).iter_errors(doc))
    assert messages == [
        "'fatal' is not one of ['none', 'note', 'warning', 'error']",
        "'message' is a required property",
        "0 is less than the minimum of 1",
    ]


def test_clean_sarif_has_no_results(clean_ws: Path, run_cli: Run) -> None:
    r = run_cli(["lint", "--format", "sarif"], clean_ws)
    doc = json.loads(r.stdout)
    _validate(doc)
    assert (r.returncode, doc["runs"][0]["results"]) == (0, [])


def test_paths_are_relative_to_the_repository_root(drifted: Path, run_cli: Run) -> None:
    top = drifted.parent
    subprocess.run(["git", "init", "-q"], cwd=top, check=True)
    r = run_cli(["lint", "--format", "github"], drifted)
    assert r.stdout.splitlines()[1].startswith("::error file=lint_ws/input.md,line=17,")
    doc = json.loads(run_cli(["lint", "--format", "sarif"], drifted).stdout)
    uris = [
        res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for res in doc["runs"][0]["results"]
    ]
    assert uris == ["lint_ws/docs/fix_plan.md", "lint_ws/input.md"]


def test_json_flag_and_format_json_agree(drifted: Path, run_cli: Run) -> None:
    a = run_cli(["lint", "--json"], drifted)
    b = run_cli(["lint", "--format", "json"], drifted)
    assert a.stdout == b.stdout and json.loads(a.stdout)["kind"] == "lint"


def test_format_refusals(clean_ws: Path, run_cli: Run) -> None:
    r = run_cli(["lint", "--format", "xml"], clean_ws)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == "error: unknown --format 'xml' — use one of: github, json, sarif, text\n"
    r = run_cli(["lint", "--json", "--format", "sarif"], clean_ws)
    assert r.returncode == 1  # (with --json the error may come as a JSON document)
    assert "--json conflicts with --format sarif — give one of them" in r.stdout + r.stderr
