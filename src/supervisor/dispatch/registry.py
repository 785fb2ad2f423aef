"""The command registry: pick named commands, check ``k=v`` values, render argv lists.

Only commands declared in ``supervisor.yaml`` run, as argv lists (never a shell line). Each
``k=v`` is checked against the parameter's declared type before anything runs:

* ``int`` and ``float``: a (finite) number; ``choice``: one of the declared choices;
* ``path``: a path inside the workspace (relative paths are workspace-relative; ``..`` and
  symlinks that leave the workspace are refused), rendered as the resolved relative path
  that was checked (symlinks followed, then ``..``; ``./-x`` when it would start with ``-``);
* ``flag``: ``true/false/yes/no/on/off/1/0``; an argv word that is exactly ``{name}`` becomes
  ``--name`` (``_`` -> ``-``) when true and is dropped when false; inside a longer word a flag
  renders ``true``/``false``;
* ``str``: any text without control characters that does not start with ``-``.

A value is substituted once (a value that looks like ``{out}`` stays literal). Builtin
placeholders: ``{out}`` (the bundle directory, workspace-relative; commands run in the
workspace root), ``{workspace}`` (absolute root), ``{python}`` (this interpreter), ``{stamp}``.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from supervisor.config import PARAM_TYPES, CommandSpec, Config, ParamSpec
from supervisor.errors import NotFoundError, UsageError, choices_hint, close_matches

if TYPE_CHECKING:  # pragma: no cover
    from supervisor.model import Task

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_WORD = re.compile(r"[a-z][a-z0-9_-]*")
_TRUE = ("1", "on", "true", "yes")
_FALSE = ("0", "false", "no", "off")
_EXAMPLE = {"int": "128", "float": "1.5", "path": "reports/x.log", "flag": "true", "str": "text"}
assert set(_EXAMPLE) | {"choice"} == set(PARAM_TYPES)


@dataclass(frozen=True)
class Invocation:
    """One command, ready to run: the exact argv, the env overrides, and its limits."""

    name: str
    argv: tuple[str, ...]
    params: tuple[tuple[str, str], ...]  # rendered values, in declared order
    env: tuple[tuple[str, str], ...]  # overrides on top of the inherited environment
    timeout: float | None
    outputs: tuple[str, ...]  # bundle-relative paths the command is expected to write
    help: str = ""
    ok_exit: tuple[int, ...] = (0,)  # exit codes that count as success


def task_commands(config: Config, task: Task | None) -> list[CommandSpec]:
    """The registry commands a plan task names in its description or guidance, in registry
    order. ``supervisor next`` (the brief) and ``supervisor dispatch --focus`` both use this."""
    if task is None:
        return []
    names = set(_WORD.findall(" ".join((task.description, task.guidance))))
    return [c for c in config.commands if c.name in names]


def split_args(args: Sequence[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Command names and ``k=v`` assignments, in the order given."""
    names: list[str] = []
    pairs: list[tuple[str, str]] = []
    for a in args:
        if "=" in a:
            k, _, v = a.partition("=")
            if not k:
                raise UsageError(f"'{a}' has no parameter name", hint="write name=value")
            pairs.append((k, v))
        else:
            names.append(a)
    return names, pairs


def select(config: Config, names: Sequence[str]) -> list[CommandSpec]:
    """The named commands, in the order given; unknown or repeated names are refused."""
    known = [c.name for c in config.commands]
    out: list[CommandSpec] = []
    for name in names:
        spec = config.command(name)
        if spec is None:
            near = close_matches(name, known)
            guess = f"did you mean {', '.join(near)}? " if near else ""
            raise NotFoundError(
                f"no command '{name}' in the registry",
                path=config.rel_path,
                hint=guess + (choices_hint(known) if known else "declare it under commands:"),
            )
        if spec in out:
            raise UsageError(f"command '{name}' named twice", hint="name each command once")
        out.append(spec)
    return out


def check_values(
    specs: Sequence[CommandSpec], pairs: Sequence[tuple[str, str]], root: Path
) -> list[dict[str, str]]:
    """Per command, the rendered value of every parameter (given, else default). A ``k=v``
    applies to each selected command that declares ``k``."""
    given: dict[str, str] = {}
    for k, v in pairs:
        if k in given:
            raise UsageError(f"parameter '{k}' given twice", hint="give each parameter once")
        given[k] = v
    declared = sorted({p.name for s in specs for p in s.params})
    for k in given:
        if k not in declared:
            who = ", ".join(s.name for s in specs)
            raise UsageError(
                f"unknown parameter '{k}' for {who}",
                hint=choices_hint(declared) if declared else f"{who} takes no parameters",
            )
    out = []
    for spec in specs:
        values: dict[str, str] = {}
        for p in spec.params:
            if p.name in given:
                values[p.name] = check_value(spec, p, given[p.name], root)
            elif p.default is not None:
                raw = p.default
                text = ("true" if raw else "false") if isinstance(raw, bool) else str(raw)
                values[p.name] = check_value(spec, p, text, root)
            elif p.required or _used(spec, p.name):
                example = p.choices[0] if p.type == "choice" else _EXAMPLE[p.type]
                what = f" ({p.help})" if p.help else ""
                raise UsageError(
                    f"{spec.name}: missing parameter {p.name}{what}",
                    hint=f"pass {p.name}=<{p.type}>, e.g. {p.name}={example}",
                )
        out.append(values)
    return out


