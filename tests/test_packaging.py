"""The light install: build the sdist and wheel from this checkout (no network: the dev
environment's setuptools), install the wheel WITHOUT extras into a fresh venv (its
dependencies come from the package index), and run `supervisor --version`, `init` and
`next` there — proving the base install works and never pulls or imports torch."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "SOURCE_DATE_EPOCH": "1767225600", "HOME": str(cwd)}
    import os

    for key in ("PIP_FIND_LINKS", "PIP_CERT", "PIP_DEFAULT_TIMEOUT", "PIP_INDEX_URL",
                "PIP_EXTRA_INDEX_URL", "PIP_CONFIG_FILE", "SSL_CERT_FILE"):  # fmt: skip
        if key in os.environ:
            env[key] = os.environ[key]
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_light_wheel_installs_and_runs_without_torch(tmp_path: Path) -> None:
    src = tmp_path / "src-tree"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(REPO / name, src / name)
    shutil.copytree(REPO / "templates", src / "templates")
    shutil.copytree(REPO / "src", src / "src", symlinks=True,
                    ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))  # fmt: skip
    build = _run([sys.executable, "-c", "from setuptools import build_meta as b; "
                  "b.build_sdist('dist'); b.build_wheel('dist')"], src)  # fmt: skip
    assert build.returncode == 0, build.stderr[-2000:]
    sdist = next((src / "dist").glob("*.tar.gz")).name
    wheel = next((src / "dist").glob("*.whl")).name
    names = zipfile.ZipFile(src / "dist" / wheel).namelist()
    assert "supervisor/templates/brief.md.j2" in names
    assert "supervisor/cli/init_cmd.py" in names and "sim/cli.py" in names
    with tarfile.open(src / "dist" / sdist) as tar:
        assert any(n.endswith("src/supervisor/templates/brief.md.j2") for n in tar.getnames())
    meta = (
        zipfile.ZipFile(src / "dist" / wheel)
        .read(next(n for n in names if n.endswith("METADATA")))
        .decode()
    )
    requires = [line for line in meta.splitlines() if line.startswith("Requires-Dist:")]
    base = [r for r in requires if "extra ==" not in r]
    assert not any("torch" in r or "matplotlib" in r for r in base), base
    assert any("torch" in r and 'extra == "sim"' in r for r in requires)
    assert any("matplotlib" in r and 'extra == "plot"' in r for r in requires)

    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)], tmp_path).returncode == 0
    py = venv / "bin" / "python"
    install = _run([str(py), "-m", "pip", "install", "-q", str(src / "dist" / wheel)], tmp_path)
    assert install.returncode == 0, install.stderr[-3000:]
    has_torch = _run([str(py), "-c", "import importlib.util as u; print(u.find_spec('torch'))"],
                     tmp_path)  # fmt: skip
    assert has_torch.stdout.strip() == "None"

    ws = tmp_path / "ws"
    ws.mkdir()
    exe = str(venv / "bin" / "supervisor")
    version = _run([exe, "--version"], ws)
    assert (version.returncode, version.stdout) == (0, "supervisor 0.1.0 (loop-supervisor)\n")
    init = _run([exe, "init"], ws)
    assert init.returncode == 0, init.stderr
    brief = _run([exe, "next"], ws)
    assert (brief.returncode, brief.stderr) == (0, "")
    assert brief.stdout == (REPO / "tests" / "fixtures" / "golden" / "init_brief.md").read_text()
    sim = _run([str(venv / "bin" / "sim"), "run", "-cell", "70", "80", "90", "90", "90", "90"], ws)
    assert (sim.returncode, sim.stdout) == (1, "")
    assert sim.stderr == (
        "error: sim run needs torch, which is not installed — install the [sim] extra: pip "
        "install 'loop-supervisor[sim]' (or `pipx inject loop-supervisor torch` in a pipx "
        "install)\n"
    )
    sim_version = _run([str(venv / "bin" / "sim"), "--version"], ws)
    assert sim_version.stdout == "sim 0.1.0 (loop-supervisor)\n"
