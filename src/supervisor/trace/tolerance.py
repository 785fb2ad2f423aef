"""Tolerances, gates, waivers and aliases for ``supervisor trace diff``, and how they resolve.

An element passes when ``|cand − ref| ≤ atol + rtol·|ref|``. Each tap's (rtol, atol) is
resolved from the most specific level that applies, and the level is recorded:

1. ``tap``    — an exact tap name, or label with qualifiers (``phi_tic=0 k_frac``);
2. ``group``  — a glob on the name or label (``F_latt*``, ``phi_tic=0 *``); first match wins;
3. ``dtype``  — the less precise side's dtype: a ``dtypes:`` entry of the config, else (when
   no global tolerance is set) the built-in default — torch.testing's: float16 1e-3/1e-5,
   bfloat16 1.6e-2/1e-5, float32 1.3e-6/1e-5, float64 1e-7/1e-7, integers and bool exact;
4. ``global`` — ``--rtol``/``--atol`` or the config's ``default:``; it replaces the built-in
   dtype defaults (a value it leaves out comes from them).

Gates (per tap, after the element test): ``max_mismatch`` — the fraction of elements allowed
outside the tolerance (default 0); ``min_cosine`` (off by default); ``norm_ratio`` [lo, hi] of
‖cand‖/‖ref‖ and ``max_rel_rms`` of rms(Δ)/rms(ref). The last two are always on: unless set,
they are derived from the tap's tolerance (|ratio − 1| ≤ rtol + atol/rms(ref), the same bound
for rel RMS), which every tap that passes element-wise already meets, so they only bite when
``max_mismatch`` lets elements through, and a cosine-1 tensor ×10⁵ off always fails. Set gates
on relative quantities are skipped where rms(ref) ≤ atol. Waived taps report WAIVED, never PASS.

Config file (``--config FILE``, YAML; every key optional; numbers may be written 1e-6)::

    default: {rtol: 1.0e-6, atol: 1.0e-9}          # global level
    dtypes:  {float32: {rtol: 1.3e-6, atol: 1.0e-5}}
    groups:                                         # ordered; first match wins
      - {match: "F_latt*", rtol: 1.0e-4, atol: 1.0e-6, min_cosine: 0.9999}
    taps:    {I_pixel_final: {rtol: 1.0e-5, atol: 0}}
    gates:   {min_cosine: 0.999, norm_ratio: [0.99, 1.01], max_rel_rms: 0.01, max_mismatch: 0}
    waivers: [{match: "phi_tic=0 *", reason: "C-PARITY-001 φ carry-over"}]
    aliases: {rot_a_angstroms: ap}                  # or a list of "a=b" strings
    missing: warn                                   # or fail
    dtype: float64                                  # dtype of text traces (default: inferred)
    top_k: 5
    prefixes: [TRACE_C, TRACE_PY]                   # text trace prefixes (default: detected)

Group, tap and gate entries may each carry the gate keys. An alias ``a=b`` says names ``a`` and
``b`` are one tap (both sides are renamed to ``a``). Alias files (``--aliases FILE``): YAML
mapping, or text with one ``a=b`` a line (``#`` comments). Command-line values override the file.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from dataclasses import dataclass
from typing import Any

BUILTIN = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
}
_RANK = {"bfloat16": 0, "float16": 1, "float32": 2, "float64": 3, "longdouble": 3, "float128": 3}
GATE_KEYS = ("min_cosine", "norm_ratio", "max_rel_rms", "max_mismatch")
TOP_KEYS = (
    "default", "dtypes", "groups", "taps", "gates", "waivers", "aliases", "missing", "dtype",
    "top_k", "prefixes",
)  # fmt: skip
GLOB = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class Gates:
    min_cosine: float | None = None
    norm_ratio: tuple[float, float] | None = None  # None: derived from the tolerance
    max_rel_rms: float | None = None  # None: derived from the tolerance
    max_mismatch: float = 0.0

    def apply(self, changes: tuple[tuple[str, Any], ...]) -> Gates:
        return dataclasses.replace(self, **dict(changes)) if changes else self


@dataclass(frozen=True)
class Rule:
    pattern: str
    rtol: float | None
    atol: float | None
    gates: tuple[tuple[str, Any], ...] = ()
    origin: str = ""

    def matches(self, name: str, label: str) -> bool:
        rx = _glob(self.pattern)
        return bool(rx.match(name) or rx.match(label))


@dataclass(frozen=True)
class Waiver:
    pattern: str
    reason: str
    origin: str = ""

    def matches(self, name: str, label: str) -> bool:
        rx = _glob(self.pattern)
        return bool(rx.match(name) or rx.match(label))


@dataclass(frozen=True)
class Resolved:
    rtol: float
    atol: float
    level: str  # tap | group | dtype | global | exact
    source: str
    dtype: str
    gates: Gates


@dataclass(frozen=True)
class Policy:
    taps: tuple[Rule, ...] = ()
    groups: tuple[Rule, ...] = ()
    dtypes: tuple[tuple[str, float | None, float | None], ...] = ()
    global_rtol: float | None = None
    global_atol: float | None = None
    global_origin: str = ""
    gates: Gates = Gates()
    waivers: tuple[Waiver, ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()
    missing: str = "warn"
    dtype: str | None = None
    top_k: int = 5
    prefixes: tuple[str, ...] = ()

    def resolve(self, name: str, label: str, dtype: str) -> Resolved:
        """(rtol, atol, level, gates) for one tap compared at ``dtype``."""
        if dtype == "text":
            return Resolved(0.0, 0.0, "exact", "text taps compare equal", dtype, self.gates)
        for rule in self.taps:
            if name == rule.pattern or label == rule.pattern:
                return self._rule(rule, "tap", dtype)
        for rule in self.groups:
            if rule.matches(name, label):
                return self._rule(rule, "group", dtype)
        base_r, base_a = _builtin(dtype)
        for d, r, a in self.dtypes:
            if d == dtype:
                return Resolved(
                    _or(r, base_r), _or(a, base_a), "dtype", f"dtypes.{d}", dtype, self.gates
                )
        if self.global_rtol is not None or self.global_atol is not None:
            return Resolved(
                _or(self.global_rtol, base_r),
                _or(self.global_atol, base_a),
                "global",
                self.global_origin,
                dtype,
                self.gates,
            )
        return Resolved(base_r, base_a, "dtype", f"{dtype} built-in default", dtype, self.gates)

    def _rule(self, rule: Rule, level: str, dtype: str) -> Resolved:
        base_r, base_a = _builtin(dtype)
        if self.global_rtol is not None or self.global_atol is not None:
            base_r, base_a = _or(self.global_rtol, base_r), _or(self.global_atol, base_a)
        return Resolved(
            _or(rule.rtol, base_r),
            _or(rule.atol, base_a),
            level,
            f"{rule.pattern} ({rule.origin})" if rule.origin else rule.pattern,
            dtype,
            self.gates.apply(rule.gates),
        )

    def waiver(self, name: str, label: str) -> Waiver | None:
        return next((w for w in self.waivers if w.matches(name, label)), None)

    def alias_map(self) -> dict[str, str]:
        return {b: a for a, b in self.aliases if a != b}

    def as_dict(self) -> dict[str, Any]:
        def rule(r: Rule) -> dict[str, Any]:
            return {
                "match": r.pattern,
                "rtol": r.rtol,
                "atol": r.atol,
                **dict(r.gates),
                "origin": r.origin,
            }

        return {
            "levels": ["tap", "group", "dtype", "global"],
            "taps": [rule(r) for r in self.taps],
            "groups": [rule(r) for r in self.groups],
            "dtypes": {d: {"rtol": r, "atol": a} for d, r, a in self.dtypes},
            "builtin_dtypes": {d: {"rtol": r, "atol": a} for d, (r, a) in BUILTIN.items()},
            "global": {
                "rtol": self.global_rtol,
                "atol": self.global_atol,
                "origin": self.global_origin,
            },
            "gates": gates_dict(self.gates),
            "waivers": [
                {"match": w.pattern, "reason": w.reason, "origin": w.origin} for w in self.waivers
            ],
            "aliases": {a: b for a, b in self.aliases},
            "missing": self.missing,
            "dtype": self.dtype,
            "top_k": self.top_k,
            "prefixes": list(self.prefixes),
        }


def gates_dict(g: Gates) -> dict[str, Any]:
    """Gates as JSON data ("derived": computed per tap from its tolerance)."""
    return {
        "min_cosine": g.min_cosine,
        "norm_ratio": list(g.norm_ratio) if g.norm_ratio else "derived",
        "max_rel_rms": "derived" if g.max_rel_rms is None else g.max_rel_rms,
        "max_mismatch": g.max_mismatch,
    }


_GLOBS: dict[str, re.Pattern[str]] = {}


def _glob(pattern: str) -> re.Pattern[str]:
    rx = _GLOBS.get(pattern)
    if rx is None:
        rx = _GLOBS[pattern] = re.compile(fnmatch.translate(pattern))
    return rx


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def _builtin(dtype: str) -> tuple[float, float]:
    if dtype in BUILTIN:
        return BUILTIN[dtype]
    if dtype in _RANK:
        return BUILTIN["float64"]
    return (0.0, 0.0)  # integers and bool compare exactly


def weaker(a: str, b: str) -> str:
    """The less precise of two dtype names (integers and bool count as exact)."""
    return a if _RANK.get(a, 9) <= _RANK.get(b, 9) else b
