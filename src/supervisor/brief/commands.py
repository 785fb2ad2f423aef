"""Commands quoted in plan guidance and Next Actions: recognised, then shown with the env.

A backticked span is a command when, after optional ``KEY=VAL`` assignments (or ``env
KEY=VAL``), it starts with a known program and has an argument (``pytest -k pivot``,
``python -m x``, ``git diff``), or with a workspace script (``scripts/x.py``, ``./run.sh``).
Paths, symbols and flags (``src/sim/io.py``, ``phi_tic``, ``-k pivot``) are not commands.
The programs the workspace's registry runs (``argv[0]`` in ``supervisor.yaml``) count too.

Commands are quoted as data for the agent to run; nothing here executes them. Each simple
command that runs code gets the configured ``env:`` as ``KEY=VAL`` prefixes, except the
variables it already sets (inline, or by an earlier ``export`` in the same line).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def _words(text: str) -> list[str]:
    return text.split()


# programs that run project code and so need the configured environment
_RUNNERS = frozenset(
    _words(
        "python python3 pytest py.test bash sh zsh make uv uvx pipx poetry tox nox hatch "
        "torchrun mpirun srun timeout nohup time xvfb-run gdb valgrind perf nsys ncu cmake "
        "ninja cargo go node npm npx java julia Rscript perl ruby"
    )
)
# utilities that take no part in what the project computes: quoted, but left without env
_TOOLS = frozenset(
    _words(
        "cd export mkdir echo printf cp mv ls cat tee date rm touch ln chmod sha256sum md5sum "
        "git rg grep sed awk head tail find diff cmp wc sort uniq jq tar gzip zip unzip curl "
        "wget du df which test true supervisor pip pip3 mypy ruff black flake8 pylint pyright "
        "pyrefly shellcheck nvidia-smi lscpu cpupower nproc free uname"
    )
)
_PYTHON = re.compile(r"^python3?(?:\.\d+)?$")
_ASSIGN = r"[A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|\"[^\"]*\"|[^\s'\"])*"
_HEAD = re.compile(rf"^\s*((?:{_ASSIGN}\s+)*)(?:(env)\s+((?:{_ASSIGN}\s+)*))?(\S+)(.*)$", re.S)
_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")
_EXPORT = re.compile(r"^\s*export\s+(.*)$", re.S)
_SCRIPT = re.compile(r"^(?:\./\S*[^/]|scripts/(?:[^/\s]+/)*[^./\s]+(?:\.py|\.sh)?)$")
_PATH_SCRIPT = re.compile(r"^[^\s:]+\.(?:py|sh)$")  # a script: a command when given arguments
_SEPARATORS = ("&&", "||", ";", "|")


@dataclass(frozen=True)
class Segment:
    """One simple command of a (possibly compound) command line."""

    text: str  # as written, without surrounding whitespace
    start: int  # offset of ``text`` in the whole line
    program_at: int  # offset of the program in the whole line (after the assignments)
    sets: frozenset[str]  # variables its own leading assignments set
    program: str  # the first word after the assignments ("" when none)
    args: str  # the rest of the line after the program


def segments(line: str) -> list[Segment]:
    """The simple commands of ``line``, split at ``&&``, ``||``, ``;`` and ``|`` outside
    quotes."""
    out: list[Segment] = []
    start, i, quote = 0, 0, ""
    while i < len(line):
        c = line[i]
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        else:
            hit = next((s for s in _SEPARATORS if line.startswith(s, i)), None)
            if hit is not None:
                out.append(_segment(line, start, i))
                start = i = i + len(hit)
                continue
        i += 1
    out.append(_segment(line, start, len(line)))
    return out


def _segment(line: str, a: int, b: int) -> Segment:
    raw = line[a:b]
    text = raw.strip()
    start = a + len(raw) - len(raw.lstrip())
    m = _HEAD.match(text)
    if m is None:
        return Segment(text, start, start, frozenset(), "", "")
    assigns = (m.group(1) or "") + (m.group(3) or "")
    sets = frozenset(_KEY.findall(assigns))
    return Segment(text, start, start + m.start(4), sets, m.group(4), m.group(5))


def _base(program: str) -> str:
    return program.rsplit("/", 1)[-1]


def is_command(text: str, programs: Iterable[str] = ()) -> bool:
    """Whether a backticked span reads as a command line (see the module docstring)."""
    if "\n" in text:
        return False
    first = segments(text)[0]
    prog = first.program
    if not prog or prog.startswith("-"):
        return False
    if _SCRIPT.match(prog):
        return True
    base = _base(prog)
    known = bool(_PYTHON.match(base)) or base in _RUNNERS or base in _TOOLS
    known = known or base in set(programs) or bool(_PATH_SCRIPT.match(prog))
    has_args = bool(first.args.strip())
    return bool(known) and (has_args or bool(first.sets))


def is_test_command(text: str) -> bool:
    """A command that runs pytest (``pytest …``, ``python -m pytest …``, env-prefixed)."""
    first = segments(text)[0]
    if _base(first.program) in ("pytest", "py.test"):
        return True
    if _PYTHON.match(_base(first.program)):
        words = first.args.split()
        return words[:2] == ["-m", "pytest"]
    return False


def _needs_env(seg: Segment, programs: Iterable[str]) -> bool:
    prog = seg.program
    if not prog or _base(prog) in _TOOLS:
        return False
    return is_command(seg.text, programs) or bool(seg.sets)


def with_env(line: str, env: Sequence[tuple[str, str]], programs: Iterable[str] = ()) -> str:
    """``line`` with ``KEY=VAL`` assignments before the program of each simple command that
    runs code (after any it has), in the configured order, skipping variables that command
    (or an earlier ``export``) sets. The rest of the line is unchanged."""
    if not env:
        return line
    progs = list(programs)
    exported: set[str] = set()
    inserts: list[tuple[int, str]] = []
    for seg in segments(line):
        m = _EXPORT.match(seg.text)
        if m:
            exported |= set(_KEY.findall(m.group(1)))
        elif _needs_env(seg, progs):
            missing = [(k, v) for k, v in env if k not in seg.sets and k not in exported]
            if missing:
                prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in missing)
                inserts.append((seg.program_at, prefix))
    for pos, prefix in reversed(inserts):
        line = f"{line[:pos]}{prefix} {line[pos:]}"
    return line


def commands_in(quoted: Iterable[str], programs: Iterable[str] = ()) -> list[str]:
    """The command lines among backticked spans, in order, without repeats."""
    progs = list(programs)
    return list(dict.fromkeys(q for q in quoted if is_command(q, progs)))
