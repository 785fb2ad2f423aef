"""Build a :class:`~supervisor.trace.tolerance.Policy` from ``--config FILE`` and flag values.

The file schema is in :mod:`supervisor.trace.tolerance`. File errors are ``path:line:``
ConfigErrors; flag errors are UsageErrors naming the flag.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supervisor.errors import ConfigError, UsageError, choices_hint
from supervisor.trace.tolerance import GATE_KEYS, GLOB, TOP_KEYS, Gates, Policy, Rule, Waiver
from supervisor.yamlnodes import Node, compose

DTYPES = ("float16", "bfloat16", "float32", "float64")


@dataclass
class Flags:
    """Command-line values; ``None``/empty means "not given" (the file or default applies)."""

    config: Path | None = None
    rtol: float | None = None
    atol: float | None = None
    tol: Sequence[str] = ()
    waive: Sequence[str] = ()
    alias: Sequence[str] = ()
    aliases_file: Path | None = None
    min_cosine: float | None = None
    norm_ratio: str | None = None
    max_rel_rms: float | None = None
    max_mismatch: float | None = None
    missing: str | None = None
    dtype: str | None = None
    top_k: int | None = None
    prefixes: Sequence[str] = ()


def build_policy(flags: Flags) -> Policy:
    """The file's policy (if any) with the flags applied on top."""
    pol = _from_file(flags.config) if flags.config else Policy()
    taps, groups = list(pol.taps), list(pol.groups)
    cli_taps: list[Rule] = []
    cli_groups: list[Rule] = []
    for spec in flags.tol:
        rule = _tol_flag(spec)
        (cli_groups if GLOB.search(rule.pattern) else cli_taps).append(rule)
    gates = pol.gates
    changes: dict[str, Any] = {}
    if flags.min_cosine is not None:
        changes["min_cosine"] = _check_gate("min_cosine", flags.min_cosine, "--min-cosine")
    if flags.norm_ratio is not None:
        changes["norm_ratio"] = _check_gate("norm_ratio", _pair(flags.norm_ratio), "--norm-ratio")
    if flags.max_rel_rms is not None:
        changes["max_rel_rms"] = _check_gate("max_rel_rms", flags.max_rel_rms, "--max-rel-rms")
    if flags.max_mismatch is not None:
        changes["max_mismatch"] = _check_gate("max_mismatch", flags.max_mismatch, "--max-mismatch")
    aliases = list(pol.aliases)
    if flags.aliases_file:
        aliases += _alias_file(flags.aliases_file)
    aliases += [_alias(a, "--alias") for a in flags.alias]
    for name, value in (("--rtol", flags.rtol), ("--atol", flags.atol)):
        if value is not None and not (value >= 0 and math.isfinite(value)):
            raise UsageError(f"{name} {value} must be a finite number ≥ 0")
    missing = flags.missing or pol.missing
    if missing not in ("warn", "fail"):
        raise UsageError(f"--missing {missing!r} is not valid", hint=choices_hint(["warn", "fail"]))
    dtype = flags.dtype or pol.dtype
    if dtype is not None and dtype not in DTYPES:
        raise UsageError(f"--dtype {dtype!r} is not valid", hint=choices_hint(DTYPES))
    top_k = pol.top_k if flags.top_k is None else flags.top_k
    if top_k < 0:
        raise UsageError(f"--top-k {top_k} must be ≥ 0")
    cli_global = flags.rtol is not None or flags.atol is not None
    return Policy(
        taps=(*cli_taps, *taps),
        groups=(*cli_groups, *groups),
        dtypes=pol.dtypes,
        global_rtol=flags.rtol if flags.rtol is not None else pol.global_rtol,
        global_atol=flags.atol if flags.atol is not None else pol.global_atol,
        global_origin="--rtol/--atol" if cli_global else pol.global_origin,
        gates=gates.apply(tuple(changes.items())),
        waivers=(
            *pol.waivers,
            *(Waiver(w, "waived on the command line", "--waive") for w in flags.waive),
        ),
        aliases=tuple(aliases),
        missing=missing,
        dtype=dtype,
        top_k=top_k,
        prefixes=tuple(flags.prefixes) or pol.prefixes,
    )


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{what}: {text!r} is not a number") from None
    if not (value >= 0 and math.isfinite(value)):
        raise UsageError(f"{what}: {text!r} must be a finite number ≥ 0")
    return value


