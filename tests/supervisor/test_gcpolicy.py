"""The cycle-collector policy: paused inside the block, restored after; large models are
frozen out of later collections only where a one-shot process allowed it."""

from __future__ import annotations

import gc
import subprocess
import sys

from supervisor import gcpolicy


def test_paused_restores_the_collector_and_does_not_freeze_by_default() -> None:
    assert gc.isenabled()
    before = gc.get_freeze_count()
    with gcpolicy.paused(large=True):
        assert not gc.isenabled()
    assert gc.isenabled()
    assert gc.get_freeze_count() == before  # a library caller (tests, MCP) pins nothing


def test_a_one_shot_process_freezes_after_a_large_parse() -> None:
    code = (
        "import gc; from supervisor import gcpolicy\n"
        "with gcpolicy.paused(large=True): pass\n"
        "a = gc.get_freeze_count()\n"
        "gcpolicy.allow_freeze()\n"
        "with gcpolicy.paused(large=False): pass\n"
        "b = gc.get_freeze_count()\n"
        "with gcpolicy.paused(large=True): pass\n"
        "print(a, b, gc.get_freeze_count() > 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "0 0 True\n"
