"""Run benchmarks: `python -m benchmarks [NAME ...]` (default: all `bench_*.py` modules).

Each module has a `main(argv) -> int` that writes its JSON under benchmarks/results/.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).resolve().parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    wanted = [a if a.startswith("bench_") else f"bench_{a}" for a in argv] or names
    unknown = [w for w in wanted if w not in names]
    if unknown:
        sys.stderr.write(f"unknown benchmark(s): {', '.join(unknown)}; have: {', '.join(names)}\n")
        return 1
    status = 0
    for name in wanted:
        sys.stderr.write(f"== {name}\n")
        module = importlib.import_module(f"benchmarks.{name}")
        status |= int(module.main([]) or 0)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