def _tol_flag(spec: str) -> Rule:
    pattern, sep, values = spec.rpartition("=")
    if not sep or not pattern.strip():
        raise UsageError(
            f"--tol {spec!r} is not PATTERN=RTOL,ATOL",
            hint="e.g. --tol 'F_latt*=1e-4,1e-6' (rtol only: =1e-4, atol only: =,1e-6)",
        )
    rtol_s, _, atol_s = values.partition(",")
    rtol = _number(rtol_s, f"--tol {spec!r}") if rtol_s.strip() else None
    atol = _number(atol_s, f"--tol {spec!r}") if atol_s.strip() else None
    if rtol is None and atol is None:
        raise UsageError(f"--tol {spec!r} sets neither rtol nor atol", hint="use PATTERN=RTOL,ATOL")
    return Rule(pattern.strip(), rtol, atol, (), "--tol")


def _pair(text: str) -> tuple[float, float]:
    lo_s, sep, hi_s = text.partition(",")
    if not sep:
        raise UsageError(f"--norm-ratio {text!r} is not LO,HI", hint="e.g. --norm-ratio 0.99,1.01")
    return (_number(lo_s, "--norm-ratio"), _number(hi_s, "--norm-ratio"))


def _gate_problem(key: str, value: Any) -> tuple[Any, str | None]:
    """(normalized value, what is wrong with it or None)."""
    if key == "norm_ratio":
        lo, hi = value
        return (float(lo), float(hi)), (None if 0 <= lo <= hi else "needs 0 ≤ LO ≤ HI")
    if key == "min_cosine":
        return value, (None if -1 <= value <= 1 else "must be in [-1, 1]")
    if key == "max_mismatch":
        return value, (None if 0 <= value <= 1 else "must be a fraction in [0, 1]")
    return value, (None if value >= 0 else "must be ≥ 0")


def _check_gate(key: str, value: Any, where: str) -> Any:
    value, bad = _gate_problem(key, value)
    if bad:
        raise UsageError(f"{where} {value}: {bad}")
    return value


def _alias(
    text: str, where: str, path: str | None = None, line: int | None = None
) -> tuple[str, str]:
    a, sep, b = text.partition("=")
    if not sep or not a.strip() or not b.strip():
        msg, hint = (
            f"{where} {text!r} is not a=b",
            "write REF_NAME=CANDIDATE_NAME, e.g. rot_a_angstroms=ap",
        )
        raise (
            ConfigError(msg, path=path, line=line, hint=hint)
            if path
            else UsageError(msg, hint=hint)
        )
    return a.strip(), b.strip()


