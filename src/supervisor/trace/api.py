"""The Python API: :func:`compare` and :func:`assert_traces_close` (re-exported by
:mod:`supervisor.trace`), and :func:`read_pair`, which the CLI uses too.

A trace argument is a path (text trace, stage file or directory, as ``supervisor trace
diff`` reads them), a :class:`Trace`, a mapping of tap names to arrays (numpy arrays, torch
tensors, numbers or nested lists), or one array (a single tap named ``value``). Tolerances
are the command's options as keyword arguments: ``rtol``, ``atol``, ``tol`` (a mapping
``pattern -> (rtol, atol)``, either may be None, or ``PATTERN=RTOL,ATOL`` strings), ``waive``,
``alias`` (``{a: b}``), gates (``min_cosine``, ``norm_ratio=(lo, hi)``, ``max_rel_rms``,
``max_mismatch``), ``missing``, ``dtype``, ``top_k``, ``prefixes``, ``config`` (a YAML file),
``order`` (``--order``). Bad values raise the same errors the command reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from supervisor.errors import UsageError
from supervisor.trace.align import diff_traces
from supervisor.trace.model import Tap, Trace, from_taps
from supervisor.trace.order import Order, OrderSpec, arrange, parse_order, refuse_unused
from supervisor.trace.parse import read_trace
from supervisor.trace.result import DiffResult
from supervisor.trace.settings import Flags, build_policy
from supervisor.trace.tolerance import Policy

TraceLike = str | Path | Trace | Mapping[str, Any] | Any


@dataclass(frozen=True)
class Options:
    """Keyword tolerances of :func:`compare`, mapped onto the command's flags."""

    config: str | Path | None = None
    rtol: float | None = None
    atol: float | None = None
    tol: Mapping[str, tuple[float | None, float | None]] | Iterable[str] = ()
    waive: Iterable[str] = ()
    alias: Mapping[str, str] | Iterable[str] = ()
    min_cosine: float | None = None
    norm_ratio: tuple[float, float] | None = None
    max_rel_rms: float | None = None
    max_mismatch: float | None = None
    missing: str | None = None
    dtype: str | None = None
    top_k: int | None = None
    prefixes: Iterable[str] = ()
    order: str | OrderSpec | None = None

    def policy(self) -> Policy:
        def num(x: float | None) -> str:
            return "" if x is None else repr(float(x))

        tol = (
            [f"{k}={num(r)},{num(a)}" for k, (r, a) in self.tol.items()]
            if isinstance(self.tol, Mapping)
            else list(self.tol)
        )
        alias = (
            [f"{k}={v}" for k, v in self.alias.items()]
            if isinstance(self.alias, Mapping)
            else list(self.alias)
        )
        ratio = None
        if self.norm_ratio is not None:
            ratio = f"{num(self.norm_ratio[0])},{num(self.norm_ratio[1])}"
        return build_policy(
            Flags(
                config=Path(self.config) if self.config is not None else None,
                rtol=self.rtol,
                atol=self.atol,
                tol=tol,
                waive=list(self.waive),
                alias=alias,
                min_cosine=self.min_cosine,
                norm_ratio=ratio,
                max_rel_rms=self.max_rel_rms,
                max_mismatch=self.max_mismatch,
                missing=self.missing,
                dtype=self.dtype,
                top_k=self.top_k,
                prefixes=tuple(self.prefixes),
            )
        )


def read_pair(
    ref: TraceLike, cand: TraceLike, policy: Policy, order: str | OrderSpec | None = None
) -> tuple[Trace, Trace]:
    """Both traces, read in one order (a ``--order`` pattern matching neither is an error)."""
    spec = parse_order(order) if isinstance(order, str) else order
    a = as_trace(ref, policy, spec, "reference")
    b = as_trace(cand, policy, spec, "candidate")
    if spec is not None:
        orders = [t.order for t in (a, b) if t.order is not None]
        if not orders:
            raise UsageError(
                "--order sets the order of stage files and of the tensors of one file; both "
                "traces are text traces, whose taps keep their line order",
                hint="drop --order, or pass directories of stage files",
            )
        refuse_unused(spec, orders)
    return a, b


def as_trace(x: TraceLike, policy: Policy, spec: OrderSpec | None, what: str) -> Trace:
    """``x`` as a :class:`Trace`: read from a path, or built from arrays in memory."""
    if isinstance(x, Trace):
        return x
    if isinstance(x, str | Path):
        return read_trace(x, prefixes=policy.prefixes, dtype=policy.dtype, order=spec)
    items = list(x.items()) if isinstance(x, Mapping) else [("value", x)]
    taps = [_tap(str(name), v, what) for name, v in items]
    how = Order("stored", tuple(t.name for t in taps))
    if spec is not None:
        taps, how = arrange(taps, lambda t: t.name, spec)
    return from_taps(f"<{what}>", "memory", taps, dtype_note="of the arrays passed", order=how)


def _tap(name: str, v: Any, what: str) -> Tap:
    if type(v).__module__.partition(".")[0] == "torch":
        from supervisor.trace.torchfile import tensor_tap

        return tensor_tap(Path(f"<{what}>"), name, v)
    from supervisor.trace.binary import check_array

    arr = check_array(Path(f"<{what}>"), np.asarray(v), f"tap '{name}'")
    return Tap(name, (), 0, arr, None, arr.dtype.name, f"<{what}>")


def compare(ref: TraceLike, cand: TraceLike, **tolerances: Any) -> DiffResult:
    """Compare candidate ``cand`` against reference ``ref`` tap by tap (see the module doc).

    Returns the :class:`~supervisor.trace.result.DiffResult`: ``passed``, ``summary()`` (the
    first-divergence summary), ``first``, per-tap ``entry(i)``, ``exit_code``.
    """
    unknown = sorted(set(tolerances) - set(Options.__dataclass_fields__))
    if unknown:
        from supervisor.errors import choices_hint

        raise UsageError(
            f"unknown option(s): {', '.join(unknown)}",
            hint=choices_hint(Options.__dataclass_fields__),
        )
    opts = Options(**tolerances)
    policy = opts.policy()
    a, b = read_pair(ref, cand, policy, opts.order)
    return diff_traces(a, b, policy)


def assert_traces_close(ref: TraceLike, cand: TraceLike, **tolerances: Any) -> DiffResult:
    """:func:`compare`, raising ``AssertionError`` (its message: the first-divergence
    summary) unless every tap passes; returns the result when they do."""
    result = compare(ref, cand, **tolerances)
    if not result.passed:
        raise AssertionError(result.summary())
    return result
