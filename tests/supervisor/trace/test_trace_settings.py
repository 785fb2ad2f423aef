"""Policy from --config YAML and command-line values; resolution order; clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from supervisor.errors import ConfigError, UsageError
from supervisor.trace.settings import Flags, build_policy
from supervisor.trace.tolerance import Gates

CONFIG = """\
default: {rtol: 1e-6}
dtypes:
  float64: {rtol: 2.0e-7, atol: 3.0e-8}
groups:
  - {match: "F_latt*", rtol: 1.0e-4, atol: 1.0e-6, min_cosine: 0.9999}
taps:
  I_pixel_final: {rtol: 1.0e-5, atol: 0}
gates: {norm_ratio: [0.99, 1.01], max_rel_rms: 0.01}
waivers:
  - {match: "phi_tic=0 *", reason: "C-PARITY-001"}
  - "legacy_*"
aliases: {rot_a_angstroms: ap}
missing: fail
dtype: float64
top_k: 3
prefixes: [TRACE_C, TRACE_PY]
"""


def test_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "tol.yaml"
    cfg.write_text(CONFIG)
    p = build_policy(Flags(config=cfg))
    assert (p.global_rtol, p.global_atol) == (1e-6, None)
    assert p.dtypes == (("float64", 2e-7, 3e-8),)
    assert [(r.pattern, r.rtol, r.atol, r.gates) for r in p.groups] == [
        ("F_latt*", 1e-4, 1e-6, (("min_cosine", 0.9999),))
    ]
    assert [(r.pattern, r.rtol, r.atol) for r in p.taps] == [("I_pixel_final", 1e-5, 0.0)]
    assert p.gates == Gates(norm_ratio=(0.99, 1.01), max_rel_rms=0.01)
    assert [(w.pattern, w.reason) for w in p.waivers] == [
        ("phi_tic=0 *", "C-PARITY-001"),
        ("legacy_*", "waived in the config"),
    ]
    assert (p.aliases, p.missing, p.dtype, p.top_k, p.prefixes) == (
        (("rot_a_angstroms", "ap"),),
        "fail",
        "float64",
        3,
        ("TRACE_C", "TRACE_PY"),
    )
    # resolution: tap, group (with its gate), dtype entry, global over built-ins
    assert p.resolve("I_pixel_final", "I_pixel_final", "float32").level == "tap"
    g = p.resolve("F_latt_b", "phi_tic=0 F_latt_b", "float32")
    assert (g.level, g.gates.min_cosine, g.gates.max_rel_rms) == ("group", 0.9999, 0.01)
    d = p.resolve("x", "x", "float64")
    assert (d.level, d.rtol, d.atol) == ("dtype", 2e-7, 3e-8)
    gl = p.resolve("x", "x", "float32")
    assert (gl.level, gl.rtol, gl.atol) == ("global", 1e-6, 1e-5)


def test_flags_override_the_file(tmp_path: Path) -> None:
    cfg = tmp_path / "tol.yaml"
    cfg.write_text(CONFIG)
    p = build_policy(
        Flags(
            config=cfg,
            rtol=1e-3,
            tol=["phi_tic=0 k_frac=1e-2,1e-9", "hkl*=,1e-4"],
            waive=["F_cell"],
            alias=["a=b"],
            min_cosine=0.5,
            norm_ratio="0.5,2",
            max_mismatch=0.25,
            missing="warn",
            top_k=0,
        )
    )
    assert (p.global_rtol, p.global_origin) == (1e-3, "--rtol/--atol")
    assert (p.taps[0].pattern, p.taps[0].rtol, p.taps[0].atol) == ("phi_tic=0 k_frac", 1e-2, 1e-9)
    assert (p.groups[0].pattern, p.groups[0].rtol, p.groups[0].atol) == ("hkl*", None, 1e-4)
    assert p.gates == Gates(0.5, (0.5, 2.0), 0.01, 0.25)
    assert p.waivers[-1].pattern == "F_cell" and p.aliases[-1] == ("a", "b")
    assert (p.missing, p.top_k) == ("warn", 0)
    assert p.resolve("k_frac", "phi_tic=0 k_frac", "float32").level == "tap"


def test_alias_files(tmp_path: Path) -> None:
    txt = tmp_path / "aliases.txt"
    txt.write_text("# ref = candidate\nrot_a_angstroms = ap\n\nF_latt=F\n")
    assert build_policy(Flags(aliases_file=txt)).aliases == (
        ("rot_a_angstroms", "ap"),
        ("F_latt", "F"),
    )
    yml = tmp_path / "aliases.yaml"
    yml.write_text("rot_b_angstroms: bp\n")
    assert build_policy(Flags(aliases_file=yml)).aliases == (("rot_b_angstroms", "bp"),)
    bad = tmp_path / "bad.txt"
    bad.write_text("ok=fine\nnot an alias\n")
    with pytest.raises(ConfigError) as exc:
        build_policy(Flags(aliases_file=bad))
    assert str(exc.value).startswith(f"{bad}:2: alias 'not an alias' is not a=b")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rtol: 1\n", "tol.yaml:1: unknown key 'rtol' — use one of:"),
        ("default: {rtol: -1}\n", "tol.yaml:1: 'default.rtol' must be ≥ 0, got -1"),
        (
            "default: {rtol: fast}\n",
            "tol.yaml:1: 'default.rtol' expected a finite number, got 'fast'",
        ),
        ("gates: {min_cosine: 2}\n", "tol.yaml:1: 'gates.min_cosine' must be in [-1, 1], got 2"),
        ("groups:\n  - {rtol: 1}\n", "tol.yaml:2: 'groups[0]' group needs 'match: GLOB'"),
        ("dtypes: {float8: {rtol: 1}}\n", "tol.yaml:1: 'dtypes.float8' unknown dtype"),
        ("taps: [\n", "tol.yaml:2: invalid YAML"),
    ],
)
def test_bad_config_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    cfg = tmp_path / "tol.yaml"
    cfg.write_text(text)
    with pytest.raises(ConfigError) as exc:
        build_policy(Flags(config=cfg))
    assert message in str(exc.value)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (Flags(tol=["nope"]), "--tol 'nope' is not PATTERN=RTOL,ATOL"),
        (Flags(tol=["a=x,1"]), "--tol 'a=x,1': 'x' is not a number"),
        (Flags(alias=["ab"]), "--alias 'ab' is not a=b"),
        (Flags(norm_ratio="2,1"), "--norm-ratio (2.0, 1.0): needs 0 ≤ LO ≤ HI"),
        (Flags(max_mismatch=1.5), "--max-mismatch 1.5: must be a fraction in [0, 1]"),
        (Flags(missing="maybe"), "--missing 'maybe' is not valid — use one of: fail, warn"),
        (Flags(dtype="float8"), "--dtype 'float8' is not valid"),
        (Flags(rtol=-1.0), "--rtol -1.0 must be a finite number ≥ 0"),
    ],
)
def test_bad_flags(flags: Flags, message: str) -> None:
    with pytest.raises(UsageError) as exc:
        build_policy(flags)
    assert message in str(exc.value)