def _alias_file(path: Path) -> list[tuple[str, str]]:
    text = _read(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        root = compose(text, str(path))
        if root is None:
            return []
        return [(k, _scalar(n)) for k, n, _ in root.items()]
    out = []
    for i, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if line:
            out.append(_alias(line, "alias", str(path), i))
    return out


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise ConfigError(f"cannot read: {why}", path=path, hint="check the path") from None


def _scalar(node: Node) -> str:
    v = node.value()
    if isinstance(v, (dict, list)) or v is None:
        raise node.error("expected a name")
    return str(v)


def _num(node: Node, minimum: float | None = 0.0) -> float:
    v = node.value()
    if isinstance(v, str):
        with contextlib.suppress(ValueError):
            v = float(v)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise node.error(f"expected a finite number, got {v!r}")
    if minimum is not None and v < minimum:
        raise node.error(f"must be ≥ {minimum:g}, got {v}")
    return float(v)


def _gate_entry(key: str, node: Node) -> tuple[str, Any]:
    if key == "norm_ratio":
        items = node.seq()
        if len(items) != 2:
            raise node.error("expected [LO, HI]")
        value: Any = (_num(items[0]), _num(items[1]))
    elif key == "min_cosine" and node.value() is None:
        value = None
    else:
        value = _num(node, -1.0 if key == "min_cosine" else 0.0)
    value, bad = _gate_problem(key, value)
    if bad:
        raise node.error(f"{bad}, got {value}")
    return key, value


def _tolerance(
    node: Node, allowed: tuple[str, ...]
) -> tuple[float | None, float | None, tuple[tuple[str, Any], ...]]:
    rtol = atol = None
    gates = []
    for key, sub, _ in node.items():
        if key == "rtol":
            rtol = _num(sub)
        elif key == "atol":
            atol = _num(sub)
        elif key in GATE_KEYS and key in allowed:
            gates.append(_gate_entry(key, sub))
        elif key != "match" or "match" not in allowed:
            raise sub.error("unknown key", hint=choices_hint(("rtol", "atol", *allowed)))
    return rtol, atol, tuple(gates)


def _from_file(path: Path) -> Policy:
    root = compose(_read(path), str(path))
    if root is None:
        return Policy()
    kw: dict[str, Any] = {}
    p = str(path)
    for key, node, line in root.items():
        if key == "default":
            kw["global_rtol"], kw["global_atol"], _ = _tolerance(node, ())
            kw["global_origin"] = f"{p}:{line} default"
        elif key == "dtypes":
            kw["dtypes"] = tuple((d, *_tolerance(n, ())[:2]) for d, n, _ in node.items())
            for d, n, _ in node.items():
                if d not in DTYPES:
                    raise n.error("unknown dtype", hint=choices_hint(DTYPES))
        elif key in ("groups", "taps"):
            kw[key] = tuple(_rules(node, key, p))
        elif key == "gates":
            kw["gates"] = Gates().apply(
                tuple(_gate_entry(k, n) for k, n, _ in _only(node.items(), GATE_KEYS))
            )
        elif key == "waivers":
            kw["waivers"] = tuple(_waiver(n, p) for n in node.seq())
        elif key == "aliases":
            if node.kind == "mapping":
                kw["aliases"] = tuple((k, _scalar(n)) for k, n, _ in node.items())
            else:
                kw["aliases"] = tuple(_alias(n.str_(), "alias", p, n.line) for n in node.seq())
        elif key in ("missing", "dtype"):
            kw[key] = node.str_()
        elif key == "top_k":
            kw["top_k"] = node.int_(0)
        elif key == "prefixes":
            kw["prefixes"] = node.str_list()
        else:
            raise ConfigError(
                f"unknown key '{key}'", path=p, line=line, hint=choices_hint(TOP_KEYS)
            )
    return Policy(**kw)


def _only(items: Any, allowed: tuple[str, ...]) -> Any:
    for key, node, line in items:
        if key not in allowed:
            raise node.error("unknown gate", hint=choices_hint(allowed))
        yield key, node, line


def _rules(node: Node, key: str, path: str) -> list[Rule]:
    out = []
    if key == "taps":
        for name, sub, line in node.items():
            r, a, g = _tolerance(sub, GATE_KEYS)
            out.append(Rule(name, r, a, g, f"{path}:{line}"))
        return out
    for sub in node.seq():
        match = next((n for k, n, _ in sub.items() if k == "match"), None)
        if match is None:
            raise sub.error("group needs 'match: GLOB'")
        r, a, g = _tolerance(sub, ("match", *GATE_KEYS))
        out.append(Rule(match.str_(), r, a, g, f"{path}:{sub.line}"))
    return out


def _waiver(node: Node, path: str) -> Waiver:
    if node.kind == "scalar":
        return Waiver(node.str_(), "waived in the config", f"{path}:{node.line}")
    match = reason = None
    for k, sub, _ in node.items():
        if k == "match":
            match = sub.str_()
        elif k == "reason":
            reason = sub.str_()
        else:
            raise sub.error("unknown key", hint=choices_hint(("match", "reason")))
    if match is None:
        raise node.error("waiver needs 'match: GLOB'")
    return Waiver(match, reason or "waived in the config", f"{path}:{node.line}")
