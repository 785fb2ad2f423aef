"""``supervisor.yaml`` -> frozen :class:`Config`, found by walking up from a directory.

Unknown keys are collected as warnings (``Config.warnings``); wrong types are ``path:line``
errors. The command registry is declared and validated here; ``dispatch`` runs it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from supervisor.errors import ConfigError, choices_hint
from supervisor.yamlnodes import Node, compose

CONFIG_NAME = "supervisor.yaml"
PARAM_TYPES = ("int", "float", "choice", "path", "flag", "str")
BUILTIN_PLACEHOLDERS = ("out", "workspace", "python", "stamp")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Paths:
    ledger: str = "docs/fix_plan.md"
    plans: str = "plans/active"
    templates: str = "templates"
    brief: str = "input.md"
    reports: str = "reports"
    contracts: str = "contracts"


ID_TOKEN = "{id}"


@dataclass(frozen=True)
class LedgerShape:
    """The ``ledger:`` section: which ledger shapes to recognise. ``sections`` items are
    headings matching ``item_heading`` (a regex over the heading text, ``{id}`` standing for
    an item ID, an optional ``(?P<title>…)`` group); ``single-focus`` ledgers have a
    ``focus_heading`` section naming the item and a ``history_heading`` section of
    ``### <timestamp> — <label>`` attempts; ``auto`` tries sections, then single-focus.
    ``plan_files`` are the file names looked for in ``<plans>/<ID>/`` when the item names no
    plan."""

    shape: str = "auto"  # one of LEDGER_SHAPES
    item_heading: str = r"\[{id}\]\s*(?P<title>.*)"
    focus_heading: str = "Current Focus"
    history_heading: str = "Attempts History"
    plan_files: tuple[str, ...] = ("plan.md", "implementation.md")


LEDGER_SHAPES = ("auto", "sections", "single-focus")


@dataclass(frozen=True)
class Limits:
    """The ``limits:`` section: the largest ledger or plan file read (non-regular files such
    as FIFOs and devices are always refused)."""

    max_file_mb: int = 128

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 2**20


@dataclass(frozen=True)
class Statuses:
    active: tuple[str, ...] = ("in_progress", "in_planning", "pending", "new", "queued", "open")
    blocked: tuple[str, ...] = ("blocked", "paused", "on_hold")
    done: tuple[str, ...] = (
        "done", "complete", "completed", "implemented", "archived", "resolved", "closed",
    )  # fmt: skip

    def kind(self, word: str) -> str | None:
        """``active`` / ``blocked`` / ``done`` for a status word, or None when unknown."""
        return _kinds(self).get(word.lower())


@functools.lru_cache(maxsize=16)
def _kinds(statuses: Statuses) -> dict[str, str]:
    """Lowercased status word -> kind (``done`` wins over ``blocked`` over ``active``)."""
    out: dict[str, str] = {}
    for name in ("done", "blocked", "active"):
        for s in getattr(statuses, name):
            out.setdefault(s.lower(), name)
    return out


@dataclass(frozen=True)
class ParamSpec:
    name: str
    type: str  # one of PARAM_TYPES
    choices: tuple[str, ...] = ()
    default: Any = None
    required: bool = False
    help: str = ""


@dataclass(frozen=True)
class CommandSpec:
    """A named command: an argv template with ``{param}`` placeholders, never a shell line."""

    name: str
    argv: tuple[str, ...]
    params: tuple[ParamSpec, ...] = ()
    help: str = ""
    env: tuple[tuple[str, str], ...] = ()
    timeout: float | None = None
    outputs: tuple[str, ...] = ()
    ok_exit: tuple[int, ...] = (0,)  # exit codes that count as success (trace diff: 0 and 2)
    line: int = 0

    def param(self, name: str) -> ParamSpec | None:
        return next((p for p in self.params if p.name == name), None)


@dataclass(frozen=True)
class LintConfig:
    """The ``lint:`` section: per-code severity overrides, ledger size limit, contract ladder
    (lowest rung first; entries may be globs such as ``BLOCKER_*``)."""

    severity: tuple[tuple[str, str], ...] = ()  # (code, "error" | "warning" | "off")
    ledger_max_kb: int = 256
    contract_ladder: tuple[str, ...] = ("BLOCKER_*", "PARTIAL_ALGORITHM_LEVEL", "FUNCTIONAL")


ESCALATIONS = ("mode", "block", "next")


@dataclass(frozen=True)
class GoalsFile:
    """Where the operator keeps ordered goals: a file and the markers around the list."""

    path: str
    start: str = "<current long-term goals>"
    end: str = "</current long-term goals>"


@dataclass(frozen=True)
class Selection:
    """The ``selection:`` section: the stall window, the operator's goals (inline, or in a
    file between markers), how many recent commit subjects count as the loop's history, and
    after how many turns without an attempt an Active Focus entry is stale."""

    stall_window: int = 3
    goals: tuple[str, ...] = ()
    goals_file: GoalsFile | None = None
    history: int = 30
    stale_turns: int = 10


_SELECTION_KEYS = ["stall_window", "goals", "goals_file", "history", "stale_turns"]


@dataclass(frozen=True)
class AgentPreset:
    """A ``loop.agents:`` entry: how to run one agent non-interactively. In ``argv``,
    ``{brief}`` is the brief's path and ``{prompt}`` its text; ``stdin`` feeds the brief on
    standard input. Built-in presets: :mod:`supervisor.loop.presets`."""

    name: str
    argv: tuple[str, ...]
    stdin: bool = False
    line: int = 0


@dataclass(frozen=True)
class LoopConfig:
    """The ``loop:`` section: the agent command (argv, never a shell line), iteration and
    time limits, the stall guard, what a turn may commit, and where logs and state live."""

    agent: tuple[str, ...] = ()
    iterations: int = 1
    timeout: float | None = 3600.0
    lease_seconds: float = 600.0
    stall_iterations: int = 3
    stall_escalate: str = "mode"  # one of ESCALATIONS
    whitelist: tuple[str, ...] | None = None  # None: brief, ledger, plans/**, state file
    evidence_allow: tuple[str, ...] = ("reports/**",)
    evidence_max_file_kb: int = 1024
    evidence_max_turn_kb: int = 8192
    logs: str = "logs"
    state: str = "sync/state.json"
    remote: str = "origin"
    agents: tuple[AgentPreset, ...] = ()  # presets for `loop --agent NAME`


@dataclass(frozen=True)
class Config:
    root: Path  # the workspace root: the directory holding supervisor.yaml
    path: Path
    project: str = "workspace"
    branch: str = "main"
    paths: Paths = field(default_factory=Paths)
    priorities: tuple[str, ...] = ("Critical", "High", "Medium", "Low")
    statuses: Statuses = field(default_factory=Statuses)
    selection: Selection = field(default_factory=Selection)
    ledger: LedgerShape = field(default_factory=LedgerShape)
    default_mode: str = "Implementation"  # neutral when supervisor.yaml names none
    stall_mode: str = "Evidence"
    env: tuple[tuple[str, str], ...] = ()
    pitfalls: tuple[str, ...] = ()
    commands: tuple[CommandSpec, ...] = ()
    lint: LintConfig = field(default_factory=LintConfig)
    loop: LoopConfig = field(default_factory=LoopConfig)
    limits: Limits = field(default_factory=Limits)
    warnings: tuple[str, ...] = ()

    def command(self, name: str) -> CommandSpec | None:
        return next((c for c in self.commands if c.name == name), None)

    @property
    def stall_window(self) -> int:
        return self.selection.stall_window

    @property
    def rel_path(self) -> str:
        return self.path.name


def find_config(start: Path) -> Path:
    """The nearest ``supervisor.yaml`` at or above ``start``."""
    here = start.resolve()
    for d in (here, *here.parents):
        candidate = d / CONFIG_NAME
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"no {CONFIG_NAME} found in {here} or any parent directory",
        hint="run inside a workspace, pass -C DIR, or start one with `supervisor init`",
        see="config",
    )


def load_config(start: Path) -> Config:
    path = find_config(start)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"not valid UTF-8 (byte {exc.start})", path=path.name, hint="save it as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=path.name) from None
    return parse_config(text, path)


_TOP = (
    "version", "project", "branch", "paths", "priorities", "statuses", "selection", "ledger",
    "brief", "env", "pitfalls", "commands", "lint", "loop", "limits",
)  # fmt: skip


def parse_config(text: str, path: Path) -> Config:
    name = path.name
    root = compose(text, name)
    if root is None:
        raise ConfigError(
            "empty configuration", path=name, line=1, hint="add at least 'version: 1'"
        )
    warnings: list[str] = []
    kw: dict[str, Any] = {}
    for key, node, line in root.items():
        if key == "version":
            if node.int_() != 1:
                raise node.error("unsupported version", hint="use version: 1")
        elif key == "project":
            kw["project"] = node.str_()
        elif key == "branch":
            kw["branch"] = node.str_()
        elif key == "paths":
            kw["paths"] = Paths(**_known(node, Paths.__dataclass_fields__, warnings, str))
            _confine_paths(node, path.parent)
        elif key == "priorities":
            kw["priorities"] = _nonempty(node)
        elif key == "statuses":
            kw["statuses"] = Statuses(**_known(node, Statuses.__dataclass_fields__, warnings))
        elif key == "selection":
            kw["selection"] = _selection(node, name, warnings)
        elif key == "ledger":
            kw["ledger"] = _ledger_shape(node, name, warnings)
        elif key == "brief":
            for k, n, ln in node.items():
                if k in ("default_mode", "stall_mode"):
                    kw[k] = n.str_()
                else:
                    known = ["default_mode", "stall_mode"]
                    warnings.append(_unknown(name, ln, k, "brief", known))
        elif key == "env":
            kw["env"] = node.str_map()
        elif key == "pitfalls":
            kw["pitfalls"] = node.str_list()
        elif key == "commands":
            kw["commands"] = tuple(_command(k, n, ln) for k, n, ln in node.items())
        elif key == "lint":
            kw["lint"] = _lint(node, warnings)
        elif key == "loop":
            kw["loop"] = _loop(node, warnings, path.parent)
        elif key == "limits":
            kw["limits"] = _limits(node, warnings)
        else:
            warnings.append(_unknown(name, line, key, "", list(_TOP)))
    return Config(root=path.parent, path=path, warnings=tuple(warnings), **kw)


def _ledger_shape(node: Node, name: str, warnings: list[str]) -> LedgerShape:
    kw: dict[str, Any] = {}
    known = list(LedgerShape.__dataclass_fields__)
    for k, n, ln in node.items():
        if k == "shape":
            value = n.str_()
            if value not in LEDGER_SHAPES:
                raise n.error(f"unknown ledger shape {value!r}", hint=choices_hint(LEDGER_SHAPES))
            kw[k] = value
        elif k == "item_heading":
            value = n.str_()
            if ID_TOKEN not in value:
                raise n.error(
                    "item_heading must contain {id} where the item ID stands",
                    hint=r"e.g. item_heading: '\[{id}\]\s*(?P<title>.*)'",
                )
            try:
                re.compile(value.replace(ID_TOKEN, "(?P<id>X)"))
            except re.error as exc:
                raise n.error(f"item_heading is not a valid regular expression: {exc}") from None
            kw[k] = value
        elif k in ("focus_heading", "history_heading"):
            kw[k] = n.str_()
        elif k == "plan_files":
            kw[k] = _nonempty(n)
        else:
            warnings.append(_unknown(name, ln, k, "ledger", known))
    return LedgerShape(**kw)


def _selection(node: Node, name: str, warnings: list[str]) -> Selection:
    kw: dict[str, Any] = {}
    for k, n, ln in node.items():
        if k in ("stall_window", "history", "stale_turns"):
            kw[k] = n.int_(minimum=1 if k == "stall_window" else 0)
        elif k == "goals":
            kw["goals"] = n.str_list()
        elif k == "goals_file":
            if n.kind == "scalar":
                kw["goals_file"] = GoalsFile(n.str_())
            else:
                sub = {kk: nn.str_() for kk, nn, _ in n.items() if kk in ("path", "start", "end")}
                for kk, _, lln in n.items():
                    if kk not in ("path", "start", "end"):
                        known = ["path", "start", "end"]
                        warnings.append(_unknown(name, lln, kk, "selection.goals_file", known))
                if "path" not in sub:
                    raise n.error("goals_file needs a path", hint="add path: FILE")
                kw["goals_file"] = GoalsFile(**sub)
        else:
            warnings.append(_unknown(name, ln, k, "selection", _SELECTION_KEYS))
    return Selection(**kw)


def _unknown(path: str, line: int, key: str, section: str, known: list[str]) -> str:
    where = f" in '{section}'" if section else ""
    return f"{path}:{line}: unknown key '{key}'{where} (ignored) — {choices_hint(known)}"


def _nonempty(node: Node) -> tuple[str, ...]:
    values = node.str_list()
    if not values:
        raise node.error("must not be empty")
    return values


def _known(node: Node, fields: Any, warnings: list[str], kind: type = tuple) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, n, ln in node.items():
        if k not in fields:
            warnings.append(_unknown(n.path, ln, k, node.where, list(fields)))
            continue
        out[k] = n.str_() if kind is str else _nonempty(n)
    return out


def _command(name: str, node: Node, line: int) -> CommandSpec:
    if not _NAME.match(name):
        raise node.error(
            "bad command name", hint="use lowercase letters, digits, '-' or '_' (e.g. trace-spec)"
        )
    kw: dict[str, Any] = {"name": name, "line": line}
    argv_node: Node | None = None
    for k, n, ln in node.items():
        if k == "argv":
            argv_node = n
            kw["argv"] = n.str_list()
            if not kw["argv"]:
                raise n.error("must not be empty")
        elif k == "help":
            kw["help"] = n.str_()
        elif k == "params":
            kw["params"] = tuple(_param(pk, pn) for pk, pn, _ in n.items())
        elif k == "env":
            kw["env"] = n.str_map()
        elif k == "timeout":
            kw["timeout"] = n.float_()
            if kw["timeout"] <= 0:
                raise n.error("must be a positive number of seconds")
        elif k == "outputs":
            kw["outputs"] = n.str_list()
        elif k == "ok_exit":
            kw["ok_exit"] = tuple(x.int_(minimum=0) for x in n.seq())
            if not kw["ok_exit"]:
                raise n.error("must not be empty", hint="list the exit codes that mean success")
        else:
            known = ["argv", "help", "params", "env", "timeout", "outputs", "ok_exit"]
            raise ConfigError(
                f"unknown key '{k}' in command '{name}'",
                path=n.path,
                line=ln,
                hint=choices_hint(known),
            )
    if argv_node is None:
        raise node.error("missing 'argv'", hint="give the command as a list: argv: [sim, trace]")
    spec = CommandSpec(**kw)
    names = {p.name for p in spec.params} | set(BUILTIN_PLACEHOLDERS)
    for word in spec.argv:
        for ph in _PLACEHOLDER.findall(word):
            if ph not in names:
                raise argv_node.error(
                    f"placeholder '{{{ph}}}' is not a declared parameter",
                    hint=f"declare it under params or {choices_hint(sorted(names))}",
                )
    return spec


def _param(name: str, node: Node) -> ParamSpec:
    kw: dict[str, Any] = {}
    if node.kind == "scalar":  # shorthand: `s: int`
        ptype = node.str_()
    else:
        ptype = "str"
        for k, n, ln in node.items():
            if k == "type":
                ptype = n.str_()
            elif k == "choices":
                kw["choices"] = tuple(str(c) for c in n.str_list())
            elif k == "default":
                kw["default"] = n.value()
            elif k == "required":
                kw["required"] = n.bool_()
            elif k == "help":
                kw["help"] = n.str_()
            else:
                known = ["type", "choices", "default", "required", "help"]
                raise ConfigError(
                    f"unknown key '{k}' in parameter '{name}'",
                    path=n.path,
                    line=ln,
                    hint=choices_hint(known),
                )
    if ptype not in PARAM_TYPES:
        raise node.error(f"unknown parameter type '{ptype}'", hint=choices_hint(PARAM_TYPES))
    if ptype == "choice" and not kw.get("choices"):
        raise node.error("a choice parameter needs 'choices'")
    return ParamSpec(name=name, type=ptype, **kw)


def _lint(node: Node, warnings: list[str]) -> LintConfig:
    from supervisor.lint.findings import CODES, SEVERITIES

    kw: dict[str, Any] = {}
    known = ["severity", "ledger_max_kb", "contract_ladder"]
    for k, n, ln in node.items():
        if k == "severity":
            pairs = []
            for key, sn, _ in n.items():
                code = key.upper()
                if code not in CODES:
                    raise sn.error(
                        f"unknown lint code '{key}'", hint="see `supervisor lint --list-codes`"
                    )
                raw = sn.value()  # YAML 1.1 reads a bare `off` as false
                level = "off" if raw is False else sn.str_().lower()
                if level not in SEVERITIES:
                    raise sn.error(f"unknown severity '{level}'", hint=choices_hint(SEVERITIES))
                pairs.append((code, level))
            kw["severity"] = tuple(pairs)
        elif k == "ledger_max_kb":
            kw["ledger_max_kb"] = n.int_(minimum=1)
        elif k == "contract_ladder":
            ladder = _nonempty(n)
            if len(ladder) < 2 or len(set(ladder)) != len(ladder):
                raise n.error(
                    "needs at least two distinct statuses, lowest first",
                    hint="e.g. [BLOCKER_*, PARTIAL_ALGORITHM_LEVEL, FUNCTIONAL]",
                )
            kw["contract_ladder"] = ladder
        else:
            warnings.append(_unknown(n.path, ln, k, "lint", known))
    return LintConfig(**kw)


MAX_SECONDS = 30 * 24 * 3600  # the longest loop timeout or lease: 30 days


def _positive(node: Node) -> float:
    import math

    value = node.float_()
    if not math.isfinite(value):
        raise node.error(f"must be a finite number of seconds, got {value}")
    if value <= 0:
        raise node.error("must be a positive number of seconds")
    if value > MAX_SECONDS:
        raise node.error(f"must be at most {MAX_SECONDS} seconds (30 days), got {value:g}")
    return value


_LOOP_KEYS = ("agent", "agents", "iterations", "timeout", "lease_seconds", "stall", "whitelist",
              "evidence", "logs", "state", "remote")  # fmt: skip


def _loop(node: Node, warnings: list[str], root: Path) -> LoopConfig:
    kw: dict[str, Any] = {}
    for k, n, ln in node.items():
        if k == "agent":
            kw["agent"] = _nonempty(n)
        elif k == "iterations":
            kw["iterations"] = n.int_(minimum=1)
        elif k in ("timeout", "lease_seconds"):
            kw[k] = _positive(n)
        elif k == "stall":
            kw.update(_loop_stall(n, warnings))
        elif k == "whitelist":
            kw["whitelist"] = _nonempty(n)
        elif k == "evidence":
            kw.update(_loop_evidence(n, warnings))
        elif k in ("logs", "state", "remote"):
            kw[k] = _loop_path(n, k, root)
        elif k == "agents":
            kw["agents"] = tuple(_agent_preset(name, an, aln) for name, an, aln in n.items())
        else:
            warnings.append(_unknown(n.path, ln, k, "loop", list(_LOOP_KEYS)))
    return LoopConfig(**kw)


def _agent_preset(name: str, node: Node, line: int) -> AgentPreset:
    if not _NAME.match(name):
        raise node.error("bad agent name", hint="use lowercase letters, digits, '-' or '_'")
    kw: dict[str, Any] = {}
    for k, n, ln in node.items():
        if k == "argv":
            kw["argv"] = _nonempty(n)
        elif k == "stdin":
            kw["stdin"] = n.bool_()
        else:
            raise ConfigError(
                f"unknown key '{k}' in agent '{name}'",
                path=n.path,
                line=ln,
                hint=choices_hint(["argv", "stdin"]),
            )
    if "argv" not in kw:
        raise node.error("missing 'argv'", hint='e.g. argv: [my-agent, --headless, "{prompt}"]')
    return AgentPreset(name=name, line=line, **kw)


def _loop_stall(node: Node, warnings: list[str]) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    for k, n, ln in node.items():
        if k == "iterations":
            kw["stall_iterations"] = n.int_(minimum=1)
        elif k == "escalate":
            how = n.str_()
            if how not in ESCALATIONS:
                raise n.error(f"unknown escalation '{how}'", hint=choices_hint(ESCALATIONS))
            kw["stall_escalate"] = how
        else:
            warnings.append(_unknown(n.path, ln, k, "loop.stall", ["escalate", "iterations"]))
    return kw


def _loop_evidence(node: Node, warnings: list[str]) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    known = ["allow", "max_file_kb", "max_turn_kb"]
    for k, n, ln in node.items():
        if k == "allow":
            kw["evidence_allow"] = n.str_list()
        elif k in ("max_file_kb", "max_turn_kb"):
            kw[f"evidence_{k}"] = n.int_(minimum=1)
        else:
            warnings.append(_unknown(n.path, ln, k, "loop.evidence", known))
    return kw


def _loop_path(node: Node, key: str, root: Path) -> str:
    value = node.str_().strip()
    if not value:
        raise node.error("must not be empty")
    if key != "remote":
        example = "logs" if key == "logs" else "sync/state.json"
        _inside(node, value, root, f"e.g. {key}: {example}")
    return value


_PATH_EXAMPLES = {f: getattr(Paths(), f) for f in Paths.__dataclass_fields__}


def _confine_paths(node: Node, root: Path) -> None:
    """Every ``paths.*`` entry must name a place inside the workspace (symlinks followed)."""
    for k, n, _ in node.items():
        if k in _PATH_EXAMPLES:
            _inside(n, n.str_(), root, f"e.g. {k}: {_PATH_EXAMPLES[k]}")


def _inside(node: Node, value: str, root: Path, hint: str) -> None:
    from supervisor.confine import OutsideWorkspace, resolve_inside

    if value.startswith("/") or ".." in value.replace("\\", "/").split("/"):
        raise node.error("must be a path inside the workspace", hint=hint)
    try:
        resolve_inside(root, value)
    except OutsideWorkspace as exc:
        raise node.error(f"must be a path inside the workspace ({exc})", hint=hint) from None


def _limits(node: Node, warnings: list[str]) -> Limits:
    kw: dict[str, Any] = {}
    for k, n, ln in node.items():
        if k == "max_file_mb":
            kw[k] = n.int_(minimum=1)
            if kw[k] > 1 << 20:
                raise n.error(f"must be at most {1 << 20} (1 TB), got {kw[k]}")
        else:
            warnings.append(_unknown(n.path, ln, k, "limits", ["max_file_mb"]))
    return Limits(**kw)
