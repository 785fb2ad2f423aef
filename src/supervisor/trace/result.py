"""The diff result: per-tap statuses and metric columns, with :class:`Entry` objects (tap,
match, metrics, reasons) built on demand, the first divergence and the largest jump."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from supervisor.trace.gates import Judged, gate_reasons
from supervisor.trace.measure import Candidate
from supervisor.trace.metrics import Cols, Element, Metrics, metrics_at
from supervisor.trace.model import Qualifiers, Tap, Trace, label_of
from supervisor.trace.tolerance import Policy, Resolved, Waiver
from supervisor.trace.topk import from_candidates, top_k, top_k_many

STATUSES = ("pass", "fail", "waived", "missing")
PASS, FAIL, WAIVED, MISSING = range(4)


@dataclass(frozen=True)
class Entry:
    index: int
    name: str
    qualifiers: Qualifiers
    occurrence: int
    label: str  # name with qualifiers, plus "#k" (1-based) for a repeated tap
    a: Tap
    b: Tap | None
    status: str  # pass | fail | waived | missing
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    tol: Resolved | None = None
    waiver: Waiver | None = None
    would_pass: bool | None = None  # waived taps: would it have passed?
    metrics: Metrics | None = None
    top_k: tuple[Element, ...] = ()


@dataclass(frozen=True)
class Divergence:
    index: int
    previous_pass: int | None
    failing_qualifiers: tuple[Qualifiers, ...]


@dataclass(frozen=True)
class Jump:
    index: int
    previous: int | None
    error: float
    previous_error: float | None
    factor: float


@dataclass(frozen=True, eq=False)
class DiffResult:
    a: Trace
    b: Trace
    policy: Policy
    names: tuple[str, ...]  # reference names after aliasing
    occurrence: NDArray[np.int64]
    keys: list[tuple[str, Qualifiers]]  # (name, qualifiers) by key id, both traces
    key_id: NDArray[np.int64]  # per reference tap: id of its (name, qualifiers)
    repeats: NDArray[np.int64]  # per key id: taps of the reference with that key
    match: NDArray[np.int64]  # per reference tap: index in b, or -1
    status: NDArray[np.int8]
    measured: NDArray[np.bool_]
    cols: Cols  # derived metrics per reference tap (meaningful where measured)
    structural: dict[int, Judged]
    tol_id: NDArray[np.int64]
    tols: tuple[Resolved, ...]
    waiver_of: dict[int, Waiver]
    only_b: tuple[int, ...]  # candidate taps matched by no reference tap
    verdict: str  # pass | fail
    reasons: tuple[str, ...]
    first: Divergence | None
    jump: Jump | None
    first_nonfinite: int | None
    unused_waivers: tuple[Waiver, ...]
    candidates: dict[int, list[Candidate]]  # top-K candidates of large taps, by row

    @property
    def exit_code(self) -> int:
        return 0 if self.verdict == "pass" else 2

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def summary(self) -> str:
        """The first-divergence summary: the report's headline lines and, for the first
        divergent tap, its most differing elements (controls and undecodable bytes of names
        shown as ``\\x1b``/``\\xff``, :mod:`supervisor.escapes`)."""
        from supervisor.escapes import escape_controls
        from supervisor.trace.report import headline

        lines = headline(self)
        if self.first is not None:
            for el in self.top_of(self.first.index)[:3]:
                at = list(el.index)
                lines.append(f"  at {at}: a={el.a!r} b={el.b!r} |Δ|={el.abs:.4g} rel={el.rel:.4g}")
        return escape_controls("\n".join(lines))

    def __len__(self) -> int:
        return len(self.names)

    def count(self, status: str) -> int:
        return int(np.count_nonzero(self.status == STATUSES.index(status)))

    def status_of(self, i: int) -> str:
        return STATUSES[int(self.status[i])]

    @cached_property
    def _labels(self) -> list[str]:
        return [label_of(name, quals) for name, quals in self.keys]

    def label(self, i: int) -> str:
        k = int(self.key_id[i])
        base = self._labels[k]
        if self.repeats[k] > 1:
            return f"{base}#{int(self.occurrence[i]) + 1}"
        return base

    @cached_property
    def _alias(self) -> dict[str, str]:
        return self.policy.alias_map()

    def b_label(self, j: int) -> str:
        """A candidate tap's label (aliased name; "#k" from its second occurrence on)."""
        name = self._alias.get(self.b.names[j], self.b.names[j])
        base = label_of(name, self.b.qualifiers[j])
        occ = self.b.occurrences[j]
        return f"{base}#{occ + 1}" if occ else base

    def where(self, i: int) -> dict[str, str | None]:
        j = int(self.match[i])
        return {"a": self.a.where(i), "b": self.b.where(j) if j >= 0 else None}

    def tol(self, i: int) -> Resolved | None:
        return self.tols[int(self.tol_id[i])] if self.match[i] >= 0 else None

    def metrics(self, i: int) -> Metrics | None:
        if not self.measured[i]:
            return None
        return metrics_at(self.cols, i, self.shape_of(i))

    def shape_of(self, i: int) -> tuple[int, ...]:
        """The reference tap's shape (text taps: their value count)."""
        return (int(self.a.counts[i]),) if self.a.buffer is not None else self.a.shape(i)

    def reasons_of(self, i: int, m: Metrics | None = None) -> Judged:
        """(reasons, notes) of tap ``i``: why it fails (empty: it passes) and remarks."""
        if self.match[i] < 0:
            return ("only in the reference",), ()
        reasons, notes = self.structural.get(i, ((), ()))
        m = m or self.metrics(i)
        tol = self.tol(i)
        if m is not None and tol is not None:
            reasons = (*reasons, *gate_reasons(m, tol))
        return reasons, notes

    def top_of(self, i: int) -> tuple[Element, ...]:
        """Top-K differing elements of tap ``i`` if it fails or is waived (else none)."""
        if "tops" in self.__dict__:
            return self.tops.get(i, ())
        if not (self.measured[i] and self.status[i] in (FAIL, WAIVED) and self.cols["n"][i] > 1):
            return ()
        if i in self.candidates:
            return from_candidates(self.candidates[i], self.a.shape(i), self.policy.top_k)
        va, vb = self.a.values(i), self.b.values(int(self.match[i]))
        assert va is not None and vb is not None
        return top_k(va, vb, self.a.shape(i), self.policy.top_k)

    def entry(self, i: int, *, with_top: bool = True) -> Entry:
        """Tap ``i`` of the reference with its match, metrics, reasons and status (and the
        top-K differing elements unless ``with_top`` is false)."""
        j = int(self.match[i])
        ta = self.a.tap(i)
        tb = self.b.tap(j) if j >= 0 else None
        tol = self.tol(i)
        m = self.metrics(i)
        reasons, notes = self.reasons_of(i, m)
        status = self.status_of(i)
        top = self.top_of(i) if with_top else ()
        waiver = self.waiver_of.get(i)
        return Entry(
            i, self.names[i], ta.qualifiers, int(self.occurrence[i]), self.label(i), ta, tb, status,
            reasons, notes, tol, waiver, (not reasons) if status == "waived" else None, m,
            top,
        )  # fmt: skip

    @cached_property
    def tops(self) -> dict[int, tuple[Element, ...]]:
        """Top-K differing elements of every failing or waived tap of more than one element."""
        bad = (self.status == FAIL) | (self.status == WAIVED)
        want = np.flatnonzero(self.measured & bad & (self.cols["n"] > 1)).tolist()
        k = self.policy.top_k
        out = {
            i: from_candidates(self.candidates[i], self.a.shape(i), k)
            for i in want
            if i in self.candidates
        }
        want = [i for i in want if i not in out]
        items = []
        for i in want:
            va, vb = self.a.values(i), self.b.values(int(self.match[i]))
            assert va is not None and vb is not None
            items.append((va, vb, self.a.shape(i)))
        out.update(zip(want, top_k_many(items, k), strict=True))
        return out

    @cached_property
    def entries(self) -> tuple[Entry, ...]:
        """Every reference tap as an :class:`Entry`."""
        self.tops  # noqa: B018 - computed for all taps at once
        return tuple(self.entry(i) for i in range(len(self)))