def _used(spec: CommandSpec, name: str) -> bool:
    return any(name in _PLACEHOLDER.findall(w) for w in spec.argv)


def check_value(spec: CommandSpec, p: ParamSpec, value: str, root: Path) -> str:
    """The value as it will be rendered, or a UsageError that lists what is valid."""
    shown = f"{spec.name}: {p.name}={value!r}"
    if p.type == "int":
        if not re.fullmatch(r"[+-]?\d{1,18}", value.strip()):
            raise UsageError(f"{shown} is not an int", hint=_like(p, "a whole number"))
        return str(int(value))
    if p.type == "float":
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise UsageError(f"{shown} is not a finite number", hint=_like(p, "a number"))
        return value.strip()
    if p.type == "choice":
        if value not in p.choices:
            raise UsageError(f"{shown} is not a valid choice", hint=choices_hint(p.choices))
        return value
    if p.type == "flag":
        low = value.strip().lower()
        if low not in _TRUE + _FALSE:
            raise UsageError(f"{shown} is not a flag value", hint=choices_hint(_TRUE + _FALSE))
        return "true" if low in _TRUE else "false"
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise UsageError(f"{spec.name}: {p.name} contains a control character", hint="pass text")
    if p.type == "path":
        return _inside(shown, value, root)
    if value.startswith("-"):
        raise UsageError(
            f"{shown} starts with '-' and could be read as an option",
            hint="pass a value that does not start with '-'",
        )
    return value


def _like(p: ParamSpec, what: str) -> str:
    example = p.default if p.default is not None else _EXAMPLE[p.type]
    return f"use {what}, e.g. {p.name}={example}"


def _inside(shown: str, value: str, root: Path) -> str:
    """The workspace-relative path ``value`` really names (every symlink resolved, then
    ``..``): exactly the path that was checked is what the command gets."""
    from supervisor.confine import confine

    if not value:
        raise UsageError(f"{shown} is empty", hint="pass a path inside the workspace")
    text = confine(root, value, what=shown).rel
    return f"./{text}" if text.startswith("-") else text


def render(
    spec: CommandSpec, values: Mapping[str, str], builtins: Mapping[str, str], config: Config
) -> Invocation:
    """The exact argv (argv[0] resolved to an executable) and env overrides of one command."""
    table = {**builtins, **values}
    flags = {p.name for p in spec.params if p.type == "flag"}
    argv: list[str] = []
    for word in spec.argv:
        whole = _PLACEHOLDER.fullmatch(word)
        if whole and whole.group(1) in flags:
            if values[whole.group(1)] == "true":
                argv.append("--" + whole.group(1).replace("_", "-"))
            continue
        argv.append(_PLACEHOLDER.sub(lambda m: table[m.group(1)], word))
    env = dict(config.env)
    env.update(spec.env)
    rendered = {k: _PLACEHOLDER.sub(lambda m: table.get(m.group(1), m.group(0)), v)
                for k, v in env.items()}  # fmt: skip
    argv[0] = executable(argv[0], spec, config, rendered.get("PATH"))
    params = tuple((p.name, values[p.name]) for p in spec.params if p.name in values)
    return Invocation(
        name=spec.name,
        argv=tuple(argv),
        params=params,
        env=tuple(rendered.items()),
        timeout=spec.timeout,
        outputs=spec.outputs,
        help=spec.help,
        ok_exit=spec.ok_exit,
    )


def executable(word: str, spec: CommandSpec, config: Config, path: str | None) -> str:
    """``argv[0]`` as an absolute path: a bare name is looked up beside this interpreter
    first (the virtual environment's scripts: ``sim``, ``supervisor``), then on PATH."""
    if "/" in word:
        target = Path(word) if Path(word).is_absolute() else config.root / word
        if target.is_file() and os.access(target, os.X_OK):
            return str(target)
    else:
        import shutil

        search = os.pathsep.join(
            [str(Path(sys.executable).parent), path or os.environ.get("PATH", os.defpath)]
        )
        found = shutil.which(word, path=search)
        if found:
            return found
    raise NotFoundError(
        f"command '{spec.name}': executable '{word}' not found",
        path=config.rel_path,
        line=spec.line or None,
        hint="install it, or fix the command's argv in supervisor.yaml",
    )
