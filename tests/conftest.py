"""Shared fixtures: locations of the read-only corpus and simulator reference data.

Both live beside the checkout in ``../shared`` (override with ``SUPERVISOR_SHARED``).
Tests that need them skip with a clear reason when they are absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SUPERVISOR_SHARED", REPO_ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def corpus_root() -> Path:
    root = SHARED / "corpus" / "nanobragg"
    if not root.is_dir():
        pytest.skip(f"corpus not found at {root} (set SUPERVISOR_SHARED to the shared/ folder)")
    return root


@pytest.fixture(scope="session")
def sim_reference_root() -> Path:
    root = SHARED / "sim" / "reference"
    if not root.is_dir():
        pytest.skip(f"simulator reference data not found at {root} (set SUPERVISOR_SHARED)")
    return root
