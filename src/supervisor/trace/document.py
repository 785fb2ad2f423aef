"""The diff result as a JSON document: ``--json`` output and ``metrics.json`` (same schema).

JSON is strict: a non-finite number is written as ``null`` and named, with its value as a
string, in a ``nonfinite`` object beside it (``"sqnr_db": null, "nonfinite": {"sqnr_db":
"inf"}``). The payload (``kind: trace_diff``; the CLI wraps it in the versioned envelope with
``schema_version``) holds:

* ``reference``: ``"a"`` (the first argument); ``verdict`` (pass | fail); ``exit_code``
  (0 | 2); ``reasons``;
* ``inputs.a`` / ``inputs.b``: path, format, sha256, taps, dtype, dtype_note, prefixes,
  lines, skipped, order (binary inputs: {rule: natural | stored | explicit, source, names —
  the files of a directory or the taps of one file, in the order read — unmatched}; text: null);
* ``counts``: taps_a, taps_b, compared, pass, fail, waived, missing, only_in_b;
* ``first_divergence``: index, label, where, name, qualifiers, status, reasons,
  previous_pass {index, label, where}, first_failing_qualifier, failing_qualifiers — or null;
* ``largest_jump``: index, label, where, previous, rel_err, previous_rel_err, factor — or null;
* ``first_nonfinite``: index, label, where, nan_a, inf_a, nan_b, inf_b — or null;
* ``only_in_a``, ``only_in_b``: labels; ``unused_waivers``;
* ``policy``: every tolerance level, gates, waivers, aliases (as configured);
* ``tolerances``: the distinct resolved tolerances — rtol, atol, level (tap | group | dtype |
  global | exact), source, dtype, gates — that taps refer to by index;
* ``taps``: one object per reference tap, in order: index, label, name, qualifiers,
  occurrence, status, reasons, notes, where {a, b} (line number for text traces, else
  ``file@offset``), shape {a, b}, dtype {a, b}, tolerance (index into ``tolerances``),
  waiver (index into ``policy.waivers``), would_pass, metrics (names as in
  :mod:`supervisor.trace.metrics`; ``max_abs_index``/``max_rel_index`` are index lists;
  ``delta``/``rel_delta`` only for one-element taps) and top_k [{index, a, b, abs, rel}];
  text taps also carry ``text`` {a, b}.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from supervisor.trace.metrics import COLUMNS, FIELDS, Element, metrics_from_row, unravel
from supervisor.trace.model import Trace
from supervisor.trace.result import STATUSES, DiffResult
from supervisor.trace.tolerance import gates_dict

KIND = "trace_diff"

_SKIP = ("abs_at", "rel_at", "delta", "rel_delta")
_FLOATS = tuple(c for c in COLUMNS if c not in _SKIP)


def clean(d: dict[str, Any]) -> dict[str, Any]:
    """Replace non-finite floats by None and list them under ``nonfinite``."""
    out: dict[str, Any] = {}
    bad: dict[str, str] = {}
    for k, v in d.items():
        if isinstance(v, float) and not math.isfinite(v):
            out[k] = None
            bad[k] = "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
        else:
            out[k] = v
    if bad:
        out["nonfinite"] = bad
    return out


def provenance(t: Trace) -> dict[str, Any]:
    return {
        "path": t.path,
        "format": t.format,
        "sha256": t.sha256,
        "taps": len(t),
        "dtype": t.dtype,
        "dtype_note": t.dtype_note,
        "prefixes": list(t.prefixes),
        "lines": t.lines,
        "skipped": dict(t.skipped),
        "order": _order(t),
    }


def _order(t: Trace) -> dict[str, Any] | None:
    if t.order is None:
        return None
    o = t.order
    return {
        "rule": o.rule,
        "source": o.source or None,
        "names": list(o.names),
        "unmatched": o.unmatched,
    }


def _element(el: Element) -> dict[str, Any]:
    return clean({"index": list(el.index), "a": el.a, "b": el.b, "abs": el.abs, "rel": el.rel})


def _loc(t: Trace, i: int) -> int | str:
    return int(t.lines_of[i]) if t.lines_of is not None else t.where(i)


def _ref(r: DiffResult, i: int | None) -> dict[str, Any] | None:
    if i is None:
        return None
    return {"index": i, "label": r.label(i), "where": r.where(i)}


class LazyTaps:
    """The per-tap objects of a result, made while they are written (re-iterable)."""

    def __init__(self, r: DiffResult) -> None:
        self.r = r

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter_taps(self.r)

    def __len__(self) -> int:
        return len(self.r)


BLOCK = 4096  # taps whose metric rows are made Python numbers at a time


def _blocks(cols: dict[str, Any], n: int) -> Iterator[tuple[Any, ...]]:
    """The metric rows (:data:`COLUMNS` order) as Python numbers, a block at a time."""
    for lo in range(0, n, BLOCK):
        yield from zip(*(cols[c][lo : lo + BLOCK].tolist() for c in COLUMNS), strict=True)


class _TapDicts:
    """Builds the per-tap objects of a result from its columns (no per-tap model objects)."""

    def __init__(self, r: DiffResult) -> None:
        n = len(r)
        cols = r.cols
        finite = np.ones(n, dtype=bool)
        if n:
            with np.errstate(invalid="ignore"):
                finite = np.isfinite(np.stack([cols[c] for c in _FLOATS])).all(axis=0)
            delta_ok = np.isfinite(cols["delta"]) & np.isfinite(cols["rel_delta"])
            finite &= (cols["n"] != 1) | delta_ok
        self.r = r
        self.finite = finite.tolist()
        self.measured = r.measured.tolist()
        self.status = [STATUSES[s] for s in r.status.tolist()]
        self.match = r.match.tolist()
        self.tol_id = r.tol_id.tolist()
        self.waiver_index = {id(w): k for k, w in enumerate(r.policy.waivers)}

    def at(self, i: int) -> dict[str, Any]:
        """Entry ``i`` (its metric row read from the columns)."""
        return self(i, tuple(self.r.cols[c][i].item() for c in COLUMNS))

    def __call__(self, i: int, values: tuple[Any, ...]) -> dict[str, Any]:
        r = self.r
        j = self.match[i]
        st = self.status[i]
        m: dict[str, Any] | None = None
        reasons: tuple[str, ...] = ()
        notes: tuple[str, ...] = ()
        if self.measured[i]:
            shape = r.shape_of(i)
            if st != "pass" or i in r.structural:
                reasons, notes = r.reasons_of(i, metrics_from_row(values, shape))
            m = dict(zip(FIELDS, values, strict=True))
            m["max_abs_index"] = list(unravel(m["max_abs_index"], shape))
            m["max_rel_index"] = list(unravel(m["max_rel_index"], shape))
            if m["n"] != 1:
                m["delta"] = m["rel_delta"] = None
            if not self.finite[i]:
                m = clean(m)
        elif st != "pass" or i in r.structural:
            reasons, notes = r.reasons_of(i)
        w = r.waiver_of.get(i)
        row: dict[str, Any] = {
            "index": i,
            "label": r.label(i),
            "name": r.names[i],
            "qualifiers": dict(r.a.qualifiers[i]),
            "occurrence": int(r.occurrence[i]),
            "status": st,
            "reasons": list(reasons),
            "notes": list(notes),
            "where": {"a": _loc(r.a, i), "b": _loc(r.b, j) if j >= 0 else None},
            "shape": {"a": list(r.a.shape(i)), "b": list(r.b.shape(j)) if j >= 0 else None},
            "dtype": {"a": r.a.dtypes[i], "b": r.b.dtypes[j] if j >= 0 else None},
            "tolerance": self.tol_id[i] if j >= 0 else None,
            "waiver": self.waiver_index.get(id(w)) if w is not None else None,
            "would_pass": (not reasons) if st == "waived" else None,
            "metrics": m,
            "top_k": [_element(x) for x in r.top_of(i)],
        }
        if r.a.texts[i] is not None or (j >= 0 and r.b.texts[j] is not None):
            row["text"] = {"a": r.a.texts[i], "b": r.b.texts[j] if j >= 0 else None}
        return row


def iter_taps(r: DiffResult) -> Iterator[dict[str, Any]]:
    """The per-tap objects, in order (the definition that :func:`iter_json` writes fast)."""
    r.tops  # noqa: B018 - the top-K of every tap at once
    make = _TapDicts(r)
    for i, values in zip(range(len(r)), _blocks(r.cols, len(r)), strict=True):
        yield make(i, values)


def counts(r: DiffResult) -> dict[str, int]:
    c = {s: r.count(s) for s in ("pass", "fail", "waived", "missing")}
    return {
        "taps_a": len(r.a),
        "taps_b": len(r.b),
        "compared": len(r) - c["missing"],
        **c,
        "only_in_b": len(r.only_b),
    }


def missing(r: DiffResult) -> list[int]:
    return np.flatnonzero(r.status == STATUSES.index("missing")).tolist()


def build_doc(r: DiffResult, *, lazy: bool = False) -> dict[str, Any]:
    """The ``trace_diff`` payload (strict-JSON-safe) for ``--json`` and ``metrics.json``;
    ``lazy``: ``taps`` is a :class:`LazyTaps` that :func:`iter_json` writes as it goes."""
    first = None
    if r.first is not None:
        f = r.first.index
        fq = [dict(q) for q in r.first.failing_qualifiers]
        first = {
            **(_ref(r, f) or {}),
            "name": r.names[f],
            "qualifiers": dict(r.a.qualifiers[f]),
            "status": r.status_of(f),
            "reasons": list(r.reasons_of(f)[0]),
            "previous_pass": _ref(r, r.first.previous_pass),
            "first_failing_qualifier": fq[0] if fq else None,
            "failing_qualifiers": fq,
        }
    jump = None
    if r.jump is not None:
        j = r.jump
        jump = {
            **(_ref(r, j.index) or {}),
            "previous": _ref(r, j.previous),
            **clean({"rel_err": j.error, "previous_rel_err": j.previous_error, "factor": j.factor}),
        }
    nonfinite = None
    if r.first_nonfinite is not None:
        i = r.first_nonfinite
        nonfinite = {
            **(_ref(r, i) or {}),
            **{k: int(r.cols[k][i]) for k in ("nan_a", "inf_a", "nan_b", "inf_b")},
        }
    tolerances = [
        {
            "rtol": t.rtol,
            "atol": t.atol,
            "level": t.level,
            "source": t.source,
            "dtype": t.dtype,
            "gates": gates_dict(t.gates),
        }
        for t in r.tols
    ]
    return {
        "reference": "a",
        "verdict": r.verdict,
        "exit_code": r.exit_code,
        "reasons": list(r.reasons),
        "inputs": {"a": provenance(r.a), "b": provenance(r.b)},
        "counts": counts(r),
        "first_divergence": first,
        "largest_jump": jump,
        "first_nonfinite": nonfinite,
        "only_in_a": [r.label(i) for i in missing(r)],
        "only_in_b": [r.b_label(j) for j in r.only_b],
        "unused_waivers": [{"match": w.pattern, "reason": w.reason} for w in r.unused_waivers],
        "policy": r.policy.as_dict(),
        "tolerances": tolerances,
        "taps": LazyTaps(r) if lazy else list(iter_taps(r)),
    }


def iter_json(doc: dict[str, Any], escape: Callable[[str], str] = str) -> Iterator[bytes]:
    """Deterministic, strict JSON (NaN/Inf refused) as UTF-8 pieces: indented, one ``taps``
    entry a line (written as they are made), and a trailing newline. ``escape`` is applied to
    every piece of text but numbers (the CLI's ``escape_json_text``: so the printed document
    needs no scan of its own)."""
    taps = doc.get("taps")
    head = escape(
        json.dumps(
            {k: ([] if k == "taps" else v) for k, v in doc.items()},
            indent=2,
            ensure_ascii=False,
            allow_nan=False,
        )
    )
    if not taps:
        yield (head + "\n").encode()
        return
    marker = '"taps": []'
    cut = head.rindex(marker)
    yield (head[:cut] + '"taps": [').encode()
    if isinstance(taps, LazyTaps):
        from supervisor.trace.rows import tap_chunks

        made: list[_TapDicts] = []

        def entry(i: int) -> dict[str, Any]:  # the general path, set up when first needed
            if not made:
                made.append(_TapDicts(taps.r))
            return made[0].at(i)

        chunks: Iterator[bytes] = tap_chunks(taps.r, entry, escape)
    else:
        chunks = (escape(c).encode() for c in _chunks(taps))
    from supervisor.trace.rows import SEP

    last = b"\n    "
    for chunk in chunks:  # one write per block of entries; the last one without its SEP
        yield last
        last = chunk
    yield last[: -len(SEP)]
    yield ("\n  ]" + head[cut + len(marker) :] + "\n").encode()


def _chunks(taps: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The entries encoded by the C encoder, 256 a chunk, each followed by its separator."""
    from itertools import islice

    from supervisor.trace.rows import SEP

    enc = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(", ", ": ")).encode
    it = iter(taps)
    while chunk := list(map(enc, islice(it, 256))):
        yield SEP.join(chunk) + SEP


def dumps_strict(doc: dict[str, Any], escape: Callable[[str], str] = str) -> str:
    """:func:`iter_json` joined, as text."""
    return b"".join(iter_json(doc, escape)).decode()
