"""contracts/*.yaml: the parsed model (with lines), tolerant schema problems, the status
ladder, and per-contract discharge in `supervisor status`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from supervisor.parse.contracts import discharge, parse_contract, rung

Run = Callable[..., CompletedProcess[str]]
Edit = tuple[str, str, str]
Mutate = Callable[[Path, list[Edit]], None]
LADDER = ("BLOCKER_*", "PARTIAL_ALGORITHM_LEVEL", "FUNCTIONAL")


def test_model_with_lines(clean_ws: Path) -> None:
    text = (clean_ws / "contracts/alpha.yaml").read_text(encoding="utf-8")
    cf = parse_contract(text, "contracts/alpha.yaml")
    assert cf.problems == ()
    c = cf.contract
    assert c is not None
    assert (c.id, c.version, c.title) == ("ALPHA-KERNEL", "1", "The kernel matches its C reference")
    assert c.status is not None and (c.status.text, c.status.line) == ("FUNCTIONAL", 4)
    ft1 = c.tests[0]
    assert (ft1.id, ft1.span.start, ft1.span.end) == ("FT-1", 8, 18)
    assert ft1.test is not None and (ft1.test.text, ft1.test.line) == (
        "checks/check_kernel.py::test_run",
        11,
    )
    assert ft1.evidence is not None
    assert [v.text for v in ft1.evidence.file_paths] == ["src/pkg/mod.py", "src/c/kernel.c"]
    assert [v.text for v in ft1.evidence.function_names] == ["Kernel.run", "helper", "accumulate"]
    assert ft1.evidence.invariants_enforced == ("run() == helper()",)
    assert discharge(c, LADDER) == (2, 2)


NOT_A_MAPPING = "a contract must be a YAML mapping with 'metadata' and 'falsification_tests'"
BAD_TEST = (
    "metadata: {id: X, version: 1, status: FUNCTIONAL}\nfalsification_tests:\n"
    "  - id: T1\n    rule: r\n    prediction: p\n    test: t.py\n    if_fails: f\n"
    "    status: [FUNCTIONAL]\n    algorithm_evidence: {file_paths: x.py}\n"
)
EVIDENCE = "'falsification_tests[0].algorithm_evidence.file_paths'"


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("- a\n- b\n", [(1, NOT_A_MAPPING)]),
        ("", [(1, NOT_A_MAPPING)]),
        (
            "metadata: {id: X, version: 1}\nfalsification_tests: []\nextra: 1\n",
            [
                (1, "metadata is missing 'status'"),
                (2, "no falsification tests"),
                (3, "unknown key 'extra' in the contract"),
            ],
        ),
        (
            BAD_TEST,
            [
                (8, "'falsification_tests[0].status' expected a string, got a list"),
                (
                    9,
                    "algorithm_evidence is missing 'function_names', 'invariants_enforced', 'notes'",
                ),
                (9, f"{EVIDENCE} expected a list, got a scalar"),
            ],
        ),
    ],
)
def test_schema_problems(text: str, problems: list[tuple[int, str]]) -> None:
    cf = parse_contract(text, "contracts/x.yaml")
    assert [(p.span.start, p.message) for p in cf.problems] == problems


def test_invalid_yaml_is_a_problem_with_its_line() -> None:
    cf = parse_contract("metadata: [\n", "contracts/x.yaml")
    assert cf.contract is None
    assert [(p.span.start, p.message[:13]) for p in cf.problems] == [(2, "invalid YAML:")]


def test_ladder_globs() -> None:
    assert [
        rung(s, LADDER) for s in ("BLOCKER_NO_CODE", "PARTIAL_ALGORITHM_LEVEL", "FUNCTIONAL")
    ] == [0, 1, 2]
    assert rung("functional", LADDER) is None  # case matters: statuses are identifiers


def test_status_shows_discharge(clean_ws: Path, mutate: Mutate, run_cli: Run) -> None:
    ft2 = "    status: FUNCTIONAL\n    algorithm_evidence:\n      file_paths: [src/c/kernel.c]"
    mutate(clean_ws, [("contracts/alpha.yaml", ft2, ft2.replace("FUNCTIONAL", "BLOCKER_X"))])
    r = run_cli(["status"], clean_ws)
    assert r.returncode == 0, r.stderr
    assert r.stdout.endswith(
        "\nContracts (discharged = falsification tests at the top rung):\n"
        "  ALPHA-KERNEL  [#####.....] 1/2 FUNCTIONAL (50%)  status FUNCTIONAL  "
        "contracts/alpha.yaml\n"
    )
    doc = json.loads(run_cli(["status", "--json"], clean_ws).stdout)
    assert doc["contracts"] == [
        {
            "path": "contracts/alpha.yaml",
            "id": "ALPHA-KERNEL",
            "status": "FUNCTIONAL",
            "discharged": 1,
            "total": 2,
            "percent": 50,
            "top": "FUNCTIONAL",
            "valid": True,
        }
    ]


def test_status_without_contracts_is_unchanged(demo_ws: Path, run_cli: Run) -> None:
    r = run_cli(["status"], demo_ws)
    assert "Contracts" not in r.stdout
    assert json.loads(run_cli(["status", "--json"], demo_ws).stdout)["contracts"] == []
