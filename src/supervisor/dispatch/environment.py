"""``env.json``: the machine, interpreter, torch and git state a bundle was produced under.

supervisor never imports torch: its version comes from the installed package metadata, and
only when a command is ``sim`` or mentions torch does a tiny helper process (started here,
read at the end of the dispatch) describe the device. Environment variables are not dumped
(they may hold secrets); only the overrides the registry applied are recorded.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from supervisor.dispatch.registry import Invocation
from supervisor.dispatch.runner import Probe

PROBE_TIMEOUT_S = 60.0
_PROBE = """
import json, torch
d = {"cuda_available": bool(torch.cuda.is_available())}
if d["cuda_available"]:
    d["device_count"] = torch.cuda.device_count()
    d["device_name"] = torch.cuda.get_device_name(0)
    d["cuda_version"] = torch.version.cuda
mps = getattr(torch.backends, "mps", None)
d["mps_available"] = bool(mps is not None and mps.is_available())
d["default_device"] = "cuda" if d["cuda_available"] else ("mps" if d["mps_available"] else "cpu")
print(json.dumps(d))
"""


def uses_torch(invocations: Sequence[Invocation]) -> bool:
    return any(
        Path(inv.argv[0]).name == "sim" or any("torch" in w for w in inv.argv)
        for inv in invocations
    )


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def start_probe(
    invocations: Sequence[Invocation], cwd: Path, env: Mapping[str, str]
) -> Probe | None:
    if not uses_torch(invocations) or _version("torch") is None:
        return None
    return Probe([sys.executable, "-c", _PROBE], cwd=cwd, env=env)


def environment(
    root: Path,
    overrides: Mapping[str, str],
    git: Mapping[str, Any] | None,
    probe: Probe | None,
) -> dict[str, Any]:
    torch_version = _version("torch")
    device = None
    if probe is not None:
        out = probe.result(PROBE_TIMEOUT_S)
        try:
            device = json.loads(out.strip().splitlines()[-1]) if out and out.strip() else None
        except ValueError:
            device = None
    return {
        "schema_version": 1,
        "kind": "env",
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "platform": {
            "system": platform.system(),
            "release": platform.release(),
            "machine": platform.machine(),
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
        },
        "supervisor": _version("supervisor"),
        "torch": None if torch_version is None else {"version": torch_version, "device": device},
        "git": dict(git) if git is not None else None,
        "cwd": str(root),
        "env_overrides": dict(overrides),
    }
