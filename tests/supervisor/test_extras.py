"""A command that needs a missing extra says which one to install, before writing anything
(matplotlib is hidden from a real subprocess with ``sys.modules['matplotlib'] = None``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from supervisor.extras import install_hint, installed

HIDE = (
    "import sys; sys.modules['matplotlib'] = None; sys.modules['torch'] = None\n"
    "from supervisor.cli.main import main\nsys.exit(main(sys.argv[1:]))\n"
)


def test_install_hint_names_the_extra() -> None:
    assert install_hint("torch") == (
        "install the [sim] extra: pip install 'loop-supervisor[sim]' "
        "(or `pipx inject loop-supervisor torch` in a pipx install)"
    )
    assert install_hint("matplotlib").startswith("install the [plot] extra: ")
    assert installed("json") and not installed("no_such_module_xyz")


def test_trace_diff_png_without_matplotlib(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text("TRACE_C: x 1.0\n")
    (tmp_path / "b.log").write_text("TRACE_PY: x 1.0\n")
    r = subprocess.run(
        [sys.executable, "-c", HIDE, "trace", "diff", "a.log", "b.log", "--out", "d",
         "--plot", "png"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (
        "error: trace diff --plot png (divergence.png) needs matplotlib, which is not installed "
        "— install the [plot] extra: pip install 'loop-supervisor[plot]' (or `pipx inject "
        "loop-supervisor matplotlib` in a pipx install)\n"
    )
    assert not (tmp_path / "d").exists()
    plain = subprocess.run(
        [sys.executable, "-c", HIDE, "trace", "diff", "a.log", "b.log"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert plain.returncode == 0, plain.stderr


def test_trace_diff_out_draws_svg_without_matplotlib(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text("TRACE_C: x 1.0\n")
    (tmp_path / "b.log").write_text("TRACE_PY: x 1.0\n")
    r = subprocess.run(
        [sys.executable, "-c", HIDE, "trace", "diff", "a.log", "b.log", "--out", "d"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert (r.returncode, r.stderr) == (0, "wrote d/metrics.json, d/summary.md, d/divergence.svg\n")
    assert (tmp_path / "d" / "divergence.svg").read_text().endswith("</svg>\n")
