"""The `lint:` section of supervisor.yaml: severities, ledger size limit, contract ladder,
validated with path:line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from supervisor.config import LintConfig, parse_config
from supervisor.errors import ConfigError

BASE = "version: 1\nlint:\n"


def _parse(body: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "supervisor.yaml"
    return parse_config(BASE + body, path)


def test_defaults(tmp_path: Path) -> None:
    cfg = parse_config("version: 1\n", tmp_path / "supervisor.yaml")
    assert cfg.lint == LintConfig()
    assert cfg.lint.ledger_max_kb == 256
    assert cfg.lint.contract_ladder == ("BLOCKER_*", "PARTIAL_ALGORITHM_LEVEL", "FUNCTIONAL")


def test_valid_section(tmp_path: Path) -> None:
    cfg = _parse(
        "  severity:\n    L107: off\n    P203: error\n    l105: WARNING\n"
        "  ledger_max_kb: 512\n  contract_ladder: [OPEN, DONE]\n  colour: red\n",
        tmp_path,
    )
    assert cfg.lint.severity == (("L107", "off"), ("P203", "error"), ("L105", "warning"))
    assert cfg.lint.ledger_max_kb == 512
    assert cfg.lint.contract_ladder == ("OPEN", "DONE")
    assert cfg.warnings == (
        "supervisor.yaml:9: unknown key 'colour' in 'lint' (ignored) — use one of: "
        "contract_ladder, ledger_max_kb, severity",
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "  severity:\n    L999: off\n",
            "supervisor.yaml:4: 'lint.severity.L999' unknown lint code 'L999' — see "
            "`supervisor lint --list-codes`",
        ),
        (
            "  severity:\n    L101: loud\n",
            "supervisor.yaml:4: 'lint.severity.L101' unknown severity 'loud' — use one of: "
            "error, off, warning",
        ),
        (
            "  severity:\n    L101: yes\n",
            "supervisor.yaml:4: 'lint.severity.L101' expected a string, got a boolean (true)",
        ),
        (
            "  ledger_max_kb: 0\n",
            "supervisor.yaml:3: 'lint.ledger_max_kb' must be at least 1, got 0",
        ),
        (
            "  contract_ladder: [ONLY]\n",
            "supervisor.yaml:3: 'lint.contract_ladder' needs at least two distinct statuses, "
            "lowest first — e.g. [BLOCKER_*, PARTIAL_ALGORITHM_LEVEL, FUNCTIONAL]",
        ),
        ("  - L101\n", "supervisor.yaml:3: 'lint' expected a mapping, got a list"),
    ],
)
def test_errors_carry_lines(body: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        _parse(body, tmp_path)
    assert str(exc.value) == message


def test_repository_config_still_parses(repo_root: Path) -> None:
    from supervisor.config import load_config

    cfg = load_config(repo_root)
    assert cfg.lint.contract_ladder[-1] == "FUNCTIONAL"
