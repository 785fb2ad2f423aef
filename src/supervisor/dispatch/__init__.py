"""Dispatch: run named registry commands into evidence bundles.

registry.py (names, typed ``k=v`` values, argv rendering), runner.py (the only subprocess
caller), bundle.py (bundle layout, STAMP, SHA256SUMS, env.json, bundle.json, summary.md),
session.py (one dispatch from start to sealed bundle). Importing this package is free:
every submodule is imported where it is used.
"""
