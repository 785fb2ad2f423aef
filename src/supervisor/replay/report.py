"""Replay reports: the terminal summary and table, ``summary.md``, ``replay.json`` and a PNG
of agreement over time."""

from __future__ import annotations

import json
from pathlib import Path

from supervisor.replay.model import SCHEMA_VERSION, ReplayResult, TurnResult


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "n/a"


def summary_lines(result: ReplayResult) -> list[str]:
    s = result.summary
    window = f"{result.since or 'start'} .. {result.until or 'end'}"
    return [
        f"replay of {result.repo} ({result.brief}, {window})",
        f"  turns: {s.turns} found, {s.replayed} replayed, {s.skipped} skipped "
        f"({s.parse_failures} parse failures)",
        f"  item agreement:          {s.item_agree}/{s.replayed} "
        f"({_pct(s.item_agree, s.replayed)})",
        f"  phase-or-task agreement: {s.step_agree}/{s.replayed} "
        f"({_pct(s.step_agree, s.replayed)})",
        f"  turns where we chose work an attempt already reported done: {s.redo}",
        f"  turns where the recorded brief chose an item already done: {s.recorded_done}",
        f"  time: {s.seconds:.2f} s ({s.replayed / s.seconds if s.seconds else 0:.0f} turns/s)",
    ]


def _cell(t: TurnResult, which: str) -> str:
    if which == "rec":
        return "/".join(x or "-" for x in (t.recorded_item, t.recorded_phase, t.recorded_task))
    return "/".join(x or "-" for x in (t.item, t.phase, t.task))


def table_lines(result: ReplayResult) -> list[str]:
    lines = ["  #  commit   date        ok  recorded -> ours (how): why"]
    for t in result.turns:
        if t.skipped is not None:
            lines.append(f"{t.index:>3}  {t.sha[:7]}  {t.date[:10]}  --  skipped: {t.skipped}")
            continue
        mark = ("I" if t.item_agrees else ".") + ("S" if t.step_agrees else ".")
        flags = (" [redo]" if t.redo else "") + (" [recorded item done]" if t.recorded_done else "")
        why = f": {t.reason}" if t.reason else ""
        lines.append(
            f"{t.index:>3}  {t.sha[:7]}  {t.date[:10]}  {mark}  {_cell(t, 'rec')} -> "
            f"{_cell(t, 'ours')} ({t.how}){flags}{why}"
        )
    return lines


def text(result: ReplayResult, table: bool) -> str:
    lines = summary_lines(result)
    if table:
        lines += ["", *table_lines(result)]
    return "\n".join(lines) + "\n"


def document(result: ReplayResult) -> dict[str, object]:
    return {"schema_version": SCHEMA_VERSION, "kind": "replay", **result.as_dict()}


def markdown(result: ReplayResult) -> str:
    lines = ["# Replay summary", "", "```", *summary_lines(result), "```", ""]
    lines += ["| # | commit | date | item | step | recorded | ours | how | why |"]
    lines += ["| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for t in result.turns:
        if t.skipped is not None:
            lines.append(f"| {t.index} | {t.sha[:7]} | {t.date[:10]} | skipped | | | | | "
                         f"{t.skipped.replace('|', '/')} |")  # fmt: skip
            continue
        lines.append(
            f"| {t.index} | {t.sha[:7]} | {t.date[:10]} | {'yes' if t.item_agrees else 'no'} | "
            f"{'yes' if t.step_agrees else 'no'} | {_cell(t, 'rec')} | {_cell(t, 'ours')} | "
            f"{t.how} | {t.reason.replace('|', '/')} |"
        )
    return "\n".join(lines) + "\n"


def write_out(result: ReplayResult, out: Path) -> list[str]:
    """``replay.json``, ``summary.md`` and ``agreement.png`` (when matplotlib is installed)
    under ``out``; returns what was written, and a note for what was not."""
    from supervisor.fsio import write_atomic

    out.mkdir(parents=True, exist_ok=True)
    written = []
    write_atomic(out / "replay.json", json.dumps(document(result), indent=2) + "\n")
    written.append(str(out / "replay.json"))
    write_atomic(out / "summary.md", markdown(result))
    written.append(str(out / "summary.md"))
    try:
        _plot(result, out / "agreement.png")
        written.append(str(out / "agreement.png"))
    except ImportError:
        written.append("(agreement.png not written: matplotlib is not installed)")
    return written


def _plot(result: ReplayResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = [t for t in result.turns if t.skipped is None]
    xs = list(range(1, len(done) + 1))
    window = 20

    def rolling(flags: list[bool]) -> list[float]:
        out = []
        for k in range(len(flags)):
            part = flags[max(0, k - window + 1) : k + 1]
            out.append(100.0 * sum(part) / len(part))
        return out

    fig, ax = plt.subplots(figsize=(9, 3.6), dpi=100)
    ax.plot(xs, rolling([t.item_agrees for t in done]), label="item")
    ax.plot(xs, rolling([t.step_agrees for t in done]), label="phase or task")
    ax.set_ylim(0, 105)
    ax.set_xlabel("turn")
    ax.set_ylabel(f"agreement, % (rolling {window})")
    ax.set_title(f"replay agreement — {result.summary.replayed} turns")
    ax.legend(loc="lower right")
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp")
    fig.savefig(tmp, format="png", metadata={"Software": None})
    plt.close(fig)
    tmp.replace(path)
