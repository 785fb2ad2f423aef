"""YAML with line numbers: compose once, then read values through :class:`Node` so every
validation error can say ``path:line``. YAML nodes never leave the modules that validate them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from supervisor.errors import ConfigError


@dataclass(frozen=True)
class Node:
    """A composed YAML node with its 1-based line and a dotted key path for messages."""

    raw: Any  # yaml.Node
    path: str  # file, for messages
    where: str  # dotted key path, e.g. "commands.trace-spec.params.s"

    @property
    def line(self) -> int:
        return int(self.raw.start_mark.line) + 1

    @property
    def kind(self) -> str:
        return {"MappingNode": "mapping", "SequenceNode": "list"}.get(
            type(self.raw).__name__, "scalar"
        )

    def error(self, message: str, hint: str | None = None) -> ConfigError:
        label = f"'{self.where}' " if self.where else ""
        return ConfigError(f"{label}{message}", path=self.path, line=self.line, hint=hint)

    def value(self) -> Any:
        from yaml.constructor import ConstructorError, SafeConstructor

        try:
            return SafeConstructor().construct_object(self.raw, deep=True)
        except ConstructorError as exc:  # pragma: no cover - exotic tags
            raise self.error(f"cannot read value: {exc.problem}") from None

    def items(self) -> Iterator[tuple[str, Node, int]]:
        """``(key, value node, key line)`` of a mapping; duplicate keys are errors."""
        if self.kind != "mapping":
            raise self.error(f"expected a mapping, got a {self.kind}")
        seen: set[str] = set()
        for k, v in self.raw.value:
            key = str(k.value)
            if key in seen:
                raise ConfigError(
                    f"duplicate key '{key}'", path=self.path, line=k.start_mark.line + 1
                )
            seen.add(key)
            sub = f"{self.where}.{key}" if self.where else key
            yield key, Node(v, self.path, sub), k.start_mark.line + 1

    def seq(self) -> list[Node]:
        if self.kind != "list":
            raise self.error(f"expected a list, got a {self.kind}")
        return [Node(v, self.path, f"{self.where}[{i}]") for i, v in enumerate(self.raw.value)]

    def str_(self) -> str:
        v = self.value()
        if isinstance(v, bool) or v is None or isinstance(v, (list, dict)):
            raise self.error(f"expected a string, got {_kind(v)}")
        return str(v)

    def int_(self, minimum: int | None = None) -> int:
        v = self.value()
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.error(f"expected an integer, got {_kind(v)}")
        if minimum is not None and v < minimum:
            raise self.error(f"must be at least {minimum}, got {v}")
        return v

    def float_(self) -> float:
        v = self.value()
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.error(f"expected a number, got {_kind(v)}")
        return float(v)

    def bool_(self) -> bool:
        v = self.value()
        if not isinstance(v, bool):
            raise self.error(f"expected true or false, got {_kind(v)}")
        return v

    def str_list(self) -> tuple[str, ...]:
        return tuple(n.str_() for n in self.seq())

    def str_map(self) -> tuple[tuple[str, str], ...]:
        out = []
        for key, node, _ in self.items():
            v = node.value()
            if isinstance(v, (list, dict)) or v is None:
                raise node.error(f"expected a string value, got {_kind(v)}")
            out.append((key, str(v).lower() if isinstance(v, bool) else str(v)))
        return tuple(out)


def _kind(v: Any) -> str:
    if v is None:
        return "nothing (null)"
    if isinstance(v, bool):
        return f"a boolean ({str(v).lower()})"
    if isinstance(v, (int, float)):
        return f"a number ({v})"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a mapping"
    return f"'{v}'"


def compose(text: str, path: str) -> Node | None:
    """The document's root node (None for an empty document); syntax errors carry the line."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        root = yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(
            f"invalid YAML: {exc.problem}", path=path, line=line, hint="fix the YAML syntax"
        ) from None
    return None if root is None else Node(root, path, "")
