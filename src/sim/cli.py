"""`sim` command line (placeholder until the simulator lands)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    sys.stderr.write("sim: not implemented yet\n")
    return 1
