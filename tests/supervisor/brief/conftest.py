"""A workspace written for the brief tests: guidance with code spans and dunder names,
commands that need the configured env, test selectors to check (a method cited without its
class, a missing test, a missing file), attempts out of file order, a dependency, and risks
that span lines. Its config names no ``brief.default_mode``."""

from __future__ import annotations

from pathlib import Path

import pytest

CONFIG = """\
version: 1
project: guide
branch: feature/init
paths:
  ledger: docs/fix_plan.md
  plans: plans/active
statuses:
  active: [in_progress, in_planning, pending]
  blocked: [blocked]
  done: [done]
env:
  KMP_DUPLICATE_LIB_OK: "TRUE"
  OMP_NUM_THREADS: "1"
commands:
  trace-init:
    help: trace the constructor defaults of one pixel
    argv: [sim, trace, --pixel, "{s}", "{f}", --out, "{out}/init.log"]
    params:
      s: {type: int, default: 1}
      f: {type: int, default: 2}
    outputs: [init.log]
"""

LEDGER = """\
# Fix Plan Ledger

**Last Updated:** 2026-02-01
**Active Focus:**
- CRITICAL: `[SIM-INIT-001]` — constructor defaults (Phase B).

## Index
| ID | Title | Priority | Status |
| --- | --- | --- | --- |
| [SIM-INIT-001](#sim-init-001-simulator-constructor-defaults) | Simulator constructor defaults | Critical | in_progress |
| [BEAM-UNITS-002](#beam-units-002-beam-units) | Beam units | High | done |
| [DOCS-INIT-003](#docs-init-003-document-the-constructor) | Document the constructor | Medium | in_planning |

## [SIM-INIT-001] Simulator constructor defaults
- Spec/AT: `specs/sim.md` §2
- Priority: Critical
- Status: in_progress
- Owner/Date: ralph/2026-01-20
- Plan Reference: `plans/active/sim-init/plan.md`
- Depends on: [BEAM-UNITS-002]
- Attempts History:
  * [2026-01-30] Attempt #7 — Result: ✅ success. `Simulator.__init__` now reads `beam.fluence` once.
    - Metrics: max |Δ| = 3.1e-9 over 4096 pixels
    - Observations: the `__post_init__` hook of `BeamConfig` runs before unit conversion.
  * [2026-01-21] Attempt #5 — Result: ❌ failed. Defaults diverge from the C at `phi0`.
    Metrics: correlation 0.91
    Observations/Hypotheses: the mosaic seed differs.
  * [2026-01-31] Attempt #8 (ralph loop i=40, Mode: Parity — recheck) — Result: ⚠️ partial. The float32 path is still off.
    - **Metrics**: float32 max |Δ| = 2.0e-4
    - Files: `src/sim/simulator.py`
  * [2026-01-25] Attempt #6 — Result: ✅ success. Captured the C defaults.
- Next Actions:
  1. ✅ COMPLETE (Attempt #7) — Phase A closed.
  2. Phase B (B2): run `scripts/compare_init.py --dtype float32` and
     `python -m pytest tests/test_init.py::test_float32_defaults -x`, then record.
- Risks/Assumptions:
  * The C seeds the mosaic RNG from `-seed` only when `-mosaic_dom` > 1.
  * `__init__` order matters: `Detector` must exist before `Beam`.
- Exit Criteria: defaults agree to 1e-12 in float64.

---

## [BEAM-UNITS-002] Beam units
- Priority: High
- Status: done
- Owner/Date: galph/2026-01-10
- Attempts History:
  * [2026-01-12] Attempt #2 — Result: ✅ success. Fluence in photons/m².
  * [2026-01-11] Attempt #1 — Result: ⚠️ partial. Units half done.
- Exit Criteria: every beam field has SI units.

---

## [DOCS-INIT-003] Document the constructor
- Priority: Medium
- Status: in_planning
- Owner/Date: galph/2026-01-15
- Depends on: [SIM-INIT-001]
- Attempts History: none yet
- Next Actions:
  1. Describe `Simulator.__init__` and `__post_init__` in `docs/sim.md`; run
     `OMP_NUM_THREADS=4 python scripts/check_docs.py docs/sim.md` and keep the log under
     `reports/docs-init/<STAMP>/`.
     Mode: Forged.
  2. Link it from the README.
"""

PLAN = """\
## Context
- Initiative: SIM-INIT-001 — the constructor's defaults match the C.
- Artifact Policy: store runs under `reports/sim-init/phase_<x>/<STAMP>/` with `commands.txt`.

### Phase A — Capture (Complete)
Goal: the C defaults captured.
Prereqs: none.
Exit Criteria: the defaults table exists.

| ID | Task Description | State | How/Why & Guidance |
| --- | --- | --- | --- |
| A1 | Capture the C defaults | [D] | Attempt #6 — `reports/sim-init/phase_a/20260125T101010Z/defaults.txt`. |

### Phase B — Align the constructor
Goal: `Simulator.__init__` yields the C defaults in both dtypes.
Prereqs: Phase A.
Exit Criteria: `pytest tests/test_init.py` passes in float32 and float64.

| ID | Task Description | State | How/Why & Guidance |
| --- | --- | --- | --- |
| B1 | Read the fluence once in `Simulator.__init__` | [D] | Attempt #7. |
| B2 | Fix the float32 path of `Simulator.__init__` | [P] | Mode: Forged. Keep `__init__` free of I/O; the `__post_init__` of `BeamConfig` converts units, so **do not** convert twice. Run `KMP_DUPLICATE_LIB_OK=TRUE pytest tests/test_init.py::test_float32_defaults -x`, `pytest tests/test_init.py::test_removed_case -q` and `tests/test_init.py::test_module_defaults`, then `sim trace --pixel 1 2 --dtype float32` (the trace-init command) and save it under `reports/sim-init/phase_b/<STAMP>/float32/`. The old `tests/test_gone.py` no longer exists. See `src/sim/simulator.py` and the `phi_tic` tap. Compare the float32 trace with the float64 one tap by tap; the first tap that differs by more than 1e-6 relative is the one to explain. Do not loosen the tolerance. Record the tap name, its `phi_tic` and both values in the attempt. If every tap agrees, the difference is in the accumulation: check the order of the sums in `Simulator._accumulate` and whether it runs in float64 internally. If the accumulation is also the same, look at the detector geometry: `Detector.__init__` computes `pix0_vector` from the beam center and a float32 beam center loses about 7 digits. Write down which of these it was. Only then change the code, and re-run the same three commands. A change that makes the float32 test pass but moves the float64 result by more than 1e-12 is not acceptable: revert it and record a failed attempt instead. When the float32 path agrees, tick B2 and move on to B3, which documents the constructor. |
| B3 | Document the constructor's defaults | [ ] | One table in `docs/sim.md`. |
"""

TESTS = """\
class TestDefaults:
    def test_float32_defaults(self):
        assert True

    def test_float64_defaults(self):
        assert True


def test_module_defaults():
    assert True
"""

FILES = {
    "supervisor.yaml": CONFIG,
    "docs/fix_plan.md": LEDGER,
    "plans/active/sim-init/plan.md": PLAN,
    "tests/test_init.py": TESTS,
}


@pytest.fixture
def guide_ws(tmp_path: Path) -> Path:
    root = tmp_path / "guide"
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
