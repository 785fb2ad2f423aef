"""Trace diff: read two traces of the same computation, align their taps, find where they part.

* ``api``       — :func:`compare` and :func:`assert_traces_close` (re-exported here);
* ``model``     — frozen :class:`Trace` (columnar, ordered taps) and :class:`Tap` models;
* ``parse``     — ``read_trace``: text traces (``text``), stage files (``binary``: ``.npy``,
  ``.npz``, APRT; ``torchfile``: ``torch.save``; ``safetensors_file``), directories of them
  in ``order`` (natural, or ``--order``);
* ``tolerance`` — the tolerance / gate / waiver / alias model and its resolution (file schema);
* ``settings``  — a policy from ``--config FILE`` and command-line values;
* ``measure``   — raw statistics, batched over small taps, chunked over large ones;
  ``metrics`` — the reported metrics derived from them; ``topk`` — the most differing
  elements; ``gates`` — pass/fail and its reasons;
* ``align``     — ``diff_traces``: alignment, statuses, first divergence, largest jump (pure);
  ``result`` — the :class:`DiffResult` it returns;
* ``document``  — the versioned JSON document (``--json``, ``metrics.json``);
* ``report``    — terminal table, ``summary.md``, the ``--out`` bundle; ``plot`` — what the
  per-tap error plot shows (``plot_data``, shared) and ``divergence.png`` (``--plot png``:
  matplotlib, Agg canvas, imported only there); ``svg`` — ``divergence.svg`` (the default:
  self-contained SVG 1.1 written as text, no dependency).

Nothing here prints or exits. numpy is imported by these modules, so import them only where
a trace is actually diffed (``supervisor trace diff`` imports them inside the command); this
package's own import stays light (the two functions below import the API when called).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from supervisor.trace.result import DiffResult as Result

__all__ = ["assert_traces_close", "compare"]


def compare(ref: Any, cand: Any, **tolerances: Any) -> Result:
    """Compare trace ``cand`` against reference ``ref``: :func:`supervisor.trace.api.compare`."""
    from supervisor.trace.api import compare as _compare

    return _compare(ref, cand, **tolerances)


def assert_traces_close(ref: Any, cand: Any, **tolerances: Any) -> Result:
    """Raise ``AssertionError`` with the first-divergence summary unless every tap passes;
    see :func:`supervisor.trace.api.assert_traces_close`."""
    from supervisor.trace.api import assert_traces_close as _assert

    return _assert(ref, cand, **tolerances)
