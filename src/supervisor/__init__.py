"""supervisor: deterministic planning and task dispatch for coding-agent loops."""

__version__ = "0.1.0"
