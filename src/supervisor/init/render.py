"""The adopted ``supervisor.yaml``: each inferred value with a comment saying where it came
from, and what could not be inferred as comments at the end."""

from __future__ import annotations

import json
import re

from supervisor.init.adopt import Adoption

_PLAIN = re.compile(r"^[A-Za-z_./][A-Za-z0-9_./+-]*$")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def scalar(value: object) -> str:
    """A YAML scalar: plain when safe, else a JSON (double-quoted) string."""
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def flow(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(scalar(v) for v in values) + "]"


def adopted_config(project: str, a: Adoption) -> str:
    notes = {v.key: v.note for v in a.values}

    def get(key: str) -> object:
        return a.get(key)

    def c(key: str) -> str:
        return f"  # {notes[key]}" if key in notes else ""

    out = [
        "# supervisor workspace, written by `supervisor init --adopt` from the existing ledger",
        "# and plans. Each value says where it came from; check them, then run `supervisor lint`.",
        "# Every key is described in docs/formats.md#config.",
        "version: 1",
        f"project: {scalar(project)}",
        f"branch: {scalar(get('branch'))}{c('branch')}",
        "paths:",
        f"  ledger: {scalar(get('paths.ledger'))}{c('paths.ledger')}",
        f"  plans: {scalar(get('paths.plans'))}{c('paths.plans')}",
        f"priorities: {flow(_tuple(get('priorities')))}{c('priorities')}",
        "statuses:",
    ]
    for kind in ("active", "blocked", "done"):
        key = f"statuses.{kind}"
        out.append(f"  {kind}: {flow(_tuple(get(key)))}{c(key)}")
    mode = get("brief.default_mode")
    if mode is not None:
        out += ["brief:", f"  default_mode: {scalar(mode)}{c('brief.default_mode')}"]
    env = get("env")
    if isinstance(env, tuple) and env:
        out.append(f"env:{c('env')}")
        out += [f"  {pair[0]}: {json.dumps(str(pair[1]))}" for pair in env]
    if a.unknown:
        out += ["", "# Not inferred (fill in by hand):"]
        out += [f"# - {line}" for line in a.unknown]
    return "\n".join(out) + "\n"


def _tuple(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, tuple | list) else ()
