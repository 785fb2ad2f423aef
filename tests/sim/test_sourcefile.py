"""-sourcefile: parsing, the C's defaults, errors with path:line, and the reference image."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from sim.config import BeamConfig
from sim.errors import SimError
from sim.sourcefile import read_sourcefile
from sim.sources import build_sources


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_reference_file_parses_to_three_rows(sim_reference_root: Path) -> None:
    table = read_sourcefile(sim_reference_root / "sourcefile_256" / "sources.txt")
    assert [(r.line, r.position, r.weight, r.wavelength_m) for r in table.rows] == [
        (1, (-10.0, 0.0, 0.0), 1.0, 1.0e-10),
        (2, (-10.0, 0.01, 0.0), 0.5, 1.0e-10),
        (3, (-10.0, 0.0, 0.01), 0.25, 1.02e-10),
    ]


def test_missing_columns_take_the_cs_defaults(tmp_path: Path) -> None:
    path = _write(tmp_path, "\n-10 0.02\n\n-5 0 0 2\n")
    table = read_sourcefile(path)
    assert [r.line for r in table.rows] == [2, 4]
    beam = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    polar = torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64)
    sources = build_sources(
        BeamConfig(source_file=table), beam, polar, torch.tensor(1.5e-10, dtype=torch.float64)
    )
    # Z defaults to the default source's (-10 m·b) z = 0; λ defaults to λ0; incident = −unit(pos)
    expected = -torch.tensor([[-10.0, 0.02, 0.0], [-5.0, 0.0, 0.0]], dtype=torch.float64)
    expected = expected / expected.norm(dim=-1, keepdim=True)
    assert torch.allclose(sources.incident, expected, rtol=0, atol=1e-15)
    assert sources.wavelength.tolist() == [1.5e-10, 1.5e-10]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-10 0 0 1 1e-10\n# note\n", "sources.txt:2: comment lines are not allowed"),
        ("-10 0 0 1 1e-10 7\n", "sources.txt:1: 6 columns, expected at most 5"),
        ("-10 0 0\n-10 zero 0\n", "sources.txt:2: Y 'zero' is not a number"),
        ("-10 0 0 1 nan\n", "sources.txt:1: wavelength must be finite, got nan"),
        ("-10 0 0 1 -1e-10\n", "sources.txt:1: wavelength must be > 0 m"),
        ("0 0 0\n", "sources.txt:1: source at the sample (0 0 0) has no direction"),
        ("\n\n", "sources.txt: source file has no sources"),
    ],
)
def test_malformed_files_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SimError) as caught:
        read_sourcefile(_write(tmp_path, text))
    assert str(caught.value).startswith(f"{tmp_path}/{message}")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SimError, match="cannot read source file: No such file"):
        read_sourcefile(tmp_path / "nope.txt")


def test_three_source_run_matches_the_c(
    sim_reference_root: Path,
    case_args: Callable[[str], list[str]],
    render: Callable[..., np.ndarray],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(sim_reference_root / "sourcefile_256")  # args name sources.txt
    image = render(case_args("sourcefile_256")).astype(np.float64)
    ref = np.fromfile("float.bin", dtype="<f4").astype(np.float64)
    assert np.corrcoef(image.ravel(), ref)[0, 1] >= 0.9999
    assert abs(image.sum() / ref.sum() - 1.0) < 1e-4
