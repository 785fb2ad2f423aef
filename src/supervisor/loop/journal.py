"""Per-iteration logs, ``logs/<branch>/<role>/iter-NNNNN_<STAMP>.log``: the loop's own lines
(one per phase of a turn, also sent to the live progress callback) with the agent's stdout and
stderr streamed in between. The logs directory ignores itself in git."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from supervisor.loop.state import iso, utcnow

Progress = Callable[[str], None]


def _stamp() -> str:
    return utcnow().strftime("%Y%m%dT%H%M%SZ")


class Journal:
    def __init__(
        self, root: Path, logs: str, branch: str, role: str, iteration: int, progress: Progress
    ) -> None:
        base = root / logs
        folder = base / branch / role
        folder.mkdir(parents=True, exist_ok=True)
        ignore = base / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# supervisor loop logs are never committed\n*\n", encoding="utf-8")
        stem = f"iter-{iteration:05d}_{_stamp()}"
        path = folder / f"{stem}.log"
        k = 1
        while True:  # two turns of one iteration within the same second, or two loops
            try:
                with open(path, "x", encoding="utf-8"):
                    break
            except FileExistsError:
                k += 1
                path = folder / f"{stem}-{k}.log"
        self.path = path
        self.rel = path.relative_to(root).as_posix()
        self.iteration = iteration
        self.actor = "loop"
        self._progress = progress

    def line(self, text: str) -> None:
        """One line of the loop's own: into the log, and to the progress callback."""
        self.write(text)
        self._progress(f"iteration {self.iteration} {self.actor}: {text}")

    def write(self, text: str) -> None:
        """One line into the log only."""
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(f"[{iso(utcnow())}] loop {self.actor}: {text}\n")
